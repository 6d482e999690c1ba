"""A fake OpenAI-compatible chat-completions endpoint on loopback, for the LLM back end.

    with FakeLlm() as llm:
        llm.answer('{"schema": "identra.flow/1", ...}')   # the next completion's content
        llm.raw(500, b"oops")                             # or a whole HTTP answer
        ...
        llm.requests[0]  # every request body received (JSON), and llm.headers

Nothing here is a model: each answer is queued by the test, so a test states exactly what a
model (well-behaved, confused or hostile) says back.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from dataclasses import dataclass
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.support import free_port

API_KEY = "test-llm-key"
MODEL = "fake-flow-model"


@dataclass
class _Answer:
    status: int
    body: bytes
    delay: float = 0.0


class FakeLlm:
    def __init__(self) -> None:
        self.requests: list[Any] = []
        self.headers: list[dict[str, str]] = []
        self._answers: list[_Answer] = []
        self._lock = threading.Lock()
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}/v1"
        app = Starlette(routes=[Route("/v1/chat/completions", self._complete, methods=["POST"])])
        config = uvicorn.Config(
            app, host="127.0.0.1", port=self.port, log_config=None, lifespan="off"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def answer(self, content: str) -> None:
        """The next completion says ``content``."""
        envelope = {
            "id": "chatcmpl-test",
            "object": "chat.completion",
            "model": MODEL,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content},
                    "finish_reason": "stop",
                }
            ],
        }
        self.raw(200, json.dumps(envelope).encode())

    def raw(self, status: int, body: bytes, delay: float = 0.0) -> None:
        with self._lock:
            self._answers.append(_Answer(status, body, delay))

    def clear(self) -> None:
        with self._lock:
            self.requests.clear()
            self.headers.clear()
            self._answers.clear()

    async def _complete(self, request: Request) -> Response:
        body = await request.body()
        with self._lock:
            try:
                self.requests.append(json.loads(body))
            except ValueError:
                self.requests.append(body.decode("utf-8", "replace"))
            self.headers.append(dict(request.headers))
            answer = self._answers.pop(0) if self._answers else _Answer(503, b"no answer queued")
        if answer.delay:
            await asyncio.sleep(answer.delay)
        return Response(answer.body, answer.status, media_type="application/json")

    def settings(self, **overrides: Any) -> dict[str, Any]:
        """The ``flow_ai`` settings section pointing here."""
        values: dict[str, Any] = {
            "base_url": self.base_url,
            "model": MODEL,
            "api_key": API_KEY,
            "timeout": 5,
        }
        values.update(overrides)
        return values

    def __enter__(self) -> FakeLlm:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the fake LLM endpoint did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
