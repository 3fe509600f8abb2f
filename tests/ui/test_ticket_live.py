"""The open ticket is live and a collision is resolved in front of the user (#11: T8, T15, +T16).

Two terminals on one store: the app under test and a second client of the same
SQLite file (`world.other_terminal()`), or two apps side by side. Nothing is
pressed while waiting for news: the screen must find it by itself.
"""

from __future__ import annotations


import pytest
from textual.widgets import Button, Input, Label, RadioButton, Select, TextArea

from sagicc_tui.domain.ingest import IncomingMessage
from sagicc_tui.domain.collision import Keep
from sagicc_tui.domain.enums import ChannelType, Priority, TicketStatus
from sagicc_tui.domain.ticket_changes import TicketChanges
from sagicc_tui.screens.ticket import TicketScreen
from sagicc_tui.screens.ticket_compare import CompareScreen
from sagicc_tui.widgets.composer import Composer
from sagicc_tui.widgets.conversation import ConversationView
from sagicc_tui.widgets.io import StatusLine
from sagicc_tui.widgets.ticket_header import TicketHeaderBar
from tests.ui.conftest import make_app, settle
from tests.ui.ticket_helpers import no_outgoing_channels, open_first_ticket  # noqa: F401 (an autouse fixture)

SIZE = (160, 50)
_open = open_first_ticket


async def _open_ticket(pilot, ticket_id: int) -> TicketScreen:
    await settle(pilot)
    pilot.app.screen.open_ticket(ticket_id)
    await settle(pilot, rounds=3)
    screen = pilot.app.screen
    assert isinstance(screen, TicketScreen) and screen.ticket_id == ticket_id
    return screen


async def _until(pilot, condition, *, rounds: int = 60) -> bool:
    """Wait without pressing anything: a few live polls at most."""
    for _ in range(rounds):
        if condition():
            return True
        await pilot.pause(0.1)
    return condition()


def _comparing(app) -> bool:
    """The compare screen is pushed and composed: isinstance alone is true before its rows are mounted."""
    return isinstance(app.screen, CompareScreen) and bool(app.screen.query("#compare-save"))


def _conversation(screen) -> str:
    return "\n".join(screen.query_one(ConversationView).text_lines())


async def test_an_ingested_email_shows_on_the_open_ticket_without_a_key(world):
    r = await world.incoming("pedro@correo.co", "Primer mensaje", name="Pedro Pérez")
    other = await world.other_terminal()
    app = make_app(world, poll_interval=3600)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open_ticket(pilot, r.ticket_id)
        composer_text = screen.query_one("#composer-text", TextArea)
        composer_text.focus()
        composer_text.text = "Estoy escribiendo"
        await settle(pilot, rounds=1)
        world.clock.advance(minutes=1)
        await other.ingest(IncomingMessage(channel=ChannelType.EMAIL, sender="pedro@correo.co",
                                           text="¿Alguna novedad?", name="Pedro Pérez", at=world.clock()))
        assert await _until(pilot, lambda: "¿Alguna novedad?" in _conversation(screen))
        assert "New message from the customer" in screen.query_one(StatusLine).text
        # typing and focus are kept
        assert composer_text.text == "Estoy escribiendo" and app.focused is composer_text


@pytest.fixture
async def server_world(tmp_path):
    """The app talks to a real server on 127.0.0.1 (its events are the change token)."""
    from tests.factory import make_world
    from tests.support.remote_world import attach_remote

    local = await make_world(tmp_path / "server.db", blob_dir=tmp_path / "files")
    w = await attach_remote(local, tmp_path)
    try:
        yield w
    finally:
        await w.aclose()


