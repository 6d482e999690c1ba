"""Property-based fuzzing of the actions and webhooks routes from the OpenAPI document (the
same machinery as tests/api/test_fuzz.py, more examples): whatever is sent, no server error."""

from __future__ import annotations

from pathlib import Path

import hypothesis
import schemathesis
from hypothesis import HealthCheck, Phase
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.python import asgi

from identra.app import create_app
from tests.actions.support import mount
from tests.support import ADMIN, make_settings

EXAMPLES = {GenerationMode.POSITIVE: 25, GenerationMode.NEGATIVE: 10}


def test_fuzz_actions_and_webhooks_no_server_errors(tmp_path: Path) -> None:
    app = create_app(make_settings(tmp_path))
    mount(app)
    try:
        schema = schemathesis.openapi.from_asgi("/api/openapi.json", app)
        with asgi.get_client(app) as client:
            base = "http://testserver/api/v1/orgs/root"
            action = client.post(
                base + "/actions",
                json={
                    "name": "fuzz",
                    "type": "preUpdateProfile",
                    "endpoint": "https://fuzz.example.com/",
                },
                headers=ADMIN,
            )
            hook = client.post(
                base + "/webhooks", json={"url": "https://fuzz.example.com/e"}, headers=ADMIN
            )
            assert action.status_code == 201 and hook.status_code == 201
            ids = {"org": "root", "action_id": action.json()["id"], "webhook_id": hook.json()["id"]}
        operations = [
            op
            for op in (result.ok() for result in schema.get_all_operations())
            if "/actions" in op.path or "/webhooks" in op.path
        ]
        operations.sort(key=lambda op: (op.method.upper() == "DELETE", op.path))
        assert len(operations) >= 10, [op.label for op in operations]
        failures: list[str] = []
        for operation in operations:
            names = {p.name for p in operation.path_parameters}
            pinned = {n: ids[n] for n in names if n in ids} or None
            for mode, count in EXAMPLES.items():
                strategy = operation.as_strategy(mode, path_parameters=pinned)

                @hypothesis.given(case=strategy)
                @hypothesis.settings(
                    max_examples=count,
                    deadline=None,
                    database=None,
                    derandomize=True,
                    phases=[Phase.generate],
                    suppress_health_check=list(HealthCheck),
                )
                def run(case: schemathesis.Case) -> None:
                    try:
                        case.call_and_validate(headers=ADMIN, checks=[not_a_server_error])
                    except Exception as exc:
                        failures.append(f"{case.operation.label} ({mode.value}): {exc}")

                try:
                    run()
                except hypothesis.errors.Unsatisfiable:
                    assert mode is GenerationMode.NEGATIVE, operation.label
        assert not failures, "\n\n".join(failures[:5])
    finally:
        asgi.shutdown_lifespans()
