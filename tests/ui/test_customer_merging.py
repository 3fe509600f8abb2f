"""#15.1 in the TUI (T4, C6): combine a similar customer from the ticket's
Customer tab choosing the parts; C6's chooser tells namesakes apart, offers
no Merge on a blocked preview, and sends the preview's versions; the
customer's change log from the profile. Checked in the STORE afterwards."""

from __future__ import annotations

import pytest
from textual.widgets import Button, Checkbox, DataTable, OptionList, RadioButton

from sagicc_tui.domain.customers import AccountInput, CustomerInput, list_item
from sagicc_tui.domain.enums import ChannelType, EntityKind, IdType
from sagicc_tui.domain.errors import NotFound
from sagicc_tui.screens.choose import ChoiceScreen
from sagicc_tui.screens.customer_log import CustomerLogScreen
from sagicc_tui.screens.customer_merge import CustomerMergeScreen
from sagicc_tui.screens.customer_profile import CustomerProfileScreen
from sagicc_tui.screens.ticket import TicketScreen
from tests.ui.conftest import make_app, settle


def _text(screen, selector: str) -> str:
    return str(screen.query_one(selector).render())


async def _two_namesakes(world):
    a = await world.incoming("remoto@uno.co", "primero", name="Duplicado Remoto")
    b = await world.incoming("+57 301 555 0077", "segundo", name="Duplicado Remoto", channel=ChannelType.WHATSAPP)
    return a, b


async def test_the_customer_tab_combines_a_similar_customer_choosing_the_parts(world):
    a, b = await _two_namesakes(world)
    admin = await world.user("admin")
    acc = await world.backend.add_account(admin, b.customer_id, AccountInput(number="CTA-77"))
    app = make_app(world, poll_interval=3600)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        while app.screen.query_one("#ticket-list").cursor_card.id != a.ticket_id:
            await pilot.press("j")
        await pilot.press("enter")
        await settle(pilot, rounds=3)
        screen = app.screen
        assert isinstance(screen, TicketScreen)
        await pilot.press("1")
        await settle(pilot, rounds=2)
        similar = screen.query_one("#cust-similar", OptionList)
        assert "Duplicado Remoto" in str(similar.get_option_at_index(0).prompt)
        similar.focus()
        similar.highlighted = 0
        await pilot.press("enter")
        await settle(pilot)
        choice = app.screen
        assert isinstance(choice, ChoiceScreen)
        prompts = [str(choice.query_one(OptionList).get_option_at_index(i).prompt) for i in range(2)]
        assert prompts[0].startswith("Switch this ticket to") and prompts[1].startswith("Combine")
        assert f"id {b.customer_id}" in prompts[1]
        choice.query_one(OptionList).highlighted = 1
        await pilot.press("enter")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, CustomerMergeScreen)
        assert dialog.chosen()[0] == a.customer_id  # the ticket's customer is proposed to stay
        labels = [str(dialog.query_one(f"#main-{i}", RadioButton).label) for i in (a.customer_id, b.customer_id)]
        assert "remoto@uno.co" in labels[0] and "+57 301 555 0077" in labels[1]  # namesakes told apart
        dialog.query_one(f"#main-{b.customer_id}", RadioButton).value = True  # the other one stays
        dialog.query_one("#merge-contacts", Checkbox).value = False  # its e-mail goes with the deleted one
        await pilot.click("#btn-merge-preview")
        await settle(pilot)
        assert "cannot be undone" in _text(dialog, "#merge-preview-changes")
        await pilot.click("#btn-merge-confirm")
        await settle(pilot)
        await pilot.click("#btn-merge-done")
        await settle(pilot, rounds=4)
        assert app.screen is screen
    with pytest.raises(NotFound):
        await world.backend.get_customer(admin, a.customer_id)
    assert (await world.backend.get_ticket(admin, a.ticket_id)).customer_id == b.customer_id
    assert [c.value for c in await world.backend.list_contacts(admin, b.customer_id)] == ["+57 301 555 0077"]
    assert [x.id for x in await world.backend.list_accounts(admin, b.customer_id)] == [acc.id]


