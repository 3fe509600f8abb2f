"""`sagicc serve` as a real process on 127.0.0.1, on a port it keeps across
restarts (so a client's address stays valid while the server is away)."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time

#: A guard against hanging forever, not a promise about speed.
PATIENCE = 60.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServerProcess:
    def __init__(self, db: str, log_path, port: int | None = None) -> None:
        self.db = db
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self.proc: subprocess.Popen | None = None

    def start(self) -> str:
        env = {**os.environ, "SAGICC_LANG": "en"}
        env.pop("SAGICC_SMTP_HOST", None)
        log = open(self.log_path, "ab")  # noqa: SIM115 - the process owns it
        self.proc = subprocess.Popen([sys.executable, "-m", "sagicc_tui", "serve", "--db", self.db,
                                      "--port", str(self.port)], stdout=log, stderr=log, env=env)
        log.close()
        deadline = time.monotonic() + PATIENCE
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the server exited: {self.log_path.read_text()[-2000:]}")
            with contextlib.suppress(OSError):
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self.url
            if time.monotonic() > deadline:
                raise RuntimeError("the server did not start listening")
            time.sleep(0.1)

    def kill(self) -> None:
        """Gone at once (kill -9): no goodbye to its clients."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=PATIENCE)
        self.proc = None
