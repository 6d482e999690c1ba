"""Actions: an organization's HTTP services called at defined points (``identra.actions``).

Shared by the management API and the CLI. What is validated here:

- ``name``: a token (letters, digits, ``.``, ``_``, ``-``; an authentication action is placed
  in a flow as ``action:<name>``), unique in the organization;
- ``type``: one of ``identra.actions.model.TYPES``; at most ``MAX_PER_TYPE`` per type;
- ``endpoint``: an absolute https URL (http only for loopback);
- ``authentication``: ``none``, ``basic`` (username, password), ``bearer`` (token) or
  ``api_key`` (header, value). The credentials are write-only: encrypted with the master key
  (bound to the action's id), never returned or audited; the header name and user name are
  shown;
- ``timeout_ms`` (100..10000), ``failure_policy`` (``fail_closed`` default, ``fail_open``);
- ``rule``: WSO2's rule document, with the fields the type allows (``identra.actions.rules``);
- ``config``: type-specific settings (see ``CONFIG``);
- ``signed``: requests carry Standard Webhooks signature headers; the secret is generated,
  shown once (at creation or rotation), and stored encrypted.

Every change is audited (field names only) and invalidates every node's cached actions
(``identra.cache.invalidation``: the ``actions`` table is tracked).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from identra.actions import signing
from identra.actions.model import (
    AUTH_TYPES,
    AUTHENTICATION,
    DEFAULT_TIMEOUT_MS,
    FAIL_CLOSED,
    MAX_PER_TYPE,
    MAX_TIMEOUT_MS,
    MIN_TIMEOUT_MS,
    POLICIES,
    PRE_UPDATE_PASSWORD,
    PRE_UPDATE_PROFILE,
    TYPES,
    auth_context,
    signing_context,
)
from identra.actions.rules import RuleInvalid, parse_rule
from identra.admin.common import check_changes, check_http_url, flush_or_conflict
from identra.crypto.secretbox import SecretBox
from identra.errors import Conflict, InvalidInput, NotFound
from identra.observability import audit
from identra.storage.models import Action, Organization
from identra.storage.types import new_id

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
HEADER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,63}$")
# Headers Identra sets itself: an API key may not take their place.
RESERVED_HEADERS = frozenset(
    {
        "host",
        "content-type",
        "content-length",
        "accept",
        "user-agent",
        "connection",
        "transfer-encoding",
        "webhook-id",
        "webhook-timestamp",
        "webhook-signature",
    }
)
FIELDS = (
    "name",
    "description",
    "endpoint",
    "authentication",
    "timeout_ms",
    "failure_policy",
    "rule",
    "enabled",
    "config",
    "signed",
)
NULLABLE = ("rule",)
PASSWORD_SHARING = ("SHA256_HASHED", "PLAIN_TEXT")
CONFIG: dict[str, tuple[str, ...]] = {
    PRE_UPDATE_PASSWORD: ("password_sharing",),
    PRE_UPDATE_PROFILE: ("attributes",),
    AUTHENTICATION: ("label", "mode"),
}
AUTH_MODES = ("first_factor", "second_factor")


@dataclass
class NewAction:
    name: str
    type: str
    endpoint: str
    description: str = ""
    authentication: dict[str, Any] = field(default_factory=lambda: {"type": "none"})
    timeout_ms: int = DEFAULT_TIMEOUT_MS
    failure_policy: str = FAIL_CLOSED
    rule: dict[str, Any] | None = None
    enabled: bool = True
    config: dict[str, Any] = field(default_factory=dict)
    signed: bool = False


def _check_name(name: str) -> str:
    if not isinstance(name, str) or not NAME.match(name):
        raise InvalidInput(
            "name must be 1-100 letters, digits, '.', '_' or '-', starting with a letter or digit",
            "name",
        )
    return name


def _check_timeout(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput("timeout_ms must be an integer", "timeout_ms")
    if not MIN_TIMEOUT_MS <= value <= MAX_TIMEOUT_MS:
        raise InvalidInput(
            f"timeout_ms must be between {MIN_TIMEOUT_MS} and {MAX_TIMEOUT_MS}", "timeout_ms"
        )
    return value


def _check_policy(value: Any) -> str:
    if value not in POLICIES:
        raise InvalidInput(f"failure_policy must be one of {', '.join(POLICIES)}", "failure_policy")
    return str(value)


def _text(auth: dict[str, Any], name: str, limit: int) -> str:
    value = auth.get(name)
    if not isinstance(value, str) or not value or len(value) > limit:
        raise InvalidInput(
            f"authentication.{name} must be a string of 1 to {limit} characters",
            f"authentication/{name}",
        )
    if any(ord(c) < 0x20 or c == "\x7f" for c in value):
        raise InvalidInput(
            f"authentication.{name} must not contain control characters",
            f"authentication/{name}",
        )
    return value


def normalize_auth(auth: Any) -> tuple[str, dict[str, str] | None, dict[str, str]]:
    """``(type, secret part, shown part)`` of an authentication document."""
    if not isinstance(auth, dict):
        raise InvalidInput("authentication must be an object with a type", "authentication")
    kind = auth.get("type")
    if kind not in AUTH_TYPES:
        raise InvalidInput(
            f"authentication.type must be one of {', '.join(AUTH_TYPES)}", "authentication/type"
        )
    expected = {
        "none": set(),
        "basic": {"username", "password"},
        "bearer": {"token"},
        "api_key": {"header", "value"},
    }[kind]
    unknown = sorted(set(auth) - expected - {"type"})
    if unknown:
        raise InvalidInput(
            f"authentication.{unknown[0]} is not used by {kind}", f"authentication/{unknown[0]}"
        )
    if kind == "none":
        return kind, None, {}
    if kind == "basic":
        username = _text(auth, "username", 255)
        if ":" in username:
            raise InvalidInput(
                "authentication.username must not contain ':'", "authentication/username"
            )
        return (
            kind,
            {"username": username, "password": _text(auth, "password", 512)},
            {"username": username},
        )
    if kind == "bearer":
        return kind, {"token": _text(auth, "token", 4000)}, {}
    header = _text(auth, "header", 64)
    if not HEADER.match(header) or header.lower() in RESERVED_HEADERS:
        raise InvalidInput(
            "authentication.header must be a header name Identra does not set itself",
            "authentication/header",
        )
    return kind, {"header": header, "value": _text(auth, "value", 4000)}, {"header": header.lower()}


def normalize_config(action_type: str, config: Any) -> dict[str, Any]:
    if config is None:
        return {}
    if not isinstance(config, dict):
        raise InvalidInput("config must be an object", "config")
    allowed = CONFIG.get(action_type, ())
    unknown = sorted(set(config) - set(allowed))
    if unknown:
        raise InvalidInput(
            f"config.{unknown[0]} is not a setting of {action_type} actions",
            f"config/{unknown[0]}",
        )
    clean = dict(config)
    if "password_sharing" in clean and clean["password_sharing"] not in PASSWORD_SHARING:
        raise InvalidInput(
            f"config.password_sharing must be one of {', '.join(PASSWORD_SHARING)}",
            "config/password_sharing",
        )
    if "attributes" in clean:
        attrs = clean["attributes"]
        if (
            not isinstance(attrs, list)
            or len(attrs) > 50
            or not all(isinstance(a, str) and 0 < len(a) <= 255 for a in attrs)
        ):
            raise InvalidInput(
                "config.attributes must be a list of at most 50 claim URIs", "config/attributes"
            )
        clean["attributes"] = list(dict.fromkeys(attrs))
    if "label" in clean:
        label = clean["label"]
        if not isinstance(label, str) or not 0 < len(label) <= 100 or not label.isprintable():
            raise InvalidInput("config.label must be 1 to 100 printable characters", "config/label")
    if "mode" in clean and clean["mode"] not in AUTH_MODES:
        raise InvalidInput(f"config.mode must be one of {', '.join(AUTH_MODES)}", "config/mode")
    return clean


def normalize_rule(action_type: str, rule: Any) -> dict[str, Any]:
    try:
        parsed = parse_rule(rule, TYPES[action_type].rule_fields)
    except RuleInvalid as exc:
        raise InvalidInput(exc.message, exc.path) from exc
    return parsed.to_json() or {}


def shown_auth(action: Action) -> dict[str, str]:
    """The authentication as the API shows it: the type and the non-secret names."""
    return {"type": action.auth_type, **(action.config or {}).get("_auth", {})}


def public_config(action: Action) -> dict[str, Any]:
    return {k: v for k, v in (action.config or {}).items() if not k.startswith("_")}


async def get(session: AsyncSession, org: Organization, action_id: str) -> Action:
    action = await session.scalar(
        select(Action).where(Action.id == action_id, Action.org_id == org.id)
    )
    if action is None:
        raise NotFound("action")
    return action


async def by_name(session: AsyncSession, org: Organization, name: str) -> Action:
    action = await session.scalar(
        select(Action).where(Action.org_id == org.id, Action.name == name)
    )
    if action is None:
        raise NotFound("action")
    return action


async def _name_taken(session: AsyncSession, org: Organization, name: str) -> bool:
    found = await session.scalar(
        select(Action.id).where(Action.org_id == org.id, Action.name == name)
    )
    return found is not None


def _set_auth(action: Action, auth: Any, box: SecretBox) -> None:
    kind, secret, shown = normalize_auth(auth)
    action.auth_type = kind
    action.auth_encrypted = (
        box.encrypt(json.dumps(secret), context=auth_context(action.id)) if secret else None
    )
    config = {k: v for k, v in (action.config or {}).items() if k != "_auth"}
    if shown:
        config["_auth"] = shown
    action.config = config


def _new_signing_secret(action: Action, box: SecretBox) -> str:
    secret = signing.generate_secret()
    action.signing_secret_encrypted = box.encrypt(secret, context=signing_context(action.id))
    return secret


async def create(
    session: AsyncSession, org: Organization, new: NewAction, actor: audit.Actor, box: SecretBox
) -> tuple[Action, str | None]:
    """The new action and, when ``signed``, its signing secret (shown this once)."""
    _check_name(new.name)
    if new.type not in TYPES:
        raise InvalidInput(f"type must be one of {', '.join(TYPES)}", "type")
    check_http_url(new.endpoint, "endpoint")
    if len(new.description) > 1000:
        raise InvalidInput("description is at most 1000 characters", "description")
    conflict = f"an action named {new.name} exists"
    if await _name_taken(session, org, new.name):
        raise Conflict(conflict)
    count = await session.scalar(
        select(func.count()).where(Action.org_id == org.id, Action.type == new.type)
    )
    if int(count or 0) >= MAX_PER_TYPE:
        raise Conflict(f"an organization has at most {MAX_PER_TYPE} actions of one type")
    action = Action(
        id=new_id(),
        org_id=org.id,
        name=new.name,
        type=new.type,
        description=new.description,
        endpoint=new.endpoint,
        timeout_ms=_check_timeout(new.timeout_ms),
        failure_policy=_check_policy(new.failure_policy),
        rule=normalize_rule(new.type, new.rule),
        enabled=bool(new.enabled),
        config=normalize_config(new.type, new.config),
    )
    _set_auth(action, new.authentication, box)
    secret = _new_signing_secret(action, box) if new.signed else None
    session.add(action)
    await flush_or_conflict(session, conflict)
    audit.record(
        session,
        org_id=org.id,
        action="action.create",
        actor=actor,
        target_type="action",
        target_id=action.id,
        details={
            "name": action.name,
            "type": action.type,
            "auth_type": action.auth_type,
            "signed": secret is not None,
            "failure_policy": action.failure_policy,
        },
    )
    return action, secret


async def update(
    session: AsyncSession,
    org: Organization,
    action: Action,
    changes: dict[str, Any],
    actor: audit.Actor,
    box: SecretBox,
) -> tuple[Action, str | None]:
    """Apply a partial change; ``signed: true`` on an unsigned action returns its new secret."""
    check_changes(changes, NULLABLE)
    unknown = sorted(set(changes) - set(FIELDS))
    if unknown:
        raise InvalidInput(f"{unknown[0]} cannot be changed", unknown[0])
    conflict = f"an action named {changes.get('name')} exists"
    if "name" in changes and changes["name"] != action.name:
        _check_name(changes["name"])
        if await _name_taken(session, org, changes["name"]):
            raise Conflict(conflict)
        action.name = changes["name"]
    if "endpoint" in changes:
        action.endpoint = check_http_url(changes["endpoint"], "endpoint")
    if "description" in changes:
        action.description = changes["description"]
    if "timeout_ms" in changes:
        action.timeout_ms = _check_timeout(changes["timeout_ms"])
    if "failure_policy" in changes:
        action.failure_policy = _check_policy(changes["failure_policy"])
    if "rule" in changes:
        action.rule = normalize_rule(action.type, changes["rule"])
    if "enabled" in changes:
        action.enabled = bool(changes["enabled"])
    if "config" in changes:
        hidden = {k: v for k, v in (action.config or {}).items() if k.startswith("_")}
        action.config = {**normalize_config(action.type, changes["config"]), **hidden}
    if "authentication" in changes:
        _set_auth(action, changes["authentication"], box)
    secret = None
    if "signed" in changes:
        if changes["signed"] and action.signing_secret_encrypted is None:
            secret = _new_signing_secret(action, box)
        elif not changes["signed"]:
            action.signing_secret_encrypted = None
    action.version += 1
    await flush_or_conflict(session, conflict)
    audit.record(
        session,
        org_id=org.id,
        action="action.update",
        actor=actor,
        target_type="action",
        target_id=action.id,
        details={"fields": sorted(changes)},
    )
    return action, secret


async def rotate_signing_secret(
    session: AsyncSession, org: Organization, action: Action, actor: audit.Actor, box: SecretBox
) -> str:
    secret = _new_signing_secret(action, box)
    action.version += 1
    await session.flush()
    audit.record(
        session,
        org_id=org.id,
        action="action.signing_secret.rotate",
        actor=actor,
        target_type="action",
        target_id=action.id,
    )
    return secret


async def delete(
    session: AsyncSession, org: Organization, action: Action, actor: audit.Actor
) -> None:
    audit.record(
        session,
        org_id=org.id,
        action="action.delete",
        actor=actor,
        target_type="action",
        target_id=action.id,
        details={"name": action.name, "type": action.type},
    )
    await session.delete(action)
    await session.flush()
