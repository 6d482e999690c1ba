"""OpenID Connect RP-Initiated Logout 1.0 and the end of an SSO session.

- §2: GET or POST (form) with ``id_token_hint``, ``client_id``, ``post_logout_redirect_uri``,
  ``state``, ``logout_hint``, ``ui_locales``.
- ``id_token_hint`` must be an ID token this issuer signed; an expired one is accepted (§2:
  "The OP need not ... the ID Token [may have] expired"). When ``client_id`` is sent too, it
  must be an audience of the hint. Its ``sub`` is compared with the session's user in the
  client's subject space (a pairwise client's hint carries its pairwise ``sub``, OIDC Core §8).
- ``post_logout_redirect_uri`` needs an identified client and must exactly match one of the
  client's registered ``post_logout_redirect_uris`` (§3); otherwise nothing is redirected to
  and an error page is shown. ``state`` is passed back (§2).
- §2: the OP asks the user to confirm unless the hint proves the request comes from the
  client the session's user used; the confirmation form is CSRF-protected by the web layer.
- Ending a session forgets it, revokes the refresh tokens issued in it (except
  ``offline_access`` grants, OIDC Core §11) and sends back-channel logout tokens
  (``identra.protocols.oidc.backchannel``) to the clients that took part in it; each token
  carries the ``sub`` that client knows and is signed with the client's ID token algorithm.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit, urlunsplit

from identra.protocols.http import ProtocolRequest
from identra.protocols.oauth2.errors import InvalidRequest, OAuth2Error, ServerError
from identra.protocols.oauth2.models import Client, Tenant
from identra.protocols.oauth2.params import single
from identra.protocols.oauth2.storage import ClientStore
from identra.protocols.oauth2.tokens import Signer
from identra.protocols.oidc.backchannel import BackchannelNotifier, Delivery, logout_token
from identra.protocols.oidc.id_token import (
    DEFAULT_ID_TOKEN_ALG,
    IssuedTokenVerifier,
    TokenInvalid,
)
from identra.protocols.oidc.session import SessionManager, SsoSession
from identra.protocols.oidc.storage import ClientSettings, ClientSettingsStore, GrantStore
from identra.protocols.oidc.subjects import Subjects

log = logging.getLogger(__name__)

PARAMS = (
    "id_token_hint",
    "client_id",
    "post_logout_redirect_uri",
    "state",
    "logout_hint",
    "ui_locales",
)


@dataclass(frozen=True)
class LogoutRedirect:
    location: str


@dataclass(frozen=True)
class ConfirmLogout:
    fields: dict[str, str]  # the validated parameters, carried through the confirmation form
    client_name: str | None


@dataclass(frozen=True)
class LoggedOut:
    client_name: str | None


@dataclass(frozen=True)
class LogoutError:
    error: str
    description: str


@dataclass(frozen=True)
class LogoutOutcome:
    result: LogoutRedirect | ConfirmLogout | LoggedOut | LogoutError
    clear_session: bool = False


class SessionTerminator:
    """Ends SSO sessions: forget, revoke what depended on them, notify the clients."""

    def __init__(
        self,
        sessions: SessionManager,
        grants: GrantStore,
        client_settings: ClientSettingsStore,
        notifier: BackchannelNotifier,
        signer: Callable[[str], Signer],
        now: Callable[[], int],
    ) -> None:
        self._sessions = sessions
        self._grants = grants
        self._settings = client_settings
        self._notifier = notifier
        self._signer = signer
        self._now = now

    async def end(self, session: SsoSession, issuer: str) -> list[bool]:
        now = self._now()
        await self._sessions.end(session, now)
        return await self.after_end(session, issuer)

    async def after_end(self, session: SsoSession, issuer: str) -> list[bool]:
        """What follows the end of a session already removed from the session store."""
        now = self._now()
        for grant in await self._grants.for_session(session.org_id, session.id):
            if not grant.revoked and "offline_access" not in grant.scopes:
                await self._grants.revoke(grant.id, now)
        if not session.clients:
            return []
        settings = await self._settings.by_ids(session.org_id, session.clients)
        subjects = Subjects(self._sessions.digest)
        deliveries: list[Delivery] = []
        for client_id, s in settings.items():
            if not s.backchannel_logout_uri:
                continue
            token = self._logout_token(s, subjects, issuer, client_id, session, now)
            if token is not None:
                deliveries.append(Delivery(uri=s.backchannel_logout_uri, token=token))
        return await self._notifier.notify(deliveries)

    def _logout_token(
        self,
        settings: ClientSettings,
        subjects: Subjects,
        issuer: str,
        client_id: str,
        session: SsoSession,
        now: int,
    ) -> str | None:
        """The client's logout token: its ``sub`` for the user, its ID token algorithm."""
        alg = settings.id_token_signed_response_alg or DEFAULT_ID_TOKEN_ALG
        try:
            signer = self._signer(alg)
            subject = subjects.subject(settings, session.user_id)
        except (KeyError, ServerError) as exc:
            # Misconfigured since it was set up (no active key, no pairwise sector): skipped
            # rather than sent with a subject or algorithm the client does not expect.
            log.warning(
                "back-channel logout skipped",
                extra={"fields": {"client_id": client_id, "error": type(exc).__name__}},
            )
            return None
        return logout_token(
            signer=signer,
            issuer=issuer,
            client_id=client_id,
            subject=subject,
            sid=session.id,
            now=now,
        )


