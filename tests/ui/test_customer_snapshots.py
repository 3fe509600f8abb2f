"""Snapshots of the screens #15.1 and #15.8 changed, at 80x24 and 160x50, in
English and Spanish: the add form with its e-mail and phone (a sentence on
the e-mail), C6's chooser telling namesakes apart and its blocked preview
without Merge, the customer's change log, and the mass merge's "customer that
stays". Deterministic: the world's clock, a seeded store, workers awaited."""

from __future__ import annotations

import asyncio

import pytest
from textual.widgets import Checkbox, Input

from sagicc_tui.domain.customers import CustomerInput, MergeParts, list_item
from sagicc_tui.domain.enums import ChannelType, IdType, MassActionKind
from sagicc_tui.domain.query import TicketQuery, TicketSelection
from tests.ui.conftest import make_app, settle

SCREENS = ["add_form", "merge_blocked", "change_log", "mass_merge"]


async def _seed(path):
    from tests.factory import make_world

    world = await make_world(path)
    admin = await world.user("admin")
    a = await world.incoming("remoto@uno.co", "primero", name="Duplicado Remoto")
    b = await world.incoming("+57 301 555 0077", "segundo", name="Duplicado Remoto", channel=ChannelType.WHATSAPP)
    c = await world.incoming("tercero@correo.co", "tercero", name="Lucía Gómez")
    main = await world.backend.get_customer(admin, c.customer_id)
    world.clock.advance(minutes=3)
    await world.backend.update_customer(admin, main.id, CustomerInput(
        type=main.type, id_type=IdType.CC, id_number="52123456", first_name="Lucía", last_name="Gómez"),
        expected_version=main.version)
    world.clock.advance(minutes=3)
    return world, (a, b, c)


@pytest.fixture
def snap(tmp_path):
    world, made = asyncio.run(_seed(tmp_path / "snap.db"))
    yield world, made
    asyncio.run(world.backend.aclose())


def _run_before(world, made, which: str):
    a, b, c = made

    async def run_before(pilot):
        app = pilot.app
        await settle(pilot)
        admin = await world.user("admin")
        if which == "add_form":
            from sagicc_tui.screens.customer_form import CustomerFormScreen

            form = CustomerFormScreen(world.backend, admin)
            app.push_screen(form)
            await settle(pilot)
            for key, value in (("id-number", "43555666"), ("first", "Marta"), ("last", "Lozano"),
                               ("email", "marta@"), ("phone", "301 555 0001")):
                form.query_one(f"#f-{key}", Input).value = value
            await pilot.press("ctrl+s")
        elif which == "merge_blocked":
            from sagicc_tui.screens.customer_merge import CustomerMergeScreen

            items = [list_item(await world.backend.get_customer(admin, r.customer_id)) for r in (a, b)]
            dialog = CustomerMergeScreen(world.backend, admin, items)
            app.push_screen(dialog)
            await settle(pilot)
            dialog.query_one("#merge-tickets", Checkbox).value = False
            await pilot.press("p")
        elif which == "change_log":
            from sagicc_tui.screens.customer_log import CustomerLogScreen

            await world.backend.merge_customers(admin, c.customer_id, [a.customer_id], MergeParts())
            log = CustomerLogScreen(world.backend, admin, await world.backend.get_customer(admin, c.customer_id))
            app.push_screen(log)
            for _ in range(200):  # a loaded machine: wait for the rows themselves, not a number of rounds
                await settle(pilot, rounds=1)
                if log.entries:
                    break
        else:
            from sagicc_tui.screens.mass_action import MassActionScreen

            sofia = await world.user("sofia")
            page = await world.backend.list_tickets(admin, TicketQuery(), limit=100)
            cards = [x for x in page.rows if x.id in {a.ticket_id, c.ticket_id}]
            screen = MassActionScreen(backend=world.backend, user=sofia,
                                      campaign=await world.backend.get_campaign(admin, 1), kind=MassActionKind.MERGE,
                                      selection=TicketSelection(ids=frozenset({a.ticket_id, c.ticket_id})), cards=cards)
            app.push_screen(screen)
            await settle(pilot)
            screen.query_one("#merge-customers", Checkbox).value = True
            await settle(pilot)
            screen.query_one("#merge-keep").focus()  # scrolled into view at 80x24, opened: ids tell them apart
            await pilot.press("enter")
        await settle(pilot, rounds=4)

    return run_before


@pytest.mark.parametrize("which", SCREENS)
@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize("size", [(80, 24), (160, 50)])
def test_customer_screens_snapshot(snap_compare, snap, size, language, which):
    world, made = snap
    app = make_app(world, poll_interval=3600, language=language)
    assert snap_compare(app, terminal_size=size, run_before=_run_before(world, made, which))
