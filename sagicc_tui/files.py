"""Files on this machine: reading one to attach, writing one downloaded.

Shared by the local store and the remote backend, so a file attached or saved
behaves the same whichever store is behind the UI. Imports no ORM.
"""

from __future__ import annotations

import mimetypes
import os
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from sagicc_tui.domain.errors import InvalidInput
from sagicc_tui.domain.messages import N_
from sagicc_tui.domain.ticket_screen import MAX_ATTACHMENT_BYTES
from sagicc_tui.private_files import open_private, write_private


@dataclass(frozen=True, slots=True)
class LocalFile:
    """A file read from disk, ready to store: name without directories."""

    name: str
    data: bytes
    mime: str


def read_file(path: str | os.PathLike[str]) -> LocalFile:
    """Read one file to attach; refuses a folder, a missing file and files over 10 MB."""
    p = Path(path).expanduser()
    shown = str(path)
    try:
        if p.is_dir():
            raise InvalidInput(N_("{path} is a folder; choose a file to attach."), path=shown)
        size = p.stat().st_size
        if size > MAX_ATTACHMENT_BYTES:
            raise InvalidInput(
                N_("The file {path} is {size} MB; attachments can be at most 10 MB each. Send a smaller file."),
                path=shown, size=f"{size / (1024 * 1024):.1f}",
            )
        data = p.read_bytes()
    except OSError as e:
        raise InvalidInput(N_("Cannot read the attachment {path}: {reason}."), path=shown,
                           reason=e.strerror or e) from None
    if len(data) > MAX_ATTACHMENT_BYTES:  # grew while we looked
        raise InvalidInput(
            N_("The file {path} is {size} MB; attachments can be at most 10 MB each. Send a smaller file."),
            path=shown, size=f"{len(data) / (1024 * 1024):.1f}",
        )
    name = safe_file_name(p.name)
    return LocalFile(name, data, mimetypes.guess_type(name)[0] or "application/octet-stream")


_UNSAFE = re.compile(r'[<>:"|?*\x00-\x1f\x7f]')
_WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}


def safe_file_name(name: str, fallback: str = "attachment") -> str:
    """A name that is one plain file name on every system.

    Keeps only the last path component (both / and \\ separate), drops
    control, format (bidi) and reserved characters, leading dots (no hidden
    files, no ".."), trailing dots and spaces, Windows device names, and
    keeps it under 200 bytes with its extension.
    """
    name = unicodedata.normalize("NFC", str(name))
    name = re.split(r"[\\/]", name)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Zl", "Zp"))
    name = _UNSAFE.sub("_", name).strip(" .")
    if not name:
        return fallback
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    if stem.split(".")[0].upper() in _WINDOWS_RESERVED:
        name = "_" + name
        stem = "_" + stem
    while len(name.encode("utf-8")) > 200:
        if len(ext) > 20:
            ext = ext[:20]
        stem = stem[:-1]
        name = f"{stem}.{ext}" if ext else stem
    return name or fallback


def write_download(name: str, data: bytes, target: str | os.PathLike[str], overwrite: bool) -> Path:
    """T13 Download: write `data` to `target`, a folder (the name, made safe,
    is used inside it) or the full path of the new file. An existing file is
    refused unless `overwrite`; nothing half-written is left behind."""
    dest = Path(target).expanduser()
    if dest.is_dir():
        dest = dest / safe_file_name(name)
    if not dest.parent.is_dir():
        raise InvalidInput(N_("The folder {path} does not exist; choose an existing folder."), path=str(dest.parent))
    if dest.is_dir():
        raise InvalidInput(N_("{path} is a folder; choose a file name."), path=str(dest))
    try:
        if overwrite:
            write_private(dest, data)
        else:
            created = False
            try:
                # exclusive: never replaces a file, even one created a moment ago; 0600: a customer's file
                with open_private(dest, exclusive=True) as fh:
                    created = True
                    fh.write(data)
            except FileExistsError:
                raise InvalidInput(N_("{path} already exists; choose another name or allow overwriting."),
                                   path=str(dest)) from None
            except OSError:
                if created:
                    dest.unlink(missing_ok=True)  # no half-written file left behind
                raise
    except OSError as e:
        raise InvalidInput(N_("Cannot write {path}: {reason}."), path=str(dest), reason=e.strerror or e) from None
    return dest
