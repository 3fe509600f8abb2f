"""Writes made while the server cannot be reached, kept on this machine.

One JSON line per write, appended and fsync'ed before the user is told it is
kept, so a crash of the terminal loses nothing. When the server answers again
they are sent in the order they were made, each with the Idempotency-Key it
was given when it was made (a send that did reach the server before the
connection dropped is replayed, not repeated). Sent lines are removed by
rewriting the file atomically.

What goes here: messages (their composer key also guards against a second
press of Send) and drafts (the last one per ticket and form wins).

A write the server refuses when it is back (the ticket was closed meanwhile,
a permission changed) is never dropped: it moves, with the server's sentence,
to a second file beside this one (`*.refused.jsonl`), appended and fsync'ed
before it leaves the outbox, until the ticket screen has put it back in its
form as a draft (#10.7).
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
    #: What this machine knew and the server is not sent (a message's file paths).
    local: Any = None


@dataclass(frozen=True, slots=True)
class Refused:
    item: Pending
    reason: dict[str, Any]  # {"template": ..., "params": {...}}: the server's sentence
    refused_at: float


def _line(item: Pending, **extra: Any) -> str:
    return json.dumps({
        "id": item.id, "method": item.method, "verb": item.verb, "path": item.path,
        "username": item.username, "body": item.body, "idempotency_key": item.idempotency_key,
        "queued_at": item.queued_at, **({"local": item.local} if item.local is not None else {}), **extra,
    }, ensure_ascii=False)


def _pending(d: dict[str, Any]) -> Pending:
    return Pending(d["id"], d["method"], d["verb"], d["path"], d["username"], d["body"],
                   d.get("idempotency_key"), float(d.get("queued_at", 0)), d.get("local"))


def outbox_path(base_url: str) -> Path:
    from sagicc_tui.paths import data_dir

    name = hashlib.sha256(base_url.encode()).hexdigest()[:16]
    return data_dir() / "outbox" / f"{name}.jsonl"


class Outbox:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    @property
    def refused_path(self) -> Path:
        return self.path.with_name(self.path.stem + ".refused.jsonl")

    def add(self, item: Pending) -> None:
        with self._lock:
            self._append(self.path, _line(item))

    def _append(self, path: Path, line: str) -> None:
        private_dir(path.parent)
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)
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
        return [_pending(d) for d in self._read(self.path)]

    def _read(self, path: Path) -> list[dict[str, Any]]:
        with self._lock:
            try:
                text = path.read_text(encoding="utf-8")
            except FileNotFoundError:
                return []
        out = []
        for line in text.splitlines():
            try:
                d = json.loads(line)
                _pending(d)
                out.append(d)
            except (ValueError, KeyError, TypeError):
                continue  # a line torn by a crash mid-write: the rest is intact
        return out

    def refuse(self, item: Pending, reason: dict[str, Any], at: float) -> None:
        """Move `item` to the refused file: kept there first, then out of the outbox."""
        with self._lock:
            self._append(self.refused_path, _line(item, reason=reason, refused_at=at))
        self.remove({item.id})

    def refused(self) -> list[Refused]:
        seen: set[str] = set()
        out = []
        for d in self._read(self.refused_path):
            if d["id"] in seen:  # a crash between keeping and removing: refused twice, kept once
                continue
            seen.add(d["id"])
            reason = d.get("reason") if isinstance(d.get("reason"), dict) else {"template": str(d.get("reason"))}
            out.append(Refused(_pending(d), reason, float(d.get("refused_at", 0))))
        return out

    def drop_refused(self, ids: set[str]) -> None:
        self.remove(ids, path=self.refused_path)

    def remove(self, ids: set[str], *, path: Path | None = None) -> None:
        if not ids:
            return
        path = path or self.path
        with self._lock:
            try:
                lines = path.read_text(encoding="utf-8").splitlines()
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
            tmp = path.with_suffix(".tmp")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write("".join(line + "\n" for line in keep))
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)

    def __len__(self) -> int:
        return len(self.items())
