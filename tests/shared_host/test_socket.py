"""Socket mode on a real Unix socket: the OS account is the identity.

A service account runs `sagicc serve --socket` over a store only it can
read; real OS accounts (runuser) connect with the TUI and headless verbs, no
tokens, and each is the sagicc user their account is bound to.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.shared_host.conftest import OsUser, sagicc_as_root


@dataclass
class SocketHost:
    svc: OsUser
    db: Path
    sock: Path
    group: str
    python: str
    people: dict[str, OsUser]

    def env(self, who: str) -> dict[str, str]:
        home = self.people[who].home
        return {"SAGICC_SOCKET": str(self.sock), "SAGICC_CONFIG_DIR": str(home / "config"),
                "SAGICC_DATA_DIR": str(home / "data")}

    def sagicc(self, who: str, *argv: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
        return self.people[who].run(self.python, "-I", "-m", "sagicc_tui", *argv, env={**self.env(who), **(env or {})})

    def tui(self, who: str, *argv: str) -> list[str]:
        envs = [f"{k}={v}" for k, v in {**self.env(who), "PATH": "/usr/bin:/bin", "HOME": str(self.people[who].home),
                                         "TERM": "xterm-256color", "LANG": "C.UTF-8"}.items()]
        # setpriv execs in place (runuser would start a session of its own, which
        # the terminal's hang-up never reaches): the TUI is the terminal's process.
        return [*self.people[who].setpriv(), "env", "-i", *envs,
                self.python, "-I", "-m", "sagicc_tui", *argv]


@pytest.fixture(scope="module")
def host(os_users, host_tmp, host_python):
    group = os_users.group("agents")
    svc = os_users("srv", (group,))
    people = {"ana": os_users("ana", (group,)), "sofia": os_users("sofia", (group,)),
              "adm": os_users("adm", (group,)), "mallory": os_users("mal", (group,)), "eve": os_users("eve")}
    store = svc.home / "store"
    store.mkdir()
    db = store / "sagicc.db"
    for argv in (("demo", "--tickets", "40"),
                 ("users", "add", "ana", "--role", "agent", "--full-name", "Ana Pérez", "--os-user", people["ana"].name),
                 ("users", "add", "sofia", "--role", "supervisor", "--full-name", "Sofía Gómez",
                  "--os-user", people["sofia"].name),
                 ("users", "os-user", "admin", people["adm"].name)):
        done = sagicc_as_root(*argv, "--db", str(db), *(("--user", "admin") if argv[0] == "users" else ()))
        assert done.returncode == 0, done.stderr
    subprocess.run(["chown", "-R", f"{svc.name}:{svc.name}", str(store)], check=True)
    store.chmod(0o700)
    db.chmod(0o600)
    run = host_tmp / "run"
    run.mkdir()
    subprocess.run(["chown", f"{svc.name}:{svc.name}", str(run)], check=True)
    run.chmod(0o755)
    sock = run / "sagicc.sock"
    log = (host_tmp / "serve.log").open("w")
    server = subprocess.Popen(
        [*svc.setpriv(), "env", "-i", "PATH=/usr/bin:/bin", f"HOME={svc.home}", "LANG=C.UTF-8",
         host_python, "-I", "-m", "sagicc_tui", "serve", "--db", str(db), "--socket", str(sock),
         "--socket-group", group], stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while True:
        try:
            with socket.socket(socket.AF_UNIX) as probe:
                probe.connect(str(sock))
            break
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the server did not start: {(host_tmp / 'serve.log').read_text()}")
            time.sleep(0.2)
    yield SocketHost(svc, db, sock, group, host_python, people)
    server.terminate()
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.kill()


def test_the_socket_is_0660_for_its_group_and_the_store_only_the_servers(host):
    import grp

    st = host.sock.stat()
    assert oct(st.st_mode & 0o777) == "0o660"
    assert st.st_uid == host.svc.uid and st.st_gid == grp.getgrnam(host.group).gr_gid
    done = host.sagicc("ana", "--db", str(host.db), "tickets", "list", "--user", "admin")
    assert done.returncode == 1
    assert "ermission denied" in done.stderr and "NUMBER" not in done.stdout


def top_line(screen: str) -> str:
    return next(line for line in screen.splitlines() if "Sagicc" in line)


def test_two_os_users_each_see_their_own_identity_and_role(host, tmux):
    # A remembered admin in their own settings changes nothing either.
    for who in ("ana", "sofia"):
        config = host.people[who].home / "config"
        config.mkdir(exist_ok=True)
        (config / "settings.json").write_text(json.dumps({"last_user": "admin"}))
        subprocess.run(["chown", "-R", host.people[who].name, str(config)], check=True)
    tmux.start("ana", host.tui("ana"))
    tmux.start("sofia", host.tui("sofia"))
    ana = top_line(tmux.wait_for("ana", "Ana Pérez", "tickets"))
    sofia = top_line(tmux.wait_for("sofia", "Sofía Gómez", "tickets"))
    assert "Agent" in ana and "Supervisor" not in ana
    assert "Supervisor" in sofia
    # Both write at once through the one server: each becomes busy, as themselves.
    tmux.keys("ana", "s")
    tmux.keys("sofia", "s")
    assert "Ana Pérez" in top_line(tmux.wait_for("ana", "Busy"))
    assert "Sofía Gómez" in top_line(tmux.wait_for("sofia", "Busy"))
    con = sqlite3.connect(f"file:{host.db}?mode=ro", uri=True)
    try:
        status = dict(con.execute("SELECT username, status FROM app_user WHERE username IN ('ana', 'sofia')"))
    finally:
        con.close()
    assert status == {"ana": "busy", "sofia": "busy"}
    for who in ("ana", "sofia"):
        assert json.loads((host.people[who].home / "config" / "settings.json").read_text())["last_user"] == "admin"


def test_headless_verbs_go_through_the_socket_as_the_os_user(host):
    ana = host.sagicc("ana", "tickets", "list", "--json")
    assert ana.returncode == 0, ana.stderr
    # Only an administrator may export customers: ana cannot, however she asks.
    for env, argv in (({}, ()), ({"SAGICC_USER": "admin"}, ()), ({}, ("--user", "admin"))):
        done = host.sagicc("ana", "customers", "export", "-o", str(host.people["ana"].home / "c.csv"), *argv, env=env)
        assert done.returncode == 1
        assert not (host.people["ana"].home / "c.csv").exists()
        said = done.stderr
        assert (("permission to export" in said) if not argv and not env else ("On this host you are ana" in said)), said
    adm = host.sagicc("adm", "customers", "export", "-o", str(host.people["adm"].home / "c.csv"))
    assert adm.returncode == 0, adm.stderr
    assert (host.people["adm"].home / "c.csv").stat().st_uid == host.people["adm"].uid  # written by the client
    same = host.sagicc("sofia", "tickets", "list", "--json", "--user", "sofia")
    assert same.returncode == 0, same.stderr


def test_accounts_without_a_sagicc_user_or_the_group_are_refused(host):
    mallory = host.sagicc("mallory", "tickets", "list")
    assert mallory.returncode == 1
    assert f"Your account {host.people['mallory'].name} on this host is not a sagicc user" in mallory.stderr
    eve = host.sagicc("eve", "tickets", "list")
    assert eve.returncode == 1
    assert "may not connect to the sagicc server" in eve.stderr


def test_a_token_sent_on_the_socket_changes_nothing(host):
    token = sagicc_as_root("users", "token", "admin", "--db", str(host.db), "--user", "admin").stdout.strip()
    assert token.startswith("sgc_")
    probe = ("import httpx, sys\n"
             f"c = httpx.Client(transport=httpx.HTTPTransport(uds={str(host.sock)!r}), base_url='http://x')\n"
             "r = c.get('/api/v1/me', headers={'Authorization': 'Bearer ' + sys.argv[1]})\n"
             "print(r.status_code, r.json()['username'])\n")
    done = host.people["ana"].run(host.python, "-I", "-c", probe, token)
    assert done.stdout.split() == ["200", "ana"], done.stderr


def test_the_tui_on_the_socket_refuses_another_user_and_shows_no_picker(host, tmux):
    tmux.start("ana-as-admin", host.tui("ana", "--user", "admin"), width=160)
    screen = tmux.wait_for("ana-as-admin", "On this host you are")
    assert "Who are you?" not in screen and "Administrador" not in screen
