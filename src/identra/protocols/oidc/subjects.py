"""Subject identifier types (OIDC Core 1.0 §8) and per-client ID token algorithms.

- ``public`` (default): ``sub`` is the user's local id, the same for every client.
- ``pairwise`` (§8.1, §17.3): every *sector* sees another ``sub`` for the same user, so that
  clients of different sectors cannot correlate users by ``sub``. The sector is the host of the
  client's ``sector_identifier_uri`` when it registered one, otherwise the host of its redirect
  URIs, which must then all share one host (OIDC Registration §2, §5). The value is
  ``base64url(HMAC-SHA256(K, sector || 0x00 || user id))`` with ``K`` derived from the master
  key through the deployment's keyed digest: stable, not reversible without the master key, and
  distinct per sector. The NUL byte keeps ``sector || user id`` unambiguous (a host name never
  holds one).

Pairwise subjects apply to what the client itself receives about the user: the ID token,
UserInfo and back-channel logout tokens; and where the client hands a ``sub`` back
(``id_token_hint`` at the authorization and logout endpoints) it is compared in the client's
subject space. Access tokens, introspection and token exchange keep the local id: they serve
this deployment's resource servers (decision 0027).

The sector identifier document (OIDC Registration §5) is fetched at configuration time only:
a JSON array of URIs that must hold every redirect URI of the client.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Awaitable, Callable, Iterable
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import httpx

from identra.protocols.oauth2.errors import ServerError

if TYPE_CHECKING:
    from identra.protocols.oidc.storage import ClientSettings

PUBLIC = "public"
PAIRWISE = "pairwise"
SUBJECT_TYPES = (PUBLIC, PAIRWISE)
# The keyed digest of this label is the pairwise key. The leading NUL keeps it apart from every
# other value the deployment digests (secrets, prefixed cookie values...).
KEY_LABEL = "\x00identra/pairwise-subject/v1"

SECTOR_TIMEOUT = httpx.Timeout(3.0)
SECTOR_MAX_BYTES = 64 * 1024
SECTOR_MAX_ENTRIES = 500
LOOPBACK = ("localhost", "127.0.0.1", "::1")


class SectorError(ValueError):
    """The client's pairwise configuration cannot be accepted (the message says why)."""


# --------------------------------------------------------------------------- the sector


def check_sector_identifier_uri(uri: str, *, allow_loopback_http: bool) -> str:
    """Syntax (OIDC Registration §2): an https URL (http on loopback for development, where
    allowed) without a fragment. Returns the sector: its host."""
    if len(uri) > 2000 or any(c.isspace() for c in uri):
        raise SectorError("sector_identifier_uri is not a valid URL")
    parts = urlsplit(uri)
    host = parts.hostname
    if not host or parts.fragment or "#" in uri:
        raise SectorError("sector_identifier_uri must be an absolute URL without a fragment")
    if parts.scheme == "https":
        return host
    if allow_loopback_http and parts.scheme == "http" and host in LOOPBACK:
        return host
    raise SectorError("sector_identifier_uri must be an https URL")


def redirect_sector(redirect_uris: Iterable[str]) -> str:
    """The sector of a client without a sector identifier URI: the one host of its redirect
    URIs (OIDC Core §8.1)."""
    hosts: set[str] = set()
    for uri in redirect_uris:
        host = urlsplit(uri).hostname
        if not host:
            raise SectorError(
                f"the redirect URI {uri} has no host; pairwise subjects need a "
                "sector_identifier_uri"
            )
        hosts.add(host)
    if not hosts:
        raise SectorError("pairwise subjects need redirect URIs or a sector_identifier_uri")
    if len(hosts) > 1:
        raise SectorError(
            "the redirect URIs span several hosts; pairwise subjects need a "
            "sector_identifier_uri listing them"
        )
    return hosts.pop()


def sector_of(sector_identifier_uri: str | None, redirect_uris: Iterable[str]) -> str:
    """The sector a pairwise client's subjects are computed for (no fetching)."""
    if sector_identifier_uri:
        host = urlsplit(sector_identifier_uri).hostname
        if not host:
            raise SectorError("sector_identifier_uri has no host")
        return host
    return redirect_sector(redirect_uris)


