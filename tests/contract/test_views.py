"""L11: saved views per user."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from sagicc_tui.domain.enums import ChannelType, Priority, TicketOrder, TicketStatus, TicketType, UserFilter
from sagicc_tui.domain.errors import InvalidInput, NotFound
from sagicc_tui.domain.query import TicketQuery, query_from_dict, query_to_dict

FULL = TicketQuery(
    campaign_ids=(1, 2), created_from=datetime(2026, 1, 1, tzinfo=UTC), created_to=datetime(2026, 2, 1, tzinfo=UTC),
    next_task_from=datetime(2026, 3, 1, tzinfo=UTC), statuses=(TicketStatus.NEW, TicketStatus.ESCALATED),
    priorities=(Priority.CRITICAL,), customer_ids=(4, 5), user_filter=UserFilter.SPECIFIC, user_ids=(3,),
    types=(TicketType.CLAIM,), channels=(ChannelType.EMAIL,), features=("VIP",), primary_values=("Pendiente",),
    search="factura", order=TicketOrder.NEXT_TASK_CLOSEST, assigned_since=datetime(2026, 4, 1, tzinfo=UTC),
)


def test_query_round_trips_through_json():
    import json

    assert query_from_dict(json.loads(json.dumps(query_to_dict(FULL)))) == FULL
    assert query_from_dict({"statuses": ["open"], "from_the_future": 1}) == TicketQuery(statuses=(TicketStatus.OPEN,))


async def test_views_are_per_user_and_replace_by_name(world):
    ana, bruno = await world.user("ana"), await world.user("bruno")
    saved = await world.backend.save_view(ana, "  Críticos   sin asignar ", FULL)
    assert saved.name == "Críticos sin asignar" and saved.query == FULL
    again = await world.backend.save_view(ana, "Críticos sin asignar", TicketQuery(priorities=(Priority.HIGH,)))
    assert again.id == saved.id and again.query.priorities == (Priority.HIGH,)
    await world.backend.save_view(ana, "Abiertos", TicketQuery(statuses=(TicketStatus.OPEN,)))
    assert [v.name for v in await world.backend.list_views(ana)] == ["Abiertos", "Críticos sin asignar"]
    assert await world.backend.list_views(bruno) == []
    with pytest.raises(NotFound):
        await world.backend.delete_view(bruno, saved.id)  # not his
    await world.backend.delete_view(ana, saved.id)
    assert [v.name for v in await world.backend.list_views(ana)] == ["Abiertos"]
    with pytest.raises(InvalidInput):
        await world.backend.save_view(ana, "   ", FULL)


async def test_a_view_keeps_the_query_line_it_was_saved_from(world):
    """+L12: the line travels with the view, as typed (relative dates stay relative)."""
    from sagicc_tui.domain.enums import Priority

    ana = await world.user("ana")
    q = TicketQuery(campaign_ids=(1,), priorities=(Priority.CRITICAL,))
    saved = await world.backend.save_view(ana, "Críticos recientes", q, line="priority:critical   created:<7d")
    assert saved.line == "priority:critical created:<7d" and saved.query == q
    (listed,) = [v for v in await world.backend.list_views(ana) if v.name == "Críticos recientes"]
    assert listed.line == "priority:critical created:<7d" and listed.query == q
    # Saved again from the sidebar: no line.
    again = await world.backend.save_view(ana, "Críticos recientes", q)
    assert again.line == ""
    with pytest.raises(InvalidInput):
        await world.backend.save_view(ana, "Largo", q, line="x" * 501)
