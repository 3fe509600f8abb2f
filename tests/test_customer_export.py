"""C3 export: the files read back equal the store; permissions; all or nothing."""

from __future__ import annotations

import csv
import os
import zipfile

import openpyxl
import pytest
from openpyxl.utils import get_column_letter
from sqlalchemy import update

from sagicc_tui.domain.customers import AccountInput, ContactInput, CustomerInput, CustomerQuery
from sagicc_tui.domain.enums import ChangeKind, ChannelType, ContactKind, CustomerType, EntityKind, IdType
from sagicc_tui.domain.errors import InvalidInput, PermissionDenied
from sagicc_tui.files import export_to_file
from sagicc_tui.local_store import customer_export, schema
from sagicc_tui.local_store.customer_export import COLUMNS, csv_safe


@pytest.fixture
async def base(world, monkeypatch):
    """Two dozen customers of every shape; pages of 4 so paging is exercised."""
    monkeypatch.setattr(customer_export, "PAGE", 4)
    admin = await world.user("admin")
    b = world.backend
    for i in range(20):
        c = await b.create_customer(admin, CustomerInput(
            id_type=IdType.CC, id_number=str(52000100 + i), first_name=f"Nombre{i}", last_name="Ruiz",
            middle_name="María" if i % 3 == 0 else "", features=("VIP",) if i % 4 == 0 else None))
        if i % 2 == 0:
            await b.add_contact(admin, c.id, ContactInput(kind=ContactKind.EMAIL, value=f"n{i}@correo.co"))
        if i % 5 != 4:
            await b.add_contact(admin, c.id, ContactInput(kind=ContactKind.MOBILE, value=f"+57 300 000 {1000 + i}"))
        if i % 7 == 0:
            await b.add_contact(admin, c.id, ContactInput(kind=ContactKind.ADDRESS, value=f"Calle {i} # 2-3, Cali"))
            await b.add_contact(admin, c.id, ContactInput(kind=ContactKind.PHONE, value="(601) 234 5678"))
        for k in range(i % 3):
            await b.add_account(admin, c.id, AccountInput(number=f"40{i:02d}{k}", name="Plan"))
    await b.create_customer(admin, CustomerInput(type=CustomerType.COMPANY, id_type=IdType.NIT,
                                                 id_number="900123456", first_name="=HYPERLINK(\"x\")"))
    await world.incoming("pe\x1bdro@x.com", "hola", name="Pe\x1bdro  ")  # a control character from a channel
    world.sql(update(schema.CustomerRow.__table__).where(schema.CustomerRow.__table__.c.id == 3).values(assigned_user_id=4))
    return world


async def expected_rows(world) -> list[list[str]]:
    """What the export must hold, built through the Backend (not the exporter's SQL)."""
    admin = await world.user("admin")
    b = world.backend
    out = []
    ids = sorted(r.id for r in (await b.list_customers(admin, CustomerQuery(), limit=500)).rows)
    for cid in ids:
        c = await b.get_customer(admin, cid)
        contacts = await b.list_contacts(admin, cid)
        by = {k: [x.value for x in sorted(contacts, key=lambda x: x.id) if x.kind in k]
              for k in ((ContactKind.EMAIL,), (ContactKind.PHONE, ContactKind.MOBILE), (ContactKind.ADDRESS,),
                        (ContactKind.SOCIAL,))}
        accounts = [a.number for a in await b.list_accounts(admin, cid)]
        out.append([
            str(c.id), c.type.value, c.id_type.value, c.id_number, c.first_name, c.middle_name, c.last_name,
            c.second_last_name, c.birth_date.isoformat() if c.birth_date else "", c.status.value,
            c.created_at.strftime("%Y-%m-%d %H:%M"), "bruno" if c.assigned_user_id == 4 else "",
            "; ".join(c.features), *("; ".join(v) for v in by.values()), "; ".join(accounts),
        ])
    return out


@pytest.fixture
def out(tmp_path):
    """Where exports go: a folder of its own (the store sits in tmp_path)."""
    path = tmp_path / "exports"
    path.mkdir()
    return path


def _text(v) -> str:
    return "" if v is None else str(v)


