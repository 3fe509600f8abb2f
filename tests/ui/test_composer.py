"""The composer (T9) through Pilot, checked in the store: #13's default e-mail
subject, #15.3's other customers' contacts and the sender of "View in full"."""

from __future__ import annotations


from textual.widgets import Input, TextArea

from sagicc_tui.domain.enums import Direction
from sagicc_tui.screens.ticket import TicketScreen
from tests.ui.conftest import make_app, settle
from tests.ui.ticket_helpers import no_outgoing_channels, open_first_ticket  # noqa: F401 (an autouse fixture)

SIZE = (160, 50)
_open = open_first_ticket


async def test_the_composer_shows_the_default_subject_and_the_agent_may_change_it(world):
    """#13.4 T9: `Re: <thread subject> [#N]` is in the Subject field before sending
    (the store's own rule, not a copy); a changed subject is the one sent; the
    default alone is not a draft."""
    r = await world.incoming("pedro@correo.co", "Me cobraron dos veces", name="Pedro Pérez",
                             subject="RE: Factura duplicada")
    admin = await world.user("admin")
    app = make_app(world, poll_interval=3600)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open(pilot)
        subject = screen.query_one("#composer-subject", Input)
        assert subject.value == f"Re: Factura duplicada [#{r.ticket_number}]"
        assert screen.composer.raw_values()["subject"] == ""  # not typing: no draft for it
        # The default as shown is what is sent.
        screen.query_one("#composer-text", TextArea).text = "Ya lo revisamos."
        await settle(pilot, rounds=1)
        await pilot.press("m", "ctrl+s")
        await settle(pilot)
        # After the send the default is back; the agent changes it for the next one.
        assert subject.value == f"Re: Factura duplicada [#{r.ticket_number}]"
        subject.value = "Devolución aprobada"
        screen.query_one("#composer-text", TextArea).text = "Le devolvemos el cobro."
        await settle(pilot, rounds=1)
        assert screen.composer.raw_values()["subject"] == "Devolución aprobada"
        await pilot.press("m", "ctrl+s")
        await settle(pilot)
    sent = [i for i in await world.interactions(admin, r.ticket_id) if i.direction is Direction.OUTGOING]
    assert [(i.subject, i.content) for i in sent] == [
        (f"Re: Factura duplicada [#{r.ticket_number}]", "Ya lo revisamos."),
        ("Devolución aprobada", "Le devolvemos el cobro."),
    ]


def _allow_other_contacts(world) -> None:
    from dataclasses import replace

    from sqlalchemy import update

    from sagicc_tui.local_store import schema
    from sagicc_tui.local_store.convert import campaign_to_config
    from tests.factory import SERVICE

    world.sql(update(schema.CampaignRow.__table__).where(schema.CampaignRow.__table__.c.id == 1)
              .values(config=campaign_to_config(replace(SERVICE, allow_other_contacts=True))))


async def test_the_composer_finds_another_customers_contact_where_the_campaign_allows_it(world):
    """#15.3 T9 ("Search for other contact information"): a contact of another
    customer, found by name, reachable by the channel, and the message goes there."""
    from sagicc_tui.screens.contact_search import ContactSearchScreen

    mine = await world.incoming("pedro@correo.co", "Hola", name="Pedro Pérez")
    other = await world.incoming("maria@correo.co", "Soy la contadora", name="María Gómez")
    _allow_other_contacts(world)
    admin = await world.user("admin")
    (maria_mail,) = await world.backend.list_contacts(admin, other.customer_id)
    app = make_app(world, poll_interval=3600)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.screen.open_ticket(mine.ticket_id)
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, TicketScreen)
        screen.query_one("#composer-search-contact").press()
        await settle(pilot)
        assert isinstance(app.screen, ContactSearchScreen)
        await pilot.press(*"maria", "enter")
        await settle(pilot)
        found = app.screen.query_one("#contact-found")
        assert found.option_count == 1 and "María Gómez" in str(found.get_option_at_index(0).prompt)
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is screen
        assert screen.composer.raw_values()["contact"] == maria_mail.id
        screen.query_one("#composer-text", TextArea).text = "Le reenvío la factura."
        await settle(pilot, rounds=1)
        await pilot.press("m", "ctrl+s")
        await settle(pilot)
    sent = [i for i in await world.interactions(admin, mine.ticket_id)
            if i.direction is Direction.OUTGOING]
    assert [(i.contact, i.content) for i in sent] == [("maria@correo.co", "Le reenvío la factura.")]


async def test_view_in_full_of_an_incoming_whatsapp_shows_the_customer_as_sender(world):
    """#15.3: From is the customer (name and number); no "To: <their own number>"."""
    from sagicc_tui.domain.enums import ChannelType
    from sagicc_tui.screens.ticket_dialogs import TextScreen

    await world.incoming("+573015550001", "¿Ya salió mi pedido?", channel=ChannelType.WHATSAPP, name="Pedro Pérez")
    app = make_app(world, poll_interval=3600)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open(pilot)
        screen.query_one("#conversation").focus()
        await pilot.press("G", "enter")
        await settle(pilot)
        assert isinstance(app.screen, TextScreen)
        text = str(app.screen.query_one("#text-body").render())
        assert "From: Pedro Pérez <+573015550001>" in text and "To:" not in text
        assert "¿Ya salió mi pedido?" in text
