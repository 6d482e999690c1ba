"""``POST /api/v1/orgs/{org}/flows/generate``: a plain-language description becomes a flow.

With ``flows:read`` (nothing is stored: the caller reviews the flow, then PUTs it). The body is
``{"description": "...", "client_id": null, "alternative": 0}`` (and optionally ``"engine"``:
``auto``, ``rules`` or ``llm``). The answer is always 200 with ``status`` ``flow`` (the
document, its text form, an explanation, the assumptions, the number of readings and a diff
against the current flow) or ``question`` (what the administrator must clarify). An unknown
application is 404; a bad description or alternative is 422.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import Depends, Request
from pydantic import BaseModel, ConfigDict, Field

from identra.flowai import service
from identra.management.deps import Scope, require
from identra.management.resources import resource_router
from identra.management.routers.flows import authenticators

router = resource_router("/orgs/{org}/flows", "flows")
Read = Annotated[Scope, Depends(require("flows", "read"))]


class GenerateRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    description: str = Field(min_length=1, max_length=2000)
    client_id: str | None = Field(None, min_length=1, max_length=255)
    alternative: int = Field(0, ge=0, le=20)
    engine: Literal["auto", "rules", "llm"] = "auto"


@router.post("/generate")
async def generate_flow(body: GenerateRequest, scope: Read, request: Request) -> dict[str, Any]:
    """Compile a description into a flow for review (rules on this server; an LLM only when
    configured). Nothing is stored."""
    return await service.generate(
        scope.session,
        scope.services,
        scope.org,
        body.client_id,
        body.description,
        body.alternative,
        body.engine,
        known=authenticators(request).catalog(),
    )
