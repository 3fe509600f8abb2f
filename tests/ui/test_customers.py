"""The customers module in the TUI (C1-C6): Pilot against the real store of `world`.

Every action is checked in the STORE afterwards, through the Backend.
"""

from __future__ import annotations

import csv
import io

import pytest
from textual.widgets import Button, Checkbox, Input, OptionList, RadioButton

from sagicc_tui.domain.customers import (
    AccountInput,
    ContactInput,
    CustomerInput,
    CustomerQuery,
)
from sagicc_tui.domain.enums import ChannelType, ContactKind, CustomerStatus, IdType
from sagicc_tui.domain.errors import NotFound
from sagicc_tui.screens.customer_export import CustomerExportScreen
from sagicc_tui.screens.customer_form import CustomerFormScreen
from sagicc_tui.screens.customer_merge import CustomerMergeScreen
from sagicc_tui.screens.customer_profile import CustomerConfirmScreen, CustomerProfileScreen
from sagicc_tui.screens.customers import CustomersScreen
from sagicc_tui.widgets.customer_list import CustomerList
from tests.ui.conftest import make_app, settle


def person(doc: str, first: str, last: str, **kw) -> CustomerInput:
    return CustomerInput(id_type=IdType.CC, id_number=doc, first_name=first, last_name=last, **kw)


async def add(world, doc: str, first: str, last: str, **kw):
    admin = await world.user("admin")
    world.clock.advance(minutes=1)
    return await world.backend.create_customer(admin, person(doc, first, last, **kw))


def customer_list(app) -> CustomerList:
    return app.screen.query_one(CustomerList)


def list_lines(app) -> list[str]:
    cl = customer_list(app)
    return ["".join(seg.text for seg in cl.render_line(y)) for y in range(cl.scrollable_content_region.height)]


def shown(app) -> str:
    return "\n".join(list_lines(app))


async def open_customers(pilot) -> CustomersScreen:
    await settle(pilot)
    await pilot.press("C")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, CustomersScreen)
    return screen


async def move_to(pilot, customer_id: int) -> None:
    """Put the list cursor on a customer (pages are loaded: the lists here are short)."""
    cl = customer_list(pilot.app)
    cl.action_first()
    for _ in range((cl.total or 0) + 1):
        item = cl.cursor_item
        if item is not None and item.id == customer_id:
            return
        cl.action_cursor_down()
    raise AssertionError(f"customer {customer_id} is not in the list")


async def open_profile(pilot, customer_id: int) -> CustomerProfileScreen:
    await move_to(pilot, customer_id)
    customer_list(pilot.app).focus()
    await pilot.press("enter")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, CustomerProfileScreen)
    return screen


async def test_list_shows_customers_search_and_status_filter(world):
    first = await add(world, "1020304050", "Pedro", "Pérez")
    await add(world, "52123456", "Lucía", "Gómez")
    await add(world, "79888777", "Andrés", "Castillo")
    app = make_app(world, poll_interval=60)
    async with app.run_test(size=(120, 30)) as pilot:
        await open_customers(pilot)
        text = shown(app)
        assert "Pedro" in text and "Lucía" in text and "Castillo" in text
        assert "1020304050" in text
        assert customer_list(app).total == 3
        # The status filter (s): only the disabled one.
        admin = await world.user("admin")
        pedro = await world.backend.get_customer(admin, first.id)
        await world.backend.disable_customer(admin, pedro.id, expected_version=pedro.version)
        await pilot.press("s")
        await settle(pilot)
        await pilot.press("down", "down", "enter")  # All statuses, Active, Disabled
        await settle(pilot)
        assert customer_list(app).total == 1
        assert "Pedro" in shown(app) and "Lucía" not in shown(app)
        await pilot.press("s")
        await settle(pilot)
        await pilot.press("home", "enter")
        await settle(pilot)
        assert customer_list(app).total == 3
        await pilot.press("slash")
        await pilot.press(*"gomez")
        await settle(pilot)
        assert customer_list(app).total == 1
        text = shown(app)
        assert "Lucía" in text and "Pedro" not in text
        # By document prefix too.
        app.screen.query_one("#customers-search", Input).value = "7988"
        await pilot.press("enter")
        await settle(pilot)
        assert customer_list(app).total == 1
        assert "Castillo" in shown(app)
        # Escape leaves the search field, then the screen.
        await pilot.press("slash")
        await pilot.press("escape")
        assert isinstance(app.screen, CustomersScreen)
        await pilot.press("escape")
        assert type(app.screen).__name__ == "TicketsScreen"


