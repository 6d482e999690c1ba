"""The flow document: a versioned graph of login steps, conditions and actions.

The designer, the text form (:mod:`identra.flows.text`), the plain-language compiler and the
CLI all read and write this one JSON shape (JSON Schema in :mod:`identra.flows.schema`):

    {"schema": "identra.flow/1", "name": "...", "description": "...", "start": "<node id>",
     "nodes": [{"id": "...", "type": "...", ...}, ...]}

Node types:

- ``identify``: ask for the username only (identifier-first); ``next``.
- ``step``: offer ``options`` (authenticator options: ``password``, ``sms-otp``,
  ``idp:google``...), any one of which passes the step; ``next``; optional ``timeout`` (s).
- ``enroll``: progressive enrollment: a user with none of ``options`` enrolled is asked to
  enroll one (``skippable`` lets them postpone); ``next``.
- ``condition``: ``if`` an expression, go to ``then``, else to ``else``.
- ``set``: set ``acr`` and/or add ``amr`` values; ``next``.
- ``limit_sessions``: at most ``max`` active sessions counting the new one; ``on_exceed`` is
  ``deny`` or ``choose`` (the user ends other sessions); optional ``message``; ``next``.
- ``allow`` (optional ``acr``/``amr``), ``deny`` (``message``), ``lock`` (``message``,
  optional ``duration`` in seconds: locks the identified user's account): the flow ends.

Expressions are ``{"all": [e, ...]}``, ``{"any": [e, ...]}`` (two or more), ``{"not": e}``, or
one test, e.g. ``{"role": {"any": ["manager"]}}`` (see :data:`TESTS`).

:func:`parse` validates a document completely (shape, references, reachability, no cycles) and
returns immutable dataclasses; :func:`dump` turns them back into the same JSON.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Union

SCHEMA = "identra.flow/1"
# Patterns are matched whole (``fullmatch``): ``$`` alone would accept a trailing newline, which
# the JSON Schema (ECMA-262 ``$``) refuses.
ID_PATTERN = re.compile(r"^[a-z][a-z0-9_-]{0,63}$")
OPTION_PATTERN = re.compile(r"^[a-z][a-z0-9-]{0,39}(:[A-Za-z0-9][A-Za-z0-9._-]{0,199})?$")
TIME_PATTERN = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
COMPARE = (">=", ">", "<=", "<", "==")
MAX_NODES = 200
MAX_DEPTH = 16  # expression nesting


class FlowInvalid(ValueError):
    """The document is not a valid flow; ``problems`` are ``(path, message)`` pairs."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{p}: {m}" if p else m for p, m in problems))


# ---- expressions ------------------------------------------------------------------------


@dataclass(frozen=True)
class Test:
    """One test. ``kind`` names it, ``op`` is its operator, ``value`` its operand; ``claim``
    names the claim for ``claim`` tests."""

    kind: str
    op: str
    value: Any = None
    claim: str | None = None


@dataclass(frozen=True)
class All:
    items: tuple[Expr, ...]


@dataclass(frozen=True)
class Any_:
    items: tuple[Expr, ...]


@dataclass(frozen=True)
class Not:
    item: Expr


Expr = Union[Test, All, Any_, Not]  # noqa: UP007 (a runtime alias used in isinstance checks)

# kind -> (operators, operand kind). Operand kinds: names (non-empty list of strings), cidrs,
# number, count (non-negative integer), string, none, window (time window object).
TESTS: dict[str, tuple[tuple[str, ...], str]] = {
    "role": (("any", "all"), "names"),
    "group": (("any", "all"), "names"),
    "user_store": (("in",), "names"),
    "claim": (("eq", "ne", "in", "present"), "claim"),
    "sessions": (COMPARE, "count"),
    "acr": (("in",), "names"),
    "application": (("in",), "names"),
    "network": (("in",), "cidrs"),
    "time": (("within",), "window"),
    "risk": (COMPARE, "number"),
    "enrolled": (("any",), "names"),
    "amr": (("any", "all"), "names"),
}
# Tests that need to know who the user is.
USER_TESTS = frozenset({"role", "group", "user_store", "claim", "sessions", "enrolled"})


