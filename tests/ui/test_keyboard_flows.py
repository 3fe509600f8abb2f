"""#12.1 keyboard flows, pressed key by key through the real app and checked in the store.

README ("The ticket list, from the keyboard") documents these sequences; the
tests press exactly those keys. Text typed (a query, agent names) is not a key.
"""

from __future__ import annotations

from collections import Counter

from sagicc_tui.domain.enums import Priority
from sagicc_tui.screens.mass_action import MassActionScreen
from sagicc_tui.screens.tickets import TicketsScreen
from tests.ui.conftest import make_app, settle, ticket_list


class KeyCounter:
    """Presses keys and counts them; typing text is counted apart."""

    def __init__(self, pilot) -> None:
        self.pilot = pilot
        self.keys = 0

    async def press(self, *keys: str) -> None:
        for key in keys:
            self.keys += 1
            await self.pilot.press(key)
            await settle(self.pilot)

    async def type(self, text: str) -> None:
        await self.pilot.press(*text)
        await settle(self.pilot, rounds=1)


async def test_supervisor_redistributes_unassigned_critical_tickets_in_ten_keys(world):
    made = [await world.incoming(f"k{i}@x.com", f"mensaje {i}") for i in range(12)]
    critical = made[:9]
    for r in critical:
        world.set_ticket(r.ticket_id, priority=Priority.CRITICAL.value)
    world.set_ticket(made[0].ticket_id, assignee_id=5)  # already Carla's: not unassigned, stays hers
    targets = [r.ticket_id for r in critical[1:]]
    others = [r.ticket_id for r in made[9:]]  # not critical: untouched

    app = make_app(world, username="sofia")
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, TicketsScreen)
        k = KeyCounter(pilot)
        await k.press("colon")
        await k.type("priority:critical assignee:none")
        await k.press("enter")
        assert ticket_list(app).total == len(targets)
        await k.press("T", "semicolon", "d")
        assert isinstance(app.screen, MassActionScreen)
        for name in ("ana", "bruno", "diego"):
            await k.type(name)
            await k.press("enter")
        await k.press("enter")  # Enter on the empty agent line: the preview
        assert app.screen.step == "preview"
        await k.press("y")
        assert app.screen.step == "result"
        assert k.keys <= 10, k.keys

    sofia = await world.user("sofia")
    got = Counter([(await world.backend.get_ticket(sofia, i)).assignee_id for i in targets])
    assert set(got) == {3, 4, 6} and max(got.values()) - min(got.values()) <= 1
    assert (await world.backend.get_ticket(sofia, made[0].ticket_id)).assignee_id == 5
    for i in others:
        assert (await world.backend.get_ticket(sofia, i)).assignee_id is None


async def test_query_line_shows_the_filters_as_text_and_keeps_a_bad_line(world):
    made = [await world.incoming(f"q{i}@x.com", f"mensaje {i}") for i in range(3)]
    world.set_ticket(made[1].ticket_id, priority=Priority.CRITICAL.value)
    app = make_app(world, language="es")
    notes: list[str] = []
    async with app.run_test(size=(80, 24)) as pilot:
        real_notify = app.notify
        app.notify = lambda message, **kw: (notes.append(message), real_notify(message, **kw))[1]
        await settle(pilot)
        await pilot.press("colon")
        await settle(pilot)
        line = app.screen.query_one("#query-line")
        assert line.has_focus and line.value == ""
        await pilot.press(*"prioridad:urgente")
        await pilot.press("enter")
        await settle(pilot)
        # One sentence, in Spanish, visible; the line keeps what was typed.
        assert any("urgente" in n and "no es" in n for n in notes)
        assert line.value == "prioridad:urgente" and line.has_focus
        line.value = "prioridad:crítica"
        await pilot.press("enter")
        await settle(pilot)
        assert ticket_list(app).total == 1 and line.has_class("-hidden")
        # `:` again shows the canonical text of what is applied.
        await pilot.press("colon")
        await settle(pilot)
        assert line.value == "priority:critical"
        await pilot.press("escape")
        await settle(pilot)
        assert line.has_class("-hidden") and ticket_list(app).has_focus


