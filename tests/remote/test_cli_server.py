"""The server's administration verbs and `sagicc serve` as a real process:
tokens are printed once and kept only as their SHA-256; the server accepts
them, refuses revoked ones, and keeps channel and user tokens apart."""

from __future__ import annotations

import asyncio
import hashlib
import os
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from sagicc_tui import cli
from tests.factory import make_world

PATIENCE = 60.0  # a guard against hanging forever, not a promise about speed


@pytest.fixture
def store(tmp_path) -> Path:
    path = tmp_path / "server.db"

    async def build():
        w = await make_world(path)
        await w.incoming("lucia@example.com", "Mi factura llegó duplicada", name="Lucía Gómez")
        await w.aclose()

    asyncio.run(build())
    return path


def run(capsys, *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = cli.main([*args, "--lang", "en"])
    out, err = capsys.readouterr()
    return code, out, err


def new_token(capsys, *args: str) -> str:
    code, out, err = run(capsys, *args)
    assert code == 0, err
    token = out.strip()
    assert out == token + "\n" and token.startswith("sgc_") and len(token) > 40
    assert token not in err  # stdout only: a script can capture it, a log of stderr never holds it
    return token


def one_sentence(code: int, err: str) -> str:
    assert code == 1
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("sagicc: ") and "Traceback" not in err, err
    return lines[0]


def store_bytes(path: Path) -> bytes:
    """The store as it is on disk, WAL and shared memory included."""
    return b"".join(p.read_bytes() for p in sorted(path.parent.glob(path.name + "*")))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Served:
    def __init__(self, db: Path, tmp_path: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = tmp_path / "serve.log"
        self.log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        env = {**os.environ, "SAGICC_CONFIG_DIR": str(tmp_path / "config"), "SAGICC_LANG": "en", "NO_COLOR": "1"}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "sagicc_tui", "serve", "--db", str(db), "--port", str(self.port)],
            stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env,
            cwd=str(tmp_path))

    def output(self) -> str:
        return self.log_path.read_bytes().decode(errors="replace")

    def wait_ready(self) -> None:
        deadline = time.monotonic() + PATIENCE
        while True:
            if self.proc.poll() is not None:
                pytest.fail(f"sagicc serve exited with {self.proc.returncode}:\n{self.output()}")
            try:
                if httpx.get(self.url + "/openapi.json", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"sagicc serve did not answer:\n{self.output()}")
            time.sleep(0.1)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.log.close()


def me(url: str, token: str) -> httpx.Response:
    return httpx.get(url + "/api/v1/me", headers={"Authorization": f"Bearer {token}"}, timeout=10)


def inbound(url: str, token: str) -> httpx.Response:
    return httpx.post(url + "/api/v1/inbound", headers={"Authorization": f"Bearer {token}"}, timeout=10,
                      json={"channel": "email", "sender": "nuevo@example.com", "text": "Hola, ¿me ayudan?",
                            "name": "Nuevo Cliente"})


def test_users_add_prints_the_token_once_and_keeps_only_its_hash(store, capsys):
    token = new_token(capsys, "users", "add", "zoe", "--role", "agent", "--campaign", "1", "--db", str(store), "--user", "admin")
    with sqlite3.connect(store) as conn:
        uid, role = conn.execute("SELECT id, role FROM app_user WHERE username = 'zoe'").fetchone()
        campaigns = [c for (c,) in conn.execute("SELECT campaign_id FROM campaign_member WHERE user_id = ?",
                                                (uid,))]
        hashes = [h for (h,) in conn.execute("SELECT token_hash FROM api_token WHERE user_id = ?", (uid,))]
    assert role == "agent" and campaigns == [1]
    assert hashes == [hashlib.sha256(token.encode()).hexdigest()]
    assert token.encode() not in store_bytes(store)
    assert token[len("sgc_"):].encode() not in store_bytes(store)


def test_users_add_refuses_a_taken_name_or_an_unknown_campaign(store, capsys):
    new_token(capsys, "users", "add", "zoe", "--role", "agent", "--campaign", "1", "--db", str(store), "--user", "admin")
    code, out, err = run(capsys, "users", "add", "zoe", "--role", "supervisor", "--db", str(store), "--user", "admin")
    assert out == ""
    assert "already a user zoe" in one_sentence(code, err)
    code, out, err = run(capsys, "users", "add", "yago", "--role", "agent", "--campaign", "9", "--db", str(store), "--user", "admin")
    assert out == ""
    sentence = one_sentence(code, err)
    assert "no campaign 9" in sentence and "1, 2" in sentence
    with sqlite3.connect(store) as conn:
        assert conn.execute("SELECT count(*) FROM app_user WHERE username IN ('zoe', 'yago')").fetchone() == (1,)
        assert conn.execute("SELECT role FROM app_user WHERE username = 'zoe'").fetchone() == ("agent",)
    code, out, err = run(capsys, "users", "token", "nadie", "--db", str(store), "--user", "admin")
    assert out == "" and "no user nadie" in one_sentence(code, err)


def test_serve_answers_with_tokens_and_refuses_revoked_and_misused_ones(store, tmp_path, capsys):
    token = new_token(capsys, "users", "add", "zoe", "--role", "agent", "--campaign", "1", "--db", str(store), "--user", "admin")
    served = Served(store, tmp_path)
    try:
        served.wait_ready()
        url = served.url

        r = me(url, token)
        assert r.status_code == 200, r.text
        assert r.json()["username"] == "zoe" and r.json()["role"] == "agent"
        doc = httpx.get(url + "/openapi.json", timeout=10)
        assert doc.status_code == 200 and "/api/v1/me" in doc.json()["paths"]

        # Revoked from another terminal while the server runs: refused at once.
        code, out, err = run(capsys, "users", "revoke", "zoe", "--db", str(store), "--user", "admin")
        assert code == 0 and "Revoked 1 token(s) of zoe" in out, err
        r = me(url, token)
        assert r.status_code == 401
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.headers["www-authenticate"] == "Bearer"
        problem = r.json()
        assert problem["status"] == 401 and "sign in again" in problem["detail"]

        # A channel gateway's token delivers incoming messages; a user's token cannot.
        gateway = new_token(capsys, "channels", "token", "gw", "--db", str(store), "--user", "admin")
        r = inbound(url, gateway)
        assert r.status_code == 201, r.text
        assert r.json()["new_ticket"] is True
        with sqlite3.connect(store) as conn:
            assert conn.execute("SELECT count(*) FROM ticket").fetchone() == (2,)
        assert me(url, gateway).status_code == 403  # and a gateway is nobody's session

        fresh = new_token(capsys, "users", "token", "zoe", "--db", str(store), "--user", "admin")
        assert me(url, fresh).json()["username"] == "zoe"
        assert me(url, token).status_code == 401  # the revoked one stays revoked
        r = inbound(url, fresh)
        assert r.status_code == 403
        assert r.headers["content-type"].startswith("application/problem+json")
        assert "channel token" in r.json()["detail"]
        assert token.encode() not in store_bytes(store) and gateway.encode() not in store_bytes(store)
    finally:
        served.stop()
    assert token not in served.output() and gateway not in served.output()  # access logs hold no token
