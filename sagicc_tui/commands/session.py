"""Which store a headless verb works on, and as whom (P5).

The same choice as the TUI's (cli._server_for): `--server URL` or
`$SAGICC_SERVER`, else `--db`/`$SAGICC_DB`, else the server of the last
`sagicc login`, else the local store in the data directory. `--db` on the
command line forces a local store; `--db` and `--server` together are refused
rather than one silently winning. On a server the acting user is the token's;
on a local store it is `--user`, `$SAGICC_USER` or the TUI's last user, and
the store checks their role on every call, as the server does.
"""

from __future__ import annotations

import argparse
import asyncio
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from sagicc_tui.i18n import _

if TYPE_CHECKING:
    from sagicc_tui.session import Session as BoundSession

T = TypeVar("T")


class UserError(Exception):
    """A sentence for stderr, exit code 1 (cli.main prints it)."""


@dataclass
class Session:
    backend: Any  # sagicc_tui.backend.Backend
    user: Any  # sagicc_tui.domain.models.User (the acting user)
    where: str  # "the server https://..." or "the store /path": said in messages

    @property
    def acting(self) -> BoundSession:
        """The backend as the acting user: the verbs never pass the user themselves."""
        return self.backend.session(self.user)


def is_url(db: str) -> bool:
    return "://" in db


def server_url(args: argparse.Namespace) -> str | None:
    """The server a verb works on, or None for a local store."""
    cli_db = getattr(args, "db", None)
    cli_server = getattr(args, "server", None)
    if cli_db and cli_server:
        raise UserError(_("Give either --db (a store on this machine) or --server (a shared server), not both."))
    if cli_db:
        return None
    url = cli_server or os.environ.get("SAGICC_SERVER")
    if url:
        return url
    if os.environ.get("SAGICC_DB"):
        return None
    from sagicc_tui.settings import load_settings

    return load_settings().server_url


def local_db(args: argparse.Namespace) -> str:
    from sagicc_tui.paths import resolve_db

    return resolve_db(getattr(args, "db", None))


def no_store(db: str) -> UserError:
    return UserError(_("There is no store at {db}; create one with `sagicc init --db {db} --admin NAME` "
                       "(or a demo with `sagicc demo --db {db}`), or check --db.", db=db))


def empty_store(db: str) -> UserError:
    return UserError(_("The store at {db} has no users yet; run `sagicc init --db {db} --admin NAME` first.", db=db))


def open_local(db: str):
    """The LocalBackend of an existing, initialised store; a sentence otherwise."""
    if not is_url(db) and not Path(db).exists():
        raise no_store(db)
    from sagicc_tui.local_store.backend import LocalBackend

    backend = LocalBackend(db)
    if store_is_empty(backend.store):
        backend.store.engine.dispose()
        raise empty_store(db)
    return backend


def store_is_empty(store) -> bool:
    from sqlalchemy import func, select

    from sagicc_tui.local_store import schema

    with store.read() as conn:
        return not conn.execute(select(func.count()).select_from(schema.UserRow.__table__)).scalar()


def require_initialised(db: str) -> None:
    """For `serve` and the TUI: a missing or empty location says to run init."""
    open_local(db).store.engine.dispose()


async def open_session(args: argparse.Namespace, *, need_user: bool = True) -> Session:
    from sagicc_tui.shared_host import socket_client

    path = socket_client.socket_for(args)  # a shared host's server socket: the host says who
    if path is not None:
        backend = await socket_client._open(path, getattr(args, "user", None), keepalive=True)
        return Session(backend, backend.me, f"the server socket {path}")
    url = server_url(args)
    if url is not None:
        return await _remote(args, url)
    db = local_db(args)
    backend = await asyncio.to_thread(open_local, db)
    user = None
    if need_user:
        try:
            user = await _local_user(backend, args)
        except BaseException:
            await backend.aclose()
            raise
    return Session(backend, user, f"the store {db}")


async def _local_user(backend, args: argparse.Namespace):
    name = getattr(args, "user", None) or os.environ.get("SAGICC_USER")
    if not name:
        from sagicc_tui.settings import load_settings

        name = load_settings().last_user
    if not name:
        raise UserError(_("Say who you are with --user NAME (see `sagicc users`)."))
    return await backend.get_user(name)


async def _remote(args: argparse.Namespace, url: str) -> Session:
    from sagicc_tui.remote.backend import RemoteBackend
    from sagicc_tui.remote.credentials import load_token, normalize_url
    from sagicc_tui.settings import load_settings

    url = normalize_url(url)
    found = await asyncio.to_thread(load_token, url, token_file=load_settings().token_file)
    if found is None:
        raise UserError(_("You are not signed in to {url}; run `sagicc login {url}` first "
                          "(or pass --db PATH to work on a store on this machine).", url=url))
    backend = await RemoteBackend.open(url, found[1])
    wanted = getattr(args, "user", None)
    if wanted and backend.me is not None and wanted != backend.me.username:
        await backend.aclose()
        raise UserError(_("This computer is signed in to {url} as {user}, not {wanted}; "
                          "sign in as {wanted} with `sagicc login {url}`.", url=url, user=backend.me.username,
                          wanted=wanted))
    return Session(backend, backend.me, f"the server {url}")


def run(args: argparse.Namespace, verb: Callable[[Session], Awaitable[T]], *, need_user: bool = True) -> T:
    """Open the session, run the verb on one event loop, close the session."""

    async def main() -> T:
        session = await open_session(args, need_user=need_user)
        try:
            return await verb(session)
        finally:
            await session.backend.aclose()

    return asyncio.run(main())
