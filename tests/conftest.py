from __future__ import annotations

import pytest

from tests.factory import make_world


@pytest.fixture
async def world(tmp_path):
    w = await make_world(tmp_path / "store.db")
    yield w
    await w.backend.aclose()
