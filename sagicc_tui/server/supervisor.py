"""`sagicc serve --workers N`: N server processes on one listening socket, kept alive.

The parent binds the socket once (serve.listening_socket: TCP_NODELAY, which
accepted connections inherit) and forks N workers onto it; the kernel
spreads the connections. The parent then only watches: a worker that dies
(a crash, the OOM killer, a kill -9) is replaced by a new one on the same
socket, so the server keeps its N processes; requests the dead one was
serving fail, the others never notice. A worker that keeps dying right after
it starts is restarted with a growing pause instead of in a tight loop.

A stop (SIGTERM, SIGINT) goes to every worker, which shuts down gracefully
(serve.py ends its event streams first), and the parent waits for them.
"""

from __future__ import annotations

import logging
import multiprocessing
import signal
import threading
import time
from collections.abc import Callable

log = logging.getLogger("sagicc.server.supervisor")

#: A worker that lived less than this is "dying at start": restart after a pause.
QUICK_DEATH = 5.0
MAX_PAUSE = 10.0


class Supervisor:
    def __init__(self, sock, workers: int, target: Callable[..., None], args: tuple = ()) -> None:
        self._sock = sock
        self._count = workers
        self._target = target
        self._args = args
        self._ctx = multiprocessing.get_context("fork")
        self._procs: dict[int, tuple[multiprocessing.Process, float]] = {}  # slot -> (process, started)
        self._stopping = threading.Event()
        self._pause: dict[int, float] = {}
        self.restarts = 0

    def _spawn(self, slot: int) -> None:
        proc = self._ctx.Process(target=_worker_main, args=(self._target, self._sock, *self._args),
                                 name=f"sagicc-worker-{slot}", daemon=False)
        proc.start()
        self._procs[slot] = (proc, time.monotonic())

    def stop(self, *_args) -> None:
        self._stopping.set()
        for proc, _ in list(self._procs.values()):
            if proc.is_alive():
                proc.terminate()  # SIGTERM: each worker shuts down gracefully

    def run(self) -> None:
        for slot in range(self._count):
            self._spawn(slot)
        signal.signal(signal.SIGINT, self.stop)
        signal.signal(signal.SIGTERM, self.stop)
        while not self._stopping.is_set():
            self._stopping.wait(0.2)
            for slot, (proc, started) in list(self._procs.items()):
                if proc.is_alive() or self._stopping.is_set():
                    continue
                proc.join()
                lived = time.monotonic() - started
                pause = self._pause.get(slot, 0.0)
                pause = min(MAX_PAUSE, max(0.5, pause * 2)) if lived < QUICK_DEATH else 0.0
                self._pause[slot] = pause
                log.warning("worker %s (pid %s) exited with %s after %.1f s; starting another%s",
                            slot, proc.pid, proc.exitcode, lived, f" in {pause:.1f} s" if pause else "")
                if pause and self._stopping.wait(pause):
                    break
                self._spawn(slot)
                self.restarts += 1
        for proc, _ in self._procs.values():
            proc.join()
        self._sock.close()


def _worker_main(target: Callable[..., None], *args) -> None:
    # A worker forked after run() installed the parent's handlers would
    # inherit them: its own stop would then call the parent's Supervisor.stop.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    target(*args)
