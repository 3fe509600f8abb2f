"""L8 / L10: the mass action dialog, driven with keys against a real store.

Each test pushes MassActionScreen on a minimal host app, drives it with the
keyboard, and checks the STORE afterwards through the Backend.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import pytest
from textual.app import App
from textual.widgets import Input, OptionList, RichLog, Select, SelectionList, TextArea

from sagicc_tui import i18n
from sagicc_tui.domain.enums import ChangeKind, ChannelType, EntityKind, MassActionKind, TicketStatus
from sagicc_tui.domain.errors import NotFound
from sagicc_tui.domain.messages import msg
from sagicc_tui.domain.query import MassPreview, MassResult, TicketOutcome, TicketQuery, TicketSelection
from sagicc_tui.screens.mass_action import MAX_LINES, MassActionScreen
from sagicc_tui.widgets.task_form import TaskForm

UNSET = object()


class Host(App):
    """Pushes the screen on mount and keeps what it dismissed with."""

    def __init__(self, screen: MassActionScreen) -> None:
        super().__init__()
        self.mass_screen = screen
        self.result: object = UNSET

    def on_mount(self) -> None:
        self.push_screen(self.mass_screen, self._store)

    def _store(self, result: MassResult | None) -> None:
        self.result = result


@pytest.fixture(autouse=True)
def _english():
    before = i18n.get_language()
    i18n.set_language("en")
    yield
    i18n.set_language(before)


async def settle(app: App, pilot) -> None:
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()


async def keys(app: App, pilot, *names: str) -> None:
    for name in names:
        await pilot.press(name)
        await settle(app, pilot)


async def type_text(pilot, text: str) -> None:
    await pilot.press(*text)


async def screen_for(world, username: str, kind: MassActionKind, ticket_ids, *, campaign_id: int = 1,
                     selection: TicketSelection | None = None):
    user = await world.user(username)
    admin = await world.user("admin")
    page = await world.backend.list_tickets(admin, TicketQuery(), limit=100)
    cards = [c for c in page.rows if c.id in set(ticket_ids)]
    return MassActionScreen(
        backend=world.backend, user=user, campaign=await world.backend.get_campaign(admin, campaign_id),
        kind=kind, selection=selection or TicketSelection(ids=frozenset(ticket_ids)), cards=cards,
    )


def log_text(app: App, widget_id: str) -> list[str]:
    log = app.screen.query_one(widget_id, RichLog)
    return [strip.text.rstrip() for strip in log.lines]


def static_text(app: App, widget_id: str) -> str:
    return str(app.screen.query_one(widget_id).render())


async def kinds_of(world, ticket_id: int) -> Counter:
    admin = await world.user("admin")
    return Counter(e.kind for e in await world.backend.change_log(admin, EntityKind.TICKET, ticket_id))


# --- Close ---------------------------------------------------------------------------


async def test_close_goes_straight_to_preview_and_refuses_per_ticket(world):
    a = await world.incoming("a@x.com", "uno")
    b = await world.incoming("b@x.com", "dos")
    v = await world.incoming("3001112233", "tres", channel=ChannelType.TELEPHONY)  # Ventas: no mass close
    screen = await screen_for(world, "admin", MassActionKind.CLOSE, [a.ticket_id, b.ticket_id, v.ticket_id])
    app = Host(screen)
    async with app.run_test(size=(110, 40)) as pilot:
        await settle(app, pilot)
        assert screen.step == "preview"
        assert "2 of 3 tickets will change." in static_text(app, "#preview-summary")
        assert "Tickets to close: 2." in static_text(app, "#preview-changes")
        refused = log_text(app, "#preview-refused")
        assert refused == [f"#{v.ticket_number}  refused: campaign Ventas does not allow closing tickets in bulk"]
        await keys(app, pilot, "y")
        assert screen.step == "result"
        assert "Done: 2. Refused: 1." in static_text(app, "#result-summary")
        lines = log_text(app, "#result-list")
        assert f"#{a.ticket_number}  done" in lines and any("Ventas" in line for line in lines)
        await keys(app, pilot, "enter")
    assert isinstance(app.result, MassResult) and (app.result.done, app.result.refused) == (2, 1)
    admin = await world.user("admin")
    for r in (a, b):
        assert (await world.backend.get_ticket(admin, r.ticket_id)).status is TicketStatus.CLOSED
        assert (await kinds_of(world, r.ticket_id))[ChangeKind.CLOSED] == 1
    assert (await world.backend.get_ticket(admin, v.ticket_id)).status is TicketStatus.NEW


async def test_escape_at_the_preview_writes_nothing(world):
    a = await world.incoming("a@x.com", "uno")
    b = await world.incoming("b@x.com", "dos")
    screen = await screen_for(world, "admin", MassActionKind.CLOSE, [a.ticket_id, b.ticket_id])
    app = Host(screen)
    async with app.run_test(size=(110, 40)) as pilot:
        await settle(app, pilot)
        assert screen.step == "preview" and screen.can_confirm
        await keys(app, pilot, "escape")
    assert app.result is None
    admin = await world.user("admin")
    for r in (a, b):
        assert (await world.backend.get_ticket(admin, r.ticket_id)).status is TicketStatus.NEW
        assert ChangeKind.CLOSED not in await kinds_of(world, r.ticket_id)


# --- Merge -----------------------------------------------------------------------------


async def test_merge_into_the_chosen_primary_with_customers(world):
    a = await world.incoming("a@x.com", "primero", name="Ana [b]Cliente[/b]")
    b = await world.incoming("b@x.com", "segundo")
    c = await world.incoming("c@x.com", "tercero")
    screen = await screen_for(world, "sofia", MassActionKind.MERGE, [a.ticket_id, b.ticket_id, c.ticket_id])
    app = Host(screen)
    async with app.run_test(size=(110, 40)) as pilot:
        await settle(app, pilot)
        options = app.screen.query_one("#merge-primary", OptionList)
        first = str(options.get_option_at_index(0).prompt)
        assert first.startswith(f"#{a.ticket_number} — Ana [b]Cliente[/b] — New")  # markup shown as text
        # b (the second one) is the primary; tick "merge customers"; Enter on the list previews.
        await keys(app, pilot, "down", "tab", "space", "shift+tab", "enter")
        assert screen.step == "preview"
        assert f"Ticket #{b.ticket_number} stays open" in static_text(app, "#preview-changes")
        assert "the other customers are merged into it and deleted: 2" in static_text(app, "#preview-changes")
        await keys(app, pilot, "y")
        assert screen.step == "result"
        await keys(app, pilot, "escape")  # Escape also closes the result
    assert isinstance(app.result, MassResult) and app.result.done == 2
    admin = await world.user("admin")
    primary = await world.backend.get_ticket(admin, b.ticket_id)
    assert primary.status is not TicketStatus.CLOSED
    texts = sorted(i.content for i in await world.interactions(admin, b.ticket_id))
    assert texts == ["primero", "segundo", "tercero"]
    for r in (a, c):
        t = await world.backend.get_ticket(admin, r.ticket_id)
        assert t.status is TicketStatus.CLOSED and t.merged_into_id == b.ticket_id
        assert t.customer_id == primary.customer_id
        assert (await kinds_of(world, r.ticket_id))[ChangeKind.MERGED_INTO] == 1
    assert (await kinds_of(world, b.ticket_id))[ChangeKind.MERGED] == 2


async def test_merge_keeps_the_customer_chosen(world):
    """#15.1 T3: merging tickets with their customers, choosing which customer stays."""
    a = await world.incoming("a@x.com", "primero", name="Duplicado Remoto")
    b = await world.incoming("b@x.com", "segundo", name="Duplicado Remoto")
    screen = await screen_for(world, "sofia", MassActionKind.MERGE, [a.ticket_id, b.ticket_id])
    app = Host(screen)
    async with app.run_test(size=(110, 40)) as pilot:
        await settle(app, pilot)
        keep = app.screen.query_one("#merge-keep", Select)
        assert keep.disabled  # until "merge customers too" is ticked
        await keys(app, pilot, "tab", "space")
        assert not keep.disabled
        labels_ = [str(prompt) for prompt, _value in keep._options if _value is not Select.BLANK]
        assert any(f"id {b.customer_id}" in text for text in labels_)  # namesakes told apart by id
        keep.value = b.customer_id
        await settle(app, pilot)
        await keys(app, pilot, "shift+tab", "enter")
        assert screen.step == "preview"
        assert f"Duplicado Remoto (id {b.customer_id}) stays" in static_text(app, "#preview-changes")
        await keys(app, pilot, "y")
        assert screen.step == "result"
        await keys(app, pilot, "escape")
    admin = await world.user("admin")
    primary = await world.backend.get_ticket(admin, a.ticket_id)
    assert primary.customer_id == b.customer_id  # the primary ticket follows the customer that stayed
    assert (await world.backend.get_ticket(admin, b.ticket_id)).merged_into_id == a.ticket_id
    with pytest.raises(NotFound):
        await world.backend.get_customer(admin, a.customer_id)