# ---- nodes ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Node:
    id: str
    type: str
    next: str | None = None
    options: tuple[str, ...] = ()
    timeout: int | None = None
    skippable: bool | None = None
    condition: Expr | None = None
    then: str | None = None
    otherwise: str | None = None
    acr: str | None = None
    amr: tuple[str, ...] | None = None
    message: str | None = None
    duration: int | None = None
    max: int | None = None
    on_exceed: str | None = None

    @property
    def interactive(self) -> bool:
        return self.type in INTERACTIVE

    @property
    def terminal(self) -> bool:
        return self.type in TERMINAL

    def targets(self) -> tuple[str, ...]:
        if self.type == "condition":
            return (self.then or "", self.otherwise or "")
        return (self.next,) if self.next else ()


INTERACTIVE = frozenset({"identify", "step", "enroll", "limit_sessions"})
TERMINAL = frozenset({"allow", "deny", "lock"})

# type -> (required fields, optional fields), in the order the text form prints them.
FIELDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "identify": (("next",), ("timeout",)),
    "step": (("options", "next"), ("timeout",)),
    "enroll": (("options", "next"), ("skippable", "timeout")),
    "condition": (("if", "then", "else"), ()),
    "set": (("next",), ("acr", "amr")),
    "limit_sessions": (("max", "on_exceed", "next"), ("message",)),
    "allow": ((), ("acr", "amr")),
    "deny": (("message",), ()),
    "lock": (("message",), ("duration",)),
}
# JSON field name -> Node attribute, where they differ.
ATTR = {"if": "condition", "else": "otherwise"}


@dataclass(frozen=True)
class FlowDocument:
    name: str
    start: str
    nodes: tuple[Node, ...]
    description: str | None = None
    by_id: Mapping[str, Node] = field(default_factory=dict, compare=False, repr=False)

    def node(self, node_id: str) -> Node:
        return self.by_id[node_id]

    def options(self) -> set[str]:
        return {o for n in self.nodes for o in n.options}


# ---- parsing ----------------------------------------------------------------------------


class _Collector:
    def __init__(self) -> None:
        self.problems: list[tuple[str, str]] = []

    def add(self, path: str, message: str) -> None:
        self.problems.append((path, message))


def _text(c: _Collector, path: str, value: Any, limit: int = 500) -> str | None:
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        c.add(path, f"must be a non-empty string of at most {limit} characters")
        return None
    return value


def _int(c: _Collector, path: str, value: Any, low: int, high: int) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        c.add(path, f"must be an integer from {low} to {high}")
        return None
    return value


def _names(c: _Collector, path: str, value: Any, limit: int = 50) -> tuple[str, ...] | None:
    if (
        not isinstance(value, list)
        or not 1 <= len(value) <= limit
        or not all(isinstance(v, str) and 0 < len(v) <= 255 for v in value)
    ):
        c.add(path, f"must be a list of 1 to {limit} non-empty strings")
        return None
    if len(set(value)) != len(value):
        c.add(path, "must not repeat a value")
        return None
    return tuple(value)


def _window(c: _Collector, path: str, value: Any) -> dict[str, Any] | None:
    keys = ("days", "from", "to", "tz")
    if not isinstance(value, dict) or set(value) != set(keys):
        detail = ""
        if isinstance(value, dict):
            missing = [k for k in keys if k not in value]
            unknown = sorted(set(value) - set(keys))
            detail = "".join(
                [
                    f"; missing: {', '.join(missing)}" if missing else "",
                    f"; unknown: {', '.join(unknown)}" if unknown else "",
                ]
            )
        c.add(path, f'must be an object with "days", "from", "to" and "tz"{detail}')
        return None
    days = value["days"]
    if (
        not isinstance(days, list)
        or not days
        or any(d not in DAYS for d in days)
        or len(set(days)) != len(days)
    ):
        c.add(f"{path}.days", f"must be a list of distinct days from {', '.join(DAYS)}")
        return None
    for key in ("from", "to"):
        if not isinstance(value[key], str) or not TIME_PATTERN.fullmatch(value[key]):
            c.add(f"{path}.{key}", "must be a time HH:MM")
            return None
    if value["from"] == value["to"]:
        c.add(path, '"from" and "to" must differ')
        return None
    tz = value["tz"]
    if not isinstance(tz, str) or not _known_zone(tz):
        c.add(f"{path}.tz", "must be an IANA time zone such as UTC or Europe/Paris")
        return None
    return {"days": list(days), "from": value["from"], "to": value["to"], "tz": tz}


def _known_zone(name: str) -> bool:
    from zoneinfo import ZoneInfo

    try:
        ZoneInfo(name)
    except (ValueError, KeyError, OSError):
        return False
    return True


