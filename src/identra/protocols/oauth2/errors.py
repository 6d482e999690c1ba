"""OAuth 2 errors, one class per registered code (RFC 6749 §5.2, RFC 6750 §3.1, OIDC Core §3.1.2.6).

``description`` is public; ``debug`` is logged and never sent to the client.
"""

from __future__ import annotations

from identra.errors import IdentraError
from identra.protocols.http import ProtocolResponse


class OAuth2Error(IdentraError):
    error = "server_error"
    status = 400

    def __init__(self, description: str = "", debug: str | None = None) -> None:
        super().__init__(description or self.error)
        self.description = description
        self.debug = debug

    def body(self) -> dict[str, str]:
        out = {"error": self.error}
        if self.description:
            out["error_description"] = self.description
        return out

    def response(self) -> ProtocolResponse:
        return ProtocolResponse.json(self.status, self.body())


class InvalidRequest(OAuth2Error):
    error = "invalid_request"


class InvalidClient(OAuth2Error):
    """RFC 6749 §5.2: 401 with a WWW-Authenticate challenge when the client used Basic."""

    error = "invalid_client"
    status = 401

    def __init__(self, description: str = "", debug: str | None = None, basic: bool = True):
        super().__init__(description, debug)
        self.basic = basic

    def response(self) -> ProtocolResponse:
        resp = super().response()
        resp.headers["www-authenticate"] = 'Basic realm="identra", error="invalid_client"'
        return resp


class InvalidGrant(OAuth2Error):
    error = "invalid_grant"


class UnauthorizedClient(OAuth2Error):
    error = "unauthorized_client"


class UnsupportedGrantType(OAuth2Error):
    error = "unsupported_grant_type"


class InvalidScope(OAuth2Error):
    error = "invalid_scope"


class AccessDenied(OAuth2Error):
    error = "access_denied"
    status = 403


class InvalidToken(OAuth2Error):
    """RFC 6750 §3.1, for protected resources."""

    error = "invalid_token"
    status = 401

    def response(self) -> ProtocolResponse:
        resp = super().response()
        challenge = 'Bearer realm="identra", error="invalid_token"'
        if self.description:
            challenge += f', error_description="{self.description}"'
        resp.headers["www-authenticate"] = challenge
        return resp


class InsufficientScope(OAuth2Error):
    error = "insufficient_scope"
    status = 403


class TemporarilyUnavailable(OAuth2Error):
    error = "temporarily_unavailable"
    status = 503


class UnsupportedResponseType(OAuth2Error):
    """RFC 6749 §4.1.2.1."""

    error = "unsupported_response_type"


class ServerError(OAuth2Error):
    """RFC 6749 §4.1.2.1: the authorization server met an unexpected condition."""

    error = "server_error"
    status = 500


class UnsupportedTokenType(OAuth2Error):
    """RFC 7009 §2.2.1: the server cannot revoke tokens of this type."""

    error = "unsupported_token_type"


class InvalidTarget(OAuth2Error):
    """RFC 8707 §2 / RFC 8693 §2.2.2: a requested resource or audience is not acceptable."""

    error = "invalid_target"


class AuthorizationPending(OAuth2Error):
    """RFC 8628 §3.5: the user has not yet approved the device request."""

    error = "authorization_pending"


class SlowDown(OAuth2Error):
    """RFC 8628 §3.5: polling too fast; the interval grows by 5 seconds."""

    error = "slow_down"


class ExpiredToken(OAuth2Error):
    """RFC 8628 §3.5: the device_code has expired."""

    error = "expired_token"


class DeviceAccessDenied(OAuth2Error):
    """RFC 8628 §3.5: the user denied the device request (a token-endpoint error, so 400)."""

    error = "access_denied"


class InvalidDpopProof(OAuth2Error):
    """RFC 9449 §5 / §7.1: the DPoP proof is missing, malformed or does not match."""

    error = "invalid_dpop_proof"


class UseDpopNonce(OAuth2Error):
    """RFC 9449 §8: the server requires a server-provided nonce in the DPoP proof."""

    error = "use_dpop_nonce"


class InvalidRequestUri(OAuth2Error):
    """RFC 9126 §4 / RFC 9101 §7: the ``request_uri`` is unknown, expired, used or not ours."""

    error = "invalid_request_uri"


class InvalidRedirectUri(OAuth2Error):
    """RFC 7591 §3.2.2: a registered redirect URI is not acceptable."""

    error = "invalid_redirect_uri"


class InvalidClientMetadata(OAuth2Error):
    """RFC 7591 §3.2.2: a client metadata value is invalid."""

    error = "invalid_client_metadata"
