"""Administration (P3, P4) in the store: users, campaigns and tokens.

Every function takes the acting user and refuses anyone but an active
administrator (domain/rules.py), on the server and on a local store alike.
Every change is validated (domain/admin.py) inside its write transaction and
logged there too, so the entry commits with the change it describes.

Users and campaigns carry a version (a user's in app_user.version, a
campaign's in its JSON configuration); a save names the version it was read
at and is refused if another administrator saved since (compare-and-swap on
the row, the same on SQLite and PostgreSQL).
"""

from __future__ import annotations

import dataclasses
import json

from sqlalchemy import Connection, delete, insert, select, update

from sagicc_tui.domain.admin import (
    UserChanges,
    UserInput,
    check_campaign,
    check_campaign_name,
    check_country,
    check_export,
    check_language,
    check_username,
)
from sagicc_tui.domain.enums import ChangeKind, EntityKind
from sagicc_tui.domain.errors import InvalidInput, NotFound, StaleWrite
from sagicc_tui.domain.messages import N_
from sagicc_tui.domain.models import Campaign, User
from sagicc_tui.domain.rules import Permission, require
from sagicc_tui.local_store import access, schema
from sagicc_tui.local_store.convert import campaign_from_row, campaign_to_config
from sagicc_tui.local_store.core import LogLine, Store

users = schema.UserRow.__table__
members = schema.CampaignMember.__table__
campaigns = schema.CampaignRow.__table__


def _admin(s: Store, conn: Connection, user: User, permission: Permission = Permission.MANAGE_USERS) -> User:
    me = s.fresh_user(conn, user)
    require(me, permission)
    return me


# --- users ----------------------------------------------------------------------------------


def _user_id(conn: Connection, username: str) -> int:
    uid = conn.execute(select(users.c.id).where(users.c.username == username)).scalar()
    if uid is None:
        raise NotFound(N_("There is no user {username}; `sagicc users` lists them."), username=username)
    return int(uid)


def _known_campaigns(conn: Connection, wanted: tuple[int, ...]) -> list[int]:
    known = set(conn.execute(select(campaigns.c.id)).scalars())
    missing = set(wanted) - known
    if missing:
        raise InvalidInput(N_("There is no campaign {id}; the campaigns are {known}."),
                           id=min(missing), known=", ".join(map(str, sorted(known))) or "-")
    return sorted(set(wanted) if wanted else known)


def add_user(s: Store, conn: Connection, user: User | None, data: UserInput) -> User:
    """`user` None only for `sagicc init`, which creates the first administrator."""
    me = _admin(s, conn, user) if user is not None else None
    username = check_username(data.username)
    language = check_language(data.language)
    if conn.execute(select(users.c.id).where(users.c.username == username)).first():
        raise InvalidInput(N_("There is already a user {username}; choose another name."), username=username)
    os_user = None
    if data.os_user is not None:
        from sagicc_tui.local_store.os_users import valid_os_user

        os_user = valid_os_user(data.os_user)
        if conn.execute(select(users.c.id).where(users.c.os_user == os_user)).first():
            raise InvalidInput(N_("The OS account {os_user} already belongs to another sagicc user; "
                                  "`sagicc users os-user` shows whose."), os_user=os_user)
    camps = _known_campaigns(conn, data.campaign_ids)
    full_name = " ".join(data.full_name.split()) or username
    uid = int(conn.execute(insert(users).values(
        username=username, full_name=full_name, role=data.role.value, can_export=data.can_export,
        language=language, os_user=os_user)).inserted_primary_key[0])
    for cid in camps:
        conn.execute(insert(members).values(user_id=uid, campaign_id=cid))
    s.log(conn, me, [LogLine(EntityKind.USER, uid, ChangeKind.CREATED, "role", "", data.role.value),
                     LogLine(EntityKind.USER, uid, ChangeKind.FIELD, "campaigns", "", _ids(camps))])
    created = s.user_by_id(conn, uid)
    assert created is not None
    return created


def _ids(ids) -> str:
    return ",".join(str(i) for i in ids)


def _stale_user(username: str, current: int) -> StaleWrite:
    return StaleWrite(N_("User {username} was changed by another administrator since you opened it "
                         "(version {current}); open it again and redo your change."),
                      username=username, current=current, current_version=current)


