"""From a :class:`Spec` to a flow document, always in the same shape for the same meaning.

The graph reads top to bottom: the username (identifier first), the first step, who may sign in
(gates: they run right after the first step, so nobody refused is sent a code), further steps
and the steps for some users only, progressive enrollment, the session limit, ``allow``.
Node ids, messages, the flow's name and its description come from fixed templates.
"""

from __future__ import annotations

import re
from typing import Any

from identra.flowai import lexicon
from identra.flowai.inventory import Inventory
from identra.flowai.spec import Enroll, Gate, Limit, Spec, Stage
from identra.flows.document import SCHEMA

SHORT = {
    "password": "password",
    "email-otp": "email-code",
    "magic-link": "magic-link",
    "sms-otp": "sms",
    "totp": "totp",
    "backup-code": "backup-code",
    "passkey": "passkey",
}
LABEL = {
    "password": "password",
    "email-otp": "email code",
    "magic-link": "email link",
    "sms-otp": "SMS code",
    "totp": "authenticator app",
    "backup-code": "backup code",
    "passkey": "passkey",
}
NOUN = {
    "password": "a password",
    "email-otp": "a code by email",
    "magic-link": "a link by email",
    "sms-otp": "an SMS code",
    "totp": "an authenticator app code",
    "backup-code": "a backup code",
    "passkey": "a passkey",
}
NAME_SHORT = {
    "password": "a password",
    "email-otp": "an email code",
    "magic-link": "an email link",
    "sms-otp": "SMS",
    "totp": "an authenticator app",
    "backup-code": "a backup code",
    "passkey": "a passkey",
}
LOCK_MESSAGE = "Your account has been locked. Contact your administrator."


def slug(text: str) -> str:
    value = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    if not value or not value[0].isalpha():
        value = f"n-{value}".rstrip("-")
    return value[:40].rstrip("-")


def plural(word: str) -> str:
    if word.endswith("y") and len(word) > 1 and word[-2] not in "aeiou":
        return word[:-1] + "ies"
    if word.endswith(("s", "x", "ch", "sh")):
        return word + "es"
    return word + "s"


def idp_label(option: str, inv: Inventory) -> str:
    name = option[4:]
    kind = inv.idps.get(name, "")
    if kind and lexicon.words(name) == (kind,):
        return lexicon.KIND_DISPLAY.get(kind, name)
    return name


def label(option: str, inv: Inventory) -> str:
    return idp_label(option, inv) if option.startswith("idp:") else LABEL.get(option, option)


def noun(option: str, inv: Inventory) -> str:
    return idp_label(option, inv) if option.startswith("idp:") else NOUN.get(option, option)


def _names(values: list[str], word: str = "or") -> str:
    if len(values) <= 1:
        return "".join(values)
    return f"{', '.join(values[:-1])} {word} {values[-1]}"


def _single(cond: dict[str, Any], key: str, op: str) -> list[str] | None:
    body = cond.get(key)
    if isinstance(body, dict) and op in body:
        return list(body[op])
    return None


class _Graph:
    def __init__(self) -> None:
        self.nodes: list[dict[str, Any]] = []
        self.ids: set[str] = set()
        self.dangling: list[tuple[dict[str, Any], str]] = []

    def new_id(self, base: str) -> str:
        base = slug(base)
        candidate, n = base, 2
        while candidate in self.ids:
            candidate = f"{base}-{n}"
            n += 1
        self.ids.add(candidate)
        return candidate

    def add(self, node: dict[str, Any], *, entry: bool = True) -> dict[str, Any]:
        """Append a node; an entry node receives every dangling link first."""
        if entry:
            for source, field in self.dangling:
                source[field] = node["id"]
            self.dangling = []
        self.nodes.append(node)
        return node

    def hang(self, node: dict[str, Any], field: str) -> None:
        self.dangling.append((node, field))


