"""Every action headless (issue #18.3, P5), on a local store: the verbs of
sagicc_tui/commands/, their --json documents and exit codes, and init/serve on
missing or empty stores. The same verbs on a server: tests/remote/test_team.py."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path

import pytest

from sagicc_tui import cli, i18n
from tests.factory import make_world


@pytest.fixture(autouse=True)
def _isolated(tmp_path, monkeypatch):
    monkeypatch.setenv("SAGICC_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("SAGICC_DATA_DIR", str(tmp_path / "data"))
    for name in ("SAGICC_DB", "SAGICC_SERVER", "SAGICC_TOKEN", "SAGICC_USER"):
        monkeypatch.delenv(name, raising=False)
    before = i18n.get_language()
    yield
    i18n.set_language(before)


@pytest.fixture
def store(tmp_path) -> Path:
    path = tmp_path / "verbs.db"

    async def build():
        w = await make_world(path)
        await w.incoming("lucia@example.com", "Mi factura llegó duplicada", name="Lucía Gómez")
        await w.incoming("pedro@example.com", "¿Y mi pedido?", name="Pedro Pérez")
        await w.incoming("+57 300 111 2233", "Hola", channel=__import__("sagicc_tui.domain.enums", fromlist=["x"])
                         .ChannelType.WHATSAPP, name="Marta")
        await w.aclose()

    asyncio.run(build())
    return path


def run(capsys, *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = cli.main([*args, "--lang", "en"])
    out, err = capsys.readouterr()
    return code, out, err


def doc(capsys, *args: str):
    code, out, err = run(capsys, *args, "--json")
    assert code == 0, err
    return json.loads(out)


def test_tickets_close_assign_note_task_and_merge(store, capsys):
    db = ("--db", str(store))
    cards = doc(capsys, "tickets", "list", *db, "--user", "sofia")
    numbers = sorted(c["number"] for c in cards)
    first, second, third = numbers
    assigned = doc(capsys, "tickets", "assign", str(first), str(second), "--to", "ana", *db, "--user", "sofia")
    assert [r["ok"] for r in assigned] == [True, True] and assigned[0]["result"]["assignee_id"] == 3
    note = doc(capsys, "tickets", "note", str(first), "llamar mañana", "--color", "green", *db, "--user", "ana")
    assert note[0]["result"]["text"] == "llamar mañana"
    task = doc(capsys, "tickets", "task", str(first), "--value", "resultado=Pendiente", "--observations", "x",
               *db, "--user", "ana")
    assert task[0]["ok"] and task[0]["result"]["values"] == {"resultado": "Pendiente"}
    bad = run(capsys, "tickets", "task", str(first), "--value", "resultado=Otro", *db, "--user", "ana")
    assert bad[0] == 1 and bad[2].startswith("sagicc: #") and len(bad[2].splitlines()) == 1
    # An agent may not merge: refused per ticket, exit 1, nothing changed.
    code, out, err = run(capsys, "tickets", "merge", str(first), str(second), *db, "--user", "ana")
    assert code == 1 and "merge" in err
    merged = doc(capsys, "tickets", "merge", str(first), str(second), *db, "--user", "sofia")
    assert merged[0]["ok"]
    code, out, err = run(capsys, "tickets", "close", str(first), str(second), *db, "--user", "ana", "--json")
    closed = json.loads(out)
    assert code == 1  # one of them was refused: the second ended closed by the merge
    assert closed[0]["ok"] is True and closed[1]["ok"] is False and "closed" in closed[1]["error"]
    code, out, err = run(capsys, "tickets", "close", str(first), *db, "--user", "ana")
    assert code == 1 and f"#{first}" in err


def test_reply_and_attachments_and_show_json_includes_files(store, tmp_path, capsys):
    db = ("--db", str(store), "--user", "admin")
    number = min(c["number"] for c in doc(capsys, "tickets", "list", *db))
    paper = tmp_path / "recibo.txt"
    paper.write_text("recibo de pago\n")
    sent = doc(capsys, "tickets", "reply", str(number), "--text", "Ya lo revisamos.", "--subject", "Su caso",
               "--file", str(paper), *db)
    assert sent["direction"] == "outgoing" and sent["channel"] == "email"
    assert [a["name"] for a in sent["attachments"]] == ["recibo.txt"]
    shown = doc(capsys, "tickets", "show", str(number), *db)
    outgoing = [i for i in shown["interactions"] if i["direction"] == "outgoing"]
    assert [a["name"] for a in outgoing[0]["attachments"]] == ["recibo.txt"]
    attached = doc(capsys, "tickets", "attach", str(number), str(paper), *db)
    assert attached[0]["ok"]
    files = doc(capsys, "tickets", "attachments", str(number), *db)
    assert len(files) == 2
    code, out, err = run(capsys, "tickets", "reply", str(number), "--template", "nada", *db)
    assert code == 1 and "no template 'nada'" in err


def test_redistribute_dry_run_changes_nothing(store, capsys):
    db = ("--db", str(store), "--user", "sofia")
    preview = doc(capsys, "tickets", "redistribute", "--query", "--campaign", "1", "--agents", "ana,bruno",
                  "--dry-run", *db)
    assert preview["total"] == 3 and preview["kind"] == "redistribute"
    assert {c["assignee_id"] for c in doc(capsys, "tickets", "list", *db)} == {None}
    result = doc(capsys, "tickets", "redistribute", "--query", "--campaign", "1", "--agents", "ana,bruno",
                 "--seed", "1", *db)
    assert result["done"] == 3
    assert {c["assignee_id"] for c in doc(capsys, "tickets", "list", "--campaign", "1", *db)} <= {3, 4}
    code, out, err = run(capsys, "tickets", "redistribute", *db)
    assert code == 1 and "by number, or pass --query" in err


def test_customers_add_edit_contacts_accounts_disable_delete(store, capsys):
    db = ("--db", str(store), "--user", "sofia")
    made = doc(capsys, "customers", "add", "--id-type", "cc", "--id-number", "52123456", "--first-name", "Rosa",
               "--last-name", "Díaz", "--email", "rosa@example.com", *db)
    cid = str(made["id"])
    edited = doc(capsys, "customers", "edit", cid, "--last-name", "Díaz Mora", *db)
    assert edited["last_name"] == "Díaz Mora" and edited["first_name"] == "Rosa"
    contacts = doc(capsys, "customers", "contacts", cid, "--add", "phone:3001234567", *db)
    assert sorted(c["kind"] for c in contacts) == ["email", "phone"]
    accounts = doc(capsys, "customers", "accounts", cid, "--add", "AH-1", "--name", "Ahorros", *db)
    assert [a["number"] for a in accounts] == ["AH-1"]
    dup = run(capsys, "customers", "add", "--id-type", "cc", "--id-number", "52123456", "--first-name", "Otra", *db)
    assert dup[0] == 1
    assert doc(capsys, "customers", "disable", cid, *db)["status"] == "disabled"
    assert doc(capsys, "customers", "enable", cid, *db)["status"] == "active"
    code, out, err = run(capsys, "customers", "delete", cid, *db, "--user", "ana")
    assert code == 1 and "may not" in err  # agents may not delete
    assert doc(capsys, "customers", "delete", cid, *db) == {"deleted": int(cid)}


def test_customers_list_limit_is_bounded(store, capsys, monkeypatch):
    from sagicc_tui.commands import customers

    monkeypatch.setattr(customers, "MAX_LIST", 2)
    rows = doc(capsys, "customers", "list", "--limit", "100000", "--db", str(store), "--user", "ana")
    assert len(rows) == 2


def test_local_admin_verbs_check_the_acting_user(store, capsys):
    db = ("--db", str(store))
    code, out, err = run(capsys, "users", "add", "x", "--role", "administrator", *db, "--user", "ana")
    assert code == 1 and "Only administrators" in err and out == ""
    added = doc(capsys, "users", "add", "x.y", "--role", "agent", "--campaign", "2", *db, "--user", "admin")
    assert added["user"]["campaign_ids"] == [2] and added["token"].startswith("sgc_")
    edited = doc(capsys, "users", "edit", "x.y", "--campaigns", "1,2", "--language", "es", *db, "--user", "admin")
    assert edited["campaign_ids"] == [1, 2] and edited["language"] == "es"
    assert doc(capsys, "users", "disable", "x.y", *db, "--user", "admin")["active"] is False
    code, out, err = run(capsys, "campaigns", "sla", "1", "low", "--first-response", "-1", "--resolution", "4",
                         *db, "--user", "admin")
    assert code == 1 and "more than zero" in err and len(err.splitlines()) == 1
    code, out, err = run(capsys, "campaigns", "show", "2", *db, "--user", "ana")
    assert code == 1 and "no campaign with id 2" in err


def test_missing_or_empty_stores_say_to_run_init(tmp_path, capsys):
    missing = tmp_path / "nada.db"
    for verb in (("tickets", "list"), ("customers", "list"), ("users",), ("serve",)):
        code, out, err = run(capsys, *verb, "--db", str(missing), "--user", "admin")
        assert code == 1 and "sagicc init" in err, (verb, err)
        assert not missing.exists()
    empty = tmp_path / "empty.db"
    sqlite3.connect(empty).close()
    code, out, err = run(capsys, "tickets", "list", "--db", str(empty), "--user", "admin")
    assert code == 1 and "no users yet" in err and "sagicc init" in err
    code, out, err = run(capsys, "init", "--db", str(empty), "--admin", "olga", "--json")
    made = json.loads(out)
    assert code == 0 and made["admin"]["role"] == "administrator" and made["token"].startswith("sgc_")
    assert made["campaign"]["task_fields"] and made["campaign"]["name"] == "General"
    code, out, err = run(capsys, "users", "--db", str(empty))
    assert code == 0 and out.startswith("olga")


def test_json_documents_are_the_apis_own(store, capsys):
    """#17.6: --json is written by the API's serializer (remote/wire.py), so a
    script reads the same document from `sagicc tickets show` as from /api/v1."""
    from sagicc_tui.domain.models import Interaction, Ticket
    from sagicc_tui.local_store.backend import LocalBackend
    from sagicc_tui.remote import wire

    db = ("--db", str(store), "--user", "admin")
    number = min(c["number"] for c in doc(capsys, "tickets", "list", *db))
    shown = doc(capsys, "tickets", "show", str(number), *db)

    async def read():
        b = LocalBackend(store)
        try:
            admin = next(u for u in await b.list_users() if u.username == "admin")
            t = await b.get_ticket_by_number(admin, number)
            out, after = [], None
            while True:  # the whole conversation, as `tickets show` reads it
                page = await b.conversation(admin, t.id, after_key=after)
                out += [item.interaction for item in page.items]
                if page.next_key is None:
                    return t, out
                after = page.next_key
        finally:
            await b.aclose()

    ticket, interactions = asyncio.run(read())
    assert shown["ticket"] == wire.dump(Ticket, ticket)
    assert shown["ticket"]["created_at"].endswith("Z")  # UTC, as the API writes it
    assert shown["interactions"] == wire.dump(list[Interaction], interactions)


def test_campaigns_edit_sets_the_country_its_phones_are_read_in(store, capsys):
    """#15.9 headless: `campaigns edit --country`, validated by the store (one
    sentence, nothing changed), shown by `campaigns show`."""
    db = ("--db", str(store), "--user", "admin")
    before = doc(capsys, "campaigns", "show", "1", *db)
    assert before["country"] == "CO"
    edited = doc(capsys, "campaigns", "edit", "1", "--country", "mx", *db)
    assert edited["country"] == "MX" and edited["version"] == before["version"] + 1
    code, out, err = run(capsys, "campaigns", "show", "1", *db)
    assert code == 0 and "country: MX" in out
    code, out, err = run(capsys, "campaigns", "edit", "1", "--country", "XX", *db)
    assert code == 1 and "XX is not a country" in err and len(err.splitlines()) == 1 and "Traceback" not in err
    assert doc(capsys, "campaigns", "show", "1", *db)["country"] == "MX"
