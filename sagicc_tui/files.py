"""Files on this machine: reading one to attach, writing one downloaded or
exported.

The Backend takes and gives bytes (a server needs no files for them); the UI
and the CLI read and write the user's files here, so a file attached, saved
or exported behaves the same whichever store is behind them: the same
sanitised names, never an existing file replaced unasked, nothing half
written. Imports no ORM.
"""

from __future__ import annotations

import asyncio
import contextlib
import mimetypes
import os
import re
import unicodedata
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from sagicc_tui.domain.errors import InvalidInput
from sagicc_tui.domain.ingest import MAX_INCOMING_BYTES
from sagicc_tui.domain.messages import N_
from sagicc_tui.domain.models import AttachmentContent
from sagicc_tui.domain.ticket_screen import MAX_ATTACHMENT_BYTES
from sagicc_tui.private_files import open_private, part_path, private_dir, remove_stale_parts, write_private

if TYPE_CHECKING:
    from collections.abc import Callable

    from sagicc_tui.domain.customers import ExportResult
    from sagicc_tui.domain.models import Attachment, Interaction
    from sagicc_tui.domain.ticket_screen import OutgoingMessage
    from sagicc_tui.session import Session


def read_file(path: str | os.PathLike[str]) -> AttachmentContent:
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
    return local_file(p.name, data, shown)  # checked again: it may have grown while we looked


def read_files(paths: Iterable[str | os.PathLike[str]]) -> tuple[AttachmentContent, ...]:
    """The files to send with a message: all or none, the first bad one refuses the lot."""
    return tuple(read_file(p) for p in paths)


def read_incoming(paths: Iterable[str]) -> tuple[AttachmentContent, ...]:
    """The files named on a line of `sagicc ingest`, read on this machine."""
    files = []
    for p in paths:
        path = Path(p).expanduser()
        try:
            if path.stat().st_size > MAX_INCOMING_BYTES:
                raise InvalidInput(N_("The attachment {path} is larger than 25 MB; send a smaller file."), path=p)
            files.append(AttachmentContent(name=path.name, mime=_mime(path.name), data=path.read_bytes()))
        except OSError as e:
            raise InvalidInput(N_("Cannot read the attachment {path}: {reason}."), path=p,
                               reason=e.strerror or e) from None
    return tuple(files)


def _mime(name: str) -> str:
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


def local_file(name: str, data: bytes, shown: str | None = None) -> AttachmentContent:
    """Content to attach under `name` (made safe); refuses over 10 MB.
    `shown`: how the user named it (their path), for the sentence."""
    if len(data) > MAX_ATTACHMENT_BYTES:
        raise InvalidInput(
            N_("The file {path} is {size} MB; attachments can be at most 10 MB each. Send a smaller file."),
            path=shown or name, size=f"{len(data) / (1024 * 1024):.1f}",
        )
    name = safe_file_name(name)
    return AttachmentContent(name=name, mime=_mime(name), data=data)


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
        raise _cannot_write(dest, e) from None
    return dest


def _cannot_write(path: Path, e: OSError) -> InvalidInput:
    return InvalidInput(N_("Cannot write {path}: {reason}."), path=str(path), reason=e.strerror or e)


# --- the Backend's files, to and from this machine's disk ------------------------------------


async def attach_file(session: Session, ticket_id: int, path: str) -> Attachment:
    """T13 Add: the file at `path` (at most 10 MB), attached under its own name."""
    f = await asyncio.to_thread(read_file, session.local_path(path))
    return await session.tickets.add_attachment(ticket_id, f.name, f.data)


async def send_with_files(session: Session, ticket_id: int, message: OutgoingMessage,
                          paths: Iterable[str] = ()) -> Interaction:
    """T9 Send with the files at `paths` (each at most 10 MB, all or none),
    read on this machine and sent as their content."""
    where = [session.local_path(p) for p in paths]
    files = await asyncio.to_thread(read_files, where) if where else ()
    return await session.tickets.send_message(ticket_id, message, files)


def put_back(folder: str | os.PathLike[str], files: Iterable[AttachmentContent]) -> list[str]:
    """Write `files` into `folder` (made 0700), one name each (a repeated name
    gets " (2)"; ";" separates the composer's paths, so it is replaced), and
    return their paths. Written again over what a first attempt left there."""
    where = Path(folder).expanduser()
    try:
        private_dir(where)
    except OSError as e:
        raise _cannot_write(where, e) from None
    paths: list[str] = []
    taken: set[str] = set()
    for f in files:
        name = safe_file_name(f.name).replace(";", "_")
        stem, dot, ext = name.rpartition(".")
        stem, dot, ext = (stem, dot, ext) if dot and stem else (name, "", "")
        n = 1
        while name in taken:
            n += 1
            name = f"{stem} ({n}){dot}{ext}"
        taken.add(name)
        paths.append(str(write_download(name, f.data, where / name, overwrite=True)))
    return paths


async def put_back_files(session: Session, refused_id: str, files: Iterable[AttachmentContent]) -> str:
    """A refused message's files (RefusedWrite.files), back on this machine for
    its composer: the composer's files field, their paths joined by "; "."""
    folder = Path(session.put_back_folder()) / safe_file_name(refused_id)
    return "; ".join(await asyncio.to_thread(put_back, folder, tuple(files)))


async def save_attachment_to(session: Session, attachment_id: int, target: str, *,
                             overwrite: bool = False) -> str:
    """T13 Download: to a folder (the name made safe) or a new file's path;
    returns the path written."""
    where = session.local_path(target)
    content = await session.tickets.read_attachment(attachment_id)
    return str(await asyncio.to_thread(write_download, content.name, content.data, where, overwrite))


async def export_to_file(session: Session, path: str, fmt: str = "xlsx",
                         progress: Callable[[int, int], None] | None = None) -> ExportResult:
    """C3 to `path`: streamed into a private part file beside it, renamed into
    place only when complete (all or nothing; an existing file is replaced, as
    a spreadsheet program's Save As does after asking)."""
    import dataclasses
    import time

    started = time.monotonic()
    target = Path(session.local_path(path)).expanduser().absolute()
    if target.is_dir():
        raise _unwritable(target, N_("it is a folder"))
    try:
        # Before the store's work: a folder we cannot write to is said at once.
        remove_stale_parts(target)  # left by an export that was killed
        tmp = part_path(target)
        fh = open_private(tmp, exclusive=True)  # 0600: the whole customer base
    except OSError as e:
        raise _unwritable(target, e) from None
    try:
        with fh:
            export = await session.customers.export_customers(fmt, progress)
            async with contextlib.aclosing(export.chunks) as chunks:
                async for block in chunks:
                    await asyncio.to_thread(fh.write, block)
        os.replace(tmp, target)
    except OSError as e:
        tmp.unlink(missing_ok=True)
        raise _unwritable(target, e) from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return dataclasses.replace(export.result, path=str(target), seconds=time.monotonic() - started)


def _unwritable(path: Path, reason: object) -> InvalidInput:
    if isinstance(reason, OSError):
        reason = (reason.strerror or str(reason)).lower()
    return InvalidInput(N_("Cannot write the export to {path}: {reason}; choose another file or folder."),
                        path=str(path), reason=reason)
