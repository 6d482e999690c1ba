"""OpenID Connect authorization errors (OIDC Core 1.0 §3.1.2.6), one class per code.

They are returned to the client's redirect URI like the RFC 6749 §4.1.2.1 codes.
"""

from __future__ import annotations

from identra.protocols.oauth2.errors import OAuth2Error


class InteractionRequired(OAuth2Error):
    error = "interaction_required"


class LoginRequired(OAuth2Error):
    error = "login_required"


class AccountSelectionRequired(OAuth2Error):
    error = "account_selection_required"


class ConsentRequired(OAuth2Error):
    error = "consent_required"


class InvalidRequestObject(OAuth2Error):
    error = "invalid_request_object"


class RequestNotSupported(OAuth2Error):
    error = "request_not_supported"


class RequestUriNotSupported(OAuth2Error):
    error = "request_uri_not_supported"


class RegistrationNotSupported(OAuth2Error):
    error = "registration_not_supported"
