"""OAuth 2.0 (RFC 6749 and extensions): endpoints, grants, client authentication."""
