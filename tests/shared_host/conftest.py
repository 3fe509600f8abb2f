"""A shared host for real: OS accounts, an OpenSSH server, a terminal.

- `host_python`: a Python every OS account can run (the test's own
  interpreter lives under /root, which other accounts cannot enter): a venv
  of the system's python3.X whose only package path is ours.
- `host_tmp`: a folder other accounts can reach (pytest's tmp_path is not).
- `os_users`: real accounts made with useradd and removed afterwards.
- `sshd`: /usr/sbin/sshd on 127.0.0.1 with its own host key, config and
  port, every file under tmp_path.
- `tmux`: a terminal to drive the TUI through `ssh -tt` and read its screen.

All of it needs root (the session's and CI's user) and the system's
openssh-server, openssh-client and tmux (.ci/run installs them).
"""

from __future__ import annotations

import contextlib
import itertools
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SSHD = "/usr/sbin/sshd"


def _need(ok: bool, what: str) -> None:
    if not ok:
        pytest.fail(f"the shared-host tests need {what} (.ci/run installs it)", pytrace=False)


@pytest.fixture(scope="session", autouse=True)
def _root_and_tools():
    _need(os.geteuid() == 0, "root, to create OS accounts")
    for tool in ("useradd", "userdel", "groupadd", "runuser", "ssh", "ssh-keygen", "tmux"):
        _need(shutil.which(tool) is not None, tool)
    _need(os.access(SSHD, os.X_OK), SSHD + " (openssh-server)")


@pytest.fixture(scope="session")
def shared_root():
    """Where other OS accounts' files live: outside pytest's tmp_path, whose
    top directory pytest keeps 0700 (every pytest run on the machine resets
    it), so no other account could reach anything below it. Removed at the end."""
    root = Path(tempfile.mkdtemp(prefix="sagicc-shared-host-"))
    root.chmod(0o711)
    yield root
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def host_tmp(shared_root) -> Path:
    """This test module's folder that other accounts may pass through (0711)."""
    path = Path(tempfile.mkdtemp(dir=shared_root))
    path.chmod(0o711)
    return path


@pytest.fixture(scope="session")
def host_python(shared_root) -> str:
    system = Path(f"/usr/bin/python{sys.version_info.major}.{sys.version_info.minor}")
    _need(system.exists(), f"{system}, the system's Python of this version")
    venv = shared_root / "host-python"
    subprocess.run([str(system), "-m", "venv", "--without-pip", str(venv)], check=True)
    ours = next(Path(p) for p in sys.path if p.endswith("site-packages") and Path(p).is_dir())
    (site,) = venv.glob("lib/python*/site-packages")
    # addsitedir also runs our .pth files (the editable install of sagicc_tui).
    (site / "zz-sagicc-test.pth").write_text(f"import site; site.addsitedir({str(ours)!r})\n")
    venv.chmod(0o755)
    return str(venv / "bin" / "python")


@dataclass
class OsUser:
    name: str
    uid: int
    gid: int
    home: Path

    def setpriv(self) -> list[str]:
        """Become this account in place (no new session, unlike runuser)."""
        return ["setpriv", f"--reuid={self.uid}", f"--regid={self.gid}", "--init-groups", "--"]

    def run(self, *argv: str, env: dict[str, str] | None = None, **kw) -> subprocess.CompletedProcess:
        """Run a command as this account (runuser), with only the given variables."""
        base = {"PATH": "/usr/bin:/bin", "HOME": str(self.home), "LANG": "C.UTF-8", "TERM": "xterm-256color"}
        envs = [f"{k}={v}" for k, v in {**base, **(env or {})}.items()]
        return subprocess.run(["runuser", "-u", self.name, "--", "env", "-i", *envs, *argv],
                              capture_output=True, text=True, timeout=60, **kw)


_serial = itertools.count()