async def test_xlsx_holds_every_customer_contact_and_account(base, out):
    admin = await base.user("admin")
    seen: list[tuple[int, int]] = []
    target = out / "clientes.xlsx"
    result = await export_to_file(base.backend.session(admin), str(target), "xlsx", lambda d, t: seen.append((d, t)))
    expected = await expected_rows(base)
    assert (result.customers, result.path, result.bytes) == (22, str(target), target.stat().st_size)
    contacts = accounts = 0
    for r in expected:
        contacts += len(await base.backend.list_contacts(admin, int(r[0])))
        accounts += len(await base.backend.list_accounts(admin, int(r[0])))
    assert (result.contacts, result.accounts) == (contacts, accounts) and accounts > 10
    assert seen[0] == (0, 22) and seen[-1] == (22, 22) and len(seen) == 1 + 6  # pages of 4
    wb = openpyxl.load_workbook(target)
    ws = wb.active
    rows = [[_text(v) for v in row] for row in ws.iter_rows(values_only=True)]
    assert rows[0] == list(COLUMNS)
    for got, want in zip(rows[1:], expected, strict=True):
        want = [w.replace("\x1b", "\ufffd") for w in want]
        assert got == want
    assert isinstance(ws["A2"].value, int) and ws.freeze_panes == "A2"
    assert ws["A1"].font.bold
    # The sheet states its size: a read-only reader (and tools that trust it) sees every row.
    lazy = openpyxl.load_workbook(target, read_only=True).active
    assert (lazy.max_row, lazy.max_column) == (23, len(COLUMNS))
    with zipfile.ZipFile(target) as z:
        assert f'<dimension ref="A1:{get_column_letter(len(COLUMNS))}23"/>' in z.read("xl/worksheets/sheet1.xml").decode()
    assert os.listdir(out) == ["clientes.xlsx"]  # no temporary file left
    (entry,) = await base.backend.change_log(admin, EntityKind.CUSTOMER, 0)
    assert (entry.kind, entry.field, entry.user_name) == (ChangeKind.EXPORTED, "xlsx", "Ada Admin")
    assert entry.new == "22 customers"  # where the file went is the caller's disk, not the store's


