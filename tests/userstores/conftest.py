"""A private OpenLDAP server for the LDAP user-store tests, started by ``scripts/ldap.sh``.

One server per test session (per xdist worker), in a temporary directory on free loopback
ports. Without slapd the tests are skipped, except under CI (``CI=true``), where a missing
slapd is a failure.
"""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from ldap3 import ALL_ATTRIBUTES, Connection, Server

from tests.support import free_port

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "ldap.sh"


@dataclass(frozen=True)
class Slapd:
    url: str
    ldaps_url: str
    base_dn: str
    admin_dn: str
    admin_password: str
    ca_file: str
    people_dn: str


@pytest.fixture(scope="session")
def slapd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Slapd]:
    if subprocess.run([str(SCRIPT), "check"], capture_output=True).returncode != 0:
        if os.environ.get("CI") == "true":
            pytest.fail("slapd is not installed (scripts/setup.sh --system installs it)")
        pytest.skip("slapd is not installed (Debian packages slapd and ldap-utils)")
    for attempt in (1, 2):  # a free port can be taken by another process before slapd binds it
        env = {
            **os.environ,
            "IDENTRA_LDAP_DIR": str(tmp_path_factory.mktemp("slapd")),
            "IDENTRA_LDAP_PORT": str(free_port()),
            "IDENTRA_LDAPS_PORT": str(free_port()),
            "IDENTRA_SERVICES_TIMEOUT": "90",
        }
        started = subprocess.run(
            [str(SCRIPT), "start"], env=env, capture_output=True, text=True, timeout=300
        )
        if started.returncode == 0:
            break
        subprocess.run([str(SCRIPT), "stop"], env=env, capture_output=True, timeout=60)
        if attempt == 2:
            pytest.fail(f"slapd did not start: {started.stderr}")
    values = dict(line.split("=", 1) for line in started.stdout.splitlines() if "=" in line)
    try:
        yield Slapd(
            url=values["LDAP_URL"],
            ldaps_url=values["LDAPS_URL"],
            base_dn=values["LDAP_BASE_DN"],
            admin_dn=values["LDAP_ADMIN_DN"],
            admin_password=values["LDAP_ADMIN_PASSWORD"],
            ca_file=values["LDAP_CA_FILE"],
            people_dn=f"ou=people,{values['LDAP_BASE_DN']}",
        )
    finally:
        subprocess.run([str(SCRIPT), "stop"], env=env, capture_output=True, timeout=60)


@contextmanager
def admin_connection(slapd: Slapd) -> Iterator[Connection]:
    # Bound before the block, so ldap3's own context manager would leave it open: unbind here.
    conn = Connection(Server(slapd.url), slapd.admin_dn, slapd.admin_password, auto_bind=True)
    try:
        yield conn
    finally:
        conn.unbind()


@dataclass
class Directory:
    slapd: Slapd
    users_dn: str

    def admin(self) -> Any:
        return admin_connection(self.slapd)

    def add_user(self, uid: str, password: str, **attrs: Any) -> str:
        dn = f"uid={uid},{self.users_dn}"
        with self.admin() as conn:
            assert conn.add(
                dn,
                ["top", "person", "organizationalPerson", "inetOrgPerson"],
                {
                    "uid": uid,
                    "cn": attrs.pop("cn", uid.title()),
                    "sn": attrs.pop("sn", uid),
                    **attrs,
                },
            ), conn.result
            assert conn.extend.standard.modify_password(dn, new_password=password)
        return dn

    def entry(self, uid: str) -> dict[str, Any] | None:
        with self.admin() as conn:
            conn.search(self.users_dn, f"(uid={uid})", attributes=ALL_ATTRIBUTES)
            return dict(conn.entries[0].entry_attributes_as_dict) if conn.entries else None


@pytest.fixture
def directory(slapd: Slapd) -> Directory:
    """A fresh organisational unit per test, so tests share the server but not entries."""
    ou = f"t{uuid.uuid4().hex[:10]}"
    users_dn = f"ou={ou},{slapd.people_dn}"
    with admin_connection(slapd) as c:
        assert c.add(users_dn, ["organizationalUnit"], {"ou": ou}), c.result
    return Directory(slapd, users_dn)


def ldap_config(directory: Directory, **overrides: Any) -> dict[str, Any]:
    return {
        "url": directory.slapd.url,
        "bind_dn": directory.slapd.admin_dn,
        "users_dn": directory.users_dn,
        "timeout": 3,
        **overrides,
    }