async def test_an_email_ingested_through_the_server_shows_without_a_key(server_world):
    world = server_world
    await world.incoming("pedro@correo.co", "Primer mensaje", name="Pedro Pérez")
    gateway = await world.other_terminal()  # a second client: the mail gateway's
    app = make_app(world, poll_interval=3600)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open(pilot)
        world.clock.advance(minutes=1)
        await gateway.ingest(IncomingMessage(channel=ChannelType.EMAIL, sender="pedro@correo.co",
                                             text="Llegó por el servidor", name="Pedro Pérez", at=world.clock()))
        assert await _until(pilot, lambda: "Llegó por el servidor" in _conversation(screen))
        assert "New message from the customer" in screen.query_one(StatusLine).text


async def test_a_customer_switch_by_anyone_shows_everywhere_at_once(world):
    r = await world.incoming("pedro@correo.co", "Hola", name="Pedro Pérez")
    laura = await world.incoming("laura@correo.co", "Otro caso", name="Laura Gómez")
    other = await world.other_terminal()
    sofia = await other.get_user("sofia")
    app = make_app(world, poll_interval=3600)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open_ticket(pilot, r.ticket_id)
        assert "Pedro Pérez" in screen.query_one(TicketHeaderBar).plain()
        for key in ("4", "1"):  # the Ticket and Customer tabs are built when first shown
            await pilot.press(key)
            await settle(pilot)
        t = await other.get_ticket(sofia, r.ticket_id)
        await other.switch_ticket_customer(sofia, r.ticket_id, laura.customer_id, expected_version=t.version)

        def everywhere() -> bool:
            composer = screen.query_one(Composer)
            contact_options = [str(p) for p, _v in composer.query_one("#composer-contact", Select)._options]
            return ("Laura Gómez" in screen.query_one(TicketHeaderBar).plain()
                    and [c.value for c in screen.contacts] == ["laura@correo.co"]
                    and any("laura@correo.co" in o for o in contact_options)
                    and not any("pedro@correo.co" in o for o in contact_options)
                    and screen.query_one("#cust-first", Input).value == "Laura"
                    and screen.customer is not None and screen.customer.id == laura.customer_id)

        assert await _until(pilot, everywhere)
        assert "Sofía Supervisora moved the ticket to another customer" in screen.query_one(StatusLine).text
        # Sending now goes to the new customer's address, with no second refresh.
        screen.query_one("#composer-subject", Input).value = "Respuesta"
        screen.query_one("#composer-text", TextArea).text = "Hola Laura"
        screen.query_one(Composer).send()
        await settle(pilot, rounds=3)
        page = await world.backend.conversation(await world.user("admin"), r.ticket_id)
        sent = [i.interaction for i in page.items if i.interaction.content == "Hola Laura"]
        assert [s.contact for s in sent] == ["laura@correo.co"]


async def _ticket_tab(pilot, screen) -> None:
    await pilot.press("4")
    await settle(pilot, rounds=1)


