"""A private OpenLDAP server for the LDAP user-store tests, started by ``scripts/ldap.sh``.

One server per test session (per xdist worker), in a temporary directory on free loopback
ports. Without slapd the tests are skipped, except under CI (``CI=true``), where a missing
slapd is a failure.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

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
