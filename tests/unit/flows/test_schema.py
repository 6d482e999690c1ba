"""The JSON Schema of flow documents agrees with the parser: it is a valid draft 2020-12 schema,
every valid document validates, and invalid shapes are refused by both.

The validator is ``jsonschema_rs`` (installed with schemathesis); the pure-Python ``jsonschema``
package is not among the project's dependencies."""

from __future__ import annotations

import copy
import json
from typing import Any

import jsonschema_rs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from identra.flows.document import FIELDS, MAX_NODES, SCHEMA, TESTS, FlowInvalid, parse
from identra.flows.schema import json_schema
from tests.unit.flows.strategies import documents

VALIDATOR = jsonschema_rs.Draft202012Validator(json_schema())


def schema_accepts(raw: Any) -> bool:
    return bool(VALIDATOR.is_valid(raw))


def parse_accepts(raw: Any) -> bool:
    try:
        parse(raw)
    except FlowInvalid:
        return False
    return True


def test_the_schema_is_a_valid_draft_2020_12_schema() -> None:
    schema = json_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert jsonschema_rs.meta.is_valid(schema)
    jsonschema_rs.meta.validate(schema)
    json.dumps(schema)  # plain JSON, as served by the CLI and the API


def test_the_meta_check_can_fail() -> None:
    broken = {**json_schema(), "type": "objekt"}
    assert not jsonschema_rs.meta.is_valid(broken)


def test_the_schema_names_every_node_type_and_test() -> None:
    schema = json_schema()
    assert {f"node_{t}" for t in FIELDS} | {f"test_{k}" for k in TESTS} | {"expression"} == set(
        schema["$defs"]
    )
    assert schema["properties"]["nodes"]["maxItems"] == MAX_NODES


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(documents())
def test_every_valid_document_validates(raw: dict[str, Any]) -> None:
    parse(raw)
    errors = [e.message for e in VALIDATOR.iter_errors(raw)]
    assert errors == []


BASE: dict[str, Any] = {
    "schema": SCHEMA,
    "name": "Base",
    "start": "a",
    "nodes": [
        {"id": "a", "type": "identify", "next": "b", "timeout": 60},
        {"id": "b", "type": "step", "options": ["password"], "next": "c"},
        {
            "id": "c",
            "type": "condition",
            "if": {
                "all": [
                    {"role": {"any": ["manager"]}},
                    {"claim": {"name": "dept", "eq": "sales"}},
                    {
                        "time": {
                            "within": {
                                "days": ["mon"],
                                "from": "09:00",
                                "to": "17:00",
                                "tz": "UTC",
                            }
                        }
                    },
                ]
            },
            "then": "d",
            "else": "z",
        },
        {"id": "d", "type": "limit_sessions", "max": 1, "on_exceed": "deny", "next": "z"},
        {"id": "z", "type": "allow"},
    ],
}


def test_the_base_document_is_valid_for_both() -> None:
    assert schema_accepts(BASE) and parse_accepts(BASE)


def _with(path: list[Any], value: Any) -> dict[str, Any]:
    raw = copy.deepcopy(BASE)
    target: Any = raw
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return raw


def _without(path: list[Any]) -> dict[str, Any]:
    raw = copy.deepcopy(BASE)
    target: Any = raw
    for key in path[:-1]:
        target = target[key]
    del target[path[-1]]
    return raw


