"""The pre-issue access token action: the token hook of ``identra.protocols.oauth2.hooks``.

Request (WSO2 IS 7.1, ``PRE_ISSUE_ACCESS_TOKEN``): ``event.request`` (client id, grant type,
requested scopes, headers and parameters without credentials), ``tenant``, ``organization``,
``user`` and ``userStore`` (for tokens about a user), and ``accessToken`` (``tokenType``,
``scopes``, ``claims`` as ``[{name, value}]``); ``allowedOperations`` lists what may change.

Operations (RFC 6902 style, applied in order, indexes refer to the list as it is then):

==========  =======================================  ===========================================
op          path                                     value
==========  =======================================  ===========================================
add         ``/accessToken/claims/{i|-}``            ``{"name": n, "value": v}``: a new claim;
                                                     v a string, number, boolean or string list
remove      ``/accessToken/claims/{name|i}``         an added (custom) claim
replace     ``/accessToken/claims/{name|i}``         a custom claim's new value
replace     ``/accessToken/claims/expires_in``       1..86400 seconds (token exchange: shorter
                                                     only, the subject token bounds it)
add         ``/accessToken/claims/aud/{i|-}``        an audience
remove      ``/accessToken/claims/aud/{i}``          (at least one audience must remain)
replace     ``/accessToken/claims/aud/{i}``          an audience
add         ``/accessToken/scopes/{i|-}``            a scope token
remove      ``/accessToken/scopes/{i}``
replace     ``/accessToken/scopes/{i}``              a scope token
==========  =======================================  ===========================================

Anything else (``iss``, ``sub``, ``client_id``, ``org_id``, ``aut``, the authentication facts,
``/refreshToken/...``, an unknown op or path, a bad value) is a *disallowed operation*: the
whole answer is refused (no operation of it is applied) and the failure policy decides.

``FAILED`` refuses the token: ``failureReason`` becomes the OAuth ``error`` (when it is a valid
error code, else ``access_denied``) and ``failureDescription`` the ``error_description``
(HTTP 400). With ``fail_closed``, a fault answers ``server_error`` (HTTP 500).
"""

from __future__ import annotations

import copy
import json
import math
import re
from dataclasses import dataclass, field, replace
from typing import Any

from identra.actions.caller import Fault, Reply
from identra.actions.model import PRE_ISSUE_ACCESS_TOKEN, ActionSpec, OrgInfo
from identra.actions.runtime import (
    ActionRuntime,
    Applied,
    Rejected,
    Unavailable,
    UserInfo,
    envelope,
    for_services,
    org_blocks,
    store_block,
    user_block,
    user_text,
)
from identra.observability import audit
from identra.protocols.oauth2.errors import OAuth2Error, ServerError
from identra.protocols.oauth2.hooks import PROTECTED, TokenDraft
from identra.services import Services

TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
MAX_EXPIRES_IN = 86_400
MAX_CLAIM_NAME = 128
MAX_STRING = 1024
MAX_LIST = 100
MAX_CUSTOM_BYTES = 16 * 1024
SCOPE_TOKEN = re.compile(r"^[\x21\x23-\x5B\x5D-\x7E]{1,128}$")
ERROR_CODE = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
# Shown in the event, never changeable (besides hooks.PROTECTED).
FIXED = frozenset({*PROTECTED, "aut", "subject_type", "aud", "expires_in"})
# Not shown in the event: derived, or internal to Identra.
HIDDEN = frozenset({"exp", "iat", "nbf", "jti", "scope", "cnf", "grant_id"})
SENSITIVE_PARAMS = re.compile(r"secret|password|token|code|assertion|credential|verifier", re.I)
SENSITIVE_HEADERS = re.compile(r"auth|cookie|token|secret|key|password|session|dpop", re.I)


class ActionRefused(OAuth2Error):
    """The service answered FAILED: its reason and description, as an OAuth error."""

    def __init__(self, reason: str, description: str) -> None:
        super().__init__(user_text(description, 500) or "the token was refused")
        self.error = reason if ERROR_CODE.match(reason) else "access_denied"


def _printable_ascii(text: str) -> str:
    # RFC 6749 §5.2: error_description is %x20-21 / %x23-5B / %x5D-7E.
    return "".join(c for c in text if c in " !" or ("#" <= c <= "~" and c != "\\"))