def update_user(s: Store, conn: Connection, user: User, username: str, changes: UserChanges,
                expected_version: int) -> User:
    """Saved at the version read (like save_campaign): the version moves with
    every change, and the row's compare-and-swap refuses a save that lost a race."""
    me = _admin(s, conn, user)
    uid = _user_id(conn, username)
    before = s.user_by_id(conn, uid)
    assert before is not None
    if before.version != expected_version:
        raise _stale_user(before.username, before.version)
    values: dict[str, object] = {}
    lines: list[LogLine] = []

    def change(field: str, column: str, old: object, new: object) -> None:
        if old != new:
            values[column] = new
            lines.append(LogLine(EntityKind.USER, uid, ChangeKind.FIELD, field, old, new))

    if changes.full_name is not None:
        name = " ".join(changes.full_name.split())
        if not name:
            raise InvalidInput(N_("A full name needs at least one character."))
        change("full_name", "full_name", before.full_name, name)
    if changes.role is not None:
        change("role", "role", before.role.value, changes.role.value)
    if changes.export is not None:
        change("can_export", "can_export", before.can_export, check_export(changes.export))
    if changes.language is not None:
        change("language", "language", before.language, check_language(changes.language))
    if changes.active is not None:
        if not changes.active and uid == me.id:
            raise InvalidInput(N_("You cannot disable yourself; another administrator can."))
        change("active", "active", before.active, changes.active)
    if uid == me.id and changes.role is not None and changes.role is not before.role:
        raise InvalidInput(N_("You cannot change your own role; another administrator can."))
    wanted: list[int] | None = None
    if changes.campaign_ids is not None:
        wanted = _known_campaigns(conn, changes.campaign_ids) if changes.campaign_ids else []
        if wanted != list(before.campaign_ids):
            lines.append(LogLine(EntityKind.USER, uid, ChangeKind.FIELD, "campaigns",
                                 _ids(before.campaign_ids), _ids(wanted)))
        else:
            wanted = None
    if not lines:
        return before  # nothing changed: the version stays
    done = conn.execute(update(users).where(users.c.id == uid, users.c.version == expected_version)
                        .values(**values, version=expected_version + 1))
    if done.rowcount != 1:  # another process saved between our read and this write
        raise _stale_user(before.username, expected_version + 1)
    if wanted is not None:
        conn.execute(delete(members).where(members.c.user_id == uid))
        for cid in wanted:
            conn.execute(insert(members).values(user_id=uid, campaign_id=cid))
    if changes.active is False:
        # A disabled user is signed out everywhere at once.
        conn.execute(update(access.tok).where(access.tok.c.user_id == uid, access.tok.c.revoked_at.is_(None))
                     .values(revoked_at=s.now()))
    s.log(conn, me, lines)
    after = s.user_by_id(conn, uid)
    assert after is not None
    return after


# --- tokens ---------------------------------------------------------------------------------


def issue_user_token(s: Store, conn: Connection, user: User | None, username: str) -> str:
    me = _admin(s, conn, user) if user is not None else None
    uid = _user_id(conn, username)
    token = access.new_token()
    access.insert_token(conn, s, token, uid, username)
    s.log(conn, me, [LogLine(EntityKind.USER, uid, ChangeKind.FIELD, "token", "", "issued")])
    return token


def revoke_user_tokens(s: Store, conn: Connection, user: User, username: str) -> int:
    me = _admin(s, conn, user)
    uid = _user_id(conn, username)
    res = conn.execute(update(access.tok).where(access.tok.c.user_id == uid, access.tok.c.revoked_at.is_(None))
                       .values(revoked_at=s.now()))
    n = res.rowcount or 0
    s.log(conn, me, [LogLine(EntityKind.USER, uid, ChangeKind.FIELD, "token", f"{n} active", "revoked")])
    return n


def issue_channel_token(s: Store, conn: Connection, user: User, name: str) -> str:
    _admin(s, conn, user)
    name = name.strip()
    if not name or len(name) > 80:
        raise InvalidInput(N_("A gateway needs a name of 1 to 80 characters, like whatsapp-1."))
    token = access.new_token()
    access.insert_token(conn, s, token, None, name)
    return token


def revoke_channel_tokens(s: Store, conn: Connection, user: User, name: str) -> int:
    _admin(s, conn, user)
    res = conn.execute(update(access.tok).where(access.tok.c.user_id.is_(None), access.tok.c.label == name,
                                                access.tok.c.revoked_at.is_(None)).values(revoked_at=s.now()))
    return res.rowcount or 0


# --- campaigns --------------------------------------------------------------------------------


