"""#15 items 2, 4, 5, 6, 7 on the ticket screen through Pilot, on the real `world` store:
the Ticket tab's campaign (T7), the script's placeholders (T10), accounts, contacts,
notes and attachments (T5, T6, T13, T14), related tickets and the change log (T3),
the header's customer link (T2). Every write is checked in the store afterwards."""

from __future__ import annotations

import dataclasses

from textual.widgets import Button, DataTable, Input, OptionList, Select, TextArea

from sagicc_tui.domain.customers import AccountInput, ContactInput, CustomerInput
from sagicc_tui.domain.enums import ChangeKind, ContactKind, EntityKind, IdType
from sagicc_tui.domain.ticket_changes import TicketChanges
from sagicc_tui.screens.ticket import TicketScreen
from sagicc_tui.screens.ticket_dialogs import ChangeLogScreen, ConfirmScreen, RelatedScreen, TextScreen
from sagicc_tui.widgets.ticket_header import CustomerLink
from tests.ui.conftest import make_app, settle
from tests.ui.ticket_helpers import no_outgoing_channels, open_first_ticket  # noqa: F401 (an autouse fixture)

SIZE = (160, 50)


async def _open(pilot) -> TicketScreen:
    return await open_first_ticket(pilot, rounds=4)


async def _press(pilot, selector: str) -> None:
    pilot.app.screen.query_one(selector, Button).press()
    await settle(pilot, rounds=2)


async def _answer(pilot, yes: bool) -> None:
    assert isinstance(pilot.app.screen, ConfirmScreen), pilot.app.screen
    pilot.app.screen.query_one("#confirm-yes" if yes else "#confirm-no", Button).press()
    await settle(pilot, rounds=3)


def _dialog_text(app) -> str:
    from textual.widgets import Static

    return " ".join(str(w.render()) for w in app.screen.query(Static))


async def _tab(pilot, key: str) -> None:
    pilot.app.screen.query_one("#ticket-body").focus()
    await pilot.press(key)
    await settle(pilot, rounds=2)


# --- 2. T7: the Ticket tab's campaign, and Save in view -------------------------------------


async def test_ticket_tab_moves_the_ticket_to_another_campaign_as_assign_does(world):
    """T7: the campaign is changed in the Ticket tab; the move asks first and follows
    Assign -> move to a campaign (Ana works only in Servicio: the ticket is unassigned)."""
    r = await world.incoming("pedro@correo.co", "Quiero comprar", name="Pedro Pérez")
    world.set_ticket(r.ticket_id, assignee_id=3)  # ana, an agent of campaign 1 only
    app = make_app(world, poll_interval=3600)
    admin = await world.user("admin")
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open(pilot)
        await _tab(pilot, "4")
        campaign = screen.query_one("#tt-campaign", Select)
        assert dict((v, str(p)) for p, v in campaign._options if v is not Select.BLANK) == {1: "Servicio", 2: "Ventas"}
        campaign.value = 2
        await settle(pilot)
        await _press(pilot, "#tt-save")
        await _answer(pilot, yes=False)  # cancelled: nothing moved, the choice stays
        assert (await world.backend.get_ticket(admin, r.ticket_id)).campaign_id == 1
        assert campaign.value == 2
        await _press(pilot, "#tt-save")
        await _answer(pilot, yes=True)
        await settle(pilot, rounds=4)
        ticket = await world.backend.get_ticket(admin, r.ticket_id)
        assert ticket.campaign_id == 2 and ticket.assignee_id is None
        log = await world.backend.change_log(admin, EntityKind.TICKET, r.ticket_id)
        assert [(e.kind, e.previous_name, e.new_name) for e in log if e.field == "campaign_id"] == [
            (ChangeKind.CAMPAIGN, "Servicio", "Ventas")]
        # The screen follows the new campaign: its name, its script, its task form.
        assert screen.campaign is not None and screen.campaign.id == 2
        assert screen.query_one("#tt-campaign", Select).value == 2
        assert not screen.query_one("#tab-ticket-body").edited()


