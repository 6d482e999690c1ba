"""``flows generate`` for the CLI and the management API: the organization's inventory, the
compiler (and, when configured and needed, the LLM back end), the chosen reading, and its diff
against the application's current flow. Nothing is stored; applying stays a separate step.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from identra.admin import flows as flows_admin
from identra.authenticators.registry import Authenticators
from identra.errors import InvalidInput
from identra.flowai import inventory as inventory_store
from identra.flowai import llm
from identra.flowai.compiler import DescriptionInvalid, Result, compile_description, diff
from identra.flowai.inventory import Inventory
from identra.storage.models import Organization

ENGINES = ("auto", "rules", "llm")


async def run(
    description: str, inv: Inventory, backend: llm.LlmBackend | None, engine: str = "auto"
) -> Result:
    """Rules first. With ``auto``, the LLM back end (when configured) gets the descriptions
    whose *wording* the rules could not read; questions about names stay questions."""
    if engine not in ENGINES:
        raise InvalidInput(f"engine must be one of: {', '.join(ENGINES)}", "engine")
    try:
        if engine == "llm":
            if backend is None:
                raise InvalidInput("no LLM back end is configured (flow_ai settings)", "engine")
            from identra.flowai.compiler import check_description

            return await llm.generate(backend, check_description(description), inv)
        result = compile_description(description, inv)
    except DescriptionInvalid as invalid:
        raise InvalidInput(str(invalid), "description") from invalid
    phrasing = [q for q in result.questions if q.kind == "phrasing"]
    if (
        engine == "auto"
        and backend is not None
        and phrasing
        and len(phrasing) == len(result.questions)
    ):
        drafted = await llm.generate(backend, result.description, inv)
        if drafted.ok:
            drafted.notes.append("the rules could not read every word; the LLM back end drafted it")
            return drafted
        result.notes.append(
            "the LLM back end was asked too; its answer was not used: "
            + "; ".join(q.text for q in drafted.questions)
        )
    return result


async def generate(
    session: AsyncSession,
    services: Any,
    org: Organization,
    client_id: str | None,
    description: str,
    alternative: int = 0,
    engine: str = "auto",
    known: dict[str, bool] | None = None,
) -> dict[str, Any]:
    """``known`` is the running registry's catalog (``Authenticators.catalog``); without it a
    registry is built for this call (the CLI, one call per process)."""
    if known is None:
        known = Authenticators.for_services(services).catalog()
    inv = await inventory_store.load(session, org, known)
    current = await flows_admin.current(session, org, client_id)  # NotFound for unknown apps
    backend = llm.LlmBackend.from_settings(services.settings)
    result = await run(description, inv, backend, engine)
    out: dict[str, Any] = {
        "status": "flow" if result.ok else "question",
        "engine": result.engine,
        "description": result.description,
        "client_id": client_id,
        "alternative": alternative,
        "alternatives": len(result.readings) if result.ok else 0,
        "document": None,
        "text": None,
        "explanation": None,
        "assumptions": [],
        "questions": [q.to_json() for q in result.questions],
        "notes": list(result.notes),
        "current": {
            "ref": current.ref,
            "revision": current.revision,
            "inherited": current.inherited,
            "name": current.document.name,
        },
        "diff": None,
    }
    if not result.ok:
        return out
    if not 0 <= alternative < len(result.readings):
        count = len(result.readings)
        raise InvalidInput(
            f"there is no alternative {alternative}: this description has {count} "
            f"reading{'s' if count != 1 else ''} (0 to {count - 1})",
            "alternative",
        )
    reading = result.readings[alternative]
    label = f"current (revision {current.revision})" if current.revision else "current (built-in)"
    out.update(
        document=reading.document,
        text=reading.text,
        explanation=reading.explanation,
        assumptions=list(reading.assumptions),
        diff=diff(current.document, reading.document, label),
    )
    return out
