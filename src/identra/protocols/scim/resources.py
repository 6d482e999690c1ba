"""Resource documents: validating requests against the schemas, and shaping responses.

A *canonical* document uses each attribute's defined name (input names are case-insensitive,
RFC 7643 §2.1), holds extension attributes under the extension's URN, and leaves out unassigned
values. :func:`parse_resource` builds one from a request body and refuses what the schemas do
not allow: unknown attributes and undeclared extensions are ``invalidSyntax``, values of the
wrong type, more than one ``primary`` value and missing required attributes ``invalidValue``.
:func:`project` applies ``attributes``/``excludedAttributes`` and the ``returned`` rules.
"""

from __future__ import annotations

import base64
import binascii
import copy
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from identra.protocols.scim.errors import InvalidSyntax, InvalidValue, Mutability, ScimError
from identra.protocols.scim.filter import AttrPath, parse_datetime, resolve_attr, split_attr
from identra.protocols.scim.schemas import Attribute, ResourceType, Schema

MAX_MULTI_VALUES = 1000


def _key(mapping: Mapping[str, Any], name: str) -> str | None:
    lowered = name.lower()
    for key in mapping:
        if isinstance(key, str) and key.lower() == lowered:
            return key
    return None


def schemas_of(body: Mapping[str, Any]) -> list[str]:
    key = _key(body, "schemas")
    value = body.get(key) if key else None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InvalidSyntax("schemas must be a list of schema URNs")
    return [str(v) for v in value]


def normalize_value(attr: Attribute, value: Any, where: str, *, lenient: bool = False) -> Any:
    """Check one attribute value against its definition; None means unassigned."""
    if value is None:
        return None
    if attr.multi_valued:
        if not isinstance(value, list):
            raise InvalidValue(f"{where} is multi-valued: give a list")
        if len(value) > MAX_MULTI_VALUES:
            raise InvalidValue(f"{where} has more than {MAX_MULTI_VALUES} values")
        items = [
            normalize_single(attr, item, f"{where}[{i}]", lenient=lenient)
            for i, item in enumerate(value)
        ]
        items = [item for item in items if item not in (None, {})]
        check_primary(attr, items, where)
        return items
    return normalize_single(attr, value, where, lenient=lenient)


def check_primary(attr: Attribute, items: Sequence[Any], where: str) -> None:
    if attr.is_complex and attr.sub("primary") is not None:
        primaries = sum(1 for item in items if isinstance(item, Mapping) and item.get("primary"))
        if primaries > 1:
            raise InvalidValue(f"at most one value of {where} may be primary")


def normalize_single(attr: Attribute, value: Any, where: str, *, lenient: bool = False) -> Any:
    if value is None:
        return None
    if attr.is_complex:
        if not isinstance(value, Mapping):
            raise InvalidValue(f"{where} is complex: give an object")
        out: dict[str, Any] = {}
        for key, sub_value in value.items():
            sub = attr.sub(str(key))
            if sub is None:
                raise InvalidSyntax(f"unknown attribute {where}.{key}")
            normalized = normalize_single(sub, sub_value, f"{where}.{sub.name}", lenient=lenient)
            if normalized is not None:
                out[sub.name] = normalized
        return out
    return _simple(attr, value, where, lenient)


def _simple(attr: Attribute, value: Any, where: str, lenient: bool) -> Any:
    kind = attr.type
    if kind == "boolean":
        if isinstance(value, bool):
            return value
        # Some provisioning clients (Entra ID) send "True"/"False" in PATCH values.
        if lenient and isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise InvalidValue(f"{where} must be a boolean")
    if kind == "integer":
        if isinstance(value, bool) or not isinstance(value, int):
            raise InvalidValue(f"{where} must be an integer")
        return value
    if kind == "decimal":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise InvalidValue(f"{where} must be a number")
        return value
    if not isinstance(value, str):
        raise InvalidValue(f"{where} must be a string")
    if kind == "dateTime" and parse_datetime(value) is None:
        raise InvalidValue(f"{where} must be an xsd:dateTime")
    if kind == "binary":
        try:
            base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise InvalidValue(f"{where} must be base64") from exc
    if len(value) > 65536:
        raise InvalidValue(f"{where} is too long")
    return value


def _schema_attrs(rtype: ResourceType, schema: Schema) -> Iterable[Attribute]:
    if schema.id == rtype.schema.id:
        return (*rtype.common, *schema.attributes)
    return schema.attributes


