"""Users by their OS account on a shared host (`sagicc serve --socket`).

The server learns a socket client's OS account from the kernel (SO_PEERCRED)
and asks here which sagicc user it is. The mapping is set by an administrator
(`sagicc users add ana --os-user ana`, `sagicc users os-user ana ana`); one
OS account is at most one sagicc user (a unique index).
"""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from sagicc_tui.domain.errors import InvalidInput, NotFound
from sagicc_tui.domain.messages import N_
from sagicc_tui.domain.models import User
from sagicc_tui.local_store import schema
from sagicc_tui.local_store.convert import user_from_row
from sagicc_tui.local_store.core import Store

users = schema.UserRow.__table__
members = schema.CampaignMember.__table__
tok = schema.ApiTokenRow.__table__

#: The label of the token row that stands for a user's socket connections:
#: Idempotency-Key answers are kept per token, so socket clients need one too.
#: Its secret is thrown away at once: nobody can present it.
SOCKET_TOKEN_LABEL = "unix-socket"


def valid_os_user(name: str) -> str:
    name = name.strip()
    # POSIX portable user names; no path or shell characters reach a lookup.
    if not name or len(name) > 32 or not all(ch.isalnum() or ch in "._-" for ch in name) or name[0] == "-":
        raise InvalidInput(N_("{name} is not an OS account name; use the login name, like ana."), name=name)
    return name


def set_os_user(store: Store, actor: User, username: str, os_user: str | None) -> None:
    """Bind the user to an OS account (None: unbind). Administrators only: an
    OS account bound to a user signs in as them, so this is a user's identity;
    the check and the change-log line are in the transaction that writes."""
    from sagicc_tui.domain.enums import ChangeKind, EntityKind
    from sagicc_tui.domain.rules import Permission, require
    from sagicc_tui.local_store.core import LogLine

    os_user = valid_os_user(os_user) if os_user is not None else None
    try:
        with store.write() as conn:
            me = store.fresh_user(conn, actor)
            require(me, Permission.MANAGE_USERS)
            row = conn.execute(select(users.c.id, users.c.os_user).where(users.c.username == username)).first()
            if row is None:
                raise NotFound(N_("There is no user {username}; `sagicc users` lists them."), username=username)
            if row.os_user != os_user:
                conn.execute(update(users).where(users.c.id == row.id).values(os_user=os_user))
                store.log(conn, me, [LogLine(EntityKind.USER, row.id, ChangeKind.FIELD, "os_user",
                                             row.os_user or "", os_user or "")])
    except IntegrityError:
        raise InvalidInput(N_("The OS account {os_user} already belongs to another sagicc user; "
                              "`sagicc users os-user` shows whose."), os_user=os_user) from None


def os_users(store: Store) -> dict[str, str]:
    """username -> OS account, for the users that have one."""
    with store.read() as conn:
        return dict(conn.execute(select(users.c.username, users.c.os_user).where(users.c.os_user.is_not(None))).all())


def signed_in(store: Store, os_user: str) -> tuple[int, User] | None:
    """(the token row standing for the user's socket connections, the user) for
    an OS account; None when no active user has it."""
    with store.read() as conn:
        row = conn.execute(select(users).where(users.c.os_user == os_user)).first()
        if row is None or not row.active:
            return None
        camps = tuple(conn.execute(select(members.c.campaign_id).where(members.c.user_id == row.id)
                                   .order_by(members.c.campaign_id)).scalars())
        token_id = _socket_token(conn, row.id)
    user = user_from_row(row, camps)
    if token_id is None:
        token_id = _new_socket_token(store, row.id)
    return token_id, user


def _socket_token(conn, user_id: int) -> int | None:
    # The oldest live one: when two first connections each added one, both then use the same.
    return conn.execute(select(tok.c.id).where(tok.c.user_id == user_id, tok.c.label == SOCKET_TOKEN_LABEL,
                                               tok.c.revoked_at.is_(None)).order_by(tok.c.id).limit(1)).scalar()


def _new_socket_token(store: Store, user_id: int) -> int:
    unusable = hashlib.sha256(secrets.token_bytes(32)).hexdigest()
    with store.write() as conn:
        conn.execute(insert(tok).values(token_hash=unusable, user_id=user_id, label=SOCKET_TOKEN_LABEL,
                                        created_at=store.now()))
        found = _socket_token(conn, user_id)
    assert found is not None
    return found
