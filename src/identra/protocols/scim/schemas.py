"""SCIM schemas (RFC 7643 §2, §4, §7): attribute definitions and the resource types served.

Definitions are data: the same objects drive request validation, filter resolution (which
comparison is case-insensitive, which operators apply), PATCH, ``attributes`` projection and
the ``/Schemas`` and ``/ResourceTypes`` documents. An organization's custom extensions are
parsed from the RFC 7643 §7 representation with :func:`schema_from_json`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from identra.protocols.scim.errors import InvalidValue

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE_USER = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
# The Role resource, named as WSO2 Identity Server names it for its ``/scim2/v2/Roles``.
ROLE = "urn:ietf:params:scim:schemas:extension:2.0:Role"
SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Schema"
RESOURCE_TYPE = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"
SERVICE_PROVIDER_CONFIG = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
LIST_RESPONSE = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
SEARCH_REQUEST = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
BULK_REQUEST = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"
BULK_RESPONSE = "urn:ietf:params:scim:api:messages:2.0:BulkResponse"

TYPES = ("string", "boolean", "decimal", "integer", "dateTime", "reference", "complex", "binary")
MUTABILITY = ("readOnly", "readWrite", "immutable", "writeOnly")
RETURNED = ("always", "never", "default", "request")
UNIQUENESS = ("none", "server", "global")
NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_$-]*$")
URN = re.compile(r"^urn:[A-Za-z0-9][A-Za-z0-9-]{0,31}:[A-Za-z0-9()+,\-.:=@;$_!*'%/?#]+$")


@dataclass(frozen=True)
class Attribute:
    name: str
    type: str = "string"
    multi_valued: bool = False
    required: bool = False
    case_exact: bool = False
    mutability: str = "readWrite"
    returned: str = "default"
    uniqueness: str = "none"
    description: str = ""
    canonical_values: tuple[str, ...] = ()
    reference_types: tuple[str, ...] = ()
    sub_attributes: tuple[Attribute, ...] = ()

    def sub(self, name: str) -> Attribute | None:
        lowered = name.lower()
        for attr in self.sub_attributes:
            if attr.name.lower() == lowered:
                return attr
        return None

    @property
    def is_complex(self) -> bool:
        return self.type == "complex"

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": self.name,
            "type": self.type,
            "multiValued": self.multi_valued,
            "description": self.description,
            "required": self.required,
        }
        if self.type in ("string", "reference", "binary"):
            out["caseExact"] = self.case_exact
        if self.canonical_values:
            out["canonicalValues"] = list(self.canonical_values)
        if self.reference_types:
            out["referenceTypes"] = list(self.reference_types)
        out["mutability"] = self.mutability
        out["returned"] = self.returned
        out["uniqueness"] = self.uniqueness
        if self.sub_attributes:
            out["subAttributes"] = [a.to_json() for a in self.sub_attributes]
        return out


@dataclass(frozen=True)
class Schema:
    id: str
    name: str
    description: str
    attributes: tuple[Attribute, ...]

    def attr(self, name: str) -> Attribute | None:
        lowered = name.lower()
        for attr in self.attributes:
            if attr.name.lower() == lowered:
                return attr
        return None

    def to_json(self, location: str) -> dict[str, Any]:
        return {
            "schemas": [SCHEMA],
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "attributes": [a.to_json() for a in self.attributes],
            "meta": {"resourceType": "Schema", "location": f"{location}/Schemas/{self.id}"},
        }


@dataclass(frozen=True)
class Extension:
    schema: Schema
    required: bool = False


@dataclass(frozen=True)
class ResourceType:
    """A resource type (RFC 7643 §6) with its core schema and extensions."""

    id: str  # "User"
    endpoint: str  # "/Users"
    description: str
    schema: Schema
    extensions: tuple[Extension, ...] = ()
    common: tuple[Attribute, ...] = field(default=())

    def extension(self, urn: str) -> Schema | None:
        lowered = urn.lower()
        for ext in self.extensions:
            if ext.schema.id.lower() == lowered:
                return ext.schema
        return None

    def schema_for(self, urn: str | None) -> Schema | None:
        if urn is None or urn.lower() == self.schema.id.lower():
            return self.schema
        return self.extension(urn)

    @property
    def schema_ids(self) -> list[str]:
        return [self.schema.id, *(e.schema.id for e in self.extensions)]

    def top(self, urn: str | None, name: str) -> tuple[Schema, Attribute] | None:
        """Find a top-level attribute (common attributes first, then the named schema)."""
        if urn is None:
            for attr in self.common:
                if attr.name.lower() == name.lower():
                    return self.schema, attr
        schema = self.schema_for(urn)
        if schema is None:
            return None
        found = schema.attr(name)
        return (schema, found) if found is not None else None

    def to_json(self, location: str) -> dict[str, Any]:
        return {
            "schemas": [RESOURCE_TYPE],
            "id": self.id,
            "name": self.id,
            "endpoint": self.endpoint,
            "description": self.description,
            "schema": self.schema.id,
            "schemaExtensions": [
                {"schema": e.schema.id, "required": e.required} for e in self.extensions
            ],
            "meta": {
                "resourceType": "ResourceType",
                "location": f"{location}/ResourceTypes/{self.id}",
            },
        }


def _s(name: str, **kw: Any) -> Attribute:
    return Attribute(name, "string", **kw)


def _b(name: str, **kw: Any) -> Attribute:
    return Attribute(name, "boolean", **kw)


def _c(name: str, subs: Sequence[Attribute], **kw: Any) -> Attribute:
    return Attribute(name, "complex", sub_attributes=tuple(subs), **kw)


def _multi(name: str, value: Attribute, types: Sequence[str], **kw: Any) -> Attribute:
    """The usual multi-valued complex shape: value, display, type, primary."""
    return _c(
        name,
        [
            value,
            _s("display", description="A human-readable name, primarily used for display"),
            _s("type", canonical_values=tuple(types), description="A label for the function"),
            _b("primary", description="Indicates the primary or preferred value"),
        ],
        multi_valued=True,
        **kw,
    )


ID = _s(
    "id",
    case_exact=True,
    mutability="readOnly",
    returned="always",
    uniqueness="server",
    description="Unique identifier for the resource, assigned by the service provider",
)
EXTERNAL_ID = _s(
    "externalId",
    case_exact=True,
    description="Identifier of the resource at the provisioning client",
)
META = _c(
    "meta",
    [
        _s("resourceType", case_exact=True, mutability="readOnly"),
        Attribute("created", "dateTime", mutability="readOnly"),
        Attribute("lastModified", "dateTime", mutability="readOnly"),
        Attribute(
            "location",
            "reference",
            case_exact=True,
            mutability="readOnly",
            reference_types=("uri",),
        ),
        _s("version", case_exact=True, mutability="readOnly"),
    ],
    mutability="readOnly",
    description="Resource metadata",
)
COMMON = (ID, EXTERNAL_ID, META)

_REF = ("User", "Group")

USER_SCHEMA = Schema(
    USER,
    "User",
    "User Account",
    (
        _s("userName", required=True, uniqueness="server", description="Unique login identifier"),
        _c(
            "name",
            [
                _s("formatted"),
                _s("familyName"),
                _s("givenName"),
                _s("middleName"),
                _s("honorificPrefix"),
                _s("honorificSuffix"),
            ],
            description="The components of the user's real name",
        ),
        _s("displayName"),
        _s("nickName"),
        Attribute("profileUrl", "reference", reference_types=("external",)),
        _s("title"),
        _s("userType"),
        _s("preferredLanguage"),
        _s("locale"),
        _s("timezone"),
        _b("active"),
        _s(
            "password",
            mutability="writeOnly",
            returned="never",
            description="The user's cleartext password, only ever written",
        ),
        _multi("emails", _s("value"), ("work", "home", "other")),
        _multi("phoneNumbers", _s("value"), ("work", "home", "mobile", "fax", "pager", "other")),
        _multi("ims", _s("value"), ("aim", "gtalk", "icq", "xmpp", "msn", "skype", "qq", "yahoo")),
        _multi(
            "photos",
            Attribute("value", "reference", reference_types=("external",)),
            ("photo", "thumbnail"),
        ),
        _c(
            "addresses",
            [
                _s("formatted"),
                _s("streetAddress"),
                _s("locality"),
                _s("region"),
                _s("postalCode"),
                _s("country"),
                _s("type", canonical_values=("work", "home", "other")),
                _b("primary"),
            ],
            multi_valued=True,
        ),
        _c(
            "groups",
            [
                _s("value", mutability="readOnly"),
                Attribute("$ref", "reference", mutability="readOnly", reference_types=_REF),
                _s("display", mutability="readOnly"),
                _s("type", mutability="readOnly", canonical_values=("direct", "indirect")),
            ],
            multi_valued=True,
            mutability="readOnly",
            description="Groups the user belongs to, directly or through a group",
        ),
        _multi("entitlements", _s("value"), ()),
        _c(
            "roles",
            [
                _s("value", mutability="readOnly"),
                Attribute("$ref", "reference", mutability="readOnly", reference_types=("Role",)),
                _s("display", mutability="readOnly"),
                _s("type", mutability="readOnly", canonical_values=("direct", "group")),
                _b("primary", mutability="readOnly"),
            ],
            multi_valued=True,
            mutability="readOnly",
            description="Roles assigned to the user; managed through the Roles endpoint",
        ),
        _multi("x509Certificates", Attribute("value", "binary"), ()),
    ),
)

ENTERPRISE_SCHEMA = Schema(
    ENTERPRISE_USER,
    "EnterpriseUser",
    "Enterprise User",
    (
        _s("employeeNumber"),
        _s("costCenter"),
        _s("organization"),
        _s("division"),
        _s("department"),
        _c(
            "manager",
            [
                _s("value"),
                Attribute("$ref", "reference", reference_types=("User",)),
                _s("displayName", mutability="readOnly"),
            ],
        ),
    ),
)

GROUP_SCHEMA = Schema(
    GROUP,
    "Group",
    "Group",
    (
        _s("displayName", required=True, uniqueness="server"),
        _c(
            "members",
            [
                _s("value", mutability="immutable"),
                Attribute("$ref", "reference", mutability="immutable", reference_types=_REF),
                _s("display", mutability="readOnly"),
                _s("type", mutability="immutable", canonical_values=("User", "Group")),
            ],
            multi_valued=True,
            description="The members of the group (users)",
        ),
    ),
)

ROLE_SCHEMA = Schema(
    ROLE,
    "Role",
    "A named set of management permissions, assigned to users and groups",
    (
        _s("displayName", required=True, uniqueness="server"),
        _s("description"),
        _c(
            "permissions",
            [_s("value", case_exact=True), _s("display", mutability="readOnly")],
            multi_valued=True,
        ),
        _c(
            "users",
            [
                _s("value"),
                Attribute("$ref", "reference", mutability="readOnly", reference_types=("User",)),
                _s("display", mutability="readOnly"),
            ],
            multi_valued=True,
        ),
        _c(
            "groups",
            [
                _s("value"),
                Attribute("$ref", "reference", mutability="readOnly", reference_types=("Group",)),
                _s("display", mutability="readOnly"),
            ],
            multi_valued=True,
        ),
    ),
)

BUILTIN_SCHEMAS = (USER_SCHEMA, ENTERPRISE_SCHEMA, GROUP_SCHEMA, ROLE_SCHEMA)
BUILTIN_IDS = frozenset(s.id.lower() for s in BUILTIN_SCHEMAS)


@dataclass(frozen=True)
class Catalog:
    """The resource types one organization serves (built-ins plus its custom extensions)."""

    user: ResourceType
    group: ResourceType
    role: ResourceType

    @property
    def types(self) -> tuple[ResourceType, ...]:
        return (self.user, self.group, self.role)

    def by_endpoint(self, endpoint: str) -> ResourceType | None:
        for rtype in self.types:
            if rtype.endpoint.lower() == endpoint.lower():
                return rtype
        return None

    def by_id(self, type_id: str) -> ResourceType | None:
        for rtype in self.types:
            if rtype.id == type_id:
                return rtype
        return None

    @property
    def schemas(self) -> list[Schema]:
        seen: dict[str, Schema] = {}
        for rtype in self.types:
            seen.setdefault(rtype.schema.id, rtype.schema)
            for ext in rtype.extensions:
                seen.setdefault(ext.schema.id, ext.schema)
        return list(seen.values())

    def schema(self, urn: str) -> Schema | None:
        for schema in self.schemas:
            if schema.id.lower() == urn.lower():
                return schema
        return None


def catalog(custom: Iterable[tuple[str, Schema, bool]] = ()) -> Catalog:
    """Built-in resource types plus ``(resource type id, schema, required)`` custom extensions."""
    user_ext = [Extension(ENTERPRISE_SCHEMA, False)]
    group_ext: list[Extension] = []
    for type_id, schema, required in custom:
        (user_ext if type_id == "User" else group_ext).append(Extension(schema, required))
    return Catalog(
        user=ResourceType("User", "/Users", "User Account", USER_SCHEMA, tuple(user_ext), COMMON),
        group=ResourceType("Group", "/Groups", "Group", GROUP_SCHEMA, tuple(group_ext), COMMON),
        role=ResourceType("Role", "/Roles", "Role", ROLE_SCHEMA, (), COMMON),
    )


DEFAULT_CATALOG = catalog()


# ---- custom extension definitions (RFC 7643 §7 representation) ----------------------------


def _flag(data: Mapping[str, Any], key: str, default: bool, where: str) -> bool:
    value = data.get(key, default)
    if not isinstance(value, bool):
        raise InvalidValue(f"{where}.{key} must be a boolean")
    return value


def _choice(
    data: Mapping[str, Any], key: str, allowed: Sequence[str], default: str, where: str
) -> str:
    value = data.get(key, default)
    if value not in allowed:
        raise InvalidValue(f"{where}.{key} must be one of {', '.join(allowed)}")
    return str(value)


def attribute_from_json(data: Any, where: str, depth: int = 0) -> Attribute:
    if not isinstance(data, Mapping):
        raise InvalidValue(f"{where} must be an object")
    name = data.get("name")
    if not isinstance(name, str) or not NAME.match(name) or len(name) > 64:
        raise InvalidValue(
            f"{where}.name must be an attribute name (a letter, then [A-Za-z0-9_$-])"
        )
    where = f"{where}({name})"
    type_ = _choice(data, "type", TYPES, "string", where)
    subs_raw = data.get("subAttributes") or []
    if type_ == "complex":
        if depth > 0:
            raise InvalidValue(f"{where}: complex attributes cannot nest complex attributes")
        if not isinstance(subs_raw, list) or not subs_raw:
            raise InvalidValue(f"{where}: a complex attribute needs subAttributes")
        subs = tuple(attribute_from_json(s, f"{where}.subAttributes", depth + 1) for s in subs_raw)
        if len({s.name.lower() for s in subs}) != len(subs):
            raise InvalidValue(f"{where}: sub-attribute names must be unique")
    elif subs_raw:
        raise InvalidValue(f"{where}: only complex attributes have subAttributes")
    else:
        subs = ()
    canonical = data.get("canonicalValues") or []
    refs = data.get("referenceTypes") or []
    if not isinstance(canonical, list) or not all(isinstance(v, str) for v in canonical):
        raise InvalidValue(f"{where}.canonicalValues must be a list of strings")
    if not isinstance(refs, list) or not all(isinstance(v, str) for v in refs):
        raise InvalidValue(f"{where}.referenceTypes must be a list of strings")
    description = data.get("description", "")
    if not isinstance(description, str):
        raise InvalidValue(f"{where}.description must be a string")
    return Attribute(
        name=name,
        type=type_,
        multi_valued=_flag(data, "multiValued", False, where),
        required=_flag(data, "required", False, where),
        case_exact=_flag(data, "caseExact", False, where),
        mutability=_choice(data, "mutability", MUTABILITY, "readWrite", where),
        returned=_choice(data, "returned", RETURNED, "default", where),
        uniqueness=_choice(data, "uniqueness", ("none",), "none", where),
        description=description[:1000],
        canonical_values=tuple(canonical),
        reference_types=tuple(refs),
        sub_attributes=subs,
    )


def schema_from_json(data: Any) -> Schema:
    """Parse a custom extension schema; built-in URNs and malformed definitions are refused."""
    if not isinstance(data, Mapping):
        raise InvalidValue("a schema must be an object")
    urn = data.get("id")
    if not isinstance(urn, str) or not URN.match(urn) or len(urn) > 200:
        raise InvalidValue("the schema id must be a URN (urn:...)")
    if urn.lower() in BUILTIN_IDS or urn.lower().startswith("urn:ietf:params:scim:schemas:core:"):
        raise InvalidValue(f"{urn} is a built-in schema and cannot be redefined")
    attrs_raw = data.get("attributes")
    if not isinstance(attrs_raw, list) or not attrs_raw or len(attrs_raw) > 100:
        raise InvalidValue("attributes must be a list of 1 to 100 attribute definitions")
    attrs = tuple(attribute_from_json(a, "attributes") for a in attrs_raw)
    if len({a.name.lower() for a in attrs}) != len(attrs):
        raise InvalidValue("attribute names must be unique")
    name = data.get("name") or urn.rsplit(":", 1)[-1]
    description = data.get("description") or ""
    if not isinstance(name, str) or not isinstance(description, str):
        raise InvalidValue("name and description must be strings")
    return Schema(urn, name[:200], description[:1000], attrs)


def with_mutability(attr: Attribute, mutability: str) -> Attribute:
    return replace(attr, mutability=mutability)
