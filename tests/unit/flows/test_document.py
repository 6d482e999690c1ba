"""Flow documents: every node type's fields, ids and references, the graph (reachability, no
loops), limits, every test's operators and operands, and the checks against the server's
options (``known_option``) and identification order (``first_factor``). Problems are asserted
with their exact paths."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from identra.flows.document import (
    FIELDS,
    MAX_DEPTH,
    MAX_NODES,
    SCHEMA,
    TESTS,
    All,
    Any_,
    FlowInvalid,
    Not,
    always_after,
    dump,
    parse,
)
from identra.flows.document import (
    Test as T,
)

ID_MESSAGE = "must match [a-z][a-z0-9_-]{0,63}"
NAMES_MESSAGE = "must be a list of 1 to 50 non-empty strings"
END = {"id": "z", "type": "allow"}
FIRST = {"password", "email-otp", "magic-link", "passkey"}


def first_factor(option: str) -> bool:
    return option in FIRST or option.startswith("idp:")


def known(option: str) -> bool:
    return True


CHECKS: dict[str, Callable[[str], bool]] = {"known_option": known, "first_factor": first_factor}


def doc(*nodes: Any, start: str = "a", **top: Any) -> dict[str, Any]:
    return {"schema": SCHEMA, "name": "Test", "start": start, "nodes": list(nodes), **top}


def step(node_id: str = "a", options: list[str] | None = None, nxt: str = "z") -> dict[str, Any]:
    return {"id": node_id, "type": "step", "options": options or ["password"], "next": nxt}


def cond(expr: Any, node_id: str = "a", then: str = "z", otherwise: str = "z") -> dict[str, Any]:
    return {"id": node_id, "type": "condition", "if": expr, "then": then, "else": otherwise}


def problems(raw: Any, **checks: Any) -> list[tuple[str, str]]:
    with pytest.raises(FlowInvalid) as caught:
        parse(raw, **checks)
    assert str(caught.value) == "; ".join(f"{p}: {m}" if p else m for p, m in caught.value.problems)
    return caught.value.problems


def expr_problems(expr: Any) -> list[tuple[str, str]]:
    return problems(doc(cond(expr), END))


def roundtrip(raw: dict[str, Any], **checks: Any) -> None:
    parsed = parse(raw, **checks)
    assert dump(parsed) == raw
    assert parse(dump(parsed)) == parsed


# ---- the document -----------------------------------------------------------------------


def test_smallest_flow_parses_into_dataclasses() -> None:
    parsed = parse(doc(step(), END, description="Just a password"))
    assert parsed.name == "Test" and parsed.start == "a"
    assert parsed.description == "Just a password"
    assert parsed.node("a").options == ("password",) and parsed.node("a").interactive
    assert parsed.node("z").terminal and parsed.node("z").targets() == ()
    assert parsed.options() == {"password"}
    assert dump(parsed) == doc(step(), END, description="Just a password")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ([], [("", "a flow is a JSON object")]),
        ("flow", [("", "a flow is a JSON object")]),
        (doc(step(), END, extra=1, other=2), [("", "unknown field(s): extra, other")]),
        ({**doc(step(), END), "schema": "identra.flow/2"}, [("schema", f'must be "{SCHEMA}"')]),
        (
            {k: v for k, v in doc(step(), END).items() if k != "schema"},
            [("schema", f'must be "{SCHEMA}"')],
        ),
        (
            doc(step(), END, name="   "),
            [("name", "must be a non-empty string of at most 200 characters")],
        ),
        (
            doc(step(), END, name="n" * 201),
            [("name", "must be a non-empty string of at most 200 characters")],
        ),
        (
            doc(step(), END, description=""),
            [("description", "must be a non-empty string of at most 2000 characters")],
        ),
        (
            doc(step(), END, description=["x"]),
            [("description", "must be a non-empty string of at most 2000 characters")],
        ),
        (doc(step(), END, start="A"), [("start", "must be a node id")]),
        (doc(step(), END, start="a\n"), [("start", "must be a node id")]),
        (doc(step(), END, start="y"), [("start", "no node 'y'")]),
        (doc(), [("nodes", f"must be a list of 1 to {MAX_NODES} nodes")]),
        ({**doc(), "nodes": {"a": END}}, [("nodes", f"must be a list of 1 to {MAX_NODES} nodes")]),
    ],
)
def test_top_level_problems(raw: Any, expected: list[tuple[str, str]]) -> None:
    assert problems(raw) == expected


def test_all_top_level_problems_are_reported_together() -> None:
    raw = {"schema": 1, "name": "", "start": 5, "nodes": [], "x": 1}
    assert [p for p, _ in problems(raw)] == ["", "schema", "name", "start", "nodes"]


# ---- nodes ------------------------------------------------------------------------------

MINIMAL: dict[str, dict[str, Any]] = {
    "identify": {"next": "z"},
    "step": {"options": ["password"], "next": "z"},
    "enroll": {"options": ["totp"], "next": "z"},
    "condition": {"if": {"risk": {">=": 50}}, "then": "z", "else": "z"},
    "set": {"acr": "urn:example:gold", "next": "z"},
    "limit_sessions": {"max": 2, "on_exceed": "choose", "next": "z"},
    "allow": {},
    "deny": {"message": "No."},
    "lock": {"message": "Locked."},
}
FULL: dict[str, dict[str, Any]] = {
    "identify": {"next": "z", "timeout": 60},
    "step": {"options": ["password", "idp:google"], "next": "z", "timeout": 86_400},
    "enroll": {"options": ["totp", "passkey"], "next": "z", "skippable": False, "timeout": 10},
    "condition": MINIMAL["condition"],
    "set": {"next": "z", "acr": "urn:example:gold", "amr": ["hwk"]},
    "limit_sessions": {"max": 1, "on_exceed": "deny", "next": "z", "message": "One at a time"},
    "allow": {"acr": "urn:example:gold", "amr": ["mfa", "otp"]},
    "deny": {"message": "No."},
    "lock": {"message": "Locked.", "duration": 366 * 86_400},
}


def test_the_tables_cover_every_node_type() -> None:
    assert set(MINIMAL) == set(FULL) == set(FIELDS)


@pytest.mark.parametrize("table", [MINIMAL, FULL], ids=["required", "all-fields"])
@pytest.mark.parametrize("node_type", list(FIELDS))
def test_every_node_type_parses_and_dumps_back(
    table: dict[str, dict[str, Any]], node_type: str
) -> None:
    node = {"id": "a", "type": node_type, **table[node_type]}
    nodes = [node] if node_type in ("allow", "deny", "lock") else [node, END]
    roundtrip(doc(*nodes))
    parsed = parse(doc(*nodes)).node("a")
    if node_type == "condition":
        assert parsed.condition == T("risk", ">=", 50)
        assert (parsed.then, parsed.otherwise) == ("z", "z")


@pytest.mark.parametrize("node_type", list(FIELDS))
def test_each_required_field_is_required(node_type: str) -> None:
    required, _ = FIELDS[node_type]
    for name in required:
        body = {k: v for k, v in MINIMAL[node_type].items() if k != name}
        node = {"id": "a", "type": node_type, **body}
        assert problems(doc(node, END)) == [("nodes[0]", f"missing field(s): {name}")]


def test_missing_fields_are_listed_in_order() -> None:
    assert problems(doc({"id": "a", "type": "limit_sessions"}, END)) == [
        ("nodes[0]", "missing field(s): max, on_exceed, next")
    ]


@pytest.mark.parametrize("node_type", list(FIELDS))
def test_fields_of_other_node_types_are_unknown(node_type: str) -> None:
    required, optional = FIELDS[node_type]
    foreign = sorted({f for r, o in FIELDS.values() for f in (*r, *o)} - {*required, *optional})
    assert foreign  # every type lacks some field of another
    node = {"id": "a", "type": node_type, **MINIMAL[node_type], foreign[0]: "z", "colour": 1}
    assert problems(doc(node, END))[0] == (
        "nodes[0]",
        f"unknown field(s) for a {node_type} node: {', '.join(sorted([foreign[0], 'colour']))}",
    )


@pytest.mark.parametrize(
    ("node", "expected"),
    [
        ("step", [("nodes[0]", "must be an object")]),
        ({"type": "allow"}, [("nodes[0].id", ID_MESSAGE)]),
        ({"id": "A", "type": "allow"}, [("nodes[0].id", ID_MESSAGE)]),
        ({"id": "1a", "type": "allow"}, [("nodes[0].id", ID_MESSAGE)]),
        ({"id": "a b", "type": "allow"}, [("nodes[0].id", ID_MESSAGE)]),
        ({"id": "a" * 65, "type": "allow"}, [("nodes[0].id", ID_MESSAGE)]),
        ({"id": "a\n", "type": "allow"}, [("nodes[0].id", ID_MESSAGE)]),
        ({"id": 7, "type": "allow"}, [("nodes[0].id", ID_MESSAGE)]),
        ({"id": "a"}, [("nodes[0].type", f"must be one of: {', '.join(FIELDS)}")]),
        ({"id": "a", "type": "goto"}, [("nodes[0].type", f"must be one of: {', '.join(FIELDS)}")]),
        # unhashable values must be a problem, not a TypeError
        (
            {"id": "a", "type": ["allow"]},
            [("nodes[0].type", f"must be one of: {', '.join(FIELDS)}")],
        ),
        (
            {"id": "a", "type": {"x": 1}},
            [("nodes[0].type", f"must be one of: {', '.join(FIELDS)}")],
        ),
    ],
)
def test_node_identity_problems(node: Any, expected: list[tuple[str, str]]) -> None:
    assert problems(doc(node)) == expected


def test_longest_id_and_punctuation_are_fine() -> None:
    long_id = "a" + "b_-9" * 15 + "xyz"
    assert len(long_id) == 64
    roundtrip(doc(step("a", nxt=long_id), {"id": long_id, "type": "allow"}))


def test_duplicate_ids() -> None:
    raw = doc(step(), END, {"id": "a", "type": "deny", "message": "x"})
    assert problems(raw) == [("nodes[2].id", "repeats the id 'a'")]


STEP_VALUE_CASES = [
    ("next", "Z", "must be a node id"),
    ("next", 3, "must be a node id"),
    ("next", "z\n", "must be a node id"),
    ("options", [], "must be a list of 1 to 10 non-empty strings"),
    ("options", "password", "must be a list of 1 to 10 non-empty strings"),
    ("options", [f"o{i}" for i in range(11)], "must be a list of 1 to 10 non-empty strings"),
    ("options", ["password", "password"], "must not repeat a value"),
    ("options", ["Password"], "'Password' is not an option name (e.g. password, idp:google)"),
    ("options", ["idp:"], "'idp:' is not an option name (e.g. password, idp:google)"),
    ("options", ["idp:my idp"], "'idp:my idp' is not an option name (e.g. password, idp:google)"),
    ("options", ["password\n"], "'password\\n' is not an option name (e.g. password, idp:google)"),
    ("timeout", 9, "must be an integer from 10 to 86400"),
    ("timeout", 86_401, "must be an integer from 10 to 86400"),
    ("timeout", "60", "must be an integer from 10 to 86400"),
    ("timeout", 60.0, "must be an integer from 10 to 86400"),
    ("timeout", True, "must be an integer from 10 to 86400"),
]


@pytest.mark.parametrize(("name", "value", "message"), STEP_VALUE_CASES)
def test_step_field_values(name: str, value: Any, message: str) -> None:
    node = {**step(), name: value}
    assert problems(doc(node, END)) == [(f"nodes[0].{name}", message)]


@pytest.mark.parametrize(
    ("node_type", "name", "value", "message"),
    [
        ("enroll", "skippable", "yes", "must be true or false"),
        ("enroll", "skippable", 1, "must be true or false"),
        ("lock", "duration", 0, "must be an integer from 1 to 31622400"),
        ("lock", "duration", 366 * 86_400 + 1, "must be an integer from 1 to 31622400"),
        ("limit_sessions", "max", 0, "must be an integer from 1 to 1000"),
        ("limit_sessions", "max", 1001, "must be an integer from 1 to 1000"),
        ("limit_sessions", "on_exceed", "ask", 'must be "deny" or "choose"'),
        ("limit_sessions", "on_exceed", ["deny"], 'must be "deny" or "choose"'),
        (
            "limit_sessions",
            "message",
            " ",
            "must be a non-empty string of at most 500 characters",
        ),
        ("deny", "message", "m" * 501, "must be a non-empty string of at most 500 characters"),
        ("deny", "message", None, "must be a non-empty string of at most 500 characters"),
        ("allow", "acr", "", "must be a non-empty string of at most 255 characters"),
        ("set", "acr", "a" * 256, "must be a non-empty string of at most 255 characters"),
        ("allow", "amr", [], "must be a list of 1 to 10 non-empty strings"),
        ("allow", "amr", ["otp", "otp"], "must not repeat a value"),
        ("set", "amr", [str(i) for i in range(11)], "must be a list of 1 to 10 non-empty strings"),
        ("condition", "then", "Nope", "must be a node id"),
        ("condition", "else", None, "must be a node id"),
    ],
)
def test_other_field_values(node_type: str, name: str, value: Any, message: str) -> None:
    node = {"id": "a", "type": node_type, **MINIMAL[node_type], name: value}
    assert problems(doc(node, END)) == [(f"nodes[0].{name}", message)]


def test_set_needs_acr_or_amr() -> None:
    assert problems(doc({"id": "a", "type": "set", "next": "z"}, END)) == [
        ("nodes[0]", "a set node needs acr, amr or both")
    ]
    roundtrip(doc({"id": "a", "type": "set", "next": "z", "amr": ["x"]}, END))


def test_problems_of_several_nodes_are_all_reported() -> None:
    raw = doc({**step(), "timeout": 1}, {"id": "z", "type": "deny", "message": ""}, start="a")
    assert [p for p, _ in problems(raw)] == ["nodes[0].timeout", "nodes[1].message"]


# ---- the graph --------------------------------------------------------------------------


def test_unknown_references() -> None:
    assert problems(doc(step(nxt="nowhere"), END)) == [
        ("nodes.a", "refers to unknown node 'nowhere'")
    ]
    raw = doc(cond({"risk": {">": 1}}, then="y", otherwise="x"), END)
    assert problems(raw) == [
        ("nodes.a", "refers to unknown node 'y'"),
        ("nodes.a", "refers to unknown node 'x'"),
    ]


def test_unreachable_nodes() -> None:
    raw = doc(step(), END, {"id": "orphan", "type": "deny", "message": "x"}, step("b", nxt="z"))
    assert problems(raw) == [
        ("nodes.orphan", "cannot be reached from the start"),
        ("nodes.b", "cannot be reached from the start"),
    ]


def test_loops() -> None:
    assert problems(doc(step(nxt="a"))) == [("nodes.a", "going to 'a' makes a loop")]
    raw = doc(step("a", nxt="b"), step("b", ["totp"], nxt="a"))
    assert problems(raw) == [("nodes.b", "going to 'a' makes a loop")]
    # a loop through the else branch of a condition, further down
    raw = doc(
        step("a", nxt="c"),
        cond({"risk": {">": 50}}, "c", then="z", otherwise="d"),
        step("d", ["totp"], nxt="c"),
        END,
    )
    assert problems(raw) == [("nodes.d", "going to 'c' makes a loop")]


def test_diamonds_are_not_loops() -> None:
    raw = doc(
        cond({"risk": {">": 50}}, "a", then="b", otherwise="c"),
        step("b", ["password"], nxt="d"),
        step("c", ["passkey"], nxt="d"),
        cond({"risk": {">": 90}}, "d", then="z", otherwise="z"),
        END,
    )
    roundtrip(raw)


def test_node_limit() -> None:
    chain = [
        {"id": f"n{i}", "type": "set", "amr": ["x"], "next": f"n{i + 1}"}
        for i in range(MAX_NODES - 1)
    ]
    chain.append({"id": f"n{MAX_NODES - 1}", "type": "allow"})
    roundtrip(doc(*chain, start="n0"))
    longer = [*chain[:-1], {**chain[-2], "id": f"n{MAX_NODES - 1}", "next": "end"}]
    longer.append({"id": "end", "type": "allow"})
    assert problems(doc(*longer, start="n0")) == [
        ("nodes", f"must be a list of 1 to {MAX_NODES} nodes")
    ]


def _nots(depth: int) -> dict[str, Any]:
    expr: dict[str, Any] = {"amr": {"any": ["otp"]}}
    for _ in range(depth):
        expr = {"not": expr}
    return expr


def test_expression_depth_limit() -> None:
    parsed = parse(doc(cond(_nots(MAX_DEPTH)), END)).node("a").condition
    for _ in range(MAX_DEPTH):
        assert isinstance(parsed, Not)
        parsed = parsed.item
    assert parsed == T("amr", "any", ("otp",))
    assert expr_problems(_nots(MAX_DEPTH + 1)) == [
        ("nodes[0].if" + ".not" * (MAX_DEPTH + 1), f"nests deeper than {MAX_DEPTH} levels")
    ]
    # nesting through all/any counts too
    expr: dict[str, Any] = {"amr": {"any": ["otp"]}}
    for _ in range(MAX_DEPTH + 1):
        expr = {"all": [expr, {"risk": {">": 1}}]}
    deepest = "nodes[0].if" + ".all[0]" * MAX_DEPTH + ".all"
    assert expr_problems(expr) == [
        (f"{deepest}[0]", f"nests deeper than {MAX_DEPTH} levels"),
        (f"{deepest}[1]", f"nests deeper than {MAX_DEPTH} levels"),
    ]


def test_always_after() -> None:
    parsed = parse(
        doc(
            cond({"risk": {">": 50}}, "a", then="b", otherwise="c"),
            step("b", nxt="c"),
            {"id": "c", "type": "set", "amr": ["x"], "next": "z"},
            END,
        )
    )
    assert always_after(parsed, lambda n: n.type == "step") == {
        "a": False,
        "b": False,
        "c": False,  # one path to it skips the step
        "z": False,
    }
    assert always_after(parsed, lambda n: n.type == "condition") == {
        "a": False,
        "b": True,
        "c": True,
        "z": True,
    }


# ---- expressions ------------------------------------------------------------------------


def test_composite_expressions() -> None:
    raw = {
        "any": [
            {"all": [{"role": {"any": ["a"]}}, {"not": {"group": {"all": ["g", "h"]}}}]},
            {"risk": {">=": 70.5}},
        ]
    }
    parsed = parse(doc(cond(raw), END)).node("a").condition
    assert parsed == Any_(
        (
            All((T("role", "any", ("a",)), Not(T("group", "all", ("g", "h"))))),
            T("risk", ">=", 70.5),
        )
    )
    roundtrip(doc(cond(raw), END))


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        (
            "role",
            [("nodes[0].if", "must be an object with exactly one key (all, any, not, or a test)")],
        ),
        (
            {"role": {"any": ["a"]}, "group": {"any": ["b"]}},
            [("nodes[0].if", "must be an object with exactly one key (all, any, not, or a test)")],
        ),
        (
            {},
            [("nodes[0].if", "must be an object with exactly one key (all, any, not, or a test)")],
        ),
        (
            {"colour": {"is": "red"}},
            [("nodes[0].if", f"unknown test 'colour'; known: {', '.join(sorted(TESTS))}")],
        ),
        (
            {"all": [{"risk": {">": 1}}]},
            [("nodes[0].if.all", "must be a list of two or more expressions")],
        ),
        (
            {"any": {"risk": {">": 1}}},
            [("nodes[0].if.any", "must be a list of two or more expressions")],
        ),
        (
            {"all": [{"risk": {">": 1}}, {"any": [{"risk": {">": 1}}, {"role": {"in": ["a"]}}]}]},
            [("nodes[0].if.all[1].any[1].role", "unknown operator 'in'; use one of: any, all")],
        ),
        (
            {"not": {"not": {"role": []}}},
            [("nodes[0].if.not.not.role", "must be an object")],
        ),
    ],
)
def test_expression_problems(expr: Any, expected: list[tuple[str, str]]) -> None:
    assert expr_problems(expr) == expected


VALID_TESTS: list[dict[str, Any]] = [
    {"role": {"any": ["manager", "admin"]}},
    {"role": {"all": ["manager"]}},
    {"group": {"any": ["Sales"]}},
    {"group": {"all": ["Sales", "EMEA"]}},
    {"user_store": {"in": ["PRIMARY", "CORP-LDAP"]}},
    {"claim": {"name": "department", "eq": "sales"}},
    {"claim": {"name": "department", "ne": "sales"}},
    {"claim": {"name": "country", "in": ["FR", "DE"]}},
    {"claim": {"name": "email_verified", "present": True}},
    *[
        {"sessions": {op: n}}
        for op, n in [(">=", 1), (">", 0), ("<=", 10_000), ("<", 3), ("==", 0)]
    ],
    {"acr": {"in": ["urn:example:gold"]}},
    {"application": {"in": ["portal", "crm"]}},
    {"network": {"in": ["10.0.0.0/8", "192.168.1.7", "2001:db8::/32", "::1", "10.1.2.3/8"]}},
    {"time": {"within": {"days": ["mon", "fri"], "from": "09:00", "to": "17:30", "tz": "UTC"}}},
    {
        "time": {
            "within": {
                "days": list(("sat", "sun")),
                "from": "22:00",
                "to": "06:00",
                "tz": "Europe/Paris",
            }
        }
    },
    *[{"risk": {op: n}} for op, n in [(">=", 70), (">", 0), ("<=", 100), ("<", 33.5), ("==", 50)]],
    {"enrolled": {"any": ["totp", "passkey"]}},
    {"amr": {"any": ["otp"]}},
    {"amr": {"all": ["pwd", "otp"]}},
]


def test_the_valid_tests_cover_every_kind_and_operator() -> None:
    covered = {
        (kind, op) for t in VALID_TESTS for kind, body in t.items() for op in body if op != "name"
    }
    assert covered == {(kind, op) for kind, (ops, _) in TESTS.items() for op in ops}


@pytest.mark.parametrize("expr", VALID_TESTS, ids=lambda e: next(iter(e)))
def test_valid_tests(expr: dict[str, Any]) -> None:
    roundtrip(doc(cond(expr), END))


WHERE = "nodes[0].if"


@pytest.mark.parametrize(
    ("expr", "path", "message"),
    [
        # names
        ({"role": {}}, "role", "must have exactly one operator of: any, all"),
        (
            {"role": {"any": ["a"], "all": ["b"]}},
            "role",
            "must have exactly one operator of: any, all",
        ),
        ({"role": {"any": []}}, "role.any", NAMES_MESSAGE),
        ({"role": {"any": "manager"}}, "role.any", NAMES_MESSAGE),
        ({"role": {"any": [""]}}, "role.any", NAMES_MESSAGE),
        ({"role": {"any": [1]}}, "role.any", NAMES_MESSAGE),
        ({"role": {"any": ["r" * 256]}}, "role.any", NAMES_MESSAGE),
        ({"role": {"any": [str(i) for i in range(51)]}}, "role.any", NAMES_MESSAGE),
        ({"group": {"any": ["a", "a"]}}, "group.any", "must not repeat a value"),
        (
            {"user_store": {"any": ["PRIMARY"]}},
            "user_store",
            "unknown operator 'any'; use one of: in",
        ),
        ({"application": {"in": []}}, "application.in", NAMES_MESSAGE),
        ({"acr": {"eq": "x"}}, "acr", "unknown operator 'eq'; use one of: in"),
        ({"enrolled": {"all": ["totp"]}}, "enrolled", "unknown operator 'all'; use one of: any"),
        ({"amr": {"in": ["otp"]}}, "amr", "unknown operator 'in'; use one of: any, all"),
        # networks
        (
            {"network": {"in": ["10.0.0.0/33"]}},
            "network.in",
            "'10.0.0.0/33' is not an IP network (CIDR)",
        ),
        (
            {"network": {"in": ["2001:db8::/129"]}},
            "network.in",
            "'2001:db8::/129' is not an IP network (CIDR)",
        ),
        (
            {"network": {"in": ["intranet.example"]}},
            "network.in",
            "'intranet.example' is not an IP network (CIDR)",
        ),
        (
            {"network": {"in": ["10.0.0.0/8", "300.1.1.1"]}},
            "network.in",
            "'300.1.1.1' is not an IP network (CIDR)",
        ),
        ({"network": {"in": []}}, "network.in", NAMES_MESSAGE),
        # counts and numbers
        ({"sessions": {">=": -1}}, "sessions.>=", "must be an integer from 0 to 10000"),
        ({"sessions": {">=": 10_001}}, "sessions.>=", "must be an integer from 0 to 10000"),
        ({"sessions": {">=": 1.5}}, "sessions.>=", "must be an integer from 0 to 10000"),
        ({"sessions": {">=": True}}, "sessions.>=", "must be an integer from 0 to 10000"),
        (
            {"sessions": {"!=": 1}},
            "sessions",
            "unknown operator '!='; use one of: >=, >, <=, <, ==",
        ),
        ({"risk": {">=": 101}}, "risk.>=", "must be a number from 0 to 100"),
        ({"risk": {">=": -0.5}}, "risk.>=", "must be a number from 0 to 100"),
        ({"risk": {">=": "70"}}, "risk.>=", "must be a number from 0 to 100"),
        ({"risk": {">=": False}}, "risk.>=", "must be a number from 0 to 100"),
        # claims
        (
            {"claim": {"eq": "x"}},
            "claim.name",
            "must be a non-empty string of at most 200 characters",
        ),
        (
            {"claim": {"name": " ", "eq": "x"}},
            "claim.name",
            "must be a non-empty string of at most 200 characters",
        ),
        (
            {"claim": {"name": "d"}},
            "claim",
            "must have exactly one operator of: eq, ne, in, present",
        ),
        (
            {"claim": {"name": "d", "gt": "x"}},
            "claim",
            "unknown operator 'gt'; use one of: eq, ne, in, present",
        ),
        ({"claim": {"name": "d", "eq": 5}}, "claim.eq", "must be a string"),
        ({"claim": {"name": "d", "eq": True}}, "claim.eq", "must be a string"),
        (
            {"claim": {"name": "d", "ne": ""}},
            "claim.ne",
            "must be a non-empty string of at most 1000 characters",
        ),
        ({"claim": {"name": "d", "in": "x"}}, "claim.in", NAMES_MESSAGE),
        ({"claim": {"name": "d", "present": False}}, "claim.present", "must be true"),
        ({"claim": {"name": "d", "present": "yes"}}, "claim.present", "must be true"),
    ],
)
def test_test_operand_problems(expr: Any, path: str, message: str) -> None:
    assert expr_problems(expr) == [(f"{WHERE}.{path}", message)]


WINDOW = {"days": ["mon"], "from": "09:00", "to": "17:00", "tz": "Europe/Paris"}
WINDOW_PATH = f"{WHERE}.time.within"


@pytest.mark.parametrize(
    ("change", "path", "message"),
    [
        (
            {"days": []},
            ".days",
            "must be a list of distinct days from mon, tue, wed, thu, fri, sat, sun",
        ),
        (
            {"days": ["monday"]},
            ".days",
            "must be a list of distinct days from mon, tue, wed, thu, fri, sat, sun",
        ),
        (
            {"days": ["mon", "mon"]},
            ".days",
            "must be a list of distinct days from mon, tue, wed, thu, fri, sat, sun",
        ),
        (
            {"days": [["mon"]]},
            ".days",
            "must be a list of distinct days from mon, tue, wed, thu, fri, sat, sun",
        ),
        (
            {"days": "mon"},
            ".days",
            "must be a list of distinct days from mon, tue, wed, thu, fri, sat, sun",
        ),
        ({"from": "9:00"}, ".from", "must be a time HH:MM"),
        ({"from": "09:00\n"}, ".from", "must be a time HH:MM"),
        ({"to": "24:00"}, ".to", "must be a time HH:MM"),
        ({"to": "17:60"}, ".to", "must be a time HH:MM"),
        ({"to": 1700}, ".to", "must be a time HH:MM"),
        ({"to": "09:00"}, "", '"from" and "to" must differ'),
        (
            {"tz": "Mars/Olympus_Mons"},
            ".tz",
            "must be an IANA time zone such as UTC or Europe/Paris",
        ),
        ({"tz": ""}, ".tz", "must be an IANA time zone such as UTC or Europe/Paris"),
        (
            {"tz": "../../etc/passwd"},
            ".tz",
            "must be an IANA time zone such as UTC or Europe/Paris",
        ),
        ({"tz": "/etc/localtime"}, ".tz", "must be an IANA time zone such as UTC or Europe/Paris"),
        ({"tz": 1}, ".tz", "must be an IANA time zone such as UTC or Europe/Paris"),
    ],
)
def test_time_window_problems(change: dict[str, Any], path: str, message: str) -> None:
    expr = {"time": {"within": {**WINDOW, **change}}}
    assert expr_problems(expr) == [(f"{WINDOW_PATH}{path}", message)]


def test_time_window_keys() -> None:
    base = 'must be an object with "days", "from", "to" and "tz"'
    missing = {k: v for k, v in WINDOW.items() if k != "tz"}
    assert expr_problems({"time": {"within": missing}}) == [(WINDOW_PATH, f"{base}; missing: tz")]
    extra = {**WINDOW, "holidays": True}
    assert expr_problems({"time": {"within": extra}}) == [
        (WINDOW_PATH, f"{base}; unknown: holidays")
    ]
    assert expr_problems({"time": {"within": "office hours"}}) == [(WINDOW_PATH, base)]
    assert expr_problems({"time": {"during": WINDOW}}) == [
        (f"{WHERE}.time", "unknown operator 'during'; use one of: within")
    ]


def test_dumped_window_is_a_copy() -> None:
    parsed = parse(doc(cond({"time": {"within": WINDOW}}), END))
    dumped = dump(parsed)
    dumped["nodes"][0]["if"]["time"]["within"]["days"].append("tue")
    dumped["nodes"][0]["if"]["time"]["within"]["tz"] = "UTC"
    assert dump(parsed)["nodes"][0]["if"]["time"]["within"] == WINDOW


# ---- against the server: known options and identification order --------------------------


def test_known_option() -> None:
    raw = doc(step("a", ["password", "fax", "idp:nowhere"]), END)
    accepted = {"password"}
    assert problems(raw, known_option=accepted.__contains__) == [
        ("nodes.a.options", "no enabled authenticator offers 'fax'"),
        ("nodes.a.options", "no enabled identity provider named 'nowhere'"),
    ]
    enroll = {"id": "a", "type": "enroll", "options": ["carrier-pigeon"], "next": "z"}
    assert problems(doc(enroll, END), known_option=accepted.__contains__) == [
        ("nodes.a.options", "no enabled authenticator offers 'carrier-pigeon'")
    ]
    parse(raw)  # without the check, any well-formed name is fine


def test_a_second_factor_before_identification() -> None:
    assert problems(doc(step("a", ["totp"]), END), **CHECKS) == [
        ("nodes.a", "no option here can identify the user; add a first step before it")
    ]
    # after identify (username only) or a first factor, a second factor is fine
    parse(doc({"id": "a", "type": "identify", "next": "b"}, step("b", ["totp"]), END), **CHECKS)
    parse(doc(step("a", ["password"], nxt="b"), step("b", ["totp", "sms-otp"]), END), **CHECKS)
    # a step mixing first and second factors can start a flow...
    parse(doc(step("a", ["password", "totp"]), END), **CHECKS)
    # ...but does not count as identifying for what follows
    raw = doc(step("a", ["password", "totp"], nxt="b"), step("b", ["sms-otp"]), END)
    assert problems(raw, **CHECKS) == [
        ("nodes.b", "no option here can identify the user; add a first step before it")
    ]


def test_a_second_factor_on_a_branch_without_identification() -> None:
    raw = doc(
        cond({"network": {"in": ["10.0.0.0/8"]}}, "a", then="b", otherwise="c"),
        step("b", ["password"], nxt="c"),
        step("c", ["totp"]),
        END,
    )
    assert problems(raw, **CHECKS) == [
        ("nodes.c", "no option here can identify the user; add a first step before it")
    ]


def test_user_dependent_conditions_before_identification() -> None:
    raw = doc(
        cond({"all": [{"role": {"any": ["m"]}}, {"not": {"group": {"any": ["g"]}}}]}),
        END,
    )
    problems_found = problems(raw, **CHECKS)
    assert ("nodes.a", "tests group, role before the user is identified") in problems_found
    for kind, expr in [
        ("user_store", {"user_store": {"in": ["PRIMARY"]}}),
        ("claim", {"claim": {"name": "x", "present": True}}),
        ("sessions", {"sessions": {">=": 1}}),
        ("enrolled", {"enrolled": {"any": ["totp"]}}),
    ]:
        raw = doc(cond(expr, then="b", otherwise="b"), step("b"), END)
        assert problems(raw, **CHECKS) == [
            ("nodes.a", f"tests {kind} before the user is identified")
        ]
    # tests about the request are fine before anyone is identified
    for expr in [
        {"network": {"in": ["10.0.0.0/8"]}},
        {"application": {"in": ["portal"]}},
        {"acr": {"in": ["urn:x"]}},
        {"risk": {">": 50}},
        {"amr": {"any": ["pwd"]}},
        {"time": {"within": WINDOW}},
    ]:
        parse(doc(cond(expr, then="b", otherwise="b"), step("b"), END), **CHECKS)


def test_allow_without_any_step() -> None:
    assert problems(doc({"id": "a", "type": "allow"}), **CHECKS) == [
        ("nodes.a", "a path reaches this allow without passing any step")
    ]
    identify_only = doc({"id": "a", "type": "identify", "next": "z"}, END)
    assert problems(identify_only, **CHECKS) == [
        ("nodes.z", "a path reaches this allow without passing any step")
    ]
    bypass = doc(
        cond({"network": {"in": ["10.0.0.0/8"]}}, "a", then="z", otherwise="b"),
        step("b"),
        END,
    )
    assert problems(bypass, **CHECKS) == [
        ("nodes.z", "a path reaches this allow without passing any step")
    ]
    parse(bypass)  # only the server-side check refuses it


@pytest.mark.parametrize(
    ("node", "message"),
    [
        (
            {"id": "a", "type": "enroll", "options": ["totp"], "next": "b"},
            "an enroll node needs the user identified by an earlier step",
        ),
        (
            {"id": "a", "type": "limit_sessions", "max": 1, "on_exceed": "deny", "next": "b"},
            "a limit_sessions node needs the user identified by an earlier step",
        ),
        (
            {"id": "a", "type": "lock", "message": "Locked"},
            "a lock node needs the user identified by an earlier step",
        ),
    ],
)
def test_user_actions_before_identification(node: dict[str, Any], message: str) -> None:
    nodes = [node] if node["type"] == "lock" else [node, step("b"), END]
    assert problems(doc(*nodes), **CHECKS) == [("nodes.a", message)]
    # after a first factor they are fine
    identified = [step("s", nxt="a"), *nodes]
    parse(doc(*identified, start="s"), **CHECKS)


def test_deny_and_request_conditions_need_no_user() -> None:
    raw = doc(
        cond({"network": {"in": ["10.0.0.0/8"]}}, then="b", otherwise="no"),
        step("b"),
        {"id": "no", "type": "deny", "message": "Only from the office."},
        END,
    )
    parse(raw, **CHECKS)


def test_unknown_options_are_reported_before_the_order_is_checked() -> None:
    raw = doc(step("a", ["fax"]), END)
    assert problems(raw, known_option=lambda o: False, first_factor=first_factor) == [
        ("nodes.a.options", "no enabled authenticator offers 'fax'")
    ]
