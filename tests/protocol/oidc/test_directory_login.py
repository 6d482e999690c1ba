"""Password login of directory (LDAP) users through the hosted page: the directory checks the
password, the local row is created on first login, lockout applies, an unreachable
directory fails closed. Uses the user-store tests' private slapd."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from identra.storage.models import User
from identra.userstores.ldap import close_all
from tests.protocol.oidc.support import Browser, auth_params, forms, hidden, make_app, pkce_pair
from tests.support import Harness
from tests.userstores.conftest import Directory, Slapd, admin_connection
from tests.userstores.test_ldap import add_store

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest.fixture
def directory(slapd: Slapd) -> Iterator[Directory]:
    ou = f"t{uuid.uuid4().hex[:10]}"
    users_dn = f"ou={ou},{slapd.people_dn}"
    with admin_connection(slapd) as conn:
        assert conn.add(users_dn, ["organizationalUnit"], {"ou": ou}), conn.result
    yield Directory(slapd, users_dn)
    close_all()


async def _page(mh: Harness, browser: Browser) -> Any:
    app = await make_app(mh, settings={"skip_consent": True})
    page = await browser.authorize(auth_params(app, pkce_pair()[1]))
    assert 'name="password"' in page.text
    return page


async def _submit(browser: Browser, page: Any, username: str, password: str) -> Any:
    data = {**hidden(page.text), "username": username, "password": password, "action": "login"}
    return await browser.client.post(forms(page.text)[0]["action"], data=data)


async def test_directory_user_logs_in(mh: Harness, browser: Browser, directory: Directory) -> None:
    await add_store(mh, directory, "CORP-OIDC")
    directory.add_user("ldap-alice", "ldap-secret-1", mail="ldap-alice@corp.example")
    page = await _page(mh, browser)
    wrong = await _submit(browser, page, "ldap-alice", "not-it")
    assert wrong.status_code == 401
    ok = await _submit(browser, page, "CORP-OIDC/ldap-alice", "ldap-secret-1")
    assert ok.status_code == 303, ok.text
    async with mh.services.sessions() as session:
        row = await session.scalar(select(User).where(User.username == "ldap-alice"))
    assert row is not None and row.password_hash is None and row.last_login_at is not None
    # Known locally now: the second login goes through the directory again.
    page = await _page(mh, browser)
    again = await _submit(browser, page, "ldap-alice", "ldap-secret-1")
    assert again.status_code == 303


async def test_unreachable_directory_fails_closed(
    mh: Harness, browser: Browser, directory: Directory
) -> None:
    await add_store(mh, directory, "DOWN-OIDC", url="ldap://127.0.0.1:9", timeout=1)
    page = await _page(mh, browser)
    resp = await _submit(browser, page, "DOWN-OIDC/nobody", "whatever")
    assert resp.status_code == 503 and "temporarily unavailable" in resp.text
