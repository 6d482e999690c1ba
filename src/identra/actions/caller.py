"""One HTTP call to an action's endpoint, and the checks on what comes back.

- POST of the JSON request, with the configured authentication (none, HTTP Basic, a bearer
  token, or an API key header) and, when the action has a signing secret, Standard Webhooks
  signature headers (``identra.actions.signing``) over the exact body sent.
- The whole call, connection and any retry included, is bounded by the action's timeout.
  One retry, only when the connection failed or the service answered 502/503/504, and only
  within that budget. Redirects are not followed.
- The response body is read up to :data:`MAX_RESPONSE_BYTES`; a larger one is a fault.
- The envelope is validated strictly: a JSON object whose ``actionStatus`` is one the action
  type allows, with the members that status requires, of the right types. Anything else is a
  :class:`Fault`, which the runtime turns into the action's failure policy.
"""

from __future__ import annotations

import asyncio
import base64
import functools
import json
import socket
import ssl
from dataclasses import dataclass
from typing import Any

import certifi
import httpx

from identra import __version__
from identra.actions import signing
from identra.actions.model import TYPES, ActionSpec, auth_context, signing_context
from identra.crypto.secretbox import SecretBox

MAX_RESPONSE_BYTES = 64 * 1024
MAX_OPERATIONS = 100
MAX_TEXT = 1000
RETRY_STATUSES = (502, 503, 504)


class Fault(Exception):
    """The call did not produce a usable answer. ``kind`` is stable (audit, tests)."""

    def __init__(self, kind: str, detail: str, http_status: int | None = None) -> None:
        super().__init__(f"{kind}: {detail}")
        self.kind = kind
        self.detail = detail
        self.http_status = http_status


@dataclass(frozen=True)
class Reply:
    http_status: int
    status: str  # SUCCESS | FAILED | ERROR | INCOMPLETE
    body: dict[str, Any]

    @property
    def operations(self) -> list[dict[str, Any]]:
        ops = self.body.get("operations")
        return list(ops) if isinstance(ops, list) else []

    @property
    def failure_reason(self) -> str:
        return str(self.body.get("failureReason") or "")

    @property
    def failure_description(self) -> str:
        return str(self.body.get("failureDescription") or "")

    @property
    def data(self) -> dict[str, Any]:
        data = self.body.get("data")
        return dict(data) if isinstance(data, dict) else {}


@functools.cache
def tls_context() -> ssl.SSLContext:
    """One TLS context for every call: building one (loading the CA bundle) costs more than
    a whole call to a nearby service."""
    return ssl.create_default_context(cafile=certifi.where())


def new_transport() -> httpx.AsyncHTTPTransport:
    """A transport with the shared TLS context and TCP_NODELAY: a small request must not
    wait for delayed ACKs (Nagle's algorithm adds tens of milliseconds on loopback)."""
    return httpx.AsyncHTTPTransport(
        verify=tls_context(),
        socket_options=[(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)],
        retries=0,
    )


def auth_headers(spec: ActionSpec, box: SecretBox) -> dict[str, str]:
    if spec.auth_type == "none" or spec.auth_encrypted is None:
        return {}
    secret = json.loads(box.decrypt(spec.auth_encrypted, context=auth_context(spec.id)))
    if spec.auth_type == "basic":
        pair = f"{secret['username']}:{secret['password']}".encode()
        return {"authorization": "Basic " + base64.b64encode(pair).decode()}
    if spec.auth_type == "bearer":
        return {"authorization": "Bearer " + str(secret["token"])}
    if spec.auth_type == "api_key":
        return {str(secret["header"]): str(secret["value"])}
    return {}


