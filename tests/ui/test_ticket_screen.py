"""The ticket management screen (T1-T15) through Pilot, on the real `world` store.

Every action is checked in the STORE afterwards (through the backend), not
only on screen.
"""

from __future__ import annotations


import pytest
from textual.widgets import Button, Input, OptionList, Select, TextArea

from sagicc_tui.domain.enums import (
    AgentStatus,
    ChannelType,
    DeliveryState,
    Direction,
    Priority,
    TicketStatus,
)
from sagicc_tui.domain.ticket_changes import TicketChanges
from sagicc_tui.screens.tickets import TicketsScreen
from sagicc_tui.widgets.conversation import ConversationView
from sagicc_tui.widgets.task_form import TaskForm
from sagicc_tui.widgets.ticket_header import TicketHeaderBar
from tests.ui.conftest import make_app, settle
from tests.ui.ticket_helpers import no_outgoing_channels, open_first_ticket  # noqa: F401 (an autouse fixture)

SIZE = (160, 50)
_open = open_first_ticket


async def _click(pilot, selector: str) -> None:
    button = pilot.app.screen.query_one(selector, Button)
    button.press()
    await settle(pilot, rounds=2)


async def test_enter_sets_busy_and_escape_sets_available(world):
    r = await world.incoming("pedro@correo.co", "Hola, necesito ayuda", name="Pedro Pérez")
    sofia = await world.user("sofia")
    await world.backend.enter_ticket(sofia, r.ticket_id)  # T15: someone else is inside
    app = make_app(world, poll_interval=3600)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open(pilot)
        assert screen.ticket_id == r.ticket_id
        assert (await world.user("admin")).status is AgentStatus.BUSY
        assert app.user.status is AgentStatus.BUSY
        header = screen.query_one(TicketHeaderBar).plain()
        assert f"#{r.ticket_number}" in header and "Pedro Pérez" in header
        assert "Also open by Sofía Supervisora" in header
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, TicketsScreen)
        assert (await world.user("admin")).status is AgentStatus.AVAILABLE
        assert app.user.status is AgentStatus.AVAILABLE


async def test_conversation_shows_hostile_text_literally(world):
    hostile = "Pago \x1b[31mrojo\x1b]0;titulo\x07 [b]negrita[/b] $accent"
    await world.incoming("pedro@correo.co", "Primer mensaje", name="Pedro Pérez")
    await world.incoming("pedro@correo.co", hostile, name="Pedro Pérez")
    app = make_app(world, poll_interval=3600)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open(pilot)
        view = screen.query_one(ConversationView)
        text = "\n".join(view.text_lines())
        assert "Primer mensaje" in text
        assert "[b]negrita[/b] $accent" in text
        assert "\x1b" not in text and "\x07" not in text
        rendered = "".join(seg.text for y in range(view.size.height) for seg in view.render_line(y))
        assert "\x1b" not in rendered
        assert "[b]negrita[/b]" in rendered
        # Enter on the last interaction shows it in full, still literal
        view.focus()
        await pilot.press("G")
        await settle(pilot, rounds=2)
        await pilot.press("enter")
        await settle(pilot, rounds=2)
        full = str(app.screen.query_one("#text-body").render())
        assert "[b]negrita[/b] $accent" in full and "\x1b" not in full
        await pilot.press("escape")
        await settle(pilot, rounds=1)
        assert app.screen is screen
        # filter by date: nothing before 2000
        until = screen.query_one("#conv-until", Input)
        until.value = "2000-01-01"
        await until.action_submit()
        await settle(pilot, rounds=2)
        assert view.items == []
        until.value = ""
        await until.action_submit()
        await settle(pilot, rounds=2)
        assert len(view.items) == 2
        # opened: the incoming interactions are read now
        ticket = await world.backend.get_ticket(await world.user("admin"), screen.ticket_id)
        assert ticket.unread_count == 0


async def test_send_email_reply_is_recorded(world):
    r = await world.incoming("pedro@correo.co", "¿Y mi factura?", name="Pedro Pérez")
    app = make_app(world, poll_interval=3600)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open(pilot)
        screen.query_one("#composer-subject", Input).value = "Su factura"
        screen.query_one("#composer-text", TextArea).text = "Ya la enviamos, Pedro."
        await settle(pilot)
        await _click(pilot, "#composer-send")
        admin = await world.user("admin")
        page = await world.backend.conversation(admin, r.ticket_id)
        sent = [i.interaction for i in page.items if i.interaction.direction is Direction.OUTGOING]
        assert len(sent) == 1
        assert sent[0].delivery is DeliveryState.RECORDED
        assert sent[0].subject == "Su factura" and sent[0].contact == "pedro@correo.co"
        assert screen.query_one("#composer-text", TextArea).text == ""
        assert any("Ya la enviamos" in line for line in screen.query_one(ConversationView).text_lines())
        assert await world.backend.get_draft(admin, r.ticket_id, "composer") is None


