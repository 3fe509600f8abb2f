"""T13 Attachments: list, add from disk, remove, save (download) to disk.

Contents are stored once by SHA-256 under the store's blob dir
(`ingest.store_blob`); the row keeps the name, size and type. A file is read
from disk before the write transaction starts, so a slow disk never holds the
store's write lock.

Names come from customers (an e-mail attachment called "../../.bashrc"), so
saving to a folder always goes through `safe_file_name`.
"""

from __future__ import annotations

import mimetypes
import os
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection, delete, insert, select

from sagicc_tui.domain.enums import ChangeKind, EntityKind
from sagicc_tui.domain.errors import InvalidInput, NotFound, RuleViolation
from sagicc_tui.domain.messages import N_
from sagicc_tui.domain.models import Attachment, AttachmentRef, User
from sagicc_tui.domain.ticket_screen import MAX_ATTACHMENT_BYTES
from sagicc_tui.local_store import schema
from sagicc_tui.local_store import tickets as reads
from sagicc_tui.local_store.convert import from_epoch
from sagicc_tui.local_store.core import LogLine, Store
from sagicc_tui.local_store.ingest import store_blob
from sagicc_tui.local_store.ticket_actions import refuse_closed

at = schema.AttachmentRow.__table__


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


def blob_path(store: Store, sha256: str) -> Path:
    return store.blob_dir / sha256[:2] / sha256


def _from_row(r) -> Attachment:
    return Attachment(id=r.id, ticket_id=r.ticket_id, interaction_id=r.interaction_id, name=r.name,
                      size=r.size, mime=r.mime, sha256=r.sha256, created_at=from_epoch(r.created_at))


def list_for_ticket(store: Store, conn: Connection, user: User, ticket_id: int) -> list[Attachment]:
    """The ticket's files: those customers sent, those sent from Sagicc, those
    uploaded by hand; oldest first."""
    reads.get(store, conn, user, ticket_id=ticket_id)
    rows = conn.execute(select(at).where(at.c.ticket_id == ticket_id).order_by(at.c.id))
    return [_from_row(r) for r in rows]


def refs_for(conn: Connection, interaction_ids: list[int]) -> dict[int, tuple[AttachmentRef, ...]]:
    """The attachments of a page of interactions, in one query."""
    out: dict[int, list[AttachmentRef]] = {}
    if not interaction_ids:
        return {}
    rows = conn.execute(
        select(at.c.id, at.c.interaction_id, at.c.name, at.c.size, at.c.mime)
        .where(at.c.interaction_id.in_(interaction_ids)).order_by(at.c.id)
    )
    for r in rows:
        out.setdefault(r.interaction_id, []).append(AttachmentRef(id=r.id, name=r.name, size=r.size, mime=r.mime))
    return {k: tuple(v) for k, v in out.items()}


def insert_rows(store: Store, conn: Connection, user: User, ticket_id: int, interaction_id: int | None,
                files: list[tuple[LocalFile, str]], now: int) -> list[int]:
    """Attachment rows for files already in the blob store (file, sha256)."""
    ids = []
    for f, digest in files:
        res = conn.execute(insert(at).values(
            ticket_id=ticket_id, interaction_id=interaction_id, name=f.name, size=len(f.data), mime=f.mime,
            sha256=digest, author_id=user.id, created_at=now,
        ))
        ids.append(int(res.inserted_primary_key[0]))
    return ids


def add(store: Store, conn: Connection, user: User, ticket_id: int, f: LocalFile, digest: str) -> Attachment:
    """T13 Add: a file uploaded by hand (not part of any message)."""
    me = store.fresh_user(conn, user)
    ticket = reads.get(store, conn, me, ticket_id=ticket_id)
    refuse_closed(ticket)
    now = store.now()
    (new_id,) = insert_rows(store, conn, me, ticket.id, None, [(f, digest)], now)
    store.log(conn, me, [LogLine(EntityKind.TICKET, ticket.id, ChangeKind.ATTACHMENT_ADDED, "attachment", "", f.name)], at=now)
    return _from_row(conn.execute(select(at).where(at.c.id == new_id)).one())


def store_file(store: Store, f: LocalFile) -> str:
    return store_blob(store, f.data)


def read_and_store(store: Store, paths: tuple[str, ...] | list[str]) -> list[tuple[LocalFile, str]]:
    """Read every file (all or none: the first bad one refuses the lot) and put
    the contents in the blob store; returns (file, sha256) pairs."""
    files = [read_file(p) for p in paths]
    return [(f, store_blob(store, f.data)) for f in files]


def _owned(store: Store, conn: Connection, user: User, attachment_id: int):
    return reads.child_in_scope(
        store, conn, user, at, attachment_id,
        NotFound(N_("There is no attachment with id {id}; refresh the list."), id=attachment_id))


def remove(store: Store, conn: Connection, user: User, attachment_id: int) -> None:
    """T13 Remove: a file uploaded by hand. A file that came with a message
    stays with it: the conversation is a record of what was said."""
    me = store.fresh_user(conn, user)
    row, ticket = _owned(store, conn, me, attachment_id)
    refuse_closed(ticket)
    if row.interaction_id is not None:
        raise RuleViolation(
            N_("{name} came with a message of the conversation and stays with it; only files added by hand can be removed."),
            name=row.name,
        )
    conn.execute(delete(at).where(at.c.id == row.id))
    # The content stays in the blob store: other rows may share it (same hash).
    store.log(conn, me, [LogLine(EntityKind.TICKET, ticket.id, ChangeKind.ATTACHMENT_REMOVED, "attachment", row.name, "")])


def save(store: Store, conn: Connection, user: User, attachment_id: int, target: str | os.PathLike[str],
         overwrite: bool) -> Path:
    """T13 Download: copy the content out to `target`.

    `target` is a folder (the attachment's name, made safe, is used inside
    it) or the full path of the new file. An existing file is refused unless
    `overwrite`. Returns the path written.
    """
    row, _ticket = _owned(store, conn, store.fresh_user(conn, user), attachment_id)
    source = blob_path(store, row.sha256)
    dest = Path(target).expanduser()
    if dest.is_dir():
        dest = dest / safe_file_name(row.name)
    if not dest.parent.is_dir():
        raise InvalidInput(N_("The folder {path} does not exist; choose an existing folder."), path=str(dest.parent))
    if dest.is_dir():
        raise InvalidInput(N_("{path} is a folder; choose a file name."), path=str(dest))
    try:
        data = source.read_bytes()
    except OSError:
        raise NotFound(N_("The content of {name} is missing from the store's files ({path})."),
                       name=row.name, path=str(source)) from None
    try:
        if overwrite:
            tmp = dest.with_name(f".{dest.name}.{os.getpid()}.part")
            tmp.write_bytes(data)
            os.replace(tmp, dest)
        else:
            created = False
            try:
                with open(dest, "xb") as fh:  # "x": never replaces a file, even one created a moment ago
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