async def fetch_sector_document(
    uri: str, transport: httpx.AsyncBaseTransport | None = None
) -> list[str]:
    """GET the sector identifier document: a JSON array of URIs (OIDC Registration §5).

    Bounded: a timeout, no redirects, a size cap. Every failure is a :class:`SectorError`
    whose message may be shown to whoever configures the client.
    """
    try:
        async with httpx.AsyncClient(
            transport=transport, timeout=SECTOR_TIMEOUT, follow_redirects=False
        ) as http:
            async with http.stream("GET", uri, headers={"accept": "application/json"}) as resp:
                if resp.status_code != 200:
                    raise SectorError(f"sector_identifier_uri answered HTTP {resp.status_code}")
                body = b""
                async for chunk in resp.aiter_bytes():
                    body += chunk
                    if len(body) > SECTOR_MAX_BYTES:
                        raise SectorError("the sector identifier document is too large")
    except httpx.HTTPError as exc:
        raise SectorError(
            f"sector_identifier_uri could not be fetched ({type(exc).__name__})"
        ) from exc
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise SectorError("the sector identifier document is not JSON") from exc
    if not isinstance(document, list) or not all(isinstance(v, str) for v in document):
        raise SectorError("the sector identifier document must be a JSON array of URIs")
    if len(document) > SECTOR_MAX_ENTRIES:
        raise SectorError("the sector identifier document has too many entries")
    return document


SectorFetcher = Callable[[str], Awaitable[list[str]]]


async def check_subject_settings(
    *,
    subject_type: str,
    sector_identifier_uri: str | None,
    redirect_uris: Iterable[str],
    allow_loopback_http: bool,
    fetch: SectorFetcher = fetch_sector_document,
) -> str | None:
    """Validate a client's subject settings at configuration time; the pairwise sector (None
    for a public client). A sector identifier URI, when given, is fetched and must list every
    redirect URI (OIDC Registration §5)."""
    if subject_type not in SUBJECT_TYPES:
        raise SectorError("subject_type must be public or pairwise")
    uris = list(redirect_uris)
    if sector_identifier_uri:
        sector = check_sector_identifier_uri(
            sector_identifier_uri, allow_loopback_http=allow_loopback_http
        )
        listed = set(await fetch(sector_identifier_uri))
        missing = [u for u in uris if u not in listed]
        if missing:
            raise SectorError(
                f"the sector identifier document does not list the redirect URI {missing[0]}"
            )
    elif subject_type == PAIRWISE:
        sector = redirect_sector(uris)
    else:
        return None
    return sector if subject_type == PAIRWISE else None


# --------------------------------------------------------------------------- subjects


class Subjects:
    """The ``sub`` a client sees for a user.

    ``digest`` is the deployment's keyed digest (``services.box.digest``); the pairwise key is
    the digest of :data:`KEY_LABEL`, so it follows the master key and never needs storing.
    """

    def __init__(self, digest: Callable[[str], str]) -> None:
        self._key = digest(KEY_LABEL).encode("ascii")

    def pairwise(self, sector: str, user_id: str) -> str:
        mac = hmac.new(self._key, sector.encode() + b"\x00" + user_id.encode(), hashlib.sha256)
        return base64.urlsafe_b64encode(mac.digest()).rstrip(b"=").decode("ascii")

    def subject(self, settings: ClientSettings, user_id: str) -> str:
        if settings.subject_type != PAIRWISE:
            return user_id
        if settings.sector is None:
            # Never fall back to the public id: that would link the user across sectors.
            raise ServerError(
                "the client's pairwise subject sector is not configured",
                debug=f"application {settings.application_id}: {settings.sector_problem}",
            )
        return self.pairwise(settings.sector, user_id)

    def names(self, settings: ClientSettings, sub: object, user_id: str) -> bool:
        """Whether ``sub`` (as the client knows it) is this user's."""
        if not isinstance(sub, str):
            return False
        try:
            mine = self.subject(settings, user_id)
        except ServerError:
            return False
        return hmac.compare_digest(mine.encode(), sub.encode())
