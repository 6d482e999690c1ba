"""``/account``: the My Account portal (see docs/decisions/0040-my-account-session.md).

The portal is a first-party page of the organization's issuer: it reads the organization's SSO
session cookie directly. Without a session it starts the organization's login flow through the
same hand-off as ``/authorize`` (``FlowEngine.start`` with a browser-bound ``LoginRequest``) and,
when the flow has finished, starts or refreshes the SSO session exactly as ``/authorize`` does.
Changes that need proof of presence ask for the current password or a sign-in less than
``RECENT`` seconds ago (a "sign in again" link restarts the flow with ``force``).
"""

from __future__ import annotations

import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from identra.authenticators.interface import AuthContext, Enrolled, Enroller, Prompt
from identra.flows.interface import Challenge, LoginAborted, LoginRequest, LoginResult, OptionView
from identra.observability import audit
from identra.protocols.oidc.session import SsoSession
from identra.selfservice.account import NEEDS_RECENT, Profile
from identra.selfservice.common import Done, Errors, Refused, org_policy
from identra.web.account.support import Page, background_of, page, read_form
from identra.web.login.cookies import remember_browser

PORTAL_CLIENT_ID = "identra-account"
PORTAL_NAME = "My Account"
RECENT = 600  # seconds since sign-in within which sensitive changes need no new sign-in
LOGIN_TTL = 1800
ENROLL_TTL = 900
SECTIONS = ("profile", "password", "security", "sessions", "apps", "linked")
PATHS = {
    "profile": "/account",
    "password": "/account/password",
    "security": "/account/security",
    "sessions": "/account/sessions",
    "apps": "/account/apps",
    "linked": "/account/linked",
}
_LOGIN = "ss-portal:"
_ENROLL = "ss-enroll:"
CSRF_EXPIRED = "This form has expired. Please try again."
ENROLL_EXPIRED = "This setup has expired or belongs to another window. Start again."
UNKNOWN_METHOD = "Choose one of the methods listed on this page."


@dataclass
class Signed:
    """A request of a signed-in user."""

    p: Page
    session: SsoSession
    profile: Profile

    @property
    def now(self) -> int:
        return self.p.rt.services.clock.timestamp()

    @property
    def recent(self) -> bool:
        return self.now - self.session.auth_time <= RECENT

    @property
    def csrf(self) -> str:
        return self.p.csrf(f"account:{self.session.id}")

    def csrf_ok(self, form: dict[str, str]) -> bool:
        return self.p.csrf_ok(form, f"account:{self.session.id}")

    @property
    def org_id(self) -> str:
        return self.p.tenant.org_id

    @property
    def user_id(self) -> str:
        return self.session.user_id


async def _signed(p: Page) -> Signed | None:
    rt = p.rt.interactive
    org_id = p.tenant.org_id
    value = p.request.cookies.get(rt.cookies.session_name(org_id))
    session = await rt.sessions.load(value, org_id, p.rt.services.clock.timestamp())
    if session is None:
        return None
    profile = await p.rt.account.profile(org_id, session.user_id)
    if profile is None or not profile.active:
        return None
    return Signed(p, session, profile)


def _to_login(p: Page, section: str, reauth: bool = False) -> Response:
    query = f"?section={section}" + ("&reauth=1" if reauth else "")
    response = RedirectResponse(f"{p.prefix}/account/login{query}", status_code=303)
    remember_browser(response, p.rt.interactive.cookies, p.cookie)
    return response


async def _enter(request: Request, section: str) -> Signed | Response:
    p = await page(request)
    if isinstance(p, Response):
        return p
    signed = await _signed(p)
    if signed is None:
        return _to_login(p, section)
    return signed


# ---- rendering ------------------------------------------------------------------------------


async def _section_data(s: Signed, section: str) -> dict[str, Any]:
    account = s.p.rt.account
    if section == "password":
        return {"policy": await org_policy(s.p.rt.deps, s.org_id)}
    if section == "security":
        enrollers = s.p.rt.authenticators.enrollers()
        return {
            "credentials": await account.credentials(s.org_id, s.user_id),
            "enrollers": [(name, e.label) for name, e in sorted(enrollers.items())],
        }
    if section == "sessions":
        rows = await s.p.rt.deps.sessions.active(s.org_id, s.user_id)
        return {
            "sessions": [
                {
                    "id": row.id,
                    "current": row.id == s.session.id,
                    "started": _when(row.created_at),
                    "ip": row.ip,
                    "user_agent": row.user_agent,
                }
                for row in rows
            ]
        }
    if section == "apps":
        return {"consents": await account.consents(s.org_id, s.user_id)}
    if section == "linked":
        return {"links": await account.linked(s.org_id, s.user_id)}
    return {}


def _when(timestamp: int) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M UTC")


