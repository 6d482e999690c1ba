from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.actions.support import mount
from tests.support import Harness, harness


@pytest.fixture
async def h(tmp_path: Path) -> AsyncIterator[Harness]:
    async with harness(tmp_path) as value:
        mount(value.app)
        yield value
