from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from identra.crypto import passwords
from tests.support import Harness, backend_name, harness

# Cheap argon2id parameters for the test process (about a millisecond a hash instead of a
# quarter of a second): the same code paths, a fraction of the CPU. Servers started as
# subprocesses (tests/nodes.py, the quick-start test) keep the production defaults.
passwords.configure(time_cost=1, memory_cost=1024, parallelism=1)


def pytest_report_header() -> str:
    return f"identra storage backend: {backend_name()}"


@pytest.fixture
async def h(tmp_path: Path) -> AsyncIterator[Harness]:
    async with harness(tmp_path) as value:
        yield value
