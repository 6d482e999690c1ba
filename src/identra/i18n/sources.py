"""English texts shown on the hosted pages that are written where ``N_`` cannot mark them:
f-strings, class attributes (option labels), titles and constants of modules other layers own.

Each entry names the module (relative to ``src/identra``) whose code contains the text; the
extraction test checks that it still does (an f-string field counts as any ``{name}``), so a
reworded text shows up as a stale catalog key instead of silently staying English. A text here
is translated like any other (:func:`identra.i18n.catalog.translate`): exactly, or by matching
the formatted English against the ``{name}`` placeholders.
"""

from __future__ import annotations

RUNTIME: dict[str, tuple[str, ...]] = {
    "flows/engine.py": (
        "Save this",
        "Protect your account",
        "Too many sessions",
        "Access denied",
        "Access denied.",
        "This link is no longer valid for this sign-in.",
        "You are already signed in elsewhere. Sign out there first.",
        "You are already signed in {count} times. Sign out of another session first.",
    ),
    "flows/interface.py": ("Sign in",),
    # Option labels (Challenge options, "Set up {method}") and the words of formatted messages
    # (catalog.WORD_PARAMETERS: thing, things, attempts, destination_kind, label).
    "authenticators/password/plugin.py": ("Password", "This link cannot be used here."),
    "authenticators/email_otp/plugin.py": ("Code by email",),
    "authenticators/sms_otp/plugin.py": ("Code by text message", "phone number"),
    "authenticators/magic_link/plugin.py": ("Link by email", "link", "links"),
    "authenticators/totp/plugin.py": ("Authenticator app",),
    "authenticators/passkey/plugin.py": ("Passkey",),
    "authenticators/backup_codes/plugin.py": ("Backup code",),
    "authenticators/federated/option.py": (
        "Sign in with an identity provider",
        "Sign in with {idp}",
    ),
    "authenticators/email_otp/channels.py": ("verified email address",),
    "authenticators/email_otp/outofband.py": (
        "code",
        "codes",
        "try",
        "tries",
        "We sent a {thing} to {destination}. It expires in {minutes} minutes.",
        "If {identifier} has an account that can receive it, we sent a {thing} to its "
        "{destination_kind}. It expires in {minutes} minutes.",
    ),
    # Error pages and notices of the web layer.
    "web/login/routes.py": ("Unknown organization.", "This sign-in link is incomplete."),
    "web/device.py": ("Unknown organization.", "Device sign-in is not available."),
    "web/oauth.py": ("Unknown organization.", "The form expired. Please try again."),
    "web/account/portal.py": (
        "This form has expired. Please try again.",
        "This setup has expired or belongs to another window. Start again.",
        "Choose one of the methods listed on this page.",
        "You have signed out of this session.",
        "That session has already ended.",
        "The session was signed out.",
        "You have signed out.",
        "This sign-in has expired or was started in another browser.",
        "Sign-in was cancelled.",
        "Your sign-in methods are up to date.",
        "Setup cancelled; nothing was added.",
        "{label} was added to your account.",
    ),
    # The consent page: scope descriptions and its errors.
    "protocols/oidc/consent.py": (
        "Sign you in and know your user identifier",
        "Read your profile: name, username, picture, locale",
        "Read your email address",
        "Read your phone number",
        "Read your postal address",
        "Keep access when you are not using the application",
    ),
    "protocols/oauth2/endpoints/authorize.py": (
        "Your session has ended. Start again.",
        "The form expired. Please try again.",
    ),
}
