"""Protocol code (OAuth 2, OIDC, SAML, SCIM), free of the web framework and of SQLAlchemy."""