async def test_merge_primary_typed_by_number_for_a_query_selection(world):
    """#12.3: with `T` (every ticket matching) the list may have loaded none of
    the tickets; the primary is typed by number and the store checks it."""
    results = [await world.incoming(f"q{i}@x.com", f"msg {i}") for i in range(4)]
    target = results[2]
    sel = TicketSelection(query=TicketQuery(campaign_ids=(1,)))
    screen = await screen_for(world, "sofia", MassActionKind.MERGE, [results[0].ticket_id], selection=sel)
    app = Host(screen)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert "type the number of any other tagged ticket" in " ".join(
            str(w.render()) for w in app.screen.query(".mass-note"))
        await keys(app, pilot, "shift+tab")
        assert app.screen.focused.id == "merge-number"
        await type_text(pilot, str(target.ticket_number))
        await keys(app, pilot, "enter")
        assert screen.step == "preview"
        assert f"Ticket #{target.ticket_number} stays open" in static_text(app, "#preview-changes")
        await keys(app, pilot, "y", "escape")
    admin = await world.user("admin")
    for r in results:
        t = await world.backend.get_ticket(admin, r.ticket_id)
        if r is target:
            assert t.status is not TicketStatus.CLOSED
        else:
            assert t.merged_into_id == target.ticket_id


