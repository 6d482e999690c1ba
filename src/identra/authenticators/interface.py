"""The one small interface every authenticator package implements.

A flow step offers one or more *options* (``password``, ``sms-otp``, ``idp:google``...). The
flow engine finds the authenticator that :meth:`Authenticator.handles` an option and drives it:

- :meth:`prompt` returns the fragment to show for the option on the step page;
- :meth:`submit` receives the option's form (the engine has already checked the CSRF token and
  the browser binding) and answers with a new prompt (an error, or the next phase such as "code
  sent"), :class:`Passed`, or :class:`Redirect` to send the browser elsewhere;
- :meth:`callback` receives the browser coming back from elsewhere (an upstream identity
  provider, a link in an email). No CSRF token is available there, so the authenticator must
  check its own unguessable ``state``/token kept in :attr:`AuthContext.scratch`.

Per-option state lives in ``AuthContext.scratch``: a JSON-safe dict that the engine stores in
the flow context (the cache backend), so any node can serve the next request. Never put a
secret in it in clear: store digests (one-time codes) or encrypted values.

An authenticator that users enroll (TOTP, passkeys, backup codes) also implements
:class:`Enroller`; the flow's ``enroll`` step and the My Account portal both use it.

Packages are found by :mod:`identra.authenticators.registry`: a package ``<name>`` with a
module ``plugin`` exposing ``create(deps: AuthenticatorDeps) -> Authenticator``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from identra.services import Services


@dataclass
class AuthContext:
    """What an authenticator knows about the login in progress."""

    org_id: str
    flow_id: str
    option: str  # the option as written in the flow ("idp:google")
    issuer: str  # base URL of the organization's pages (no trailing slash)
    client_id: str
    client_name: str
    now: int
    ip: str | None = None
    user_id: str | None = None  # set once an earlier step identified the user
    username: str | None = None  # what the user typed at an identifier step, or login_hint
    identified: bool = False  # the username came from an identifier step: do not ask again
    passed: tuple[str, ...] = ()  # options already passed in this flow (authenticated if any)
    locales: tuple[str, ...] = ()
    scratch: dict[str, Any] = field(default_factory=dict)  # this option's persisted state

    @property
    def step_url(self) -> str:
        """The URL of the step page (forms post here)."""
        return f"{self.issuer}/login/{self.flow_id}"

    @property
    def callback_url(self) -> str:
        """Where an email link for this flow points (routed to :meth:`Authenticator.callback`)."""
        return f"{self.issuer}/login/{self.flow_id}/callback"


@dataclass(frozen=True)
class Prompt:
    """A fragment of the step page: ``templates/login/options/<template>.html``.

    ``values`` are passed to the template as ``option.values`` (never secrets). ``engaged``
    means the option has taken over the step (a code was sent, a link mailed): the page then
    shows this option alone, with a way back to the others.
    """

    template: str
    values: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    status: int = 200
    engaged: bool = False


@dataclass(frozen=True)
class Passed:
    """The option authenticated ``user_id``; ``amr`` per RFC 8176."""

    user_id: str
    amr: tuple[str, ...]


@dataclass(frozen=True)
class Redirect:
    """Send the browser to ``url`` (an upstream identity provider)."""

    url: str


Outcome = Prompt | Passed | Redirect


@runtime_checkable
class Authenticator(Protocol):
    name: str  # the option name, or a prefix ending in ":" for parameterised options ("idp:")
    # Can the option identify a user on its own (a first factor)? A second factor (sms-otp,
    # totp) needs an earlier step to have identified the user.
    first_factor: bool
    label: str  # shown on buttons offering the option

    def handles(self, option: str) -> bool: ...

    async def available(self, ctx: AuthContext) -> bool:
        """Whether to offer the option (e.g. TOTP only to users who enrolled it)."""
        ...

    async def prompt(self, ctx: AuthContext) -> Prompt: ...

    async def submit(self, ctx: AuthContext, form: Mapping[str, str]) -> Outcome: ...

    async def callback(self, ctx: AuthContext, params: Mapping[str, str]) -> Outcome: ...


@dataclass(frozen=True)
class Enrolled:
    """Enrollment finished; ``show`` is an optional fragment to show once (backup codes)."""

    credential_id: str
    show: Prompt | None = None


@runtime_checkable
class Enroller(Protocol):
    kind: str  # the credential kind it creates (totp | passkey | backup_codes)
    label: str

    async def enrolled(self, org_id: str, user_id: str) -> bool:
        """Whether the user already has a credential of this kind."""
        ...

    async def enroll_prompt(self, ctx: AuthContext) -> Prompt: ...

    async def enroll_submit(
        self, ctx: AuthContext, form: Mapping[str, str]
    ) -> Prompt | Enrolled: ...


@dataclass(frozen=True)
class AuthenticatorDeps:
    """What a package's ``create()`` gets: the shared services (database, cache, secret box,
    clock, settings) and the outbound senders for email and SMS."""

    services: Services
    senders: Any = None  # identra.notify.Senders once configured; None when not available


class NotEnabled(Exception):
    """Raised by ``create()`` when the authenticator cannot work with the current settings
    (e.g. no SMS provider configured); the registry leaves it out."""


def option_prefix(option: str) -> str:
    """``idp:google`` -> ``idp:``; ``password`` -> ``password``."""
    head, sep, _ = option.partition(":")
    return head + sep