def _test(c: _Collector, path: str, kind: str, body: Any) -> Test | None:
    ops, operand = TESTS[kind]
    if not isinstance(body, dict):
        c.add(path, "must be an object")
        return None
    claim = None
    if operand == "claim":
        body = dict(body)
        claim = _text(c, f"{path}.name", body.pop("name", None), 200)
        if claim is None:
            return None
    if len(body) != 1:
        c.add(path, f"must have exactly one operator of: {', '.join(ops)}")
        return None
    ((op, value),) = body.items()
    if op not in ops:
        c.add(path, f"unknown operator {op!r}; use one of: {', '.join(ops)}")
        return None
    where = f"{path}.{op}"
    checked: Any
    if operand == "names":
        checked = _names(c, where, value)
    elif operand == "cidrs":
        checked = _names(c, where, value)
        for cidr in checked or ():
            try:
                ipaddress.ip_network(cidr, strict=False)
            except ValueError:
                c.add(where, f"{cidr!r} is not an IP network (CIDR)")
                return None
    elif operand == "count":
        checked = _int(c, where, value, 0, 10_000)
    elif operand == "number":
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 100:
            c.add(where, "must be a number from 0 to 100")
            return None
        checked = value
    elif operand == "window":
        checked = _window(c, where, value)
    else:  # claim
        if op == "present":
            if value is not True:
                c.add(where, "must be true")
                return None
            checked = True
        elif op == "in":
            checked = _names(c, where, value)
        else:
            checked = _text(c, where, value, 1000) if isinstance(value, str) else None
            if checked is None and not isinstance(value, str):
                c.add(where, "must be a string")
    if checked is None:
        return None
    return Test(kind, op, tuple(checked) if isinstance(checked, list | tuple) else checked, claim)


def _expr(c: _Collector, path: str, raw: Any, depth: int = 0) -> Expr | None:
    if depth > MAX_DEPTH:
        c.add(path, f"nests deeper than {MAX_DEPTH} levels")
        return None
    if not isinstance(raw, dict) or len(raw) != 1:
        c.add(path, "must be an object with exactly one key (all, any, not, or a test)")
        return None
    ((key, body),) = raw.items()
    if key in ("all", "any"):
        if not isinstance(body, list) or len(body) < 2:
            c.add(f"{path}.{key}", "must be a list of two or more expressions")
            return None
        items = [_expr(c, f"{path}.{key}[{i}]", item, depth + 1) for i, item in enumerate(body)]
        if any(item is None for item in items):
            return None
        checked = tuple(i for i in items if i is not None)
        return All(checked) if key == "all" else Any_(checked)
    if key == "not":
        inner = _expr(c, f"{path}.not", body, depth + 1)
        return Not(inner) if inner is not None else None
    if key not in TESTS:
        c.add(path, f"unknown test {key!r}; known: {', '.join(sorted(TESTS))}")
        return None
    return _test(c, f"{path}.{key}", key, body)


def _node(c: _Collector, path: str, raw: Any) -> Node | None:
    if not isinstance(raw, dict):
        c.add(path, "must be an object")
        return None
    node_id, node_type = raw.get("id"), raw.get("type")
    if not isinstance(node_id, str) or not ID_PATTERN.fullmatch(node_id):
        c.add(f"{path}.id", "must match [a-z][a-z0-9_-]{0,63}")
        return None
    if not isinstance(node_type, str) or node_type not in FIELDS:
        c.add(f"{path}.type", f"must be one of: {', '.join(FIELDS)}")
        return None
    required, optional = FIELDS[node_type]
    extra = set(raw) - {"id", "type", *required, *optional}
    if extra:
        c.add(path, f"unknown field(s) for a {node_type} node: {', '.join(sorted(extra))}")
    missing = [f for f in required if f not in raw]
    if missing:
        c.add(path, f"missing field(s): {', '.join(missing)}")
        return None
    before = len(c.problems)
    values: dict[str, Any] = {}
    for name in (*required, *optional):
        if name not in raw:
            continue
        value, where = raw[name], f"{path}.{name}"
        if name in ("next", "then", "else"):
            if not isinstance(value, str) or not ID_PATTERN.fullmatch(value):
                c.add(where, "must be a node id")
            values[ATTR.get(name, name)] = value
        elif name == "options":
            options = _names(c, where, value, 10)
            for option in options or ():
                if not OPTION_PATTERN.fullmatch(option):
                    c.add(where, f"{option!r} is not an option name (e.g. password, idp:google)")
            values["options"] = options or ()
        elif name == "timeout":
            values["timeout"] = _int(c, where, value, 10, 86_400)
        elif name == "duration":
            values["duration"] = _int(c, where, value, 1, 366 * 86_400)
        elif name == "max":
            values["max"] = _int(c, where, value, 1, 1000)
        elif name == "skippable":
            if not isinstance(value, bool):
                c.add(where, "must be true or false")
            values["skippable"] = value
        elif name == "on_exceed":
            if value not in ("deny", "choose"):
                c.add(where, 'must be "deny" or "choose"')
            values["on_exceed"] = value
        elif name in ("message", "acr"):
            values[name] = _text(c, where, value, 500 if name == "message" else 255)
        elif name == "amr":
            values["amr"] = _names(c, where, value, 10)
        elif name == "if":
            values["condition"] = _expr(c, where, value)
    if node_type == "set" and "acr" not in raw and "amr" not in raw:
        c.add(path, "a set node needs acr, amr or both")
    if len(c.problems) > before:
        return None
    return Node(id=node_id, type=node_type, **values)


