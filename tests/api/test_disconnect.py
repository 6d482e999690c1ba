"""A client that goes away before its body arrives gets no traceback in the log."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest

from tests.support import harness


@pytest.mark.parametrize("path", ["/oauth2/token", "/api/v1/orgs/root/users"])
async def test_a_disconnect_mid_body_is_not_a_server_error(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, path: str
) -> None:
    async with harness(tmp_path) as h:
        sent: list[dict[str, Any]] = []

        async def receive() -> dict[str, Any]:
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "POST",
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "root_path": "",
            "query_string": b"",
            "headers": [
                (b"host", b"localhost:8000"),
                (b"content-type", b"application/x-www-form-urlencoded"),
                (b"content-length", b"100"),
                (b"authorization", b"Basic YWRtaW46eA=="),
            ],
            "client": ("127.0.0.1", 5000),
            "server": ("localhost", 8000),
            "app": h.app,
        }
        with caplog.at_level(logging.ERROR):
            await h.app(scope, receive, send)
        starts = [m for m in sent if m["type"] == "http.response.start"]
        assert starts and starts[0]["status"] < 500
        assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
