"""What the sample action services share (Python standard library only).

- ``serve(handle, ...)``: an HTTP server; POSTs to ``/`` are actions: the JSON body goes to
  ``handle(request_json)``, which returns the JSON answer (and optionally a status code).
- Signature check: started with ``--secret whsec_...`` (the action's signing secret), a
  request must carry a valid Standard Webhooks signature (``webhook-id``,
  ``webhook-timestamp``, ``webhook-signature``), at most 5 minutes old; otherwise it gets 401.
- ``--port`` (default 8081), ``--host`` (default 127.0.0.1).

Extra routes (GET/POST pages for the authentication sample) go in ``pages``.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import json
import sys
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

MAX_BODY = 1024 * 1024
TOLERANCE = 300

Answer = dict[str, Any] | tuple[int, dict[str, Any]]
Page = Callable[["Request"], tuple[int, dict[str, str], bytes]]


class Request:
    def __init__(self, method: str, path: str, headers: dict[str, str], body: bytes) -> None:
        self.method = method
        parts = urlsplit(path)
        self.path = parts.path
        self.query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        self.headers = headers
        self.body = body

    def form(self) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(self.body.decode()).items()}


def verify(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """Standard Webhooks: HMAC-SHA256 over "<id>.<timestamp>.<body>" with the secret's key."""
    msg_id = headers.get("webhook-id", "")
    stamp = headers.get("webhook-timestamp", "")
    if not msg_id or not stamp.isdigit() or abs(time.time() - int(stamp)) > TOLERANCE:
        return False
    key = base64.b64decode(secret.removeprefix("whsec_"))
    mac = hmac.new(key, f"{msg_id}.{stamp}.".encode() + body, hashlib.sha256).digest()
    expected = "v1," + base64.b64encode(mac).decode()
    return any(
        hmac.compare_digest(expected, candidate)
        for candidate in headers.get("webhook-signature", "").split()
    )


def error(message: str) -> dict[str, Any]:
    return {"actionStatus": "ERROR", "errorMessage": message}


def options(description: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--secret", help="the action's signing secret (whsec_...), to verify")
    return parser.parse_args()


def serve(
    handle: Callable[[dict[str, Any]], Answer],
    args: argparse.Namespace,
    pages: dict[str, Page] | None = None,
    on_bound: Callable[[str], None] | None = None,
) -> None:
    """Serve until interrupted; ``on_bound`` gets the base URL once the port is bound."""
    routes = pages or {}

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # answer at once: no wait for delayed ACKs

        def log_message(self, fmt: str, *values: Any) -> None:
            sys.stderr.write(f"{self.address_string()} {fmt % values}\n")

        def _read(self) -> bytes | None:
            length = int(self.headers.get("content-length") or 0)
            if length > MAX_BODY:
                self._json(413, error("body too large"))
                return None
            return self.rfile.read(length)

        def _json(self, status: int, data: dict[str, Any]) -> None:
            body = json.dumps(data).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _page(self, request: Request) -> None:
            status, headers, body = routes[request.path](request)
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            request = Request("GET", self.path, {}, b"")
            if request.path in routes:
                self._page(request)
            else:
                self._json(404, error("not found"))

        def do_POST(self) -> None:
            body = self._read()
            if body is None:
                return
            headers = {k.lower(): v for k, v in self.headers.items()}
            request = Request("POST", self.path, headers, body)
            if request.path in routes:
                self._page(request)
                return
            if request.path != "/":
                self._json(404, error("not found"))
                return
            if args.secret and not verify(args.secret, headers, body):
                self._json(401, error("bad signature"))
                return
            try:
                payload = json.loads(body)
            except ValueError:
                self._json(400, error("the body is not JSON"))
                return
            answer = handle(payload)
            status, data = answer if isinstance(answer, tuple) else (200, answer)
            self._json(status, data)

    server = ThreadingHTTPServer((args.host, args.port), Handler)
    base = f"http://{args.host}:{server.server_port}"
    if on_bound is not None:
        on_bound(base)
    print(f"listening on {base}/", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
