"""The demo store (`sagicc_tui.local_store.demo.build_demo`): deterministic and consistent.

Small builds (600 tickets) so the whole module runs in a few seconds; the
million-ticket timing lives in `python -m bench.demo_bench`.
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter, defaultdict
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from sagicc_tui.domain.enums import (
    ContactKind,
    Priority,
    Role,
    TicketStatus,
    TicketType,
)
from sagicc_tui.domain.errors import InvalidInput
from sagicc_tui.domain.models import TaskInput
from sagicc_tui.domain.rules import sla_breached
from sagicc_tui.domain.taskform import validate_task
from sagicc_tui.local_store import schema
from sagicc_tui.local_store.convert import (
    account_from_row,
    campaign_from_row,
    contact_from_row,
    customer_from_row,
    from_epoch,
    interaction_from_row,
    normalize_contact,
    note_from_row,
    ticket_from_row,
)
from sagicc_tui.local_store.core import Store
from sagicc_tui.local_store.demo import DemoSummary, build_demo
from sagicc_tui.local_store.ticket_actions import summary

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
NOW_TS = int(NOW.timestamp())
N = 600


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[str, DemoSummary]:
    path = str(tmp_path_factory.mktemp("demo") / "demo.db")
    return path, build_demo(path, tickets=N, seed=7, now=NOW)


@pytest.fixture(scope="module")
def db(built):
    conn = sqlite3.connect(built[0], isolation_level=None)  # autocommit: never holds a lock
    conn.row_factory = sqlite3.Row
    yield conn
    conn.close()


def _tables(conn: sqlite3.Connection) -> list[str]:
    return [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]


def _dump(path: str) -> dict[str, list[tuple]]:
    conn = sqlite3.connect(path)
    try:
        out = {}
        for name in _tables(conn):
            cols = [r[1] for r in conn.execute(f'PRAGMA table_info("{name}")')]
            order = ", ".join(f'"{c}"' for c in cols)
            out[name] = conn.execute(f'SELECT * FROM "{name}" ORDER BY {order}').fetchall()
        return out
    finally:
        conn.close()


# --- determinism --------------------------------------------------------------------


def test_same_seed_and_now_give_identical_tables(built, tmp_path) -> None:
    again = str(tmp_path / "again.db")
    build_demo(again, tickets=N, seed=7, now=NOW)
    first, second = _dump(built[0]), _dump(again)
    assert list(first) == list(second)
    for name in first:
        assert first[name] == second[name], f"table {name} differs between two builds"
    assert len(first["ticket"]) == N


def test_another_seed_differs(built, tmp_path) -> None:
    other = str(tmp_path / "other.db")
    build_demo(other, tickets=N, seed=8, now=NOW)
    first, second = _dump(built[0]), _dump(other)
    for name in ("ticket", "interaction", "customer", "contact_info"):
        assert first[name] != second[name], name


# --- counts and shape ---------------------------------------------------------------


def test_summary_counts_match_tables(built, db) -> None:
    s = built[1]
    count = lambda t: db.execute(f"SELECT count(*) FROM {t}").fetchone()[0]  # noqa: E731
    assert s.tickets == count("ticket") == N
    assert s.campaigns == count("campaign") == 3
    assert s.users == count("app_user") >= 18
    assert s.customers == count("customer") == max(50, N // 3)
    assert s.interactions == count("interaction")
    assert s.tasks == count("task")
    assert s.notes == count("note") > 0
    assert N <= s.interactions <= 6 * N
    assert s.elapsed_seconds > 0
    assert db.execute("SELECT value FROM meta WHERE key = 'demo_seed'").fetchone()[0] == "7"
    assert count("change_log") > 0
    assert db.execute("SELECT count(*) FROM change_log WHERE kind = 'created'").fetchone()[0] > 0


def test_every_status_priority_type_and_channel_appears(db) -> None:
    campaigns = {r["id"]: campaign_from_row(r["id"], r["name"], r["config"])
                 for r in db.execute("SELECT * FROM campaign")}
    statuses = Counter(r[0] for r in db.execute("SELECT status FROM ticket"))
    assert set(statuses) == {s.value for s in TicketStatus}
    assert statuses["new"] + statuses["open"] > N / 2  # mostly New/Open
    assert 0.15 * N < statuses["closed"] < 0.35 * N
    assert {r[0] for r in db.execute("SELECT priority FROM ticket")} == {p.value for p in Priority}
    assert {r[0] for r in db.execute("SELECT type FROM ticket")} == {t.value for t in TicketType}
    incoming = {ch.value for c in campaigns.values() for ch in c.incoming_channels}
    assert {r[0] for r in db.execute("SELECT origin_channel FROM ticket")} == incoming
    for r in db.execute("SELECT campaign_id, origin_channel, last_channel FROM ticket"):
        allowed = {ch.value for ch in campaigns[r[0]].incoming_channels}
        assert r[1] in allowed and r[2] in allowed
    assert {r[0] for r in db.execute("SELECT campaign_id FROM ticket")} == set(campaigns)


def test_campaign_configurations_differ(db) -> None:
    cs = [campaign_from_row(r["id"], r["name"], r["config"]) for r in db.execute("SELECT * FROM campaign ORDER BY id")]
    service, sales, support = cs
    assert not service.view_all_tickets and service.mass_close_allowed
    assert sales.view_all_tickets and not sales.mass_close_allowed
    assert support.allow_other_contacts
    assert service.primary_task_field().required and "Solucionado" in service.primary_task_field().choices
    assert {r.priority for r in service.sla_rules} == set(Priority)
    assert "\n" in service.script and service.surveys
    assert all("{customer_name}" in t.body and "{ticket_number}" in t.body for t in service.templates)
    assert len({c.primary_field for c in cs}) == 3


def test_users_roles_and_membership(db) -> None:
    users = db.execute("SELECT * FROM app_user").fetchall()
    roles = Counter(u["role"] for u in users)
    assert set(roles) == {r.value for r in Role}
    assert roles["administrator"] >= 1 and roles["supervisor"] == 3 and roles["agent"] >= 12
    assert any(u["username"] == "admin" for u in users)
    assert all(u["username"].isascii() and u["username"] == u["username"].lower() for u in users)
    assert any(u["status"] == "busy" for u in users)
    members = defaultdict(set)
    for uid, cid in db.execute("SELECT user_id, campaign_id FROM campaign_member"):
        members[uid].add(cid)
    for u in users:
        if u["role"] == "agent":
            assert 1 <= len(members[u["id"]]) <= 2
    # every assignee is an agent who belongs to the ticket's campaign
    role_of = {u["id"]: u["role"] for u in users}
    rows = db.execute("SELECT campaign_id, assignee_id FROM ticket").fetchall()
    unassigned = sum(1 for r in rows if r[1] is None)
    assert 0.25 * N < unassigned < 0.55 * N
    for cid, aid in rows:
        if aid is not None:
            assert role_of[aid] == "agent" and cid in members[aid]


def test_customers_contacts_and_near_duplicates(db) -> None:
    customers = db.execute("SELECT * FROM customer").fetchall()
    assert {c["type"] for c in customers} == {"person", "company"}
    assert {c["id_type"] for c in customers} >= {"cc", "ce", "passport", "nit"}
    assert any(c["status"] == "disabled" for c in customers)
    assert any(c["birth_date"] for c in customers)
    for c in customers:
        if c["birth_date"]:
            date.fromisoformat(c["birth_date"])
    names = " ".join(f"{c['first_name']} {c['last_name']} {c['second_last_name']}" for c in customers)
    assert any(ch in names for ch in "áéíóúñ")
    features = Counter(r[0] for r in db.execute("SELECT feature FROM customer_feature"))
    assert set(features) <= {"VIP", "Moroso", "Nuevo", "Empresarial", "Fidelizado"} and features
    kinds = Counter()
    by_kind: dict[tuple[str, str], set[int]] = defaultdict(set)
    for r in db.execute("SELECT * FROM contact_info"):
        kinds[r["kind"]] += 1
        assert r["normalized"] == normalize_contact(ContactKind(r["kind"]), r["value"])
        by_kind[(r["kind"], r["normalized"])].add(r["customer_id"])
    assert kinds["email"] == kinds["mobile"] == len(customers)
    for r in db.execute("SELECT extra FROM account"):
        assert isinstance(json.loads(r[0]), dict)
    assert db.execute("SELECT count(*) FROM customer_relation").fetchone()[0] >= 3
    # near-duplicates: the same document or the same phone on two customers
    by_doc = defaultdict(list)
    for c in customers:
        by_doc[(c["id_type"], c["id_number"])].append(c["id"])
    same_doc = [ids for ids in by_doc.values() if len(ids) > 1]
    same_phone = [ids for (kind, _), ids in by_kind.items() if kind == "mobile" and len(ids) > 1]
    assert same_doc or same_phone
    assert len(same_doc) + len(same_phone) >= 2


# --- the ticket card fields are consistent with the rows behind them ---------------


def test_ticket_numbers_and_times(db) -> None:
    rows = db.execute("SELECT id, number, created_at, updated_at, closed_at, status, version, "
                      "last_interaction_at FROM ticket ORDER BY id").fetchall()
    numbers = [r["number"] for r in rows]
    assert numbers == list(range(100001, 100001 + N))
    created = [r["created_at"] for r in rows]
    assert created == sorted(created)
    assert NOW_TS - 121 * 86400 <= created[0] and created[-1] < NOW_TS
    for r in rows:
        assert r["version"] == 1
        assert r["created_at"] <= r["last_interaction_at"] <= r["updated_at"] <= NOW_TS
        assert (r["closed_at"] is not None) == (r["status"] == "closed")
        if r["closed_at"] is not None:
            assert r["last_interaction_at"] <= r["closed_at"] <= r["updated_at"]


def test_card_fields_match_interactions(db) -> None:
    by_ticket = defaultdict(list)
    for r in db.execute("SELECT * FROM interaction ORDER BY ticket_id, created_at, id"):
        by_ticket[r["ticket_id"]].append(r)
    unread_tickets = 0
    for t in db.execute("SELECT * FROM ticket"):
        its = by_ticket[t["id"]]
        assert 1 <= len(its) <= 6
        assert its[0]["direction"] == "incoming" and its[0]["created_at"] == t["created_at"]
        last = its[-1]
        assert t["last_summary"] == summary(last["content"])
        assert t["last_interaction_at"] == last["created_at"]
        assert t["last_direction"] == last["direction"]
        incoming = [i for i in its if i["direction"] == "incoming"]
        assert t["last_channel"] == incoming[-1]["channel"]
        outgoing = [i for i in its if i["direction"] == "outgoing"]
        assert t["first_response_at"] == (outgoing[0]["created_at"] if outgoing else None)
        unread = [i for i in incoming if not i["read"]]
        assert t["unread_count"] == len(unread)
        assert t["unread_at"] == (min(i["created_at"] for i in unread) if unread else None)
        assert all(i["read"] for i in outgoing)
        if t["status"] == "closed":
            assert not unread
        unread_tickets += bool(unread)
        for i in its:
            if i["channel"] == "email":
                assert i["subject"]
    assert unread_tickets > 0


def test_tasks_are_valid_and_give_the_outcome(db) -> None:
    campaigns = {r["id"]: campaign_from_row(r["id"], r["name"], r["config"])
                 for r in db.execute("SELECT * FROM campaign")}
    tickets = {t["id"]: t for t in db.execute("SELECT * FROM ticket")}
    tasks = defaultdict(list)
    for k in db.execute("SELECT * FROM task ORDER BY ticket_id, created_at, id"):
        tasks[k["ticket_id"]].append(k)
    assert 0.1 * N < len(tasks) < 0.35 * N
    for tid, ks in tasks.items():
        t = tickets[tid]
        campaign = campaigns[t["campaign_id"]]
        for k in ks:
            values = json.loads(k["values_json"])
            assert validate_task(campaign, TaskInput(values=values)) == values
            assert t["created_at"] <= k["created_at"] <= t["updated_at"]
        assert t["status"] != "new"
        assert t["last_outcome"] == str(json.loads(ks[-1]["values_json"])[campaign.primary_field])
        assert t["next_task_at"] == ks[-1]["next_task_at"]
        for a, b in zip(ks, ks[1:]):
            assert a["next_task_at"] == b["created_at"]  # each task scheduled the next one
        if t["next_task_at"] is not None:
            assert t["next_task_at"] > ks[-1]["created_at"]
    for t in tickets.values():
        if t["id"] not in tasks:
            assert t["last_outcome"] is None and t["next_task_at"] is None


def test_next_task_and_sla_cases_exist(db) -> None:
    campaigns = {r["id"]: campaign_from_row(r["id"], r["name"], r["config"])
                 for r in db.execute("SELECT * FROM campaign")}
    rows = db.execute("SELECT * FROM ticket").fetchall()
    open_rows = [t for t in rows if t["status"] != "closed"]
    scheduled = [t["next_task_at"] for t in open_rows if t["next_task_at"] is not None]
    assert 0.05 * len(open_rows) < len(scheduled) < 0.3 * len(open_rows)
    assert any(NOW_TS < x <= NOW_TS + 600 for x in scheduled), "a next task due within 10 minutes"
    assert any(x < NOW_TS for x in scheduled), "an overdue next task"
    assert any(x > NOW_TS + 600 for x in scheduled), "a next task later on"
    assert all(t["next_task_at"] is None for t in rows if t["status"] == "closed")

    def breached(t) -> bool:
        return sla_breached(campaigns[t["campaign_id"]], Priority(t["priority"]),
                            from_epoch(t["created_at"]), from_epoch(t["first_response_at"]),
                            from_epoch(t["closed_at"]), NOW)

    verdicts = Counter(breached(t) for t in open_rows)
    assert verdicts[True] > 0 and verdicts[False] > 0
    closed_verdicts = Counter(breached(t) for t in rows if t["status"] == "closed")
    assert closed_verdicts[False] > 0


def test_notes_and_relations(db) -> None:
    colors = {r[0] for r in db.execute("SELECT color FROM note")}
    assert len(colors) >= 3
    assert db.execute("SELECT count(*) FROM note n JOIN ticket t ON t.id = n.ticket_id "
                      "WHERE n.created_at < t.created_at").fetchone()[0] == 0


# --- the file is sound and searchable ------------------------------------------------


def test_integrity_foreign_keys_and_settings(db) -> None:
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    indexes = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert {"ix_ticket_created_by_campaign", "ix_ticket_unread_asc_by_campaign",
            "ix_ticket_next_task_closest_by_campaign", "ix_interaction_ticket"} <= indexes
    triggers = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
    assert {"customer_fts_ai", "ticket_fts_ai", "interaction_fts_ai"} <= triggers
    for fts in ("ticket_fts", "customer_fts", "interaction_fts"):
        db.execute(f"INSERT INTO {fts}({fts}) VALUES('integrity-check')")  # raises when out of step


def test_search_index_finds_customers_by_surname(db) -> None:
    found = {r[0] for r in db.execute(
        "SELECT rowid FROM customer_fts WHERE customer_fts MATCH '\"munoz\"*'")}
    expected = {r[0] for r in db.execute(
        "SELECT id FROM customer WHERE last_name IN ('Muñoz', 'Munoz') "
        "OR second_last_name IN ('Muñoz', 'Munoz')")}
    assert expected and expected <= found
    words = {r[0] for r in db.execute(
        "SELECT rowid FROM interaction_fts WHERE interaction_fts MATCH 'factura'")}
    assert words


def test_the_store_reads_back_as_domain_models(built) -> None:
    store = Store(built[0])  # opening runs ensure_schema: the demo store is current
    try:
        with store.read() as conn:
            campaigns = store.campaigns(conn)
            assert [c.name for c in campaigns] == ["Servicio al cliente", "Ventas", "Support EN"]
            users = store.users(conn)
            assert {u.role for u in users} == set(Role)
            for r in conn.execute(select(schema.ticket)):
                ticket_from_row(r)
            for r in conn.execute(select(schema.InteractionRow.__table__)):
                interaction_from_row(r)
            for r in conn.execute(select(schema.CustomerRow.__table__)):
                customer_from_row(r, ())
            for r in conn.execute(select(schema.ContactRow.__table__)):
                contact_from_row(r)
            for r in conn.execute(select(schema.AccountRow.__table__)):
                account_from_row(r)
            for r in conn.execute(select(schema.NoteRow.__table__)):
                note_from_row(r)
    finally:
        store.engine.dispose()


# --- refusal ------------------------------------------------------------------------


def test_refuses_a_store_that_has_data(built, db) -> None:
    before = db.execute("SELECT count(*) FROM ticket").fetchone()[0]
    with pytest.raises(InvalidInput, match="already has data"):
        build_demo(built[0], tickets=10, seed=1, now=NOW)
    assert db.execute("SELECT count(*) FROM ticket").fetchone()[0] == before


def test_refuses_negative_counts(tmp_path) -> None:
    with pytest.raises(InvalidInput):
        build_demo(str(tmp_path / "x.db"), tickets=-1, now=NOW)


def test_builds_into_an_empty_store_the_program_created(tmp_path) -> None:
    path = str(tmp_path / "fresh.db")
    store = Store(path)  # indexes and search triggers already in place
    store.engine.dispose()
    s = build_demo(path, tickets=60, seed=3, now=NOW)
    assert s.tickets == 60
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        for fts in ("ticket_fts", "customer_fts", "interaction_fts"):
            conn.execute(f"INSERT INTO {fts}({fts}) VALUES('integrity-check')")
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        conn.close()