async def _show(
    s: Signed,
    section: str,
    status: int = 200,
    *,
    errors: Errors | None = None,
    message: str | None = None,
    values: dict[str, str] | None = None,
    result: Done | None = None,
) -> Response:
    if s.profile.user_id and section == "profile":
        # Reload after a change so the page shows what is stored.
        fresh = await s.p.rt.account.profile(s.org_id, s.user_id)
        if fresh is not None:
            s.profile = fresh
    data = await _section_data(s, section)
    reauth = bool(errors and NEEDS_RECENT in errors.get("", []))
    response = s.p.render(
        f"account/{section}.html",
        status,
        errors=errors,
        background=background_of(result) if result is not None else None,
        section=section,
        paths=PATHS,
        profile=s.profile,
        session=s.session,
        recent=s.recent,
        csrf=s.csrf,
        message=message,
        values=values or {},
        reauth_url=f"{s.p.prefix}/account/login?section={section}&reauth=1" if reauth else None,
        **data,
    )
    return response


async def _answer(
    s: Signed, section: str, result: Done | Refused, values: dict[str, str] | None = None
) -> Response:
    if isinstance(result, Refused):
        return await _show(s, section, result.status, errors=result.errors, values=values)
    return await _show(s, section, message=result.values.get("message"), result=result)


async def _post(request: Request, section: str) -> tuple[Signed, dict[str, str]] | Response:
    entered = await _enter(request, section)
    if isinstance(entered, Response):
        return entered
    form = await read_form(request)
    if not entered.csrf_ok(form):
        return await _show(entered, section, 403, errors={"": [CSRF_EXPIRED]})
    return entered, form


# ---- pages --------------------------------------------------------------------------------


def section_page(section: str) -> Any:
    async def endpoint(request: Request) -> Response:
        entered = await _enter(request, section)
        if isinstance(entered, Response):
            return entered
        return await _show(entered, section)

    endpoint.__name__ = f"account_{section}"
    return endpoint


async def profile_post(request: Request) -> Response:
    posted = await _post(request, "profile")
    if isinstance(posted, Response):
        return posted
    s, form = posted
    result = await s.p.rt.account.update_profile(s.org_id, s.user_id, form, s.p.ip)
    values = {k: form.get(k, "") for k in ("given_name", "family_name", "locale")}
    return await _answer(s, "profile", result, values if isinstance(result, Refused) else None)


async def email_post(request: Request) -> Response:
    posted = await _post(request, "profile")
    if isinstance(posted, Response):
        return posted
    s, form = posted
    result = await s.p.rt.account.request_email_change(
        s.org_id, s.p.tenant.issuer, s.user_id, form.get("email", ""), recent=s.recent, ip=s.p.ip
    )
    return await _answer(s, "profile", result, {"email": form.get("email", "")})


async def email_verify(request: Request) -> Response:
    p = await page(request)
    if isinstance(p, Response):
        return p
    token = request.query_params.get("token", "")[:256]
    result = await p.rt.account.confirm_email_change(p.tenant.org_id, token, p.ip)
    if isinstance(result, Refused):
        return p.render("account/email_invalid.html", result.status, errors=result.errors)
    response = p.render("account/email_verified.html", email=result.values.get("email", ""))
    response.background = background_of(result)
    return response


async def password_post(request: Request) -> Response:
    posted = await _post(request, "password")
    if isinstance(posted, Response):
        return posted
    s, form = posted
    result = await s.p.rt.account.change_password(
        s.org_id, s.user_id, form, recent=s.recent, keep_sid=s.session.id, ip=s.p.ip
    )
    return await _answer(s, "password", result)


async def credential_remove(request: Request) -> Response:
    posted = await _post(request, "security")
    if isinstance(posted, Response):
        return posted
    s, form = posted
    result = await s.p.rt.account.remove_credential(
        s.org_id,
        s.user_id,
        form.get("credential", ""),
        form.get("password", ""),
        recent=s.recent,
        ip=s.p.ip,
    )
    return await _answer(s, "security", result)


async def session_end(request: Request) -> Response:
    posted = await _post(request, "sessions")
    if isinstance(posted, Response):
        return posted
    s, form = posted
    sid = form.get("session", "")[:64]
    if sid == s.session.id:
        return await _sign_out(s, "You have signed out of this session.")
    ended = await s.p.rt.deps.sessions.end_one(s.org_id, s.user_id, sid)
    if not ended:
        return await _show(s, "sessions", 404, errors={"": ["That session has already ended."]})
    async with s.p.rt.services.sessions.begin() as db:
        audit.record(
            db,
            org_id=s.org_id,
            action="session.revoke",
            actor=audit.Actor("user", s.user_id, s.p.ip),
            target_type="session",
            target_id=sid,
        )
    return await _show(s, "sessions", message="The session was signed out.")


