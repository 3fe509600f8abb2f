"""The ticket screen's other tabs and the options menu (T3-T6, T10, T12, T13), at 80x24.

One app session walks every tab and every option dialog, checking the store
after each write.
"""

from __future__ import annotations

import os

import pytest
from textual.widgets import Button, Input, OptionList

from sagicc_tui.domain.enums import (
    ChangeKind,
    ContactKind,
    DeliveryState,
    Direction,
    EntityKind,
)
from sagicc_tui.screens.choose import ChoiceScreen
from sagicc_tui.screens.ticket import TicketScreen
from sagicc_tui.screens.ticket_dialogs import (
    ChangeLogScreen,
    MergeScreen,
    RelatedScreen,
    TextScreen,
)
from sagicc_tui.screens.tickets import TicketsScreen
from tests.ui.conftest import make_app, settle


@pytest.fixture(autouse=True)
def _no_smtp(monkeypatch):
    for name in list(os.environ):
        if name.startswith("SAGICC_SMTP"):
            monkeypatch.delenv(name, raising=False)


async def _option(pilot, screen: TicketScreen, key: str) -> None:
    await pilot.press("o")
    await settle(pilot, rounds=1)
    assert isinstance(pilot.app.screen, ChoiceScreen)
    pilot.app.screen.query_one(OptionList).highlighted = screen.option_keys().index(key)
    await pilot.press("enter")
    await settle(pilot, rounds=2)


async def test_tabs_and_options_at_80x24(world, tmp_path):
    first = await world.incoming("pedro@correo.co", "Primero", name="Pedro Pérez")
    other = await world.incoming("otro@correo.co", "Otro caso", name="Otro Cliente")
    world.clock.advance(minutes=5)
    app = make_app(world, poll_interval=3600)
    admin = await world.user("admin")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        # the list is newest first: move to Pedro's ticket
        while app.screen.query_one("#ticket-list").cursor_card.id != first.ticket_id:
            await pilot.press("j")
        await pilot.press("enter")
        await settle(pilot, rounds=3)
        screen = app.screen
        assert isinstance(screen, TicketScreen)
        # every tab opens
        for key in "123456790n8":
            await pilot.press(key)
            await settle(pilot, rounds=1)
        # T5: add a contact
        await pilot.press("2")
        await settle(pilot, rounds=1)
        screen.query_one("#contact-value", Input).value = "pedro.otro@correo.co"
        screen.query_one("#contact-add", Button).press()
        await settle(pilot, rounds=2)
        contacts = await world.backend.list_contacts(admin, first.customer_id)
        assert "pedro.otro@correo.co" in [c.value for c in contacts if c.kind is ContactKind.EMAIL]
        # T6: add an account
        await pilot.press("3")
        await settle(pilot, rounds=1)
        screen.query_one("#account-number", Input).value = "ACC-77"
        screen.query_one("#account-add", Button).press()
        await settle(pilot, rounds=2)
        assert [a.number for a in await world.backend.list_accounts(admin, first.customer_id)] == ["ACC-77"]
        # T4: an invalid birth date is one sentence, the input stays
        await pilot.press("1")
        await settle(pilot, rounds=1)
        screen.query_one("#cust-birth", Input).value = "2999-01-01"
        screen.query_one("#cust-save", Button).press()
        await settle(pilot, rounds=2)
        assert str(screen.query_one("#tab-customer-body .form-error").render()).strip()
        assert screen.query_one("#cust-birth", Input).value == "2999-01-01"
        # T13: add an attachment from disk
        path = tmp_path / "factura.txt"
        path.write_text("hola")
        await pilot.press("0")
        await settle(pilot, rounds=1)
        screen.query_one("#attach-path", Input).value = str(path)
        screen.query_one("#attach-add", Button).press()
        await settle(pilot, rounds=2)
        assert [a.name for a in await world.backend.list_attachments(admin, first.ticket_id)] == ["factura.txt"]
        # T3 options: change log, related, external view, transcript, merge, reassign
        await _option(pilot, screen, "changelog")
        assert isinstance(app.screen, ChangeLogScreen)
        await settle(pilot, rounds=2)
        from textual.widgets import DataTable

        kinds = {str(row[0]) for row in (app.screen.query_one("#log-table", DataTable).get_row_at(i)
                                         for i in range(app.screen.query_one("#log-table", DataTable).row_count))}
        assert "Attachment added" in kinds  # translated type labels, not raw values
        rules = app.screen.query_one("#rule-table", DataTable)
        assert any("routing" in str(rules.get_row_at(i)[0]) for i in range(rules.row_count))  # business rule log
        await pilot.press("escape")
        await settle(pilot, rounds=1)
        await _option(pilot, screen, "related")
        assert isinstance(app.screen, RelatedScreen)
        app.screen.query_one("#related-number", Input).value = str(other.ticket_number)
        await app.screen.query_one("#related-number", Input).action_submit()
        await settle(pilot, rounds=2)
        related = await world.backend.related_tickets(admin, first.ticket_id)
        assert [r.related_number for r in related] == [other.ticket_number]
        await pilot.press("escape")
        await settle(pilot, rounds=1)
        await _option(pilot, screen, "external")
        assert isinstance(app.screen, TextScreen)
        await pilot.press("escape")
        await settle(pilot, rounds=1)
        await _option(pilot, screen, "transcript")
        assert isinstance(app.screen, ChoiceScreen)
        await pilot.press("enter")
        await settle(pilot, rounds=2)
        page = await world.backend.conversation(admin, first.ticket_id)
        out = [i.interaction for i in page.items if i.interaction.direction is Direction.OUTGOING]
        assert out and out[-1].delivery is DeliveryState.RECORDED
        await _option(pilot, screen, "merge")
        assert isinstance(app.screen, MergeScreen)
        await pilot.press("escape")
        await settle(pilot, rounds=1)
        await _option(pilot, screen, "reassign")
        assert isinstance(app.screen, ChoiceScreen)
        options = app.screen.query_one(OptionList)
        ana = next(i for i in range(options.option_count) if "Ana Agente" in str(options.get_option_at_index(i).prompt))
        options.highlighted = ana
        await pilot.press("enter")
        await settle(pilot, rounds=2)
        ticket = await world.backend.get_ticket(admin, first.ticket_id)
        assert ticket.assignee_id == 3
        log = await world.backend.change_log(admin, EntityKind.TICKET, first.ticket_id)
        assert any(e.kind is ChangeKind.ASSIGNED for e in log)
        await pilot.press("x")
        await settle(pilot)
        # the Customer tab still holds the refused birth date: leaving asks first (#11.8)
        assert "Customer" in " ".join(str(w.render()) for w in app.screen.query("Static"))
        app.screen.query_one("#confirm-yes", Button).press()
        await settle(pilot)
        assert isinstance(app.screen, TicketsScreen)


