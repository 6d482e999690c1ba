"""Filters compiled to SQL select exactly the users the in-memory evaluator selects.

Runs on the suite's backend (SQLite, or PostgreSQL in the second pass), so the dialect-specific
parts (JSON arrays, case folding, LIKE escaping) are checked on both.
"""

from __future__ import annotations

from typing import Any

from identra.protocols.scim.evaluate import matches
from identra.protocols.scim.filter import compile_filter
from identra.protocols.scim.schemas import DEFAULT_CATALOG
from tests.support import ADMIN, Harness

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
JSON = {**ADMIN, "content-type": "application/scim+json"}

PEOPLE: list[dict[str, Any]] = [
    {
        "userName": "bjensen",
        "name": {"givenName": "Barbara", "familyName": "Jensen"},
        "displayName": "Babs Jensen",
        "title": "Tour Guide",
        "userType": "Employee",
        "emails": [
            {"value": "bjensen@example.com", "type": "work", "primary": True},
            {"value": "babs@jensen.org", "type": "home"},
        ],
        "phoneNumbers": [{"value": "+15555550100", "type": "work"}],
        "addresses": [{"type": "work", "locality": "Hollywood", "country": "US"}],
        ENTERPRISE: {"employeeNumber": "701984", "department": "Tours"},
    },
    {
        "userName": "Jim_100%",
        "name": {"familyName": "O'Malley"},
        "userType": "Intern",
        "active": False,
        "emails": [{"value": "jim@example.org", "type": "work"}],
        "ims": [{"value": "jim@xmpp.example", "type": "xmpp"}],
    },
    {
        "userName": "alice",
        "displayName": "alice",
        "title": "",
        "emails": [{"value": "alice@example.com", "type": "home", "primary": True}],
        ENTERPRISE: {"employeeNumber": "9", "manager": {"value": "boss"}},
    },
    {"userName": "zed", "nickName": "Z", "locale": "fr-FR"},
]

FILTERS = [
    'userName eq "BJENSEN"',
    'userName ne "bjensen"',
    'userName co "_100%"',
    'userName sw "j"',
    'userName ew "%"',
    'userName gt "b"',
    'userName le "bjensen"',
    "title pr",
    'title eq ""',
    "not (title pr)",
    'name.familyName co "O\'Malley"',
    "name.givenName pr",
    'displayName eq "ALICE"',
    'userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")',
    'userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")',
    'emails[type eq "work" and value co "@example.com"]',
    'emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@x"]',
    'emails.type eq "work" and emails.value co "jensen.org"',
    'emails[type eq "work" and value co "jensen.org"]',
    "emails[primary eq true]",
    "emails pr",
    'emails ne "alice@example.com"',
    'phoneNumbers[type eq "work"]',
    'addresses[locality eq "hollywood" and country eq "US"]',
    'addresses.country eq "us"',
    "ims pr",
    "active eq false",
    "active eq true",
    f'{ENTERPRISE}:employeeNumber eq "9"',
    f"{ENTERPRISE}:department pr",
    f'{ENTERPRISE}:manager.value eq "boss"',
    f'{ENTERPRISE}:employeeNumber gt "5"',
    'nickName eq "z" or locale sw "fr"',
    'meta.resourceType eq "User"',
    'not (userName eq "admin") and not (emails pr)',
    "userName eq null",
    "title ne null",
]


async def test_sql_agrees_with_memory(h: Harness) -> None:
    for person in PEOPLE:
        schemas = [USER, ENTERPRISE] if ENTERPRISE in person else [USER]
        resp = await h.client.post(
            "/scim2/Users", json={"schemas": schemas, **person}, headers=JSON
        )
        assert resp.status_code == 201, resp.text
    everyone = (await h.client.get("/scim2/Users", headers=ADMIN)).json()["Resources"]
    assert len(everyone) == len(PEOPLE) + 1  # and the administrator
    rtype = DEFAULT_CATALOG.user
    for expression in FILTERS:
        expected = sorted(
            u["userName"] for u in everyone if matches(compile_filter(expression, rtype), u)
        )
        resp = await h.client.get(
            "/scim2/Users", params={"filter": expression, "count": "100"}, headers=ADMIN
        )
        assert resp.status_code == 200, (expression, resp.text)
        got = sorted(u["userName"] for u in resp.json()["Resources"])
        assert got == expected, expression
