"""A real full disk for the fault tests (#10.6): a small tmpfs mounted under
the test's tmp dir (the tests run as root in CI), filled to the last byte on
demand and freed again."""

from __future__ import annotations

import contextlib
import errno
import os
import subprocess
from pathlib import Path

import pytest


class TinyDisk:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._filler = path / ".filler"

    def fill(self, leave: int = 0) -> None:
        """Write until the disk says ENOSPC, leaving `leave` bytes free."""
        reserve = self.path / ".reserve"
        if leave:
            reserve.write_bytes(b"\0" * leave)
        with open(self._filler, "ab", buffering=0) as fh:
            for block in (1 << 16, 4096, 1):
                while True:
                    try:
                        fh.write(b"\0" * block)
                    except OSError as e:
                        if e.errno != errno.ENOSPC:
                            raise
                        break
        reserve.unlink(missing_ok=True)

    def free(self) -> None:
        self._filler.unlink(missing_ok=True)

    def free_bytes(self) -> int:
        st = os.statvfs(self.path)
        return st.f_bavail * st.f_frsize


@pytest.fixture
def tiny_disk(tmp_path):
    where = tmp_path / "disk"
    where.mkdir()
    proc = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m,mode=0700", "tmpfs", str(where)],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        pytest.skip(f"a small tmpfs cannot be mounted here (needs root): {proc.stderr.strip()}")
    try:
        yield TinyDisk(where)
    finally:
        with contextlib.suppress(Exception):
            subprocess.run(["umount", "-l", str(where)], check=False, capture_output=True)