def encode(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


async def call(
    spec: ActionSpec,
    body: bytes,
    *,
    box: SecretBox,
    request_id: str,
    timestamp: int,
    transport: httpx.AsyncBaseTransport | None = None,
) -> Reply:
    """POST ``body`` to the action; the validated reply, or :class:`Fault`."""
    headers = {
        "content-type": "application/json",
        "accept": "application/json",
        "user-agent": f"Identra/{__version__} (actions)",
        **auth_headers(spec, box),
    }
    if spec.signing_secret_encrypted is not None:
        secret = box.decrypt(spec.signing_secret_encrypted, context=signing_context(spec.id))
        headers.update(signing.headers(secret, request_id, timestamp, body))
    status, raw = await bounded(
        _post(spec.endpoint, body, headers, transport, spec.timeout_ms / 1000 + 1),
        spec.timeout_ms / 1000,
    )
    return parse_reply(spec, status, raw)


_LINGERING: set[asyncio.Task[Any]] = set()
GRACE = 0.2  # seconds a cancelled exchange may take to close its connection


async def bounded(exchange: Any, seconds: float) -> tuple[int, bytes]:
    """``exchange``'s result within ``seconds``, else a timeout Fault; the caller never waits
    longer than ``seconds`` plus a short grace, even if closing the connection takes longer."""
    task: asyncio.Task[tuple[int, bytes]] = asyncio.ensure_future(exchange)
    done, _ = await asyncio.wait({task}, timeout=seconds)
    if task in done:
        return task.result()
    task.cancel()
    done, _ = await asyncio.wait({task}, timeout=GRACE)
    if task in done:
        _settle(task)
    else:
        _LINGERING.add(task)
        task.add_done_callback(_LINGERING.discard)
        task.add_done_callback(_settle)
    raise Fault("timeout", f"no answer within {round(seconds * 1000)} ms")


def _settle(task: asyncio.Task[Any]) -> None:
    """Retrieve a late exchange's outcome: it came too late to count."""
    if not task.cancelled():
        task.exception()


async def _post(
    url: str,
    body: bytes,
    headers: dict[str, str],
    transport: httpx.AsyncBaseTransport | None,
    seconds: float,
) -> tuple[int, bytes]:
    async with httpx.AsyncClient(
        transport=transport or new_transport(),
        follow_redirects=False,
        trust_env=False,
        timeout=seconds,
    ) as http:
        for attempt in (1, 2):
            try:
                async with http.stream("POST", url, content=body, headers=headers) as resp:
                    if resp.status_code in RETRY_STATUSES and attempt == 1:
                        continue
                    raw = bytearray()
                    async for chunk in resp.aiter_bytes():
                        raw += chunk
                        if len(raw) > MAX_RESPONSE_BYTES:
                            raise Fault(
                                "too_large",
                                f"the response exceeds {MAX_RESPONSE_BYTES} bytes",
                                resp.status_code,
                            )
                    return resp.status_code, bytes(raw)
            except httpx.ConnectError as exc:
                if attempt == 2:
                    raise Fault("unreachable", f"cannot connect ({type(exc).__name__})") from exc
            except httpx.TimeoutException as exc:
                raise Fault("timeout", f"no answer in time ({type(exc).__name__})") from exc
            except httpx.HTTPError as exc:
                raise Fault("unreachable", f"the exchange failed ({type(exc).__name__})") from exc
    raise Fault("http_status", "the service stayed unavailable after a retry")


def parse_reply(spec: ActionSpec, status: int, raw: bytes) -> Reply:
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        if status != 200:
            raise Fault("http_status", f"HTTP {status}", status) from exc
        raise Fault("invalid_json", "the response is not JSON", status) from exc
    if not isinstance(body, dict):
        if status != 200:
            raise Fault("http_status", f"HTTP {status}", status)
        raise Fault("invalid_response", "the response is not a JSON object", status)
    action_status = body.get("actionStatus")
    allowed = TYPES[spec.type].statuses
    if action_status == "ERROR" and status in (200, 400, 401, 500):
        message = _text(body, "errorMessage", required=False) or "the service reported an error"
        raise Fault("service_error", message[:200], status)
    if status != 200:
        raise Fault("http_status", f"HTTP {status}", status)
    if action_status not in allowed:
        raise Fault(
            "invalid_response",
            f"actionStatus must be one of {', '.join(allowed)}",
            status,
        )
    if action_status == "FAILED":
        _text(body, "failureReason", required=True)
        _text(body, "failureDescription", required=False)
    if action_status in ("SUCCESS", "INCOMPLETE"):
        ops = body.get("operations")
        if ops is not None:
            if not isinstance(ops, list) or not all(isinstance(o, dict) for o in ops):
                raise Fault("invalid_response", "operations must be a list of objects", status)
            if len(ops) > MAX_OPERATIONS:
                raise Fault("invalid_response", f"more than {MAX_OPERATIONS} operations", status)
        data = body.get("data")
        if data is not None and not isinstance(data, dict):
            raise Fault("invalid_response", "data must be an object", status)
    return Reply(status, str(action_status), body)


def _text(body: dict[str, Any], name: str, *, required: bool) -> str:
    value = body.get(name)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()) or len(value) > MAX_TEXT:
        raise Fault("invalid_response", f"{name} must be a string of at most {MAX_TEXT} characters")
    return value