async def test_two_apps_on_one_ticket_never_overwrite_each_other_unseen(world):
    """The issue's steps: two agents on the Ticket tab; the second save opens the comparison."""
    r = await world.incoming("pedro@correo.co", "Hola", name="Pedro Pérez")
    admin = await world.user("admin")
    t = await world.backend.get_ticket(admin, r.ticket_id)
    await world.backend.update_ticket(admin, r.ticket_id, TicketChanges(description="Cobro doble."), expected_version=t.version)
    other = await world.other_terminal()
    first = make_app(world, poll_interval=3600)
    second = make_app(world, username="sofia", backend=other, poll_interval=3600)
    async with first.run_test(size=SIZE) as pa, second.run_test(size=SIZE) as pb:
        a, b = await _open(pa), await _open(pb)
        await _ticket_tab(pa, a)
        await _ticket_tab(pb, b)
        # Both start typing; Sofía appends to the description and saves first.
        a_text = a.query_one("#tt-description", TextArea)
        a_text.text = "Cobro doble. Ada: pedir extracto."
        b.query_one("#tt-description", TextArea).text = "Cobro doble. Sofía: ya llamé al banco."
        b.query_one("#tt-save", Button).press()
        await settle(pb, rounds=2)
        assert await _until(pa, lambda: "Sofía Supervisora changed the description" in a.query_one(StatusLine).text)
        assert a_text.text == "Cobro doble. Ada: pedir extracto."  # her typing is kept while the news shows
        # Ada changes the type too, then Ctrl+S.
        a_type = a.query_one("#tt-type", Select)
        a_type.value = "complaint" if a_type.value != "complaint" else "request"
        mine_type = a_type.value
        a_text.focus()
        await pa.press("ctrl+s")
        # The comparison's rows mount a frame after the screen itself: wait for them, not just the screen.
        assert await _until(pa, lambda: isinstance(first.screen, CompareScreen)
                            and bool(first.screen.query(".compare-value")))
        compare = first.screen
        shown = " ".join(str(w.render()) for w in compare.query("Static, Label"))
        assert "Sofía Supervisora" in shown and "ya llamé al banco" in shown and "pedir extracto" in shown
        assert "Cobro doble." in shown  # the one Ada started from
        stored = await world.backend.get_ticket(admin, r.ticket_id)
        assert stored.description == "Cobro doble. Sofía: ya llamé al banco."  # nothing written yet
        # Ada takes Sofía's description, keeps her own type: both edits survive, by her choice.
        compare.choose("description", Keep.THEIRS)
        assert compare.query_one("#keep-type-mine", RadioButton).value  # only she changed it: hers by default
        compare.query_one("#compare-save", Button).press()
        await settle(pa, rounds=3)
        stored = await world.backend.get_ticket(admin, r.ticket_id)
        assert stored.description == "Cobro doble. Sofía: ya llamé al banco."
        assert stored.type.value == mine_type
        assert isinstance(first.screen, TicketScreen)
        assert "Ticket saved." in a.query_one(StatusLine).text


async def test_a_cancelled_comparison_keeps_my_typing_and_writes_nothing(world):
    r = await world.incoming("pedro@correo.co", "Hola", name="Pedro Pérez")
    other = await world.other_terminal()
    sofia = await other.get_user("sofia")
    app = make_app(world, poll_interval=3600)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open(pilot)
        await _ticket_tab(pilot, screen)
        text = screen.query_one("#tt-description", TextArea)
        text.text = "Mi descripción"
        t = await other.get_ticket(sofia, r.ticket_id)
        await other.update_ticket(sofia, r.ticket_id, TicketChanges(description="Cambiado por Sofía"),
                                  expected_version=t.version)
        # The live poll sees her change: my typing stays (the form does not jump to hers).
        assert await _until(pilot, lambda: "Sofía Supervisora changed the description"
                            in screen.query_one(StatusLine).text)
        assert text.text == "Mi descripción"
        screen.query_one("#tt-save", Button).press()
        assert await _until(pilot, lambda: _comparing(app))
        await pilot.press("escape")
        await settle(pilot, rounds=2)
        assert app.screen is screen and text.text == "Mi descripción"
        assert (await other.get_ticket(sofia, r.ticket_id)).description == "Cambiado por Sofía"
        # Saving again compares again: there is no path that writes over hers unseen.
        screen.query_one("#tt-save", Button).press()
        assert await _until(pilot, lambda: _comparing(app))


async def test_an_untouched_ticket_tab_follows_the_other_users_change(world):
    r = await world.incoming("pedro@correo.co", "Hola", name="Pedro Pérez")
    other = await world.other_terminal()
    sofia = await other.get_user("sofia")
    app = make_app(world, poll_interval=3600)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open(pilot)
        await _ticket_tab(pilot, screen)
        t = await other.get_ticket(sofia, r.ticket_id)
        await other.update_ticket(sofia, r.ticket_id, TicketChanges(priority=Priority.CRITICAL, description="Urgente"),
                                  expected_version=t.version)
        assert await _until(pilot, lambda: screen.query_one("#tt-description", TextArea).text == "Urgente")
        assert screen.query_one("#tt-priority", Select).value == Priority.CRITICAL.value
        assert "Critical" in screen.query_one(TicketHeaderBar).plain()
        # and my save now goes on the version I see, without a comparison
        screen.query_one("#tt-description", TextArea).text = "Urgente, llamar hoy"
        screen.query_one("#tt-save", Button).press()
        await settle(pilot, rounds=2)
        assert (await other.get_ticket(sofia, r.ticket_id)).description == "Urgente, llamar hoy"