async def test_add_customer_through_the_form(world):
    app = make_app(world, poll_interval=60)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_customers(pilot)
        await pilot.press("a")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, CustomerFormScreen)
        form.query_one("#f-id-number", Input).value = "12ab"
        form.query_one("#f-first", Input).value = "Marta"
        form.query_one("#f-last", Input).value = "Lozano"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is form
        assert "cédula de ciudadanía" in form.field_error("id-number")
        assert form.query_one("#f-first", Input).value == "Marta"  # what was typed is kept
        form.query_one("#f-id-number", Input).value = "43.555.666"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, CustomersScreen)
        assert customer_list(app).total == 1
        assert "Marta" in shown(app)
    admin = await world.user("admin")
    page = await world.backend.list_customers(admin, CustomerQuery())
    assert [(r.id_number, r.first_name, r.last_name) for r in page.rows] == [("43555666", "Marta", "Lozano")]


async def test_duplicate_document_offers_the_existing_customer(world):
    existing = await add(world, "52123456", "Lucía", "Gómez")
    app = make_app(world, poll_interval=60)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_customers(pilot)
        await pilot.press("a")
        await settle(pilot)
        form = app.screen
        form.query_one("#f-id-number", Input).value = "52123456"
        form.query_one("#f-first", Input).value = "Otra"
        form.query_one("#f-last", Input).value = "Persona"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "already has" in form.field_error("id-number")
        button = form.query_one("#btn-open-existing", Button)
        assert button.display
        await pilot.click(button)
        await settle(pilot)
        profile = app.screen
        assert isinstance(profile, CustomerProfileScreen)
        assert profile.customer_id == existing.id
    admin = await world.user("admin")
    assert await world.backend.count_customers(admin, CustomerQuery()) == 1


async def test_edit_disable_and_enable_from_the_profile(world):
    c = await add(world, "1020304050", "Pedro", "Pérez")
    app = make_app(world, poll_interval=60)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_customers(pilot)
        profile = await open_profile(pilot, c.id)
        assert "Pedro" in str(profile.query_one("#profile-title").render())
        await pilot.press("e")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, CustomerFormScreen)
        assert form.query_one("#f-first", Input).value == "Pedro"
        form.query_one("#f-middle", Input).value = "José"
        form.query_one("#f-birth", Input).value = "1980-02-30"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "YYYY-MM-DD" in form.field_error("birth")
        form.query_one("#f-birth", Input).value = "1980-02-28"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is profile
        assert "José" in str(profile.query_one("#profile-basic").render())
        # Disable, then enable again (d).
        admin = await world.user("admin")
        await pilot.press("d")
        await settle(pilot)
        assert (await world.backend.get_customer(admin, c.id)).status is CustomerStatus.DISABLED
        assert "Disabled" in str(profile.query_one("#profile-title").render())
        await pilot.press("d")
        await settle(pilot)
        assert (await world.backend.get_customer(admin, c.id)).status is CustomerStatus.ACTIVE
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, CustomersScreen)
        assert "Pedro José" in shown(app)
    admin = await world.user("admin")
    stored = await world.backend.get_customer(admin, c.id)
    assert stored.middle_name == "José" and stored.birth_date.isoformat() == "1980-02-28"


