"""`sagicc customers list|export|merge`: headless verbs, refusals as one sentence (P5, C1, C3, C6)."""

from __future__ import annotations

import asyncio
import json
import shutil

import openpyxl
import pytest

from sagicc_tui.domain.customers import AccountInput, ContactInput, CustomerInput
from sagicc_tui.domain.enums import ContactKind, IdType
from tests.factory import make_world
from tests.test_cli import assert_one_sentence, sagicc


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    path = tmp_path_factory.mktemp("cli") / "customers.db"

    async def build():
        w = await make_world(path)
        admin = await w.user("admin")
        await w.incoming("lucia@example.com", "Hola", name="Lucía Gómez")  # customer 1, ticket
        for i, (first, last) in enumerate((("Lucía", "Gómez"), ("Pedro", "Pérez"), ("Lucia", "Gomez"))):
            c = await w.backend.create_customer(admin, CustomerInput(
                id_type=IdType.CC, id_number=f"5200011{i}", first_name=first, last_name=last))
            await w.backend.add_contact(admin, c.id, ContactInput(kind=ContactKind.MOBILE, value=f"300 111 22{i}0"))
            await w.backend.add_account(admin, c.id, AccountInput(number=f"400{i}"))
        await w.incoming("mal@example.com", "hola", name="Mal Ory\x1b[2J")  # customer 5: a hostile name
        await w.backend.aclose()

    asyncio.run(build())
    return path


@pytest.fixture
def own_store(store, tmp_path):
    """A copy of the module's store for a test that changes it: the others keep reading the
    five customers whatever order the workers run them in (xdist's worksteal may run a
    stolen test after a later one of the same module on the same store)."""
    path = tmp_path / "customers.db"
    shutil.copyfile(store, path)
    path.chmod(0o600)
    return path


def run(store, *args):
    return sagicc("--db", str(store), *args)


def test_list_json_search_and_sanitized_text(store):
    proc = run(store, "customers", "list", "--user", "ana", "--json")
    assert proc.returncode == 0, proc.stderr
    rows = json.loads(proc.stdout)
    assert [r["id"] for r in rows] == [5, 4, 3, 2, 1] and rows[1]["id_number"] == "52000112"
    proc = run(store, "--user", "ana", "customers", "list", "--search", "gomez", "--order", "name", "--limit", "2")
    assert proc.returncode == 0 and "2 of 3 customers." in proc.stderr
    assert [line.split()[0] for line in proc.stdout.splitlines()[1:]] == ["4", "1"]
    proc = run(store, "--user", "ana", "customers", "list", "--search", "ory")
    assert "\x1b" not in proc.stdout and "Ory^[[2J" in proc.stdout


def test_agents_cannot_export(store, tmp_path):
    proc = run(store, "--user", "ana", "customers", "export", "--format", "xlsx", "-o", str(tmp_path / "c.xlsx"))
    assert "permission to export the customer base" in assert_one_sentence(proc)
    assert list(tmp_path.iterdir()) == []


def test_admin_exports_xlsx_and_csv_with_progress(store, tmp_path):
    target = tmp_path / "clientes.xlsx"
    proc = run(store, "--user", "admin", "customers", "export", "--format", "xlsx", "-o", str(target))
    assert proc.returncode == 0, proc.stderr
    assert "5/5 customers" in proc.stderr and f"Exported 5 customers (5 contacts, 3 accounts) to {target}" in proc.stderr
    rows = list(openpyxl.load_workbook(target).active.iter_rows(values_only=True))
    assert [r[0] for r in rows[1:]] == [1, 2, 3, 4, 5]
    proc = run(store, "--user", "admin", "customers", "export", "-o", str(tmp_path / "no" / "x.xlsx"))
    assert "Cannot write the export to" in assert_one_sentence(proc)


def test_merge_refusals_are_one_sentence(store):
    assert "may not merge customers" in assert_one_sentence(run(store, "--user", "ana", "customers", "merge", "2", "4"))
    line = assert_one_sentence(run(store, "--user", "sofia", "customers", "merge", "2", "1", "--contacts"))
    assert "a ticket cannot be left without a customer" in line


def test_merge_dry_run_then_merge(own_store):
    store = own_store
    proc = run(store, "--user", "sofia", "customers", "merge", "2", "4", "--contacts", "--dry-run")
    assert proc.returncode == 0 and "A merge cannot be undone." in proc.stdout
    assert "1 contacts move to Lucía Gómez" in proc.stdout and "1 accounts of the other customers" in proc.stdout
    proc = run(store, "--user", "sofia", "customers", "merge", "2", "4", "--contacts", "--json")
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert (result["deleted_ids"], result["contacts_moved"], result["accounts_moved"]) == ([4], 1, 0)
    proc = run(store, "--user", "sofia", "customers", "merge", "2", "1")  # none of the flags: all three
    assert proc.returncode == 0 and "Merged 1 customers into Lucía Gómez (id 2): 1 contacts, 0 accounts and 1 tickets moved." in proc.stdout