async def test_closed_by_someone_else_turns_the_screen_read_only(world):
    r = await world.incoming("pedro@correo.co", "Hola", name="Pedro Pérez")
    other = await world.other_terminal()
    sofia = await other.get_user("sofia")
    app = make_app(world, poll_interval=3600)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open(pilot)
        assert "close" in screen.option_keys()
        t = await other.get_ticket(sofia, r.ticket_id)
        await other.close_ticket(sofia, r.ticket_id, expected_version=t.version)
        assert await _until(pilot, lambda: screen.closed)
        await settle(pilot, rounds=2)
        assert not screen.query("#tab-ticket-body")  # not shown yet: built, read-only, when shown
        await pilot.press("4")
        await settle(pilot)
        assert screen.query_one("#composer-box").disabled and screen.query_one("#tab-ticket-body").disabled
        assert "closed" in str(screen.query_one("#tab-ticket-body .form-error", Label).render())
        assert "is closed" in screen.query_one(StatusLine).text or "was closed" in screen.query_one(StatusLine).text
        assert "close" not in screen.option_keys()
        assert screen.ticket.status is TicketStatus.CLOSED


# --- snapshots of the comparison (fixed size, injected clock, seeded store, no blink) ----------------------


async def _compare_world(world):
    r = await world.incoming("pedro@correo.co", "Me cobraron dos veces la factura de octubre", name="Pedro Pérez",
                             subject="Factura duplicada")
    admin = await world.user("admin")
    t = await world.backend.get_ticket(admin, r.ticket_id)
    await world.backend.update_ticket(admin, r.ticket_id, TicketChanges(description="Cobro doble en octubre."),
                                      expected_version=t.version)
    return r.ticket_id


def _compare_ready(world, ticket_id):
    async def run_before(pilot):
        await settle(pilot)
        pilot.app.screen.open_ticket(ticket_id)
        await settle(pilot, rounds=4)
        screen = pilot.app.screen
        await pilot.press("4")
        await settle(pilot, rounds=2)
        screen.query_one("#tt-description", TextArea).text = "Cobro doble en octubre. Ada: pedir el extracto."
        screen.query_one("#tt-priority", Select).value = Priority.HIGH.value
        sofia = await world.user("sofia")
        world.clock.advance(minutes=3)
        t = await world.backend.get_ticket(sofia, ticket_id)
        await world.backend.update_ticket(sofia, ticket_id, TicketChanges(description="Cobro doble en octubre. Sofía: ya llamé al banco.", priority=Priority.CRITICAL),
            expected_version=t.version)
        screen.query_one("#tt-save", Button).press()
        await settle(pilot, rounds=4)
        assert isinstance(pilot.app.screen, CompareScreen)
        for widget in pilot.app.screen.query("Input, TextArea"):
            widget.cursor_blink = False
        await pilot.app.workers.wait_for_complete()
        # The comparison is the subject: a passing notice (a kept draft the store
        # took late on a loaded machine) is not part of it.
        pilot.app.clear_notifications()
        await pilot.pause()

    return run_before


