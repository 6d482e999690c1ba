"""``identra keys``: list and rotate the deployment's signing keys (public facts only)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, get_args

import typer
from sqlalchemy import select

from identra.cli.runtime import JSON_OPTION, emit_json, run_services, table
from identra.crypto.rotation import longest_token_lifetime
from identra.settings import SigningAlg
from identra.storage.models import SigningKey

app = typer.Typer(no_args_is_help=True, help="Inspect and rotate signing keys.")


class Alg(StrEnum):
    RS256 = "RS256"
    PS256 = "PS256"
    ES256 = "ES256"
    EdDSA = "EdDSA"


assert {a.value for a in Alg} == set(get_args(SigningAlg)), "Alg must follow SigningAlg"


def _iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def _describe(row: SigningKey, now: datetime) -> dict[str, Any]:
    """What may be shown about a key: never its private half, encrypted or not."""
    return {
        "kid": row.kid,
        "alg": row.alg,
        "status": row.status,
        "published": row.expires_at is None or row.expires_at > now,
        "created_at": _iso(row.created_at),
        "activated_at": _iso(row.activated_at),
        "retired_at": _iso(row.retired_at),
        "expires_at": _iso(row.expires_at),
    }


ORDER = {"active": 0, "next": 1, "retired": 2}


async def _keys(services: Any, include_expired: bool) -> list[dict[str, Any]]:
    now = services.clock.now()
    async with services.sessions() as session:
        rows = (await session.scalars(select(SigningKey).where(SigningKey.org_id.is_(None)))).all()
    found = [_describe(r, now) for r in rows]
    if not include_expired:
        found = [k for k in found if k["published"]]
    return sorted(
        found,
        key=lambda k: (k["alg"], ORDER.get(k["status"], 9), k["created_at"] or ""),
    )


@app.command("list")
def list_keys(
    include_expired: Annotated[
        bool, typer.Option("--all", help="also keys past their expiry (no longer published)")
    ] = False,
    as_json: bool = JSON_OPTION,
) -> None:
    """List signing keys: kid, algorithm, status and dates."""

    async def work(services: Any) -> list[dict[str, Any]]:
        return await _keys(services, include_expired)

    keys = run_services(work)
    if as_json:
        emit_json(keys)
        return
    table(
        ["kid", "alg", "status", "created", "activated", "retired", "expires"],
        [
            [
                k["kid"],
                k["alg"],
                k["status"] if k["published"] else "expired",
                k["created_at"],
                k["activated_at"],
                k["retired_at"],
                k["expires_at"],
            ]
            for k in keys
        ],
    )


@app.command("rotate")
def rotate(
    alg: Annotated[
        Alg | None,
        typer.Option("--alg", help="algorithm to rotate (default: IDENTRA_SIGNING_ALG)"),
    ] = None,
    as_json: bool = JSON_OPTION,
) -> None:
    """Promote the published next key, retire the active one, publish a fresh next key.

    The retired key stays published for the longest token lifetime, so tokens it signed still
    verify. Running servers switch at once when they share Redis, otherwise within a minute.
    """

    async def work(services: Any) -> dict[str, Any]:
        chosen = alg.value if alg is not None else services.settings.signing_alg
        overlap = await longest_token_lifetime(services)
        kid = await services.keyring.rotate(chosen, overlap)
        keys = [k for k in await _keys(services, False) if k["alg"] == chosen]
        return {
            "alg": chosen,
            "active": kid,
            "next": next((k["kid"] for k in keys if k["status"] == "next"), None),
            "retired": [
                {"kid": k["kid"], "expires_at": k["expires_at"]}
                for k in keys
                if k["status"] == "retired"
            ],
            "overlap_seconds": overlap,
        }

    result = run_services(work)
    if as_json:
        emit_json(result)
        return
    typer.echo(f"rotated {result['alg']}: {result['active']} now signs")
    for retired in result["retired"]:
        typer.echo(f"  retired {retired['kid']}, published until {retired['expires_at']}")
    typer.echo(f"  next key {result['next']} is published for the following rotation")
