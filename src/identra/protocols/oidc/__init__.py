"""OpenID Connect on top of OAuth 2: discovery, ID tokens, userinfo, logout."""
