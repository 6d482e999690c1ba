"""Routes of the self-service pages, at the root issuer and under ``/o/{org}``:

- ``/register``, ``/register/sent``, ``/register/verify?token=``: self-registration;
- ``/recover``, ``/recover/sent``, ``/recover/reset?token=``: password recovery;
- ``/account`` and its sections (``password``, ``security``, ``sessions``, ``apps``,
  ``linked``), ``/account/login``, ``/account/logout``, ``/account/email/verify?token=``:
  My Account.
"""

from __future__ import annotations

from typing import Any

from starlette.routing import BaseRoute, Route

from identra.web.account import portal, recover, register


def routes() -> list[BaseRoute]:
    def both(path: str, endpoint: Any, methods: list[str]) -> list[BaseRoute]:
        return [
            Route(path, endpoint, methods=methods),
            Route("/o/{org}" + path, endpoint, methods=methods),
        ]

    return [
        *both("/register", register.register, ["GET", "POST"]),
        *both("/register/sent", register.sent, ["GET"]),
        *both("/register/verify", register.verify, ["GET"]),
        *both("/recover", recover.recover, ["GET", "POST"]),
        *both("/recover/sent", recover.sent, ["GET"]),
        *both("/recover/reset", recover.reset, ["GET", "POST"]),
        *both("/account", portal.section_page("profile"), ["GET"]),
        *both("/account/profile", portal.profile_post, ["POST"]),
        *both("/account/email", portal.email_post, ["POST"]),
        *both("/account/email/verify", portal.email_verify, ["GET"]),
        *both("/account/password", portal.section_page("password"), ["GET"]),
        *both("/account/password", portal.password_post, ["POST"]),
        *both("/account/security", portal.section_page("security"), ["GET"]),
        *both("/account/security/remove", portal.credential_remove, ["POST"]),
        *both("/account/security/enroll", portal.enroll_start, ["POST"]),
        *both("/account/security/enroll/{enrollment}", portal.enroll_continue, ["POST"]),
        *both("/account/sessions", portal.section_page("sessions"), ["GET"]),
        *both("/account/sessions/end", portal.session_end, ["POST"]),
        *both("/account/apps", portal.section_page("apps"), ["GET"]),
        *both("/account/apps/revoke", portal.consent_revoke, ["POST"]),
        *both("/account/linked", portal.section_page("linked"), ["GET"]),
        *both("/account/linked/unlink", portal.unlink, ["POST"]),
        *both("/account/login", portal.login_start, ["GET"]),
        *both("/account/login/{interaction}", portal.login_return, ["GET"]),
        *both("/account/logout", portal.logout, ["POST"]),
    ]