async def test_save_stays_in_view_with_a_long_description_at_80x24(world):
    """T7: the description box has its own height; forty lines do not push Save away."""
    await world.incoming("pedro@correo.co", "Hola", name="Pedro Pérez")
    app = make_app(world, poll_interval=3600)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _open(pilot)
        await _tab(pilot, "4")
        text = screen.query_one("#tt-description", TextArea)
        text.text = "\n".join(f"Línea {n} de la descripción" for n in range(40))
        await settle(pilot, rounds=2)
        save = screen.query_one("#tt-save", Button)
        x, y = save.region.x + 1, save.region.y
        assert 0 < y < 24 and save.region.height == 1
        widget, _region = app.screen.get_widget_at(x, y)
        assert widget is save


# --- 4. T10: the script's placeholders --------------------------------------------------------


async def test_script_placeholders_are_filled_for_the_open_ticket(world):
    admin = await world.user("admin")
    one = await world.backend.get_campaign(admin, 1)
    await world.backend.save_campaign(admin, 1, dataclasses.replace(
        one, script="Buenos días {cliente}, le habla {agente} ({agent_name}) sobre el caso {caso} de "
                    "{campaña}."), expected_version=one.version)
    r = await world.incoming("pedro@correo.co", "Hola", name="Pedro [b]Pérez[/b] \x1b[31m{agente}")
    app = make_app(world, poll_interval=3600)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open(pilot)
        await _tab(pilot, "6")
        shown = str(screen.query_one("#script-text").render())
        # The customer's name is shown literally (markup, an escape made visible), and a
        # placeholder inside it is not filled: one pass over the script only.
        assert shown.startswith("Buenos días Pedro [b]Pérez[/b] ") and "{agente}, le habla" in shown
        assert (f", le habla Ada Admin (Ada Admin) sobre el caso {r.ticket_number} de Servicio.") in shown
        assert "\x1b" not in shown


# --- 5. T5, T6, T13, T14: accounts, contacts, notes, attachments ------------------------------


async def test_account_add_clears_the_form_and_twice_stores_once(world):
    r = await world.incoming("pedro@correo.co", "Hola", name="Pedro Pérez")
    admin = await world.user("admin")
    ticket = await world.backend.get_ticket(admin, r.ticket_id)
    app = make_app(world, poll_interval=3600)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open(pilot)
        await _tab(pilot, "3")
        screen.query_one("#account-number", Input).value = "CTA-1"
        screen.query_one("#account-name", Input).value = "Hogar"
        screen.query_one("#account-extra", Input).value = "plan=Plus; ciudad = Cali"
        add = screen.query_one("#account-add", Button)
        add.press()
        add.press()  # before the store answers
        await settle(pilot, rounds=4)
        accounts = await world.backend.list_accounts(admin, ticket.customer_id)
        assert [(a.number, a.name, a.extra) for a in accounts] == [("CTA-1", "Hogar", {"plan": "Plus", "ciudad": "Cali"})]
        assert [screen.query_one(f"#account-{k}", Input).value for k in ("number", "name", "extra")] == ["", "", ""]
        # Add again on the emptied form: one sentence, nothing stored.
        await _press(pilot, "#account-add")
        assert "account number is required" in str(screen.query_one("#tab-account-body .form-error").render())
        assert len(await world.backend.list_accounts(admin, ticket.customer_id)) == 1
        # The same number again: the store refuses it (two presses, two terminals).
        screen.query_one("#account-number", Input).value = "CTA-1"
        await _press(pilot, "#account-add")
        assert "already has account CTA-1" in str(screen.query_one("#tab-account-body .form-error").render())
        assert len(await world.backend.list_accounts(admin, ticket.customer_id)) == 1


async def test_an_extra_item_without_equals_is_an_error_and_the_typing_stays(world):
    r = await world.incoming("pedro@correo.co", "Hola", name="Pedro Pérez")
    admin = await world.user("admin")
    ticket = await world.backend.get_ticket(admin, r.ticket_id)
    app = make_app(world, poll_interval=3600)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _open(pilot)
        await _tab(pilot, "3")
        screen.query_one("#account-number", Input).value = "CTA-2"
        screen.query_one("#account-extra", Input).value = "plan=Plus; ciudad Cali"
        await _press(pilot, "#account-add")
        error = str(screen.query_one("#tab-account-body .form-error").render())
        assert "ciudad Cali has no = sign" in error
        assert "ciudad Cali has no = sign" in str(screen.query_one("#ticket-status").render())
        assert screen.query_one("#account-extra", Input).value == "plan=Plus; ciudad Cali"
        assert await world.backend.list_accounts(admin, ticket.customer_id) == []