@dataclass
class TokenState:
    """The access token as the event shows it and as operations change it."""

    claims: list[tuple[str, Any]]  # visible claims, in event order (aud/expires_in included)
    aud: list[str]
    scopes: list[str]
    expires_in: int
    original_ttl: int
    removed: set[str] = field(default_factory=set)

    @classmethod
    def of(cls, draft: TokenDraft) -> TokenState:
        raw_aud = draft.claims.get("aud")
        aud = [raw_aud] if isinstance(raw_aud, str) else list(raw_aud or [])
        claims: list[tuple[str, Any]] = []
        for name in ("iss", "aud", "client_id", "aut", "expires_in", "subject_type", "sub"):
            if name in ("aud", "aut", "expires_in", "subject_type") or name in draft.claims:
                claims.append((name, None))
        for name, value in draft.claims.items():
            if name not in HIDDEN and name not in {n for n, _ in claims}:
                claims.append((name, value))
        return cls(claims, aud, list(draft.scopes), draft.ttl, draft.ttl)

    def event_claims(self, draft: TokenDraft, application_only: bool) -> list[dict[str, Any]]:
        out = []
        for name, value in self.claims:
            if name == "aud":
                value = list(self.aud)
            elif name == "expires_in":
                value = self.expires_in
            elif name == "aut":
                value = "APPLICATION" if application_only else "APPLICATION_USER"
            elif name == "subject_type":
                value = "public"
            elif name in draft.claims and name in FIXED:
                value = draft.claims[name]
            out.append({"name": name, "value": value})
        return out

    def custom(self) -> list[str]:
        return [n for n, _ in self.claims if n not in FIXED]

    def to_draft(self, draft: TokenDraft) -> TokenDraft:
        claims = {k: v for k, v in draft.claims.items() if k not in self.removed}
        for name, value in self.claims:
            if name not in FIXED:
                claims[name] = value
        claims["aud"] = self.aud[0] if len(self.aud) == 1 else list(self.aud)
        return replace(draft, claims=claims, scopes=tuple(self.scopes), ttl=self.expires_in)


def _disallowed(message: str) -> Fault:
    return Fault("disallowed_operation", message)


def _index(segment: str, size: int, *, adding: bool) -> int:
    if adding and segment == "-":
        return size
    if not segment.isdigit() or (len(segment) > 1 and segment[0] == "0"):
        raise _disallowed(f"{segment!r} is not an index")
    index = int(segment)
    if index > size or (not adding and index == size):
        raise _disallowed(f"index {index} is out of range")
    return index


def _unescape(segment: str) -> str:
    return segment.replace("~1", "/").replace("~0", "~")


