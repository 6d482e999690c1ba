"""Request limits at the token endpoint, counted in the shared cache so they hold on every node.

Two counters, each in fixed windows (one ``INCR`` with a TTL per request, in Redis when nodes
share one):

- **Failed client authentications per address and client id** (within an organization). After
  ``AUTH_FAILURES_PER_WINDOW`` failures within ``AUTH_FAILURE_WINDOW`` seconds that address gets
  429 for that client id until the window ends, even with the right secret. Client secrets are
  long random values, so this is not about guessing them; it stops a broken or hostile caller
  from making every node check (and log) endless bad credentials. Keyed by both so that one
  broken integration does not block the others behind the same NAT, and a stranger cannot
  block a client by sending it bad secrets from elsewhere.
- **Token requests per client**, when its application sets ``token_rate_limit`` (requests per
  minute). A runaway integration then gets 429 instead of starving the others.

Both answers are ``temporarily_unavailable`` with HTTP 429 and ``Retry-After`` (RFC 6585 §4,
RFC 9110 §10.2.3): RFC 6749 defines no error for this, and clients already treat that code as
"try again later".
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from identra.cache.base import Cache
from identra.protocols.http import ProtocolResponse
from identra.protocols.oauth2.errors import TemporarilyUnavailable
from identra.protocols.oauth2.models import Client

AUTH_FAILURES_PER_WINDOW = 30
AUTH_FAILURE_WINDOW = 300
CLIENT_WINDOW = 60


class TooManyRequests(TemporarilyUnavailable):
    status = 429

    def __init__(self, description: str, retry_after: int) -> None:
        super().__init__(description)
        self.retry_after = max(1, retry_after)

    def response(self) -> ProtocolResponse:
        resp = super().response()
        resp.headers["retry-after"] = str(self.retry_after)
        return resp


def _window(now: int, size: int) -> tuple[int, int]:
    """The current window's number and the seconds left in it."""
    return now // size, size - now % size


@dataclass(frozen=True)
class Caller:
    """Who is authenticating: the organization, the client address and the claimed client id."""

    org_id: str
    address: str | None
    client_id: str | None

    def key(self, window: int) -> str | None:
        if self.address is None:
            return None
        # The claimed id is the caller's input: a digest keeps the key short and plain.
        claimed = hashlib.sha256((self.client_id or "").encode()).hexdigest()[:32]
        return f"throttle:client-auth:{self.org_id}:{self.address}:{claimed}:{window}"


async def refuse_blocked(cache: Cache, caller: Caller, now: int) -> None:
    """429 when this caller has failed client authentication too often in this window."""
    window, left = _window(now, AUTH_FAILURE_WINDOW)
    key = caller.key(window)
    count = None if key is None else await cache.get(key)
    if count is not None and int(count) >= AUTH_FAILURES_PER_WINDOW:
        raise TooManyRequests("too many failed client authentications; try again later", left)


async def count_failure(cache: Cache, caller: Caller, now: int) -> None:
    window, left = _window(now, AUTH_FAILURE_WINDOW)
    key = caller.key(window)
    if key is not None:
        await cache.incr(key, left + 1)


async def admit(cache: Cache, client: Client, now: int) -> None:
    """Count a token request of ``client``; 429 past its application's per-minute limit."""
    limit = client.token_rate_limit
    if limit is None:
        return
    window, left = _window(now, CLIENT_WINDOW)
    count = await cache.incr(f"throttle:client:{client.id}:{window}", left + 1)
    if count > limit:
        raise TooManyRequests(f"this client may make {limit} token requests a minute", left)