@dataclass(frozen=True)
class EndSessionServices:
    clients: ClientStore
    client_settings: ClientSettingsStore
    sessions: SessionManager
    terminator: SessionTerminator
    verifier: IssuedTokenVerifier
    now: Callable[[], int]


def _redirect(uri: str, state: str | None) -> LogoutRedirect:
    if state is None:
        return LogoutRedirect(uri)
    parts = urlsplit(uri)
    extra = urlencode({"state": state})
    query = f"{parts.query}&{extra}" if parts.query else extra
    return LogoutRedirect(urlunsplit((parts.scheme, parts.netloc, parts.path, query, "")))


class EndSessionEndpoint:
    def __init__(self, services: EndSessionServices) -> None:
        self.s = services

    async def __call__(
        self,
        request: ProtocolRequest,
        tenant: Tenant,
        session_cookie: str | None,
        confirmed: bool = False,
    ) -> LogoutOutcome:
        params = request.query if request.method == "GET" else request.form
        try:
            return await self._handle(params, tenant, session_cookie, confirmed)
        except OAuth2Error as error:
            return LogoutOutcome(LogoutError(error.error, error.description))

    async def _handle(
        self,
        params: dict[str, list[str]],
        tenant: Tenant,
        session_cookie: str | None,
        confirmed: bool,
    ) -> LogoutOutcome:
        now = self.s.now()
        values = {name: single(params, name) for name in PARAMS}
        hint = values["id_token_hint"]
        hint_claims: dict[str, object] | None = None
        if hint:
            try:
                hint_claims = self.s.verifier.verify(
                    hint, issuer=tenant.issuer, now=now, typ=("JWT",), check_expiry=False
                )
            except TokenInvalid as exc:
                raise InvalidRequest(
                    "id_token_hint is not a valid ID token of this issuer"
                ) from exc
        client = await self._client(values["client_id"], hint_claims, tenant)
        settings = await self.s.client_settings.settings(client.id) if client else None
        redirect = values["post_logout_redirect_uri"]
        if redirect is not None:
            if settings is None:
                raise InvalidRequest("post_logout_redirect_uri needs client_id or id_token_hint")
            if redirect not in settings.post_logout_redirect_uris:
                raise InvalidRequest("post_logout_redirect_uri is not registered for this client")
        session = await self.s.sessions.load(session_cookie, tenant.org_id, now)
        # The hint's sub is in the client's subject space (public or pairwise).
        proven = (
            hint_claims is not None
            and settings is not None
            and (
                session is None
                or Subjects(self.s.sessions.digest).names(
                    settings, hint_claims.get("sub"), session.user_id
                )
            )
        )
        if session is not None and not proven and not confirmed:
            fields = {k: v for k, v in values.items() if v is not None}
            return LogoutOutcome(ConfirmLogout(fields, client.name if client else None))
        if session is not None:
            await self.s.terminator.end(session, tenant.issuer)
        if redirect is not None:
            return LogoutOutcome(_redirect(redirect, values["state"]), clear_session=True)
        return LogoutOutcome(LoggedOut(client.name if client else None), clear_session=True)

    async def _client(
        self, client_id: str | None, hint: dict[str, object] | None, tenant: Tenant
    ) -> Client | None:
        audiences: list[str] = []
        if hint is not None:
            aud = hint.get("aud")
            audiences = [str(a) for a in aud] if isinstance(aud, list) else [str(aud)]
        if client_id is not None and hint is not None and client_id not in audiences:
            raise InvalidRequest("client_id is not an audience of id_token_hint")
        wanted = client_id or (audiences[0] if len(audiences) == 1 else None)
        if wanted is None:
            return None
        client = await self.s.clients.by_client_id(wanted)
        if client is None or client.org_id != tenant.org_id:
            raise InvalidRequest("unknown client")
        return client