async def _submit_prompt(pilot, value: str) -> None:
    from sagicc_tui.screens.text_prompt import TextPrompt

    assert isinstance(pilot.app.screen, TextPrompt)
    box = pilot.app.screen.query_one(Input)
    box.value = value
    await box.action_submit()
    await settle(pilot, rounds=2)


async def _choose(pilot, text: str) -> None:
    assert isinstance(pilot.app.screen, ChoiceScreen)
    options = pilot.app.screen.query_one(OptionList)
    options.highlighted = next(i for i in range(options.option_count)
                               if text in str(options.get_option_at_index(i).prompt))
    await pilot.press("enter")
    await settle(pilot, rounds=2)


async def test_customer_tab_related_customers_and_assigned_user(world):
    from sqlalchemy import select

    from sagicc_tui.domain.customers import CustomerInput
    from sagicc_tui.domain.enums import IdType
    from sagicc_tui.local_store import schema
    from sagicc_tui.screens.ticket_dialogs import ConfirmScreen

    first = await world.incoming("pedro@correo.co", "Primero", name="Pedro Pérez")
    admin = await world.user("admin")
    laura = await world.backend.create_customer(admin, CustomerInput(
        id_type=IdType.CC, id_number="52000777", first_name="Laura", last_name="Gómez"))
    app = make_app(world, poll_interval=3600)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot, rounds=3)
        screen = app.screen
        assert isinstance(screen, TicketScreen)
        await pilot.press("1")
        await settle(pilot, rounds=2)
        # add: find by document, choose, say the relation
        screen.query_one("#cust-rel-add", Button).press()
        await settle(pilot, rounds=1)
        await _submit_prompt(pilot, "52000777")
        await _choose(pilot, "Laura Gómez")
        await _submit_prompt(pilot, "Hermana")
        assert app.screen is screen
        relations = await world.backend.list_relations(admin, first.customer_id)
        assert [(r.related_customer_id, r.relation) for r in relations] == [(laura.id, "Hermana")]
        related = screen.query_one("#cust-related", OptionList)
        assert "Laura Gómez" in str(related.get_option_at_index(0).prompt)
        # edit the relation text
        related.highlighted = 0
        screen.query_one("#cust-rel-edit", Button).press()
        await settle(pilot, rounds=1)
        await _submit_prompt(pilot, "Prima")
        assert [r.relation for r in await world.backend.list_relations(admin, first.customer_id)] == ["Prima"]
        # remove it, after confirming
        related.highlighted = 0
        screen.query_one("#cust-rel-remove", Button).press()
        await settle(pilot, rounds=1)
        assert isinstance(app.screen, ConfirmScreen)
        app.screen.query_one("#confirm-yes", Button).press()
        await settle(pilot, rounds=2)
        assert await world.backend.list_relations(admin, first.customer_id) == []
        # the assigned user, for this campaign and then for all campaigns
        ticket = await world.backend.get_ticket(admin, first.ticket_id)
        screen.query_one("#cust-assign", Button).press()
        await settle(pilot, rounds=2)
        await _choose(pilot, "Bruno Agente")
        await _choose(pilot, "This campaign")
        with world.backend.store.read() as conn:
            ac = schema.CustomerAssignmentRow.__table__.c
            rows = conn.execute(select(ac.campaign_id, ac.user_id).where(ac.customer_id == first.customer_id)).all()
        assert [tuple(r) for r in rows] == [(ticket.campaign_id, 4)]
        assert "Bruno Agente" in str(screen.query_one("#cust-assignees").render())
        screen.query_one("#cust-assign", Button).press()
        await settle(pilot, rounds=2)
        await _choose(pilot, "Ana Agente")
        await _choose(pilot, "All campaigns")
        customer = await world.backend.get_customer(admin, first.customer_id)
        assert customer.assigned_user_id == 3
        profile = await world.backend.customer_profile(admin, first.customer_id)
        assert [(a.campaign_id, a.user_id) for a in profile.assignments] == [(ticket.campaign_id, 4)]
        # the form still saves: it follows the customer's new version
        screen.query_one("#cust-id-number", Input).value = "1020304050"
        screen.query_one("#cust-middle", Input).value = "José"
        screen.query_one("#cust-save", Button).press()
        await settle(pilot, rounds=2)
        assert (await world.backend.get_customer(admin, first.customer_id)).middle_name == "José", str(screen.query_one("#tab-customer-body .form-error").render())


