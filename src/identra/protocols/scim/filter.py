"""SCIM filters (RFC 7644 §3.4.2.2) and PATCH paths (§3.5.2), parsed with a Lark LALR grammar.

The grammar follows the RFC's ABNF: ``not`` binds tighter than ``and``, which binds tighter than
``or``; parentheses group; ``attr[...]`` filters the values of a complex attribute; operators
and keywords are case-insensitive; attribute names may carry their schema URN
(``urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber``).

:func:`parse_filter` gives an AST of frozen dataclasses; :func:`resolve_filter` checks it
against a resource type (unknown attributes, operators that do not apply to the attribute's type,
values of the wrong type are ``invalidFilter``) and attaches each attribute's definition, so
that the SQL compiler and the in-memory evaluator know, e.g., whether a comparison is
case-exact. Nothing here builds SQL.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import LarkError, VisitError

from identra.protocols.scim.errors import InvalidFilter, InvalidPath, ScimError
from identra.protocols.scim.schemas import Attribute, ResourceType

MAX_FILTER_LENGTH = 4096

GRAMMAR = r"""
?filter: or_expr
?or_expr: and_expr
        | or_expr _OR and_expr      -> or_op
?and_expr: not_expr
         | and_expr _AND not_expr   -> and_op
?not_expr: _NOT "(" filter ")"      -> not_op
         | atom
?atom: "(" filter ")"
     | ATTRPATH _PR                 -> present
     | ATTRPATH OP value            -> compare
     | ATTRPATH "[" filter "]"      -> value_path
?value: STRING                      -> string
      | NUMBER                      -> number
      | TRUE                        -> true
      | FALSE                       -> false
      | NULL                        -> null

path: ATTRPATH                      -> plain_path
    | ATTRPATH "[" filter "]" SUBATTR?  -> filtered_path

