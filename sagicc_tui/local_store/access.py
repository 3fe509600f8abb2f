"""Who may call the server: bearer tokens, and the answers kept per Idempotency-Key.

A token is shown once, when it is issued; the store keeps only its SHA-256, so
a copy of the store (or its backups) lets nobody in. Revoking marks the row;
it is never reused.
"""

from __future__ import annotations

import dataclasses
import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import delete, insert, select, text, update
from sqlalchemy.exc import IntegrityError

from sagicc_tui.domain.enums import AgentStatus, Role
from sagicc_tui.domain.errors import InvalidInput, NotFound
from sagicc_tui.domain.messages import N_
from sagicc_tui.domain.models import User
from sagicc_tui.local_store import auth_generation, external_links, schema
from sagicc_tui.local_store.convert import user_from_row
from sagicc_tui.local_store.core import Store

tok = schema.ApiTokenRow.__table__
idem = schema.IdempotencyRow.__table__
users = schema.UserRow.__table__
members = schema.CampaignMember.__table__
campaigns = schema.CampaignRow.__table__

TOKEN_PREFIX = "sgc_"
KEEP_ANSWERS = 24 * 3600  # seconds an Idempotency-Key's answer is replayed


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def insert_token(conn, store: Store, token: str, user_id: int | None, label: str) -> None:
    conn.execute(insert(tok).values(token_hash=token_hash(token), user_id=user_id, label=label,
                                    created_at=store.now()))


def issue_token(store: Store, user_id: int | None, label: str = "") -> str:
    """A new token for the user (or, with None, for a channel gateway); returned once."""
    token = new_token()
    with store.write() as conn:
        insert_token(conn, store, token, user_id, label)
    return token


def signed_in(store: Store, token: str) -> tuple[int, User | None] | None:
    """(token id, its active user or None for a gateway) in one short read; None
    for unknown or revoked tokens and for users removed or disabled since."""
    with store.read() as conn:
        return _look_up(conn, token_hash(token))


def _look_up(conn, digest: str) -> tuple[int, User | None] | None:
    row = conn.execute(
        select(tok.c.id.label("token_id"), tok.c.user_id, users)
        .select_from(tok.outerjoin(users, users.c.id == tok.c.user_id))
        .where(tok.c.token_hash == digest, tok.c.revoked_at.is_(None))
    ).first()
    if row is None:
        return None
    if row.user_id is None:
        return row.token_id, None
    if not row.active:
        return None
    camps = tuple(conn.execute(select(members.c.campaign_id).where(members.c.user_id == row.user_id)
                               .order_by(members.c.campaign_id)).scalars())
    return row.token_id, user_from_row(row, camps)


_CHECK = text(f"SELECT m.value, u.status FROM meta AS m, app_user AS u "
              f"WHERE m.key = '{auth_generation.KEY}' AND u.id = :uid")
KEEP_TOKENS = 10_000  # lookups kept per process (one per signed-in terminal)


class TokenCache:
    """signed_in with the lookup kept per process (#16.3): a kept answer costs
    one read of two single rows -- the store's auth_generation counter and the
    user's status -- and is used only while the counter is unchanged, so a
    revoked token, a disabled user or a changed membership is refused or seen
    on the very next request, in every worker process (auth_generation.py)."""

    def __init__(self, max_entries: int = KEEP_TOKENS) -> None:
        self.max_entries = max_entries
        self._kept: dict[str, tuple[str, int, User | None]] = {}
        self.hits = 0

    def signed_in(self, store: Store, token: str) -> tuple[int, User | None] | None:
        digest = token_hash(token)
        kept = self._kept.get(digest)
        with store.read() as conn:
            if kept is not None:
                generation, token_id, user = kept
                if user is None:
                    fresh = auth_generation.read(conn) == generation
                else:
                    row = conn.execute(_CHECK, {"uid": user.id}).first()
                    fresh = row is not None and row[0] == generation
                    if fresh and row[1] != user.status.value:
                        user = dataclasses.replace(user, status=AgentStatus(row[1]))
                        self._kept[digest] = (generation, token_id, user)
                if fresh:
                    self.hits += 1
                    return token_id, user
            # Read before the lookup: a change committed in between leaves the
            # kept answer older than the counter, so it is looked up again.
            generation = auth_generation.read(conn)
            found = _look_up(conn, digest)
        if found is None or generation is None:
            self._kept.pop(digest, None)
            return found
        if len(self._kept) >= self.max_entries and digest not in self._kept:
            self._kept.pop(next(iter(self._kept)))  # the oldest kept
        self._kept[digest] = (generation, *found)
        return found


