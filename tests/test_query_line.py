"""+L12 the query line: text <-> TicketQuery, in English and Spanish."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sagicc_tui.domain import query_line
from sagicc_tui.domain.enums import ChannelType, Priority, TicketOrder, TicketStatus, TicketType, UserFilter
from sagicc_tui.domain.errors import InvalidInput
from sagicc_tui.domain.query import TicketQuery
from sagicc_tui.domain.query_line import Names

NOW = datetime(2026, 11, 25, 14, 30, tzinfo=UTC)
BOGOTA = timezone(timedelta(hours=-5))
NAMES = Names.of({1: "Servicio", 2: "Ventas", 3: "Cobranza Norte"}, {1: "admin", 3: "ana", 4: "ana.perez"}, me=3)
BASE = TicketQuery(campaign_ids=(1,))


def parse(text: str, tz=UTC) -> TicketQuery:
    return query_line.parse(text, base=BASE, names=NAMES, now=NOW, tz=tz)


def test_the_issue_example_in_english_and_spanish():
    en = parse("priority:critical assignee:none status:open,new channel:whatsapp created:<7d")
    es = parse("prioridad:crítica asignado:nadie estado:abierto,nuevo canal:whatsapp creado:<7d")
    assert en == es
    assert en.priorities == (Priority.CRITICAL,)
    assert en.user_filter is UserFilter.UNASSIGNED
    assert en.statuses == (TicketStatus.OPEN, TicketStatus.NEW)
    assert en.channels == (ChannelType.WHATSAPP,)
    assert en.created_from == NOW - timedelta(days=7) and en.created_to is None
    assert en.campaign_ids == (1,) and en.search == ""


def test_case_accents_free_words_and_quotes():
    q = parse('PRIORIDAD:Critica factura "Pérez Gómez" outcome:"No contesta" tipo:reclamo')
    assert q.priorities == (Priority.CRITICAL,)
    assert q.types == (TicketType.CLAIM,)
    assert q.primary_values == ("No contesta",)
    assert q.search == "factura Pérez Gómez"


def test_users_campaigns_me_and_order():
    q = parse("assignee:me,ana.perez campaign:ventas,3 order:oldest")
    assert q.user_filter is UserFilter.SPECIFIC and q.user_ids == (3, 4)
    assert q.campaign_ids == (2, 3)
    assert q.order is TicketOrder.CREATED_ASC
    assert parse("campaña:\"cobranza norte\"").campaign_ids == (3,)


def test_days_are_the_users_local_days():
    q = parse("created:2026-11-01..2026-11-30", tz=BOGOTA)
    assert q.created_from == datetime(2026, 11, 1, tzinfo=BOGOTA)
    assert q.created_to == datetime(2026, 12, 1, tzinfo=BOGOTA)
    one = parse("creado:2026-11-25")
    assert (one.created_from, one.created_to) == (datetime(2026, 11, 25, tzinfo=UTC), datetime(2026, 11, 26, tzinfo=UTC))
    assert parse("created:>30d").created_to == NOW - timedelta(days=30)
    due = parse("next:<2h")
    assert (due.next_task_from, due.next_task_to) == (NOW, NOW + timedelta(hours=2))


@pytest.mark.parametrize("text, fragment", [
    ("priority:urgent", "urgent"),
    ("status:", "needs a value"),
    ("assignee:zoe", "zoe"),
    ("campaign:marte", "marte"),
    ("created:ayer", "ayer"),
    ("created:2026-11-30..2026-11-01", "must not come after"),
])
def test_bad_values_are_one_sentence_naming_them(text, fragment):
    with pytest.raises(InvalidInput) as e:
        parse(text)
    assert fragment in str(e.value)


def test_the_line_clears_what_it_does_not_name_but_keeps_order_and_campaign():
    base = TicketQuery(campaign_ids=(2,), priorities=(Priority.LOW,), order=TicketOrder.UNREAD_ASC)
    q = query_line.parse("status:new", base=base, names=NAMES, now=NOW, tz=UTC)
    assert q == TicketQuery(campaign_ids=(2,), statuses=(TicketStatus.NEW,), order=TicketOrder.UNREAD_ASC)


days = st.dates(min_value=datetime(2025, 1, 1).date(), max_value=datetime(2027, 12, 31).date())


@st.composite
def queries(draw):
    def day_range():
        a, b = draw(st.one_of(st.none(), days)), draw(st.one_of(st.none(), days))
        if a and b and b < a:
            a, b = b, a
        start = datetime(a.year, a.month, a.day, tzinfo=BOGOTA) if a else None
        end = datetime(b.year, b.month, b.day, tzinfo=BOGOTA) + timedelta(days=1) if b else None
        return start, end

    created = day_range()
    nxt = day_range()
    user_filter = draw(st.sampled_from(list(UserFilter)))
    return TicketQuery(
        campaign_ids=tuple(draw(st.lists(st.sampled_from([1, 2, 3]), min_size=1, max_size=3, unique=True))),
        created_from=created[0], created_to=created[1], next_task_from=nxt[0], next_task_to=nxt[1],
        statuses=tuple(draw(st.lists(st.sampled_from(list(TicketStatus)), unique=True))),
        priorities=tuple(draw(st.lists(st.sampled_from(list(Priority)), unique=True))),
        channels=tuple(draw(st.lists(st.sampled_from(list(ChannelType)), unique=True))),
        types=tuple(draw(st.lists(st.sampled_from(list(TicketType)), unique=True))),
        user_filter=user_filter,
        user_ids=tuple(draw(st.lists(st.sampled_from([1, 3, 4]), min_size=1, unique=True)))
        if user_filter is UserFilter.SPECIFIC else (),
        features=tuple(draw(st.lists(st.sampled_from(["VIP", "Mora alta"]), unique=True))),
        primary_values=tuple(draw(st.lists(st.sampled_from(["Pendiente", "No contesta"]), unique=True))),
        search=draw(st.sampled_from(["", "factura", "Pérez Gómez"])),
        order=draw(st.sampled_from(list(TicketOrder))),
    )


@settings(max_examples=200, deadline=None)
@given(queries())
def test_format_then_parse_gives_the_same_query(q):
    line = query_line.format(q, names=NAMES, current_campaign=1, tz=BOGOTA)
    base = TicketQuery(campaign_ids=(1,))
    back = query_line.parse(line, base=base, names=NAMES, now=NOW, tz=BOGOTA)
    assert back == q, line


def test_order_by_sla_due_in_both_languages():
    """#12.5 (+L5): `order:sla` (`orden:vencimiento`) is the SLA-due order, and is written back as such."""
    assert parse("order:sla").order is TicketOrder.SLA_DUE
    assert parse("orden:vencimiento").order is TicketOrder.SLA_DUE
    assert query_line.format(BASE.with_(order=TicketOrder.SLA_DUE), names=NAMES, current_campaign=1,
                             tz=UTC) == "order:sla"