async def test_failed_delivery_shows_on_the_interaction_with_retry(world, monkeypatch):
    monkeypatch.setenv("SAGICC_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("SAGICC_SMTP_PORT", "9")  # nothing listens: refused at once
    monkeypatch.setenv("SAGICC_SMTP_FROM", "soporte@example.com")
    monkeypatch.setenv("SAGICC_SMTP_SECURITY", "plain")
    monkeypatch.setenv("SAGICC_SMTP_TIMEOUT", "2")
    r = await world.incoming("pedro@correo.co", "Hola", name="Pedro Pérez")
    app = make_app(world, poll_interval=3600)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open(pilot)
        screen.query_one("#composer-text", TextArea).text = "No llegará"
        # No subject typed: the reply gets the thread's (#13), and the delivery fails.
        await _click(pilot, "#composer-send")
        admin = await world.user("admin")
        page = await world.backend.conversation(admin, r.ticket_id)
        failed = [i.interaction for i in page.items if i.interaction.direction is Direction.OUTGOING]
        assert [i.delivery for i in failed] == [DeliveryState.FAILED], str(
            screen.query_one("#composer-error").render())
        assert failed[0].subject == f"Re: Hola [#{r.ticket_number}]"
        view = screen.query_one(ConversationView)
        assert any("Not delivered" in line and "(R retries)" in line for line in view.text_lines())
        view.focus()
        await pilot.press("G")
        await settle(pilot, rounds=2)
        assert view.cursor_interaction.id == failed[0].id
        await pilot.press("R")
        await settle(pilot, rounds=2)
        again = await world.backend.get_interaction(admin, failed[0].id)
        assert again.delivery is DeliveryState.FAILED  # still refused, and never duplicated
        page = await world.backend.conversation(admin, r.ticket_id)
        assert len([i for i in page.items if i.interaction.direction is Direction.OUTGOING]) == 1


async def test_composer_draft_survives_leaving_and_reopening(world):
    r = await world.incoming("pedro@correo.co", "Hola", name="Pedro Pérez")
    app = make_app(world, poll_interval=3600)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open(pilot)
        screen.query_one("#composer-text", TextArea).focus()
        await pilot.press(*"borrador")
        await pilot.pause(1.3)  # the draft is saved a second after typing stops
        await settle(pilot)
        admin = await world.user("admin")
        draft = await world.backend.get_draft(admin, r.ticket_id, "composer")
        assert draft is not None and draft.data["text"] == "borrador"
        await pilot.press(*" dos")  # typed just before leaving: saved on the way out
        screen.query_one(TaskForm).restore({"observations": "tarea a medias"})
        await pilot.pause()
        await pilot.press("escape", "escape")
        await settle(pilot)
        assert isinstance(app.screen, TicketsScreen)
        draft = await world.backend.get_draft(admin, r.ticket_id, "composer")
        assert draft is not None and draft.data["text"] == "borrador dos"
        screen = await _open(pilot)
        assert screen.query_one("#composer-text", TextArea).text == "borrador dos"
        assert screen.query_one(TaskForm).raw_values()["observations"] == "tarea a medias"


async def test_task_note_and_priority(world):
    r = await world.incoming("pedro@correo.co", "Hola", name="Pedro Pérez")
    app = make_app(world, poll_interval=3600)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open(pilot)
        admin = await world.user("admin")
        # T11: a task with a next-task date
        await pilot.press("8")
        await settle(pilot, rounds=1)
        form = screen.query_one(TaskForm)
        form.restore({"resultado": "Pendiente", "observations": "Llamar mañana",
                      "next_date": "2026-11-26", "next_time": "09:30"})
        await settle(pilot, rounds=1)
        await _click(pilot, "#task-save")
        tasks = await world.backend.list_tasks_page(admin, r.ticket_id)
        assert len(tasks) == 1 and tasks[0].values["resultado"] == "Pendiente"
        ticket = await world.backend.get_ticket(admin, r.ticket_id)
        assert ticket.next_task_at is not None
        assert ticket.next_task_at.isoformat().startswith("2026-11-26T09:30")
        assert form.raw_values()["observations"] == ""
        await pilot.press("9")  # the History tab, built when first shown, reads the task
        await settle(pilot, rounds=2)
        assert screen.query_one("#history-list", OptionList).option_count == 1
        # T14: add a note, then delete it
        await pilot.press("N")
        await settle(pilot, rounds=1)
        screen.query_one("#note-text", TextArea).text = "Cliente difícil"
        screen.query_one("#note-color", Select).value = "red"
        await _click(pilot, "#note-add")
        notes = await world.backend.list_notes(admin, r.ticket_id)
        assert [(n.text, n.color.value) for n in notes] == [("Cliente difícil", "red")]
        screen.query_one("#notes-list", OptionList).highlighted = 0
        await _click(pilot, "#note-delete")
        app.screen.query_one("#confirm-yes", Button).press()  # #15.5: a delete asks first
        await settle(pilot, rounds=2)
        assert await world.backend.list_notes(admin, r.ticket_id) == []
        # T7: edit the priority (the tab follows my own task's version)
        await pilot.press("4")
        await settle(pilot, rounds=1)
        screen.query_one("#tt-priority", Select).value = Priority.HIGH.value
        await _click(pilot, "#tt-save")
        ticket = await world.backend.get_ticket(admin, r.ticket_id)
        assert ticket.priority is Priority.HIGH
        assert "High" in screen.query_one(TicketHeaderBar).plain()


async def test_stale_ticket_save_shows_sentence_and_keeps_input(world):
    from sagicc_tui.screens.ticket_compare import CompareScreen
    from sagicc_tui.widgets.io import StatusLine

    r = await world.incoming("pedro@correo.co", "Hola", name="Pedro Pérez")
    app = make_app(world, poll_interval=3600)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _open(pilot)
        await pilot.press("4")
        await settle(pilot)
        screen.query_one("#tt-description", TextArea).text = "Mi descripción"
        sofia = await world.user("sofia")
        current = await world.backend.get_ticket(sofia, r.ticket_id)
        await world.backend.update_ticket(sofia, r.ticket_id, TicketChanges(description="Cambiado por Sofía"),
                                          expected_version=current.version)
        await _click(pilot, "#tt-save")
        await settle(pilot)
        # The refusal shows where the eyes are (the status line, visible at 80x24) and by the field,
        # and the comparison opens; nothing is written.
        status = screen.query_one(StatusLine)
        assert status.severity == "error" and "Sofía Supervisora" in status.text and status.region.height
        assert "Traceback" not in str(screen.query_one("#tab-ticket-body .form-error").render())
        assert isinstance(app.screen, CompareScreen)
        ticket = await world.backend.get_ticket(sofia, r.ticket_id)
        assert ticket.description == "Cambiado por Sofía"  # nothing overwritten
        app.screen.query_one("#compare-save", Button).press()  # keep mine: I saw hers and chose
        await settle(pilot, rounds=3)
        assert screen.query_one("#tt-description", TextArea).text == "Mi descripción"
        ticket = await world.backend.get_ticket(sofia, r.ticket_id)
        assert ticket.description == "Mi descripción"
        assert status.severity == "information" and status.text == "Ticket saved."  # the refusal cleared


async def test_close_from_options_menu(world):
    r = await world.incoming("pedro@correo.co", "Hola", name="Pedro Pérez")
    app = make_app(world, poll_interval=3600)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open(pilot)
        await pilot.press("o")
        await settle(pilot)
        options = app.screen.query_one(OptionList)
        keys = screen.option_keys()
        assert "changelog" in keys  # administrators see the change log
        options.highlighted = keys.index("close")
        await pilot.press("enter")
        await settle(pilot)
        await _click(pilot, "#confirm-yes")
        await settle(pilot)
        admin = await world.user("admin")
        ticket = await world.backend.get_ticket(admin, r.ticket_id)
        assert ticket.status is TicketStatus.CLOSED
        assert isinstance(app.screen, TicketsScreen)
        assert admin.status is AgentStatus.AVAILABLE


async def test_agent_options_have_no_change_log(world):
    r = await world.incoming("pedro@correo.co", "Hola", name="Pedro Pérez")
    world.set_ticket(r.ticket_id, assignee_id=3)
    app = make_app(world, username="ana", poll_interval=3600)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open(pilot)
        assert "changelog" not in screen.option_keys()
        await pilot.press("o")
        await settle(pilot)
        prompts = [str(app.screen.query_one(OptionList).get_option_at_index(i).prompt)
                   for i in range(app.screen.query_one(OptionList).option_count)]
        assert "Change log" not in prompts and "Close ticket" in prompts


# --- snapshots -------------------------------------------------------------------------


async def _snap_world(world):
    await world.incoming("pedro@correo.co", "Me cobraron dos veces la factura de octubre", name="Pedro Pérez",
                         subject="Factura duplicada")
    await world.incoming("pedro@correo.co", "¿Alguna novedad? \x1b[31m[b]urgente[/b]", name="Pedro Pérez")


async def _snap_ready(pilot):
    await settle(pilot)
    await pilot.press("enter")
    await settle(pilot, rounds=6)


@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize("size", [(80, 24), (160, 50)])
def test_ticket_screen_snapshot(snap_compare, tmp_path, size, language):
    import asyncio

    from tests.factory import make_world

    world = asyncio.run(make_world(tmp_path / "snap.db"))
    try:
        asyncio.run(_snap_world(world))
        app = make_app(world, poll_interval=3600, language=language)
        assert snap_compare(app, terminal_size=size, run_before=_snap_ready)
    finally:
        asyncio.run(world.backend.aclose())


async def test_composer_shows_only_the_channels_fields(world):
    """T9: e-mail fields only for e-mail, attachments only where the channel carries
    files, and Call instead of Send on telephony."""
    await world.incoming("3001234567", "Llamada entrante", channel=ChannelType.TELEPHONY)
    app = make_app(world)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("c")  # campaign chooser: Ventas (telephony)
        await settle(pilot)
        from textual.widgets import OptionList

        options = app.screen.query_one(OptionList)
        options.highlighted = next(i for i in range(options.option_count)
                                   if "Ventas" in str(options.get_option_at_index(i).prompt))
        await pilot.press("enter")
        screen = await _open(pilot)
        assert screen.query_one("#composer-send", Button).label.plain == "Call"
        assert not screen.query_one("#composer-files").display
        assert not screen.query_one("#composer-email").display


async def test_quoted_history_of_an_email_is_folded_and_kept(world):
    body = ("Gracias, ya funciona.\n\n"
            "El lun, 30 nov 2026 a las 10:00, Soporte <soporte@empresa.co> escribió:\n"
            "> Hola Rosa, pruebe reiniciando la aplicación.\n> Saludos")
    await world.incoming("rosa@correo.co", body, name="Rosa")
    app = make_app(world, poll_interval=3600)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open(pilot)
        view = screen.query_one(ConversationView)
        text = "\n".join(view.text_lines())
        assert "Gracias, ya funciona." in text
        assert "pruebe reiniciando" not in text
        assert "Quoted history or signature folded (3 lines)" in text
        view.focus()
        await pilot.press("G")
        await settle(pilot, rounds=2)
        await pilot.press("enter")
        await settle(pilot, rounds=2)
        assert "pruebe reiniciando la aplicación" in str(app.screen.query_one("#text-body").render())


async def test_spanish_task_form_puts_the_stores_refusal_under_its_field(world):
    """#17.1: the store's sentence lands under the field it is about (InvalidInput.field),
    whatever the language; the form checked the task against the campaign it loaded."""
    import dataclasses

    r = await world.incoming("pedro@correo.co", "Hola", name="Pedro Pérez")
    app = make_app(world, poll_interval=3600, language="es")
    admin = await world.user("admin")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _open(pilot)
        await pilot.press("8")
        await settle(pilot, rounds=1)
        form = screen.query_one(TaskForm)
        # Meanwhile an administrator narrows the outcomes: the open form still offers "Pendiente".
        c = await world.backend.get_campaign(admin, form.campaign.id)
        fields = tuple(dataclasses.replace(f, choices=("Solucionado", "Escalado")) if f.key == "resultado" else f
                       for f in c.task_fields)
        await world.backend.save_campaign(admin, c.id, dataclasses.replace(c, task_fields=fields),
                                          expected_version=c.version)
        form.restore({"resultado": "Pendiente", "observations": "Llamar mañana"})
        await settle(pilot, rounds=1)
        await _click(pilot, "#task-save")
        await settle(pilot)
        assert "debe ser uno de" in form.error_for("resultado")
        assert screen.focused is form.widget_for("resultado")
        assert form.raw_values()["observations"] == "Llamar mañana"  # the typing is kept
    assert await world.backend.list_tasks_page(admin, r.ticket_id) == []