@pytest.fixture(scope="module")
def os_users(host_tmp):
    """make(role_hint, groups=()) -> OsUser: a real account, removed after the module's tests."""
    made: list[str] = []
    groups: list[str] = []
    tag = f"{os.getpid() % 100000}{next(_serial)}"

    def group(hint: str) -> str:
        name = f"sg{hint}{tag}"[:32]
        subprocess.run(["groupadd", name], check=True)
        groups.append(name)
        return name

    def make(hint: str, groups_: tuple[str, ...] = ()) -> OsUser:
        name = f"sg{hint}{tag}"[:32]
        home = host_tmp / f"home-{name}"
        home.mkdir()
        cmd = ["useradd", "--no-create-home", "--home-dir", str(home), "--shell", "/bin/sh", "--user-group"]
        if groups_:
            cmd += ["--groups", ",".join(groups_)]
        subprocess.run([*cmd, name], check=True)
        made.append(name)
        # A password field of "*" (no password) rather than useradd's "!"
        # (locked): sshd without PAM refuses locked accounts even for keys.
        subprocess.run(["usermod", "-p", "*", name], check=True)
        import pwd

        entry = pwd.getpwnam(name)
        shutil.chown(home, name, name)
        home.chmod(0o700)
        return OsUser(name, entry.pw_uid, entry.pw_gid, home)

    make.group = group  # type: ignore[attr-defined]
    yield make
    for name in made:
        # Its last processes (a TUI whose terminal just closed) may take a moment to end.
        deadline = time.monotonic() + 30
        while subprocess.run(["userdel", name], capture_output=True).returncode == 8 and time.monotonic() < deadline:
            time.sleep(0.5)
        if subprocess.run(["id", name], capture_output=True).returncode == 0:
            subprocess.run(["userdel", "--force", name], capture_output=True)
    for name in groups:
        subprocess.run(["groupdel", name], capture_output=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Sshd:
    port: int
    authorized_keys: Path
    log: Path
    proc: subprocess.Popen

    def ssh(self, account: str, key: Path, *options: str, command: tuple[str, ...] = ()) -> list[str]:
        return ["ssh", "-F", "/dev/null", "-i", str(key), "-p", str(self.port), "-o", "IdentitiesOnly=yes",
                "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
                "-o", "LogLevel=ERROR", "-o", "ConnectTimeout=10", *options, f"{account}@127.0.0.1", *command]


def keypair(folder: Path, name: str) -> Path:
    key = folder / name
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", str(key)], check=True)
    return key


@pytest.fixture(scope="module")
def sshd(tmp_path_factory):
    """start(account, authorized_keys) -> Sshd on a free loopback port, stopped after the module."""
    procs: list[subprocess.Popen] = []

    def start(account: str, authorized_keys: Path) -> Sshd:
        folder = tmp_path_factory.mktemp("sshd")
        host_key = folder / "ssh_host_ed25519_key"
        if not host_key.exists():
            subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(host_key)], check=True)
        port = free_port()
        config = folder / "sshd_config"
        config.write_text("\n".join([
            f"Port {port}", "ListenAddress 127.0.0.1", f"HostKey {host_key}", f"PidFile {folder}/sshd.pid",
            f"AuthorizedKeysFile {authorized_keys}", f"AllowUsers {account}",
            "UsePAM no", "StrictModes no", "PubkeyAuthentication yes", "PasswordAuthentication no",
            "KbdInteractiveAuthentication no", "PermitRootLogin no", "PermitUserEnvironment no",
            # Deliberately permissive: the variables must not matter to sagicc.
            "AcceptEnv LANG LC_* SAGICC_* TEXTUAL*",
            "Subsystem sftp internal-sftp", "LogLevel VERBOSE", ""]))
        Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # sshd's privilege separation directory
        log = folder / "sshd.log"
        proc = subprocess.Popen([SSHD, "-D", "-e", "-f", str(config)], stdout=subprocess.DEVNULL,
                                stderr=log.open("w"))
        procs.append(proc)
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"sshd did not start: {log.read_text()}")
                time.sleep(0.1)
        return Sshd(port, authorized_keys, log, proc)

    yield start
    for proc in procs:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


class Tmux:
    """A private tmux server: one window per terminal, read back as text."""

    def __init__(self, sock: Path) -> None:
        self.sock = sock

    def _run(self, *args: str) -> str:
        return subprocess.run(["tmux", "-S", str(self.sock), *args], capture_output=True, text=True,
                              check=True, timeout=30).stdout

    def start(self, name: str, argv: list[str], *, width: int = 120, height: int = 36) -> None:
        import shlex

        cmd = " ".join(shlex.quote(a) for a in argv)
        # The pane stays after the command ends, so its last words can be read.
        self._run("new-session", "-d", "-s", name, "-x", str(width), "-y", str(height), cmd)
        self._run("set-option", "-t", name, "remain-on-exit", "on")

    def wait_ended(self, name: str, timeout: float = 120) -> None:
        """The terminal's command (ssh) has exited. Read from the process itself, not
        from tmux's "Pane is dead": tmux 3.3 sometimes leaves the exited ssh a zombie
        it has not reaped for minutes, the pane still shown as alive."""
        pid = int(self._run("display-message", "-p", "-t", name, "#{pane_pid}").strip())
        deadline = time.monotonic() + timeout
        while _alive(pid) and "Pane is dead" not in self.screen(name):
            if time.monotonic() > deadline:
                ps = subprocess.run(["ps", "-eo", "pid,ppid,user,stat,etime,args", "--forest", "-ww"],
                                    capture_output=True, text=True).stdout
                raise AssertionError(f"the terminal {name} did not end (pid {pid}); processes:\n{ps[-8000:]}")
            time.sleep(0.3)

    def screen(self, name: str) -> str:
        return self._run("capture-pane", "-p", "-t", name)

    def keys(self, name: str, *keys: str) -> None:
        self._run("send-keys", "-t", name, *keys)

    def wait_for(self, name: str, *texts: str, timeout: float = 120) -> str:
        deadline = time.monotonic() + timeout
        while True:
            shown = self.screen(name)
            if all(t in shown for t in texts):
                return shown
            if time.monotonic() > deadline:
                raise AssertionError(f"{texts} not on the screen of {name}:\n{shown}")
            time.sleep(0.3)

    def stop(self) -> None:
        """Close every terminal, then end by id whatever was started in them and
        outlived its terminal (a process in a session of its own gets no hang-up)."""
        listed = subprocess.run(["tmux", "-S", str(self.sock), "list-panes", "-a", "-F", "#{pane_pid}"],
                                capture_output=True, text=True)
        started = _descendants({int(p) for p in listed.stdout.split()})
        subprocess.run(["tmux", "-S", str(self.sock), "kill-server"], capture_output=True)
        deadline = time.monotonic() + 10
        while (alive := [p for p in started if _alive(p)]) and time.monotonic() < deadline:
            time.sleep(0.2)
        for pid in alive:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def _descendants(roots: set[int]) -> set[int]:
    parent: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                pass
    found, todo = set(roots), list(roots)
    while todo:
        pid = todo.pop()
        for child, ppid in parent.items():
            if ppid == pid and child not in found:
                found.add(child)
                todo.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


@pytest.fixture
def tmux(tmp_path):
    t = Tmux(tmp_path / "tmux.sock")
    yield t
    t.stop()


def sagicc_as_root(*argv: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sagicc_tui", *argv], capture_output=True, text=True,
                          timeout=120, env={**os.environ, **(env or {})}, cwd=REPO)
