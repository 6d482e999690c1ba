"""Tenant isolation, for every organization-scoped route in the OpenAPI document.

The routes are read from ``/api/openapi.json``, so an endpoint added later is covered without
touching this file, unless it introduces a new path parameter or takes a body: then the test
fails and says what to add to ``IDS``/``BODIES`` below.
"""

from __future__ import annotations

import re
from typing import Any

from identra import permissions
from tests.api.helpers import assert_problem, bearer, db_snapshot, ok, populate
from tests.support import ADMIN, Harness

PREFIX = "/api/v1/orgs/{org}"
METHODS = ("get", "post", "put", "patch", "delete")
PARAM = re.compile(r"\{(\w+)\}")

FLOW = {
    "schema": "identra.flow/1",
    "name": "Intruder",
    "start": "login",
    "nodes": [
        {"id": "login", "type": "step", "options": ["password"], "next": "done"},
        {"id": "done", "type": "allow"},
    ],
}

# A valid body for every operation that takes one, so that a missing isolation check would
# let the request through (and change something) instead of failing validation first.
BODIES: dict[tuple[str, str], Any] = {
    ("patch", "/api/v1/orgs/{org}"): {"name": "Taken over"},
    ("post", "/api/v1/orgs/{org}/children"): {"handle": "intruder-child", "name": "Intruder"},
    ("post", "/api/v1/orgs/{org}/domains"): {"domain": "intruder.example.net"},
    ("post", "/api/v1/orgs/{org}/user-stores"): {"identifier": "INTRUDER"},
    ("patch", "/api/v1/orgs/{org}/user-stores/{store_id}"): {"description": "taken over"},
    ("post", "/api/v1/orgs/{org}/users"): {"username": "intruder", "password": "intruder-pw-1"},
    ("patch", "/api/v1/orgs/{org}/users/{user_id}"): {"display_name": "taken over"},
    ("post", "/api/v1/orgs/{org}/groups"): {"name": "intruders"},
    ("patch", "/api/v1/orgs/{org}/groups/{group_id}"): {"description": "taken over"},
    ("put", "/api/v1/orgs/{org}/groups/{group_id}/members"): {"user_ids": []},
    ("post", "/api/v1/orgs/{org}/groups/{group_id}/members"): {"user_id": "{user_id}"},
    ("post", "/api/v1/orgs/{org}/roles"): {"name": "intruder", "permissions": ["users:read"]},
    ("patch", "/api/v1/orgs/{org}/roles/{role_id}"): {"permissions": list(permissions.ALL)},
    ("post", "/api/v1/orgs/{org}/roles/{role_id}/assignments"): {"user_id": "{user_id}"},
    ("post", "/api/v1/orgs/{org}/applications"): {"name": "intruder", "type": "m2m"},
    ("patch", "/api/v1/orgs/{org}/applications/{app_id}"): {"description": "taken over"},
    ("post", "/api/v1/orgs/{org}/identity-providers"): {
        "name": "intruder",
        "kind": "google",
        "config": {"client_id": "intruder"},
    },
    ("patch", "/api/v1/orgs/{org}/identity-providers/{idp_id}"): {"enabled": False},
    ("post", "/api/v1/orgs/{org}/claims"): {"uri": "urn:intruder", "display_name": "Intruder"},
    ("patch", "/api/v1/orgs/{org}/claims/{claim_id}"): {"description": "taken over"},
    ("post", "/api/v1/orgs/{org}/keys/rotate"): {"alg": "RS256"},
    ("put", "/api/v1/orgs/{org}/flows/default"): FLOW,
    ("put", "/api/v1/orgs/{org}/flows/apps/{client_id}"): FLOW,
    ("post", "/api/v1/orgs/{org}/flows/validate"): FLOW,
    ("post", "/api/v1/orgs/{org}/flows/preview"): {"flow": FLOW, "node": "login"},
    ("put", "/api/v1/orgs/{org}/branding"): {"primary_color": "#000000"},
    ("post", "/api/v1/orgs/{org}/flows/generate"): {
        "description": "password or passkey",
        "client_id": None,
        "alternative": 0,
    },
    ("post", "/api/v1/orgs/{org}/actions"): {
        "name": "intruder",
        "type": "preIssueAccessToken",
        "endpoint": "https://intruder.example.net/hook",
    },
    ("patch", "/api/v1/orgs/{org}/actions/{action_id}"): {"enabled": False},
    ("post", "/api/v1/orgs/{org}/webhooks"): {"url": "https://intruder.example.net/hook"},
    ("patch", "/api/v1/orgs/{org}/webhooks/{webhook_id}"): {"enabled": False},
}


