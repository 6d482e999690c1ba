"""RFC 9457 problem details for every management API error."""

from __future__ import annotations

import http
import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.responses import Response

from identra.errors import Conflict, InvalidInput, NotFound, PreconditionFailed

log = logging.getLogger(__name__)
PROBLEM = "application/problem+json"


class Problem(Exception):
    """Raised by handlers; rendered as problem+json."""

    def __init__(
        self,
        status: int,
        title: str,
        detail: str,
        *,
        errors: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.title = title
        self.detail = detail
        self.errors = errors
        self.headers = headers or {}


def problem_response(
    status: int,
    title: str,
    detail: str,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    if errors:
        body["errors"] = errors
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


def _validation_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    out = []
    for err in exc.errors():
        # Drop the submitted value ("input"): it may be a password.
        loc = [str(p) for p in err.get("loc", ()) if p != "body"]
        out.append({"pointer": "/" + "/".join(loc), "detail": err.get("msg", "invalid")})
    return out


def install(app: FastAPI) -> None:
    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> JSONResponse:
        return problem_response(exc.status, exc.title, exc.detail, exc.errors, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = _validation_errors(exc)
        if any(e["detail"].startswith("JSON decode error") for e in errors):
            return problem_response(400, "Bad Request", "the body is not valid JSON")
        return problem_response(422, "Unprocessable Content", "the request is invalid", errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        try:
            title = http.HTTPStatus(exc.status_code).phrase
        except ValueError:
            title = "Error"
        headers = dict(exc.headers) if exc.headers else None
        return problem_response(exc.status_code, title, str(exc.detail), headers=headers)

    @app.exception_handler(NotFound)
    async def _not_found(request: Request, exc: NotFound) -> JSONResponse:
        return problem_response(404, "Not Found", f"{exc} not found")

    @app.exception_handler(Conflict)
    async def _conflict(request: Request, exc: Conflict) -> JSONResponse:
        return problem_response(409, "Conflict", str(exc))

    @app.exception_handler(PreconditionFailed)
    async def _stale(request: Request, exc: PreconditionFailed) -> JSONResponse:
        return problem_response(412, "Precondition Failed", str(exc))

    @app.exception_handler(InvalidInput)
    async def _invalid(request: Request, exc: InvalidInput) -> JSONResponse:
        errors = [{"pointer": f"/{exc.field}", "detail": exc.detail}] if exc.field else None
        return problem_response(422, "Unprocessable Content", exc.detail, errors)

    # Safety nets. Services check uniqueness and values first and catch their own races; these
    # turn whatever still reaches the database unchecked into a 4xx, and the transaction is
    # rolled back by the session dependency, so nothing is half-written.
    @app.exception_handler(IntegrityError)
    async def _integrity(request: Request, exc: IntegrityError) -> JSONResponse:
        log.warning("integrity error answered as 409", extra={"fields": {"path": request.url.path}})
        return problem_response(
            409, "Conflict", "the change conflicts with the current state; reload and retry"
        )

    @app.exception_handler(DataError)
    async def _data(request: Request, exc: DataError) -> JSONResponse:
        log.warning("data error answered as 422", extra={"fields": {"path": request.url.path}})
        return problem_response(
            422, "Unprocessable Content", "a value is out of the range the server can store"
        )

    @app.exception_handler(ClientDisconnect)
    async def _gone(request: Request, exc: ClientDisconnect) -> Response:
        # The client went away before its body arrived; nobody reads this answer, and it is
        # not a server fault worth a traceback in the log.
        return Response(status_code=400)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error")
        return problem_response(500, "Internal Server Error", "an unexpected error occurred")