@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize("size", [(80, 24), (160, 50)])
def test_comparison_snapshot(snap_compare, tmp_path, monkeypatch, size, language):
    import asyncio

    # No live poll while capturing: its notice would pop up or not depending on timing.
    monkeypatch.setattr("sagicc_tui.screens.ticket.LIVE_POLL", 3600)
    # Nor the retry of drafts the loaded store took late: its "saved now" notice likewise.
    monkeypatch.setattr("sagicc_tui.app.DRAFT_RETRY", 3600)

    from tests.factory import make_world

    world = asyncio.run(make_world(tmp_path / "snap.db"))
    try:
        ticket_id = asyncio.run(_compare_world(world))
        app = make_app(world, poll_interval=3600, language=language)
        assert snap_compare(app, terminal_size=size, run_before=_compare_ready(world, ticket_id))
    finally:
        asyncio.run(world.backend.aclose())


# --- +T17 traffic cop, #11.7 replying takes the ticket, #11.8 leaving is deliberate -------------------------


def _notes(app) -> list[str]:
    return [n.message for n in app._notifications]


async def _write_reply(pilot, screen, text: str) -> None:
    screen.query_one("#composer-subject", Input).value = "Su caso"
    area = screen.query_one("#composer-text", TextArea)
    area.focus()
    area.text = text
    await settle(pilot, rounds=1)


async def test_news_since_i_started_writing_is_offered_for_review_before_sending(world):
    r = await world.incoming("pedro@correo.co", "Hola", name="Pedro Pérez")
    other = await world.other_terminal()
    app = make_app(world, poll_interval=3600)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open_ticket(pilot, r.ticket_id)
        await _write_reply(pilot, screen, "Ya revisamos su factura.")
        for text in ("Otra cosa", "¿Me responden?"):
            world.clock.advance(minutes=1)
            await other.ingest(IncomingMessage(channel=ChannelType.EMAIL, sender="pedro@correo.co", text=text,
                                               name="Pedro Pérez", at=world.clock()))
        screen.query_one(Composer).send()
        assert await _until(pilot, lambda: app.screen is not screen)
        await settle(pilot, rounds=1)
        dialog = " ".join(str(w.render()) for w in app.screen.query("Static"))
        assert "2 new messages since you started writing" in dialog
        app.screen.query_one("#confirm-no", Button).press()  # Review
        await settle(pilot, rounds=2)
        assert app.screen is screen and isinstance(app.focused, ConversationView)
        assert "¿Me responden?" in _conversation(screen)
        admin = await world.user("admin")
        page = await world.backend.conversation(admin, r.ticket_id)
        assert not [i for i in page.items if i.interaction.content == "Ya revisamos su factura."]  # not sent
        assert screen.query_one("#composer-text", TextArea).text == "Ya revisamos su factura."  # kept
        # Reviewed: the next Send goes (the same news is not asked about twice).
        screen.query_one(Composer).send()
        await settle(pilot, rounds=3)
        page = await world.backend.conversation(admin, r.ticket_id)
        assert [i for i in page.items if i.interaction.content == "Ya revisamos su factura."]


async def test_replying_takes_an_unassigned_ticket_and_says_so_once(world):
    r = await world.incoming("pedro@correo.co", "Hola", name="Pedro Pérez")
    app = make_app(world, poll_interval=3600)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open_ticket(pilot, r.ticket_id)
        said: list[str] = []
        real_notify = screen.notify
        screen.notify = lambda message, **kw: (said.append(message), real_notify(message, **kw))[1]
        await _write_reply(pilot, screen, "Primera respuesta")
        screen.query_one(Composer).send()
        await settle(pilot, rounds=4)
        admin = await world.user("admin")
        assert (await world.backend.get_ticket(admin, r.ticket_id)).assignee_id == admin.id
        assert len([n for n in said if "now assigned to you" in n]) == 1
        assert "Ada Admin" in screen.query_one(TicketHeaderBar).plain()
        await _write_reply(pilot, screen, "Segunda respuesta")
        screen.query_one(Composer).send()
        await settle(pilot, rounds=4)
        assert len([n for n in said if "now assigned to you" in n]) == 1  # not news any more