def _step_id(options: list[str]) -> str:
    if len(options) == 1:
        option = options[0]
        return option[4:] if option.startswith("idp:") else SHORT.get(option, option)
    if all(o in ("totp", "sms-otp", "backup-code") for o in options):
        return "second-factor"
    return "step"


def _cond_id(cond: dict[str, Any]) -> str:
    if "not" in cond:
        return "not-" + _cond_id(cond["not"])
    for key, prefix in (("role", "is-"), ("group", "in-")):
        body = cond.get(key)
        if isinstance(body, dict):
            values = next(iter(body.values()))
            return prefix + "-or-".join(slug(v) for v in values[:2])
    if "user_store" in cond:
        return "from-" + "-or-".join(slug(v) for v in cond["user_store"]["in"][:2])
    if "risk" in cond:
        return "risky"
    if "network" in cond:
        return "in-network"
    if "enrolled" in cond:
        return "has-mfa"
    return "check"


def _chain(g: _Graph, source: tuple[dict[str, Any], str], steps: list[list[str]]) -> None:
    """Steps one after the other from ``source``'s field; the last one's next dangles."""
    for options in steps:
        node: dict[str, Any] = {"id": g.new_id(_step_id(options)), "type": "step"}
        node["options"] = options
        node["next"] = None
        source[0][source[1]] = node["id"]
        g.add(node, entry=False)
        source = (node, "next")
    g.hang(*source)


def _gate(g: _Graph, gate: Gate) -> None:
    cond = gate.cond
    if gate.action == "only":
        store = _single(cond, "user_store", "in")
        if store is not None:
            cid, did = f"{'-or-'.join(slug(s) for s in store[:2])}-only", "not-" + slug(store[0])
        else:
            base = _cond_id(cond).removeprefix("is-").removeprefix("in-")
            cid, did = f"{base}-only", f"not-{base}"
        node = g.add(
            {"id": g.new_id(cid), "type": "condition", "if": cond, "then": None, "else": None}
        )
        refuse = {"id": g.new_id(did), "type": "deny", "message": only_message(cond)}
        node["else"] = refuse["id"]
        g.add(refuse, entry=False)
        g.hang(node, "then")
        return
    node = g.add(
        {
            "id": g.new_id(_cond_id(cond)),
            "type": "condition",
            "if": cond,
            "then": None,
            "else": None,
        }
    )
    if gate.action == "lock":
        end: dict[str, Any] = {"id": g.new_id("locked"), "type": "lock", "message": LOCK_MESSAGE}
        if gate.duration is not None:
            end["duration"] = gate.duration
    else:
        end = {"id": g.new_id("blocked"), "type": "deny", "message": deny_message(cond)}
    node["then"] = end["id"]
    g.add(end, entry=False)
    g.hang(node, "else")


def _stage(g: _Graph, stage: Stage) -> None:
    if stage.cond is None:
        head = g.add({"id": g.new_id(_step_id(stage.steps[0])), "type": "step"})
        head["options"] = stage.steps[0]
        head["next"] = None
        _chain(g, (head, "next"), stage.steps[1:])
        return
    cond, then_steps, else_steps = stage.cond, stage.steps, stage.otherwise
    if "not" in cond:  # "outside the network": test the network, steps on the else branch
        cond, then_steps, else_steps = cond["not"], else_steps, then_steps
    node = g.add({"id": g.new_id(_cond_id(cond)), "type": "condition", "if": cond, "then": None})
    node["else"] = None
    for field, steps in (("then", then_steps), ("else", else_steps)):
        _chain(g, (node, field), steps)