async def test_agent_merge_shows_the_permission_sentence(world):
    a = await world.incoming("a@x.com", "uno")
    b = await world.incoming("b@x.com", "dos")
    screen = await screen_for(world, "ana", MassActionKind.MERGE, [a.ticket_id, b.ticket_id])
    app = Host(screen)
    async with app.run_test(size=(110, 40)) as pilot:
        await settle(app, pilot)
        await keys(app, pilot, "down", "enter")
        assert app.screen is screen and screen.step == "form"  # no traceback, still on the form
        assert screen.error_text == "Your role (Agent) may not merge tickets; ask a supervisor."
        assert app.screen.query_one("#merge-primary", OptionList).highlighted == 1  # the choice is kept
        await keys(app, pilot, "escape")
    assert app.result is None
    admin = await world.user("admin")
    assert (await world.backend.get_ticket(admin, a.ticket_id)).merged_into_id is None


# --- Assign ------------------------------------------------------------------------------


async def test_assign_to_a_user_and_move_to_a_campaign(world):
    a = await world.incoming("a@x.com", "uno")
    b = await world.incoming("b@x.com", "dos")
    world.set_ticket(a.ticket_id, assignee_id=4)  # bruno's
    screen = await screen_for(world, "sofia", MassActionKind.ASSIGN, [a.ticket_id, b.ticket_id])
    app = Host(screen)
    async with app.run_test(size=(110, 40)) as pilot:
        await settle(app, pilot)
        # Nothing chosen: a sentence, no preview.
        await keys(app, pilot, "tab", "tab", "enter")
        assert screen.step == "form" and screen.error_text.startswith("Choose a user, Unassigned")
        # The user Select: open, type to search, Enter.
        app.screen.query_one("#assign-user", Select).focus()
        await keys(app, pilot, "enter", *"diego", "enter")
        # The campaign Select: Tab, open, type, Enter (the user list reloads and keeps Diego).
        await keys(app, pilot, "tab", "enter", *"ventas", "enter")
        assert app.screen.query_one("#assign-user", Select).selection == 6
        await keys(app, pilot, "tab", "enter")  # the Preview button
        assert screen.step == "preview"
        changes = static_text(app, "#preview-changes")
        assert "Tickets to assign to Diego Ambos: 2." in changes
        assert "Tickets to move to campaign Ventas: 2." in changes
        await keys(app, pilot, "enter")  # Enter on the focused Confirm button
        assert screen.step == "result"
        await keys(app, pilot, "enter")
    assert isinstance(app.result, MassResult) and app.result.done == 2
    admin = await world.user("admin")
    for r in (a, b):
        t = await world.backend.get_ticket(admin, r.ticket_id)
        assert (t.assignee_id, t.campaign_id) == (6, 2)
        assert {ChangeKind.ASSIGNED, ChangeKind.CAMPAIGN} <= set(await kinds_of(world, r.ticket_id))


# --- Add Task ------------------------------------------------------------------------------