async def test_leaving_keeps_the_reply_as_a_draft_says_so_and_keys_never_reach_the_list(world, monkeypatch):
    from sagicc_tui.screens.tickets import TicketsScreen
    from tests.ui.conftest import ticket_list

    # The grace after a ticket closes, long enough that this slow test's keys all fall in it.
    monkeypatch.setattr("sagicc_tui.screens.tickets.LEAVE_GRACE", 30)

    r = await world.incoming("pedro@correo.co", "Hola", name="Pedro Pérez")
    app = make_app(world, poll_interval=3600)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open_ticket(pilot, r.ticket_id)
        await _write_reply(pilot, screen, "A medio escribir")
        await pilot.press("escape")  # leaves the field, not the ticket
        await settle(pilot, rounds=1)
        assert app.screen is screen and isinstance(app.focused, ConversationView)
        await pilot.press("escape", "t", "t", "space", "o")  # leave, then keys typed while it closes
        await settle(pilot, rounds=4)
        assert isinstance(app.screen, TicketsScreen)
        assert ticket_list(app).tag_count == 0
        assert any("kept as a draft" in n for n in _notes(app))
        admin = await world.user("admin")
        draft = await world.backend.get_draft(admin, r.ticket_id, "composer")
        assert draft is not None and draft.data["text"] == "A medio escribir"


async def test_leaving_with_an_unsaved_ticket_form_asks_first(world):
    r = await world.incoming("pedro@correo.co", "Hola", name="Pedro Pérez")
    app = make_app(world, poll_interval=3600)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open_ticket(pilot, r.ticket_id)
        await _ticket_tab(pilot, screen)
        screen.query_one("#tt-description", TextArea).text = "Sin guardar"
        screen.action_leave()
        await settle(pilot, rounds=2)
        assert app.screen is not screen
        assert "not saved" in " ".join(str(w.render()) for w in app.screen.query("Static"))
        app.screen.query_one("#confirm-no", Button).press()
        await settle(pilot, rounds=2)
        assert app.screen is screen and screen.query_one("#tt-description", TextArea).text == "Sin guardar"


async def test_the_header_says_who_is_writing_a_reply(world):
    r = await world.incoming("pedro@correo.co", "Hola", name="Pedro Pérez")
    other = await world.other_terminal()
    sofia = await other.get_user("sofia")
    app = make_app(world, poll_interval=3600)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open_ticket(pilot, r.ticket_id)
        await other.enter_ticket(sofia, r.ticket_id)
        await other.save_draft(sofia, r.ticket_id, "composer", {"text": "Le escribo al cliente"})
        screen._beat()  # the PRESENCE_HEARTBEAT interval, without waiting for it
        assert await _until(pilot, lambda: "Sofía Supervisora is writing a reply" in
                            screen.query_one(TicketHeaderBar).plain())


async def test_news_keeps_the_readers_place_and_follows_a_reader_at_the_end(world):
    r = await world.incoming("pedro@correo.co", "Mensaje 0", name="Pedro Pérez")
    for n in range(1, 12):
        await world.incoming("pedro@correo.co", f"Mensaje {n}\n" + "línea\n" * 3, name="Pedro Pérez")
    other = await world.other_terminal()
    app = make_app(world, poll_interval=3600)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open_ticket(pilot, r.ticket_id)
        view = screen.query_one(ConversationView)
        view.focus()
        await pilot.press("k", "k", "k", "k", "k", "k")  # reading an older message
        await settle(pilot, rounds=1)
        reading, y = view.cursor_interaction.id, view.scroll_y
        world.clock.advance(minutes=1)
        await other.ingest(IncomingMessage(channel=ChannelType.EMAIL, sender="pedro@correo.co",
                                           text="Mensaje nuevo", name="Pedro Pérez", at=world.clock()))
        assert await _until(pilot, lambda: "Mensaje nuevo" in _conversation(screen))
        assert view.cursor_interaction.id == reading and view.scroll_y == y and app.focused is view
        # At the end, the reader follows what arrives.
        await pilot.press("G")
        await settle(pilot, rounds=2)
        world.clock.advance(minutes=1)
        await other.ingest(IncomingMessage(channel=ChannelType.EMAIL, sender="pedro@correo.co",
                                           text="Otro más", name="Pedro Pérez", at=world.clock()))
        assert await _until(pilot, lambda: "Otro más" in _conversation(screen))
        await settle(pilot, rounds=1)
        assert view.cursor_interaction.content == "Otro más"


