"""Pre-update password, pre-update profile and pre-registration actions, for the code that
changes users: the self-service pages, and (through :func:`check_admin_change`) the management
API and SCIM.

Each function returns what the caller shows or applies: ``None`` to go on, or a
:class:`Refusal` carrying the message for the page (the service's ``failureDescription``
when it refused, a generic message when a ``fail_closed`` action gave no usable answer).
Nothing is changed here; callers check before they write, so a refusal or a fault never
leaves a half-applied change.

Attributes are named by WSO2 claim URIs (``http://wso2.org/claims/givenname``...), so that
services written for WSO2 read them unchanged.

Password sharing: by default the service receives the SHA-256 of the new password (base64,
``format: HASH``), enough for breached-password lists of hashes; ``config.password_sharing:
PLAIN_TEXT`` sends the password itself, for services that check strength rules.

Who made the change is WSO2's ``initiatorType`` (:func:`initiator_of`), by the way it came in
as WSO2 does: ``USER`` for people changing themselves (My Account, SCIM ``/Me``), ``ADMIN``
for a person's token or Basic credentials on the management API or SCIM ``/Users``,
``APPLICATION`` for a client-credentials token there. The rule
field ``flow`` follows: ``adminInitiatedPasswordUpdate``, ``applicationInitiatedProfileUpdate``...
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from identra.actions.caller import Fault, Reply
from identra.actions.model import (
    PRE_REGISTRATION,
    PRE_UPDATE_PASSWORD,
    PRE_UPDATE_PROFILE,
    ActionSpec,
)
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
)
from identra.observability import audit
from identra.services import Services
from identra.storage.models import UserStore
from identra.storage.repositories.scim_users import SCIM_KEY

# WSO2 local claim URIs of the user fields Identra keeps (``users`` columns, or keys of the
# user's ``claims`` document for the rest).
CLAIM_URIS: dict[str, str] = {
    "username": "http://wso2.org/claims/username",
    "email": "http://wso2.org/claims/emailaddress",
    "given_name": "http://wso2.org/claims/givenname",
    "family_name": "http://wso2.org/claims/lastname",
    "display_name": "http://wso2.org/claims/displayName",
    "locale": "http://wso2.org/claims/locality",
    "phone_number": "http://wso2.org/claims/mobile",
    "nickname": "http://wso2.org/claims/nickname",
    "middle_name": "http://wso2.org/claims/middleName",
    "website": "http://wso2.org/claims/url",
    "picture": "http://wso2.org/claims/photourl",
    "zoneinfo": "http://wso2.org/claims/timeZone",
    "birthdate": "http://wso2.org/claims/dob",
    "gender": "http://wso2.org/claims/gender",
    "external_id": "http://wso2.org/claims/externalid",
    "emails": "http://wso2.org/claims/emailAddresses",
    "phone_numbers": "http://wso2.org/claims/mobileNumbers",
}
FIELD_OF = {uri: name for name, uri in CLAIM_URIS.items()}
# A pre-registration action may set these; the username and email address are the person's.
ENRICHABLE = frozenset(
    {
        "given_name",
        "family_name",
        "display_name",
        "locale",
        "nickname",
        "middle_name",
        "website",
        "picture",
        "zoneinfo",
        "birthdate",
        "gender",
    }
)
LOCALE = re.compile(r"^[A-Za-z]{2,8}([_-][A-Za-z0-9]{1,8})*$")

UNAVAILABLE = "This change cannot be checked right now. Try again in a few minutes."
REGISTRATION_UNAVAILABLE = "Creating an account is not possible right now. Try again later."


@dataclass(frozen=True)
class Refusal:
    message: str
    unavailable: bool = False  # a fault under fail_closed, not the service's decision
    about: str | None = None  # "password" or "profile" (check_admin_change)


@dataclass(frozen=True)
class Enrichment:
    """Attributes a pre-registration action set: user fields, and other claims."""

    fields: dict[str, str] = field(default_factory=dict)


def _runtime(services: Services) -> ActionRuntime:
    return for_services(services)


def _no_operations(reply: Reply) -> None:
    if reply.operations:
        raise Fault("disallowed_operation", "this action type takes no operations")


def _credential(spec: ActionSpec, password: str) -> dict[str, Any]:
    if spec.config.get("password_sharing") == "PLAIN_TEXT":
        return {"type": "PASSWORD", "format": "PLAIN_TEXT", "value": password}
    digest = base64.b64encode(hashlib.sha256(password.encode()).digest()).decode()
    return {
        "type": "PASSWORD",
        "format": "HASH",
        "value": digest,
        "additionalData": {"algorithm": "SHA256"},
    }


async def _decide(
    rt: ActionRuntime,
    specs: list[ActionSpec],
    facts: dict[str, Any],
    payload_for: Any,
    actor: audit.Actor,
    org_id: str,
    unavailable: str,
) -> Refusal | None:
    for spec in specs:
        if not spec.rule.matches(facts):
            continue
        result = await rt.run(spec, payload_for(spec), _no_operations, actor=actor, org_id=org_id)
        if isinstance(result, Rejected):
            return Refusal(result.message or "This change was refused.")
        if isinstance(result, Unavailable):
            return Refusal(unavailable, unavailable=True)
    return None


async def check_password(
    services: Services,
    org_id: str,
    user_id: str,
    password: str,
    *,
    flow: str,
    initiator: str = "USER",
    action: str = "UPDATE",
    actor: audit.Actor | None = None,
    subject: UserInfo | None = None,
) -> Refusal | None:
    """Run the pre-update password actions for a new password of ``user_id``.

    ``flow`` is WSO2's rule value: ``userInitiatedPasswordUpdate``,
    ``userInitiatedPasswordReset``, ``adminInitiatedPasswordUpdate``... ``subject`` describes a
    user that is not stored yet (an administrator creating one with a password).
    """
    rt = _runtime(services)
    specs = await rt.active(org_id, PRE_UPDATE_PASSWORD)
    if not specs:
        return None
    org = await rt.org(org_id)
    user = subject if subject is not None else await rt.user(org_id, user_id)
    if org is None or user is None:
        return None
    facts = {
        "flow": flow,
        "organization": (org.id, org.handle),
        "userStore": (user.store_id, user.store),
    }

    def payload(spec: ActionSpec) -> dict[str, Any]:
        event = {
            **org_blocks(org),
            "user": {**user_block(user, org), "updatingCredential": _credential(spec, password)},
            "userStore": store_block(user),
            "initiatorType": initiator,
            "action": action,
        }
        return envelope(spec, event)

    return await _decide(
        rt,
        specs,
        facts,
        payload,
        actor or audit.Actor("user", user_id),
        org_id,
        "Your new password cannot be checked right now, so it was not saved. Try again in a "
        "few minutes.",
    )


async def check_profile(
    services: Services,
    org_id: str,
    user_id: str,
    current: dict[str, Any],
    changes: dict[str, Any],
    *,
    flow: str = "userInitiatedProfileUpdate",
    initiator: str = "USER",
    actor: audit.Actor | None = None,
) -> Refusal | None:
    """Run the pre-update profile actions for ``changes`` (field -> new value) to a user whose
    fields are ``current`` (field -> value, the ones the caller knows)."""
    rt = _runtime(services)
    specs = await rt.active(org_id, PRE_UPDATE_PROFILE)
    if not specs:
        return None
    org = await rt.org(org_id)
    user = await rt.user(org_id, user_id)
    if org is None or user is None:
        return None
    changing = {CLAIM_URIS.get(k, k): v for k, v in changes.items()}
    facts = {
        "flow": flow,
        "claim": tuple(changing),
        "organization": (org.id, org.handle),
        "userStore": (user.store_id, user.store),
    }
    known = {CLAIM_URIS.get(k, k): v for k, v in current.items()}

    def payload(spec: ActionSpec) -> dict[str, Any]:
        shared = list(dict.fromkeys([*spec.config.get("attributes", []), *changing]))
        claims = []
        for uri in shared:
            entry: dict[str, Any] = {"uri": uri, "value": known.get(uri)}
            if uri in changing:
                entry["updatingValue"] = changing[uri]
            claims.append(entry)
        event = {
            "request": {"claims": [{"uri": u, "value": v} for u, v in changing.items()]},
            **org_blocks(org),
            "user": {**user_block(user, org), "claims": claims},
            "userStore": store_block(user),
            "initiatorType": initiator,
            "action": "UPDATE",
        }
        return envelope(spec, event)

    return await _decide(
        rt,
        specs,
        facts,
        payload,
        actor or audit.Actor("user", user_id),
        org_id,
        "Your profile cannot be checked right now, so it was not saved. Try again in a few "
        "minutes.",
    )


def _enrich(reply: Reply, claims: list[dict[str, Any]]) -> dict[str, str]:
    """The fields a pre-registration answer sets; Fault for anything not allowed."""
    current = [dict(c) for c in claims]
    for number, op in enumerate(reply.operations):
        kind, path = op.get("op"), op.get("path")
        if kind not in ("add", "replace") or not isinstance(path, str):
            raise Fault("disallowed_operation", f"operation {number}: only add and replace")
        if not path.startswith("/user/claims/"):
            raise Fault("disallowed_operation", f"operation {number}: {path} is not allowed")
        segment = path.removeprefix("/user/claims/")
        if kind == "add":
            value = op.get("value")
            if segment != "-" or not isinstance(value, dict) or set(value) != {"uri", "value"}:
                raise Fault(
                    "disallowed_operation",
                    f'operation {number}: add /user/claims/- takes {{"uri": ..., "value": ...}}',
                )
            uri, new = value["uri"], value["value"]
            if any(c["uri"] == uri for c in current):
                raise Fault("disallowed_operation", f"operation {number}: {uri} is already set")
            current.append({"uri": uri, "value": new})
        else:
            if not segment.isdigit() or int(segment) >= len(current):
                raise Fault("disallowed_operation", f"operation {number}: no claim {segment}")
            uri, new = current[int(segment)]["uri"], op.get("value")
            current[int(segment)]["value"] = new
        name = FIELD_OF.get(str(uri))
        if name not in ENRICHABLE:
            raise Fault("disallowed_operation", f"operation {number}: {uri} cannot be set")
        if not isinstance(new, str) or not 0 < len(new) <= 255 or not new.isprintable():
            raise Fault(
                "disallowed_operation", f"operation {number}: a value is 1 to 255 characters"
            )
        if name == "locale" and not LOCALE.match(new):
            raise Fault("disallowed_operation", f"operation {number}: {new!r} is not a locale")
    out: dict[str, str] = {}
    original = {c["uri"]: c["value"] for c in claims}
    for entry in current:
        name = FIELD_OF.get(entry["uri"])
        if name in ENRICHABLE and original.get(entry["uri"]) != entry["value"]:
            out[str(name)] = str(entry["value"])
    return out


async def check_registration(
    services: Services,
    org_id: str,
    fields: dict[str, str],
    *,
    store: str = "PRIMARY",
    ip: str | None = None,
) -> Refusal | Enrichment:
    """Run the pre-registration actions for a self-registration with ``fields`` (username,
    email, given_name...) into the user store ``store``."""
    rt = _runtime(services)
    specs = await rt.active(org_id, PRE_REGISTRATION)
    if not specs:
        return Enrichment()
    org = await rt.org(org_id)
    if org is None:
        return Enrichment()
    async with services.sessions() as session:
        store_id = await session.scalar(
            select(UserStore.id).where(UserStore.org_id == org_id, UserStore.identifier == store)
        )
    facts = {
        "organization": (org.id, org.handle),
        "userStore": (str(store_id), store) if store_id is not None else None,
    }
    claims = [{"uri": CLAIM_URIS.get(k, k), "value": v} for k, v in fields.items() if v]
    enriched: dict[str, str] = {}
    actor = audit.Actor("user", None, ip)
    for spec in specs:
        if not spec.rule.matches(facts):
            continue
        shown = [
            {"uri": c["uri"], "value": enriched.get(FIELD_OF.get(c["uri"], ""), c["value"])}
            for c in claims
        ]
        shown += [
            {"uri": CLAIM_URIS[k], "value": v}
            for k, v in enriched.items()
            if all(c["uri"] != CLAIM_URIS[k] for c in shown)
        ]
        event: dict[str, Any] = {
            **org_blocks(org),
            "user": {"claims": shown},
            "initiatorType": "USER",
            "action": "REGISTER",
        }
        if store_id is not None:
            event["userStore"] = {"id": str(store_id), "name": store}
        allowed = [
            {"op": "add", "paths": ["/user/claims/"]},
            {"op": "replace", "paths": ["/user/claims/"]},
        ]
        current = shown

        def interpret(reply: Reply, current: list[dict[str, Any]] = current) -> dict[str, str]:
            return _enrich(reply, current)

        result = await rt.run(
            spec, envelope(spec, event, allowed), interpret, actor=actor, org_id=org_id
        )
        if isinstance(result, Rejected):
            return Refusal(result.message or "This registration was refused.")
        if isinstance(result, Unavailable):
            return Refusal(REGISTRATION_UNAVAILABLE, unavailable=True)
        if isinstance(result, Applied):
            enriched.update(result.value)
    return Enrichment(enriched)


# ---- administrative changes (management API, SCIM) ----------------------------------------

SCIM_CORE = "urn:ietf:params:scim:schemas:core:2.0:User"
# SCIM core attributes kept in ``claims["scim"]`` that have a WSO2 claim.
SCIM_CLAIMS = {
    "nickName": CLAIM_URIS["nickname"],
    "profileUrl": CLAIM_URIS["website"],
    "timezone": CLAIM_URIS["zoneinfo"],
    "title": "http://wso2.org/claims/title",
    "userType": "http://wso2.org/claims/userType",
    "preferredLanguage": "http://wso2.org/claims/preferredLanguage",
    "name": "http://wso2.org/claims/fullname",
}
PASSWORD_UNAVAILABLE = (
    "The new password cannot be checked right now by the organization's extension service, "
    "so it was not saved. Try again in a few minutes."
)
PROFILE_UNAVAILABLE = (
    "The change cannot be checked right now by the organization's extension service, so it "
    "was not saved. Try again in a few minutes."
)


def initiator_of(actor: audit.Actor, self_service: bool = False) -> str:
    """WSO2's ``initiatorType`` of a change made by ``actor``: ``USER`` through a self-service
    entry point (SCIM ``/Me``), else ``APPLICATION`` for a client's own token and ``ADMIN``
    for a person's credentials (even on their own account, as WSO2's ``/Users``)."""
    if self_service:
        return "USER"
    return "APPLICATION" if actor.type == "application" else "ADMIN"


def flow_of(initiator: str, what: str) -> str:
    """The rule value ``flow``: ``adminInitiatedPasswordUpdate``, ``userInitiatedProfileUpdate``."""
    return f"{initiator.lower()}Initiated{what}"


def _value(item: Any, name: str) -> Any:
    return item.get(name) if isinstance(item, Mapping) else getattr(item, name, None)


def _contacts(items: Any) -> tuple[str | None, list[str]]:
    """The primary (else first) value and all values of a list of contact points."""
    values = [str(_value(i, "value")) for i in items or []]
    primary = [str(_value(i, "value")) for i in items or [] if _value(i, "primary")]
    return (primary[0] if primary else values[0] if values else None), values


def profile_claims(fields: Mapping[str, Any]) -> dict[str, Any]:
    """A user's attributes (the management API's field names) as WSO2 claim URIs."""
    out: dict[str, Any] = {}
    for name in ("username", "display_name", "given_name", "family_name", "locale", "external_id"):
        if name in fields:
            out[CLAIM_URIS[name]] = fields[name]
    if "emails" in fields:
        out[CLAIM_URIS["email"]], out[CLAIM_URIS["emails"]] = _contacts(fields["emails"])
    if "phone_numbers" in fields:
        primary, values = _contacts(fields["phone_numbers"])
        out[CLAIM_URIS["phone_number"]], out[CLAIM_URIS["phone_numbers"]] = primary, values
    claims: dict[str, Any] = dict(fields.get("claims") or {})
    for key, value in claims.items():
        if key == SCIM_KEY and isinstance(value, Mapping):
            for attr, inner in value.items():
                if str(attr).startswith("urn:") and isinstance(inner, Mapping):
                    for sub, leaf in inner.items():
                        out[f"{attr}:{sub}"] = leaf
                else:
                    out[SCIM_CLAIMS.get(str(attr), f"{SCIM_CORE}:{attr}")] = inner
        else:
            out[CLAIM_URIS.get(str(key), str(key))] = value
    return out


def profile_changes(
    before: Mapping[str, Any], after: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The current attributes and the changing ones (claim URI -> new value, ``None`` when an
    attribute is removed) between two views of a user."""
    old, new = profile_claims(before), profile_claims(after)
    changing = {uri: new.get(uri) for uri in {*old, *new} if old.get(uri) != new.get(uri)}
    return old, dict(sorted(changing.items()))