async def test_add_task_to_every_ticket(world):
    a = await world.incoming("a@x.com", "uno")
    b = await world.incoming("b@x.com", "dos")
    screen = await screen_for(world, "ana", MassActionKind.ADD_TASK, [a.ticket_id, b.ticket_id])
    app = Host(screen)
    async with app.run_test(size=(110, 50)) as pilot:
        await settle(app, pilot)
        assert isinstance(app.focused, Select)  # the first field: Resultado
        await keys(app, pilot, "enter", *"soluc", "enter")
        await pilot.press("tab", *"42", "tab", *"2026-12-01", "tab", *"Llamar de nuevo", "tab",
                          *"2026-12-02", "tab", *"09:30")
        await keys(app, pilot, "enter")  # Enter in an input of the form: preview
        assert screen.step == "preview"
        assert "Tickets that will each get the same new task: 2." in static_text(app, "#preview-changes")
        await keys(app, pilot, "y", "enter")
    assert isinstance(app.result, MassResult) and app.result.done == 2
    expected_next = datetime(2026, 12, 2, 9, 30).astimezone().astimezone(UTC)  # typed as local time
    for r in (a, b):
        tasks = await world.backend.list_tasks_page(await world.user("ana"), r.ticket_id)
        assert len(tasks) == 1
        task = tasks[0]
        assert task.values == {"resultado": "Solucionado", "valor": 42, "compromiso": "2026-12-01"}
        assert task.observations == "Llamar de nuevo" and task.next_task_at == expected_next
        t = await world.backend.get_ticket(await world.user("admin"), r.ticket_id)
        assert t.last_outcome == "Solucionado" and t.status is TicketStatus.OPEN
        assert ChangeKind.TASK_ADDED in await kinds_of(world, r.ticket_id)


async def test_add_task_form_keeps_typed_text_after_a_validation_error(world):
    a = await world.incoming("a@x.com", "uno")
    screen = await screen_for(world, "ana", MassActionKind.ADD_TASK, [a.ticket_id])
    app = Host(screen)
    async with app.run_test(size=(110, 50)) as pilot:
        await settle(app, pilot)
        # Resultado left empty, an impossible date, a time without a date.
        await pilot.press("tab", "tab", *"2026-13-40", "tab", *"hola", "tab", "tab", *"10:00")
        await keys(app, pilot, "enter")
        form = app.screen.query_one(TaskForm)
        assert screen.step == "form"
        assert screen.error_text == "Fix the marked fields; what you typed is kept."
        assert form.error_for("resultado") == "Resultado is required; fill it in."
        assert form.error_for("compromiso") == "Compromiso must be a date as YYYY-MM-DD."
        assert form.error_for("next_date").startswith("Give the date of the next task")
        assert form.widget_for("compromiso").value == "2026-13-40"  # type: ignore[attr-defined]
        assert form.query_one("#tf-observations", TextArea).text == "hola"
        assert form.query_one("#tf-next-time", Input).value == "10:00"
        assert app.focused is form.widget_for("resultado")  # the first wrong field
        # Fix them and go on: the rest of what was typed is still there.
        await keys(app, pilot, "enter", *"pend", "enter")
        date_input = form.widget_for("compromiso")
        date_input.focus()
        await pilot.press("end", "ctrl+u")  # delete to the start of the line
        await pilot.press(*"2026-12-01", "tab", "tab")
        await pilot.press(*"2026-12-02")
        await keys(app, pilot, "enter")
        assert screen.step == "preview", screen.error_text
        assert form.error_for("compromiso") == ""
        await keys(app, pilot, "escape")
    assert app.result is None
    assert await world.backend.list_tasks_page(await world.user("ana"), a.ticket_id) == []


# --- Redistribute -----------------------------------------------------------------------------


async def test_redistribute_evenly_among_chosen_agents(world):
    results = [await world.incoming(f"c{i}@x.com", f"m{i}") for i in range(4)]
    ids = [r.ticket_id for r in results]
    screen = await screen_for(world, "sofia", MassActionKind.REDISTRIBUTE, ids)
    app = Host(screen)
    async with app.run_test(size=(110, 40)) as pilot:
        await settle(app, pilot)
        # Type a name and Enter chooses that agent ("Only the agents I choose");
        # Enter on the empty line previews.
        assert app.screen.focused.id == "redis-filter"
        await type_text(pilot, "ana")
        await keys(app, pilot, "enter")
        assert app.screen.query_one("#redis-chosen").value is True
        await type_text(pilot, "brun")
        await keys(app, pilot, "enter", "enter")
        assert screen.step == "preview"
        changes = static_text(app, "#preview-changes")
        assert "Tickets for Ana Agente: 2." in changes and "Tickets for Bruno Agente: 2." in changes
        # b goes back to the form with the choice kept; Preview again, then confirm.
        await keys(app, pilot, "b")
        assert screen.step == "form"
        assert sorted(app.screen.query_one("#redis-agents", SelectionList).selected) == [3, 4]
        await keys(app, pilot, "enter")
        assert screen.step == "preview"
        await keys(app, pilot, "y", "enter")
    assert isinstance(app.result, MassResult) and app.result.done == 4
    admin = await world.user("admin")
    counts = Counter([(await world.backend.get_ticket(admin, i)).assignee_id for i in ids])
    assert counts == Counter({3: 2, 4: 2})
    for i in ids:
        assert (await kinds_of(world, i))[ChangeKind.ASSIGNED] == 1