_NOT.3: /not(?=\s*\()/i
_AND.2: /and(?![A-Za-z0-9_$-])/i
_OR.2: /or(?![A-Za-z0-9_$-])/i
_PR.2: /pr(?![A-Za-z0-9_$-])/i
OP.2: /(eq|ne|co|sw|ew|gt|ge|lt|le)(?![A-Za-z0-9_$-])/i
TRUE.2: /true(?![A-Za-z0-9_$-])/i
FALSE.2: /false(?![A-Za-z0-9_$-])/i
NULL.2: /null(?![A-Za-z0-9_$-])/i
URN_PREFIX: /urn:[A-Za-z0-9][A-Za-z0-9-]*(:[A-Za-z0-9._\-]+)*:/i
NAME_PART: /\$?[A-Za-z][A-Za-z0-9_$-]*/
ATTRPATH: URN_PREFIX? NAME_PART ("." NAME_PART)?
SUBATTR: /\.\$?[A-Za-z][A-Za-z0-9_$-]*/
STRING: /"(?:[^"\\\x00-\x1f]|\\(?:["\\\/bfnrt]|u[0-9a-fA-F]{4}))*"/
NUMBER: /-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/
%ignore /[ \t\r\n]+/
"""


@dataclass(frozen=True)
class AttrPath:
    """``[urn:]attr[.sub]``; after resolution it carries the definitions and canonical names."""

    urn: str | None
    attr: str
    sub: str | None = None
    attribute: Attribute | None = None
    sub_attribute: Attribute | None = None

    @property
    def target(self) -> Attribute:
        found = self.sub_attribute or self.attribute
        assert found is not None, "unresolved attribute path"
        return found

    def __str__(self) -> str:
        head = f"{self.urn}:{self.attr}" if self.urn else self.attr
        return f"{head}.{self.sub}" if self.sub else head


@dataclass(frozen=True)
class Compare:
    path: AttrPath
    op: str  # eq ne co sw ew gt ge lt le (lower-case)
    value: Any  # str | int | float | bool | None | datetime (after resolution)


@dataclass(frozen=True)
class Present:
    path: AttrPath


@dataclass(frozen=True)
class And:
    left: Filter
    right: Filter


@dataclass(frozen=True)
class Or:
    left: Filter
    right: Filter


@dataclass(frozen=True)
class Not:
    inner: Filter


@dataclass(frozen=True)
class ValuePath:
    """``attr[filter]``: some value of the complex attribute ``path`` satisfies ``filter``.

    Inside ``filter`` paths are relative (``type``); after resolution they are absolute
    (``emails.type``) and all refer to the same value.
    """

    path: AttrPath
    filter: Filter


Filter = Compare | Present | And | Or | Not | ValuePath


@dataclass(frozen=True)
class PatchPath:
    """A PATCH ``path``: ``attr``, ``attr.sub``, ``attr[filter]``, ``attr[filter].sub``, or an
    extension's URN alone (``extension`` set, ``attr`` empty) to address the whole extension."""

    path: AttrPath
    filter: Filter | None = None
    sub: str | None = None
    extension: str | None = None
    sub_attribute: Attribute | None = None


def split_attr(token: str) -> AttrPath:
    urn: str | None = None
    rest = token
    if token.lower().startswith("urn:"):
        urn, _, rest = token.rpartition(":")
    name, _, sub = rest.partition(".")
    return AttrPath(urn, name, sub or None)


@v_args(inline=True)
class _ToAst(Transformer[Token, Any]):
    def string(self, token: Token) -> str:
        try:
            value = json.loads(str(token))
        except ValueError as exc:
            raise InvalidFilter(f"invalid string {token}") from exc
        assert isinstance(value, str)
        return value

    def number(self, token: Token) -> int | float:
        text = str(token)
        return float(text) if any(c in text for c in ".eE") else int(text)

    def true(self, _token: Token) -> bool:
        return True

    def false(self, _token: Token) -> bool:
        return False

    def null(self, _token: Token) -> None:
        return None

    def present(self, path: Token) -> Present:
        return Present(split_attr(str(path)))

    def compare(self, path: Token, op: Token, value: Any) -> Compare:
        return Compare(split_attr(str(path)), str(op).lower(), value)

    def value_path(self, path: Token, inner: Filter) -> ValuePath:
        return ValuePath(split_attr(str(path)), inner)

    def and_op(self, left: Filter, right: Filter) -> And:
        return And(left, right)

    def or_op(self, left: Filter, right: Filter) -> Or:
        return Or(left, right)

    def not_op(self, inner: Filter) -> Not:
        return Not(inner)

    def plain_path(self, path: Token) -> PatchPath:
        return PatchPath(split_attr(str(path)))

    def filtered_path(self, path: Token, inner: Filter, sub: Token | None = None) -> PatchPath:
        return PatchPath(split_attr(str(path)), inner, str(sub)[1:] if sub else None)


_parser = Lark(GRAMMAR, start=["filter", "path"], parser="lalr", maybe_placeholders=False)
_to_ast = _ToAst()


@lru_cache(maxsize=2048)
def parse_filter(text: str) -> Filter:
    """Parse a filter; a syntax error is ``invalidFilter``."""
    if not text.strip():
        raise InvalidFilter("the filter is empty")
    if len(text) > MAX_FILTER_LENGTH:
        raise InvalidFilter(f"the filter is longer than {MAX_FILTER_LENGTH} characters")
    try:
        tree = _parser.parse(text, start="filter")
        result = _to_ast.transform(tree)
    except VisitError as exc:
        if isinstance(exc.orig_exc, ScimError):
            raise InvalidFilter(exc.orig_exc.detail) from exc
        raise InvalidFilter("the filter is not valid") from exc
    except LarkError as exc:
        raise InvalidFilter(_syntax_message(text, exc)) from exc
    assert isinstance(result, (Compare, Present, And, Or, Not, ValuePath))
    return result


@lru_cache(maxsize=1024)
def parse_path(text: str) -> PatchPath:
    """Parse a PATCH path; a syntax error is ``invalidPath``."""
    if not text.strip() or len(text) > MAX_FILTER_LENGTH:
        raise InvalidPath("the path is empty or too long")
    try:
        tree = _parser.parse(text.strip(), start="path")
        result = _to_ast.transform(tree)
    except (VisitError, LarkError) as exc:
        raise InvalidPath(f"the path {text!r} is not a valid attribute path") from exc
    assert isinstance(result, PatchPath)
    return result


def _syntax_message(text: str, exc: LarkError) -> str:
    column = getattr(exc, "column", None)
    if isinstance(column, int) and column > 0:
        return f"the filter is not valid near position {column}: {text[column - 1 : column + 19]!r}"
    return "the filter is not valid: it ends too early"


# ---- resolution against a resource type ----------------------------------------------------

ORDERED_TYPES = ("string", "integer", "decimal", "dateTime", "reference")
STRING_TYPES = ("string", "reference", "binary")


def resolve_attr(path: AttrPath, rtype: ResourceType, error: type[ScimError]) -> AttrPath:
    """Attach definitions to a top-level ``[urn:]attr[.sub]`` path; canonical names."""
    if path.urn is not None and rtype.schema_for(path.urn) is None:
        raise error(f"unknown schema {path.urn}")
    found = rtype.top(path.urn, path.attr)
    if found is None:
        raise error(f"unknown attribute {path}")
    schema, attribute = found
    urn = schema.id if path.urn is not None or schema.id != rtype.schema.id else None
    sub_attribute: Attribute | None = None
    if path.sub is not None:
        if not attribute.is_complex:
            raise error(f"{attribute.name} has no sub-attributes")
        sub_attribute = attribute.sub(path.sub)
        if sub_attribute is None:
            raise error(f"unknown attribute {path}")
    return AttrPath(
        urn,
        attribute.name,
        sub_attribute.name if sub_attribute else None,
        attribute,
        sub_attribute,
    )


def _relative(parent: AttrPath, path: AttrPath) -> AttrPath:
    """A path inside ``parent[...]``: a sub-attribute name of the parent."""
    assert parent.attribute is not None
    if path.urn is not None or path.sub is not None:
        raise InvalidFilter(f"{path} must be a sub-attribute of {parent.attr} inside [...]")
    sub = parent.attribute.sub(path.attr)
    if sub is None:
        raise InvalidFilter(f"unknown attribute {parent.attr}.{path.attr}")
    return AttrPath(parent.urn, parent.attr, sub.name, parent.attribute, sub)


def _coerce(path: AttrPath, op: str, value: Any) -> Any:
    attr = path.target
    where = str(path)
    if attr.returned == "never":
        raise InvalidFilter(f"{where} cannot be used in a filter")
    if attr.is_complex:
        raise InvalidFilter(f"{where} is complex: compare one of its sub-attributes")
    if value is None:
        if op not in ("eq", "ne"):
            raise InvalidFilter(f"null can only be compared with eq or ne ({where})")
        return None
    if op in ("co", "sw", "ew") and attr.type not in STRING_TYPES:
        raise InvalidFilter(f"{op} applies to strings; {where} is {attr.type}")
    if op in ("gt", "ge", "lt", "le") and attr.type not in ORDERED_TYPES:
        raise InvalidFilter(f"{op} does not apply to {attr.type} attribute {where}")
    if attr.type == "boolean":
        if not isinstance(value, bool):
            raise InvalidFilter(f"{where} is a boolean: compare it with true or false")
        return value
    if attr.type in ("integer", "decimal"):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise InvalidFilter(f"{where} is a number")
        if attr.type == "integer" and isinstance(value, float) and not value.is_integer():
            raise InvalidFilter(f"{where} is an integer")
        return value
    if attr.type == "dateTime":
        if not isinstance(value, str):
            raise InvalidFilter(f"{where} is a dateTime: compare it with an xsd:dateTime string")
        parsed = parse_datetime(value)
        if parsed is None:
            raise InvalidFilter(f"{value!r} is not an xsd:dateTime")
        return parsed
    if not isinstance(value, str):
        raise InvalidFilter(f"{where} is a string: compare it with a quoted string")
    return value


def parse_datetime(value: str) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _default_sub(path: AttrPath) -> AttrPath:
    """``emails co "x"`` compares the complex attribute's ``value`` sub-attribute."""
    attribute = path.attribute
    if path.sub_attribute is None and attribute is not None and attribute.is_complex:
        value = attribute.sub("value")
        if value is None:
            raise InvalidFilter(f"{path} is complex: compare one of its sub-attributes")
        return replace(path, sub=value.name, sub_attribute=value)
    return path


def resolve_filter(node: Filter, rtype: ResourceType, parent: AttrPath | None = None) -> Filter:
    if isinstance(node, And):
        return And(
            resolve_filter(node.left, rtype, parent), resolve_filter(node.right, rtype, parent)
        )
    if isinstance(node, Or):
        return Or(
            resolve_filter(node.left, rtype, parent), resolve_filter(node.right, rtype, parent)
        )
    if isinstance(node, Not):
        return Not(resolve_filter(node.inner, rtype, parent))
    if isinstance(node, ValuePath):
        if parent is not None:
            raise InvalidFilter("value filters cannot be nested")
        outer = resolve_attr(node.path, rtype, InvalidFilter)
        if outer.sub is not None or not outer.target.is_complex:
            raise InvalidFilter(f"{node.path} is not a complex attribute: [...] does not apply")
        return ValuePath(outer, resolve_filter(node.filter, rtype, outer))
    path = (
        _relative(parent, node.path)
        if parent is not None
        else resolve_attr(node.path, rtype, InvalidFilter)
    )
    if isinstance(node, Present):
        if path.target.returned == "never":
            raise InvalidFilter(f"{path} cannot be used in a filter")
        return Present(path)
    path = _default_sub(path)
    return Compare(path, node.op, _coerce(path, node.op, node.value))


def compile_filter(text: str, rtype: ResourceType) -> Filter:
    return resolve_filter(parse_filter(text), rtype)


def resolve_patch_path(text: str, rtype: ResourceType) -> PatchPath:
    """Parse and resolve a PATCH path; unknown attributes are ``invalidPath``."""
    for ext in rtype.extensions:
        if text.strip().lower() == ext.schema.id.lower():
            return PatchPath(AttrPath(ext.schema.id, ""), extension=ext.schema.id)
    parsed = parse_path(text)
    head = resolve_attr(parsed.path, rtype, InvalidPath)
    if parsed.filter is None:
        return PatchPath(head)
    if head.sub is not None or not head.target.is_complex:
        raise InvalidPath(f"{parsed.path} is not a complex attribute: [...] does not apply")
    try:
        inner = resolve_filter(parsed.filter, rtype, head)
    except InvalidFilter as exc:
        raise InvalidPath(exc.detail) from exc
    sub_attribute: Attribute | None = None
    if parsed.sub is not None:
        assert head.attribute is not None
        sub_attribute = head.attribute.sub(parsed.sub)
        if sub_attribute is None:
            raise InvalidPath(f"unknown attribute {head.attr}.{parsed.sub}")
    return PatchPath(
        head, inner, sub_attribute.name if sub_attribute else None, sub_attribute=sub_attribute
    )


def walk_paths(node: Filter) -> list[AttrPath]:
    """Every attribute path a (resolved) filter mentions."""
    if isinstance(node, (And, Or)):
        return walk_paths(node.left) + walk_paths(node.right)
    if isinstance(node, Not):
        return walk_paths(node.inner)
    if isinstance(node, ValuePath):
        return [node.path, *walk_paths(node.filter)]
    return [node.path]