def _graph_problems(c: _Collector, start: str, nodes: list[Node]) -> None:
    by_id = {n.id: n for n in nodes}
    if start not in by_id:
        c.add("start", f"no node {start!r}")
        return
    for node in nodes:
        for target in node.targets():
            if target not in by_id:
                c.add(f"nodes.{node.id}", f"refers to unknown node {target!r}")
    if c.problems:
        return
    # Depth-first walk from the start: every node reachable, no cycles (a flow always ends).
    state: dict[str, int] = {}  # 1 visiting, 2 done
    order: list[str] = []

    def visit(node_id: str) -> None:
        stack: list[tuple[str, int]] = [(node_id, 0)]
        state[node_id] = 1
        while stack:
            current, index = stack.pop()
            targets = by_id[current].targets()
            if index < len(targets):
                stack.append((current, index + 1))
                target = targets[index]
                if state.get(target) == 1:
                    c.add(f"nodes.{current}", f"going to {target!r} makes a loop")
                elif target not in state:
                    state[target] = 1
                    stack.append((target, 0))
            else:
                state[current] = 2
                order.append(current)

    visit(start)
    for node in nodes:
        if node.id not in state:
            c.add(f"nodes.{node.id}", "cannot be reached from the start")


def always_after(doc: FlowDocument, marks: Callable[[Node], bool]) -> dict[str, bool]:
    """For each node: has every path from the start to it passed a node that ``marks``?"""
    incoming = {n.id: 0 for n in doc.nodes}
    for node in doc.nodes:
        for target in node.targets():
            incoming[target] += 1
    arrivals: dict[str, list[bool]] = {n.id: [] for n in doc.nodes}
    arrivals[doc.start].append(False)
    known: dict[str, bool] = {}
    ready = [doc.start]  # no cycles, everything reachable: a topological walk covers all
    while ready:
        node = doc.node(ready.pop())
        known[node.id] = bool(arrivals[node.id]) and all(arrivals[node.id])
        after = known[node.id] or marks(node)
        for target in node.targets():
            arrivals[target].append(after)
            incoming[target] -= 1
            if incoming[target] == 0:
                ready.append(target)
    return known


