"""The route class of every management router: text checks before FastAPI parses anything.

JSON can carry what no column can store: ``\\u0000`` (PostgreSQL rejects NUL in text and
JSONB), lone surrogates such as ``\\ud800`` (not encodable as UTF-8, so neither database nor
the JSON response can take them), and numbers that are not finite: the non-standard
``NaN``/``Infinity`` constants Python's parser accepts, and overflowing ones like ``1e999``.
Typed fields could each carry a pattern, but free-form JSON (user claims) cannot, so the
whole request is checked once here and answered with problem+json instead of a 500.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute

from identra.management.problems import Problem

MAX_DEPTH = 32


def _bad_text(value: str) -> bool:
    if "\x00" in value:
        return True
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _escape(token: str) -> str:
    """A JSON pointer token; unstorable characters shown escaped so the answer can be sent."""
    if _bad_text(token):
        token = token.encode("unicode_escape", "backslashreplace").decode("ascii")
    return token.replace("~", "~0").replace("/", "~1")


def find_bad_text(value: Any, pointer: str = "", depth: int = 0) -> str | None:
    """The JSON pointer of the first string or key that cannot be stored, or None."""
    if depth > MAX_DEPTH:
        return pointer or "/"
    if isinstance(value, str):
        return (pointer or "/") if _bad_text(value) else None
    if isinstance(value, float) and not math.isfinite(value):  # 1e999 parses as infinity
        return pointer or "/"
    if isinstance(value, dict):
        for key, item in value.items():
            here = f"{pointer}/{_escape(key) if isinstance(key, str) else key}"
            if isinstance(key, str) and _bad_text(key):
                return here
            found = find_bad_text(item, here, depth + 1)
            if found:
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found = find_bad_text(item, f"{pointer}/{index}", depth + 1)
            if found:
                return found
    return None


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _invalid_text(pointer: str) -> Problem:
    return Problem(
        422,
        "Unprocessable Content",
        "the request is invalid",
        errors=[
            {
                "pointer": pointer,
                "detail": "text must be valid Unicode without NUL characters, numbers finite, "
                f"and values nested at most {MAX_DEPTH} levels deep",
            }
        ],
    )


def check_request_text(path_params: dict[str, Any], query: list[tuple[str, str]]) -> None:
    for value in path_params.values():
        if isinstance(value, str) and _bad_text(value):
            raise Problem(404, "Not Found", "not found")
    for name, value in query:
        if _bad_text(name) or _bad_text(value):
            raise _invalid_text(f"/query/{_escape(name)}")


def check_body_text(body: bytes) -> None:
    try:
        parsed = json.loads(body, parse_constant=_reject_constant)
    except ValueError as exc:
        if "is not JSON" in str(exc):
            raise Problem(400, "Bad Request", "the body is not valid JSON") from exc
        return  # FastAPI reports other syntax errors itself (400)
    except RecursionError as exc:
        raise Problem(400, "Bad Request", "the body is nested too deeply") from exc
    pointer = find_bad_text(parsed)
    if pointer is not None:
        raise _invalid_text(pointer)


class ManagementRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        original = super().get_route_handler()

        async def handler(request: Request) -> Response:
            check_request_text(request.path_params, request.query_params.multi_items())
            if request.method in ("POST", "PUT", "PATCH"):
                body = await request.body()
                if body:
                    check_body_text(body)
            return await original(request)

        return handler