async def test_a_view_saved_from_the_line_stays_relative(world):
    """+L12: "created:<7d" saved as a view means the last seven days of the
    day it is applied, not of the day it was saved."""
    from datetime import timedelta

    await world.incoming("v@x.com", "hola")
    app = make_app(world)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        await pilot.press("colon")
        await pilot.press(*"created:<7d")
        await pilot.press("enter")
        await settle(pilot)
        saved_at = world.clock()
        assert app.screen.current_query.created_from == saved_at - timedelta(days=7)
        app.screen._save_view("Última semana")
        await settle(pilot)
        admin = await world.user("admin")
        (view,) = [v for v in await world.backend.list_views(admin) if v.name == "Última semana"]
        assert view.line == "created:<7d"
        world.clock.advance(days=3)
        app.screen.apply_view(view)
        await settle(pilot)
        assert app.screen.current_query.created_from == saved_at + timedelta(days=3) - timedelta(days=7)


async def test_narrow_top_bar_keeps_who_and_role_and_a_dropped_T_says_so(world):
    """#12.7 at 80x24: the top bar still says who is signed in and their role
    (abbreviated); a `T` selection that a filter change drops is announced."""
    for i in range(3):
        await world.incoming(f"n{i}@x.com", f"hola {i}")
    app = make_app(world, username="sofia", language="es")
    notes: list[str] = []
    async with app.run_test(size=(80, 24)) as pilot:
        real_notify = app.notify
        app.notify = lambda message, **kw: (notes.append(message), real_notify(message, **kw))[1]
        await settle(pilot)
        short = app.screen.query_one("#user-short")
        assert short.display and str(short.render()) == "Sofía S. · Sup."
        await pilot.press("T")
        await settle(pilot)
        assert ticket_list(app).selection.query is not None
        await pilot.press("colon")
        await pilot.press(*"estado:nuevo")
        await pilot.press("enter")
        await settle(pilot)
        assert ticket_list(app).selection.is_empty
        assert any("3 casos marcados con T quedaron sin marcar" in n for n in notes), notes


async def test_n_opens_the_next_unread_ticket_in_the_lists_order_past_the_loaded_pages(world):
    """#12.2 (mutt's n): from the cursor, the next ticket with unread
    interactions in the current order, even beyond the pages in memory."""
    from sagicc_tui.screens.ticket import TicketScreen

    made = [await world.incoming(f"u{i}@x.com", f"hola {i}") for i in range(230)]
    admin = await world.user("admin")
    for r in made:  # everything read...
        await world.backend.mark_read(admin, r.ticket_id)
    target = made[5]  # ...but one of the oldest: page 3 of the newest-first list
    await world.incoming(f"u5@x.com", "¿me responden?")
    app = make_app(world)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        assert ticket_list(app).cached_pages() < 3
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, TicketScreen) and app.screen.ticket_id == target.ticket_id


async def _three_tickets_one_unread(world):
    """Three tickets, all read but the middle one of the newest-first list."""
    made = [await world.incoming(f"t{i}@x.com", f"hola {i}", name=f"Cliente {i}") for i in range(3)]
    admin = await world.user("admin")
    for r in made:
        await world.backend.mark_read(admin, r.ticket_id)
    target = made[1]
    await world.incoming("t1@x.com", "¿me llaman mañana?")
    return made, target


