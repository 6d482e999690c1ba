"""Federated login through the authenticator interface (``submit`` then ``callback``), against
a real upstream Identra on loopback, with the downstream's real storage and cache."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from identra.authenticators.federated.option import CACHE_KEY
from identra.authenticators.interface import Passed, Redirect
from identra.storage.models import FederatedIdentity, User, UserStore
from tests.authenticators.federation.support import (
    Broken,
    Upstream,
    add_idp,
    audit_actions,
    context,
    error_of,
    option_for,
    patch_idp,
    unique,
    upstream_login,
)
from tests.support import Harness

pytestmark = pytest.mark.asyncio(loop_scope="package")


async def test_submit_redirects_to_the_upstream_with_pkce_state_and_nonce(
    h: Harness, up: Upstream
) -> None:
    idp = await add_idp(h, up)
    option = option_for(h)
    ctx = await context(h, idp["name"])
    assert option.handles(ctx.option) and not option.handles("idp:") and option.first_factor
    assert await option.available(ctx)
    shown = await option.prompt(ctx)
    assert shown.template == "federated" and shown.error is None
    assert shown.values["label"] == f"Sign in with {idp['name']}"

    outcome = await option.submit(ctx, {})
    assert isinstance(outcome, Redirect)
    parts = urlsplit(outcome.url)
    assert f"{parts.scheme}://{parts.netloc}" == up.base_url
    params = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert params["response_type"] == "code"
    assert params["client_id"] == up.client_id
    assert params["redirect_uri"] == f"{h.settings.issuer}/login/return"
    assert params["scope"].split() == ["openid", "email", "profile"]
    assert params["code_challenge_method"] == "S256" and len(params["code_challenge"]) == 43
    assert len(params["nonce"]) >= 32
    flow, _, random = params["state"].partition(".")
    assert flow == ctx.flow_id and len(random) >= 32
    # The flow keeps a digest of the state, never the state, the nonce or the verifier.
    scratch = json.dumps(ctx.scratch)
    assert params["state"] not in scratch and params["nonce"] not in scratch
    assert ctx.scratch["state"] == h.services.box.digest(params["state"])
    pending = await h.services.cache.get(CACHE_KEY + ctx.scratch["state"])
    assert pending is not None and params["nonce"] not in pending


async def test_jit_provisioning_then_the_link_is_reused(h: Harness, up: Upstream) -> None:
    idp = await add_idp(h, up, jit=True)
    username = unique("grace")
    email = f"{username}@upstream.example"
    await up.user(username, email)
    option = option_for(h)

    ctx = await context(h, idp["name"])
    redirect = await option.submit(ctx, {})
    assert isinstance(redirect, Redirect)
    back = await upstream_login(up, redirect, username)
    outcome = await option.callback(ctx, back)
    assert isinstance(outcome, Passed), outcome
    assert "state" not in ctx.scratch

    async with h.services.sessions() as session:
        user = await session.get(User, outcome.user_id)
        assert user is not None
        assert user.username == email
        assert (user.given_name, user.family_name) == ("Grace", "Hopper")
        assert user.password_hash is None and user.status == "active"
        assert [(e.value, e.verified, e.primary) for e in user.emails] == [(email, True, True)]
        store = await session.get(UserStore, user.user_store_id)
        assert store is not None and store.identifier == "PRIMARY"
        links = (
            await session.scalars(
                select(FederatedIdentity).where(FederatedIdentity.user_id == user.id)
            )
        ).all()
        assert [link.idp_id for link in links] == [idp["id"]]
        assert links[0].claims["email"] == email

    # A second login maps the same upstream subject to the same user, without a new account.
    again = await context(h, idp["name"])
    redirect = await option.submit(again, {})
    assert isinstance(redirect, Redirect)
    second = await option.callback(again, await upstream_login(up, redirect, username))
    assert isinstance(second, Passed) and second.user_id == outcome.user_id


async def local_user(
    h: Harness, username: str, email: str, *, verified: bool = True, status: str = "active"
) -> str:
    from identra.admin import users as users_admin
    from identra.clock import Clock
    from identra.observability import audit
    from identra.storage.repositories import orgs

    async with h.services.sessions.begin() as session:
        root = await orgs.root(session)
        user, _ = await users_admin.create(
            session,
            root,
            users_admin.NewUser(
                username=username,
                status=status,
                emails=[users_admin.ContactPoint(email, primary=True, verified=verified)],
            ),
            audit.SYSTEM,
            Clock(),
        )
        return user.id


async def login(
    h: Harness, up: Upstream, idp: dict[str, object], username: str, **kw: object
) -> object:
    option = option_for(h)
    ctx = await context(h, str(idp["name"]))
    redirect = await option.submit(ctx, {})
    assert isinstance(redirect, Redirect), redirect
    return await option.callback(ctx, await upstream_login(up, redirect, username, **kw))


async def test_links_by_verified_email(h: Harness, up: Upstream) -> None:
    idp = await add_idp(h, up, jit=False)
    username = unique("ada")
    email = f"{username}@corp.example"
    await up.user(username, email)
    local = await local_user(h, f"local-{username}", email.upper())  # emails match caselessly
    outcome = await login(h, up, idp, username)
    assert isinstance(outcome, Passed) and outcome.user_id == local
    async with h.services.sessions() as session:
        link = await session.scalar(
            select(FederatedIdentity).where(FederatedIdentity.user_id == local)
        )
        assert link is not None and link.idp_id == idp["id"]
    events = await audit_actions(h)
    linked = [d for a, o, d in events if a == "user.federated_link" and d["idp_id"] == idp["id"]]
    assert linked == [{"idp": idp["name"], "idp_id": idp["id"], "rule": "verified_email"}]
    logins = [d for a, o, d in events if a == "login.federated" and d["idp_id"] == idp["id"]]
    assert logins[-1]["via"] == "email"


async def test_no_link_without_verified_emails_on_both_sides(h: Harness, up: Upstream) -> None:
    idp = await add_idp(h, up, jit=False)
    # The upstream does not vouch for the email: no link.
    unverified_up = unique("eve")
    await up.user(unverified_up, f"{unverified_up}@corp.example", verified=False)
    await local_user(h, f"local-{unverified_up}", f"{unverified_up}@corp.example")
    status, message = error_of(await login(h, up, idp, unverified_up))
    assert status == 403 and "no account here" in message
    # The local email is not verified: no link either (a squatted address takes nothing over).
    unverified_local = unique("mallory")
    await up.user(unverified_local, f"{unverified_local}@corp.example")
    await local_user(
        h, f"local-{unverified_local}", f"{unverified_local}@corp.example", verified=False
    )
    status, message = error_of(await login(h, up, idp, unverified_local))
    assert status == 403 and "no account here" in message
    async with h.services.sessions() as session:
        links = await session.scalars(
            select(FederatedIdentity).where(FederatedIdentity.idp_id == idp["id"])
        )
        assert links.all() == []


async def test_link_by_email_can_be_turned_off(h: Harness, up: Upstream) -> None:
    idp = await add_idp(h, up, jit=False, link_by_email=False)
    assert idp["config"]["link_by_email"] is False
    username = unique("off")
    email = f"{username}@corp.example"
    await up.user(username, email)
    await local_user(h, f"local-{username}", email)
    status, message = error_of(await login(h, up, idp, username))
    assert status == 403 and f"your {idp['name']} account" in message
    # With just-in-time provisioning on, the email's owner still is not taken over: the new
    # account cannot have the same username, but it is a separate account.
    await patch_idp(h, idp, jit_provisioning=True)
    outcome = await login(h, up, idp, username)
    assert isinstance(outcome, Passed)
    async with h.services.sessions() as session:
        user = await session.get(User, outcome.user_id)
        assert user is not None and user.username == email


async def test_disabled_user_cannot_sign_in_through_the_link(h: Harness, up: Upstream) -> None:
    idp = await add_idp(h, up, jit=False)
    username = unique("gone")
    email = f"{username}@corp.example"
    await up.user(username, email)
    local = await local_user(h, f"local-{username}", email)
    assert isinstance(await login(h, up, idp, username), Passed)
    async with h.services.sessions.begin() as session:
        user = await session.get(User, local)
        assert user is not None
        user.status = "disabled"
    status, message = error_of(await login(h, up, idp, username))
    assert status == 403 and "cannot sign in" in message


async def test_existing_link_survives_email_changes(h: Harness, up: Upstream) -> None:
    idp = await add_idp(h, up, jit=True)
    username = unique("kept")
    upstream_id = await up.user(username, f"{username}@corp.example")
    first = await login(h, up, idp, username)
    assert isinstance(first, Passed)
    changed = await up.api(
        "PATCH",
        f"/api/v1/orgs/root/users/{upstream_id}",
        json={"emails": [{"value": f"{username}@elsewhere.example", "verified": True}]},
    )
    assert changed.status_code == 200, changed.text
    second = await login(h, up, idp, username)
    assert isinstance(second, Passed) and second.user_id == first.user_id
    async with h.services.sessions() as session:
        link = await session.scalar(
            select(FederatedIdentity).where(FederatedIdentity.user_id == first.user_id)
        )
        assert link is not None and link.claims["email"] == f"{username}@elsewhere.example"


async def test_username_taken_gives_a_clear_message(h: Harness, up: Upstream) -> None:
    idp = await add_idp(h, up, jit=True, link_by_email=False)
    username = unique("taken")
    email = f"{username}@corp.example"
    await up.user(username, email)
    # Both candidate usernames (the email, the preferred_username) belong to someone else.
    await local_user(h, email, f"other-{username}@corp.example")
    await local_user(h, username, f"another-{username}@corp.example")
    status, message = error_of(await login(h, up, idp, username))
    assert status == 403 and "already exists" in message


async def test_state_mismatch_and_replay(h: Harness, up: Upstream) -> None:
    idp = await add_idp(h, up)
    username = unique("state")
    await up.user(username, f"{username}@corp.example")
    option = option_for(h)
    ctx = await context(h, idp["name"])
    redirect = await option.submit(ctx, {})
    assert isinstance(redirect, Redirect)
    back = await upstream_login(up, redirect, username)
    saved = dict(ctx.scratch)

    for state in (
        back["state"] + "x",
        ctx.flow_id + ".forged",
        "other-flow." + back["state"].partition(".")[2],
        "",
    ):
        status, message = error_of(await option.callback(ctx, {**back, "state": state}))
        assert status == 400 and "does not belong to this sign-in" in message
    # Another flow cannot use this flow's answer.
    other = await context(h, idp["name"], scratch=dict(saved))
    status, _ = error_of(await option.callback(other, back))
    assert status == 400

    # The genuine answer still works once...
    assert isinstance(await option.callback(ctx, back), Passed)
    # ...and never again: not in this flow (the state is spent), nor with the flow's old
    # state restored (another node, a replayed copy): the pending sign-in was taken.
    status, message = error_of(await option.callback(ctx, back))
    assert status == 400 and "No sign-in with" in message
    ctx.scratch.update(saved)
    status, message = error_of(await option.callback(ctx, back))
    assert status == 400 and "already used or has expired" in message


async def test_pending_sign_in_expires(h: Harness, up: Upstream) -> None:
    idp = await add_idp(h, up)
    username = unique("slow")
    await up.user(username, f"{username}@corp.example")
    option = option_for(h)
    ctx = await context(h, idp["name"])
    redirect = await option.submit(ctx, {})
    assert isinstance(redirect, Redirect)
    back = await upstream_login(up, redirect, username)
    ctx.now += 601
    status, message = error_of(await option.callback(ctx, back))
    assert status == 400 and "took too long" in message


async def test_upstream_access_denied(h: Harness, up: Upstream) -> None:
    idp = await add_idp(h, up)
    username = unique("refuser")
    await up.user(username, f"{username}@corp.example")
    option = option_for(h)
    ctx = await context(h, idp["name"])
    redirect = await option.submit(ctx, {})
    assert isinstance(redirect, Redirect)
    back = await upstream_login(up, redirect, username, consent=False)
    assert back["error"] == "access_denied" and "code" not in back
    status, message = error_of(await option.callback(ctx, back))
    assert status == 401 and "cancelled or refused" in message
    failures = [
        d
        for a, o, d in await audit_actions(h)
        if a == "login.federated" and o == "failure" and d["idp_id"] == idp["id"]
    ]
    assert [d["reason"] for d in failures] == ["upstream:access_denied"]
    # Another error code is named, sanitised.
    ctx2 = await context(h, idp["name"])
    redirect = await option.submit(ctx2, {})
    assert isinstance(redirect, Redirect)
    state = parse_qs(urlsplit(redirect.url).query)["state"][0]
    status, message = error_of(
        await option.callback(ctx2, {"state": state, "error": "temporarily_unavailable"})
    )
    assert status == 401 and "(temporarily_unavailable)" in message


async def test_answer_from_another_issuer_is_refused(h: Harness, up: Upstream) -> None:
    """The provider is configured as the upstream's organization ``fed-other`` (its own
    issuer) while its endpoints are the root organization's: the answer names the root
    issuer (RFC 9207 ``iss``), so it is refused before the code is used."""
    created = await up.api(
        "POST", "/api/v1/orgs/root/children", json={"handle": unique("fed-other"), "name": "X"}
    )
    assert created.status_code == 201, created.text
    handle = created.json()["handle"]
    idp = await add_idp(
        h,
        up,
        issuer=f"{up.base_url}/o/{handle}",
        authorization_endpoint=f"{up.base_url}/oauth2/authorize",
        token_endpoint=f"{up.base_url}/oauth2/token",
        jwks_uri=f"{up.base_url}/oauth2/jwks",
        userinfo_endpoint=f"{up.base_url}/oauth2/userinfo",
    )
    username = unique("mixup")
    await up.user(username, f"{username}@corp.example")
    option = option_for(h)
    ctx = await context(h, idp["name"])
    redirect = await option.submit(ctx, {})
    assert isinstance(redirect, Redirect)
    back = await upstream_login(up, redirect, username)
    assert back["iss"] == up.base_url
    status, message = error_of(await option.callback(ctx, back))
    assert status == 400 and "did not come from" in message


async def test_upstream_down(h: Harness, up: Upstream) -> None:
    from tests.support import free_port

    dead = f"http://127.0.0.1:{free_port()}"
    idp = await add_idp(h, up, issuer=dead)
    option = option_for(h)
    ctx = await context(h, idp["name"])
    status, message = error_of(await option.submit(ctx, {}))
    assert status == 502 and "cannot be reached" in message
    assert "state" not in ctx.scratch


async def test_token_endpoint_down_after_the_login(h: Harness, up: Upstream) -> None:
    from tests.support import free_port

    idp = await add_idp(h, up)
    username = unique("late")
    await up.user(username, f"{username}@corp.example")
    option = option_for(h)
    ctx = await context(h, idp["name"])
    redirect = await option.submit(ctx, {})
    assert isinstance(redirect, Redirect)
    back = await upstream_login(up, redirect, username)
    await patch_idp(
        h,
        idp,
        config={
            **idp["config"],
            "token_endpoint": f"http://127.0.0.1:{free_port()}/token",
        },
    )
    status, message = error_of(await option.callback(ctx, back))
    assert status == 502 and "token endpoint cannot be reached" in message


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/status/500", "token endpoint answered with HTTP 500"),
        ("/status/400", "token endpoint answered with HTTP 400"),
        ("/garbage", "token endpoint answer is not JSON"),
    ],
)
async def test_broken_token_endpoint(
    h: Harness, up: Upstream, broken: Broken, path: str, expected: str
) -> None:
    idp = await add_idp(h, up)
    username = unique("broken")
    await up.user(username, f"{username}@corp.example")
    option = option_for(h)
    ctx = await context(h, idp["name"])
    redirect = await option.submit(ctx, {})
    assert isinstance(redirect, Redirect)
    back = await upstream_login(up, redirect, username)
    await patch_idp(h, idp, config={**idp["config"], "token_endpoint": broken.base_url + path})
    status, message = error_of(await option.callback(ctx, back))
    assert status == 502 and expected in message


async def test_broken_discovery(h: Harness, up: Upstream, broken: Broken) -> None:
    idp = await add_idp(h, up, issuer=broken.base_url)
    status, message = error_of(await option_for(h).submit(await context(h, idp["name"]), {}))
    assert status == 502 and "discovery endpoint answered with HTTP 503" in message
    garbage = await add_idp(h, up, discovery_url=broken.base_url + "/garbage")
    status, message = error_of(await option_for(h).submit(await context(h, garbage["name"]), {}))
    assert status == 502 and "discovery answer is not JSON" in message
    for path, expected in (("/deep", "not JSON"), ("/huge", "too large")):
        hostile = await add_idp(h, up, discovery_url=broken.base_url + path)
        status, message = error_of(
            await option_for(h).submit(await context(h, hostile["name"]), {})
        )
        assert status == 502 and expected in message


async def test_wrong_issuer_in_discovery(h: Harness, up: Upstream) -> None:
    idp = await add_idp(
        h,
        up,
        issuer="https://sso.example.com",
        discovery_url=f"{up.base_url}/.well-known/openid-configuration",
    )
    status, message = error_of(await option_for(h).submit(await context(h, idp["name"]), {}))
    assert status == 502 and "different issuer" in message


async def test_disabled_or_unknown_provider_is_not_offered(h: Harness, up: Upstream) -> None:
    idp = await add_idp(h, up)
    option = option_for(h)
    await patch_idp(h, idp, enabled=False)
    ctx = await context(h, idp["name"])
    assert not await option.available(ctx)
    status, _ = error_of(await option.submit(ctx, {}))
    assert status == 400
    assert not await option.available(await context(h, "no-such-provider"))


async def test_google_preset_with_client_secret_post(h: Harness, up: Upstream) -> None:
    """The Google preset finds everything through discovery of its issuer; a loopback issuer
    stands in for accounts.google.com."""
    idp = await add_idp(
        h, up, "Google", kind="google", token_endpoint_auth_method="client_secret_post"
    )
    assert idp["config"]["issuer"] == up.base_url
    username = unique("gmail")
    await up.user(username, f"{username}@gmail.example")
    option = option_for(h)
    ctx = await context(h, "Google")
    assert (await option.prompt(ctx)).values["label"] == "Sign in with Google"
    redirect = await option.submit(ctx, {})
    assert isinstance(redirect, Redirect) and redirect.url.startswith(up.base_url)
    outcome = await option.callback(ctx, await upstream_login(up, redirect, username))
    assert isinstance(outcome, Passed)
