"""SCIM filters and sort orders compiled to SQLAlchemy expressions (never to SQL strings).

A resource type is described by a :class:`SqlMap`: which SCIM attribute lives in which column,
child table (``emails`` -> ``user_emails``, tested with ``EXISTS``) or JSON document (attributes
without a column of their own, under ``claims["scim"]``). Values are always bound parameters;
``co``/``sw``/``ew`` escape ``%`` and ``_``. Case-insensitive attributes (``caseExact`` false)
compare ``lower(column)`` with the lower-cased value, or the column directly where it already
holds a lower-cased copy (``users.username_normalized``, indexed).

``attr[filter]`` becomes one ``EXISTS`` whose conditions all hold for the same child row, as
RFC 7644 §3.4.2.2 requires; ``emails.type eq "work" and emails.value co "x"`` (no brackets) may
match different values and compiles to two ``EXISTS``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    ColumnElement,
    Float,
    String,
    and_,
    case,
    cast,
    exists,
    false,
    func,
    literal,
    literal_column,
    not_,
    or_,
    select,
    true,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.sql.elements import KeyedColumnElement

from identra.protocols.scim.errors import InvalidFilter, InvalidValue
from identra.protocols.scim.filter import (
    And,
    AttrPath,
    Compare,
    Filter,
    Not,
    Or,
    Present,
    ValuePath,
)
from identra.protocols.scim.schemas import Attribute

Expr = ColumnElement[Any]
Custom = Callable[[str, Any], Expr]


@dataclass(frozen=True)
class Column:
    """A SCIM attribute stored in one column."""

    expr: Any  # an InstrumentedAttribute / column expression
    lowered: bool = False  # the column already holds lower-cased text
    to_db: Callable[[Any], Any] | None = None  # map a filter value to the column's value
    custom: Custom | None = None  # a compiler of its own for (op, value)
    sortable: bool = True


@dataclass(frozen=True)
class Child:
    """A multi-valued attribute stored as rows of a child table."""

    parent_key: Any  # users.id
    child_key: Any  # user_emails.user_id
    subs: Mapping[str, Column]
    extra: tuple[Any, ...] = ()  # conditions every child row must meet
    sort: Any | None = None  # correlated scalar subquery giving the value to sort by


@dataclass(frozen=True)
class Json:
    """An attribute inside a JSON column: ``column[path]``; multi-valued ones are arrays."""

    column: Any
    path: tuple[str, ...]
    scalars: bool = False  # an array of plain values standing for ``[{"value": v}]``


Location = Column | Child | Json


@dataclass
class SqlMap:
    columns: dict[str, Location] = field(default_factory=dict)  # "userName", "name.givenName"
    json_column: Any | None = None  # where unmapped attributes live
    json_root: tuple[str, ...] = ()
    core_schema: str = ""

    def locate(self, path: AttrPath) -> Location:
        key = path.attr if path.sub is None else f"{path.attr}.{path.sub}"
        if path.urn is None:
            found = self.columns.get(key) or self.columns.get(path.attr)
            if found is not None:
                return found
        if self.json_column is None:
            raise InvalidFilter(f"{path} cannot be used in a filter")
        root = self.json_root if path.urn is None else (*self.json_root, path.urn)
        return Json(self.json_column, (*root, path.attr))


class Compiler:
    def __init__(self, mapping: SqlMap, dialect: str) -> None:
        self.map = mapping
        self.dialect = dialect

    # -- entry points --

    def where(self, node: Filter) -> Expr:
        if isinstance(node, And):
            return and_(self.where(node.left), self.where(node.right))
        if isinstance(node, Or):
            return or_(self.where(node.left), self.where(node.right))
        if isinstance(node, Not):
            return not_(self.where(node.inner))
        if isinstance(node, ValuePath):
            return self._value_path(node)
        location = self.map.locate(node.path)
        if isinstance(location, Column):
            return self._column(location, node)
        if isinstance(location, Child):
            return self._child_exists(location, [node])
        return self._json(location, node)

    def order(self, path: AttrPath) -> Expr:
        attr = path.target
        location = self.map.locate(path)
        if isinstance(location, Column):
            if not location.sortable:
                raise InvalidValue(f"cannot sort by {path}")
            col: Expr = location.expr
            if (
                attr.type in ("string", "reference")
                and not attr.case_exact
                and not location.lowered
            ):
                col = func.lower(col)
            return col
        if isinstance(location, Child):
            if location.sort is None:
                raise InvalidValue(f"cannot sort by {path}")
            sort: Expr = location.sort
            return sort
        if path.attribute is not None and path.attribute.multi_valued:
            raise InvalidValue(f"cannot sort by {path}")
        sub = (path.sub,) if path.sub else ()
        value = self._json_scalar(location.column, (*location.path, *sub), attr)
        if attr.type == "string" and not attr.case_exact:
            return func.lower(value)
        return value

    # -- columns --

    @staticmethod
    def _value(attr: Attribute, value: Any, lowered: bool) -> Any:
        if isinstance(value, str) and attr.type in ("string", "reference") and not attr.case_exact:
            return value.lower()
        return value

    def _column(self, location: Column, node: Compare | Present) -> Expr:
        attr = node.path.target
        col: Expr = location.expr
        folded = attr.type in ("string", "reference") and not attr.case_exact
        if folded and not location.lowered:
            col = func.lower(col)
        if isinstance(node, Present):
            if location.custom is not None:
                return location.custom("pr", None)
            if attr.type in ("string", "reference", "binary"):
                return and_(location.expr.is_not(None), location.expr != "")
            return location.expr.is_not(None)  # type: ignore[no-any-return]
        value = node.value
        if location.custom is not None:
            return location.custom(node.op, value)
        if location.to_db is not None:
            value = location.to_db(value)
        if folded and isinstance(value, str):
            value = value.lower()
        return self._compare(col, node.op, value)

    @staticmethod
    def _compare(col: Any, op: str, value: Any) -> Expr:
        result: Expr
        if value is None:
            result = col.is_(None) if op == "eq" else col.is_not(None)
        elif op == "eq":
            result = col == value
        elif op == "ne":
            result = or_(col != value, col.is_(None))
        elif op == "co":
            result = col.contains(value, autoescape=True)
        elif op == "sw":
            result = col.startswith(value, autoescape=True)
        elif op == "ew":
            result = col.endswith(value, autoescape=True)
        elif op == "gt":
            result = col > value
        elif op == "ge":
            result = col >= value
        elif op == "lt":
            result = col < value
        elif op == "le":
            result = col <= value
        else:
            raise InvalidFilter(f"unknown operator {op}")
        return result

    # -- child tables --

    def _child_condition(self, child: Child, node: Filter) -> Expr:
        if isinstance(node, And):
            return and_(
                self._child_condition(child, node.left), self._child_condition(child, node.right)
            )
        if isinstance(node, Or):
            return or_(
                self._child_condition(child, node.left), self._child_condition(child, node.right)
            )
        if isinstance(node, Not):
            return not_(self._child_condition(child, node.inner))
        if isinstance(node, ValuePath):
            raise InvalidFilter("value filters cannot be nested")
        sub = node.path.sub or "value"
        column = child.subs.get(sub)
        if column is None:
            raise InvalidFilter(f"{node.path} cannot be used in a filter")
        return self._column(column, node)

    def _child_exists(self, child: Child, nodes: list[Filter]) -> Expr:
        conditions = [child.child_key == child.parent_key, *child.extra]
        conditions += [self._child_condition(child, n) for n in nodes]
        query = select(literal(1)).where(*conditions)
        if len(nodes) == 1 and isinstance(nodes[0], Compare) and nodes[0].op == "ne":
            # "emails ne x": no value equals x (a user with no email matches too).
            inner = nodes[0]
            positive = Compare(inner.path, "eq", inner.value)
            return not_(self._child_exists(child, [positive]))
        return exists(query)

    def _value_path(self, node: ValuePath) -> Expr:
        location = self.map.locate(node.path)
        if isinstance(location, Child):
            return self._child_exists(location, [node.filter])
        if isinstance(location, Json):
            attr = node.path.attribute
            assert attr is not None
            if attr.multi_valued:
                return self._json_array_exists(location, node.filter)
            return self._json_object(location, node.filter)
        raise InvalidFilter(f"{node.path} cannot be filtered with [...]")

    # -- JSON --

    def _json_scalar(self, column: Any, path: tuple[str, ...], attr: Attribute) -> Expr:
        element = column[path]
        if attr.type == "boolean":
            return element.as_boolean()  # type: ignore[no-any-return]
        if attr.type == "integer":
            return element.as_integer()  # type: ignore[no-any-return]
        if attr.type == "decimal":
            return element.as_float()  # type: ignore[no-any-return]
        return element.as_string()  # type: ignore[no-any-return]

    @staticmethod
    def _db_value(attr: Attribute, value: Any) -> Any:
        if isinstance(value, datetime):
            return value.isoformat().replace("+00:00", "Z")
        return value

    def _json(self, location: Json, node: Compare | Present) -> Expr:
        path = node.path
        attr = path.attribute
        assert attr is not None
        if attr.multi_valued:
            return self._json_array_exists(location, node)
        sub = (path.sub,) if path.sub else ()
        target = path.target
        if isinstance(node, Present) and target.is_complex:
            element = location.column[(*location.path, *sub)]
            return element.is_not(None)  # type: ignore[no-any-return]
        col = self._json_scalar(location.column, (*location.path, *sub), target)
        return self._compare_json(col, target, node)

    def _compare_json(self, col: Expr, attr: Attribute, node: Compare | Present) -> Expr:
        folded = attr.type in ("string", "reference") and not attr.case_exact
        if isinstance(node, Present):
            if attr.type in ("string", "reference", "binary"):
                return and_(col.is_not(None), col != "")
            return col.is_not(None)
        value = self._db_value(attr, node.value)
        if folded:
            col = func.lower(col)
            if isinstance(value, str):
                value = value.lower()
        return self._compare(col, node.op, value)

    def _json_object(self, location: Json, node: Filter) -> Expr:
        """``name[givenName eq "x"]`` on a single-valued complex JSON attribute."""
        if isinstance(node, And):
            return and_(
                self._json_object(location, node.left), self._json_object(location, node.right)
            )
        if isinstance(node, Or):
            return or_(
                self._json_object(location, node.left), self._json_object(location, node.right)
            )
        if isinstance(node, Not):
            return not_(self._json_object(location, node.inner))
        if isinstance(node, ValuePath):
            raise InvalidFilter("value filters cannot be nested")
        return self._json(location, node)

    def _array_elements(
        self, location: Json
    ) -> tuple[Any, Callable[[str | None, Attribute], Expr]]:
        """A correlated table of the array's elements, and an accessor for their fields."""
        scalars = location.scalars
        if self.dialect == "postgresql":
            doc = location.column[location.path] if location.path else location.column
            array = case(
                (func.jsonb_typeof(doc) == "array", doc),
                else_=cast(literal("[]"), JSONB),
            )
            table = func.jsonb_array_elements(array).table_valued(
                _typed_column("value", JSONB), name="scim_elem"
            )

            def pg_field(sub: str | None, attr: Attribute) -> Expr:
                text = (
                    table.c.value.op("->>")(literal(sub))
                    if sub and not scalars
                    else table.c.value.op("#>>")(literal_column("'{}'"))
                )
                if attr.type == "boolean":
                    return cast(text, Boolean)
                if attr.type in ("integer", "decimal"):
                    return cast(text, Float)
                return cast(text, String)

            return table, pg_field
        json_path = "$" + "".join(f'."{p}"' for p in location.path)
        table = func.json_each(location.column, literal(json_path)).table_valued(
            "value", "type", name="scim_elem"
        )

        def sqlite_field(sub: str | None, attr: Attribute) -> Expr:
            if sub is None or scalars:
                value: Expr = table.c.value
                return value
            return func.json_extract(table.c.value, literal(f'$."{sub}"'))

        return table, sqlite_field

    def _json_array_exists(self, location: Json, node: Filter) -> Expr:
        table, field_of = self._array_elements(location)

        def condition(n: Filter) -> Expr:
            if isinstance(n, And):
                return and_(condition(n.left), condition(n.right))
            if isinstance(n, Or):
                return or_(condition(n.left), condition(n.right))
            if isinstance(n, Not):
                return not_(condition(n.inner))
            if isinstance(n, ValuePath):
                raise InvalidFilter("value filters cannot be nested")
            target = n.path.target
            col = field_of(n.path.sub, target)
            if target.type == "boolean" and self.dialect != "postgresql" and isinstance(n, Compare):
                if n.value is None:
                    return col.is_(None) if n.op == "eq" else col.is_not(None)
                value = 1 if n.value else 0
                return col == value if n.op == "eq" else or_(col != value, col.is_(None))
            return self._compare_json(col, target, n)

        if isinstance(node, Compare) and node.op == "ne":
            positive = Compare(node.path, "eq", node.value)
            return not_(exists(select(literal(1)).select_from(table).where(condition(positive))))
        return exists(select(literal(1)).select_from(table).where(condition(node)))


def _typed_column(name: str, type_: Any) -> Any:
    from sqlalchemy import column

    return column(name, type_)


def always(value: bool) -> Expr:
    return true() if value else false()


__all__ = ["Child", "Column", "Compiler", "Json", "KeyedColumnElement", "SqlMap", "always"]