def parse(
    raw: Any,
    *,
    known_option: Callable[[str], bool] | None = None,
    first_factor: Callable[[str], bool] | None = None,
) -> FlowDocument:
    """Validate ``raw`` (decoded JSON) and return the flow; raises :class:`FlowInvalid`.

    ``known_option`` checks option names against the server's authenticators and identity
    providers; with ``first_factor`` the parser also checks that no step, condition or action
    that needs a known user comes before one is identified.
    """
    c = _Collector()
    if not isinstance(raw, dict):
        raise FlowInvalid([("", "a flow is a JSON object")])
    extra = set(raw) - {"schema", "name", "description", "start", "nodes"}
    if extra:
        c.add("", f"unknown field(s): {', '.join(sorted(extra))}")
    if raw.get("schema") != SCHEMA:
        c.add("schema", f'must be "{SCHEMA}"')
    name = _text(c, "name", raw.get("name"), 200)
    description = raw.get("description")
    if description is not None:
        _text(c, "description", description, 2000)
    start = raw.get("start")
    if not isinstance(start, str) or not ID_PATTERN.fullmatch(start):
        c.add("start", "must be a node id")
    raw_nodes = raw.get("nodes")
    nodes: list[Node] = []
    if not isinstance(raw_nodes, list) or not 1 <= len(raw_nodes) <= MAX_NODES:
        c.add("nodes", f"must be a list of 1 to {MAX_NODES} nodes")
    else:
        seen: set[str] = set()
        for index, item in enumerate(raw_nodes):
            node = _node(c, f"nodes[{index}]", item)
            if node is None:
                continue
            if node.id in seen:
                c.add(f"nodes[{index}].id", f"repeats the id {node.id!r}")
            seen.add(node.id)
            nodes.append(node)
    if c.problems:
        raise FlowInvalid(c.problems)
    assert isinstance(start, str) and name is not None
    _graph_problems(c, start, nodes)
    if c.problems:
        raise FlowInvalid(c.problems)
    doc = FlowDocument(name, start, tuple(nodes), description, {n.id: n for n in nodes})
    if known_option is not None:
        for node in nodes:
            for option in node.options:
                if known_option(option):
                    continue
                if option.startswith("idp:"):
                    message = f"no enabled identity provider named {option[4:]!r}"
                else:
                    message = f"no enabled authenticator offers {option!r}"
                c.add(f"nodes.{node.id}.options", message)
    if first_factor is not None and not c.problems:
        _check_identified(c, doc, first_factor)
    if c.problems:
        raise FlowInvalid(c.problems)
    return doc


def _tests_of(expr: Expr) -> list[Test]:
    if isinstance(expr, Test):
        return [expr]
    if isinstance(expr, Not):
        return _tests_of(expr.item)
    return [t for item in expr.items for t in _tests_of(item)]


def _check_identified(
    c: _Collector, doc: FlowDocument, first_factor: Callable[[str], bool]
) -> None:
    identified = always_after(
        doc,
        lambda n: (
            n.type == "identify" or (n.type == "step" and all(first_factor(o) for o in n.options))
        ),
    )
    authenticated = always_after(doc, lambda n: n.type == "step")
    for node in doc.nodes:
        where = f"nodes.{node.id}"
        if node.type == "allow" and not authenticated[node.id]:
            c.add(where, "a path reaches this allow without passing any step")
        if identified[node.id]:
            continue
        if node.type == "step" and not any(first_factor(o) for o in node.options):
            c.add(where, "no option here can identify the user; add a first step before it")
        elif node.type in ("enroll", "limit_sessions", "lock"):
            article = "an" if node.type[0] in "aeiou" else "a"
            c.add(where, f"{article} {node.type} node needs the user identified by an earlier step")
        elif node.type == "condition" and node.condition is not None:
            needs = sorted({t.kind for t in _tests_of(node.condition)} & USER_TESTS)
            if needs:
                c.add(where, f"tests {', '.join(needs)} before the user is identified")


# ---- back to JSON -----------------------------------------------------------------------


def dump_expr(expr: Expr) -> dict[str, Any]:
    if isinstance(expr, All):
        return {"all": [dump_expr(i) for i in expr.items]}
    if isinstance(expr, Any_):
        return {"any": [dump_expr(i) for i in expr.items]}
    if isinstance(expr, Not):
        return {"not": dump_expr(expr.item)}
    value: Any = expr.value
    if isinstance(value, tuple):
        value = list(value)
    elif isinstance(value, dict):  # a time window: a copy, so the document stays unchanged
        value = {k: list(v) if isinstance(v, list | tuple) else v for k, v in value.items()}
    body: dict[str, Any] = {"name": expr.claim} if expr.claim is not None else {}
    body[expr.op] = value
    return {expr.kind: body}


def dump_node(node: Node) -> dict[str, Any]:
    out: dict[str, Any] = {"id": node.id, "type": node.type}
    required, optional = FIELDS[node.type]
    for name in (*required, *optional):
        value = getattr(node, ATTR.get(name, name))
        if value is None or (name == "options" and not value):
            continue
        if name == "if":
            value = dump_expr(value)
        elif isinstance(value, tuple):
            value = list(value)
        out[name] = value
    return out


def dump(doc: FlowDocument) -> dict[str, Any]:
    out: dict[str, Any] = {"schema": SCHEMA, "name": doc.name}
    if doc.description is not None:
        out["description"] = doc.description
    out["start"] = doc.start
    out["nodes"] = [dump_node(n) for n in doc.nodes]
    return out