async def test_a_contact_changed_by_someone_else_is_compared_not_overwritten(world):
    from textual.widgets import OptionList

    from sagicc_tui.domain.customers import ContactInput
    from sagicc_tui.domain.enums import ContactKind

    r = await world.incoming("pedro@correo.co", "Hola", name="Pedro Pérez")
    other = await world.other_terminal()
    sofia = await other.get_user("sofia")
    app = make_app(world, poll_interval=3600)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open_ticket(pilot, r.ticket_id)
        await pilot.press("2")
        await settle(pilot, rounds=1)
        contacts = screen.query_one("#contact-list", OptionList)
        contacts.highlighted = 0
        await settle(pilot, rounds=1)
        screen.query_one("#contact-label", Input).value = "Trabajo"
        [mail] = await other.list_contacts(sofia, r.customer_id)
        await other.update_contact(sofia, mail.id, ContactInput(kind=ContactKind.EMAIL, value="pedro@empresa.co"))
        screen.query_one("#contact-save", Button).press()
        assert await _until(pilot, lambda: _comparing(app))
        assert [c.value for c in await other.list_contacts(sofia, r.customer_id)] == ["pedro@empresa.co"]
        app.screen.choose("value", Keep.THEIRS)
        app.screen.query_one("#compare-save", Button).press()
        await settle(pilot, rounds=3)
        [saved] = await other.list_contacts(sofia, r.customer_id)
        assert (saved.value, saved.label) == ("pedro@empresa.co", "Trabajo")  # both edits survive


async def test_the_customer_profile_form_compares_a_change_made_meanwhile(world):
    from sagicc_tui.domain.customers import CustomerInput
    from sagicc_tui.screens.customer_form import CustomerFormScreen

    from sqlalchemy import update

    from sagicc_tui.local_store import schema

    r = await world.incoming("pedro@correo.co", "Hola", name="Pedro Pérez")
    cu = schema.CustomerRow.__table__
    world.sql(update(cu).where(cu.c.id == r.customer_id).values(id_type="cc", id_number="80012345"))
    other = await world.other_terminal()
    sofia = await other.get_user("sofia")
    app = make_app(world, poll_interval=3600)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        admin = await world.user("admin")
        customer = await world.backend.get_customer(admin, r.customer_id)
        app.push_screen(CustomerFormScreen(world.backend, admin, customer))
        await settle(pilot, rounds=2)
        form = app.screen
        form.query_one("#f-id-number", Input).value = "1020304050"
        theirs = await other.get_customer(sofia, r.customer_id)
        await other.update_customer(sofia, r.customer_id, CustomerInput(
            type=theirs.type, id_type=theirs.id_type, id_number=theirs.id_number, first_name="Pedro José",
            last_name=theirs.last_name), expected_version=theirs.version)
        form.action_save()
        assert await _until(pilot, lambda: _comparing(app))

        def shown() -> str:
            return " ".join(str(w.render()) for w in app.screen.query("Static, Label"))

        # The rows are composed after the screen is pushed: wait for them, then read.
        assert await _until(pilot, lambda: "Pedro José" in shown(), rounds=300), shown()
        assert "Sofía Supervisora" in shown()
        app.screen.query_one("#compare-save", Button).press()  # defaults: my document, her first name
        await settle(pilot, rounds=3)
        saved = await other.get_customer(sofia, r.customer_id)
        assert (saved.id_number, saved.first_name) == ("1020304050", "Pedro José")