WINDOW = ["nodes", 2, "if", "all", 2, "time", "within"]
INVALID: dict[str, dict[str, Any]] = {
    # wrong types
    "name a number": _with(["name"], 5),
    "name blank": _with(["name"], "   "),
    "description a list": _with(["description"], ["x"]),
    "schema version": _with(["schema"], "identra.flow/2"),
    "start a number": _with(["start"], 1),
    "start with a newline": _with(["start"], "a\n"),
    "nodes an object": _with(["nodes"], {"a": {}}),
    "nodes empty": _with(["nodes"], []),
    "node a string": _with(["nodes", 4], "allow"),
    "id uppercase": _with(["nodes", 0, "id"], "A"),
    "id with a newline": _with(["nodes", 0, "id"], "a\n"),
    "type unknown": _with(["nodes", 0, "type"], "goto"),
    "type a list": _with(["nodes", 0, "type"], ["identify"]),
    "timeout a string": _with(["nodes", 0, "timeout"], "60"),
    "timeout a boolean": _with(["nodes", 0, "timeout"], True),
    "timeout too small": _with(["nodes", 0, "timeout"], 9),
    "options a string": _with(["nodes", 1, "options"], "password"),
    "options empty": _with(["nodes", 1, "options"], []),
    "options repeated": _with(["nodes", 1, "options"], ["password", "password"]),
    "option name": _with(["nodes", 1, "options"], ["Pass word"]),
    "option with a newline": _with(["nodes", 1, "options"], ["password\n"]),
    "next a list": _with(["nodes", 1, "next"], ["c"]),
    "max zero": _with(["nodes", 3, "max"], 0),
    "on_exceed unknown": _with(["nodes", 3, "on_exceed"], "ask"),
    "expression two keys": _with(["nodes", 2, "if"], {"all": [], "any": []}),
    "all of one": _with(["nodes", 2, "if"], {"all": [{"role": {"any": ["m"]}}]}),
    "unknown test": _with(["nodes", 2, "if"], {"colour": {"is": "red"}}),
    "unknown operator": _with(["nodes", 2, "if"], {"role": {"in": ["m"]}}),
    "two operators": _with(["nodes", 2, "if"], {"role": {"any": ["m"], "all": ["n"]}}),
    "names not a list": _with(["nodes", 2, "if"], {"role": {"any": "m"}}),
    "empty name": _with(["nodes", 2, "if"], {"role": {"any": [""]}}),
    "claim without name": _with(["nodes", 2, "if"], {"claim": {"eq": "x"}}),
    "claim eq a number": _with(["nodes", 2, "if"], {"claim": {"name": "x", "eq": 1}}),
    "claim present false": _with(["nodes", 2, "if"], {"claim": {"name": "x", "present": False}}),
    "sessions negative": _with(["nodes", 2, "if"], {"sessions": {">=": -1}}),
    "sessions a string": _with(["nodes", 2, "if"], {"sessions": {">=": "1"}}),
    "risk too high": _with(["nodes", 2, "if"], {"risk": {">=": 101}}),
    "day unknown": _with([*WINDOW, "days"], ["monday"]),
    "days repeated": _with([*WINDOW, "days"], ["mon", "mon"]),
    "time format": _with([*WINDOW, "from"], "9:00"),
    "time with a newline": _with([*WINDOW, "to"], "17:00\n"),
    # unknown and missing fields
    "unknown top-level field": _with(["owner"], "me"),
    "unknown node field": _with(["nodes", 1, "colour"], "red"),
    "field of another type": _with(["nodes", 4, "next"], "a"),
    "unknown window field": _with([*WINDOW, "holidays"], True),
    "unknown claim field": _with(["nodes", 2, "if", "all", 1, "claim", "case"], "any"),
    "missing name": _without(["name"]),
    "missing schema": _without(["schema"]),
    "missing node type": _without(["nodes", 0, "type"]),
    "missing next": _without(["nodes", 1, "next"]),
    "missing tz": _without([*WINDOW, "tz"]),
    "set without acr or amr": _with(["nodes", 3], {"id": "d", "type": "set", "next": "z"}),
}


@pytest.mark.parametrize("raw", list(INVALID.values()), ids=list(INVALID))
def test_invalid_documents_are_refused_by_both(raw: dict[str, Any]) -> None:
    assert not schema_accepts(raw)
    assert not parse_accepts(raw)


FIELD_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.text(max_size=5),
    st.lists(st.integers(), max_size=2),
)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents(max_nodes=6), st.data())
def test_an_unknown_field_anywhere_is_refused_by_both(raw: dict[str, Any], data: Any) -> None:
    name = data.draw(st.from_regex(r"[a-z_]{1,12}", fullmatch=True))
    value = data.draw(FIELD_VALUES)
    where = data.draw(st.sampled_from(["top", "node"]))
    changed = copy.deepcopy(raw)
    if where == "top":
        if name in changed or name in ("schema", "name", "description", "start", "nodes"):
            return
        changed[name] = value
    else:
        node = data.draw(st.sampled_from(changed["nodes"]))
        required, optional = FIELDS[node["type"]]
        if name in ("id", "type", *required, *optional):
            return
        node[name] = value
    assert not schema_accepts(changed)
    assert not parse_accepts(changed)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents(max_nodes=6), st.data())
def test_a_field_of_the_wrong_type_is_refused_by_both(raw: dict[str, Any], data: Any) -> None:
    changed = copy.deepcopy(raw)
    node = data.draw(st.sampled_from(changed["nodes"]))
    required, optional = FIELDS[node["type"]]
    present = [f for f in ("id", "type", *required, *optional) if f in node]
    name = data.draw(st.sampled_from(present))
    # a value of a JSON type the field never has
    wrong = {
        "id": 5,
        "type": 5,
        "next": 5,
        "then": [],
        "else": {},
        "options": "password",
        "timeout": "60",
        "duration": [1],
        "max": "1",
        "skippable": "true",
        "on_exceed": 1,
        "message": 1,
        "acr": ["x"],
        "amr": "otp",
        "if": ["role"],
    }[name]
    node[name] = wrong
    assert not schema_accepts(changed)
    assert not parse_accepts(changed)
