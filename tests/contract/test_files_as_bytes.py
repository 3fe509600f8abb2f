"""#17.1 Files travel as bytes (or a stream for the export), never as paths,
on every Backend: add_attachment takes the content, read_attachment gives it,
export_customers streams the spreadsheet. The caller's file helpers
(sagicc_tui/files.py) keep the safe names and the no-overwrite rule."""

from __future__ import annotations

import csv
import io

import pytest

from sagicc_tui.domain.enums import ChangeKind, EntityKind
from sagicc_tui.domain.errors import InvalidInput, NotFound, PermissionDenied
from sagicc_tui.domain.ticket_screen import MAX_ATTACHMENT_BYTES
from sagicc_tui.files import export_to_file


async def test_an_attachment_is_added_from_bytes_and_read_back(world):
    r = await world.incoming("a@x.com", "hola")
    ana = await world.user("ana")
    b = world.backend
    data = bytes(range(256)) * 40  # every byte value: nothing decoded or re-encoded on the way
    added = await b.add_attachment(ana, r.ticket_id, "../../informes/.extracto.pdf", data)
    assert (added.name, added.size, added.mime) == ("extracto.pdf", len(data), "application/pdf")
    assert [a.id for a in await b.list_attachments(ana, r.ticket_id)] == [added.id]
    content = await b.read_attachment(ana, added.id)
    assert (content.name, content.data) == ("extracto.pdf", data)
    with pytest.raises(NotFound):
        await b.read_attachment(ana, added.id + 999)


async def test_an_attachment_over_10_mb_is_one_sentence_and_adds_nothing(world):
    r = await world.incoming("a@x.com", "hola")
    ana = await world.user("ana")
    with pytest.raises(InvalidInput) as err:
        await world.backend.add_attachment(ana, r.ticket_id, "grande.bin", b"\0" * (MAX_ATTACHMENT_BYTES + 1))
    assert "10 MB" in str(err.value)
    assert await world.backend.list_attachments(ana, r.ticket_id) == []


async def test_an_attachment_outside_my_scope_cannot_be_read(world):
    theirs = await world.incoming("b@x.com", "de Bruno")
    admin = await world.user("admin")
    added = await world.backend.add_attachment(admin, theirs.ticket_id, "privado.txt", b"secreto")
    world.set_ticket(theirs.ticket_id, assignee_id=4)  # bruno's: outside ana's scope
    with pytest.raises(NotFound):
        await world.backend.read_attachment(await world.user("ana"), added.id)


async def test_the_export_streams_the_whole_base_and_is_logged(world):
    for i in range(3):
        await world.incoming(f"cliente{i}@x.com", "hola", name=f"Cliente {i}")
    admin = await world.user("admin")
    export = await world.backend.export_customers(admin, "csv")
    assert (export.result.customers, export.result.path) == (3, "")
    data = b"".join([block async for block in export.chunks])
    assert len(data) == export.result.bytes
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert len(rows) == 1 + 3
    assert {r[13] for r in rows[1:]} == {f"cliente{i}@x.com" for i in range(3)}
    log = await world.backend.change_log(admin, EntityKind.CUSTOMER, 0)
    assert [(e.kind, e.field, e.new) for e in log if e.kind is ChangeKind.EXPORTED] == [
        (ChangeKind.EXPORTED, "csv", "3 customers")]


async def test_an_export_read_halfway_and_closed_leaves_the_backend_usable(world):
    await world.incoming("a@x.com", "hola", name="Ana Cliente")
    admin = await world.user("admin")
    export = await world.backend.export_customers(admin, "xlsx")
    first = await anext(export.chunks)
    assert first.startswith(b"PK")  # a zip: the xlsx
    await export.chunks.aclose()
    again = await world.backend.export_customers(admin, "xlsx")
    assert len(b"".join([block async for block in again.chunks])) == again.result.bytes


async def test_the_export_needs_the_permission_and_a_known_format(world, tmp_path):
    with pytest.raises(PermissionDenied):
        await world.backend.export_customers(await world.user("ana"), "csv")
    with pytest.raises(InvalidInput):
        await world.backend.export_customers(await world.user("admin"), "pdf")
    # Through the file helper: refused before anything is written, nothing left behind.
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(PermissionDenied):
        await export_to_file(world.backend.session(await world.user("ana")), str(out / "c.csv"), "csv")
    assert list(out.iterdir()) == []


async def test_export_to_file_writes_it_all_or_nothing(world, tmp_path):
    await world.incoming("a@x.com", "hola", name="Ana Cliente")
    admin = await world.user("admin")
    out = tmp_path / "out"
    out.mkdir()
    seen = []
    result = await export_to_file(world.backend.session(admin), str(out / "c.csv"), "csv",
                                  lambda done, total: seen.append((done, total)))
    assert result.path == str(out / "c.csv") and result.customers == 1
    assert (out / "c.csv").stat().st_size == result.bytes
    assert (out / "c.csv").stat().st_mode & 0o777 == 0o600
    assert seen and seen[-1] == (1, 1)
    assert [p.name for p in out.iterdir()] == ["c.csv"]  # no part file left
    (out / "c.csv").write_bytes(b"old")  # an existing file is replaced whole, never appended to
    again = await export_to_file(world.backend.session(admin), str(out / "c.csv"), "csv")
    assert (out / "c.csv").stat().st_size == again.bytes