async def test_deleting_a_contact_asks_first(world):
    r = await world.incoming("pedro@correo.co", "Hola", name="Pedro Pérez")
    admin = await world.user("admin")
    ticket = await world.backend.get_ticket(admin, r.ticket_id)
    await world.backend.add_contact(admin, ticket.customer_id, ContactInput(kind=ContactKind.PHONE,
                                                                            value="3001234567"))
    app = make_app(world, poll_interval=3600)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open(pilot)
        await _tab(pilot, "2")
        box = screen.query_one("#contact-list", OptionList)
        box.highlighted = next(i for i, c in enumerate(screen.query_one("#tab-contact-body")._contacts)
                               if c.value == "3001234567")
        await settle(pilot)
        await _press(pilot, "#contact-delete")
        assert "3001234567" in _dialog_text(app)
        await _answer(pilot, yes=False)
        assert "3001234567" in [c.value for c in await world.backend.list_contacts(admin, ticket.customer_id)]
        await _press(pilot, "#contact-delete")
        await _answer(pilot, yes=True)
        assert "3001234567" not in [c.value for c in await world.backend.list_contacts(admin, ticket.customer_id)]


async def test_contact_add_clears_the_form_and_twice_stores_once(world):
    r = await world.incoming("pedro@correo.co", "Hola", name="Pedro Pérez")
    admin = await world.user("admin")
    ticket = await world.backend.get_ticket(admin, r.ticket_id)
    app = make_app(world, poll_interval=3600)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open(pilot)
        await _tab(pilot, "2")
        screen.query_one("#contact-kind", Select).value = ContactKind.PHONE.value
        screen.query_one("#contact-value", Input).value = "3109876543"
        add = screen.query_one("#contact-add", Button)
        add.press()
        add.press()
        await settle(pilot, rounds=4)
        values = [c.value for c in await world.backend.list_contacts(admin, ticket.customer_id)]
        assert values.count("3109876543") == 1
        assert screen.query_one("#contact-value", Input).value == ""


async def test_a_long_note_opens_in_full_and_deleting_it_asks_first(world):
    r = await world.incoming("pedro@correo.co", "Hola", name="Pedro Pérez")
    admin = await world.user("admin")
    long_text = "Inicio. " + "El cliente explica su caso con detalle. " * 20 + "[b]Final[/b] del texto."
    await world.backend.add_note(admin, r.ticket_id, long_text, "yellow")
    app = make_app(world, poll_interval=3600)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open(pilot)
        await _tab(pilot, "N")  # N: Notes (n is the next unread ticket)
        box = screen.query_one("#notes-list", OptionList)
        box.focus()
        box.highlighted = 0
        await pilot.press("enter")
        await settle(pilot, rounds=2)
        assert isinstance(app.screen, TextScreen)
        full = str(app.screen.query_one("#text-body").render())
        assert len(long_text) > 200 and "[b]Final[/b] del texto." in full.replace("\n", " ")
        await pilot.press("escape")
        await settle(pilot)
        await _press(pilot, "#note-delete")
        await _answer(pilot, yes=False)
        assert len(await world.backend.list_notes(admin, r.ticket_id)) == 1
        await _press(pilot, "#note-delete")
        await _answer(pilot, yes=True)
        assert await world.backend.list_notes(admin, r.ticket_id) == []


async def test_removing_an_attachment_asks_first(world, tmp_path):
    r = await world.incoming("pedro@correo.co", "Hola", name="Pedro Pérez")
    admin = await world.user("admin")
    path = tmp_path / "factura.txt"
    path.write_text("factura")
    await world.backend.add_attachment(admin, r.ticket_id, path.name, path.read_bytes())
    app = make_app(world, poll_interval=3600)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open(pilot)
        await _tab(pilot, "0")
        screen.query_one("#attach-list", OptionList).highlighted = 0
        await settle(pilot)
        await _press(pilot, "#attach-remove")
        assert "factura.txt" in _dialog_text(app)
        await _answer(pilot, yes=False)
        assert len(await world.backend.list_attachments(admin, r.ticket_id)) == 1
        await _press(pilot, "#attach-remove")
        await _answer(pilot, yes=True)
        assert await world.backend.list_attachments(admin, r.ticket_id) == []


