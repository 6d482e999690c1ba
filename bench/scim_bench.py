"""SCIM at scale: load N users through ``identra users import`` into PostgreSQL, then time the
paths a provisioning client and a login page use.

    scripts/services.sh start                      # prints IDENTRA_TEST_DATABASE_URL
    uv run python bench/scim_bench.py --users 1000
    uv run python bench/scim_bench.py --users 1000000 --repeat 100   # bench only, ~10 min

Measured through the whole SCIM stack in-process (ASGI, auth, filter compiler, SQL, JSON), one
request at a time (latency; the machine has two cores shared with PostgreSQL):

- ``userName eq`` (indexed, case-insensitive);
- ``userName co`` (``LIKE '%x%'``, trigram GIN index on PostgreSQL);
- a sorted page: ``sortBy=userName``, 100 per page, first page (``startIndex=1``) and a page
  from a random position (``cursor``, RFC 9865);
- a password login (``UserStores.authenticate``: one argon2id verification).

The database is a fresh ``identra_bench_<N>`` on the server of IDENTRA_TEST_DATABASE_URL
(or ``--database-url``), dropped first unless ``--reuse``.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import csv
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.engine import make_url

from identra.app import create_app
from identra.crypto.passwords import hash_password
from identra.crypto.secretbox import generate_master_key
from identra.settings import Settings
from identra.storage.models import Organization
from identra.storage.repositories.scim_users import encode_cursor
from identra.userstores.registry import UserStores

PASSWORD = "bench-password-1"
ADMIN_PASSWORD = "bench-admin-password"


def database_url(base: str, users: int) -> tuple[str, str]:
    url = make_url(base)
    name = f"identra_bench_{users}"
    return url.set(database=name).render_as_string(hide_password=False), name


async def recreate(base: str, name: str, reuse: bool) -> bool:
    import asyncpg

    admin = make_url(base).set(drivername="postgresql", database="postgres")
    conn = await asyncpg.connect(admin.render_as_string(hide_password=False))
    try:
        exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if exists and reuse:
            return False
        if exists:
            await conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
        return True
    finally:
        await conn.close()


def write_csv(path: Path, users: int) -> None:
    shared_hash = hash_password(PASSWORD)  # one argon2id hash: generating 1M would take days
    rng = random.Random(7)
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["username", "email", "given_name", "family_name", "display_name",
                         "password_hash"])  # fmt: skip
        for i in range(users):
            given = rng.choice(["Ada", "Alan", "Grace", "Edsger", "Barbara", "Ken", "Radia"])
            family = rng.choice(["Lovelace", "Turing", "Hopper", "Dijkstra", "Liskov", "Thompson"])
            writer.writerow([f"user{i:07d}", f"user{i:07d}@example{i % 97}.com", given, family,
                             f"{given} {family} {i}", shared_hash])  # fmt: skip


def env_for(url: str, data_dir: Path, master_key: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("IDENTRA_")}
    env.update(
        {
            "IDENTRA_DATABASE_URL": url,
            "IDENTRA_DATA_DIR": str(data_dir),
            "IDENTRA_MASTER_KEY": master_key,
            "IDENTRA_BOOTSTRAP_ADMIN_PASSWORD": ADMIN_PASSWORD,
            "IDENTRA_LOG_LEVEL": "WARNING",
        }
    )
    return env


def run_import(csv_path: Path, env: dict[str, str]) -> dict[str, Any]:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "identra", "users", "import", str(csv_path), "--json",
         "--batch-size", "2000", "--restart"],
        env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise SystemExit(f"import failed: {done.stderr}")
    report = json.loads(done.stdout)
    report["wall_seconds"] = round(time.perf_counter() - started, 1)
    return dict(report)


async def timed(repeat: int, call: Callable[[int], Awaitable[None]]) -> dict[str, float]:
    await call(-1)  # warm-up
    samples = []
    for i in range(repeat):
        started = time.perf_counter()
        await call(i)
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return {
        "median_ms": round(statistics.median(samples), 2),
        "p95_ms": round(samples[int(len(samples) * 0.95) - 1], 2),
        "per_second": round(1000 / statistics.mean(samples), 1),
    }


async def measure(
    url: str, data_dir: Path, master_key: str, users: int, repeat: int
) -> dict[str, Any]:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        database_url=url,
        data_dir=data_dir,
        master_key=master_key,
        bootstrap_admin_password=ADMIN_PASSWORD,
        log_level="WARNING",
    )
    app = create_app(settings)
    rng = random.Random(11)
    auth = {
        "authorization": "Basic " + base64.b64encode(f"admin:{ADMIN_PASSWORD}".encode()).decode()
    }
    results: dict[str, Any] = {}
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=settings.issuer) as client:

            async def get(params: dict[str, str], expect: int | None = None) -> None:
                resp = await client.get("/scim2/Users", params=params, headers=auth)
                assert resp.status_code == 200, resp.text
                if expect is not None:
                    assert resp.json()["totalResults"] == expect, (
                        params,
                        resp.json()["totalResults"],
                    )

            async def eq(_: int) -> None:
                await get({"filter": f'userName eq "USER{rng.randrange(users):07d}"'}, 1)

            async def co(_: int) -> None:
                await get({"filter": f'userName co "{rng.randrange(users):07d}"', "count": "10"})

            async def first_page(_: int) -> None:
                await get({"sortBy": "userName", "count": "100", "attributes": "userName,emails"})

            async def cursor_page(_: int) -> None:
                start = f"user{rng.randrange(users):07d}"
                cursor = encode_cursor(start, "")
                await get({"sortBy": "userName", "count": "100", "cursor": cursor,
                           "attributes": "userName,emails"})  # fmt: skip

            results["userName eq"] = await timed(repeat, eq)
            results["userName co"] = await timed(max(10, repeat // 4), co)
            results["sorted page (startIndex=1)"] = await timed(max(10, repeat // 4), first_page)
            results["sorted page (cursor, random position)"] = await timed(
                max(10, repeat // 4), cursor_page
            )

            services = app.state.services

            async def login(_: int) -> None:
                async with services.sessions.begin() as session:
                    org = await session.scalar(
                        select(Organization).where(Organization.parent_id.is_(None))
                    )
                    assert org is not None
                    stores = await UserStores.load(session, org, services.box, services.clock)
                    user = await stores.authenticate(f"user{rng.randrange(users):07d}", PASSWORD)
                    assert user is not None

            results["password login"] = await timed(max(10, repeat // 10), login)
    return results


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--database-url", default=os.environ.get("IDENTRA_TEST_DATABASE_URL"))
    parser.add_argument("--reuse", action="store_true", help="keep an existing bench database")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--work", type=Path, help="working folder (master key, CSV); with --reuse")
    args = parser.parse_args()
    if not args.database_url or not args.database_url.startswith("postgresql"):
        raise SystemExit("a PostgreSQL URL is needed (scripts/services.sh start prints one)")
    url, name = database_url(args.database_url, args.users)
    work = args.work or Path(tempfile.mkdtemp(prefix="identra-scim-bench-"))
    key_file = work / "master.key"
    if args.reuse and key_file.exists():
        master_key = key_file.read_text().strip()
    else:
        master_key = generate_master_key()
        key_file.write_text(master_key)
    out: dict[str, Any] = {"users": args.users, "database": name}
    if await recreate(args.database_url, name, args.reuse):
        source = work / "users.csv"
        started = time.perf_counter()
        write_csv(source, args.users)
        out["generate_seconds"] = round(time.perf_counter() - started, 1)
        out["import"] = run_import(source, env_for(url, work, master_key))
        print(f"import: {out['import']}", file=sys.stderr)
    elif not args.work:
        raise SystemExit("--reuse needs --work, the folder of the run that loaded the users")
    out["latency"] = await measure(url, work, master_key, args.users, args.repeat)
    print(json.dumps(out, indent=2))
    if args.json:
        args.json.write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    asyncio.run(main())