async def test_external_view_links_are_listed_and_revoked_from_the_options_menu(world):
    """#10.10: Options, External view links: choose the link, confirm, it stops."""
    from sagicc_tui.screens.ticket_dialogs import ConfirmScreen

    first = await world.incoming("pedro@correo.co", "Primero", name="Pedro Pérez")
    admin = await world.user("admin")
    app = make_app(world, poll_interval=3600)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot, rounds=3)
        screen = app.screen
        assert isinstance(screen, TicketScreen)
        await _option(pilot, screen, "external")
        assert isinstance(app.screen, TextScreen)
        await pilot.press("escape")
        await settle(pilot, rounds=1)
        [link] = await world.backend.list_external_views(admin, ticket_id=first.ticket_id)
        assert link.active and await world.backend.external_page(link.token) is not None
        await _option(pilot, screen, "links")
        assert isinstance(app.screen, ChoiceScreen)
        assert link.token[:10] in str(app.screen.query_one(OptionList).get_option_at_index(0).prompt)
        await pilot.press("enter")
        await settle(pilot, rounds=1)
        assert isinstance(app.screen, ConfirmScreen)
        app.screen.query_one("#confirm-yes", Button).press()
        await settle(pilot, rounds=2)
        assert app.screen is screen
    [link] = await world.backend.list_external_views(admin, ticket_id=first.ticket_id)
    assert link.revoked_at is not None and await world.backend.external_page(link.token) is None
