"""When a login is needed (OIDC Core 1.0 §3.1.2.3, §3.1.2.1): the login half of the
interaction policy. Consent is decided in :mod:`identra.protocols.oidc.consent`.

A login is needed when there is no SSO session, or (unless the user just logged in during this
very request) when:
- ``prompt=login`` asks for one; ``prompt=select_account`` too: there is one account per
  organization and browser, so choosing an account means logging in (again);
- ``max_age`` seconds have passed since ``auth_time`` (``max_age=0`` always);
- ``id_token_hint`` names another user than the session's;
- an essential ``acr`` (``claims`` parameter, §5.5.1.1) is not the session's.

With ``prompt=none`` any of these is ``login_required`` (§3.1.2.6).
"""

from __future__ import annotations

from identra.protocols.oidc.session import SsoSession


def login_reason(
    *,
    prompt: list[str],
    max_age: int | None,
    hint_subject: str | None,
    wanted_acr: tuple[str, ...] | None,
    session: SsoSession | None,
    logged_in_here: bool,
    now: int,
) -> str | None:
    """Why a login is needed (the ``error_description`` with prompt=none), or None."""
    if session is None:
        return "the user is not logged in"
    if logged_in_here:
        return None
    if "login" in prompt or "select_account" in prompt:
        return "the client asked for a new login"
    if max_age is not None and now - session.auth_time > max_age:
        return "the last login is older than max_age"
    if hint_subject is not None and session.user_id != hint_subject:
        return "the logged-in user is not the one in id_token_hint"
    if wanted_acr is not None and session.acr not in wanted_acr:
        return "the required authentication context was not met"
    return None