async def test_agent_sees_no_disable_delete_merge_or_export(world):
    c = await add(world, "1020304050", "Pedro", "Pérez")
    app = make_app(world, username="ana", poll_interval=60)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_customers(pilot)
        keys = {b.binding.id for b in screen.active_bindings.values() if b.enabled}
        assert "customers.export" not in keys and "customers.merge" not in keys
        assert "customers.add" in keys
        await pilot.press("e")
        await settle(pilot)
        assert app.screen is screen  # nothing opened
        await open_profile(pilot, c.id)
        await pilot.press("d", "x")
        await settle(pilot)
        assert isinstance(app.screen, CustomerProfileScreen)
    ana = await world.user("ana")
    assert (await world.backend.get_customer(ana, c.id)).status is CustomerStatus.ACTIVE


async def test_delete_refused_with_open_tickets_and_allowed_without(world):
    r = await world.incoming("pedro@correo.co", "Me cobraron dos veces", name="Pedro Pérez")
    lonely = await add(world, "52123456", "Lucía", "Gómez")
    admin = await world.user("admin")
    app = make_app(world, poll_interval=60)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_customers(pilot)
        profile = await open_profile(pilot, r.customer_id)
        await pilot.press("x")
        await settle(pilot)
        assert isinstance(app.screen, CustomerConfirmScreen)
        await pilot.press("y")
        await settle(pilot)
        assert app.screen is profile
        assert "open ticket" in profile.error_text
        await world.backend.get_customer(admin, r.customer_id)  # still there
        await pilot.press("escape")
        await settle(pilot)
        await open_profile(pilot, lonely.id)
        await pilot.press("x")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, CustomersScreen)
        assert customer_list(app).total == 1
    with pytest.raises(NotFound):
        await world.backend.get_customer(admin, lonely.id)


async def test_profile_shows_contacts_tickets_and_opens_a_ticket(world):
    r = await world.incoming("pedro@correo.co", "Me cobraron dos veces", name="Pedro Pérez")
    admin = await world.user("admin")
    await world.backend.add_account(admin, r.customer_id, AccountInput(number="4001", name="Plan hogar"))
    app = make_app(world, poll_interval=60)
    async with app.run_test(size=(160, 50)) as pilot:
        await open_customers(pilot)
        profile = await open_profile(pilot, r.customer_id)
        assert "pedro@correo.co" in str(profile.query_one("#profile-contacts").render())
        assert "4001" in str(profile.query_one("#profile-accounts").render())
        assert "Me cobraron" in str(profile.query_one("#profile-interactions").render())
        tickets = profile.query_one("#profile-tickets", OptionList)
        assert tickets.option_count == 1
        tickets.focus()
        tickets.highlighted = 0
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is not profile
        assert type(app.screen).__name__ == "TicketScreen"


async def test_export_as_admin_to_a_csv_file(world, tmp_path):
    await add(world, "1020304050", "Pedro", "Pérez")
    await add(world, "52123456", "Lucía", "Gómez")
    app = make_app(world, poll_interval=60)
    target = tmp_path / "out" / "clientes.csv"
    target.parent.mkdir()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_customers(pilot)
        screen.export_dir = str(tmp_path)
        await pilot.press("e")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, CustomerExportScreen)
        assert dialog.query_one("#export-path", Input).value.endswith(".xlsx")
        dialog.query_one("#export-csv", RadioButton).value = True
        await settle(pilot)
        assert dialog.query_one("#export-path", Input).value.endswith(".csv")
        dialog.query_one("#export-path", Input).value = str(target)
        await pilot.press("ctrl+s")
        await settle(pilot, rounds=5)
        assert dialog.result is not None, dialog.error_text
        assert str(target) in dialog.status_text
    assert target.exists()
    rows = list(csv.reader(io.StringIO(target.read_text(encoding="utf-8-sig"), newline="")))
    body = "\n".join(",".join(r) for r in rows)
    assert "1020304050" in body and "52123456" in body
    assert len(rows) == 3  # a header and two customers