async def test_redistribute_among_all_agents_of_the_campaign(world):
    results = [await world.incoming(f"c{i}@x.com", f"m{i}") for i in range(6)]
    ids = [r.ticket_id for r in results]
    sel = TicketSelection(query=TicketQuery(campaign_ids=(1,)))  # tag all matching
    screen = await screen_for(world, "sofia", MassActionKind.REDISTRIBUTE, [], selection=sel)
    app = Host(screen)
    async with app.run_test(size=(110, 40)) as pilot:
        await settle(app, pilot)
        assert "Every ticket matching the filter is tagged." in static_text(app, "#mass-selection")
        await keys(app, pilot, "enter", "y", "enter")  # All agents (default): Enter previews
    assert isinstance(app.result, MassResult) and app.result.done == 6
    admin = await world.user("admin")
    counts = Counter([(await world.backend.get_ticket(admin, i)).assignee_id for i in ids])
    assert counts == Counter({3: 2, 4: 2, 6: 2})  # ana, bruno, diego; not carla (Ventas)


# --- large selections, language -----------------------------------------------------------------


class BigBackend:
    """Just the two mass-action calls, with a 1,200-ticket outcome."""

    N = 1200

    def session(self, user):
        from sagicc_tui.session import Session

        return Session(self, user)  # type: ignore[arg-type]  # the screen calls it through its session

    async def preview_mass_action(self, user, action):
        refused = tuple(
            TicketOutcome(i, 200000 + i, False, msg("already closed; a closed ticket cannot change"))
            for i in range(1, self.N + 1, 2)
        )
        sample = tuple(TicketOutcome(i, 200000 + i, True) for i in range(2, 42, 2))
        return MassPreview(kind=action.kind, total=self.N, changes=(), refused=refused, sample=sample)

    async def run_mass_action(self, user, action):
        outcomes = tuple(TicketOutcome(i, 200000 + i, i % 2 == 0) for i in range(1, self.N + 1))
        return MassResult(kind=action.kind, done=self.N // 2, refused=self.N // 2, outcomes=outcomes)


async def test_large_outcomes_show_a_capped_list(world):
    admin = await world.user("admin")
    screen = MassActionScreen(
        backend=BigBackend(), user=admin, campaign=await world.backend.get_campaign(admin, 1),  # type: ignore[arg-type]
        kind=MassActionKind.CLOSE, selection=TicketSelection(query=TicketQuery()), cards=[],
    )
    app = Host(screen)
    async with app.run_test(size=(110, 40)) as pilot:
        await settle(app, pilot)
        assert "600 of 1200 tickets will change." in static_text(app, "#preview-summary")
        assert log_text(app, "#preview-refused")[-1] == "100 more tickets are not listed."
        await keys(app, pilot, "y")
        lines = log_text(app, "#result-list")
        assert len(lines) == MAX_LINES + 1 and lines[-1] == "700 more tickets are not listed."
        assert "Done: 600. Refused: 600." in static_text(app, "#result-summary")


async def test_spanish_labels(world):
    a = await world.incoming("a@x.com", "uno")
    i18n.set_language("es")
    screen = await screen_for(world, "admin", MassActionKind.CLOSE, [a.ticket_id])
    app = Host(screen)
    async with app.run_test(size=(110, 40)) as pilot:
        await settle(app, pilot)
        assert static_text(app, "#mass-title") == "Acción masiva: Cerrar"
        assert "1 de 1 caso cambiará." in static_text(app, "#preview-summary")
        descriptions = {b.binding.description for b in app.screen.active_bindings.values()}
        assert "Confirmar" in descriptions
        await keys(app, pilot, "escape")
    assert app.result is None
