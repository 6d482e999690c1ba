"""Identity providers, claim definitions, organization domains, the audit log and keys."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from identra.storage.models import IdentityProvider, SigningKey
from tests.api.helpers import assert_problem, bearer, db_snapshot, ok, pointers
from tests.support import ADMIN, Harness

ROOT = "/api/v1/orgs/root"


def oidc(**config: Any) -> dict[str, Any]:
    return {
        "name": "Corporate SSO",
        "kind": "oidc",
        "config": {"client_id": "identra", "issuer": "https://sso.example.com", **config},
        "client_secret": "upstream-secret-value",
    }


# --- identity providers ------------------------------------------------------------------


async def test_identity_provider_crud_and_secret(h: Harness) -> None:
    c = h.client
    created = await c.post(f"{ROOT}/identity-providers", json=oidc(), headers=ADMIN)
    idp = await ok(created, 201)
    assert idp["has_client_secret"] is True
    assert "client_secret" not in idp and "upstream-secret-value" not in created.text
    assert idp["config"]["scopes"] == ["openid", "email", "profile"]
    iid = idp["id"]
    async with h.services.sessions() as session:
        row = await session.get(IdentityProvider, iid)
        assert row is not None and row.secret_encrypted
        assert "upstream-secret-value" not in row.secret_encrypted
        from identra.admin.idps import client_secret

        assert client_secret(row, h.services.box) == "upstream-secret-value"

    assert_problem(await c.post(f"{ROOT}/identity-providers", json=oidc(), headers=ADMIN), 409)
    fetched = await c.get(f"{ROOT}/identity-providers/{iid}", headers=ADMIN)
    assert fetched.headers["etag"] == '"1"' and "secret-value" not in fetched.text

    # A new secret replaces the old one; null removes it.
    await ok(
        await c.patch(
            f"{ROOT}/identity-providers/{iid}",
            json={"client_secret": "rotated-secret-value"},
            headers={**ADMIN, "if-match": '"1"'},
        )
    )
    gone = await ok(
        await c.patch(
            f"{ROOT}/identity-providers/{iid}", json={"client_secret": None}, headers=ADMIN
        )
    )
    assert gone["has_client_secret"] is False and gone["version"] == 3
    # config replaces the whole configuration.
    changed = await ok(
        await c.patch(
            f"{ROOT}/identity-providers/{iid}",
            json={
                "config": {
                    "client_id": "other",
                    "authorization_endpoint": "https://sso.example.com/auth",
                    "token_endpoint": "https://sso.example.com/token",
                    "scopes": ["openid"],
                }
            },
            headers=ADMIN,
        )
    )
    assert changed["config"]["issuer"] is None and changed["config"]["client_id"] == "other"
    google = await ok(
        await c.post(
            f"{ROOT}/identity-providers",
            json={"name": "Google", "kind": "google", "config": {"client_id": "g"}},
            headers=ADMIN,
        ),
        201,
    )
    assert google["config"]["issuer"] == "https://accounts.google.com"
    assert google["has_client_secret"] is False
    only_google = await ok(await c.get(f"{ROOT}/identity-providers?kind=google", headers=ADMIN))
    assert [i["id"] for i in only_google["items"]] == [google["id"]]
    await ok(await c.delete(f"{ROOT}/identity-providers/{iid}", headers=ADMIN), 204)
    assert_problem(await c.get(f"{ROOT}/identity-providers/{iid}", headers=ADMIN), 404)


async def test_identity_provider_urls_are_validated(h: Harness) -> None:
    c = h.client
    before = await db_snapshot(h)
    bad: list[tuple[dict[str, Any], str]] = [
        (oidc(issuer="ftp://sso.example.com"), "/config/issuer"),
        (oidc(issuer="http://sso.example.com"), "/config/issuer"),  # plain http off loopback
        (oidc(token_endpoint="https://user:pw@sso.example.com/t"), "/config/token_endpoint"),
        (oidc(userinfo_endpoint="https://sso.example.com/u#frag"), "/config/userinfo_endpoint"),
        (oidc(jwks_uri="https:///no-host"), "/config/jwks_uri"),
        (oidc(discovery_url="not a url"), "/config/discovery_url"),
        (oidc(authorization_endpoint="https://[::1"), "/config/authorization_endpoint"),
        (oidc(client_id=""), "/config/client_id"),
        (
            {"name": "x", "kind": "oidc", "config": {"client_id": "x"}},
            "/config",
        ),  # nothing to find the provider with
        (
            {
                "name": "g",
                "kind": "google",
                "config": {"client_id": "x", "issuer": "https://evil.example"},
            },
            "/config/issuer",
        ),
        ({"name": "s", "kind": "saml", "config": {"client_id": "x"}}, "/kind"),
    ]
    for body, pointer in bad:
        resp = await c.post(f"{ROOT}/identity-providers", json=body, headers=ADMIN)
        assert_problem(resp, 422)
        assert pointer in pointers(resp), (body, resp.text)
    assert await db_snapshot(h) == before
    # Loopback http is allowed, for local providers and tests.
    await ok(
        await c.post(
            f"{ROOT}/identity-providers",
            json=oidc(issuer="http://127.0.0.1:9000/realm"),
            headers=ADMIN,
        ),
        201,
    )


# --- claims ------------------------------------------------------------------------------


async def test_claim_definitions(h: Harness) -> None:
    c = h.client
    body = {
        "uri": "http://identra.dev/claims/department",
        "display_name": "Department",
        "data_type": "string",
        "oidc_claim": "department",
        "scim_attribute": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
    }
    claim = await ok(await c.post(f"{ROOT}/claims", json=body, headers=ADMIN), 201)
    assert claim["multi_valued"] is False and claim["required"] is False
    assert_problem(await c.post(f"{ROOT}/claims", json=body, headers=ADMIN), 409)
    clash = {**body, "uri": "urn:identra:dept"}  # another claim feeding the same OIDC claim
    assert_problem(await c.post(f"{ROOT}/claims", json=clash, headers=ADMIN), 409)
    for field, value in (
        ("uri", "no-scheme"),
        ("data_type", "float"),
        ("oidc_claim", "has space"),
        ("display_name", ""),
    ):
        resp = await c.post(f"{ROOT}/claims", json={**body, field: value}, headers=ADMIN)
        assert pointers(resp) == {f"/{field}"}, resp.text
    # The same URI in another organization is fine.
    await h.create_org("acme")
    await ok(await c.post("/api/v1/orgs/acme/claims", json=body, headers=ADMIN), 201)

    url = f"{ROOT}/claims/{claim['id']}"
    patched = await ok(
        await c.patch(url, json={"required": True, "oidc_claim": None}, headers=ADMIN)
    )
    assert patched["required"] is True and patched["oidc_claim"] is None
    assert_problem(await c.patch(url, json={"uri": "urn:x"}, headers=ADMIN), 422)
    assert_problem(await c.patch(url, json={"data_type": None}, headers=ADMIN), 422)
    listing = await ok(await c.get(f"{ROOT}/claims?data_type=string", headers=ADMIN))
    assert [x["id"] for x in listing["items"]] == [claim["id"]]
    await ok(await c.delete(url, headers={**ADMIN, "if-match": '"2"'}), 204)


# --- domains -----------------------------------------------------------------------------


async def test_organization_domains(h: Harness) -> None:
    c = h.client
    await h.create_org("acme")
    await h.create_org("globex")
    added = await c.post(
        "/api/v1/orgs/acme/domains", json={"domain": "Acme.Example.COM."}, headers=ADMIN
    )
    domain = await ok(added, 201)
    assert domain["domain"] == "acme.example.com" and domain["verified"] is False
    # Globally unique: another organization cannot claim it, whatever the spelling.
    for spelling in ("acme.example.com", "ACME.example.com."):
        body = assert_problem(
            await c.post("/api/v1/orgs/globex/domains", json={"domain": spelling}, headers=ADMIN),
            409,
        )
        assert "acme.example.com" in body["detail"]
    idn = await ok(
        await c.post(
            "/api/v1/orgs/globex/domains", json={"domain": "bücher.example"}, headers=ADMIN
        ),
        201,
    )
    assert idn["domain"] == "xn--bcher-kva.example"
    before = await db_snapshot(h)
    for bad in (
        "localhost",
        "-lead.example.com",
        "trail-.example.com",
        "a..b.com",
        "under_score.com",
        "x" * 64 + ".com",
        "example.123",
        "has space.com",
        "http://example.com",
        "",
    ):
        resp = await c.post("/api/v1/orgs/globex/domains", json={"domain": bad}, headers=ADMIN)
        assert_problem(resp, 422)
        assert pointers(resp) == {"/domain"}, (bad, resp.text)
    assert await db_snapshot(h) == before
    listing = await ok(await c.get("/api/v1/orgs/acme/domains", headers=ADMIN))
    assert [d["domain"] for d in listing["items"]] == ["acme.example.com"]
    fetched = await c.get(f"/api/v1/orgs/acme/domains/{domain['id']}", headers=ADMIN)
    assert fetched.headers["etag"] == '"1"'
    assert_problem(
        await c.delete(
            f"/api/v1/orgs/acme/domains/{domain['id']}", headers={**ADMIN, "if-match": '"7"'}
        ),
        412,
    )
    await ok(await c.delete(f"/api/v1/orgs/acme/domains/{domain['id']}", headers=ADMIN), 204)
    # Released: now globex may have it.
    await ok(
        await c.post(
            "/api/v1/orgs/globex/domains", json={"domain": "acme.example.com"}, headers=ADMIN
        ),
        201,
    )


# --- audit log ---------------------------------------------------------------------------


async def test_audit_log_filters_and_pages(h: Harness) -> None:
    c = h.client
    for name in ("g1", "g2", "g3"):
        await ok(await c.post(f"{ROOT}/groups", json={"name": name}, headers=ADMIN), 201)
    everything = await ok(await c.get(f"{ROOT}/audit-events", headers=ADMIN))
    seqs = [e["seq"] for e in everything["items"]]
    assert seqs == sorted(seqs, reverse=True)
    assert everything["items"][-1]["action"] == "bootstrap"

    groups = await ok(
        await c.get(f"{ROOT}/audit-events?action=group.create&limit=2", headers=ADMIN)
    )
    assert [e["details"]["name"] for e in groups["items"]] == ["g3", "g2"]
    rest = await ok(
        await c.get(
            f"{ROOT}/audit-events?action=group.create&limit=2&cursor={groups['next_cursor']}",
            headers=ADMIN,
        )
    )
    assert [e["details"]["name"] for e in rest["items"]] == ["g1"] and rest["next_cursor"] is None

    admin_id = everything["items"][0]["actor_id"]
    by_actor = await ok(await c.get(f"{ROOT}/audit-events?actor_id={admin_id}", headers=ADMIN))
    assert len(by_actor["items"]) == 3
    target = groups["items"][0]["target_id"]
    by_target = await ok(await c.get(f"{ROOT}/audit-events?target_id={target}", headers=ADMIN))
    assert [e["target_id"] for e in by_target["items"]] == [target]
    first_at = everything["items"][-1]["at"]
    last_at = everything["items"][0]["at"]
    window = await ok(
        await c.get(
            f"{ROOT}/audit-events", params={"since": first_at, "until": last_at}, headers=ADMIN
        )
    )
    assert 1 <= len(window["items"]) < len(everything["items"])  # until is exclusive
    assert (
        await ok(await c.get(f"{ROOT}/audit-events?since=2999-01-01T00:00:00Z", headers=ADMIN))
    )["items"] == []
    # Extreme instants and bad cursors are client errors, never server errors.
    for query in (
        "since=0001-01-01T00:00:00%2B05:00",
        "until=9999-12-31T23:59:59-05:00",
        "since=not-a-date",
        "cursor=bm9wZQ",
        "cursor=%7B%7D",
        "cursor=eyJzZXEiOiAiMSJ9",
    ):
        resp = await c.get(f"{ROOT}/audit-events?{query}", headers=ADMIN)
        assert resp.status_code in (200, 400, 422), (query, resp.text)

    # It needs audit:read, and only shows the caller's organization.
    users_only = bearer(await h.m2m_token("root", ["users:read"]))
    assert_problem(await c.get(f"{ROOT}/audit-events", headers=users_only), 403)
    await h.create_org("acme")
    acme = await ok(await c.get("/api/v1/orgs/acme/audit-events", headers=ADMIN))
    assert {e["action"] for e in acme["items"]} == {"organization.create"}


# --- keys --------------------------------------------------------------------------------


async def test_keys_list_and_rotate(h: Harness) -> None:
    c = h.client
    listing = await ok(await c.get(f"{ROOT}/keys", headers=ADMIN))
    statuses = sorted(k["status"] for k in listing["items"])
    assert statuses == ["active", "next"]
    for key in listing["items"]:
        assert "d" not in key["public_jwk"] and "p" not in key["public_jwk"]
        assert key["public_jwk"]["kid"] == key["kid"]
    active = next(k for k in listing["items"] if k["status"] == "active")
    upcoming = next(k for k in listing["items"] if k["status"] == "next")

    # An app with a long access-token lifetime sets the overlap.
    await ok(
        await c.post(
            f"{ROOT}/applications",
            json={"name": "slow", "type": "m2m", "access_token_ttl": 7200},
            headers=ADMIN,
        ),
        201,
    )
    token = bearer(await h.m2m_token("root", ["keys:read"]))
    assert_problem(await c.post(f"{ROOT}/keys/rotate", json={"alg": "RS256"}, headers=token), 403)
    rotated = await ok(await c.post(f"{ROOT}/keys/rotate", json={"alg": "RS256"}, headers=ADMIN))
    assert rotated["kid"] == upcoming["kid"] and rotated["status"] == "active"
    after = {k["kid"]: k for k in (await ok(await c.get(f"{ROOT}/keys", headers=ADMIN)))["items"]}
    assert after[active["kid"]]["status"] == "retired"
    async with h.services.sessions() as session:
        old = await session.get(SigningKey, active["kid"])
        assert old is not None and old.retired_at and old.expires_at
        assert old.expires_at - old.retired_at == timedelta(seconds=7200)
        fresh = (await session.scalars(select(SigningKey).where(SigningKey.status == "next"))).all()
        assert len(fresh) == 1
    # The node signs with the new key at once; the token of before the rotation still works.
    assert h.services.keyring.signer("RS256").kid == rotated["kid"]
    await ok(await c.get(f"{ROOT}/keys", headers=token))
    event = (await ok(await c.get(f"{ROOT}/audit-events?action=keys.rotate", headers=ADMIN)))[
        "items"
    ][0]
    assert event["details"]["retired"] == [active["kid"]]
    assert event["target_id"] == rotated["kid"]
    assert_problem(await c.post(f"{ROOT}/keys/rotate", json={"alg": "HS256"}, headers=ADMIN), 422)

    # Keys are deployment-wide: a sub-organization has none, even for the root administrator.
    await h.create_org("acme")
    assert_problem(await c.get("/api/v1/orgs/acme/keys", headers=ADMIN), 404)
    assert_problem(await c.post("/api/v1/orgs/acme/keys/rotate", json={}, headers=ADMIN), 404)
