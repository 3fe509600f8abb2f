"""#10.12: on a shared host every file sagicc writes is its owner's alone:
0600 files, 0700 folders, under umask 022 (real files, a real subprocess, a
real server for the remote export)."""

from __future__ import annotations

import asyncio
import os
import stat
import subprocess
import sys

import pytest

from sagicc_tui.files import export_to_file, save_attachment_to
from sagicc_tui.remote.backend import RemoteBackend
from sagicc_tui.remote.outbox import Outbox, Pending
from sagicc_tui.server.app import create_app
from sagicc_tui.settings import Settings, save_settings
from tests.factory import attached, make_world
from tests.support.remote_world import ServerThread, user_tokens
from tests.test_cli import ENV


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def umask_022():
    before = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(before)


def test_a_store_made_by_the_cli_under_umask_022_is_private(tmp_path):
    data = tmp_path / "home" / "data"  # none of it exists yet
    store = data / "sagicc.db"
    proc = subprocess.run([sys.executable, "-m", "sagicc_tui", "demo", "--db", str(store), "--tickets", "20"],
                          capture_output=True, text=True, env=ENV, timeout=300,
                          preexec_fn=lambda: os.umask(0o022))
    assert proc.returncode == 0, proc.stderr
    assert mode(store) == 0o600
    assert mode(data) == 0o700 and mode(data.parent) == 0o700
    # Everything beside it (the demo's attachments, if any) too.
    for p in data.rglob("*"):
        assert mode(p) == (0o700 if p.is_dir() else 0o600), p


async def test_store_wal_attachments_settings_outbox_and_exports_are_private(tmp_path, umask_022):
    folder = tmp_path / "team"
    world = await make_world(folder / "store.db")
    try:
        store = folder / "store.db"
        # While the store is open its WAL and SHM exist: they take the store's mode.
        assert mode(store) == 0o600 and mode(folder) == 0o700
        for side in ("store.db-wal", "store.db-shm"):
            assert (folder / side).exists() and mode(folder / side) == 0o600, side

        invoice = attached("factura.pdf", b"%PDF-1.4 customer invoice")
        r = await world.incoming("lucia@x.com", "adjunto factura", name="Lucía", attachments=(invoice,))
        blobs = folder / "store.files"
        files = [p for p in blobs.rglob("*") if p.is_file()]
        assert files, "the attachment was not stored"
        assert mode(blobs) == 0o700
        for p in blobs.rglob("*"):
            assert mode(p) == (0o700 if p.is_dir() else 0o600), p

        # Saving an attachment to disk (T13 download).
        admin = await world.user("admin")
        [att] = await world.backend.list_attachments(admin, r.ticket_id)
        downloads = tmp_path / "downloads"
        downloads.mkdir()
        saved = await save_attachment_to(world.backend.session(admin), att.id, str(downloads))
        assert mode(saved) == 0o600
        again = await save_attachment_to(world.backend.session(admin), att.id, saved, overwrite=True)
        assert mode(again) == 0o600

        # settings.json in a config folder that does not exist yet.
        config = tmp_path / "config" / "sagicc-tui"
        save_settings(Settings(last_user="ana"), config / "settings.json")
        assert mode(config / "settings.json") == 0o600 and mode(config) == 0o700
        assert mode(config.parent) == 0o700

        # The outbox.
        outbox = Outbox(tmp_path / "state" / "outbox" / "srv.jsonl")
        outbox.add(Pending("1", "save_draft", "PUT", "/tickets/1/drafts/composer", "ana", {}, None, 0.0))
        assert mode(outbox.path) == 0o600 and mode(outbox.path.parent) == 0o700
        assert mode(outbox.path.parent.parent) == 0o700

        # A local export.
        exports = tmp_path / "exports"
        exports.mkdir()
        result = await export_to_file(world.backend.session(admin), str(exports / "clientes.csv"), "csv")
        assert mode(result.path) == 0o600

        # A remote export, streamed from a real server.
        server = ServerThread(create_app(world.local))
        url = await asyncio.to_thread(server.start)
        try:
            tokens, _channel = user_tokens(world)
            remote = await RemoteBackend.open(url, tokens["admin"], user_tokens=tokens)
            try:
                result = await export_to_file(remote.session(admin), str(exports / "remoto.xlsx"), "xlsx")
            finally:
                await remote.aclose()
        finally:
            await server.stop()
        assert mode(result.path) == 0o600
        assert sorted(p.name for p in exports.iterdir()) == ["clientes.csv", "remoto.xlsx"]
    finally:
        await world.aclose()


def dead_pid() -> int:
    """The pid of a process that has exited (and been reaped)."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


@pytest.mark.parametrize("where", ["local", "remote"])
async def test_unfinished_parts_of_a_killed_export_are_removed_on_the_next_run(tmp_path, umask_022, where):
    world = await make_world(tmp_path / "store.db")
    exports = tmp_path / "exports"
    exports.mkdir()
    target = exports / "clientes.csv"
    # Left by exports that were killed mid-way (their process is gone) -- and
    # one of a process still running (another export now): that one stays.
    dead = [exports / f".clientes.csv.{dead_pid()}-0a1b2c3d.part", exports / f".clientes.csv.{dead_pid()}.part"]
    for p in dead:
        p.write_bytes(b"half a spreadsheet")
    running = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    alive = exports / f".clientes.csv.{running.pid}-ffffffff.part"
    alive.write_bytes(b"being written")
    other = exports / ".otro.csv.1.part"  # another target's: not ours to judge
    other.write_bytes(b"x")
    server = None
    try:
        admin = await world.user("admin")
        if where == "local":
            backend = world.backend
        else:
            server = ServerThread(create_app(world.local))
            url = await asyncio.to_thread(server.start)
            tokens, _channel = user_tokens(world)
            backend = await RemoteBackend.open(url, tokens["admin"], user_tokens=tokens)
        try:
            await export_to_file(backend.session(admin), str(target), "csv")
        finally:
            if backend is not world.backend:
                await backend.aclose()
        assert not any(p.exists() for p in dead)
        assert alive.exists() and other.exists()
        assert mode(target) == 0o600
    finally:
        running.kill()
        running.wait()
        if server is not None:
            await server.stop()
        await world.aclose()
