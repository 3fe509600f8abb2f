from __future__ import annotations

import gc
import os
import sys
import tempfile

import pytest

from tests.factory import make_world

# Some machines (this project's shared VM among them) set PYTHONDONTWRITEBYTECODE: then
# every test worker and every `sagicc` process a test starts compiles sagicc_tui from
# source again, and pytest rewrites its plugins' and the tests' asserts again, in every
# process of every run. The suite caches bytecode instead (the ignored __pycache__ folders).
# This conftest loads before the workers and the processes they start inherit the setting.
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
sys.dont_write_bytecode = False

# The user's own settings (the last user, the last server login) and data folder
# are never the tests': a `sagicc` a test starts without --user must not find the
# name a developer last signed in with. Tests that need them set their own.
_HOME = tempfile.mkdtemp(prefix="sagicc-test-home-")
os.environ.setdefault("SAGICC_CONFIG_DIR", os.path.join(_HOME, "config"))
os.environ.setdefault("SAGICC_DATA_DIR", os.path.join(_HOME, "data"))


def pytest_collection_finish(session):
    """The collector's heap is frozen and young collections are rarer. The imported
    modules, the collected items and their fixtures live until the end of the process,
    yet each full collection walked them all again; and Textual's apps allocate fast
    enough that the default threshold (700) ran a young collection every few
    milliseconds of a UI test. Measured on tests/ui/test_ticket_card.py and
    test_toggles.py: 6.7 s CPU -> 5.6 s, 2.1 s of it in the collector -> 0.8 s.
    Only when cycles are freed changes; every object is still collected."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 20, 50)


@pytest.fixture
async def world(tmp_path):
    w = await make_world(tmp_path / "store.db")
    yield w
    await w.backend.aclose()
