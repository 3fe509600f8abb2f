"""How the TUI opens a local store: the first screen at once, the ORM in the background.

`backend_opener(db)` is the async factory SagiccApp is given (`open_backend`).
For a SQLite file whose version this program reads, it returns an
OpeningBackend (opening.py) at once -- the first screen's reads go through
the lean reader while LocalBackend is built in a thread. Anything else (a
PostgreSQL URL, a store to upgrade or to refuse) is opened as before, the
whole backend first, so its sentence comes where the TUI says it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from sagicc_tui.backend import Backend
from sagicc_tui.local_store.first_page import FirstPageReader
from sagicc_tui.local_store.opening import OpeningBackend


def sqlite_path(db: str) -> str | None:
    """The file of a SQLite store given as a path or a sqlite:/// URL; None for other URLs."""
    if db.startswith("sqlite:///") and len(db) > len("sqlite:///"):
        return db[len("sqlite:///"):]
    return None if "://" in db else db


def open_reader(db: str) -> FirstPageReader | None:
    """The lean reader of an initialised SQLite file store of this version, else None."""
    path = sqlite_path(db)
    reader = FirstPageReader.open(path) if path is not None else None
    if reader is not None and not reader.has_users():
        reader.close()
        return None
    return reader


def backend_opener(db: str, reader: FirstPageReader | None = None) -> Callable[[], Awaitable[Backend]]:
    """`reader`: from open_reader, when the caller has opened it already."""
    def load() -> Backend:
        # The ORM import and the schema check, in a worker thread.
        from sagicc_tui.local_store.backend import LocalBackend

        return LocalBackend(db)

    async def open_backend() -> Backend:
        lean = reader or await asyncio.to_thread(open_reader, db)
        if lean is not None:
            return OpeningBackend(lean, load)
        return await asyncio.to_thread(load)

    return open_backend