async def check_admin_change(
    services: Services,
    org_id: str,
    user_id: str,
    actor: audit.Actor,
    *,
    password: str | None = None,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    new_user: UserInfo | None = None,
    self_service: bool = False,
) -> Refusal | None:
    """The pre-update password and pre-update profile actions for a change made through the
    management API or SCIM, run before anything is written.

    ``password``: the new password, if one is set. ``before``/``after``: the user's attributes
    (the management API's field names; absent ones are not compared) before and after the
    change; only the attributes that differ are sent. ``new_user``: the user being created
    (its id chosen in advance); a password set on creation is checked with ``action``
    ``REGISTER``, and no profile action runs (nothing is updated). ``self_service``: the
    change came through SCIM ``/Me`` (``initiatorType`` ``USER``).
    """
    initiator = initiator_of(actor, self_service and new_user is None)
    if password:
        refusal = await check_password(
            services,
            org_id,
            user_id,
            password,
            flow=flow_of(initiator, "Registration" if new_user else "PasswordUpdate"),
            initiator=initiator,
            action="REGISTER" if new_user else "UPDATE",
            actor=actor,
            subject=new_user,
        )
        if refusal is not None:
            message = PASSWORD_UNAVAILABLE if refusal.unavailable else refusal.message
            return Refusal(message, refusal.unavailable, "password")
    if new_user is not None or before is None or after is None:
        return None
    current, changing = profile_changes(before, after)
    if not changing:
        return None
    refusal = await check_profile(
        services,
        org_id,
        user_id,
        current,
        changing,
        flow=flow_of(initiator, "ProfileUpdate"),
        initiator=initiator,
        actor=actor,
    )
    if refusal is None:
        return None
    message = PROFILE_UNAVAILABLE if refusal.unavailable else refusal.message
    return Refusal(message, refusal.unavailable, "profile")
