"""SSH mode against a real OpenSSH server: the key is the identity.

A real service account owns the store (0600) and its authorized_keys, which
`sagicc ssh-keys add` writes; agents reach it with `ssh -tt` in a real
terminal (tmux) and we read the TUI's top bar off the screen.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.shared_host.conftest import OsUser, Sshd, keypair, sagicc_as_root


@dataclass
class SshHost:
    svc: OsUser
    db: Path
    sshd: Sshd
    keys: dict[str, Path]
    python: str

    def ssh(self, who: str, *options: str, command: tuple[str, ...] = ()) -> list[str]:
        return self.sshd.ssh(self.svc.name, self.keys[who], *options, command=command)

    def sagicc(self, *argv: str) -> subprocess.CompletedProcess:
        """A verb run by the service account (the administrator's side)."""
        return self.svc.run(self.python, "-I", "-m", "sagicc_tui", *argv)


@pytest.fixture(scope="module")
def host(tmp_path_factory, os_users, sshd, host_python) -> SshHost:
    svc = os_users("svc")
    store = svc.home / "store"
    store.mkdir()
    db = store / "sagicc.db"
    for argv in (("demo", "--tickets", "40"),
                 ("users", "add", "ana", "--role", "agent", "--full-name", "Ana Pérez"),
                 ("users", "add", "sofia", "--role", "supervisor", "--full-name", "Sofía Gómez")):
        done = sagicc_as_root(*argv, "--db", str(db), *(("--user", "admin") if argv[0] == "users" else ()))
        assert done.returncode == 0, done.stderr
    subprocess.run(["chown", "-R", f"{svc.name}:{svc.name}", str(store)], check=True)
    store.chmod(0o700)
    keys_dir = tmp_path_factory.mktemp("keys")
    keys = {who: keypair(keys_dir, who) for who in ("ana", "sofia", "stranger")}
    ssh_host = SshHost(svc, db, sshd(svc.name, svc.home / ".ssh" / "authorized_keys"), keys, host_python)
    for who in ("ana", "sofia"):
        pub = svc.home / f"{who}.pub"  # what the agent sent the administrator
        shutil.copy(f"{keys[who]}.pub", pub)
        done = ssh_host.sagicc("ssh-keys", "add", who, str(pub), "--db", str(db))
        assert done.returncode == 0, done.stderr
        assert f"sagicc as {who}" in done.stdout
    # What an agent might try to become admin with: a remembered user in the
    # service account's settings, and in their own.
    config = svc.home / ".config" / "sagicc-tui"
    (config / "users").mkdir(parents=True)
    for f in (config / "settings.json", config / "users" / "ana.json"):
        f.write_text(json.dumps({"last_user": "admin"}))
    subprocess.run(["chown", "-R", f"{svc.name}:{svc.name}", str(svc.home / ".config")], check=True)
    return ssh_host


def top_line(screen: str) -> str:
    return next(line for line in screen.splitlines() if "Sagicc" in line)


def test_the_store_and_keys_belong_to_the_service_account(host):
    assert oct(host.db.stat().st_mode & 0o777) == "0o600"
    assert host.db.stat().st_uid == host.svc.uid
    ak = host.svc.home / ".ssh" / "authorized_keys"
    assert oct(ak.stat().st_mode & 0o777) == "0o600"
    lines = ak.read_text().splitlines()
    assert len(lines) == 2
    assert all(line.startswith('restrict,pty,command="') for line in lines)
    assert "ssh-session ana --db" in lines[0] and lines[0].endswith("sagicc-user=ana")
    listed = host.sagicc("ssh-keys", "list", "--json")
    assert [e["user"] for e in json.loads(listed.stdout)] == ["ana", "sofia"]


def test_an_agents_key_opens_the_tui_as_that_agent_whatever_the_variables_and_settings_say(host, tmux):
    # SetEnv reaches sagicc (the fixture's AcceptEnv lets SAGICC_* through): it must not matter.
    tmux.start("ana", host.ssh("ana", "-tt", "-o", "SetEnv=SAGICC_USER=admin SAGICC_DB=/nonexistent LANG=C.UTF-8"))
    screen = tmux.wait_for("ana", "Ana Pérez", "tickets")
    bar = top_line(screen)
    assert "Ana Pérez" in bar and "Agent" in bar
    assert "Administrador" not in screen and "Who are you?" not in screen
    tmux.keys("ana", "q")
    tmux.wait_ended("ana")  # q ends the agent's SSH session


def test_a_supervisors_key_lands_as_the_supervisor(host, tmux):
    tmux.start("sofia", host.ssh("sofia"))  # what an agent types: no -t, sshd gives the terminal
    bar = top_line(tmux.wait_for("sofia", "Sofía Gómez", "tickets"))
    assert "Sofía Gómez" in bar and "Supervisor" in bar


def test_an_unknown_key_is_refused(host):
    done = subprocess.run(host.ssh("stranger", "-tt"), capture_output=True, text=True, timeout=60)
    assert done.returncode == 255
    assert "Permission denied (publickey)" in done.stderr


@pytest.mark.parametrize("command", [["sh", "-c", "id"], ["id"], ["--user", "admin"],
                                     ["sagicc", "--user", "admin", "tickets", "list"]])
def test_no_shell_and_no_other_command(host, command):
    for tty in ("-tt", "-T"):
        done = subprocess.run(host.ssh("ana", tty, command=("--", *command)), capture_output=True, text=True, timeout=60)
        out = done.stdout + done.stderr
        assert done.returncode == 1, out
        assert "uid=" not in out and "NUMBER" not in out
        assert "This account only opens sagicc" in out


def test_sftp_scp_and_forwarding_are_refused(host):
    sftp = subprocess.run(["sftp", "-F", "/dev/null", "-i", str(host.keys["ana"]), "-P", str(host.sshd.port),
                           "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no",
                           "-o", "UserKnownHostsFile=/dev/null", f"{host.svc.name}@127.0.0.1"],
                          input="ls\n", capture_output=True, text=True, timeout=60)
    assert sftp.returncode != 0
    forward = subprocess.run(host.ssh("ana", "-W", f"127.0.0.1:{host.sshd.port}"), capture_output=True,
                             text=True, timeout=60)
    assert forward.returncode != 0
    assert "forwarding failed" in forward.stderr, forward.stderr
    log = host.sshd.log.read_text()
    assert "refused local port forward" in log
    # sshd offers sftp (the fixture's Subsystem line); the key's command runs instead, and refuses.
    assert "subsystem not found" not in log
    assert "Connection closed" in sftp.stderr and "store" not in sftp.stdout
    dropped = host.svc.home / "dropped"
    scp = subprocess.run(["scp", "-F", "/dev/null", "-i", str(host.keys["ana"]), "-P", str(host.sshd.port),
                          "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
                          str(host.keys["ana"]) + ".pub", f"{host.svc.name}@127.0.0.1:{dropped}"],
                         capture_output=True, text=True, timeout=60)
    assert scp.returncode != 0 and not dropped.exists()


def test_two_agents_at_once_on_one_store(host, tmux):
    tmux.start("ana", host.ssh("ana", "-tt"))
    tmux.start("sofia", host.ssh("sofia", "-tt"))
    tmux.wait_for("ana", "Ana Pérez", "tickets")
    tmux.wait_for("sofia", "Sofía Gómez", "tickets")
    # Both write at once: each marks themselves busy (s), each sees only their own.
    tmux.keys("ana", "s")
    tmux.keys("sofia", "s")
    assert "Busy" in top_line(tmux.wait_for("ana", "Busy"))
    assert "Busy" in top_line(tmux.wait_for("sofia", "Busy"))
    con = sqlite3.connect(host.db)
    try:
        status = dict(con.execute("SELECT username, status FROM app_user WHERE username IN ('ana', 'sofia')"))
    finally:
        con.close()
    assert status == {"ana": "busy", "sofia": "busy"}
    assert "Ana Pérez" in top_line(tmux.screen("ana")) and "Sofía Gómez" in top_line(tmux.screen("sofia"))


def test_files_typed_in_the_tui_stay_in_the_agents_folder(host):
    """The export a TUI user asks for cannot land on the service account's keys."""
    probe = ("import asyncio, os\n"
             "from sagicc_tui.files import export_to_file\n"
             "from sagicc_tui.shared_host.files import ConfinedFiles, user_folder\n"
             "from sagicc_tui.local_store.backend import LocalBackend\n"
             "from sagicc_tui.paths import data_dir\n"
             f"b = ConfinedFiles(LocalBackend({str(host.db)!r}), user_folder(data_dir(), 'admin'))\n"
             "async def go():\n"
             "    admin = await b.get_user('admin')\n"
             "    for path in ('~/../../.ssh/authorized_keys', os.path.expanduser('~/.ssh/authorized_keys'), '../x.csv'):\n"
             "        try:\n"
             "            await export_to_file(b.session(admin), path, 'csv')\n"
             "        except Exception as e:\n"
             "            print('refused', type(e).__name__)\n"
             "    print((await export_to_file(b.session(admin), 'mine.csv', 'csv')).path)\n"
             "asyncio.run(go())\n")
    done = host.svc.run(host.python, "-I", "-c", probe)
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("refused InvalidInput") == 3
    assert done.stdout.strip().endswith("/files/admin/mine.csv")
    assert len((host.svc.home / ".ssh" / "authorized_keys").read_text().splitlines()) == 2
