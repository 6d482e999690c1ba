"""A real HTTP service on loopback (stdlib ``http.server`` in a thread) standing in for an
organization's action or webhook endpoint.

    with ExtService(lambda req: Answer(200, {"actionStatus": "SUCCESS"})) as svc:
        ... svc.url ...           # http://127.0.0.1:<port>/hook
        svc.requests[0].json      # what Identra sent

``Answer`` sets the status, the body (a dict is sent as JSON, bytes as is), extra headers, a
delay before answering, and a body size for huge answers. ``ExtService.down()`` is a URL where
nothing listens.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.support import free_port


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Answer:
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    huge: int = 0  # send this many bytes of a JSON string instead of ``body``


Handler = Callable[[Received], Answer]


class ExtService:
    def __init__(self, handler: Handler | None = None, path: str = "/hook") -> None:
        self.handler: Handler = handler or (lambda _r: Answer(200, {"actionStatus": "SUCCESS"}))
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}{path}"
        self.requests: list[Received] = []
        self._stop = threading.Event()
        service = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length)
                received = Received(
                    "POST", self.path, {k.lower(): v for k, v in self.headers.items()}, body
                )
                service.requests.append(received)
                answer = service.handler(received)
                if answer.delay and service._stop.wait(answer.delay):
                    return
                try:
                    self._send(answer)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def _send(self, answer: Answer) -> None:
                self.send_response(answer.status)
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                if answer.huge:
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(answer.huge + 2))
                    self.end_headers()
                    self.wfile.write(b'"')
                    chunk = b"x" * 65536
                    left = answer.huge
                    while left > 0 and not service._stop.is_set():
                        self.wfile.write(chunk[: min(left, len(chunk))])
                        left -= len(chunk)
                    self.wfile.write(b'"')
                    return
                if isinstance(answer.body, bytes):
                    data = answer.body
                    kind = "application/octet-stream"
                else:
                    data = json.dumps(answer.body).encode()
                    kind = "application/json"
                self.send_header("content-type", answer.headers.get("content-type", kind))
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), _Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> ExtService:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    @staticmethod
    def down() -> str:
        """A loopback URL where nothing listens (connection refused)."""
        return f"http://127.0.0.1:{free_port()}/hook"


def serve(handler: Handler | None = None) -> Iterator[ExtService]:
    with ExtService(handler) as service:
        yield service
