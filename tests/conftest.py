from __future__ import annotations

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


@pytest.fixture
async def world(tmp_path):
    w = await make_world(tmp_path / "store.db")
    yield w
    await w.backend.aclose()
