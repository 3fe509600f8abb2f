"""T13 Attachments: list, add, remove, read (download).

Contents are stored once by SHA-256 under the store's blob dir
(`ingest.store_blob`); the row keeps the name, size and type. Contents go to
the blob store before the write transaction starts, so a slow disk never
holds the store's write lock.

Names come from customers (an e-mail attachment called "../../.bashrc"):
whoever writes one to disk goes through `safe_file_name` (files.py).
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Connection, delete, insert, select

from sagicc_tui.domain.enums import ChangeKind, EntityKind
from sagicc_tui.domain.errors import NotFound, RuleViolation
from sagicc_tui.domain.messages import N_
from sagicc_tui.domain.models import Attachment, AttachmentContent, AttachmentRef, User
from sagicc_tui.local_store import schema
from sagicc_tui.local_store import tickets as reads
from sagicc_tui.local_store.convert import from_epoch
from sagicc_tui.local_store.core import LogLine, Store
from sagicc_tui.local_store.ingest import store_blob
from sagicc_tui.local_store.ticket_actions import refuse_closed
from sagicc_tui.files import local_file

at = schema.AttachmentRow.__table__


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
                files: list[tuple[AttachmentContent, str]], now: int) -> list[int]:
    """Attachment rows for files already in the blob store (file, sha256)."""
    ids = []
    for f, digest in files:
        res = conn.execute(insert(at).values(
            ticket_id=ticket_id, interaction_id=interaction_id, name=f.name, size=len(f.data), mime=f.mime,
            sha256=digest, author_id=user.id, created_at=now,
        ))
        ids.append(int(res.inserted_primary_key[0]))
    return ids


def add(store: Store, conn: Connection, user: User, ticket_id: int, f: AttachmentContent, digest: str) -> Attachment:
    """T13 Add: a file uploaded by hand (not part of any message)."""
    me = store.fresh_user(conn, user)
    ticket = reads.get(store, conn, me, ticket_id=ticket_id)
    refuse_closed(ticket)
    now = store.now()
    (new_id,) = insert_rows(store, conn, me, ticket.id, None, [(f, digest)], now)
    store.log(conn, me, [LogLine(EntityKind.TICKET, ticket.id, ChangeKind.ATTACHMENT_ADDED, "attachment", "", f.name)], at=now)
    return _from_row(conn.execute(select(at).where(at.c.id == new_id)).one())


def store_file(store: Store, f: AttachmentContent) -> str:
    return store_blob(store, f.data)


def check_and_store(store: Store, given: tuple[AttachmentContent, ...]) -> list[tuple[AttachmentContent, str]]:
    """Check every file (all or none: the first one over 10 MB refuses the lot),
    name it safely and put its content in the blob store; (file, sha256) pairs."""
    files = [local_file(f.name, f.data) for f in given]
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


def content(store: Store, conn: Connection, user: User, attachment_id: int) -> AttachmentContent:
    """T13 Download: the name and bytes; the caller writes them (files.py)."""
    row, _ticket = _owned(store, conn, store.fresh_user(conn, user), attachment_id)
    source = blob_path(store, row.sha256)
    try:
        data = source.read_bytes()
    except OSError:
        raise NotFound(N_("The content of {name} is missing from the store's files ({path})."),
                       name=row.name, path=str(source)) from None
    return AttachmentContent(name=row.name, mime=row.mime, data=data)