def _claim_value(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        if isinstance(value, float) and not math.isfinite(value):
            raise _disallowed("a claim value must be a finite number")
        return value
    if isinstance(value, str):
        if len(value) > MAX_STRING:
            raise _disallowed(f"a claim value is longer than {MAX_STRING} characters")
        return value
    if isinstance(value, list):
        if len(value) > MAX_LIST or not all(
            isinstance(v, str) and len(v) <= MAX_STRING for v in value
        ):
            raise _disallowed(f"a list claim holds at most {MAX_LIST} strings")
        return list(value)
    raise _disallowed("a claim value must be a string, number, boolean or list of strings")


def _audience(value: Any) -> str:
    if not isinstance(value, str) or not value or len(value) > 512:
        raise _disallowed("an audience must be a string of 1 to 512 characters")
    if any(ord(c) < 0x21 or c == "\x7f" for c in value):
        raise _disallowed("an audience must not contain spaces or control characters")
    return value


def _scope(value: Any) -> str:
    if not isinstance(value, str) or not SCOPE_TOKEN.match(value):
        raise _disallowed("a scope must be a scope token (RFC 6749 §3.3)")
    return value


def apply_operations(
    state: TokenState, operations: list[dict[str, Any]], grant_type: str | None
) -> TokenState:
    """The state after ``operations``, all or nothing; :class:`Fault` for a disallowed one."""
    new = copy.deepcopy(state)
    for number, op in enumerate(operations):
        try:
            _apply(new, op, grant_type)
        except Fault as fault:
            fault.detail = f"operation {number}: {fault.detail}"
            raise
    if not new.aud:
        raise _disallowed("the token must keep at least one audience")
    size = len(json.dumps([(n, v) for n, v in new.claims if n not in FIXED], default=str))
    if size > MAX_CUSTOM_BYTES:
        raise _disallowed(f"custom claims exceed {MAX_CUSTOM_BYTES} bytes")
    return new


def _apply(state: TokenState, op: dict[str, Any], grant_type: str | None) -> None:
    kind, path = op.get("op"), op.get("path")
    if kind not in ("add", "remove", "replace") or not isinstance(path, str):
        raise _disallowed("op must be add, remove or replace, with a path")
    if kind != "remove" and "value" not in op:
        raise _disallowed(f"{kind} needs a value")
    value = op.get("value")
    parts = path.split("/")
    if len(parts) < 3 or parts[0] != "" or parts[1] != "accessToken":
        raise _disallowed(f"{path} is not an allowed path")
    rest = parts[2:]
    if rest[0] == "scopes" and len(rest) == 2:
        _list_op(state.scopes, kind, rest[1], value, _scope, dedupe=True)
    elif rest[0] == "claims" and len(rest) == 3 and rest[1] == "aud":
        _list_op(state.aud, kind, rest[2], value, _audience, dedupe=True)
    elif rest[0] == "claims" and len(rest) == 2:
        _claim_op(state, kind, _unescape(rest[1]), value, grant_type)
    else:
        raise _disallowed(f"{path} is not an allowed path")


def _list_op(
    items: list[str], kind: str, segment: str, value: Any, check: Any, *, dedupe: bool
) -> None:
    index = _index(segment, len(items), adding=kind == "add")
    if kind == "remove":
        items.pop(index)
        return
    clean: str = check(value)
    if kind == "add":
        if not (dedupe and clean in items):
            items.insert(index, clean)
    else:
        items[index] = clean
        if dedupe:
            # A replacement equal to another entry leaves one copy.
            items[:] = list(dict.fromkeys(items))


def _claim_op(
    state: TokenState, kind: str, target: str, value: Any, grant_type: str | None
) -> None:
    names = [n for n, _ in state.claims]
    if kind == "add":
        index = _index(target, len(names), adding=True)
        if not isinstance(value, dict) or set(value) != {"name", "value"}:
            raise _disallowed('an added claim is {"name": ..., "value": ...}')
        name = value["name"]
        if (
            not isinstance(name, str)
            or not name
            or len(name) > MAX_CLAIM_NAME
            or any(not c.isprintable() for c in name)
        ):
            raise _disallowed(f"a claim name is 1 to {MAX_CLAIM_NAME} printable characters")
        if name in FIXED or name in HIDDEN:
            raise _disallowed(f"the claim {name} cannot be set")
        if name in names:
            raise _disallowed(f"the claim {name} already exists")
        state.claims.insert(index, (name, _claim_value(value["value"])))
        state.removed.discard(name)
        return
    if target.isdigit():
        position = _index(target, len(names), adding=False)
        name = names[position]
    else:
        name = target
    if name == "expires_in" and kind == "replace":
        state.expires_in = _expires_in(value, state, grant_type)
        return
    if name in FIXED or name in HIDDEN:
        raise _disallowed(f"the claim {name} cannot be changed")
    if name not in names:
        raise _disallowed(f"the token has no claim {name}")
    position = names.index(name)
    if kind == "remove":
        state.claims.pop(position)
        state.removed.add(name)
    else:
        state.claims[position] = (name, _claim_value(value))


def _expires_in(value: Any, state: TokenState, grant_type: str | None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _disallowed("expires_in must be an integer number of seconds")
    if not 1 <= value <= MAX_EXPIRES_IN:
        raise _disallowed(f"expires_in must be between 1 and {MAX_EXPIRES_IN}")
    if grant_type == TOKEN_EXCHANGE and value > state.original_ttl:
        raise _disallowed("an exchanged token cannot outlive its subject token")
    return value


def allowed_operations(state: TokenState) -> list[dict[str, Any]]:
    custom = [
        "/accessToken/claims/" + n.replace("~", "~0").replace("/", "~1") for n in state.custom()
    ]
    return [
        {
            "op": "add",
            "paths": ["/accessToken/claims/", "/accessToken/scopes/", "/accessToken/claims/aud/"],
        },
        {"op": "remove", "paths": ["/accessToken/scopes/", "/accessToken/claims/aud/", *custom]},
        {
            "op": "replace",
            "paths": [
                "/accessToken/scopes/",
                "/accessToken/claims/aud/",
                "/accessToken/claims/expires_in",
                *custom,
            ],
        },
    ]


def _request_block(draft: TokenDraft) -> dict[str, Any]:
    block: dict[str, Any] = {"clientId": draft.client.client_id, "grantType": draft.grant_type}
    request = draft.request
    if request is None:
        return block
    requested = (request.form.get("scope") or [""])[0].split()
    block["scopes"] = requested
    block["additionalHeaders"] = {
        name: [value]
        for name, value in sorted(request.headers.items())
        if not SENSITIVE_HEADERS.search(name) and len(value) <= 1024
    }
    block["additionalParams"] = {
        name: [v for v in values if len(v) <= 1024]
        for name, values in sorted(request.form.items())
        if name not in ("grant_type", "scope", "client_id")
        and not (SENSITIVE_PARAMS.search(name) and not name.endswith("_type"))
    }
    return block


class ActionTokenHook:
    """``TokenHook`` running the organization's pre-issue access token actions in order."""

    def __init__(self, runtime: ActionRuntime) -> None:
        self._rt = runtime

    async def before_issue(self, draft: TokenDraft) -> TokenDraft:
        org_id = draft.tenant.org_id
        actions = await self._rt.active(org_id, PRE_ISSUE_ACCESS_TOKEN)
        if not actions:
            return draft
        org = await self._rt.org(org_id)
        if org is None:
            return draft
        user = None
        if draft.grant_type != "client_credentials" and draft.subject != draft.client.client_id:
            user = await self._rt.user(org_id, draft.subject)
        facts: dict[str, Any] = {
            "application": (draft.client.id, draft.client.client_id),
            "grantType": draft.grant_type,
            "organization": (org.id, org.handle),
            "scope": draft.scopes,
            "userStore": (user.store_id, user.store) if user is not None else None,
        }
        actor = (
            audit.Actor("user", user.id)
            if user is not None
            else audit.Actor("application", draft.client.client_id)
        )
        state = TokenState.of(draft)
        for spec in actions:
            if not spec.rule.matches(facts):
                continue
            payload = self._payload(spec, draft, state, org, user)

            def interpret(reply: Reply, current: TokenState = state) -> TokenState:
                return apply_operations(current, reply.operations, draft.grant_type)

            result = await self._rt.run(spec, payload, interpret, actor=actor, org_id=org_id)
            if isinstance(result, Applied):
                state = result.value
            elif isinstance(result, Rejected):
                raise ActionRefused(result.reason, _printable_ascii(result.description))
            elif isinstance(result, Unavailable):
                raise ServerError(
                    "The token could not be issued: an extension service that must approve "
                    f"it did not give a usable answer ({result.fault.kind.replace('_', ' ')}). "
                    "Try again later.",
                    debug=f"action {spec.id}: {result.fault}",
                )
        return state.to_draft(draft)

    def _payload(
        self,
        spec: ActionSpec,
        draft: TokenDraft,
        state: TokenState,
        org: OrgInfo,
        user: UserInfo | None,
    ) -> dict[str, Any]:
        event: dict[str, Any] = {"request": _request_block(draft), **org_blocks(org)}
        if user is not None:
            event["user"] = user_block(user, org)
            event["userStore"] = store_block(user)
        event["accessToken"] = {
            "tokenType": "JWT" if draft.client.access_token_format != "opaque" else "OPAQUE",
            "scopes": list(state.scopes),
            "claims": state.event_claims(draft, application_only=user is None),
        }
        return envelope(spec, event, allowed_operations(state))


def token_hook(services: Services) -> ActionTokenHook:
    """The hook for ``services``' node, wired into the token endpoint (``identra.web.oauth``)."""
    runtime = for_services(services)
    hook = runtime.hooks.get("token")
    if not isinstance(hook, ActionTokenHook):
        hook = runtime.hooks["token"] = ActionTokenHook(runtime)
    return hook
