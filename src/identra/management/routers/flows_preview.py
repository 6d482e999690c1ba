"""``POST /api/v1/orgs/{org}/flows/preview``: the page a flow node shows, for the designer.

With ``flows:read``. The body is ``{"flow": <document> | null, "text": <text form> | null,
"node": "<node id>", "client_id": null | "...", "locale": null | "de"}`` with exactly one of
``flow`` and ``text``. The flow is validated like ``/validate`` (a 422 problem listing every
problem) and never stored. The answer is ``{"node", "kind", "html"}``: the hosted page the
login would show at that node, rendered by the real templates for a sample user, with inert
form targets and CSRF values and no script (for a sandboxed ``<iframe srcdoc>``). Nothing is
stored or sent: no flow context, session, audit record, email or text message.

The page's style, with the organization's theme, is linked from ``GET .../flows/preview.css``
(public: every login page of the organization shows it anyway), since a ``srcdoc`` frame
inherits the console's policy, which allows stylesheets from this server but no inline style.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import Depends, Request, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import select

from identra.admin import flows as service
from identra.flows import text
from identra.flows.document import FlowInvalid
from identra.management.deps import Scope, require
from identra.management.problems import Problem
from identra.management.resources import resource_router
from identra.management.routers.flows import (
    MAX_BODY,
    authenticators,
    option_catalog,
    rejected_problem,
)
from identra.storage.models import Application
from identra.storage.repositories.orgs import issuer_for
from identra.web.preview import NoPreview, Sample, hosted_css, render_node

router = resource_router("/orgs/{org}/flows", "flows")
Read = Annotated[Scope, Depends(require("flows", "read"))]
MAX_PREVIEW_BODY = MAX_BODY + 4096  # a flow of at most 256 KiB, and the other fields


class PreviewRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    flow: dict[str, Any] | None = Field(None, description="a flow document (see /schema)")
    text: str | None = Field(None, max_length=MAX_BODY, description="the text form")
    node: str = Field(min_length=1, max_length=64, description="the id of the node to show")
    client_id: str | None = Field(None, min_length=1, max_length=255)
    locale: str | None = Field(None, min_length=2, max_length=35, pattern=r"^[A-Za-z0-9-]+$")


class PreviewPage(BaseModel):
    node: str
    kind: str
    html: str


PREVIEW_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": PreviewRequest.model_json_schema()}},
    }
}


def _invalid(pointer: str, detail: str) -> Problem:
    return Problem(
        422, "Unprocessable Content", detail, errors=[{"pointer": pointer, "detail": detail}]
    )


async def _read(request: Request) -> PreviewRequest:
    body = await request.body()
    if len(body) > MAX_PREVIEW_BODY:
        raise Problem(413, "Content Too Large", "a preview request is at most 260 KiB")
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/json":
        raise Problem(415, "Unsupported Media Type", "send application/json")
    try:
        raw = json.loads(body)
    except (ValueError, RecursionError) as exc:  # not UTF-8, not JSON, nested too deep
        raise Problem(400, "Bad Request", "the body is not JSON that Identra can read") from exc
    try:
        found = PreviewRequest.model_validate(raw)
    except ValidationError as exc:
        errors = [
            {
                "pointer": "/" + "/".join(str(part) for part in err["loc"]),
                "detail": err.get("msg", "invalid"),
            }
            for err in exc.errors()
        ]
        raise Problem(
            422, "Unprocessable Content", "the preview request is not valid", errors=errors
        ) from exc
    if (found.flow is None) == (found.text is None):
        raise _invalid("/flow", "send exactly one of flow (the document) and text (the text form)")
    return found


@router.post("/preview", openapi_extra=PREVIEW_BODY)
async def preview_flow_node(request: Request, scope: Read) -> PreviewPage:
    """The page the login shows at one node of a flow (validated, never stored)."""
    body = await _read(request)
    raw: Any = body.flow
    if body.text is not None:
        try:
            raw = text.parse_text(body.text)
        except FlowInvalid as invalid:
            raise rejected_problem(invalid.problems) from invalid
    try:
        document = service.check(raw, await option_catalog(request, scope))
    except service.FlowRejected as rejected:
        raise rejected_problem(rejected.problems) from rejected
    org = scope.org
    client_id, client_name = "", org.name
    if body.client_id is not None:
        application = await scope.session.scalar(
            select(Application).where(
                Application.org_id == org.id, Application.client_id == body.client_id
            )
        )
        if application is None:
            raise Problem(404, "Not Found", "application not found")
        client_id, client_name = application.client_id, application.name
    sample = Sample(
        org_id=org.id,
        issuer=issuer_for(scope.services.settings.issuer, org),
        client_id=client_id,
        client_name=client_name,
        now=scope.services.clock.timestamp(),
        locale=body.locale,
    )
    base = scope.services.settings.issuer.rstrip("/")
    stylesheet = f"{base}/api/v1/orgs/{org.handle}/flows/preview.css"
    try:
        page = await render_node(
            authenticators(request),
            document,
            body.node,
            sample,
            stylesheet,
            await request.app.state.themes.for_handle(org.handle),
        )
    except NoPreview as refused:
        raise _invalid(refused.pointer, refused.message) from refused
    return PreviewPage(node=page.node, kind=page.kind, html=page.html)


@router.get("/preview.css", include_in_schema=False)
async def preview_stylesheet(org: str, request: Request) -> Response:
    """The organization's hosted-page style, linked by preview pages (no credentials: every
    login page of the organization shows it anyway)."""
    return Response(
        hosted_css(await request.app.state.themes.for_handle(org)),
        media_type="text/css; charset=utf-8",
        headers={"cache-control": "public, max-age=300", "x-content-type-options": "nosniff"},
    )
