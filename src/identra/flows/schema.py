"""The JSON Schema (draft 2020-12) of flow documents, for editors, the console and the AI
compiler. It describes the shape; :func:`identra.flows.document.parse` additionally checks the
graph (references, reachability, no loops) and the options against the server."""

from __future__ import annotations

from typing import Any

from identra.flows.document import (
    COMPARE,
    DAYS,
    FIELDS,
    ID_PATTERN,
    MAX_NODES,
    OPTION_PATTERN,
    SCHEMA,
    TESTS,
    TIME_PATTERN,
)

_NAMES = {
    "type": "array",
    "items": {"type": "string", "minLength": 1, "maxLength": 255},
    "minItems": 1,
    "maxItems": 50,
    "uniqueItems": True,
}
_ID = {"type": "string", "pattern": ID_PATTERN.pattern}
# Not blank: at least one character other than ASCII white space (the parser, stricter, refuses
# any string that str.strip() empties; the schema states what every regex engine reads alike).
_NOT_BLANK = "[^\t\n\v\f\r ]"


def _text(limit: int) -> dict[str, Any]:
    return {"type": "string", "minLength": 1, "maxLength": limit, "pattern": _NOT_BLANK}


def _operand(kind: str, op: str) -> dict[str, Any]:
    operand = TESTS[kind][1]
    if operand in ("names", "cidrs"):
        return _NAMES
    if operand == "count":
        return {"type": "integer", "minimum": 0, "maximum": 10_000}
    if operand == "number":
        return {"type": "number", "minimum": 0, "maximum": 100}
    if operand == "window":
        return {
            "type": "object",
            "additionalProperties": False,
            "required": ["days", "from", "to", "tz"],
            "properties": {
                "days": {
                    "type": "array",
                    "items": {"enum": list(DAYS)},
                    "minItems": 1,
                    "uniqueItems": True,
                },
                "from": {"type": "string", "pattern": TIME_PATTERN.pattern},
                "to": {"type": "string", "pattern": TIME_PATTERN.pattern},
                "tz": {"type": "string", "minLength": 1},
            },
        }
    # claim
    if op == "present":
        return {"const": True}
    if op == "in":
        return _NAMES
    return _text(1000)


def _test(kind: str) -> dict[str, Any]:
    ops = TESTS[kind][0]
    variants = []
    for op in ops:
        properties: dict[str, Any] = {op: _operand(kind, op)}
        required = [op]
        if kind == "claim":
            properties["name"] = _text(200)
            required.insert(0, "name")
        variants.append(
            {
                "type": "object",
                "additionalProperties": False,
                "required": required,
                "properties": properties,
            }
        )
    return {
        "type": "object",
        "additionalProperties": False,
        "required": [kind],
        "properties": {kind: variants[0] if len(variants) == 1 else {"oneOf": variants}},
    }


def _field(name: str) -> dict[str, Any]:
    if name in ("next", "then", "else"):
        return _ID
    if name == "options":
        return {
            "type": "array",
            "items": {"type": "string", "pattern": OPTION_PATTERN.pattern},
            "minItems": 1,
            "maxItems": 10,
            "uniqueItems": True,
        }
    if name == "timeout":
        return {"type": "integer", "minimum": 10, "maximum": 86_400}
    if name == "duration":
        return {"type": "integer", "minimum": 1, "maximum": 366 * 86_400}
    if name == "max":
        return {"type": "integer", "minimum": 1, "maximum": 1000}
    if name == "skippable":
        return {"type": "boolean"}
    if name == "on_exceed":
        return {"enum": ["deny", "choose"]}
    if name == "message":
        return _text(500)
    if name == "acr":
        return _text(255)
    if name == "amr":
        return {**_NAMES, "maxItems": 10}
    return {"$ref": "#/$defs/expression"}  # "if"


def _node(node_type: str) -> dict[str, Any]:
    required, optional = FIELDS[node_type]
    properties: dict[str, Any] = {"id": _ID, "type": {"const": node_type}}
    for name in (*required, *optional):
        properties[name] = _field(name)
    node: dict[str, Any] = {
        "type": "object",
        "additionalProperties": False,
        "required": ["id", "type", *required],
        "properties": properties,
    }
    if node_type == "set":
        node["anyOf"] = [{"required": ["acr"]}, {"required": ["amr"]}]
    return node


def json_schema() -> dict[str, Any]:
    nested = {"type": "array", "items": {"$ref": "#/$defs/expression"}, "minItems": 2}
    expression = {
        "oneOf": [
            {
                "type": "object",
                "additionalProperties": False,
                "required": ["all"],
                "properties": {"all": nested},
            },
            {
                "type": "object",
                "additionalProperties": False,
                "required": ["any"],
                "properties": {"any": nested},
            },
            {
                "type": "object",
                "additionalProperties": False,
                "required": ["not"],
                "properties": {"not": {"$ref": "#/$defs/expression"}},
            },
            *[{"$ref": f"#/$defs/test_{kind}"} for kind in TESTS],
        ]
    }
    defs: dict[str, Any] = {"expression": expression}
    for kind in TESTS:
        defs[f"test_{kind}"] = _test(kind)
    for node_type in FIELDS:
        defs[f"node_{node_type}"] = _node(node_type)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://identra.dev/schemas/flow-1.json",
        "title": "Identra login flow",
        "type": "object",
        "additionalProperties": False,
        "required": ["schema", "name", "start", "nodes"],
        "properties": {
            "schema": {"const": SCHEMA},
            "name": _text(200),
            "description": _text(2000),
            "start": _ID,
            "nodes": {
                "type": "array",
                "minItems": 1,
                "maxItems": MAX_NODES,
                "items": {"oneOf": [{"$ref": f"#/$defs/node_{t}"} for t in FIELDS]},
            },
        },
        "$defs": defs,
        "x-compare-operators": list(COMPARE),
    }
