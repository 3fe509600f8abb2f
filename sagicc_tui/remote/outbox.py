"""Writes made while the server cannot be reached, kept on this machine.

One JSON line per write, appended and fsync'ed before the user is told it is
kept, so a crash of the terminal loses nothing. When the server answers again
they are sent in the order they were made, each with the Idempotency-Key it
was given when it was made (a send that did reach the server before the
connection dropped is replayed, not repeated). Sent lines are removed by
rewriting the file atomically.

What goes here: messages (their composer key also guards against a second
press of Send) and drafts (the last one per ticket and form wins).
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sagicc_tui.private_files import private_dir


@dataclass(frozen=True, slots=True)
class Pending:
    id: str
    method: str  # the Backend method
    verb: str
    path: str
    username: str
    body: Any
    idempotency_key: str | None
    queued_at: float


def outbox_path(base_url: str) -> Path:
    from sagicc_tui.paths import data_dir

    name = hashlib.sha256(base_url.encode()).hexdigest()[:16]
    return data_dir() / "outbox" / f"{name}.jsonl"


class Outbox:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def add(self, item: Pending) -> None:
        line = json.dumps({
            "id": item.id, "method": item.method, "verb": item.verb, "path": item.path,
            "username": item.username, "body": item.body, "idempotency_key": item.idempotency_key,
            "queued_at": item.queued_at,
        }, ensure_ascii=False)
        with self._lock:
            private_dir(self.path.parent)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)
            try:
                size = os.fstat(fd).st_size
                # A line torn by a crash mid-write has no newline: start on a
                # line of our own, or this write would be glued to it and lost.
                torn = size > 0 and os.pread(fd, 1, size - 1) != b"\n"
                os.write(fd, (("\n" if torn else "") + line + "\n").encode("utf-8"))
                os.fsync(fd)
            finally:
                os.close(fd)

    def items(self) -> list[Pending]:
        with self._lock:
            try:
                text = self.path.read_text(encoding="utf-8")
            except FileNotFoundError:
                return []
        out = []
        for line in text.splitlines():
            try:
                d = json.loads(line)
                out.append(Pending(d["id"], d["method"], d["verb"], d["path"], d["username"], d["body"],
                                   d.get("idempotency_key"), float(d.get("queued_at", 0))))
            except (ValueError, KeyError, TypeError):
                continue  # a line torn by a crash mid-write: the rest is intact
        return out

    def remove(self, ids: set[str]) -> None:
        if not ids:
            return
        with self._lock:
            try:
                lines = self.path.read_text(encoding="utf-8").splitlines()
            except FileNotFoundError:
                return
            keep = []
            for line in lines:
                try:
                    if json.loads(line)["id"] in ids:
                        continue
                except (ValueError, KeyError, TypeError):
                    continue
                keep.append(line)
            tmp = self.path.with_suffix(".tmp")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write("".join(line + "\n" for line in keep))
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.path)

    def __len__(self) -> int:
        return len(self.items())
