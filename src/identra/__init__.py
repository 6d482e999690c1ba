"""Identra: an OAuth 2 / OpenID Connect, SAML 2.0 and SCIM 2.0 identity server."""

__version__ = "0.1.0"
