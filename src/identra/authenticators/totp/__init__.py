"""Time-based one-time passwords from an authenticator app (RFC 6238), a second factor."""
