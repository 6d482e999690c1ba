"""RFC 8628 §3.4-3.5: the device access token request.

- ``device_code`` is required; one that is unknown, of another client or of another
  organization is ``invalid_grant``.
- Past its expiry: ``expired_token``. Denied by the user: ``access_denied`` (once; the code is
  then gone). Not decided yet: ``authorization_pending``, or ``slow_down`` when polled sooner
  than the interval (which then grows by 5 seconds for good).
- Approved: the code is consumed atomically (one token response per code) and an access token
  is issued for the approving user with the approved scopes, through
  ``tokens.issue_access_token`` (so opaque formats and DPoP binding apply).
"""

from __future__ import annotations

from identra.protocols.http import ProtocolRequest, ProtocolResponse
from identra.protocols.oauth2.context import TokenContext
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
        issued = await issue_access_token(
            ctx, client=client, subject=record.subject, scope=record.approved_scope
        )
        return ProtocolResponse.json(200, issued.response_fields())
