"""The TUI and headless verbs on a host with `sagicc serve --socket`.

A client connects to the Unix socket and sends no token: the server takes
its OS account from the kernel (server/peercred.py). The socket is found at
$SAGICC_SOCKET, else /run/sagicc/sagicc.sock (systemd's RuntimeDirectory);
`--server`, `--db` and their variables still choose another place.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import stat

from sagicc_tui.domain.errors import InvalidInput, PermissionDenied
from sagicc_tui.domain.messages import N_
from sagicc_tui.shared_host.identity import check_requested

ENV = "SAGICC_SOCKET"
DEFAULT_SOCKET = "/run/sagicc/sagicc.sock"
#: Requests need a URL; over a Unix socket its host is never looked up.
BASE_URL = "http://sagicc-socket"


def socket_for(args: argparse.Namespace) -> str | None:
    """The server socket this command should use; None: not on a shared host
    (or another place was asked for)."""
    if getattr(args, "server", None) or os.environ.get("SAGICC_SERVER"):
        return None
    if getattr(args, "db", None) or os.environ.get("SAGICC_DB"):
        return None
    path = os.environ.get(ENV)
    if path:
        if not _is_socket(path):
            raise InvalidInput(N_("There is no sagicc server socket at {path} (SAGICC_SOCKET); start "
                                  "`sagicc serve --socket {path}` or unset the variable."), path=path)
        return path
    return DEFAULT_SOCKET if _is_socket(DEFAULT_SOCKET) else None


def _is_socket(path: str) -> bool:
    try:
        return stat.S_ISSOCK(os.stat(path).st_mode)
    except OSError:
        return False


def _transport(path: str, *, keepalive: bool):
    import httpx

    # Headless verbs run each call in its own event loop: a kept-alive
    # connection would belong to a loop that is gone.
    limits = httpx.Limits() if keepalive else httpx.Limits(max_keepalive_connections=0)
    return httpx.AsyncHTTPTransport(uds=path, limits=limits)


async def _open(path: str, cli_user: str | None, *, keepalive: bool, outbox=None):
    from sagicc_tui.remote.backend import RemoteBackend

    if not os.access(path, os.R_OK | os.W_OK):  # connecting needs write permission on the socket
        raise PermissionDenied(N_("Your account may not connect to the sagicc server at {path}; ask an "
                                  "administrator to add it to the socket's group."), path=path)
    backend = await RemoteBackend.open(BASE_URL, "", transport=_transport(path, keepalive=keepalive), outbox=outbox)
    try:
        assert backend.me is not None
        check_requested(backend.me.username, cli_user)
    except BaseException:
        await backend.aclose()
        raise
    return backend


class SocketSession:
    """The TUI's session on the socket: the server names the user when it opens."""

    settings_path = None  # the OS account's own settings file

    def __init__(self, path: str, cli_user: str | None) -> None:
        self.path = path
        self.cli_user = cli_user
        self.username: str | None = None
        self.on_user = None  # the CLI points it at the app

    async def open_backend(self):
        from sagicc_tui.remote.outbox import Outbox, outbox_path

        backend = await _open(self.path, self.cli_user, keepalive=True,
                              outbox=Outbox(outbox_path("unix:" + self.path)))
        self.username = backend.me.username
        if self.on_user is not None:
            self.on_user(self.username)
        return backend


def session(path: str, args: argparse.Namespace) -> SocketSession:
    return SocketSession(path, getattr(args, "user", None))


def headless(path: str, args: argparse.Namespace):
    backend = asyncio.run(_open(path, getattr(args, "user", None), keepalive=False))
    return backend, backend.me
