"""Resolved SCIM filters evaluated against resource documents (canonical attribute names).

Used for PATCH value filters (``emails[type eq "work"].value``) and wherever resources are not
in SQL. Semantics follow RFC 7644 §3.4.2.2: a multi-valued attribute matches when any of its
values does; string comparisons honour ``caseExact``; a missing attribute matches nothing but
``ne`` and ``not``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from identra.protocols.scim.filter import (
    And,
    AttrPath,
    Compare,
    Filter,
    Not,
    Or,
    Present,
    ValuePath,
    parse_datetime,
)
from identra.protocols.scim.schemas import Attribute


def container(resource: Mapping[str, Any], path: AttrPath) -> Mapping[str, Any]:
    """The object holding ``path``'s attribute: the resource or its extension object."""
    if path.urn is None:
        return resource
    found = resource.get(path.urn)
    return found if isinstance(found, Mapping) else {}


def present(value: Any) -> bool:
    return value not in (None, "", [], {})


def values_at(resource: Mapping[str, Any], path: AttrPath, *, empty: bool = False) -> list[Any]:
    """All values at ``path`` (flattened over multi-valued attributes); unassigned ones (and
    empty strings, unless ``empty``) dropped."""

    def keep(v: Any) -> bool:
        return present(v) or (empty and v == "")

    value = container(resource, path).get(path.attr)
    items = value if isinstance(value, list) else [value]
    if path.sub is None:
        return [v for v in items if keep(v)]
    out = []
    for item in items:
        if isinstance(item, Mapping):
            sub = item.get(path.sub)
            if keep(sub):
                out.append(sub)
    return out


def _as_comparable(attr: Attribute, value: Any) -> Any:
    if attr.type == "dateTime" and isinstance(value, str):
        return parse_datetime(value)
    if attr.type in ("string", "reference", "binary") and isinstance(value, str):
        return value if attr.case_exact else value.lower()
    return value


def compare(attr: Attribute, op: str, actual: Any, expected: Any) -> bool:
    left = _as_comparable(attr, actual)
    right = _as_comparable(attr, expected)
    if isinstance(expected, datetime):
        right = expected
    if left is None:
        return False
    try:
        if op == "eq":
            return bool(left == right)
        if op == "ne":
            return bool(left != right)
        if op == "co":
            return isinstance(left, str) and str(right) in left
        if op == "sw":
            return isinstance(left, str) and left.startswith(str(right))
        if op == "ew":
            return isinstance(left, str) and left.endswith(str(right))
        if op == "gt":
            return bool(left > right)
        if op == "ge":
            return bool(left >= right)
        if op == "lt":
            return bool(left < right)
        if op == "le":
            return bool(left <= right)
    except TypeError:
        return False
    return False


def matches(node: Filter, resource: Mapping[str, Any]) -> bool:
    if isinstance(node, And):
        return matches(node.left, resource) and matches(node.right, resource)
    if isinstance(node, Or):
        return matches(node.left, resource) or matches(node.right, resource)
    if isinstance(node, Not):
        return not matches(node.inner, resource)
    if isinstance(node, ValuePath):
        raw = container(resource, node.path).get(node.path.attr)
        items = raw if isinstance(raw, list) else [raw]
        return any(
            isinstance(item, Mapping) and element_matches(node.filter, item) for item in items
        )
    if isinstance(node, Present):
        return bool(values_at(resource, node.path))
    return _compare_node(node, values_at(resource, node.path, empty=True))


def _compare_node(node: Compare, values: list[Any]) -> bool:
    if node.value is None:
        return (not values) if node.op == "eq" else bool(values)
    if node.op == "ne":
        return not any(compare(node.path.target, "eq", v, node.value) for v in values)
    return any(compare(node.path.target, node.op, v, node.value) for v in values)


def element_matches(node: Filter, element: Mapping[str, Any]) -> bool:
    """A value filter (``[...]``) applied to one value of a complex attribute."""
    if isinstance(node, And):
        return element_matches(node.left, element) and element_matches(node.right, element)
    if isinstance(node, Or):
        return element_matches(node.left, element) or element_matches(node.right, element)
    if isinstance(node, Not):
        return not element_matches(node.inner, element)
    if isinstance(node, ValuePath):  # rejected at resolution; defensive
        return False
    sub = node.path.sub
    value = element.get(sub) if sub is not None else None
    if isinstance(node, Present):
        return present(value)
    return _compare_node(node, [value] if present(value) or value == "" else [])