async def test_export_refused_by_the_backend_shows_the_sentence(world, tmp_path):
    await add(world, "1020304050", "Pedro", "Pérez")
    app = make_app(world, username="ana", poll_interval=60)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_customers(pilot)
        ana = await world.user("ana")
        dialog = CustomerExportScreen(world.backend, ana, directory=str(tmp_path))  # forced past the hidden key
        app.push_screen(dialog)
        await settle(pilot)
        dialog.query_one("#export-path", Input).value = str(tmp_path / "x.xlsx")
        await pilot.press("ctrl+s")
        await settle(pilot, rounds=5)
        assert "permission to export" in dialog.error_text
        assert dialog.result is None
    assert not (tmp_path / "x.xlsx").exists()


async def test_merge_two_tagged_customers_choosing_what_moves(world):
    admin = await world.user("admin")
    b = world.backend
    main = await add(world, "1020304050", "Pedro", "Pérez")
    other = await add(world, "1020304051", "Pedro", "Peres")
    await b.add_contact(admin, other.id, ContactInput(kind=ContactKind.EMAIL, value="pp@correo.co"))
    await b.add_account(admin, other.id, AccountInput(number="9001"))
    app = make_app(world, username="sofia", poll_interval=60)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_customers(pilot)
        await move_to(pilot, main.id)
        customer_list(app).focus()
        await pilot.press("space")
        await move_to(pilot, other.id)
        await pilot.press("space")
        assert customer_list(app).tag_count == 2
        await pilot.press("m")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, CustomerMergeScreen)
        dialog.query_one(f"#main-{main.id}", RadioButton).value = True
        dialog.query_one("#merge-accounts", Checkbox).value = False  # accounts stay (and go with the deleted one)
        await pilot.click("#btn-merge-preview")
        await settle(pilot)
        preview = str(dialog.query_one("#merge-preview-changes").render())
        assert "cannot be undone" in preview
        assert dialog.preview is not None and dialog.preview.can_merge
        await pilot.click("#btn-merge-confirm")
        await settle(pilot)
        assert dialog.result is not None
        await pilot.click("#btn-merge-done")
        await settle(pilot)
        assert isinstance(app.screen, CustomersScreen)
        assert customer_list(app).total == 1
    with pytest.raises(NotFound):
        await b.get_customer(admin, other.id)
    contacts = [c.value for c in await b.list_contacts(admin, main.id)]
    assert "pp@correo.co" in contacts
    assert [a.number for a in await b.list_accounts(admin, main.id)] == []


async def test_similar_customers_show_a_percentage_and_merge(world):
    main = await add(world, "1020304050", "Pedro", "Pérez")
    twin = await add(world, "1020304099", "Pedro", "Perez")
    app = make_app(world, poll_interval=60)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_customers(pilot)
        await open_profile(pilot, main.id)
        await pilot.press("s")
        await settle(pilot)
        options = app.screen.query_one(OptionList)
        first = str(options.get_option_at_index(0).prompt)
        assert "%" in first and "Pedro" in first
        await pilot.press("enter")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, CustomerMergeScreen)
        assert dialog.chosen()[0] == main.id
        await pilot.click("#btn-merge-preview")
        await settle(pilot)
        await pilot.click("#btn-merge-confirm")
        await settle(pilot)
        await pilot.click("#btn-merge-done")
        await settle(pilot)
        assert isinstance(app.screen, CustomerProfileScreen)
    admin = await world.user("admin")
    with pytest.raises(NotFound):
        await world.backend.get_customer(admin, twin.id)


