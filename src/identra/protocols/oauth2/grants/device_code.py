"""RFC 8628 §3.4-3.5: the device access token request.

- ``device_code`` is required; one that is unknown, of another client or of another
  organization is ``invalid_grant``.
- Past its expiry: ``expired_token``. Denied by the user: ``access_denied`` (once; the code is
  then gone). Not decided yet: ``authorization_pending``, or ``slow_down`` when polled sooner
  than the interval (which then grows by 5 seconds for good).
- Approved: the code is consumed atomically (one token response per code). With the user
  grants' context (``OidcTokenContext``) the answer is that of the code flow: a token family
  (``oauth_grants``) for the approving user, an access token, a refresh token when the client
  may refresh, and an ID token when ``openid`` was approved; otherwise an access token alone.
  Either way ``tokens.issue_access_token`` applies the client's format and DPoP binding.
"""

from __future__ import annotations

from identra.protocols.http import ProtocolRequest, ProtocolResponse
from identra.protocols.oauth2.context import TokenContext
from identra.protocols.oauth2.device import DeviceAuthorization
from identra.protocols.oauth2.endpoints.form import extras_of
from identra.protocols.oauth2.errors import (
    AuthorizationPending,
    DeviceAccessDenied,
    ExpiredToken,
    InvalidGrant,
)
from identra.protocols.oauth2.models import Client
from identra.protocols.oauth2.params import required
from identra.protocols.oauth2.tokens import issue_access_token
from identra.protocols.oidc.context import OidcTokenContext
from identra.protocols.oidc.issue import issue_tokens
from identra.protocols.oidc.storage import NewGrant

DEVICE_CODE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"


class DeviceCodeGrant:
    grant_type = DEVICE_CODE_GRANT

    async def handle(
        self, request: ProtocolRequest, client: Client, ctx: TokenContext
    ) -> ProtocolResponse:
        devices = extras_of(ctx).devices
        record = await devices.find(required(request.form, "device_code"))
        if (
            record is None
            or record.client_id != client.client_id
            or record.org_id != ctx.tenant.org_id
        ):
            raise InvalidGrant("device_code is invalid")
        now = ctx.now()
        if record.expires_at <= now:
            raise ExpiredToken("device_code has expired")
        if record.status == "denied":
            await devices.consume(record)
            raise DeviceAccessDenied("the user denied the request")
        if record.status != "approved" or record.subject is None:
            await devices.check_poll_rate(record, now)
            raise AuthorizationPending("the user has not answered yet")
        if not await devices.consume(record):
            raise InvalidGrant("device_code is invalid")
        if isinstance(ctx, OidcTokenContext):
            return await self._user_tokens(ctx, client, record)
        issued = await issue_access_token(
            ctx, client=client, subject=record.subject, scope=record.approved_scope
        )
        return ProtocolResponse.json(200, issued.response_fields())

    @staticmethod
    async def _user_tokens(
        ctx: OidcTokenContext, client: Client, record: DeviceAuthorization
    ) -> ProtocolResponse:
        assert record.subject is not None
        user = await ctx.users.profile(record.org_id, record.subject)
        if user is None or not user.active:
            raise InvalidGrant("the approving user is no longer active")
        grant = await ctx.grants.create(
            NewGrant(
                org_id=record.org_id,
                application_id=client.id,
                user_id=record.subject,
                session_id=record.session_id,
                scopes=list(record.approved_scope),
                claims={},
                auth_time=record.auth_time,
                acr=record.acr,
                amr=list(record.amr),
            )
        )
        issued = await issue_tokens(
            ctx,
            client,
            grant,
            user,
            scopes=list(record.approved_scope),
            refresh="refresh_token" in client.grant_types,
        )
        return ProtocolResponse.json(200, issued.body)
