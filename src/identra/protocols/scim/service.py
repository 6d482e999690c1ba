"""The SCIM endpoints (RFC 7644 §3), over storage Protocols, without a web framework.

``ScimService.handle(request, ctx)`` answers one request addressed below the SCIM base URL
(``/Users/2819c223...``); the HTTP edge builds the context (organization, caller, transaction,
stores) and turns the :class:`ScimResponse` into HTTP. Bulk operations call the same dispatch
for each operation inside a savepoint, so a failed operation changes nothing and the others
stand (RFC 7644 §3.7).

Resource endpoints: ``/Users``, ``/Groups``, ``/Roles`` (also ``/v2/Roles``, as WSO2 serves it),
``/Me`` (the calling user), each with ``/.search``; discovery: ``/ServiceProviderConfig``,
``/Schemas``, ``/ResourceTypes``; and ``/Bulk``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import Any, Protocol

from identra.protocols.scim import errors
from identra.protocols.scim.errors import (
    Forbidden,
    InvalidSyntax,
    InvalidValue,
    MethodNotAllowed,
    NotFound,
    PreconditionFailed,
    ScimError,
)
from identra.protocols.scim.filter import AttrPath, Filter, compile_filter, resolve_attr, split_attr
from identra.protocols.scim.patch import apply_patch
from identra.protocols.scim.resources import (
    check_immutable,
    check_required,
    parse_attribute_list,
    parse_resource,
    project,
    strip_read_only,
)
from identra.protocols.scim.schemas import (
    BULK_REQUEST,
    BULK_RESPONSE,
    LIST_RESPONSE,
    SEARCH_REQUEST,
    SERVICE_PROVIDER_CONFIG,
    Catalog,
    ResourceType,
)

CONTENT_TYPE = "application/scim+json"
DEFAULT_COUNT = 100
MAX_COUNT = 1000
MAX_BULK_OPERATIONS = 1000
BULK_ID = re.compile(r"^bulkId:(.+)$")


# ---- what the edge passes in ----------------------------------------------------------------


@dataclass(frozen=True)
class ScimRequest:
    method: str
    path: str  # below the SCIM base: "/Users", "/Users/abc", "/Bulk"
    query: Mapping[str, Sequence[str]] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)  # lower-case names
    body: Any = None  # parsed JSON (None when empty)

    def param(self, name: str) -> str | None:
        for key, values in self.query.items():
            if key.lower() == name.lower() and values:
                return values[-1]
        return None


@dataclass
class ScimResponse:
    status: int
    body: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)

    def encoded(self) -> bytes:
        return b"" if self.body is None else json.dumps(self.body, separators=(",", ":")).encode()


def error_response(exc: ScimError) -> ScimResponse:
    return ScimResponse(exc.status, exc.body(), dict(exc.headers))


@dataclass(frozen=True)
class ListQuery:
    filter: Filter | None = None
    sort_by: AttrPath | None = None
    descending: bool = False
    start_index: int = 1
    count: int = DEFAULT_COUNT
    cursor: str | None = None  # RFC 9865; "" asks for the first page of a cursor walk
    attributes: Sequence[AttrPath] = ()
    excluded: Sequence[AttrPath] = ()


@dataclass
class Page:
    total: int
    resources: list[dict[str, Any]]
    next_cursor: str | None = None


class ResourceStore(Protocol):
    """Storage of one resource type, scoped to one organization and transaction.

    Documents are canonical (``identra.protocols.scim.resources``) with ``id`` and ``meta``
    (``meta.version`` is the weak ETag). Errors are ``ScimError`` subclasses.
    """

    async def get(
        self,
        resource_id: str,
        *,
        for_update: bool = False,
        attributes: Sequence[AttrPath] = (),
        excluded: Sequence[AttrPath] = (),
    ) -> dict[str, Any]: ...

    async def search(self, query: ListQuery) -> Page: ...

    async def create(self, resource: dict[str, Any]) -> dict[str, Any]: ...

    async def replace(
        self, resource_id: str, old: dict[str, Any], new: dict[str, Any]
    ) -> dict[str, Any]: ...

    async def delete(self, resource_id: str, old: dict[str, Any]) -> None: ...


@dataclass
class ScimContext:
    catalog: Catalog
    base_url: str  # absolute URL of the SCIM root, no trailing slash
    stores: Mapping[str, ResourceStore]  # by resource type id
    can: Callable[[str, bool], bool]  # (resource type id, write?) -> allowed
    me: str | None = None  # the calling user's id, for /Me
    atomic: Callable[[], AbstractAsyncContextManager[Any]] | None = None  # a savepoint
    max_payload: int = 1_048_576
    # Replaces the organization's custom extensions; returns the new catalog.
    set_extensions: Callable[[list[Any]], Awaitable[Catalog]] | None = None


# ---- the service ----------------------------------------------------------------------------


def _etag(resource: Mapping[str, Any]) -> str | None:
    meta = resource.get("meta")
    version = meta.get("version") if isinstance(meta, Mapping) else None
    return version if isinstance(version, str) else None


def _etag_matches(header: str, etag: str | None) -> bool:
    if etag is None:
        return False
    wanted = [t.strip() for t in header.split(",")]
    bare = etag.removeprefix("W/")
    return "*" in wanted or any(t.removeprefix("W/") == bare for t in wanted)


def _int_param(value: str | None, name: str, default: int) -> int:
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise InvalidValue(f"{name} must be an integer") from exc


class ScimService:
    async def handle(self, request: ScimRequest, ctx: ScimContext) -> ScimResponse:
        try:
            return await self._dispatch(request, ctx)
        except ScimError as exc:
            return error_response(exc)

    # -- routing --

    async def _dispatch(self, request: ScimRequest, ctx: ScimContext) -> ScimResponse:
        parts = [p for p in request.path.split("/") if p]
        method = request.method.upper()
        if parts[:1] == ["v2"] and parts[1:2] == ["Roles"]:
            parts = parts[1:]
        if not parts:
            raise NotFound("no SCIM resource at this path")
        head = parts[0]
        if head == "ServiceProviderConfig" and len(parts) == 1:
            self._only(method, "GET")
            return ScimResponse(200, self.service_provider_config(ctx))
        if head == "Schemas" and method == "PUT" and len(parts) == 1:
            return await self._set_extensions(request, ctx)
        if head == "Schemas":
            self._only(method, "GET")
            return self._schemas(parts[1:], ctx)
        if head == "ResourceTypes":
            self._only(method, "GET")
            return self._resource_types(parts[1:], ctx)
        if head == "Bulk" and len(parts) == 1:
            self._only(method, "POST")
            return await self._bulk(request, ctx)
        if head == "Me":
            if ctx.me is None:
                raise NotFound("the caller is not a user of this organization")
            if method == "POST" and len(parts) == 1:
                raise errors.NotImplementedYet("creating the calling user is not supported")
            if len(parts) != 1:
                raise NotFound("no SCIM resource at this path")
            return await self._resource(
                method, request, ctx, ctx.catalog.user, ctx.me, self_service=True
            )
        rtype = ctx.catalog.by_endpoint("/" + head)
        if rtype is None:
            raise NotFound("no SCIM resource at this path")
        if len(parts) == 1:
            if method == "GET":
                return await self._list(
                    request, ctx, rtype, self._query_from_params(request, rtype)
                )
            if method == "POST":
                return await self._create(request, ctx, rtype)
            raise MethodNotAllowed(f"{method} is not allowed on {rtype.endpoint}")
        if len(parts) == 2 and parts[1] == ".search":
            self._only(method, "POST")
            return await self._list(request, ctx, rtype, self._query_from_body(request, rtype))
        if len(parts) == 2:
            return await self._resource(method, request, ctx, rtype, parts[1])
        raise NotFound("no SCIM resource at this path")

    @staticmethod
    def _only(method: str, allowed: str) -> None:
        if method != allowed:
            raise MethodNotAllowed(f"only {allowed} is allowed here")

    def _store(
        self, ctx: ScimContext, rtype: ResourceType, write: bool, self_service: bool = False
    ) -> ResourceStore:
        if not self_service and not ctx.can(rtype.id, write):
            mode = "write" if write else "read"
            raise Forbidden(f"the caller may not {mode} {rtype.id} resources")
        return ctx.stores[rtype.id]

    def _location(self, ctx: ScimContext, rtype: ResourceType, resource_id: str) -> str:
        return f"{ctx.base_url}{rtype.endpoint}/{resource_id}"

    # -- discovery --

    def service_provider_config(self, ctx: ScimContext) -> dict[str, Any]:
        return {
            "schemas": [SERVICE_PROVIDER_CONFIG],
            "documentationUri": "https://github.com/identra/identra/blob/main/docs/scim.md",
            "patch": {"supported": True},
            "bulk": {
                "supported": True,
                "maxOperations": MAX_BULK_OPERATIONS,
                "maxPayloadSize": ctx.max_payload,
            },
            "filter": {"supported": True, "maxResults": MAX_COUNT},
            "changePassword": {"supported": True},
            "sort": {"supported": True},
            "etag": {"supported": True},
            "authenticationSchemes": [
                {
                    "type": "oauthbearertoken",
                    "name": "OAuth Bearer Token",
                    "description": "An access token of this organization carrying the users, "
                    "groups or roles read/write permissions as scopes",
                    "specUri": "https://www.rfc-editor.org/info/rfc6750",
                    "primary": True,
                }
            ],
            "meta": {
                "resourceType": "ServiceProviderConfig",
                "location": f"{ctx.base_url}/ServiceProviderConfig",
            },
        }

    def _list_of(self, items: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            "schemas": [LIST_RESPONSE],
            "totalResults": len(items),
            "startIndex": 1,
            "itemsPerPage": len(items),
            "Resources": items,
        }

    def _schemas(self, rest: list[str], ctx: ScimContext) -> ScimResponse:
        schemas = [s.to_json(ctx.base_url) for s in ctx.catalog.schemas]
        if not rest:
            return ScimResponse(200, self._list_of(schemas))
        urn = "/".join(rest)
        for schema in schemas:
            if schema["id"].lower() == urn.lower():
                return ScimResponse(200, schema)
        raise NotFound(f"no schema {urn}")

    async def _set_extensions(self, request: ScimRequest, ctx: ScimContext) -> ScimResponse:
        """``PUT /Schemas`` (an Identra extension): replace the organization's custom schema
        extensions with ``{"extensions": [{"resourceType", "required", "schema"}]}``."""
        if ctx.set_extensions is None:
            raise MethodNotAllowed("schemas are read-only here")
        if not ctx.can("Organization", True):
            raise Forbidden("changing schema extensions needs the orgs:write permission")
        body = request.body
        if not isinstance(body, Mapping) or not isinstance(body.get("extensions"), list):
            raise InvalidSyntax('the body must be {"extensions": [...]}')
        ctx.catalog = await ctx.set_extensions(list(body["extensions"]))
        return self._schemas([], ctx)

    def _resource_types(self, rest: list[str], ctx: ScimContext) -> ScimResponse:
        types = [t.to_json(ctx.base_url) for t in ctx.catalog.types]
        if not rest:
            return ScimResponse(200, self._list_of(types))
        for rtype in types:
            if rtype["id"] == rest[0] and len(rest) == 1:
                return ScimResponse(200, rtype)
        raise NotFound(f"no resource type {'/'.join(rest)}")

    # -- query --

    def _query(
        self,
        rtype: ResourceType,
        *,
        filter_text: Any,
        sort_by: Any,
        sort_order: Any,
        start_index: int,
        count: int,
        cursor: Any,
        attributes: Any,
        excluded: Any,
    ) -> ListQuery:
        parsed = None
        if filter_text is not None:
            if not isinstance(filter_text, str):
                raise errors.InvalidFilter("filter must be a string")
            parsed = compile_filter(filter_text, rtype)
        sort_path = None
        if sort_by:
            if not isinstance(sort_by, str):
                raise InvalidValue("sortBy must be an attribute name")
            try:
                sort_path = resolve_attr(split_attr(sort_by.strip()), rtype, InvalidValue)
            except errors.InvalidValue as exc:
                raise InvalidValue(f"sortBy: {exc.detail}") from exc
            if sort_path.target.returned == "never":
                raise InvalidValue(f"cannot sort by {sort_by}")
        order = (sort_order or "ascending") if isinstance(sort_order, str | None) else None
        if order is None or order.lower() not in ("ascending", "descending"):
            raise InvalidValue("sortOrder must be ascending or descending")
        if cursor is not None and not isinstance(cursor, str):
            raise InvalidValue("cursor must be a string")
        if attributes and excluded:
            raise InvalidValue("use either attributes or excludedAttributes, not both")
        return ListQuery(
            filter=parsed,
            sort_by=sort_path,
            descending=order.lower() == "descending",
            start_index=max(1, start_index),
            count=min(MAX_COUNT, max(0, count)),
            cursor=cursor,
            attributes=parse_attribute_list(attributes, rtype),
            excluded=parse_attribute_list(excluded, rtype),
        )

    def _query_from_params(self, request: ScimRequest, rtype: ResourceType) -> ListQuery:
        return self._query(
            rtype,
            filter_text=request.param("filter"),
            sort_by=request.param("sortBy"),
            sort_order=request.param("sortOrder"),
            start_index=_int_param(request.param("startIndex"), "startIndex", 1),
            count=_int_param(request.param("count"), "count", DEFAULT_COUNT),
            cursor=request.param("cursor"),
            attributes=request.param("attributes"),
            excluded=request.param("excludedAttributes"),
        )

    def _query_from_body(self, request: ScimRequest, rtype: ResourceType) -> ListQuery:
        body = request.body
        if not isinstance(body, Mapping):
            raise InvalidSyntax("the body must be a SearchRequest object")
        schemas = body.get("schemas")
        if not isinstance(schemas, list) or SEARCH_REQUEST not in schemas:
            raise InvalidSyntax(f"schemas must be [{SEARCH_REQUEST!r}]")
        allowed = {
            "schemas", "filter", "sortby", "sortorder", "startindex", "count", "cursor",
            "attributes", "excludedattributes",
        }  # fmt: skip
        fields = {str(k).lower(): v for k, v in body.items()}
        unknown = set(fields) - allowed
        if unknown:
            raise InvalidSyntax(f"unknown SearchRequest member {sorted(unknown)[0]}")

        def number(name: str, default: int) -> int:
            value = fields.get(name.lower(), default)
            if isinstance(value, bool) or not isinstance(value, int):
                raise InvalidValue(f"{name} must be an integer")
            return value

        for name in ("attributes", "excludedattributes"):
            value = fields.get(name)
            if value is not None and (
                not isinstance(value, list) or not all(isinstance(v, str) for v in value)
            ):
                raise InvalidValue(f"{name} must be a list of attribute names")
        return self._query(
            rtype,
            filter_text=fields.get("filter"),
            sort_by=fields.get("sortby"),
            sort_order=fields.get("sortorder"),
            start_index=number("startIndex", 1),
            count=number("count", DEFAULT_COUNT),
            cursor=fields.get("cursor"),
            attributes=fields.get("attributes"),
            excluded=fields.get("excludedattributes"),
        )

    async def _list(
        self, request: ScimRequest, ctx: ScimContext, rtype: ResourceType, query: ListQuery
    ) -> ScimResponse:
        store = self._store(ctx, rtype, write=False)
        page = await store.search(query)
        items = [project(r, rtype, query.attributes, query.excluded) for r in page.resources]
        body: dict[str, Any] = {
            "schemas": [LIST_RESPONSE],
            "totalResults": page.total,
            "itemsPerPage": len(items),
        }
        if query.cursor is None:
            body["startIndex"] = query.start_index
        if page.next_cursor:
            body["nextCursor"] = page.next_cursor
        body["Resources"] = items
        return ScimResponse(200, body)

    # -- single resources --

    def _attrs(
        self, request: ScimRequest, rtype: ResourceType
    ) -> tuple[list[AttrPath], list[AttrPath]]:
        attributes = request.param("attributes")
        excluded = request.param("excludedAttributes")
        if attributes and excluded:
            raise InvalidValue("use either attributes or excludedAttributes, not both")
        return parse_attribute_list(attributes, rtype), parse_attribute_list(excluded, rtype)

    def _single(
        self,
        status: int,
        ctx: ScimContext,
        rtype: ResourceType,
        resource: dict[str, Any],
        request: ScimRequest,
        *,
        location: bool = False,
    ) -> ScimResponse:
        attributes, excluded = self._attrs(request, rtype)
        headers: dict[str, str] = {}
        etag = _etag(resource)
        if etag:
            headers["etag"] = etag
        if location:
            headers["location"] = self._location(ctx, rtype, str(resource["id"]))
        return ScimResponse(status, project(resource, rtype, attributes, excluded), headers)

    @staticmethod
    def _check_if_match(request: ScimRequest, current: Mapping[str, Any]) -> None:
        header = request.headers.get("if-match")
        if header is not None and not _etag_matches(header, _etag(current)):
            raise PreconditionFailed("the resource changed since it was read (If-Match)")

    async def _create(
        self, request: ScimRequest, ctx: ScimContext, rtype: ResourceType
    ) -> ScimResponse:
        store = self._store(ctx, rtype, write=True)
        self._attrs(request, rtype)  # reject bad projection parameters before writing
        resource = strip_read_only(parse_resource(request.body, rtype), rtype)
        check_required(resource, rtype)
        created = await store.create(resource)
        return self._single(201, ctx, rtype, created, request, location=True)

    async def _resource(
        self,
        method: str,
        request: ScimRequest,
        ctx: ScimContext,
        rtype: ResourceType,
        resource_id: str,
        *,
        self_service: bool = False,
    ) -> ScimResponse:
        if method == "GET":
            store = self._store(ctx, rtype, write=False, self_service=self_service)
            attributes, excluded = self._attrs(request, rtype)
            current = await store.get(resource_id, attributes=attributes, excluded=excluded)
            none_match = request.headers.get("if-none-match")
            if none_match is not None and _etag_matches(none_match, _etag(current)):
                return ScimResponse(304, None, {"etag": _etag(current) or ""})
            return self._single(200, ctx, rtype, current, request)
        if method not in ("PUT", "PATCH", "DELETE"):
            raise MethodNotAllowed(f"{method} is not allowed on a {rtype.id}")
        store = self._store(
            ctx, rtype, write=True, self_service=self_service and method != "DELETE"
        )
        self._attrs(request, rtype)
        current = await store.get(resource_id, for_update=True)
        self._check_if_match(request, current)
        if method == "DELETE":
            await store.delete(resource_id, current)
            return ScimResponse(204)
        if method == "PUT":
            new = strip_read_only(parse_resource(request.body, rtype), rtype)
            body_id = new.get("id")
            if body_id is not None and body_id != resource_id:
                raise errors.Mutability("id cannot be changed")
            old = strip_read_only(current, rtype)
            check_immutable(old, new, rtype)
            check_required(new, rtype)
        else:
            new = apply_patch(current, rtype, request.body).resource
            check_immutable(strip_read_only(current, rtype), strip_read_only(new, rtype), rtype)
        if self_service and new.get("active", True) != current.get("active", True):
            raise errors.Mutability("active cannot be changed through /Me")
        updated = await store.replace(resource_id, current, new)
        return self._single(200, ctx, rtype, updated, request)

    # -- bulk --

    async def _bulk(self, request: ScimRequest, ctx: ScimContext) -> ScimResponse:
        body = request.body
        if not isinstance(body, Mapping):
            raise InvalidSyntax("the body must be a BulkRequest object")
        schemas = body.get("schemas")
        if not isinstance(schemas, list) or BULK_REQUEST not in schemas:
            raise InvalidSyntax(f"schemas must be [{BULK_REQUEST!r}]")
        fields = {str(k).lower(): v for k, v in body.items()}
        fail_on_errors = fields.get("failonerrors")
        if fail_on_errors is not None and (
            isinstance(fail_on_errors, bool)
            or not isinstance(fail_on_errors, int)
            or fail_on_errors < 1
        ):
            raise InvalidValue("failOnErrors must be a positive integer")
        operations = fields.get("operations")
        if not isinstance(operations, list) or not operations:
            raise InvalidSyntax("Operations must be a non-empty list")
        if len(operations) > MAX_BULK_OPERATIONS:
            raise errors.PayloadTooLarge(
                f"a bulk request may hold at most {MAX_BULK_OPERATIONS} operations"
            )
        parsed = [self._bulk_operation(i, op) for i, op in enumerate(operations)]
        seen: set[str] = set()
        for op in parsed:
            if op.bulk_id is not None:
                if op.bulk_id in seen:
                    raise InvalidValue(f"bulkId {op.bulk_id} is used twice")
                seen.add(op.bulk_id)
        return ScimResponse(200, await _BulkRun(self, ctx, parsed, fail_on_errors).run())

    @staticmethod
    def _bulk_operation(index: int, raw: Any) -> _BulkOp:
        if not isinstance(raw, Mapping):
            raise InvalidSyntax(f"Operations[{index}] must be an object")
        fields = {str(k).lower(): v for k, v in raw.items()}
        method = fields.get("method")
        if not isinstance(method, str) or method.upper() not in ("POST", "PUT", "PATCH", "DELETE"):
            raise InvalidSyntax(f"Operations[{index}].method must be POST, PUT, PATCH or DELETE")
        path = fields.get("path")
        if not isinstance(path, str) or not path.startswith("/"):
            raise InvalidSyntax(f"Operations[{index}].path must be a resource path")
        bulk_id = fields.get("bulkid")
        if bulk_id is not None and (not isinstance(bulk_id, str) or not bulk_id):
            raise InvalidSyntax(f"Operations[{index}].bulkId must be a string")
        if method.upper() == "POST" and bulk_id is None:
            raise InvalidSyntax(f"Operations[{index}]: POST needs a bulkId")
        version = fields.get("version")
        if version is not None and not isinstance(version, str):
            raise InvalidSyntax(f"Operations[{index}].version must be a string")
        return _BulkOp(method.upper(), path, bulk_id, version, fields.get("data"))


@dataclass
class _BulkOp:
    method: str
    path: str
    bulk_id: str | None
    version: str | None
    data: Any


def _references(value: Any) -> set[str]:
    """bulkIds a value refers to (``"bulkId:q1"`` strings anywhere in it)."""
    if isinstance(value, str):
        found = BULK_ID.match(value)
        return {found.group(1)} if found else set()
    if isinstance(value, Mapping):
        return set().union(*(_references(v) for v in value.values())) if value else set()
    if isinstance(value, list):
        return set().union(*(_references(v) for v in value)) if value else set()
    return set()


def _substitute(value: Any, ids: Mapping[str, str]) -> Any:
    if isinstance(value, str):
        found = BULK_ID.match(value)
        return ids.get(found.group(1), value) if found else value
    if isinstance(value, Mapping):
        return {k: _substitute(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(v, ids) for v in value]
    return value


class _BulkRun:
    def __init__(
        self,
        service: ScimService,
        ctx: ScimContext,
        ops: list[_BulkOp],
        fail_on_errors: int | None,
    ) -> None:
        self.service = service
        self.ctx = ctx
        self.ops = ops
        self.fail_on_errors = fail_on_errors
        self.ids: dict[str, str] = {}
        self.failed_ids: set[str] = set()
        self.errors = 0
        self.results: list[dict[str, Any] | None] = [None] * len(ops)

    async def run(self) -> dict[str, Any]:
        pending = list(range(len(self.ops)))
        # Operations run in request order; one that refers to a bulkId not yet created waits
        # until it is (RFC 7644 §3.7.2). What can never resolve fails with 409.
        while pending and not self._stopped():
            progressed = False
            waiting = []
            for index in pending:
                if self._stopped():
                    break
                op = self.ops[index]
                refs = _references(op.data) | _references(op.path.split("/"))
                if refs & self.failed_ids:
                    self._fail(index, errors.Conflict(
                        f"operation refers to bulkId {sorted(refs & self.failed_ids)[0]}, "
                        "which failed"
                    ))  # fmt: skip
                    progressed = True
                    continue
                if refs - set(self.ids):
                    waiting.append(index)
                    continue
                await self._execute(index)
                progressed = True
            pending = waiting
            if not progressed:
                for index in pending:
                    if self._stopped():
                        break
                    self._fail(index, errors.Conflict(
                        "the operation's bulkId references cannot be resolved (circular or unknown)"
                    ))  # fmt: skip
                pending = []
        return {
            "schemas": [BULK_RESPONSE],
            "Operations": [r for r in self.results if r is not None],
        }

    def _stopped(self) -> bool:
        return self.fail_on_errors is not None and self.errors >= self.fail_on_errors

    def _fail(self, index: int, exc: ScimError) -> None:
        op = self.ops[index]
        self.errors += 1
        if op.bulk_id:
            self.failed_ids.add(op.bulk_id)
        result: dict[str, Any] = {"method": op.method, "status": str(exc.status)}
        if op.bulk_id:
            result["bulkId"] = op.bulk_id
        result["response"] = exc.body()
        self.results[index] = result

    async def _execute(self, index: int) -> None:
        op = self.ops[index]
        path = "/".join(_substitute(op.path.split("/"), self.ids))
        data = _substitute(op.data, self.ids)
        headers = {"if-match": op.version} if op.version else {}
        parts = [p for p in path.split("/") if p]
        if op.method == "POST" and len(parts) != 1:
            self._fail(index, InvalidSyntax("POST paths name a resource endpoint (/Users)"))
            return
        if op.method != "POST" and len(parts) != 2:
            self._fail(index, InvalidSyntax(f"{op.method} paths name one resource (/Users/id)"))
            return
        if parts[0] in ("Bulk", "Me", "Schemas", "ResourceTypes", "ServiceProviderConfig"):
            self._fail(index, InvalidSyntax(f"{parts[0]} cannot be used in a bulk operation"))
            return
        request = ScimRequest(op.method, path, {}, headers, data)
        try:
            if self.ctx.atomic is None:
                response = await self.service._dispatch(request, self.ctx)
            else:
                async with self.ctx.atomic():
                    response = await self.service._dispatch(request, self.ctx)
        except ScimError as exc:
            self._fail(index, exc)
            return
        result: dict[str, Any] = {"method": op.method}
        if op.bulk_id:
            result["bulkId"] = op.bulk_id
        body = response.body or {}
        if op.method == "POST" and op.bulk_id and "id" in body:
            self.ids[op.bulk_id] = str(body["id"])
        location = response.headers.get("location")
        if location is None and op.method != "DELETE":
            rtype = self.ctx.catalog.by_endpoint("/" + parts[0])
            if rtype is not None and "id" in body:
                location = f"{self.ctx.base_url}{rtype.endpoint}/{body['id']}"
        if location:
            result["location"] = location
        if "etag" in response.headers:
            result["version"] = response.headers["etag"]
        result["status"] = str(response.status)
        self.results[index] = result


Handler = Callable[[ScimRequest, ScimContext], Awaitable[ScimResponse]]