async def _dom_size(world, count: int) -> tuple[int, int]:
    admin = await world.user("admin")
    for i in range(count):
        await world.backend.create_customer(admin, person(str(30000000 + i), f"Nombre{i}", "Ruiz"))
    app = make_app(world, poll_interval=60)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_customers(pilot)
        assert customer_list(app).total == count
        return len(list(app.screen.walk_children())), customer_list(app).cached_pages()


async def test_no_widget_per_row(world, tmp_path):
    from tests.factory import make_world

    small = await _dom_size(world, 3)
    other = await make_world(tmp_path / "big.db")
    try:
        big = await _dom_size(other, 300)
    finally:
        await other.backend.aclose()
    assert big[0] == small[0]
    assert big[1] <= 2  # only the visible page(s) were read


# --- snapshots ------------------------------------------------------------------------------

async def _snap_store(path):
    from tests.factory import make_world

    world = await make_world(path)
    admin = await world.user("admin")
    await world.incoming("pedro@correo.co", "Me cobraron dos veces", name="Pedro Pérez")
    for doc, first, last in (("52123456", "Lucía", "Gómez"), ("79888777", "Andrés", "Castillo Ruiz"),
                             ("1020304099", "Pedro", "Perez")):
        world.clock.advance(minutes=1)
        await world.backend.create_customer(admin, person(doc, first, last))
    world.clock.advance(minutes=1)
    c = await world.backend.create_customer(admin, CustomerInput(
        type="company", id_type=IdType.NIT, id_number="900123456", first_name="Acme [b]S.A.S[/b]"))
    await world.backend.disable_customer(admin, c.id, expected_version=c.version)
    return world


@pytest.fixture
def snap_world(tmp_path):
    import asyncio

    world = asyncio.run(_snap_store(tmp_path / "snap.db"))
    yield world
    asyncio.run(world.backend.aclose())


@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize("size", [(80, 24), (160, 50)])
def test_snapshot_customer_list(snap_compare, snap_world, size, language):
    app = make_app(snap_world, poll_interval=3600, language=language)

    async def run_before(pilot):
        await settle(pilot)
        await pilot.press("C")
        await settle(pilot)
        await pilot.press("j", "space")
        await settle(pilot)

    assert snap_compare(app, terminal_size=size, run_before=run_before)


# --- #15.8: the add form's contacts (C2), export names (C3) ------------------------------------


async def test_add_form_takes_a_validated_email_and_phone(world):
    app = make_app(world, poll_interval=60)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_customers(pilot)
        await pilot.press("a")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, CustomerFormScreen)
        for key, value in (("id-number", "43555666"), ("first", "Marta"), ("last", "Lozano"),
                           ("email", "marta@"), ("phone", "301 555 0001")):
            form.query_one(f"#f-{key}", Input).value = value
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is form
        assert "not an e-mail address" in form.field_error("email")
        assert form.query_one("#f-phone", Input).value == "301 555 0001"  # the typing is kept
        assert app.screen.focused is form.query_one("#f-email", Input)
        form.query_one("#f-email", Input).value = "marta@correo.co"
        form.query_one("#f-phone", Input).value = "12"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "not a phone number" in form.field_error("phone") and not form.field_error("email")
        form.query_one("#f-phone", Input).value = "301 555 0001"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, CustomersScreen)
    admin = await world.user("admin")
    (made,) = (await world.backend.list_customers(admin, CustomerQuery())).rows
    contacts = {(c.kind, c.value, c.normalized) for c in await world.backend.list_contacts(admin, made.id)}
    assert contacts == {(ContactKind.EMAIL, "marta@correo.co", "marta@correo.co"),
                        (ContactKind.MOBILE, "301 555 0001", "573015550001")}
    # Reachable: a message from that phone lands on her, not on a new customer (#15.9).
    r = await world.incoming("+57 301 555 0001", "hola", channel=ChannelType.WHATSAPP)
    assert r.customer_id == made.id and not r.new_customer