def _enroll(g: _Graph, enroll: Enroll) -> None:
    if enroll.unless is not None:
        node = g.add(
            {
                "id": g.new_id(_cond_id(enroll.unless)),
                "type": "condition",
                "if": enroll.unless,
                "then": None,
                "else": None,
            }
        )
        g.hang(node, "then")
        step: dict[str, Any] = {"id": g.new_id(f"enroll-{_step_id(enroll.options)}")}
        step["type"] = "enroll"
        node["else"] = step["id"]
        g.add(step, entry=False)
    else:
        step = g.add({"id": g.new_id(f"enroll-{_step_id(enroll.options)}"), "type": "enroll"})
    step["options"] = list(enroll.options)
    step["next"] = None
    if enroll.skippable:
        step["skippable"] = True
    g.hang(step, "next")


def _limit(g: _Graph, limit: Limit) -> None:
    node = g.add(
        {
            "id": g.new_id("one-session" if limit.max == 1 else "sessions"),
            "type": "limit_sessions",
            "max": limit.max,
            "on_exceed": limit.on_exceed,
            "next": None,
        }
    )
    if limit.on_exceed == "deny":
        node["message"] = (
            "You are already signed in elsewhere. Sign out there first."
            if limit.max == 1
            else f"You already have {limit.max - 1} other active sessions. Sign out of one first."
        )
    g.hang(node, "next")


def build(spec: Spec, inv: Inventory) -> dict[str, Any]:
    """The flow document of a spec (not yet validated against the server)."""
    g = _Graph()
    if spec.identify:
        who = g.add({"id": g.new_id("who"), "type": "identify", "next": None})
        g.hang(who, "next")
    first, *rest = spec.stages
    login = g.add({"id": g.new_id("login"), "type": "step", "options": first.steps[0]})
    login["next"] = None
    g.hang(login, "next")
    if len(first.steps) > 1:
        _stage(g, Stage(first.steps[1:], first.cond, first.otherwise))
    for gate in spec.gates:
        _gate(g, gate)
    for stage in rest:
        _stage(g, stage)
    for enroll in spec.enrolls:
        _enroll(g, enroll)
    if spec.limit is not None:
        _limit(g, spec.limit)
    g.add({"id": g.new_id("done"), "type": "allow"})
    nodes = [_ordered(n) for n in g.nodes]
    doc: dict[str, Any] = {"schema": SCHEMA, "name": name(spec, inv)}
    text = description(spec, inv)
    if text:
        doc["description"] = text
    doc["start"] = nodes[0]["id"]
    doc["nodes"] = nodes
    return doc


_ORDER = ("id", "type", "options", "if", "then", "else", "max", "on_exceed", "next")


def _ordered(node: dict[str, Any]) -> dict[str, Any]:
    out = {k: node[k] for k in _ORDER if k in node and not k.startswith("_")}
    out.update({k: v for k, v in node.items() if k not in out and not k.startswith("_")})
    return out


# ---- messages ---------------------------------------------------------------------------


def only_message(cond: dict[str, Any]) -> str:
    store = _single(cond, "user_store", "in")
    if store is not None:
        stores = "user store" if len(store) == 1 else "user stores"
        return f"Only members of the {_names(store)} {stores} can sign in here."
    roles = _single(cond, "role", "any")
    if roles is not None:
        word = "role" if len(roles) == 1 else "roles"
        return f"Only users with the {_names(roles)} {word} can sign in here."
    groups = _single(cond, "group", "any")
    if groups is not None:
        word = "group" if len(groups) == 1 else "groups"
        return f"Only members of the {_names(groups)} {word} can sign in here."
    if "network" in cond:
        return "Sign-in is only allowed from the organization's network."
    return "You cannot sign in here."


def deny_message(cond: dict[str, Any]) -> str:
    store = _single(cond, "user_store", "in")
    if store is not None:
        stores = "user store" if len(store) == 1 else "user stores"
        return f"Users of the {_names(store)} {stores} cannot sign in here."
    roles = _single(cond, "role", "any")
    if roles is not None:
        word = "role" if len(roles) == 1 else "roles"
        return f"Users with the {_names(roles)} {word} cannot sign in here."
    groups = _single(cond, "group", "any")
    if groups is not None:
        word = "group" if len(groups) == 1 else "groups"
        return f"Members of the {_names(groups)} {word} cannot sign in here."
    if "risk" in cond:
        return "This sign-in looks risky and was refused."
    if "network" in cond:
        return "Sign-in is not allowed from your network."
    return "You cannot sign in here."