async def test_csv_holds_the_same_and_neutralises_formulas(base, out):
    admin = await base.user("admin")
    target = out / "clientes.csv"
    result = await export_to_file(base.backend.session(admin), str(target), "csv")
    assert result.customers == 22
    with open(target, encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == list(COLUMNS)
    expected = await expected_rows(base)
    for got, want in zip(rows[1:], expected, strict=True):
        assert got == [csv_safe(w) for w in want]
    company = next(r for r in rows if r[2] == "nit")
    assert company[4] == "'=HYPERLINK(\"x\")"
    assert rows[1][14] == "+57 300 000 1000; (601) 234 5678"  # phones are not mangled
    assert target.read_bytes().startswith(b"\xef\xbb\xbf")


def test_csv_safe():
    assert csv_safe("=1+1") == "'=1+1" and csv_safe("@SUM(A1)") == "'@SUM(A1)"
    assert csv_safe("+1+cmd|' /C calc'!A0") == "'+1+cmd|' /C calc'!A0"
    assert csv_safe("-2+3") == "-2+3" and csv_safe("-5") == "-5" and csv_safe("-A1") == "'-A1"
    assert csv_safe("+57 (300) 111-2233") == "+57 (300) 111-2233"
    assert csv_safe("Ana") == "Ana" and csv_safe(42) == 42 and csv_safe("") == ""


@pytest.mark.parametrize("who", ["ana", "sofia"])
async def test_only_the_export_permission_may_export(world, out, who):
    user = await world.user(who)
    target = out / "x.xlsx"
    with pytest.raises(PermissionDenied, match="permission to export the customer base"):
        await export_to_file(world.backend.session(user), str(target), "xlsx")
    assert os.listdir(out) == [p for p in os.listdir(out) if not p.startswith(".x.xlsx")]
    assert not target.exists()


async def test_the_per_user_setting_overrides_the_role(world, out):
    users = schema.UserRow.__table__
    world.sql(update(users).where(users.c.username == "ana").values(can_export=True))
    world.sql(update(users).where(users.c.username == "admin").values(can_export=False))
    ana, admin = await world.user("ana"), await world.user("admin")
    assert (await export_to_file(world.backend.session(ana), str(out / "a.csv"), "csv")).customers == 0
    with pytest.raises(PermissionDenied):
        await export_to_file(world.backend.session(admin), str(out / "b.csv"), "csv")
    # The store decides, not the caller's copy of the user.
    world.sql(update(users).where(users.c.username == "ana").values(can_export=None))
    with pytest.raises(PermissionDenied):
        await export_to_file(world.backend.session(ana), str(out / "c.csv"), "csv")


async def test_an_unwritable_path_leaves_no_file_and_says_why(world, out):
    admin = await world.user("admin")
    await world.incoming("a@x.com", "hola", name="Ana")
    missing = out / "no" / "such" / "dir" / "x.xlsx"
    with pytest.raises(InvalidInput) as err:
        await export_to_file(world.backend.session(admin), str(missing), "xlsx")
    assert str(err.value).startswith(f"Cannot write the export to {missing}: no such file or directory;")
    with pytest.raises(InvalidInput, match="it is a folder"):
        await export_to_file(world.backend.session(admin), str(out), "xlsx")
    with pytest.raises(InvalidInput, match="not an export format; use xlsx or csv"):
        await export_to_file(world.backend.session(admin), str(out / "x.pdf"), "pdf")
    assert os.listdir(out) == []
    assert await world.backend.change_log(admin, EntityKind.CUSTOMER, 0) == []


async def test_a_failure_midway_keeps_the_old_file_and_leaves_no_part(base, out, monkeypatch):
    admin = await base.user("admin")
    target = out / "clientes.xlsx"
    target.write_bytes(b"the previous export")
    real = customer_export.write_xlsx

    def full_disk(path, header, data, sheet):
        def some():
            for i, row in enumerate(data):
                if i == 10:
                    raise OSError(28, "No space left on device")
                yield row
        real(path, header, some(), sheet)

    monkeypatch.setattr(customer_export, "write_xlsx", full_disk)
    with pytest.raises(InvalidInput, match="no space left on device"):
        await export_to_file(base.backend.session(admin), str(target), "xlsx")
    assert target.read_bytes() == b"the previous export" and os.listdir(out) == ["clientes.xlsx"]
    monkeypatch.setattr(customer_export, "write_xlsx", real)

    def no_rename(src, dst):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(customer_export.os, "replace", no_rename)
    with pytest.raises(InvalidInput, match="permission denied"):
        await export_to_file(base.backend.session(admin), str(target), "xlsx")
    assert target.read_bytes() == b"the previous export" and os.listdir(out) == ["clientes.xlsx"]
    # The store did export (its bytes were handed out) before this disk refused them: logged once.
    assert len(await base.backend.change_log(admin, EntityKind.CUSTOMER, 0)) == 1


async def test_a_progress_callback_that_raises_cancels_the_export(base, out):
    admin = await base.user("admin")

    class Cancelled(Exception):
        pass

    def progress(done: int, total: int) -> None:
        if done >= 8:
            raise Cancelled

    with pytest.raises(Cancelled):
        await export_to_file(base.backend.session(admin), str(out / "c.xlsx"), "xlsx", progress)
    assert os.listdir(out) == []


async def test_export_is_one_snapshot_while_others_write(base, out):
    """Customers added during the export are not half in it: it reads one snapshot."""
    admin = await base.user("admin")
    added = []

    def progress(done: int, total: int) -> None:
        if done and not added:  # another terminal writes between two pages
            with base.backend.store.write() as conn:
                conn.execute(schema.CustomerRow.__table__.insert().values(
                    type="person", id_type="cc", id_number="79000111", first_name="Tarde", last_name="Gil",
                    created_at=0, updated_at=0))
            added.append(True)

    result = await export_to_file(base.backend.session(admin), str(out / "c.csv"), "csv", progress)
    assert added and result.customers == 22
    assert await base.backend.count_customers(admin, CustomerQuery()) == 23


async def test_incoming_channel_customers_export_too(world, out):
    admin = await world.user("admin")
    await world.incoming("3001112233", "hola", channel=ChannelType.WHATSAPP)
    result = await export_to_file(world.backend.session(admin), str(out / "c.xlsx"), "xlsx")
    rows = list(openpyxl.load_workbook(result.path).active.iter_rows(values_only=True))
    assert len(rows) == 2 and rows[1][2] == "other" and rows[1][14] == "3001112233"
