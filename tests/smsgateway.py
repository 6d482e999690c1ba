"""A local SMS gateway speaking the ``http`` provider's wire format (``identra.notify.sms``),
served by uvicorn on loopback in a thread. It keeps every accepted message.

    with SmsGateway() as sms:
        settings = make_settings(tmp_path, sms=sms.sms_settings())
        ...
        message = await sms.wait_for(to="+15551234567")
        code = message.code()

Errors it produces: a wrong API key gets 401 ``unauthorized``; a number in ``invalid_numbers``
(or not E.164) gets 400 ``invalid_number``; a malformed body gets 400 ``invalid_request``;
``fail_next(status, error, retry_after=...)`` queues canned failures (429 ``rate_limited``,
503 ``unavailable``...) for the next requests.
"""

from __future__ import annotations

import asyncio
import re
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.support import free_port

API_KEY = "test-sms-api-key"
SENDER_ID = "Identra"
E164 = re.compile(r"\+[1-9][0-9]{7,14}")


@dataclass
class Sms:
    id: str
    to: str
    sender: str
    body: str
    idempotency_key: str | None

    def code(self, digits: int = 6) -> str:
        found = re.search(rf"\b(\d{{{digits}}})\b", self.body)
        assert found, f"no {digits}-digit code in {self.body!r}"
        return found.group(1)


@dataclass
class _Failure:
    status: int
    error: str
    message: str
    retry_after: int | None


class SmsGateway:
    def __init__(self, *, api_key: str = API_KEY, invalid_numbers: tuple[str, ...] = ()) -> None:
        self.api_key = api_key
        self.invalid_numbers = set(invalid_numbers)
        self.messages: list[Sms] = []
        self.requests = 0
        self._failures: list[_Failure] = []
        self._lock = threading.Lock()
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}/v1"
        app = Starlette(routes=[Route("/v1/messages", self._messages, methods=["POST"])])
        config = uvicorn.Config(
            app, host="127.0.0.1", port=self.port, log_config=None, lifespan="off"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def fail_next(
        self,
        status: int,
        error: str,
        message: str = "simulated failure",
        *,
        retry_after: int | None = None,
        times: int = 1,
    ) -> None:
        with self._lock:
            self._failures.extend([_Failure(status, error, message, retry_after)] * times)

    @staticmethod
    def _error(status: int, error: str, message: str, **headers: str) -> JSONResponse:
        return JSONResponse({"error": error, "message": message}, status, headers=headers)

    async def _messages(self, request: Request) -> JSONResponse:
        with self._lock:
            self.requests += 1
            failure = self._failures.pop(0) if self._failures else None
        if request.headers.get("authorization") != f"Bearer {self.api_key}":
            return self._error(401, "unauthorized", "unknown API key")
        if failure is not None:
            headers = {}
            if failure.retry_after is not None:
                headers["retry-after"] = str(failure.retry_after)
            return self._error(failure.status, failure.error, failure.message, **headers)
        try:
            body: Any = await request.json()
        except ValueError:
            return self._error(400, "invalid_request", "the body is not JSON")
        if not isinstance(body, dict) or not all(
            isinstance(body.get(k), str) and body.get(k) for k in ("to", "from", "body")
        ):
            return self._error(400, "invalid_request", "to, from and body are required strings")
        if not E164.fullmatch(body["to"]) or body["to"] in self.invalid_numbers:
            return self._error(400, "invalid_number", "cannot deliver to this number")
        sms = Sms(
            id="msg_" + uuid.uuid4().hex[:16],
            to=body["to"],
            sender=body["from"],
            body=body["body"],
            idempotency_key=request.headers.get("idempotency-key"),
        )
        with self._lock:
            self.messages.append(sms)
        return JSONResponse({"id": sms.id}, 201)

    def __enter__(self) -> SmsGateway:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the SMS gateway did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)

    def sms_settings(self, **overrides: Any) -> dict[str, Any]:
        """The ``sms`` settings section pointing at this gateway."""
        values: dict[str, Any] = {
            "provider": "http",
            "base_url": self.base_url,
            "api_key": self.api_key,
            "sender_id": SENDER_ID,
            "timeout": 5,
        }
        values.update(overrides)
        return values

    def sent_to(self, number: str) -> list[Sms]:
        with self._lock:
            return [m for m in self.messages if m.to == number]

    def clear(self) -> None:
        with self._lock:
            self.messages.clear()

    def _ready(self, to: str | None, count: int) -> Sms | None:
        with self._lock:
            found = [m for m in self.messages if to is None or m.to == to]
        return found[count - 1] if len(found) >= count else None

    async def wait_for(self, to: str | None = None, *, count: int = 1, timeout: float = 10) -> Sms:
        deadline = time.monotonic() + timeout
        while (found := self._ready(to, count)) is None:
            if time.monotonic() > deadline:
                raise AssertionError(f"no SMS #{count} to {to or 'anyone'} within {timeout}s")
            await asyncio.sleep(0.02)
        return found


@pytest.fixture
def smsgateway() -> Iterator[SmsGateway]:
    with SmsGateway() as gateway:
        yield gateway
