"""What the server needs of the store it serves, beyond the Backend contract.

Every route calls Backend methods; the server itself also signs callers in
(tokens), keeps Idempotency-Keys, scopes live events and probes health. It
asks those of this small interface, so no server module but the one that
builds the app (serve.py) names the store's implementation; the local store
(local_store/backend.py LocalBackend) implements it. The import-linter
contract "server-through-its-port" (pyproject.toml) keeps it that way.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

from sagicc_tui.backend import Backend
from sagicc_tui.domain.models import User
from sagicc_tui.domain.rules import Scope


@runtime_checkable
class ServedStore(Protocol):
    """A Backend the server can serve. The sync methods run in a worker thread."""

    #: The store handle that the store's own helpers take: Idempotency-Keys
    #: (local_store/idempotency.py, in the change's transaction), the OS
    #: accounts of the Unix socket, the mailbox readers and their locks.
    store: Any

    async def change_token(self) -> int:
        """Moves whenever anyone commits a change (live events poll it)."""
        ...

    def join_writers(self, feed: str | None) -> None:
        """This process writes as a server from now on: one with the server
        processes sharing the live feed ``feed``, or alone (None)."""
        ...

    async def foreign_commits(self) -> dict[str, str]:
        """SQLite: the writers of other groups than this process's, each with
        what it last noted; one that moved committed (local_store/commits.py)."""
        ...

    async def list_ticket_rows(self, user: User, query: Any, *, limit: int = 100, after: Any = None,
                               offset: int = 0) -> Any:
        """list_tickets before the cards are built (rows the list route encodes
        itself, server/encode.py)."""
        ...

    def signed_in(self, token: str) -> tuple[int, User] | None:
        """(token id, user) for a bearer token; None when unknown or revoked."""
        ...

    def ticket_scope_rows(self, ids: list[int]) -> list[tuple[int, int, int | None, str]]:
        """(id, campaign_id, assignee_id, origin_channel) of some tickets: whom a live event may reach."""
        ...

    def user_scope(self, user: User) -> Scope:
        """The tickets a user may see (the scope of their event stream)."""
        ...

    def probe(self) -> None:
        """One trivial read; raises when the store cannot answer (/healthz)."""
        ...

    def event_channel(self) -> tuple[str | None, str]:
        """(PostgreSQL DSN to LISTEN on, or None; a seed naming this store's event channel)."""
        ...


def served(backend: Backend) -> ServedStore:
    """`backend` as the server's store, or TypeError naming what it lacks."""
    if not isinstance(backend, ServedStore):
        raise TypeError(f"{type(backend).__name__} cannot be served: it is not a ServedStore")
    return backend
