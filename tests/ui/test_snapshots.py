"""Snapshots of the ticket list at 80×24 and 160×50, in English and Spanish.

Deterministic: a fixed clock (cards show times and "due in N min"), local time
pinned to UTC (conftest), animations off, the default theme, and every worker
finished before the picture. Update with `pytest tests/ui --snapshot-update`
after checking the new pictures by eye.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import update

from sagicc_tui.domain.enums import ChannelType, Priority, TicketStatus
from sagicc_tui.domain.models import TaskInput
from sagicc_tui.local_store import schema
from tests.factory import make_world
from tests.ui.conftest import make_app, settle

PEOPLE = [
    ("pedro@correo.co", "Pedro Pérez", "1020304050", "Me cobraron dos veces la factura de octubre"),
    ("lucia@correo.co", "Lucía Gómez", "52123456", "¿Cuándo llega mi pedido? Ya pasaron diez días"),
    ("+57 311 555 0101", "Carlos Ruiz", "", "Quiero cambiar mi plan"),
    ("mei@correo.co", "王美 Mei Wang", "P9876543", "Necesito la factura electrónica"),
    ("andres@correo.co", "Andrés Castillo", "79888777", "El técnico no vino a la cita"),
    ("sara@correo.co", "Sara Mejía", "1122334455", "Gracias por la ayuda 😀"),
    ("jorge@correo.co", "Jorge Díaz", "", "Devolución del producto dañado"),
    ("ana.m@correo.co", "Ana María Ríos", "43555666", "Solicito certificado de paz y salvo"),
]


async def _build(path):
    world = await make_world(path)
    made = []
    for i, (sender, name, _doc, text) in enumerate(PEOPLE):
        channel = ChannelType.WHATSAPP if sender.startswith("+") else ChannelType.EMAIL
        made.append(await world.incoming(sender, text, channel=channel, name=name))
        if i == 3:
            world.clock.advance(hours=2)  # the first four wait past their SLA
    customers = schema.CustomerRow.__table__
    for r, (_s, _n, doc, _t) in zip(made, PEOPLE, strict=True):
        if doc:
            world.sql(update(customers).where(customers.c.id == r.customer_id).values(id_number=doc))
    shape = {
        0: dict(priority=Priority.CRITICAL.value, status=TicketStatus.ESCALATED.value, assignee_id=3),
        1: dict(status=TicketStatus.OPEN.value, assignee_id=4),
        2: dict(priority=Priority.LOW.value, status=TicketStatus.TRANSFERRED.value),
        4: dict(priority=Priority.HIGH.value, assignee_id=3),
        5: dict(status=TicketStatus.CLOSED.value, unread_count=0, unread_at=None, assignee_id=4),
    }
    for i, values in shape.items():
        world.set_ticket(made[i].ticket_id, **values)
    admin = await world.user("admin")
    await world.backend.add_task(admin, made[4].ticket_id, TaskInput(
        values={"resultado": "Pendiente"}, next_task_at=world.clock() + timedelta(minutes=7)))
    await world.backend.add_task(admin, made[6].ticket_id, TaskInput(
        values={"resultado": "Escalado"}, next_task_at=world.clock() - timedelta(minutes=30)))
    return world


@pytest.fixture
def snap_world(tmp_path):
    world = asyncio.run(_build(tmp_path / "snap.db"))
    yield world
    asyncio.run(world.backend.aclose())


async def _ready(pilot) -> None:
    await settle(pilot)


async def _with_filters(pilot) -> None:
    await settle(pilot)
    await pilot.press("f")
    await _ready(pilot)


@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize("size", [(80, 24), (160, 50)])
def test_ticket_list(snap_compare, snap_world, language, size):
    app = make_app(snap_world, language=language, poll_interval=3600)
    assert snap_compare(app, terminal_size=size, run_before=_ready)


def test_ticket_list_with_filters_and_tags(snap_compare, snap_world):
    app = make_app(snap_world, language="es", poll_interval=3600)

    async def run_before(pilot):
        await settle(pilot)
        await pilot.press("j", "space", "space")
        await _with_filters(pilot)

    assert snap_compare(app, terminal_size=(160, 50), run_before=run_before)
