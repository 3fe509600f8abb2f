"""Files on an SSH shared host stay in the agent's own folder.

Over SSH the TUI runs as the service account, which owns the store and its
`authorized_keys`. A path typed in the TUI (export to, attach from, save to)
would otherwise be read or written as that account: an export written over
`~/.ssh/authorized_keys`, or the store file attached to a ticket and mailed
out. So every path is resolved inside the agent's folder
(`<data dir>/files/<user>`), symbolic links included, and refused outside it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sagicc_tui.domain.errors import InvalidInput
from sagicc_tui.domain.messages import N_
from sagicc_tui.session import Session


def user_folder(data_dir: Path, username: str) -> Path:
    from sagicc_tui.files import safe_file_name

    folder = data_dir / "files" / safe_file_name(username)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    return folder


def confine(root: Path, path: str) -> str:
    """`path` (relative to the folder, or absolute inside it) as a real path inside `root`."""
    base = os.path.realpath(root)
    given = Path(path).expanduser()
    real = os.path.realpath(given if given.is_absolute() else Path(base) / given)
    if real != base and not real.startswith(base + os.sep):
        raise InvalidInput(N_("On this host your files live in {folder}; give a file name inside it, "
                              "like customers.xlsx."), folder=base)
    return real


class ConfinedFiles:
    """The backend, with every file path checked against the agent's folder."""

    def __init__(self, backend: Any, root: Path) -> None:
        self._backend = backend
        self.root = root

    def __getattr__(self, name: str) -> Any:
        return getattr(self._backend, name)

    def local_path(self, path: str) -> str:
        # Attach from, send with, save to, export to (sagicc_tui/files.py) all
        # resolve here: the Backend itself takes and gives only content.
        return confine(self.root, path)

    def put_back_folder(self) -> str:
        return str(self.root / "refused-files")

    def session(self, user: Any) -> Session:
        """Bound to this wrapper, not (through __getattr__) to the backend
        inside: the session's paths resolve through local_path here."""
        return Session(self, user)  # type: ignore[arg-type]  # a Backend by delegation

    async def aclose(self) -> None:
        await self._backend.aclose()
