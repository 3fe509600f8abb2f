"""A real IMAP server for the mail tests: Dovecot from the system's packages,
with its own config, port, passwd-file user and maildir under the test's tmp
dir, run in the foreground and stopped by the fixture.

The mailbox user's processes run as `nobody` chrooted into the mail folder
(Dovecot never runs a mailbox as root, and nobody cannot walk into pytest's
private tmp dir; the chroot is entered as root); auth runs as root to read
the passwd file there."""

from __future__ import annotations

import imaplib
import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

USER, PASSWORD = "soporte", "secreto-de-prueba"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Dovecot:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.port = free_port()
        self.proc: subprocess.Popen | None = None
        self.conf = root / "dovecot.conf"

    def write_config(self) -> None:
        r = self.root
        for d in ("run", "state", "mail"):
            (r / d).mkdir(parents=True, exist_ok=True)
        home = r / "mail" / USER
        home.mkdir(exist_ok=True)
        shutil.chown(home, "nobody", "nogroup")
        (r / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}::::::\n")
        os.chmod(r / "passwd", 0o600)
        self.conf.write_text(f"""
base_dir = {r}/run
state_dir = {r}/state
instance_name = sagicc-test-{self.port}
log_path = {r}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:~/Maildir
# A throwaway test server: no fsync per message.
mail_fsync = never
valid_chroot_dirs = {r}/mail
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {r}/passwd
}}
userdb {{
  driver = static
  args = uid=nobody gid=nogroup home={r}/mail/./%u
}}
# The passwd file is under pytest's private tmp dir: auth reads it as root.
service auth {{
  user = root
}}
service auth-worker {{
  user = root
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
""")

    def start(self) -> Dovecot:
        if shutil.which("dovecot") is None:
            raise RuntimeError("Dovecot is not installed: apt-get install dovecot-imapd (.ci/run does it)")
        if not self.conf.exists():
            self.write_config()
        # Its own process group: Dovecot's children (imap, log, stats) outlive
        # a master that is told to stop, so stop() ends the whole group.
        self.proc = subprocess.Popen(["dovecot", "-F", "-c", str(self.conf)], stdout=subprocess.DEVNULL,
                                     stderr=open(self.root / "dovecot.err", "ab"),  # noqa: SIM115
                                     start_new_session=True)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"dovecot exited: {(self.root / 'dovecot.err').read_text()}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("dovecot did not start listening")

    def stop(self) -> None:
        """The server and every process it started go, with their connections."""
        if self.proc is None:
            return
        group = self.proc.pid  # start_new_session: the group's id is the master's pid
        try:
            os.killpg(group, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                pass
            time.sleep(0.2)
            os.killpg(group, signal.SIGKILL)  # the children left behind
        except ProcessLookupError:
            pass
        self.proc.wait(10)
        self.proc = None

    # --- the customer's side: put mail in the mailbox, look at its flags ---------------
    def client(self) -> imaplib.IMAP4:
        m = imaplib.IMAP4("127.0.0.1", self.port, timeout=30)
        m.login(USER, PASSWORD)
        return m

    def append(self, *messages: bytes, folder: str = "INBOX") -> None:
        m = self.client()
        try:
            for raw in messages:
                typ, data = m.append(folder, None, None, raw)
                assert typ == "OK", data
        finally:
            m.logout()

    def unseen(self, folder: str = "INBOX") -> int:
        m = self.client()
        try:
            m.select(folder, readonly=True)
            typ, data = m.uid("SEARCH", None, "UNSEEN")
            return len(data[0].split())
        finally:
            m.logout()

    def env(self) -> dict[str, str]:
        return {"SAGICC_IMAP_HOST": "127.0.0.1", "SAGICC_IMAP_PORT": str(self.port), "SAGICC_IMAP_USER": USER,
                "SAGICC_IMAP_PASSWORD": PASSWORD, "SAGICC_IMAP_SECURITY": "plain"}