# ---- name and description ---------------------------------------------------------------


def _who(cond: dict[str, Any] | None) -> str:
    if cond is None:
        return "everyone"
    if "not" in cond:
        inner = cond["not"]
        if "network" in inner:
            return "sign-ins from outside the network"
        if "enrolled" in inner:
            return "users without " + _names(list(inner["enrolled"]["any"]))
        return "other users"
    roles = _single(cond, "role", "any") or _single(cond, "role", "all")
    if roles is not None:
        return _names([plural(r) for r in roles], "and" if "all" in cond["role"] else "or")
    groups = _single(cond, "group", "any") or _single(cond, "group", "all")
    if groups is not None:
        return f"members of {_names(groups)}"
    stores = _single(cond, "user_store", "in")
    if stores is not None:
        return f"{_names(stores)} users"
    if "risk" in cond:
        return "risky sign-ins"
    if "network" in cond:
        return "sign-ins from the network"
    if "enrolled" in cond:
        return "users with " + _names(list(cond["enrolled"]["any"]))
    return "some users"


def _mention(item: Stage | Gate | Enroll | Limit, inv: Inventory, first: bool) -> str:
    if isinstance(item, Stage):
        parts = []
        for index, options in enumerate(item.steps):
            labels = _names([label(o, inv) for o in options])
            if item.cond is None:
                parts.append(labels if first and index == 0 else f"then {labels}")
            else:
                nouns = " or ".join(noun(o, inv) for o in options)
                verb = "also confirm with" if index == 0 else "then"
                parts.append(f"{_who(item.cond)} {verb} {nouns}")
        if item.otherwise:
            nouns = " then ".join(" or ".join(noun(o, inv) for o in s) for s in item.otherwise)
            parts.append(f"others confirm with {nouns}")
        return ", ".join(parts)
    if isinstance(item, Gate):
        who = _who(item.cond)
        if item.action == "only":
            return f"{who} only"
        return f"{who} {'blocked' if item.action == 'deny' else 'locked out'}"
    if isinstance(item, Enroll):
        names = _names([label(o, inv) for o in item.options])
        tail = " (optional)" if item.skippable else ""
        return f"users without {names} set one up{tail}"
    if item.max == 1:
        return "one session at a time"
    return f"at most {item.max} sessions"


def description(spec: Spec, inv: Inventory) -> str:
    parts = []
    if spec.identify:
        parts.append("username first")
    for index, item in enumerate(spec.mentions):
        parts.append(_mention(item, inv, index == 0))
    text = "; ".join(p for p in parts if p)
    text = text[:1].upper() + text[1:]
    return text[:2000]


def name(spec: Spec, inv: Inventory) -> str:
    first = spec.stages[0].steps[0]
    labels = _names([label(o, inv) for o in first])
    conditional = [s for s in spec.stages if s.cond is not None]
    later = [s for s in spec.stages[1:] if s.cond is None] + [
        Stage(spec.stages[0].steps[1:]) if len(spec.stages[0].steps) > 1 else Stage([])
    ]
    later = [s for s in later if s.steps]
    if conditional:
        stage = conditional[0]
        who = _who(stage.cond)
        short = " or ".join(
            idp_label(o, inv) if o.startswith("idp:") else NAME_SHORT.get(o, o)
            for o in stage.steps[0]
        )
        text = f"{who} confirm with {short}"
    elif later:
        nxt = _names([label(o, inv) for o in later[0].steps[0]])
        text = f"{labels} then {nxt}"
    else:
        text = labels
    text = text[:1].upper() + text[1:]
    return text[:200]