def _normalize_object(
    rtype: ResourceType, schema: Schema, body: Mapping[str, Any], where: str
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    attrs = list(_schema_attrs(rtype, schema))
    for key, value in body.items():
        name = str(key)
        attr = next((a for a in attrs if a.name.lower() == name.lower()), None)
        if attr is None:
            raise InvalidSyntax(f"unknown attribute {where}{name}")
        normalized = normalize_value(attr, value, f"{where}{attr.name}")
        if normalized is not None:
            out[attr.name] = normalized
    return out


def parse_resource(body: Any, rtype: ResourceType) -> dict[str, Any]:
    """A request body as a canonical document (read-only attributes still present)."""
    if not isinstance(body, Mapping):
        raise InvalidSyntax("the body must be a JSON object")
    declared = schemas_of(body)
    declared_lower = {s.lower() for s in declared}
    if rtype.schema.id.lower() not in declared_lower:
        raise InvalidSyntax(f"schemas must include {rtype.schema.id}")
    for urn in declared:
        if rtype.schema_for(urn) is None:
            raise InvalidSyntax(f"{urn} is not a schema of {rtype.id} resources")
    core: dict[str, Any] = {}
    out: dict[str, Any] = {"schemas": [rtype.schema.id]}
    for key, value in body.items():
        name = str(key)
        if name.lower() == "schemas":
            continue
        if name.lower().startswith("urn:"):
            ext = rtype.extension(name)
            if ext is None:
                raise InvalidSyntax(f"{name} is not a schema extension of {rtype.id} resources")
            if ext.id.lower() not in declared_lower:
                raise InvalidSyntax(f"{ext.id} is used but not listed in schemas")
            if value is None:
                continue
            if not isinstance(value, Mapping):
                raise InvalidValue(f"{ext.id} must be an object")
            normalized = _normalize_object(rtype, ext, value, f"{ext.id}:")
            if normalized:
                out[ext.id] = normalized
            continue
        core[name] = value
    out.update(_normalize_object(rtype, rtype.schema, core, ""))
    for extension in rtype.extensions:
        if extension.schema.id in out:
            out["schemas"].append(extension.schema.id)
    return out


def strip_read_only(resource: dict[str, Any], rtype: ResourceType) -> dict[str, Any]:
    """Drop read-only attributes a client sent: RFC 7644 §3.5.1 says they are ignored."""
    out = copy.deepcopy(resource)
    for schema in [rtype.schema, *(e.schema for e in rtype.extensions)]:
        holder = out if schema.id == rtype.schema.id else out.get(schema.id)
        if not isinstance(holder, dict):
            continue
        for attr in _schema_attrs(rtype, schema):
            if attr.name not in holder:
                continue
            if attr.mutability == "readOnly":
                del holder[attr.name]
                continue
            if attr.is_complex:
                values = holder[attr.name] if attr.multi_valued else [holder[attr.name]]
                for item in values:
                    for sub in attr.sub_attributes:
                        if sub.mutability == "readOnly" and isinstance(item, dict):
                            item.pop(sub.name, None)
    return out


def check_required(resource: Mapping[str, Any], rtype: ResourceType) -> None:
    for schema in [rtype.schema, *(e.schema for e in rtype.extensions)]:
        holder = resource if schema.id == rtype.schema.id else resource.get(schema.id)
        if not isinstance(holder, Mapping):
            if schema.id != rtype.schema.id and any(
                e.required for e in rtype.extensions if e.schema.id == schema.id
            ):
                raise InvalidValue(f"the {schema.id} extension is required")
            continue
        for attr in schema.attributes:
            if (
                attr.required
                and attr.mutability != "readOnly"
                and holder.get(attr.name) in (None, "", [])
            ):
                raise InvalidValue(f"{attr.name} is required")
            if attr.is_complex and attr.name in holder:
                values = holder[attr.name] if attr.multi_valued else [holder[attr.name]]
                for item in values:
                    for sub in attr.sub_attributes:
                        if (
                            sub.required
                            and isinstance(item, Mapping)
                            and item.get(sub.name) is None
                        ):
                            raise InvalidValue(f"{attr.name}.{sub.name} is required")


def check_immutable(old: Mapping[str, Any], new: Mapping[str, Any], rtype: ResourceType) -> None:
    """PUT and PATCH may not change an immutable attribute that already has a value."""
    for schema in [rtype.schema, *(e.schema for e in rtype.extensions)]:
        core = schema.id == rtype.schema.id
        before = old if core else old.get(schema.id) or {}
        after = new if core else new.get(schema.id) or {}
        for attr in _schema_attrs(rtype, schema):
            if attr.mutability != "immutable":
                continue
            if attr.name in before and before.get(attr.name) != after.get(attr.name):
                raise Mutability(f"{attr.name} is immutable")


def finish_schemas(resource: dict[str, Any], rtype: ResourceType) -> dict[str, Any]:
    """Set ``schemas`` to the core schema plus the extensions that hold data."""
    schemas = [rtype.schema.id]
    for ext in rtype.extensions:
        data = resource.get(ext.schema.id)
        if isinstance(data, dict) and data:
            schemas.append(ext.schema.id)
        elif ext.schema.id in resource:
            del resource[ext.schema.id]
    resource["schemas"] = schemas
    return resource


# ---- attributes / excludedAttributes ---------------------------------------------------------


def parse_attribute_list(raw: str | Sequence[str] | None, rtype: ResourceType) -> list[AttrPath]:
    if raw is None:
        return []
    names = raw.split(",") if isinstance(raw, str) else list(raw)
    out = []
    for name in names:
        name = name.strip()
        if not name:
            continue
        ext = rtype.extension(name)
        if ext is not None:
            out.append(AttrPath(ext.id, ""))
            continue
        try:
            out.append(resolve_attr(split_attr(name), rtype, InvalidValue))
        except ScimError as exc:
            raise InvalidValue(f"attributes: {exc.detail}") from exc
    return out


def _wanted(paths: Sequence[AttrPath], urn: str | None, attr: str) -> tuple[bool, set[str]]:
    """Whether ``attr`` is named, and which of its sub-attributes (empty set: all)."""
    named = False
    subs: set[str] = set()
    whole = False
    for p in paths:
        if p.attr == "" and p.urn == urn:
            named = whole = True
        elif p.urn == urn and p.attr == attr:
            named = True
            if p.sub is None:
                whole = True
            else:
                subs.add(p.sub)
    return named, (set() if whole else subs)


def project(
    resource: Mapping[str, Any],
    rtype: ResourceType,
    attributes: Sequence[AttrPath] = (),
    excluded: Sequence[AttrPath] = (),
) -> dict[str, Any]:
    """The response view of a canonical document (RFC 7644 §3.4.2.5, RFC 7643 §7 returned)."""
    out: dict[str, Any] = {}
    for schema in [rtype.schema, *(e.schema for e in rtype.extensions)]:
        core = schema.id == rtype.schema.id
        urn = None if core else schema.id
        holder = resource if core else resource.get(schema.id)
        if not isinstance(holder, Mapping):
            continue
        target: dict[str, Any] = {}
        for attr in _schema_attrs(rtype, schema):
            if attr.name not in holder or attr.returned == "never":
                continue
            value = holder[attr.name]
            if attributes:
                named, subs = _wanted(attributes, urn, attr.name)
                if attr.returned != "always" and not named:
                    continue
                if subs and attr.is_complex:
                    value = _only_subs(attr, value, subs)
            else:
                if attr.returned == "request":
                    continue
                named, subs = _wanted(excluded, urn, attr.name)
                if named and attr.returned != "always":
                    if not subs:
                        continue
                    value = _without_subs(attr, value, subs)
            target[attr.name] = copy.deepcopy(value)
        if core:
            out.update(target)
        elif target:
            out[schema.id] = target
    finish_schemas(out, rtype)
    return {"schemas": out.pop("schemas"), **out}


def _only_subs(attr: Attribute, value: Any, subs: set[str]) -> Any:
    keep = subs | {s.name for s in attr.sub_attributes if s.returned == "always"}
    if attr.multi_valued and isinstance(value, list):
        return [{k: v for k, v in item.items() if k in keep} for item in value]
    if isinstance(value, Mapping):
        return {k: v for k, v in value.items() if k in keep}
    return value


def _without_subs(attr: Attribute, value: Any, subs: set[str]) -> Any:
    if attr.multi_valued and isinstance(value, list):
        return [{k: v for k, v in item.items() if k not in subs} for item in value]
    if isinstance(value, Mapping):
        return {k: v for k, v in value.items() if k not in subs}
    return value


def wants(
    rtype: ResourceType,
    attr: str,
    attributes: Sequence[AttrPath] = (),
    excluded: Sequence[AttrPath] = (),
) -> bool:
    """Whether a response needs ``attr`` (so costly attributes such as members can be skipped)."""
    if attributes:
        return _wanted(attributes, None, attr)[0]
    named, subs = _wanted(excluded, None, attr)
    return not (named and not subs)