def org_routes(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    routes = [
        (method, path, operation)
        for path, item in spec["paths"].items()
        if path == PREFIX or path.startswith(PREFIX + "/")
        for method, operation in item.items()
        if method in METHODS
    ]
    # Sanity: the document really lists the resources (a broken prefix would test nothing).
    assert len(routes) >= 40, routes
    return routes


def fill(path: str, ids: dict[str, str]) -> str:
    def one(match: re.Match[str]) -> str:
        name = match.group(1)
        assert name in ids, (
            f"{path}: no sample resource for path parameter {{{name}}}; create one in "
            "tests/api/helpers.py populate() and return its id under that name"
        )
        return ids[name]

    return PARAM.sub(one, path)


def body_for(method: str, path: str, operation: dict[str, Any], ids: dict[str, str]) -> Any:
    if "requestBody" not in operation:
        return None
    assert (method, path) in BODIES, (
        f"{method.upper()} {path} takes a body: add a valid one to BODIES in {__file__}"
    )
    body = BODIES[(method, path)]
    if isinstance(body, dict):
        return {k: fill(v, ids) if isinstance(v, str) else v for k, v in body.items()}
    return body


async def test_an_org_admin_cannot_reach_a_sibling_org(h: Harness) -> None:
    await h.create_org("acme")
    await h.create_org("globex")
    acme = await populate(h, "acme")
    globex = await populate(h, "globex")
    token = bearer(await h.m2m_token("acme", list(permissions.ALL)))
    spec = (await h.client.get("/api/openapi.json")).json()
    routes = org_routes(spec)

    # The token is good: it reaches its own organization with every permission.
    for resource in ("users", "groups", "roles", "claims", "audit-events", "user-stores"):
        await ok(await h.client.get(f"/api/v1/orgs/acme/{resource}", headers=token))

    before = await db_snapshot(h)
    tried = 0
    for method, path, operation in routes:
        # Globex's organization, with globex's real resource ids.
        url = fill(path, globex)
        body = body_for(method, path, operation, globex)
        resp = await h.client.request(method.upper(), url, json=body, headers=token)
        assert_problem(resp, 404)
        tried += 1
        # Acme's own organization, but globex's resource ids: still nothing to find.
        if set(PARAM.findall(path)) - {"org"}:
            url = fill(path, {**globex, "org": "acme"})
            resp = await h.client.request(method.upper(), url, json=body, headers=token)
            assert_problem(resp, 404)
            tried += 1
    assert tried > len(routes)
    assert await db_snapshot(h) == before, "a request on another organization changed data"

    # And globex's data is intact as its own administrators see it.
    for key, route in (
        ("user_id", "users"),
        ("group_id", "groups"),
        ("role_id", "roles"),
        ("idp_id", "identity-providers"),
        ("claim_id", "claims"),
        ("store_id", "user-stores"),
        ("domain_id", "domains"),
        ("app_id", "applications"),
    ):
        got = await h.client.get(f"/api/v1/orgs/globex/{route}/{globex[key]}", headers=ADMIN)
        assert got.status_code == 200, (route, got.text)
        assert globex[key] != acme[key]


async def test_a_parent_org_admin_reaches_its_child(h: Harness) -> None:
    await h.create_org("acme")
    await h.create_org("acme-eu", parent="acme")
    token = bearer(await h.m2m_token("acme", list(permissions.ALL)))
    # Writes through the parent's token: every resource of the child.
    child = await populate(h, "acme-eu", headers=token)
    spec = (await h.client.get("/api/openapi.json")).json()
    for method, path, _ in org_routes(spec):
        if method != "get":
            continue
        resp = await h.client.get(fill(path, child), headers=token)
        if path.startswith(PREFIX + "/keys"):
            assert_problem(resp, 404)  # deployment-wide: only through the root organization
        else:
            assert resp.status_code == 200, (path, resp.text)
    # The child's own administrators do not see their parent.
    child_token = bearer(await h.m2m_token("acme-eu", list(permissions.ALL)))
    assert_problem(await h.client.get("/api/v1/orgs/acme/users", headers=child_token), 404)
    assert_problem(await h.client.get("/api/v1/orgs/acme", headers=child_token), 404)
    await ok(await h.client.get("/api/v1/orgs/acme-eu/users", headers=child_token))
