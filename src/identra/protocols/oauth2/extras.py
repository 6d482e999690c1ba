"""What the non-interactive OAuth extensions need, bundled for ``TokenContext.extras``.

The web layer builds one :class:`TokenExtras` per application (``identra.web.oauth_extras``)
and hands it to every token, introspection, revocation, PAR, device and registration request.
"""

from __future__ import annotations

from dataclasses import dataclass

from identra.cache.base import Cache
from identra.protocols.oauth2.client_assertion import ClientAssertionVerifier
from identra.protocols.oauth2.device import DeviceCodes
from identra.protocols.oauth2.inspection import TokenInspector
from identra.protocols.oauth2.par import PushedRequests
from identra.protocols.oauth2.storage import OpaqueTokenStore, Secrets, TokenRevocations


@dataclass(frozen=True)
class TokenExtras:
    cache: Cache
    secrets: Secrets
    opaque_tokens: OpaqueTokenStore
    revocations: TokenRevocations
    inspector: TokenInspector
    assertions: ClientAssertionVerifier
    devices: DeviceCodes
    pushed_requests: PushedRequests
