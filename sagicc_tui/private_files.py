"""Files only their owner can read, whatever the umask (#10.12).

The store, its WAL/SHM, attachments, settings, the outbox and exports hold
customer data and token hashes: on a shared host another OS user must not read
them. Files are created 0600 and folders 0700 here; a umask can only remove
bits, so 0600/0700 hold under 022 or 002, and an explicit chmod after creating
makes it exact under any umask. Existing files and folders keep the mode an
administrator gave them (a team sharing one store through a group, say).

Standard library only: the CLI and settings use it without the ORM.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path
from typing import BinaryIO

FILE_MODE = 0o600
DIR_MODE = 0o700


def private_dir(path: str | os.PathLike[str]) -> Path:
    """`path` and any missing parents, created 0700 (existing ones untouched)."""
    path = Path(path)
    missing = []
    p = path
    while not p.exists():
        missing.append(p)
        if p.parent == p:
            break
        p = p.parent
    for d in reversed(missing):
        try:
            os.mkdir(d, DIR_MODE)
        except FileExistsError:
            continue  # another process made it a moment ago
        os.chmod(d, DIR_MODE)
    return path


def _open_fd(path: Path, flags: int) -> int:
    fd = os.open(path, flags | os.O_CLOEXEC, FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)
    except BaseException:
        os.close(fd)
        raise
    return fd


def create_private(path: str | os.PathLike[str]) -> bool:
    """Create `path` empty and 0600 if it does not exist; True if it was created."""
    try:
        fd = _open_fd(Path(path), os.O_WRONLY | os.O_CREAT | os.O_EXCL)
    except FileExistsError:
        return False
    os.close(fd)
    return True


def open_private(path: str | os.PathLike[str], *, exclusive: bool = False) -> BinaryIO:
    """A new (or truncated) file open for writing bytes, 0600."""
    flags = os.O_WRONLY | os.O_CREAT | (os.O_EXCL if exclusive else os.O_TRUNC)
    return os.fdopen(_open_fd(Path(path), flags), "wb")


def write_private(path: str | os.PathLike[str], data: bytes) -> None:
    """Write `data` to `path` atomically (temporary file, fsync, rename), 0600."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}-{secrets.token_hex(4)}.tmp")
    try:
        with open_private(tmp, exclusive=True) as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def part_path(target: str | os.PathLike[str]) -> Path:
    """Where an export to `target` is written until it is complete:
    `.NAME.PID-RANDOM.part` beside it (the pid tells a dead writer's part)."""
    target = Path(target)
    return target.with_name(f".{target.name}.{os.getpid()}-{secrets.token_hex(4)}.part")


def remove_stale_parts(target: str | os.PathLike[str]) -> int:
    """Remove the unfinished `.part` files left beside `target` by exports that
    were killed (their process is gone); returns how many were removed."""
    target = Path(target)
    removed = 0
    try:
        candidates = list(target.parent.glob(f".{_glob_escape(target.name)}.*.part"))
    except OSError:
        return 0
    for part in candidates:
        middle = part.name[len(target.name) + 2:-len(".part")]
        pid_text = middle.split("-", 1)[0]
        if not pid_text.isdigit() or _alive(int(pid_text)):
            continue
        with contextlib.suppress(OSError):
            part.unlink()
            removed += 1
    return removed


def _glob_escape(name: str) -> str:
    return "".join(f"[{c}]" if c in "*?[]" else c for c in name)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True
