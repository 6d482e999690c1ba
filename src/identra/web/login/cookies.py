"""The browser cookies of the hosted pages.

- The browser-binding cookie ties interactions and flows to the browser that started them.
- The SSO session cookie holds a random value whose digest keys the session in the cache;
  one per organization.

Both are HttpOnly and SameSite=Lax (sent on the top-level navigation back from a client);
when the issuer is https they are Secure and use the ``__Host-`` prefix (RFC 6265bis §4.1.3.2:
Secure, Path=/, no Domain), so no subdomain can set or shadow them.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response


@dataclass(frozen=True)
class CookiePolicy:
    secure: bool

    @classmethod
    def for_issuer(cls, issuer: str) -> CookiePolicy:
        return cls(secure=issuer.startswith("https://"))

    def name(self, base: str) -> str:
        return f"__Host-{base}" if self.secure else base

    def browser_name(self) -> str:
        return self.name("identra-b")

    def session_name(self, org_id: str) -> str:
        return self.name(f"identra-s-{org_id}")

    def set(self, response: Response, name: str, value: str, max_age: int | None = None) -> None:
        response.set_cookie(
            name,
            value,
            max_age=max_age,
            path="/",
            secure=self.secure,
            httponly=True,
            samesite="lax",
        )

    def clear(self, response: Response, name: str) -> None:
        response.delete_cookie(name, path="/", secure=self.secure, httponly=True, samesite="lax")


@dataclass(frozen=True)
class BrowserCookie:
    value: str
    digest: str
    fresh: bool


def browser_cookie(
    request: Request, policy: CookiePolicy, digest: Callable[[str], str]
) -> BrowserCookie:
    """The browser-binding value, created when absent (the caller must then set the cookie)."""
    value = request.cookies.get(policy.browser_name(), "")
    fresh = not (20 <= len(value) <= 128)
    if fresh:
        value = secrets.token_urlsafe(32)
    return BrowserCookie(value, digest("browser:" + value), fresh)


def remember_browser(response: Response, policy: CookiePolicy, browser: BrowserCookie) -> None:
    if browser.fresh:
        policy.set(response, policy.browser_name(), browser.value)
