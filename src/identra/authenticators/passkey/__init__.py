"""Passkeys (WebAuthn): discoverable, user-verified credentials; a first factor."""