async def test_agent_triages_the_next_unread_ticket_in_twelve_keys(world):
    """#12.1(a), README "An agent triages": open the next unread ticket, reply from a
    template, schedule the next task with its outcome, back on the list -- the
    keys below, counted; what is typed (a template's name, a date) is text."""
    from sagicc_tui.screens.ticket import TicketScreen
    from sagicc_tui.widgets.task_form import TaskForm

    made, target = await _three_tickets_one_unread(world)
    app = make_app(world, username="ana")
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, TicketsScreen)
        k = KeyCounter(pilot)
        await k.press("n")  # the next unread ticket in the list's order
        screen = app.screen
        assert isinstance(screen, TicketScreen) and screen.ticket_id == target.ticket_id
        await k.press("t")  # the template picker: it filters as you type
        await k.type("hol")
        await k.press("enter")
        await k.press("ctrl+s")  # send
        await k.press("a", "2")  # a task with outcome 2 (Pendiente): the cursor on the next date
        await k.type("mañana 9:00")
        form = screen.query_one(TaskForm)
        assert "2026-11-26 09:00" in str(form.query_one("#tf-next-resolved").render())
        await k.press("enter")  # save the task
        await k.press("escape")  # back to the list
        assert isinstance(app.screen, TicketsScreen)
        assert k.keys <= 12, k.keys

    ana = await world.user("ana")
    ticket = await world.backend.get_ticket(ana, target.ticket_id)
    sent = [i for i in await world.interactions(ana, target.ticket_id) if i.direction.value == "outgoing"]
    assert [i.content for i in sent] == [f"Hola Cliente 1, caso {ticket.number}."]
    (task,) = await world.backend.list_tasks_page(ana, target.ticket_id)
    assert task.values["resultado"] == "Pendiente"
    assert task.next_task_at is not None and task.next_task_at.isoformat().startswith("2026-11-26T09:00")
    assert ticket.next_task_at == task.next_task_at and ticket.last_outcome == "Pendiente"
    for other in (made[0], made[2]):
        assert await world.backend.list_tasks_page(ana, other.ticket_id) == []


async def test_n_inside_a_ticket_goes_on_in_the_lists_order_and_ctrl_n_sends_then_goes_on(world):
    """#12.2: `n` inside a ticket continues the list's query and order (here
    oldest first, past the loaded pages); ctrl+n sends and opens the next one."""
    from sagicc_tui.domain.enums import TicketOrder
    from sagicc_tui.screens.ticket import TicketScreen
    from sagicc_tui.widgets.composer import Composer

    made = [await world.incoming(f"o{i}@x.com", f"hola {i}") for i in range(230)]
    admin = await world.user("admin")
    for r in made:
        await world.backend.mark_read(admin, r.ticket_id)
    first, second, third = made[3], made[150], made[220]  # oldest first: pages 1, 2 and 3
    for r in (third, first, second):
        await world.incoming(f"o{made.index(r)}@x.com", "¿hay noticias?")
    app = make_app(world)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        app.screen.set_query(app.screen.current_query.with_(order=TicketOrder.CREATED_ASC))
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, TicketScreen) and app.screen.ticket_id == first.ticket_id
        await pilot.press("n")
        await settle(pilot)
        assert app.screen.ticket_id == second.ticket_id
        await pilot.press("m")
        await settle(pilot)
        assert app.focused is app.screen.query_one("#composer-text")
        await pilot.press(*"Ya casi")
        await pilot.press("ctrl+n")
        await settle(pilot)
        await settle(pilot)
        assert app.screen.ticket_id == third.ticket_id
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, TicketsScreen)
        assert ticket_list(app).cursor_card.id == third.ticket_id  # the list is where n got to
    sent = [i.content for i in await world.interactions(admin, second.ticket_id)
            if i.direction.value == "outgoing"]
    assert sent == ["Ya casi"]


async def test_the_triage_keys_are_in_help_and_the_palette_with_ids_in_spanish(world):
    """#12.6: `?` lists every triage key with its id (a then 1…3 for the outcomes), ctrl+p finds them."""
    from sagicc_tui.screens.commands import binding_commands
    from sagicc_tui.screens.help import active_keys
    from sagicc_tui.screens.ticket import TicketScreen

    await world.incoming("h@x.com", "hola")
    app = make_app(world, language="es")
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, TicketScreen)
        rows = {bid: (keys, desc) for keys, desc, bid in active_keys(screen)}
        assert rows["ticket.next_unread"] == ("n", "Siguiente caso sin leer")
        assert rows["ticket.add_task"][1] == "Agregar gestión"
        assert rows["ticket.template"][0] == "t" and rows["ticket.compose"][0] == "m"
        assert "ticket.save_next" in rows and rows["ticket.tab-notes"][0] == "N"
        assert rows["ticket.outcome.2"] == ("a 2", "Agregar gestión con resultado Pendiente")
        titles = {title for title, _help, _run in binding_commands(screen) + screen.palette_commands()}
        assert {"Plantilla de mensaje", "Escribir un mensaje", "Agregar gestión con resultado Escalado"} <= titles
