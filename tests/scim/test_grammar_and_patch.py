"""The filter grammar, PATCH engine and projection, without a database."""

from __future__ import annotations

from typing import Any

import pytest

from identra.protocols.scim import errors
from identra.protocols.scim.evaluate import matches
from identra.protocols.scim.filter import (
    And,
    Compare,
    Not,
    Or,
    Present,
    ValuePath,
    compile_filter,
    parse_filter,
    resolve_patch_path,
)
from identra.protocols.scim.patch import apply_patch
from identra.protocols.scim.resources import parse_attribute_list, parse_resource, project
from identra.protocols.scim.schemas import DEFAULT_CATALOG, PATCH_OP, schema_from_json

USER = DEFAULT_CATALOG.user
GROUP = DEFAULT_CATALOG.group
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


def test_precedence_and_grouping() -> None:
    node = parse_filter('a eq 1 or b eq 2 and not (c pr) or d[e eq "x"]')
    assert isinstance(node, Or)
    assert isinstance(node.left, Or) and isinstance(node.left.right, And)
    assert isinstance(node.left.right.right, Not)
    assert isinstance(node.right, ValuePath)
    grouped = parse_filter("(a eq 1 or b eq 2) and c pr")
    assert isinstance(grouped, And) and isinstance(grouped.left, Or)


def test_keywords_are_case_insensitive_and_values_typed() -> None:
    node = parse_filter('userName EQ "x" AND active Eq TRUE OR title PR')
    assert isinstance(node, Or) and isinstance(node.right, Present)
    compare = parse_filter("score ge -1.5e2")
    assert isinstance(compare, Compare) and compare.value == -150.0
    escaped = parse_filter(r'displayName eq "say \"hi\" \u00e9"')
    assert isinstance(escaped, Compare) and escaped.value == 'say "hi" é'
    # Attribute names that look like keywords stay names.
    assert isinstance(parse_filter('and eq "x"'), Compare)


def test_urn_paths() -> None:
    node = compile_filter(f'{ENTERPRISE}:manager.value eq "m"', USER)
    assert isinstance(node, Compare)
    assert node.path.urn == ENTERPRISE and node.path.attr == "manager" and node.path.sub == "value"
    core = compile_filter('urn:ietf:params:scim:schemas:core:2.0:User:userName eq "x"', USER)
    assert isinstance(core, Compare) and core.path.attr == "userName"


@pytest.mark.parametrize(
    "text",
    ['userName eq "x', "userName eq", "(a pr", "a pr)", 'a[b eq "x"', "not a pr", "a eq 01", ""],
)
def test_syntax_errors(text: str) -> None:
    with pytest.raises(errors.InvalidFilter):
        parse_filter(text)


def test_case_exact_is_per_attribute() -> None:
    doc = {"userName": "BJensen", "id": "ABC", "externalId": "Ext"}
    assert matches(compile_filter('userName eq "bjensen"', USER), doc)
    assert not matches(compile_filter('id eq "abc"', USER), doc)
    assert not matches(compile_filter('externalId eq "ext"', USER), doc)


def patch(doc: dict[str, Any], *ops: dict[str, Any], rtype: Any = USER) -> dict[str, Any]:
    return apply_patch(doc, rtype, {"schemas": [PATCH_OP], "Operations": list(ops)}).resource


BASE: dict[str, Any] = {
    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
    "id": "1",
    "userName": "b",
    "emails": [
        {"value": "w@x", "type": "work", "primary": True},
        {"value": "h@x", "type": "home"},
    ],
}


def test_add_appends_and_moves_primary() -> None:
    out = patch(BASE, {"op": "add", "path": "emails", "value": [{"value": "o@x", "primary": True}]})
    assert [e.get("primary", False) for e in out["emails"]] == [False, False, True]
    same = patch(BASE, {"op": "add", "path": "emails", "value": [{"value": "w@x", "type": "work"}]})
    assert len(same["emails"]) == 2


def test_replace_and_remove_with_filters() -> None:
    out = patch(
        BASE,
        {
            "op": "replace",
            "path": 'emails[type eq "home"]',
            "value": {"value": "n@x", "type": "home"},
        },
        {"op": "remove", "path": 'emails[type eq "work"].primary'},
    )
    assert out["emails"] == [{"value": "w@x", "type": "work"}, {"value": "n@x", "type": "home"}]
    removed = patch(
        BASE, {"op": "remove", "path": 'emails[value ew "@x" and not (type eq "work")]'}
    )
    assert [e["value"] for e in removed["emails"]] == ["w@x"]
    everything = patch(BASE, {"op": "remove", "path": "emails"})
    assert "emails" not in everything
    by_value = patch(BASE, {"op": "remove", "path": "emails", "value": [{"value": "h@x"}]})
    assert [e["value"] for e in by_value["emails"]] == ["w@x"]


