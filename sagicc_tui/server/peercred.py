"""`sagicc serve --socket PATH`: who is calling is the kernel's answer, not the client's.

On a host where agents have their own OS accounts, the server listens on a
Unix socket (mode 0660, for a group). For each connection the kernel tells
the OS account of the process that connected (SO_PEERCRED, read once when
the connection is made); that account is mapped to a sagicc user
(`sagicc users add ana --os-user ana`). No tokens: nothing the client sends
(an Authorization header, a user name) can change who it is.

How the account reaches a request: uvicorn makes one protocol object per
connection; ours reads the peer's credentials in `connection_made` and hands
the app a wrapper that puts them into each request's ASGI scope under
`extensions["sagicc.peer"]`. Only this socket's protocol sets it, so a TCP
client can never carry one.
"""

from __future__ import annotations

import grp
import os
import pwd
import socket
import stat
import struct
from dataclasses import dataclass
from typing import Any

from sagicc_tui.domain.errors import InvalidInput, PermissionDenied
from sagicc_tui.domain.messages import N_

SCOPE_KEY = "sagicc.peer"
SOCKET_MODE = 0o660


@dataclass(frozen=True, slots=True)
class Peer:
    pid: int
    uid: int
    gid: int

    @property
    def os_user(self) -> str | None:
        try:
            return pwd.getpwuid(self.uid).pw_name
        except KeyError:
            return None  # a uid with no account (a container's, a deleted user's)


def peer_of_socket(sock: socket.socket) -> Peer:
    pid, uid, gid = struct.unpack("3i", sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED,
                                                        struct.calcsize("3i")))
    return Peer(pid, uid, gid)


def peer_of(scope: Any) -> Peer | None:
    """The connection's peer for a request that came through the socket; None over TCP."""
    return (scope.get("extensions") or {}).get(SCOPE_KEY)


def signed_in(store, peer: Peer):
    """(token id, user) for the peer's OS account; raises PermissionDenied with
    the sentence that tells an administrator what to do."""
    from sagicc_tui.local_store import os_users

    name = peer.os_user
    found = os_users.signed_in(store, name) if name is not None else None
    if found is None:
        raise PermissionDenied(N_("Your account {os_user} on this host is not a sagicc user; ask an "
                                  "administrator to run `sagicc users add NAME --role ROLE --os-user {os_user}`."),
                               os_user=name or str(peer.uid))
    return found


class _WithPeer:
    """The app, seen from one connection: every request carries its peer."""

    def __init__(self, app, peer: Peer) -> None:
        self.app = app
        self.peer = peer

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] in ("http", "websocket"):
            scope = {**scope, "extensions": {**(scope.get("extensions") or {}), SCOPE_KEY: self.peer}}
        await self.app(scope, receive, send)


def protocol_class():
    """uvicorn's HTTP protocol, reading the peer's credentials per connection."""
    from uvicorn.protocols.http.auto import AutoHTTPProtocol

    class PeerCredProtocol(AutoHTTPProtocol):  # type: ignore[misc, valid-type]
        def connection_made(self, transport) -> None:
            sock = transport.get_extra_info("socket")
            try:
                peer = peer_of_socket(sock)
            except (OSError, AttributeError):
                transport.close()  # no credentials, no service
                return
            self.app = _WithPeer(self.config.loaded_app, peer)
            super().connection_made(transport)

    return PeerCredProtocol


def listening_socket(path: str, group: str | None = None) -> socket.socket:
    """The socket file, 0660 from the start (never briefly open to all), owned
    by `group` when given; a stale file from a stopped server is replaced."""
    gid = None
    if group is not None:
        try:
            gid = grp.getgrnam(group).gr_gid
        except KeyError:
            raise InvalidInput(N_("There is no group {group} on this host; create it (groupadd {group}) "
                                  "or pass another --socket-group."), group=group) from None
    _remove_stale(path)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    old = os.umask(0o777 & ~SOCKET_MODE)
    try:
        sock.bind(path)
    except OSError:
        sock.close()
        raise
    finally:
        os.umask(old)
    if gid is not None:
        os.chown(path, -1, gid)
    os.chmod(path, SOCKET_MODE)
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def _remove_stale(path: str) -> None:
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return
    if not stat.S_ISSOCK(st.st_mode):
        raise InvalidInput(N_("{path} exists and is not a socket; remove it or choose another --socket path."),
                           path=path)
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        probe.connect(path)
    except OSError:
        os.unlink(path)  # nobody listens: left over from a stopped server
        return
    finally:
        probe.close()
    raise InvalidInput(N_("A sagicc server already listens on {path}; stop it first or choose another --socket path."),
                       path=path)

