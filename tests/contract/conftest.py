"""The contract suite runs unchanged against every Backend implementation.

- local:          LocalBackend on a SQLite file (the TUI's own store);
- local-pg:       LocalBackend on PostgreSQL (the server's store code, directly);
- remote-sqlite:  RemoteBackend talking HTTP to a real server on 127.0.0.1
                  whose store is a SQLite file;
- remote-pg:      the same with the server on PostgreSQL.

SAGICC_CONTRACT=local,remote-sqlite narrows the set while developing. The
PostgreSQL kinds need the server on 127.0.0.1:5432 (database `test`); without
it they FAIL with the reason rather than skip, so a run without PostgreSQL
never passes silently (set SAGICC_CONTRACT to leave them out knowingly).
"""

from __future__ import annotations

import os

import pytest

from tests.factory import make_world

ALL_KINDS = ("local", "local-pg", "remote-sqlite", "remote-pg")
KINDS = tuple(k for k in os.environ.get("SAGICC_CONTRACT", ",".join(ALL_KINDS)).split(",") if k)


@pytest.fixture(params=KINDS)
async def world(request, tmp_path):
    kind = request.param
    if kind.endswith("pg"):
        from tests.support.pg import pg_store_url

        url = pg_store_url(request, f"the {kind} contract run")
    else:
        url = str(tmp_path / "store.db")
    local = await make_world(url, blob_dir=tmp_path / "files")
    if kind.startswith("remote"):
        from tests.support.remote_world import attach_remote

        w = await attach_remote(local, tmp_path)
    else:
        w = local
    w.kind = kind
    try:
        yield w
    finally:
        await w.aclose()
