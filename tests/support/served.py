"""A real `sagicc serve` (separate processes, `--workers N`) over a seeded store,
on SQLite or PostgreSQL, for the exactly-once tests (issue #10)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass

import httpx

from tests.factory import World, make_world
from tests.support.remote_world import user_tokens


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Served:
    world: World
    url: str
    tokens: dict[str, str]
    channel: str
    proc: subprocess.Popen
    dialect: str

    def auth(self, who: str = "admin") -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


def store_url(dialect: str, tmp_path, request) -> str:
    if dialect == "sqlite":
        return str(tmp_path / "store.db")
    from tests.support.pg import pg_store_url

    return pg_store_url(request)


async def serve(dialect: str, tmp_path, request, *, workers: int = 2, env: dict[str, str] | None = None,
                args: tuple[str, ...] = ()) -> Served:
    url = store_url(dialect, tmp_path, request)
    world = await make_world(url, blob_dir=tmp_path / "files")
    tokens, channel = user_tokens(world)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / f"serve-{port}.log"  # a file, not a pipe: the access log must never block the server
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "sagicc_tui", "serve", "--db", url, "--port", str(port),
             "--workers", str(workers), *args],
            env={**os.environ, "SAGICC_SERVER_FILES": str(tmp_path / "files"), **(env or {})},
            stdout=subprocess.DEVNULL, stderr=out)
    deadline = time.monotonic() + 60
    while True:
        if proc.poll() is not None:
            raise AssertionError(f"server exited: {log.read_text()[-2000:]}")
        try:
            if httpx.get(base + "/openapi.json", timeout=2).status_code == 200:
                break
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            proc.kill()
            raise AssertionError("server did not start")
        time.sleep(0.1)
    return Served(world, base, tokens, channel, proc, "sqlite" if dialect == "sqlite" else "postgresql")
