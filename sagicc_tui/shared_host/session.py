"""Which shared-host session the TUI opens, if any (see identity.py for the rule)."""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sagicc_tui.shared_host.socket_client import SocketSession


@dataclass
class HostSession:
    """A TUI session whose user the host fixes (socket_client.SocketSession has the same shape)."""

    open_backend: Callable[[], Awaitable[Any]]
    username: str | None  # over SSH: the key's user; on the socket: learnt when the backend opens
    settings_path: Path | None = None  # None: the OS account's own settings file
    on_user: Callable[[str | None], None] | None = None  # the CLI points it at the app


def host_session(args: argparse.Namespace) -> HostSession | SocketSession | None:
    """An SSH key's forced command, or a client of the host's `sagicc serve --socket`; else None."""
    if getattr(args, "verb", None) == "ssh-session":
        from sagicc_tui.shared_host import ssh_session

        return ssh_session.session(args)
    from sagicc_tui.shared_host import socket_client

    path = socket_client.socket_for(args)
    return socket_client.session(path, args) if path is not None else None


def headless(args: argparse.Namespace) -> tuple[Any, Any] | None:
    """(backend, user) for a headless verb on a host with a server socket; else None."""
    from sagicc_tui.shared_host import socket_client

    path = socket_client.socket_for(args)
    return socket_client.headless(path, args) if path is not None else None
