"""Property-based fuzzing of the whole management API from its own OpenAPI document.

Schemathesis (4.x) generates valid and invalid requests for every operation and sends them
through the ASGI app as the bootstrap administrator; whatever it sends, the answer must not be
a server error. Path parameters are pinned to the root organization and its real resources,
so that the generated bodies and queries reach the services instead of a 404. The run is
bounded (a few examples per operation, derandomized) to keep the test quick and stable.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import hypothesis
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.python import asgi

from identra.app import create_app
from tests.support import ADMIN, make_settings

# FUZZ_SCALE=20 multiplies the examples and drops the fixed seed, for a long exploratory run.
SCALE = int(os.environ.get("FUZZ_SCALE", "1"))
EXAMPLES = {GenerationMode.POSITIVE: 4 * SCALE, GenerationMode.NEGATIVE: 2 * SCALE}
BUDGET_SECONDS = 150 * SCALE  # a safety stop on a very slow machine; normally far below
# RSA key generation is slow; rotation is fuzzed with the fast algorithms.
FIXED_BODIES = {"/api/v1/orgs/{org}/keys/rotate": {"alg": "ES256"}}


def seed(client: requests.Session) -> dict[str, str]:
    """Real resources of the root organization for path parameters (never the admin)."""
    base = "http://testserver/api/v1/orgs/root"

    def post(path: str, body: dict[str, Any]) -> dict[str, Any]:
        resp = client.post(base + path, json=body, headers=ADMIN)
        assert resp.status_code == 201, resp.text
        result: dict[str, Any] = resp.json()
        return result

    user = post("/users", {"username": "fuzz-user"})
    group = post("/groups", {"name": "fuzz-group"})
    role = post("/roles", {"name": "fuzz-role", "permissions": ["users:read"]})
    return {
        "org": "root",
        "user_id": user["id"],
        "group_id": group["id"],
        "role_id": role["id"],
        "assignment_id": post(f"/roles/{role['id']}/assignments", {"user_id": user["id"]})["id"],
        "store_id": post("/user-stores", {"identifier": "FUZZ"})["id"],
        "app_id": post("/applications", {"name": "fuzz-app", "type": "m2m"})["id"],
        "idp_id": post(
            "/identity-providers",
            {"name": "fuzz-idp", "kind": "google", "config": {"client_id": "f"}},
        )["id"],
        "claim_id": post("/claims", {"uri": "urn:fuzz", "display_name": "Fuzz"})["id"],
        "domain_id": post("/domains", {"domain": "fuzz.example.com"})["id"],
    }


def test_fuzz_management_api_no_server_errors(tmp_path: Path) -> None:
    app = create_app(make_settings(tmp_path))
    try:
        schema = schemathesis.openapi.from_asgi("/api/openapi.json", app)
        with asgi.get_client(app) as client:
            ids = seed(client)
        operations = [result.ok() for result in schema.get_all_operations()]
        # Deleting last keeps the real resources alive for the other operations.
        operations.sort(key=lambda op: (op.method.upper() == "DELETE", op.path))
        assert len(operations) >= 40
        failures: list[str] = []
        started = time.monotonic()
        sent = 0

        for operation in operations:
            names = {p.name for p in operation.path_parameters}
            pinned = {n: ids[n] for n in names if n in ids} or None
            for mode, count in EXAMPLES.items():
                extra: dict[str, Any] = {}
                if mode is GenerationMode.POSITIVE and operation.path in FIXED_BODIES:
                    extra["body"] = FIXED_BODIES[operation.path]
                strategy = operation.as_strategy(mode, path_parameters=pinned, **extra)

                @hypothesis.given(case=strategy)
                @hypothesis.settings(
                    max_examples=count,
                    deadline=None,
                    database=None,
                    derandomize=SCALE == 1,
                    phases=[Phase.generate],
                    suppress_health_check=list(HealthCheck),
                )
                def run(case: schemathesis.Case) -> None:
                    nonlocal sent
                    sent += 1
                    try:
                        case.call_and_validate(headers=ADMIN, checks=[not_a_server_error])
                    except Exception as exc:  # collected, so one run reports every failure
                        failures.append(f"{case.operation.label} ({mode.value}): {exc}")

                try:
                    run()
                except hypothesis.errors.Unsatisfiable:
                    # Nothing left to make invalid (every parameter is pinned): fine.
                    assert mode is GenerationMode.NEGATIVE, operation.label
            if time.monotonic() - started > BUDGET_SECONDS:
                pytest.fail(f"fuzzing exceeded {BUDGET_SECONDS}s after {sent} requests")
        assert sent >= len(operations) * 3
        assert not failures, "\n\n".join(failures[:10])
    finally:
        asgi.shutdown_lifespans()