async def test_a_blocked_preview_offers_no_merge(world):
    a, b = await _two_namesakes(world)
    admin = await world.user("admin")
    app = make_app(world, poll_interval=3600)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        items = [list_item(await world.backend.get_customer(admin, r.customer_id)) for r in (a, b)]
        dialog = CustomerMergeScreen(world.backend, admin, items)
        app.push_screen(dialog)
        await settle(pilot)
        dialog.query_one("#merge-tickets", Checkbox).value = False
        await pilot.press("p")
        await settle(pilot)
        assert dialog.preview is not None and not dialog.preview.can_merge
        assert "cannot be left without a customer" in dialog.error_text
        assert not dialog.query_one("#btn-merge-confirm", Button).display
        assert dialog.check_action("confirm", ()) is False  # not even dimmed in the footer
        await pilot.press("y")  # the Merge key does nothing either
        await settle(pilot)
        assert dialog.step == "preview" and dialog.result is None
    assert (await world.backend.get_customer(admin, b.customer_id)).id == b.customer_id


async def test_a_customer_edited_since_the_preview_sends_the_user_back(world):
    a, b = await _two_namesakes(world)
    admin = await world.user("admin")
    app = make_app(world, poll_interval=3600)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        items = [list_item(await world.backend.get_customer(admin, r.customer_id)) for r in (a, b)]
        dialog = CustomerMergeScreen(world.backend, admin, items)
        app.push_screen(dialog)
        await settle(pilot)
        await pilot.press("p")
        await settle(pilot)
        assert dialog.can_confirm
        other = await world.backend.get_customer(admin, b.customer_id)
        await world.backend.update_customer(admin, other.id, CustomerInput(
            type=other.type, id_type=IdType.CC, id_number="52000999", first_name="Duplicado", last_name="Remoto"),
            expected_version=other.version)  # someone else, meanwhile
        await pilot.press("y")
        await settle(pilot)
        assert dialog.step == "form" and "Preview the merge again" in dialog.error_text
    assert (await world.backend.get_customer(admin, b.customer_id)).id_number == "52000999"  # nothing merged


async def test_the_profile_shows_the_customer_change_log_with_what_was_merged(world):
    a, b = await _two_namesakes(world)
    admin = await world.user("admin")
    main = await world.backend.get_customer(admin, a.customer_id)
    await world.backend.update_customer(admin, main.id, CustomerInput(
        type=main.type, id_type=IdType.CC, id_number="52000888", first_name="Duplicado", last_name="Remoto"),
        expected_version=main.version)
    from sagicc_tui.domain.customers import MergeParts

    await world.backend.merge_customers(admin, a.customer_id, [b.customer_id], MergeParts())
    app = make_app(world, poll_interval=3600)
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot)
        app.push_screen(CustomerProfileScreen(world.backend, admin, a.customer_id))
        await settle(pilot)
        await pilot.press("l")
        await settle(pilot)
        log = app.screen
        assert isinstance(log, CustomerLogScreen)
        table = log.query_one("#customer-log-table", DataTable)
        rows = [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]
        kinds = {r[1] for r in rows}
        assert {"Customer merged", "Field changed"} <= kinds or len(kinds) >= 3, kinds
        assert any(r[2] == "id_number" and r[4] == "52000888" for r in rows)  # edited
        assert any(r[2] == f"id {b.customer_id}: merged_into" for r in rows)  # the deleted one's own log
        assert any(r[2] == "customer" and r[3] == str(b.customer_id) for r in rows)  # merged
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, CustomerProfileScreen)
    ana = await world.user("ana")
    app = make_app(world, username="ana", poll_interval=3600)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        profile = CustomerProfileScreen(world.backend, ana, a.customer_id)
        app.push_screen(profile)
        await settle(pilot)
        assert profile.check_action("change_log", ()) is False  # agents: no change log key
        await pilot.press("l")
        await settle(pilot)
        assert app.screen is profile
    assert (await world.backend.change_log(admin, EntityKind.CUSTOMER, b.customer_id))