def revoke_user_tokens(store: Store, username: str) -> int:
    """Revokes every token of the user; returns how many."""
    with store.write() as conn:
        uid = conn.execute(select(users.c.id).where(users.c.username == username)).scalar()
        if uid is None:
            raise NotFound(N_("There is no user {username}; `sagicc users` lists them."), username=username)
        res = conn.execute(update(tok).where(tok.c.user_id == uid, tok.c.revoked_at.is_(None))
                           .values(revoked_at=store.now()))
        # What they shared goes with their access (#10.10).
        external_links.revoke_created_by(store, conn, uid)
        return res.rowcount or 0


def revoke_channel_tokens(store: Store, label: str) -> int:
    with store.write() as conn:
        res = conn.execute(update(tok).where(tok.c.user_id.is_(None), tok.c.label == label,
                                             tok.c.revoked_at.is_(None)).values(revoked_at=store.now()))
        return res.rowcount or 0


def add_user(store: Store, username: str, full_name: str, role: Role, campaign_ids: tuple[int, ...],
             os_user: str | None = None) -> int:
    """A new user (sagicc users add); campaigns default to all of them. `os_user`:
    their account on a shared host (see os_users.py)."""
    from sagicc_tui.local_store.os_users import valid_os_user

    os_user = valid_os_user(os_user) if os_user is not None else None
    username = username.strip()
    if not username or any(ch.isspace() for ch in username):
        raise InvalidInput(N_("A user name needs at least one character and no spaces, like ana.perez."))
    with store.write() as conn:
        if conn.execute(select(users.c.id).where(users.c.username == username)).first():
            raise InvalidInput(N_("There is already a user {username}; choose another name."), username=username)
        known = set(conn.execute(select(campaigns.c.id)).scalars())
        wanted = set(campaign_ids) if campaign_ids else known
        missing = wanted - known
        if missing:
            raise InvalidInput(N_("There is no campaign {id}; the campaigns are {known}."),
                               id=min(missing), known=", ".join(map(str, sorted(known))) or "-")
        if os_user is not None and conn.execute(select(users.c.id).where(users.c.os_user == os_user)).first():
            raise InvalidInput(N_("The OS account {os_user} already belongs to another sagicc user; "
                                  "`sagicc users os-user` shows whose."), os_user=os_user)
        uid = conn.execute(insert(users).values(username=username, full_name=full_name or username,
                                                role=role.value, os_user=os_user)).inserted_primary_key[0]
        for cid in sorted(wanted):
            conn.execute(insert(members).values(user_id=uid, campaign_id=cid))
        return int(uid)


# --- Idempotency-Key ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class KeptAnswer:
    request_hash: str
    status: int
    body: str


def kept_answer(store: Store, token_id: int, key: str) -> KeptAnswer | None:
    with store.read() as conn:
        row = conn.execute(select(idem.c.request_hash, idem.c.status, idem.c.body)
                           .where(idem.c.token_id == token_id, idem.c.key == key)).first()
    return KeptAnswer(row.request_hash, row.status, row.body) if row else None


def keep_answer(store: Store, token_id: int, key: str, request_hash: str, status: int, body: str) -> KeptAnswer:
    """Keep the first answer; when another request with the key finished first,
    its answer wins and is returned."""
    try:
        with store.write() as conn:
            now = store.now()
            # A retry comes within minutes; a day of answers per token is plenty.
            # Pruned by token (the unique index's prefix), so it stays cheap.
            conn.execute(delete(idem).where(idem.c.token_id == token_id, idem.c.created_at < now - KEEP_ANSWERS))
            conn.execute(insert(idem).values(token_id=token_id, key=key, request_hash=request_hash,
                                             status=status, body=body, created_at=now))
    except IntegrityError:
        kept = kept_answer(store, token_id, key)
        if kept is not None:
            return kept
        raise
    return KeptAnswer(request_hash, status, body)
