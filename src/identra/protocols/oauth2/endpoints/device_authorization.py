"""RFC 8628 §3.1-3.2: the device authorization endpoint.

- §3.1: POST, form-encoded ``client_id`` (public clients) or any client authentication, and an
  optional ``scope``. The client must be allowed the device-code grant (``unauthorized_client``)
  and the scopes (``invalid_scope``: the OpenID Connect scopes, or those allowed to the client).
- §3.2: 200 with ``device_code``, ``user_code`` (``XXXX-XXXX``), ``verification_uri``,
  ``verification_uri_complete``, ``expires_in`` (600) and ``interval`` (5).

The verification page at ``verification_uri`` (``{issuer}/device``) belongs to the hosted
pages; it finds the request with ``DeviceCodes.by_user_code`` and records the user's answer
with ``DeviceCodes.approve``/``deny``.
"""

from __future__ import annotations

from urllib.parse import quote

from identra.protocols.http import ProtocolRequest, ProtocolResponse
from identra.protocols.oauth2.context import TokenContext
from identra.protocols.oauth2.device import DEFAULT_INTERVAL, DEFAULT_TTL, display_user_code
from identra.protocols.oauth2.endpoints.form import (
    FormEndpoint,
    authenticated_client,
    extras_of,
    require_form_post,
)
from identra.protocols.oauth2.errors import InvalidScope, UnauthorizedClient
from identra.protocols.oauth2.params import scopes, single
from identra.protocols.oidc.claims import OIDC_SCOPES

DEVICE_CODE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"


class DeviceAuthorizationEndpoint(FormEndpoint):
    async def _handle(self, request: ProtocolRequest, ctx: TokenContext) -> ProtocolResponse:
        require_form_post(request, "device authorization")
        extras = extras_of(ctx)
        client = await authenticated_client(request, ctx)
        if DEVICE_CODE_GRANT not in client.grant_types:
            raise UnauthorizedClient("this client may not use the device authorization grant")
        requested = scopes(single(request.form, "scope"))
        refused = [s for s in requested if s not in OIDC_SCOPES and s not in client.scopes]
        if refused:
            raise InvalidScope(f"scope not allowed for this client: {' '.join(refused)}")
        device_code, record = await extras.devices.start(
            org_id=ctx.tenant.org_id,
            client_id=client.client_id,
            application_id=client.id,
            scope=requested,
            now=ctx.now(),
            ttl=DEFAULT_TTL,
            interval=DEFAULT_INTERVAL,
        )
        user_code = display_user_code(record.user_code)
        verification_uri = f"{ctx.tenant.issuer}/device"
        return ProtocolResponse.json(
            200,
            {
                "device_code": device_code,
                "user_code": user_code,
                "verification_uri": verification_uri,
                "verification_uri_complete": f"{verification_uri}?user_code={quote(user_code)}",
                "expires_in": DEFAULT_TTL,
                "interval": DEFAULT_INTERVAL,
            },
        )
