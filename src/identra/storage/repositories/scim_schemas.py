"""Per-organization SCIM schema extensions, kept in ``organizations.settings["scim"]``.

``settings["scim"]["extensions"]`` is a list of
``{"resourceType": "User", "required": bool, "schema": <RFC 7643 §7 schema>}`` (User only:
groups have no place for extension values yet).
Values of extension attributes are stored with the resource (``users.claims["scim"][urn]``).
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from identra.observability import audit
from identra.protocols.scim.errors import InvalidValue, ScimError
from identra.protocols.scim.schemas import Catalog, Schema, catalog, schema_from_json
from identra.storage.models import Organization

log = logging.getLogger(__name__)
MAX_EXTENSIONS = 20


def _parse(entries: Any) -> list[tuple[str, Schema, bool]]:
    if not isinstance(entries, list) or len(entries) > MAX_EXTENSIONS:
        raise InvalidValue(f"extensions must be a list of at most {MAX_EXTENSIONS} definitions")
    out: list[tuple[str, Schema, bool]] = []
    seen: set[str] = set()
    for entry in entries:
        if not isinstance(entry, dict):
            raise InvalidValue("an extension must be an object")
        rtype = entry.get("resourceType", "User")
        if rtype != "User":  # groups have no column for extension values yet
            raise InvalidValue("custom extensions extend the User resource type")
        required = entry.get("required", False)
        if not isinstance(required, bool):
            raise InvalidValue("required must be a boolean")
        schema = schema_from_json(entry.get("schema"))
        if schema.id.lower() in seen:
            raise InvalidValue(f"{schema.id} is defined twice")
        seen.add(schema.id.lower())
        out.append((rtype, schema, required))
    return out


def org_catalog(org: Organization) -> Catalog:
    """The resource types this organization serves; a broken stored definition is skipped."""
    entries = ((org.settings or {}).get("scim") or {}).get("extensions") or []
    try:
        return catalog(_parse(entries))
    except ScimError:
        log.exception("ignoring invalid SCIM extensions of organization %s", org.handle)
        return catalog()


async def set_extensions(
    session: AsyncSession, org: Organization, entries: list[dict[str, Any]], actor: audit.Actor
) -> Catalog:
    """Replace the organization's extension definitions (validated first)."""
    parsed = _parse(entries)
    normalized: list[dict[str, Any]] = []
    for rtype, schema, required in parsed:
        definition = schema.to_json("")
        definition.pop("meta", None)
        normalized.append({"resourceType": rtype, "required": required, "schema": definition})
    settings = dict(org.settings or {})
    settings["scim"] = {**(settings.get("scim") or {}), "extensions": normalized}
    org.settings = settings
    org.version += 1
    audit.record(
        session,
        org_id=org.id,
        action="scim.extensions.set",
        actor=actor,
        target_type="organization",
        target_id=org.id,
        details={"schemas": [schema.id for _, schema, _ in parsed]},
    )
    await session.flush()
    return catalog(parsed)
