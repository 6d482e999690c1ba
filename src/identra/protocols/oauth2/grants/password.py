"""RFC 6749 §4.3: the resource owner password credentials grant.

Off unless an application lists ``password`` among its grant types (the token endpoint refuses
it otherwise with ``unauthorized_client``); OAuth 2.1 drops it, and it exists for migrating
legacy clients. The credentials go through the same check as the hosted login page: user
stores in order, lockout with increasing delay, a per-address rate limit. Every failure is the
same ``invalid_grant``, so the response does not tell which part was wrong (§5.2).
"""

from __future__ import annotations

from identra.protocols.http import ProtocolRequest, ProtocolResponse
from identra.protocols.oauth2.context import TokenContext
from identra.protocols.oauth2.errors import InvalidGrant, InvalidScope, UnauthorizedClient
from identra.protocols.oauth2.models import Client
from identra.protocols.oauth2.params import required, scopes, single
from identra.protocols.oidc.claims import OIDC_SCOPES
from identra.protocols.oidc.context import oidc_context
from identra.protocols.oidc.issue import issue_tokens
from identra.protocols.oidc.storage import NewGrant

REFUSED = "invalid username or password, or the account cannot sign in now"


class PasswordGrant:
    grant_type = "password"

    async def handle(
        self, request: ProtocolRequest, client: Client, ctx: TokenContext
    ) -> ProtocolResponse:
        octx = oidc_context(ctx)
        if client.is_public:
            # §4.3.2: the client authenticates; a public client could be anyone's.
            raise UnauthorizedClient("public clients cannot use the password grant")
        if octx.passwords is None:
            raise UnauthorizedClient("the password grant is not available")
        username = required(request.form, "username")
        password = required(request.form, "password")
        requested = scopes(single(request.form, "scope"))
        refused = [s for s in requested if s not in OIDC_SCOPES and s not in client.scopes]
        if refused:
            raise InvalidScope(f"scope not allowed for this client: {' '.join(refused)}")
        user_id = await octx.passwords.verify(
            octx.tenant.org_id, username, password, request.client_ip
        )
        if user_id is None:
            raise InvalidGrant(REFUSED)
        user = await octx.users.profile(octx.tenant.org_id, user_id)
        if user is None or not user.active:
            raise InvalidGrant(REFUSED)
        now = octx.now()
        grant = await octx.grants.create(
            NewGrant(
                org_id=octx.tenant.org_id,
                application_id=client.id,
                user_id=user_id,
                session_id=None,
                scopes=requested,
                claims={},
                auth_time=now,
                acr=None,
                amr=["pwd"],
            )
        )
        issued = await issue_tokens(
            octx,
            client,
            grant,
            user,
            scopes=requested,
            nonce=None,
            refresh="refresh_token" in client.grant_types,
        )
        return ProtocolResponse.json(200, issued.body)
