"""The authorization response, in the client's response mode.

- OAuth 2.0 Multiple Response Type Encoding Practices §2.1: ``query`` (the default for
  ``code``) and ``fragment``; RFC 6749 §3.1.2: the query of the registered redirect URI is
  kept.
- OAuth 2.0 Form Post Response Mode §2: ``form_post``, an auto-submitting HTML form (the web
  layer renders :class:`FormPost`, with a visible button for browsers without JavaScript).
- RFC 6749 §4.1.2.1: errors carry ``error``, ``error_description`` (restricted to
  %x20-21 / %x23-5B / %x5D-7E) and ``state``; RFC 9207 §2: ``iss`` on every response.
- Errors that must not be redirected become an :class:`ErrorPage`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit, urlunsplit

from identra.protocols.oauth2.errors import OAuth2Error

_DESCRIPTION_UNSAFE = re.compile(r"[^\x20\x21\x23-\x5b\x5d-\x7e]")


@dataclass(frozen=True)
class Redirect:
    location: str


@dataclass(frozen=True)
class FormPost:
    """OAuth 2.0 Form Post Response Mode §2: an auto-submitting form to the client."""

    action: str
    fields: dict[str, str]


@dataclass(frozen=True)
class ErrorPage:
    error: str
    description: str
    status: int = 400


def with_params(uri: str, mode: str, params: dict[str, str]) -> str:
    parts = urlsplit(uri)
    encoded = urlencode(params)
    if mode == "fragment":
        return urlunsplit((parts.scheme, parts.netloc, parts.path, parts.query, encoded))
    # RFC 6749 §3.1.2: the query component of the registered URI MUST be retained.
    query = f"{parts.query}&{encoded}" if parts.query else encoded
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))


def deliver(redirect: str, mode: str, params: dict[str, str]) -> Redirect | FormPost:
    if mode == "form_post":
        return FormPost(redirect, params)
    return Redirect(with_params(redirect, mode, params))


def error_params(error: OAuth2Error, state: str | None, issuer: str) -> dict[str, str]:
    params = {"error": error.error}
    if error.description:
        params["error_description"] = _DESCRIPTION_UNSAFE.sub("?", error.description)[:300]
    if state is not None:
        params["state"] = state
    params["iss"] = issuer  # RFC 9207 §2: also on error responses
    return params


def error_page(error: OAuth2Error) -> ErrorPage:
    return ErrorPage(error.error, error.description, 400 if error.status < 500 else error.status)