def add_campaign(s: Store, conn: Connection, user: User | None, campaign: Campaign) -> Campaign:
    """`user` None only for `sagicc init`."""
    me = _admin(s, conn, user, Permission.MANAGE_CAMPAIGNS) if user is not None else None
    campaign = dataclasses.replace(campaign, name=check_campaign_name(campaign.name),
                                   country=check_country(campaign.country), version=1)
    check_campaign(campaign)
    if campaign.mailbox is not None:
        _mailbox_unshared(s, conn, campaign)
    if conn.execute(select(campaigns.c.id).where(campaigns.c.name == campaign.name)).first():
        raise InvalidInput(N_("There is already a campaign named {name}; choose another name."), name=campaign.name)
    cid = int(conn.execute(insert(campaigns).values(name=campaign.name, config=campaign_to_config(campaign)))
              .inserted_primary_key[0])
    s.log(conn, me, [LogLine(EntityKind.CAMPAIGN, cid, ChangeKind.CREATED, "name", "", campaign.name)])
    return dataclasses.replace(campaign, id=cid)


#: Campaign fields whose change is logged by name (the rest are identity and bookkeeping).
_LOGGED = ("name", "country", "active", "view_all_tickets", "mass_close_allowed", "allow_other_contacts", "task_fields",
           "primary_field", "incoming_channels", "outgoing_channels", "script", "sla_rules", "templates", "surveys",
           "mailbox")


def _shown(value: object) -> str:
    if isinstance(value, tuple) or dataclasses.is_dataclass(value):
        from sagicc_tui.remote.wire import jsonable

        return json.dumps(jsonable(value), ensure_ascii=False)
    return "" if value is None else str(value.value if hasattr(value, "value") else value)


def save_campaign(s: Store, conn: Connection, user: User, campaign_id: int, campaign: Campaign,
                  expected_version: int) -> Campaign:
    me = _admin(s, conn, user, Permission.MANAGE_CAMPAIGNS)
    row = conn.execute(select(campaigns.c.name, campaigns.c.config).where(campaigns.c.id == campaign_id)).first()
    if row is None:
        raise NotFound(N_("There is no campaign with id {id}."), id=campaign_id)
    before = campaign_from_row(campaign_id, row.name, row.config)
    if before.version != expected_version:
        raise StaleWrite(N_("Campaign {name} was changed by another administrator since you opened it "
                            "(version {current}); open it again and redo your change."),
                         name=before.name, current=before.version, current_version=before.version)
    after = dataclasses.replace(campaign, id=campaign_id, name=check_campaign_name(campaign.name),
                                country=check_country(campaign.country), version=before.version + 1)
    check_campaign(after)
    if after.name != before.name and conn.execute(
            select(campaigns.c.id).where(campaigns.c.name == after.name, campaigns.c.id != campaign_id)).first():
        raise InvalidInput(N_("There is already a campaign named {name}; choose another name."), name=after.name)
    if after.mailbox is not None and after.mailbox != before.mailbox:
        _mailbox_unshared(s, conn, after)
    lines = [LogLine(EntityKind.CAMPAIGN, campaign_id, ChangeKind.FIELD, f, _shown(getattr(before, f)),
                     _shown(getattr(after, f)))
             for f in _LOGGED if getattr(before, f) != getattr(after, f)]
    if not lines:
        return before  # nothing changed: the version stays
    res = conn.execute(update(campaigns).where(campaigns.c.id == campaign_id, campaigns.c.config == row.config)
                       .values(name=after.name, config=campaign_to_config(after)))
    if res.rowcount != 1:  # another process saved between our read and write
        raise StaleWrite(N_("Campaign {name} was changed by another administrator since you opened it "
                            "(version {current}); open it again and redo your change."),
                         name=before.name, current=before.version + 1, current_version=before.version + 1)
    s.log(conn, me, lines)
    return after


def _mailbox_unshared(s: Store, conn: Connection, campaign: Campaign) -> None:
    """One mailbox folder feeds one campaign: two would race for each message."""
    mine = campaign.mailbox
    assert mine is not None
    for other in s.campaigns(conn):
        theirs = other.mailbox
        if other.id != campaign.id and theirs is not None and (theirs.host.lower(), theirs.user, theirs.folder) == \
                (mine.host.lower(), mine.user, mine.folder):
            raise InvalidInput(N_("The mailbox {account} {folder} is already read by campaign {campaign}; give "
                                  "each campaign its own mailbox or folder."), account=mine.account,
                               folder=mine.folder, campaign=other.name)
