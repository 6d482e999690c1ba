"""PATCH (RFC 7644 §3.5.2) on a canonical resource document.

All operations of a request apply to a copy, in order; the first failure raises and nothing
is applied (the request is atomic). Every path form is supported: ``attr``, ``attr.sub``,
``urn:...:attr[.sub]``, an extension URN alone, ``attr[filter]`` and ``attr[filter].sub``;
without a path, ``value`` holds attributes (or paths, as Entra ID sends them) to add/replace.

- ``add`` appends to multi-valued attributes (an equal value is not duplicated), merges complex
  values and sets simple ones; an ``attr[filter].sub`` that matches nothing creates the value
  when the filter is a conjunction of ``eq`` tests (``addresses[type eq "work"].locality``).
- ``replace`` replaces; with a filter it replaces the matching values (none: ``noTarget``);
  complex values merge their given sub-attributes (§3.5.2.3).
- ``remove`` needs a path (``noTarget`` without); with a filter it removes matching values.
  ``remove`` on a multi-valued path with a ``value`` list removes those values (Entra ID's
  member removal).
- Read-only targets are ``mutability``; immutable ones may only be set while unassigned.
- A value set ``primary`` clears ``primary`` on the other values (§3.5.2).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from identra.protocols.scim.errors import (
    InvalidSyntax,
    InvalidValue,
    Mutability,
    NoTarget,
    TooMany,
)
from identra.protocols.scim.evaluate import element_matches, present
from identra.protocols.scim.filter import And, Compare, Filter, PatchPath, resolve_patch_path
from identra.protocols.scim.resources import (
    check_primary,
    check_required,
    finish_schemas,
    normalize_single,
    normalize_value,
)
from identra.protocols.scim.schemas import PATCH_OP, Attribute, ResourceType

MAX_OPERATIONS = 1000


@dataclass
class PatchResult:
    resource: dict[str, Any]
    touched: set[tuple[str | None, str]] = field(default_factory=set)

    @property
    def names(self) -> set[str]:
        return {name for _, name in self.touched}


def parse_operations(body: Any) -> list[tuple[str, str | None, Any]]:
    if not isinstance(body, Mapping):
        raise InvalidSyntax("the body must be a JSON object")
    schemas = body.get("schemas")
    if not isinstance(schemas, list) or PATCH_OP not in schemas:
        raise InvalidSyntax(f"schemas must be [{PATCH_OP!r}]")
    ops = next((v for k, v in body.items() if str(k).lower() == "operations"), None)
    if not isinstance(ops, list) or not ops:
        raise InvalidSyntax("Operations must be a non-empty list")
    if len(ops) > MAX_OPERATIONS:
        raise TooMany(f"at most {MAX_OPERATIONS} operations per request")
    out = []
    for i, raw in enumerate(ops):
        if not isinstance(raw, Mapping):
            raise InvalidSyntax(f"Operations[{i}] must be an object")
        fields = {str(k).lower(): v for k, v in raw.items()}
        unknown = set(fields) - {"op", "path", "value"}
        if unknown:
            raise InvalidSyntax(f"Operations[{i}] has unknown member {sorted(unknown)[0]}")
        op = fields.get("op")
        if not isinstance(op, str) or op.lower() not in ("add", "remove", "replace"):
            raise InvalidSyntax(f"Operations[{i}].op must be add, remove or replace")
        path = fields.get("path")
        if path is not None and not isinstance(path, str):
            raise InvalidSyntax(f"Operations[{i}].path must be a string")
        if op.lower() != "remove" and "value" not in fields:
            raise InvalidValue(f"Operations[{i}] ({op}) needs a value")
        out.append((op.lower(), path, fields.get("value")))
    return out


def apply_patch(resource: Mapping[str, Any], rtype: ResourceType, body: Any) -> PatchResult:
    ops = parse_operations(body)
    result = PatchResult(copy.deepcopy(dict(resource)))
    for op, path, value in ops:
        _apply(result, rtype, op, path, value)
    finish_schemas(result.resource, rtype)
    check_required(result.resource, rtype)
    return result


def _apply(result: PatchResult, rtype: ResourceType, op: str, path: str | None, value: Any) -> None:
    if path is None or not path.strip():
        if op == "remove":
            raise NoTarget("remove needs a path")
        if not isinstance(value, Mapping):
            raise InvalidValue(f"{op} without a path needs an object of attributes")
        for key, item in value.items():
            name = str(key)
            if name.lower() == "schemas":
                continue
            _apply(result, rtype, op, name, item)
        return
    target = resolve_patch_path(path, rtype)
    if target.extension is not None:
        _apply_extension(result, rtype, op, target.extension, value)
        return
    _apply_path(result, rtype, op, target, value)


def _apply_extension(
    result: PatchResult, rtype: ResourceType, op: str, urn: str, value: Any
) -> None:
    if op == "remove":
        schema = rtype.extension(urn)
        assert schema is not None
        for attr in schema.attributes:
            if attr.mutability in ("readOnly", "immutable") and attr.name in result.resource.get(
                urn, {}
            ):
                raise Mutability(f"{attr.name} is {attr.mutability}")
        result.resource.pop(urn, None)
        result.touched.add((urn, "*"))
        return
    if not isinstance(value, Mapping):
        raise InvalidValue(f"a value for {urn} must be an object")
    if op == "replace":
        result.resource[urn] = {}
    for key, item in value.items():
        _apply(result, rtype, op, f"{urn}:{key}", item)


def _holder(result: PatchResult, urn: str | None, create: bool) -> dict[str, Any]:
    if urn is None:
        return result.resource
    found = result.resource.get(urn)
    if not isinstance(found, dict):
        found = {}
        if create:
            result.resource[urn] = found
    return found


def _same(a: Any, b: Any) -> bool:
    return bool(a == b)


def _check_mutability(attr: Attribute, current: Any, new: Any, op: str, name: str) -> bool:
    """False when the operation is a no-op on a read-only attribute that already holds it."""
    if attr.mutability == "readOnly":
        if op != "remove" and _same(current, new):
            return False
        raise Mutability(f"{name} is read-only")
    if attr.mutability == "immutable" and present(current):
        if op != "remove" and _same(current, new):
            return False
        raise Mutability(f"{name} is immutable")
    return True


def _apply_path(
    result: PatchResult, rtype: ResourceType, op: str, target: PatchPath, value: Any
) -> None:
    path = target.path
    attr = path.attribute
    assert attr is not None
    urn = path.urn
    holder = _holder(result, urn, create=op != "remove")
    name = attr.name
    result.touched.add((urn, name))
    current = holder.get(name)

    if target.filter is not None:
        _apply_filtered(holder, attr, op, target, value, name)
        return

    if path.sub_attribute is not None:
        sub = path.sub_attribute
        where = f"{name}.{sub.name}"
        if attr.mutability == "readOnly":
            raise Mutability(f"{name} is read-only")
        if op == "remove":
            _check_sub_mutability(sub, where)
            for item in _items(holder, attr):
                item.pop(sub.name, None)
            _drop_empty(holder, attr)
            return
        new = normalize_single(sub, value, where, lenient=True)
        if attr.multi_valued:
            items = _items(holder, attr)
            if not items:
                if op == "replace":
                    raise NoTarget(f"{name} has no values")
                holder[name] = [{sub.name: new}]
                return
            for item in items:
                if _check_mutability(sub, item.get(sub.name), new, op, where):
                    _set(item, sub.name, new)
        else:
            found = holder.get(name)
            element: dict[str, Any] = found if isinstance(found, dict) else {}
            holder[name] = element
            if _check_mutability(sub, element.get(sub.name), new, op, where):
                _set(element, sub.name, new)
            _drop_empty(holder, attr)
        return

    if op == "remove":
        if attr.mutability in ("readOnly", "immutable") and present(current):
            raise Mutability(f"{name} is {attr.mutability}")
        if attr.multi_valued and isinstance(value, list) and value:
            _remove_values(holder, attr, value, name)
            return
        holder.pop(name, None)
        return

    if attr.multi_valued:
        items = value if isinstance(value, list) else [value]
        new_values = normalize_value(attr, items, name, lenient=True) or []
        if not _check_mutability(attr, current, new_values, op, name):
            return
        if op == "replace":
            holder[name] = new_values
        else:
            existing = list(current) if isinstance(current, list) else []
            for item in new_values:
                if item in existing:
                    continue
                if isinstance(item, dict) and item.get("primary"):
                    _clear_primary(existing)
                same = _same_value(existing, item)
                if same is not None:
                    existing[same] = {**existing[same], **item}
                else:
                    existing.append(item)
            holder[name] = existing
        check_primary(attr, holder[name], name)
        if not holder[name]:
            holder.pop(name)
        return

    new = normalize_single(attr, value, name, lenient=True)
    if not _check_mutability(attr, current, new, op, name):
        return
    if attr.is_complex and isinstance(current, dict) and isinstance(new, dict):
        for sub in attr.sub_attributes:
            if sub.name in new:
                _check_mutability(
                    sub, current.get(sub.name), new[sub.name], op, f"{name}.{sub.name}"
                )
        merged = {**current, **new}
        holder[name] = merged
    else:
        _set(holder, name, new)


def _check_sub_mutability(sub: Attribute, where: str) -> None:
    if sub.mutability in ("readOnly", "immutable"):
        raise Mutability(f"{where} is {sub.mutability}")


def _set(holder: dict[str, Any], name: str, value: Any) -> None:
    if value is None or value == {} or value == []:
        holder.pop(name, None)
    else:
        holder[name] = value


def _items(holder: dict[str, Any], attr: Attribute) -> list[dict[str, Any]]:
    value = holder.get(attr.name)
    if isinstance(value, list):
        return [v for v in value if isinstance(v, dict)]
    if isinstance(value, dict):
        return [value]
    return []


def _drop_empty(holder: dict[str, Any], attr: Attribute) -> None:
    value = holder.get(attr.name)
    if isinstance(value, list):
        kept = [v for v in value if v not in ({}, None)]
        if kept:
            holder[attr.name] = kept
        else:
            holder.pop(attr.name)
    elif value in ({}, None):
        holder.pop(attr.name, None)


def _same_value(items: list[Any], item: Any) -> int | None:
    """The index of a value with the same ``value`` (and ``type``) sub-attribute, if any."""
    if not isinstance(item, dict) or "value" not in item:
        return None
    for i, other in enumerate(items):
        if (
            isinstance(other, dict)
            and other.get("value") == item["value"]
            and other.get("type") == item.get("type", other.get("type"))
        ):
            return i
    return None


def _clear_primary(items: list[Any]) -> None:
    for item in items:
        if isinstance(item, dict) and item.get("primary"):
            item["primary"] = False


def _remove_values(holder: dict[str, Any], attr: Attribute, value: list[Any], name: str) -> None:
    wanted = [normalize_single(attr, v, name, lenient=True) for v in value]
    keys = []
    for w in wanted:
        if isinstance(w, dict) and "value" in w:
            keys.append(("value", w["value"]))
        else:
            keys.append(("whole", w))
    kept = []
    for item in _items(holder, attr) if attr.is_complex else list(holder.get(name) or []):
        drop = any(
            (kind == "value" and isinstance(item, dict) and item.get("value") == v)
            or (kind == "whole" and item == v)
            for kind, v in keys
        )
        if not drop:
            kept.append(item)
    if kept:
        holder[name] = kept
    else:
        holder.pop(name, None)


def _eq_terms(node: Filter) -> dict[str, Any] | None:
    """``a eq 1 and b eq 2`` as ``{a: 1, b: 2}``; None for any other filter."""
    if isinstance(node, Compare) and node.op == "eq" and node.path.sub is not None:
        return {node.path.sub: node.value}
    if isinstance(node, And):
        left, right = _eq_terms(node.left), _eq_terms(node.right)
        if left is None or right is None:
            return None
        return {**left, **right}
    return None


def _apply_filtered(
    holder: dict[str, Any],
    attr: Attribute,
    op: str,
    target: PatchPath,
    value: Any,
    name: str,
) -> None:
    assert target.filter is not None
    if attr.mutability == "readOnly":
        raise Mutability(f"{name} is read-only")
    raw = holder.get(name)
    items: list[Any] = raw if isinstance(raw, list) else ([raw] if isinstance(raw, dict) else [])
    matched = [
        i
        for i, item in enumerate(items)
        if isinstance(item, dict) and element_matches(target.filter, item)
    ]
    sub = target.sub_attribute

    if op == "remove":
        if sub is None:
            kept = [item for i, item in enumerate(items) if i not in matched]
        else:
            _check_sub_mutability(sub, f"{name}.{sub.name}")
            for i in matched:
                items[i].pop(sub.name, None)
            kept = [item for item in items if item not in ({}, None)]
        if not attr.multi_valued:
            if kept:
                holder[name] = kept[0]
            else:
                holder.pop(name, None)
        elif kept:
            holder[name] = kept
        else:
            holder.pop(name, None)
        return

    if sub is not None:
        new = normalize_single(sub, value, f"{name}.{sub.name}", lenient=True)
        if not matched:
            terms = _eq_terms(target.filter) if op == "add" else None
            if terms is None:
                raise NoTarget(f"no value of {name} matches the filter")
            created = normalize_single(attr, {**terms, sub.name: new}, name, lenient=True)
            if attr.multi_valued:
                items.append(created)
                holder[name] = items
            else:
                holder[name] = created
            check_primary(attr, items, name)
            return
        for i in matched:
            if _check_mutability(sub, items[i].get(sub.name), new, op, f"{name}.{sub.name}"):
                _set(items[i], sub.name, new)
                if sub.name == "primary" and new is True:
                    for j, other in enumerate(items):
                        if j != i and isinstance(other, dict) and other.get("primary"):
                            other["primary"] = False
        if attr.multi_valued:
            holder[name] = [item for item in items if item not in ({}, None)]
        check_primary(attr, items, name)
        return

    if not matched:
        raise NoTarget(f"no value of {name} matches the filter")
    new_item = normalize_single(attr, value, name, lenient=True)
    if not isinstance(new_item, dict):
        raise InvalidValue(f"a value for {name}[...] must be an object")
    for i in matched:
        for s in attr.sub_attributes:
            if s.mutability in ("readOnly", "immutable") and s.name in new_item:
                if items[i].get(s.name) != new_item[s.name]:
                    raise Mutability(f"{name}.{s.name} is {s.mutability}")
        items[i] = new_item if op == "replace" else {**items[i], **new_item}
        if new_item.get("primary"):
            for j, other in enumerate(items):
                if j != i and isinstance(other, dict) and other.get("primary"):
                    other["primary"] = False
    if attr.multi_valued:
        holder[name] = items
    else:
        holder[name] = items[0]
    check_primary(attr, items, name)