async def consent_revoke(request: Request) -> Response:
    posted = await _post(request, "apps")
    if isinstance(posted, Response):
        return posted
    s, form = posted
    result = await s.p.rt.account.revoke_consent(s.org_id, s.user_id, form.get("application", ""))
    return await _answer(s, "apps", result)


async def unlink(request: Request) -> Response:
    posted = await _post(request, "linked")
    if isinstance(posted, Response):
        return posted
    s, form = posted
    result = await s.p.rt.account.unlink(
        s.org_id, s.user_id, form.get("link", "")[:36], recent=s.recent, ip=s.p.ip
    )
    return await _answer(s, "linked", result)


async def _sign_out(s: Signed, message: str) -> Response:
    rt = s.p.rt.interactive
    await rt.terminator.end(s.session, s.p.tenant.issuer)
    async with s.p.rt.services.sessions.begin() as db:
        audit.record(
            db,
            org_id=s.org_id,
            action="session.revoke",
            actor=audit.Actor("user", s.user_id, s.p.ip),
            target_type="session",
            target_id=s.session.id,
        )
    response = s.p.render("account/signed_out.html", message=message)
    rt.cookies.clear(response, rt.cookies.session_name(s.org_id))
    return response


async def logout(request: Request) -> Response:
    posted = await _post(request, "profile")
    if isinstance(posted, Response):
        return posted
    s, _form = posted
    return await _sign_out(s, "You have signed out.")


# ---- signing in -----------------------------------------------------------------------------


async def login_start(request: Request) -> Response:
    p = await page(request)
    if isinstance(p, Response):
        return p
    section = request.query_params.get("section", "profile")
    if section not in SECTIONS:
        section = "profile"
    reauth = request.query_params.get("reauth") == "1"
    current = await _signed(p)
    if current is not None and not reauth:
        response: Response = RedirectResponse(f"{p.prefix}{PATHS[section]}", status_code=303)
        return response
    interaction = secrets.token_urlsafe(18)
    record = {"v": 1, "org": p.tenant.org_id, "browser": p.cookie.digest, "section": section}
    await p.rt.services.cache.set(_LOGIN + interaction, json.dumps(record), ttl=LOGIN_TTL)
    login = LoginRequest(
        interaction_id=interaction,
        org_id=p.tenant.org_id,
        issuer=p.tenant.issuer,
        client_id=PORTAL_CLIENT_ID,
        client_name=PORTAL_NAME,
        return_to=f"{p.tenant.issuer}/account/login/{interaction}",
        browser=p.cookie.digest,
        expected_user_id=current.user_id if current is not None else None,
        force=reauth,
    )
    url = await p.rt.interactive.flow.start(login)
    response = RedirectResponse(url, status_code=303)
    remember_browser(response, p.rt.interactive.cookies, p.cookie)
    return response


async def login_return(request: Request) -> Response:
    p = await page(request)
    if isinstance(p, Response):
        return p
    interaction = request.path_params["interaction"][:64]
    cache = p.rt.services.cache
    raw = await cache.get(_LOGIN + interaction)
    record: dict[str, Any] | None = json.loads(raw) if raw else None
    if (
        record is None
        or record.get("org") != p.tenant.org_id
        or not hmac.compare_digest(str(record.get("browser", "")), p.cookie.digest)
    ):
        return p.render(
            "account/signed_out.html",
            400,
            message="This sign-in has expired or was started in another browser.",
        )
    section = str(record.get("section", "profile"))
    outcome = await p.rt.interactive.flow.result(interaction)
    if outcome is None:
        return _to_login(p, section)
    await cache.delete(_LOGIN + interaction)
    if isinstance(outcome, LoginAborted):
        return p.render("account/signed_out.html", message="Sign-in was cancelled.")
    cookie = await _start_session(p, outcome)
    response = RedirectResponse(f"{p.prefix}{PATHS.get(section, '/account')}", status_code=303)
    rt = p.rt.interactive
    rt.cookies.set(response, rt.cookies.session_name(p.tenant.org_id), cookie)
    return response


async def _start_session(p: Page, login: LoginResult) -> str:
    """As ``/authorize`` does: the same user keeps the session (new cookie value); another
    user's session ends first (with back-channel logout)."""
    rt = p.rt.interactive
    now = p.rt.services.clock.timestamp()
    org_id = p.tenant.org_id
    current = await rt.sessions.load(
        p.request.cookies.get(rt.cookies.session_name(org_id)), org_id, now
    )
    if current is not None and current.user_id == login.user_id:
        return await rt.sessions.reauthenticate(current, login, now)
    if current is not None:
        await rt.terminator.end(current, p.tenant.issuer)
    cookie, _session = await rt.sessions.create(
        org_id, login, now, p.ip, p.request.headers.get("user-agent")
    )
    return cookie


# ---- enrolling MFA credentials ----------------------------------------------------------


