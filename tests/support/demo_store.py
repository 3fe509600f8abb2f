"""A demo store on the store a parametrized fixture asks for ("sqlite" or
"postgresql"), for the tests that compare answers on both."""

from __future__ import annotations

from pathlib import Path

import pytest

from sagicc_tui.local_store.demo import build_demo


def demo_store(request: pytest.FixtureRequest, folder: Path, **demo) -> str:
    """The store's address: a file in `folder`, or a new PostgreSQL schema
    dropped when the fixture ends. `demo`: build_demo's tickets, seed, now."""
    if request.param == "sqlite":
        url = str(folder / "demo.db")
    else:
        from tests.support.pg import pg_store_url

        url = pg_store_url(request, empty=True)
    build_demo(url, **demo)
    return url