def test_no_path_operations_and_extensions() -> None:
    out = patch(
        BASE,
        {"op": "add", "value": {"nickName": "n", ENTERPRISE: {"department": "d"}}},
        {"op": "replace", "value": {"name.givenName": "G", f"{ENTERPRISE}:division": "v"}},
    )
    assert out["nickName"] == "n" and out["name"] == {"givenName": "G"}
    assert out[ENTERPRISE] == {"department": "d", "division": "v"}
    assert out["schemas"][-1] == ENTERPRISE
    replaced = patch(out, {"op": "replace", "path": ENTERPRISE, "value": {"costCenter": "c"}})
    assert replaced[ENTERPRISE] == {"costCenter": "c"}


def test_patch_is_atomic_and_checked() -> None:
    with pytest.raises(errors.InvalidPath):
        patch(
            BASE,
            {"op": "add", "path": "nickName", "value": "n"},
            {"op": "add", "path": "x.y", "value": 1},
        )
    assert "nickName" not in BASE
    with pytest.raises(errors.NoTarget):
        patch(BASE, {"op": "replace", "path": 'emails[type eq "fax"].value', "value": "f"})
    with pytest.raises(errors.InvalidValue):
        patch(BASE, {"op": "replace", "path": "active", "value": "perhaps"})
    with pytest.raises(errors.Mutability):
        patch(BASE, {"op": "replace", "path": "meta.version", "value": 'W/"9"'})
    with pytest.raises(errors.InvalidValue):
        two = [{"value": "a@x", "primary": True}, {"value": "b@x", "primary": True}]
        patch(BASE, {"op": "add", "path": "emails", "value": two})
    with pytest.raises(errors.InvalidSyntax):
        apply_patch(
            BASE,
            USER,
            {"schemas": [PATCH_OP], "Operations": [{"op": "add", "path": "x", "bogus": 1}]},
        )


def test_filtered_add_creates_the_value() -> None:
    out = patch(BASE, {"op": "add", "path": 'addresses[type eq "work"].locality', "value": "Paris"})
    assert out["addresses"] == [{"type": "work", "locality": "Paris"}]


def test_group_member_paths() -> None:
    group = {
        "schemas": [GROUP.schema.id],
        "id": "g",
        "displayName": "G",
        "members": [{"value": "a"}],
    }
    out = patch(
        group,
        {"op": "add", "path": "members", "value": [{"value": "b"}, {"value": "a"}]},
        rtype=GROUP,
    )
    assert [m["value"] for m in out["members"]] == ["a", "b"]
    out = patch(out, {"op": "remove", "path": 'members[value eq "a"]'}, rtype=GROUP)
    assert [m["value"] for m in out["members"]] == ["b"]
    with pytest.raises(errors.Mutability):
        patch(
            out, {"op": "replace", "path": 'members[value eq "b"].value', "value": "c"}, rtype=GROUP
        )


def test_paths_resolve() -> None:
    target = resolve_patch_path('emails[type eq "work"].value', USER)
    assert target.sub == "value" and target.filter is not None
    with pytest.raises(errors.InvalidPath):
        resolve_patch_path('userName[type eq "x"]', USER)


def test_projection() -> None:
    doc = parse_resource(
        {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE],
            "USERNAME": "b",
            "password": "secret",
            "name": {"givenname": "G", "familyName": "F"},
            ENTERPRISE: {"department": "d"},
        },
        USER,
    )
    assert doc["userName"] == "b" and doc["name"] == {"givenName": "G", "familyName": "F"}
    full = project({**doc, "id": "1"}, USER)
    assert "password" not in full and full[ENTERPRISE] == {"department": "d"}
    only = project({**doc, "id": "1"}, USER, parse_attribute_list("name.givenName", USER))
    assert only == {"schemas": [USER.schema.id], "id": "1", "name": {"givenName": "G"}}
    without = project({**doc, "id": "1"}, USER, (), parse_attribute_list(ENTERPRISE, USER))
    assert ENTERPRISE not in without and without["schemas"] == [USER.schema.id]


def test_custom_schema_definitions_are_checked() -> None:
    good = schema_from_json(
        {"id": "urn:acme:ext:1.0:User", "attributes": [{"name": "level", "type": "integer"}]}
    )
    assert good.attributes[0].type == "integer"
    for bad in (
        {"id": ENTERPRISE, "attributes": [{"name": "x"}]},
        {"id": "not-a-urn", "attributes": [{"name": "x"}]},
        {"id": "urn:acme:x:User", "attributes": [{"name": "1x"}]},
        {"id": "urn:acme:x:User", "attributes": [{"name": "x", "type": "money"}]},
        {"id": "urn:acme:x:User", "attributes": [{"name": "x", "type": "complex"}]},
        {"id": "urn:acme:x:User", "attributes": []},
    ):
        with pytest.raises(errors.InvalidValue):
            schema_from_json(bad)