# --- 6. T3: related tickets and the change log -----------------------------------------------


async def _customer(world, admin, first: str, number: str):
    return await world.backend.create_customer(admin, CustomerInput(id_type=IdType.CC, id_number=number,
                                                                    first_name=first, last_name="Gómez"))


async def test_related_tickets_show_status_customer_and_subject(world):
    a = await world.incoming("pedro@correo.co", "Hola", name="Pedro Pérez")
    b = await world.incoming("rosa@correo.co", "La factura no llegó", name="Rosa Díaz", subject="Factura de octubre")
    admin = await world.user("admin")
    t = await world.backend.get_ticket(admin, a.ticket_id)
    await world.backend.relate_ticket(admin, t.id, b.ticket_number)
    app = make_app(world, poll_interval=3600)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open(pilot)
        while screen.ticket_id != a.ticket_id:  # newest first: Rosa's opened
            await pilot.press("escape")
            await settle(pilot)
            await pilot.press("j")
            screen = await _open(pilot)
        await pilot.press("o")
        await settle(pilot)
        box = app.screen.query_one(OptionList)
        box.highlighted = screen.option_keys().index("related")
        await pilot.press("enter")
        await settle(pilot, rounds=3)
        assert isinstance(app.screen, RelatedScreen)
        line = str(app.screen.query_one("#related-list", OptionList).get_option_at_index(0).prompt)
        assert f"#{b.ticket_number}" in line and "New" in line and "Rosa Díaz" in line and "Factura de octubre" in line


async def test_the_change_log_names_customers_accounts_campaigns_at_160_columns(world):
    r = await world.incoming("pedro@correo.co", "Hola", name="Pedro Pérez")
    admin = await world.user("admin")
    t = await world.backend.get_ticket(admin, r.ticket_id)
    laura = await _customer(world, admin, "Laura", "52123456")
    t = await world.backend.switch_ticket_customer(admin, t.id, laura.id, expected_version=t.version)
    account = await world.backend.add_account(admin, laura.id, AccountInput(number="CTA-77", name="Hogar"))
    t = await world.backend.update_ticket(admin, t.id, TicketChanges(account_id=account.id, status="open"),
                                          expected_version=t.version)
    app = make_app(world, poll_interval=3600)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open(pilot)
        await pilot.press("o")
        await settle(pilot)
        app.screen.query_one(OptionList).highlighted = screen.option_keys().index("changelog")
        await pilot.press("enter")
        await settle(pilot, rounds=3)
        assert isinstance(app.screen, ChangeLogScreen)
        table = app.screen.query_one("#log-table", DataTable)
        rows = [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]
        by_field = {row[1]: row for row in rows}
        assert by_field["Customer"][2:4] == ["Pedro Pérez", "Laura Gómez"]
        assert by_field["Account"][2:4] == ["", "CTA-77 (Hogar)"]
        assert by_field["Status"][2:4] == ["New", "Open"]
        assert all(row[5] == "Ada Admin" for row in (by_field["Customer"], by_field["Account"]))
        # Date and user are in view at 160 columns: the table is not wider than its dialog.
        assert table.virtual_size.width <= table.size.width
        assert table.region.right <= SIZE[0]


# --- 7. T2: the header's customer opens the profile --------------------------------------------


async def test_the_headers_customer_opens_the_profile_by_click_and_by_keyboard(world):
    from sagicc_tui.screens.customer_profile import CustomerProfileScreen

    await world.incoming("pedro@correo.co", "Hola", name="Pedro Pérez")
    app = make_app(world, poll_interval=3600)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _open(pilot)
        link = screen.query_one(CustomerLink)
        assert "Pedro Pérez" in str(link.render())
        await pilot.click(CustomerLink)
        await settle(pilot, rounds=3)
        assert isinstance(app.screen, CustomerProfileScreen)
        await pilot.press("escape")
        await settle(pilot, rounds=3)
        assert app.screen is screen
        screen.query_one(CustomerLink).focus()
        await pilot.press("enter")
        await settle(pilot, rounds=3)
        assert isinstance(app.screen, CustomerProfileScreen)
