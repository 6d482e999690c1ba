"""Hypothesis strategies for flow documents.

:func:`documents` draws random *valid* documents in their JSON form: random acyclic graphs in
which every node is reachable from the start, with nodes of every type (every optional field
sometimes present) and random condition expressions built from every test kind, with strings
full of quotes, backslashes, control characters and line separators.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from identra.flows.document import DAYS, FIELDS, SCHEMA, TERMINAL, TESTS

IDS = st.from_regex(r"[a-z][a-z0-9_-]{0,12}", fullmatch=True)
OPTIONS = st.one_of(
    st.sampled_from(
        ["password", "email-otp", "sms-otp", "magic-link", "totp", "backup-code", "passkey"]
    ),
    st.from_regex(r"idp:[A-Za-z0-9][A-Za-z0-9._-]{0,15}", fullmatch=True),
    st.from_regex(r"[a-z][a-z0-9-]{0,10}(:[A-Za-z0-9][A-Za-z0-9._-]{0,10})?", fullmatch=True),
)
AWKWARD = st.sampled_from(
    [
        *['"', "\\", "\\n", "\n", "\r\n", "\t", "\u2028", "\u2029", "\x85", "\x7f", "#"],
        *["é", "🙂", "\x00", "\u202e", "\u200b", "\ufeff", "\U000e0001", "\xa0", "\ue000"],
    ]
)


def strings(limit: int = 40) -> st.SearchStrategy[str]:
    """Non-blank strings (the document refuses blank ones)."""
    base = st.text(min_size=1, max_size=limit)
    mixed = st.lists(st.one_of(base, AWKWARD), min_size=1, max_size=4).map("".join)
    return st.one_of(base, mixed).filter(lambda s: bool(s.strip()) and len(s) <= limit)


# Names in lists may be any non-empty string (even blank ones: a role named " " is a name).
NAMES = st.lists(
    st.one_of(st.text(min_size=1, max_size=12), AWKWARD), min_size=1, max_size=4, unique=True
)


@st.composite
def cidrs(draw: st.DrawFn) -> str:
    version = draw(st.sampled_from([4, 6]))
    address = draw(st.ip_addresses(v=4) if version == 4 else st.ip_addresses(v=6))
    if draw(st.booleans()):
        return str(address)  # a single address is a network too
    return f"{address}/{draw(st.integers(0, 32 if version == 4 else 128))}"


@st.composite
def windows(draw: st.DrawFn) -> dict[str, Any]:
    def clock() -> str:
        return f"{draw(st.integers(0, 23)):02d}:{draw(st.integers(0, 59)):02d}"

    start = clock()
    end = clock()
    if end == start:  # "from" and "to" must differ
        end = "00:00" if start != "00:00" else "12:00"
    return {
        "days": draw(st.lists(st.sampled_from(DAYS), min_size=1, max_size=7, unique=True)),
        "from": start,
        "to": end,
        "tz": draw(st.sampled_from(["UTC", "Europe/Paris", "America/New_York", "Asia/Kolkata"])),
    }


RISK = st.one_of(st.integers(0, 100), st.floats(0, 100, allow_nan=False))


@st.composite
def tests(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(sorted(TESTS)))
    ops, operand = TESTS[kind]
    op = draw(st.sampled_from(ops))
    value: Any
    if operand == "names":
        value = draw(NAMES)
    elif operand == "cidrs":
        value = draw(st.lists(cidrs(), min_size=1, max_size=3, unique=True))
    elif operand == "count":
        value = draw(st.integers(0, 10_000))
    elif operand == "number":
        value = draw(RISK)
    elif operand == "window":
        value = draw(windows())
    else:  # claim
        name = draw(strings(30))
        if op == "present":
            return {"claim": {"name": name, "present": True}}
        value = draw(NAMES) if op == "in" else draw(strings(30))
        return {"claim": {"name": name, op: value}}
    return {kind: {op: value}}


def expressions(depth: int = 4) -> st.SearchStrategy[dict[str, Any]]:
    """Expressions nesting at most ``depth`` levels of all/any/not."""
    if depth == 0:
        return tests()
    child = st.deferred(lambda: expressions(depth - 1))
    return st.one_of(
        tests(),
        st.lists(child, min_size=2, max_size=3).map(lambda items: {"all": items}),
        st.lists(child, min_size=2, max_size=3).map(lambda items: {"any": items}),
        child.map(lambda item: {"not": item}),
    )


def _maybe(draw: st.DrawFn, body: dict[str, Any], name: str, value: st.SearchStrategy[Any]) -> None:
    if draw(st.booleans()):
        body[name] = draw(value)


def _amr() -> st.SearchStrategy[list[str]]:
    return st.lists(st.text(min_size=1, max_size=10), min_size=1, max_size=4, unique=True)


@st.composite
def node_body(draw: st.DrawFn, node_type: str) -> dict[str, Any]:
    """The fields of a node other than id, type and its targets."""
    body: dict[str, Any] = {}
    timeouts = st.integers(10, 86_400)
    if node_type == "identify":
        _maybe(draw, body, "timeout", timeouts)
    elif node_type in ("step", "enroll"):
        body["options"] = draw(st.lists(OPTIONS, min_size=1, max_size=4, unique=True))
        if node_type == "enroll":
            _maybe(draw, body, "skippable", st.booleans())
        _maybe(draw, body, "timeout", timeouts)
    elif node_type == "condition":
        body["if"] = draw(expressions())
    elif node_type == "set":
        which = draw(st.sampled_from(["acr", "amr", "both"]))
        if which in ("acr", "both"):
            body["acr"] = draw(strings(60))
        if which in ("amr", "both"):
            body["amr"] = draw(_amr())
    elif node_type == "limit_sessions":
        body["max"] = draw(st.integers(1, 1000))
        body["on_exceed"] = draw(st.sampled_from(["deny", "choose"]))
        _maybe(draw, body, "message", strings(80))
    elif node_type == "allow":
        _maybe(draw, body, "acr", strings(60))
        _maybe(draw, body, "amr", _amr())
    elif node_type == "deny":
        body["message"] = draw(strings(80))
    elif node_type == "lock":
        body["message"] = draw(strings(80))
        _maybe(draw, body, "duration", st.integers(1, 366 * 86_400))
    return body


MIDDLE = [t for t in FIELDS if t not in TERMINAL] * 3 + sorted(TERMINAL)


def targets(node_type: str) -> tuple[str, ...]:
    if node_type == "condition":
        return ("then", "else")
    return () if node_type in TERMINAL else ("next",)


@st.composite
def documents(draw: st.DrawFn, max_nodes: int = 10) -> dict[str, Any]:
    """A valid flow document (JSON form). Node i only points to later nodes (no loops), and
    every node after the first fills a target of an earlier one (all reachable)."""
    size = draw(st.integers(1, max_nodes))
    ids = draw(st.lists(IDS, min_size=size, max_size=size, unique=True))
    nodes: list[dict[str, Any]] = []
    open_slots: list[tuple[int, str]] = []
    for index in range(size):
        if index > 0:
            if not open_slots:
                break
            owner, slot = open_slots.pop(draw(st.integers(0, len(open_slots) - 1)))
            nodes[owner][slot] = ids[index]
        last = index == size - 1
        # Terminal nodes sparingly before the last, so that graphs grow past a node or two.
        node_type = draw(st.sampled_from(sorted(TERMINAL) if last else MIDDLE))
        nodes.append({"id": ids[index], "type": node_type, **draw(node_body(node_type))})
        open_slots.extend((index, name) for name in targets(node_type))
    for owner, slot in open_slots:  # the rest point anywhere later (the last node ends)
        nodes[owner][slot] = ids[draw(st.integers(owner + 1, len(nodes) - 1))]
    document: dict[str, Any] = {"schema": SCHEMA, "name": draw(strings(60))}
    _maybe(draw, document, "description", strings(200))
    document["start"] = ids[0]
    document["nodes"] = draw(st.permutations(nodes))
    return document
