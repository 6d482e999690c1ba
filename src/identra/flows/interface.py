"""The contract between protocols and the login flow engine.

A protocol (OIDC ``/authorize`` today; SAML SSO and CIBA later) that needs a user to
authenticate builds a :class:`LoginRequest`, calls :meth:`FlowEngine.start` and sends the
browser where it says. When the flow is finished the browser comes back to
``LoginRequest.return_to`` and the protocol asks :meth:`FlowEngine.result` who logged in.

Protocol code depends on this module only: it never imports an authenticator, and the flow
engine never imports a protocol. Everything here is plain data that round-trips through JSON.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True)
class LoginRequest:
    """What the flow needs to know about the interaction that asked for a login."""

    interaction_id: str
    org_id: str
    issuer: str  # base URL of the organization's pages
    client_id: str
    client_name: str
    return_to: str  # where the browser goes once the flow has finished (or was cancelled)
    browser: str  # digest of the browser-binding cookie; the flow's pages must match it
    login_hint: str | None = None
    acr_values: tuple[str, ...] = ()
    ui_locales: tuple[str, ...] = ()
    # The user that must log in (from id_token_hint or an existing session being refreshed).
    expected_user_id: str | None = None
    force: bool = False  # prompt=login / max_age exceeded: do not reuse anything

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["acr_values"] = list(self.acr_values)
        data["ui_locales"] = list(self.ui_locales)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LoginRequest:
        values = dict(data)
        values["acr_values"] = tuple(values.get("acr_values", ()))
        values["ui_locales"] = tuple(values.get("ui_locales", ()))
        return cls(**values)


@dataclass(frozen=True)
class LoginResult:
    """Who logged in, and how (OIDC Core §2: ``auth_time``, ``acr``, ``amr``)."""

    user_id: str
    auth_time: int
    amr: tuple[str, ...] = ()
    acr: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "user_id": self.user_id,
            "auth_time": self.auth_time,
            "amr": list(self.amr),
            "acr": self.acr,
            "extra": self.extra,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LoginResult:
        return cls(
            user_id=str(data["user_id"]),
            auth_time=int(data["auth_time"]),
            amr=tuple(data.get("amr", ())),
            acr=data.get("acr"),
            extra=dict(data.get("extra") or {}),
        )


@dataclass(frozen=True)
class LoginAborted:
    """The user cancelled, or the flow denied access (the protocol answers access_denied)."""

    reason: str = "the user cancelled the login"


class FlowEngine(Protocol):
    """The only thing protocols know about login flows."""

    @property
    def acr_values_supported(self) -> tuple[str, ...]: ...

    async def start(self, request: LoginRequest) -> str:
        """Prepare a flow for ``request``; returns the URL to send the browser to."""
        ...

    async def result(self, interaction_id: str) -> LoginResult | LoginAborted | None:
        """The outcome of the flow started for ``interaction_id``; None while unfinished.

        Reading the outcome consumes it: a second call returns None.
        """
        ...


# ----------------------------------------------------------------------------------------
# The browser side: what the hosted login pages ask a flow to do.


@dataclass(frozen=True)
class OptionView:
    """One authenticator option on a step page: ``login/options/<template>.html``."""

    option: str  # as written in the flow ("password", "idp:google")
    label: str
    template: str
    values: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    engaged: bool = False


@dataclass(frozen=True)
class Challenge:
    """A page to show: ``login/<component>.html`` (``step``, ``identify``, ``sessions``,
    ``denied``...) with these values; a ``step`` page includes each option's fragment."""

    component: str
    flow_id: str
    csrf: str
    client_name: str
    values: dict[str, Any] = field(default_factory=dict)  # prefilled inputs (never secrets)
    error: str | None = None
    status: int = 200
    title: str = "Sign in"
    options: tuple[OptionView, ...] = ()
    # The OIDC ``ui_locales`` of the login request: the page's language (docs/i18n.md).
    locales: tuple[str, ...] = ()


@dataclass(frozen=True)
class Finished:
    """The flow is over: send the browser back to the protocol."""

    return_to: str


@dataclass(frozen=True)
class FlowProblem:
    """The flow cannot go on (unknown, expired, or another browser's): an error page."""

    message: str
    status: int = 400


class FlowExecutor(Protocol):
    async def view(
        self, flow_id: str, browser: str, ip: str | None = None
    ) -> Challenge | Finished | FlowProblem: ...

    async def submit(
        self, flow_id: str, browser: str, form: dict[str, str], ip: str | None
    ) -> Challenge | Finished | FlowProblem: ...

    async def callback(
        self, flow_id: str, browser: str, params: dict[str, str], ip: str | None
    ) -> Challenge | Finished | FlowProblem:
        """The browser came back from elsewhere (an upstream identity provider, an email
        link) to the flow's current option; no CSRF token, the option checks its own state."""
        ...