def _context(s: Signed, enroll_id: str, option: str, scratch: dict[str, Any]) -> AuthContext:
    return AuthContext(
        org_id=s.org_id,
        flow_id=enroll_id,
        option=option,
        issuer=s.p.tenant.issuer.rstrip("/"),
        client_id=PORTAL_CLIENT_ID,
        client_name=PORTAL_NAME,
        now=s.now,
        ip=s.p.ip,
        user_id=s.user_id,
        username=s.profile.username,
        identified=True,
        scratch=scratch,
    )


def _enroll_page(
    s: Signed, enroll_id: str, option: str, enroller: Enroller, prompt: Prompt, shown: bool
) -> Response:
    challenge = Challenge(
        component="enroll",
        flow_id=enroll_id,
        csrf=s.csrf,
        client_name=PORTAL_NAME,
        values={},
        error=prompt.error,
        status=prompt.status,
        title=f"Set up {enroller.label}",
    )
    view = OptionView(option, enroller.label, prompt.template, prompt.values, prompt.error, True)
    return s.p.render(
        "account/enroll.html",
        prompt.status,
        script=True,
        challenge=challenge,
        option=view,
        label=enroller.label,
        shown=shown,
        action=f"{s.p.prefix}/account/security/enroll/{enroll_id}",
        paths=PATHS,
        section="security",
        profile=s.profile,
        csrf=s.csrf,
    )


async def enroll_start(request: Request) -> Response:
    posted = await _post(request, "security")
    if isinstance(posted, Response):
        return posted
    s, form = posted
    if not s.recent:
        return await _show(s, "security", 401, errors={"": [NEEDS_RECENT]})
    option = form.get("option", "")[:64]
    enroller = s.p.rt.authenticators.enrollers().get(option)
    if enroller is None:
        return await _show(s, "security", 400, errors={"": [UNKNOWN_METHOD]})
    enroll_id = secrets.token_urlsafe(18)
    ctx = _context(s, enroll_id, option, {})
    prompt = await enroller.enroll_prompt(ctx)
    await _save_enrollment(s, enroll_id, option, ctx.scratch)
    return _enroll_page(s, enroll_id, option, enroller, prompt, False)


async def _save_enrollment(
    s: Signed, enroll_id: str, option: str, scratch: dict[str, Any], done: bool = False
) -> None:
    record = {
        "done": done,
        "v": 1,
        "org": s.org_id,
        "user": s.user_id,
        "sid": s.session.id,
        "option": option,
        "scratch": scratch,
        "expires_at": s.now + ENROLL_TTL,
    }
    await s.p.rt.services.cache.set(_ENROLL + enroll_id, json.dumps(record), ttl=ENROLL_TTL)


async def enroll_continue(request: Request) -> Response:
    posted = await _post(request, "security")
    if isinstance(posted, Response):
        return posted
    s, form = posted
    enroll_id = request.path_params["enrollment"][:64]
    cache = s.p.rt.services.cache
    raw = await cache.get(_ENROLL + enroll_id)
    record: dict[str, Any] | None = json.loads(raw) if raw else None
    if (
        record is None
        or record.get("user") != s.user_id
        or record.get("org") != s.org_id
        or record.get("sid") != s.session.id
        or int(record.get("expires_at", 0)) <= s.now
    ):
        return await _show(s, "security", 400, errors={"": [ENROLL_EXPIRED]})
    option = str(record["option"])
    if record.get("done"):
        # The one-time display (backup codes) was acknowledged.
        await cache.delete(_ENROLL + enroll_id)
        return await _show(s, "security", message="Your sign-in methods are up to date.")
    if form.get("action") == "cancel":
        await cache.delete(_ENROLL + enroll_id)
        return await _show(s, "security", message="Setup cancelled; nothing was added.")
    enroller = s.p.rt.authenticators.enrollers().get(option)
    if enroller is None or form.get("option", option) != option:
        return await _show(s, "security", 400, errors={"": [UNKNOWN_METHOD]})
    ctx = _context(s, enroll_id, option, dict(record.get("scratch") or {}))
    outcome = await enroller.enroll_submit(ctx, form)
    if isinstance(outcome, Prompt):
        await _save_enrollment(s, enroll_id, option, ctx.scratch)
        return _enroll_page(s, enroll_id, option, enroller, outcome, False)
    assert isinstance(outcome, Enrolled)
    if outcome.show is not None:
        await _save_enrollment(s, enroll_id, option, {}, done=True)
    else:
        await cache.delete(_ENROLL + enroll_id)
    # The enroller's store writes the `credential.enrolled` audit record with the new row.
    if outcome.show is not None:
        return _enroll_page(s, enroll_id, option, enroller, outcome.show, True)
    return await _show(s, "security", message=f"{enroller.label} was added to your account.")