async def test_the_edit_form_has_no_contact_fields(world):
    c = await add(world, "1020304050", "Pedro", "Pérez")
    admin = await world.user("admin")
    app = make_app(world, poll_interval=60)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_customers(pilot)
        app.push_screen(CustomerFormScreen(world.backend, admin, await world.backend.get_customer(admin, c.id)))
        await settle(pilot)
        assert not app.screen.query("#f-email") and not app.screen.query("#f-phone")
        app.screen.query_one("#f-first", Input).value = "Pedro José"
        await pilot.press("ctrl+s")
        await settle(pilot)
    assert (await world.backend.get_customer(admin, c.id)).first_name == "Pedro José"


async def test_a_second_export_never_writes_over_the_first(world, tmp_path):
    await add(world, "1020304050", "Pedro", "Pérez")
    tmp_path = tmp_path / "exports"
    tmp_path.mkdir()
    day = f"{world.clock():%Y%m%d}"  # the dialog's day is the app's clock (injected here)
    earlier = tmp_path / f"sagicc-customers-{day}.xlsx"
    earlier.write_bytes(b"an earlier export")
    admin = await world.user("admin")
    app = make_app(world, poll_interval=60)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_customers(pilot)
        dialog = CustomerExportScreen(world.backend, admin, directory=str(tmp_path))
        app.push_screen(dialog)
        await settle(pilot)
        path = dialog.query_one("#export-path", Input)
        assert path.value == str(tmp_path / f"sagicc-customers-{day}-2.xlsx")
        await pilot.press("ctrl+s")
        await settle(pilot, rounds=5)
        assert dialog.result is not None and dialog.result.path == str(tmp_path / earlier.name.replace(".xlsx", "-2.xlsx"))
        assert path.value.endswith("-3.xlsx")  # exporting again from here makes a third file
        dialog.query_one("#export-csv", RadioButton).value = True
        await settle(pilot)
        assert path.value.endswith(f"{day}.csv")  # no CSV yet today: the plain name
        await pilot.press("ctrl+s")
        await settle(pilot, rounds=5)
    assert earlier.read_bytes() == b"an earlier export"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [earlier.name, earlier.name.replace(".xlsx", "-2.xlsx"), earlier.name.replace(".xlsx", ".csv")])


# --- #17.1: a refused input goes to its field by InvalidInput.field, in any language -------------


def _in_view(form, key: str) -> bool:
    """The field's sentence lies wholly inside the form's visible (scrolled) area."""
    area = form.query_one("#form-fields").content_region
    return area.contains_region(form.query_one(f"#err-{key}").region)


async def test_spanish_form_routes_each_refusal_to_its_field_and_shows_it(world):
    existing = await add(world, "52123456", "Lucía", "Gómez")
    app = make_app(world, poll_interval=60, language="es")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_customers(pilot)
        await pilot.press("a")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, CustomerFormScreen)
        for key, value in (("id-number", "43555666"), ("first", "Marta"), ("last", "Lozano"),
                           ("birth", "25/11/1990")):
            form.query_one(f"#f-{key}", Input).value = value
        await pilot.press("ctrl+s")
        await settle(pilot)
        # The form's own check: under the date of birth, far down an 80x24 form.
        assert "fecha de nacimiento" in form.field_error("birth")
        assert not form.field_error("id-number")
        assert app.screen.focused is form.query_one("#f-birth", Input)
        assert _in_view(form, "birth")
        assert "campo marcado" in form.error_text
        # The store's refusal (a document another customer has), crossing the Backend.
        form.query_one("#f-birth", Input).value = ""
        form.query_one("#f-id-number", Input).value = "52.123.456"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "Lucía Gómez" in form.field_error("id-number") and not form.field_error("birth")
        assert _in_view(form, "id-number")
        assert form.query_one("#btn-open-existing", Button).display
    admin = await world.user("admin")
    assert [c.id for c in (await world.backend.list_customers(admin, CustomerQuery())).rows] == [existing.id]
