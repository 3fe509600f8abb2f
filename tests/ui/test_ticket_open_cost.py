"""What keeps opening a ticket cheap (each widget costs Textual milliseconds of CPU to
build and style, hidden or not; every agent on a shared host pays it at each ticket):
tabs built the first time they are shown (T4-T14), and a footer rebuilt only when
the keys it shows change."""

from __future__ import annotations

from textual.widgets import Input, Select, TextArea
from textual.widgets._footer import FooterKey

from sagicc_tui.domain.customers import AccountInput
from sagicc_tui.domain.enums import TicketStatus
from sagicc_tui.domain.ticket_changes import TicketChanges
from sagicc_tui.screens.ticket import LAZY_TABS
from sagicc_tui.widgets.conversation import ConversationView
from sagicc_tui.widgets.key_footer import KeyFooter
from sagicc_tui.widgets.ticket_tabs import TicketTab, TicketTabBase
from tests.ui.conftest import make_app, settle
from tests.ui.ticket_helpers import no_outgoing_channels, open_first_ticket  # noqa: F401 (an autouse fixture)

SIZE = (160, 50)


def _built(screen) -> set[str]:
    return {tab.id.removesuffix("-body") for tab in screen.query(TicketTabBase)}


async def test_a_tab_is_built_the_first_time_it_is_shown_with_the_tickets_state(world):
    r = await world.incoming("pedro@correo.co", "Hola", name="Pedro Pérez")
    admin = await world.user("admin")
    t = await world.backend.get_ticket(admin, r.ticket_id)
    await world.backend.update_ticket(admin, r.ticket_id, TicketChanges(description="Cobro doble"),
                                      expected_version=t.version)
    account = await world.backend.add_account(admin, t.customer_id, AccountInput(number="CTA-77", name="Hogar"))
    app = make_app(world, poll_interval=3600)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_first_ticket(pilot)
        # The composer's contacts and the Ticket tab's accounts are the screen's:
        # the Contact and Account tabs need not be built for them.
        assert _built(screen) == {"tab-conversation", "tab-tasks"}
        assert [c.value for c in screen.contacts] == ["pedro@correo.co"]
        assert not _built(screen) & LAZY_TABS
        await pilot.press("4")
        await settle(pilot)
        tab = screen.query_one(TicketTab)
        assert screen.query_one("#tt-description", TextArea).text == "Cobro doble"
        assert screen.query_one("#tt-campaign", Select).value == t.campaign_id
        assert account.id in [v for _p, v in screen.query_one("#tt-account", Select)._options]
        assert "tab-account" not in _built(screen)
        assert tab.has_focus_within  # the key's tab takes the cursor, as a built one does
        await pilot.press("5", "4")
        await settle(pilot)
        assert len(screen.query(TicketTab)) == 1  # built once, then shown again
        # Someone else's change reaches a tab built late like one built at the start.
        sofia = await world.user("sofia")
        t = await world.backend.get_ticket(sofia, r.ticket_id)
        await world.backend.close_ticket(sofia, r.ticket_id, expected_version=t.version)
        screen.action_refresh()
        for _ in range(20):
            await settle(pilot)
            if screen.closed:
                break
        assert screen.ticket.status is TicketStatus.CLOSED
        await pilot.press("N")
        await settle(pilot)
        assert screen.query_one("#note-text", TextArea).disabled  # built read-only: closed is closed


async def test_the_footer_is_rebuilt_only_when_its_keys_change(world):
    await world.incoming("pedro@correo.co", "Hola", name="Pedro Pérez")
    app = make_app(world, poll_interval=3600)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_first_ticket(pilot)
        footer = screen.query_one(KeyFooter)

        def keys():
            return list(footer.query(FooterKey))

        screen.query_one("#composer-subject", Input).focus()
        await settle(pilot)
        shown = keys()
        assert shown
        screen.query_one("#composer-cc", Input).focus()  # another field, the same keys
        await settle(pilot)
        assert keys() == shown and all(a is b for a, b in zip(keys(), shown, strict=True))
        screen.query_one(ConversationView).focus()  # other keys: rebuilt
        await settle(pilot)
        assert keys() and keys()[0] is not shown[0]
        assert any("View in full" in str(k.description) for k in keys())
