"""The built-in authenticators. Issue 4 adds OTP, TOTP, passkeys, federation and more here."""

from __future__ import annotations

BUILT_IN = {
    "password": "identra.authenticators.password.authenticator:PasswordAuthenticator",
}
