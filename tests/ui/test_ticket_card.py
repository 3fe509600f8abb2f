"""The card renderer on its own: every L3 component, widths, no colour, hostile text."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from rich.cells import cell_len

from sagicc_tui.domain.enums import ChannelType, Direction, Priority, TicketStatus, TicketType
from sagicc_tui.domain.models import TicketCard
from sagicc_tui.widgets.ticket_card import (
    PARTS,
    card_lines,
    fit,
    palette_from_components,
    placeholder_lines,
    plain_palette,
)

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def card(**changes) -> TicketCard:
    values = dict(
        id=7, number=100123, campaign_id=1, status=TicketStatus.ESCALATED, priority=Priority.HIGH,
        type=TicketType.CLAIM, last_outcome="Solucionado", unread_count=3, unread_at=NOW,
        last_summary="Me cobraron dos veces", last_direction=Direction.INCOMING, customer_id=9,
        customer_id_number="1020304050", customer_name="Pedro Pérez", assignee_id=3,
        assignee_name="Ana Agente", description="Cobro duplicado", created_at=NOW - timedelta(hours=2),
        last_channel=ChannelType.WHATSAPP, next_task_at=NOW + timedelta(minutes=8), sla_breached=True,
        version=1,
    )
    values.update(changes)
    return TicketCard(**values)


def text(strips) -> list[str]:
    return ["".join(s.text for s in strip) for strip in strips]


def test_all_components_without_colour():
    lines = text(card_lines(card(), now=NOW, width=160, palette=plain_palette(), cursor=True, tagged=True))
    head, body, sep = lines
    for part in ("▸", "[x]", "#100123", "Escalated", "High", "●3 unread", "◷ in 8 min", "!SLA",
                 "» Solucionado", "WhatsApp", "2026-11-25 10:00"):
        assert part in head, part
    for part in ("1020304050", "Pedro Pérez", "Ana Agente", "Cobro duplicado", "← Me cobraron dos veces"):
        assert part in body, part
    assert set(sep) == {"─"}
    assert all(cell_len(line) == 160 for line in lines)


def test_optional_parts_hide_and_overdue():
    c = card(last_outcome=None, unread_count=0, sla_breached=False, assignee_name=None, assignee_id=None,
             next_task_at=NOW - timedelta(minutes=1), last_direction=Direction.OUTGOING)
    head, body, _ = text(card_lines(c, now=NOW, width=120, palette=plain_palette()))
    assert "»" not in head and "unread" not in head and "SLA" not in head
    assert "◷ overdue" in head and head.startswith("  [ ] #")
    assert "Unassigned" in body and "→ Me cobraron" in body
    # A later next task shows when it is (#12.5), from the compact width up; not "in N min".
    far = card(next_task_at=NOW + timedelta(hours=3))
    far_head = text(card_lines(far, now=NOW, width=120, palette=plain_palette()))[0]
    local = (NOW + timedelta(hours=3)).astimezone().strftime("%m-%d %H:%M")
    assert f"◷ {local}" in far_head and "min" not in far_head
    assert "◷" not in text(card_lines(far, now=NOW, width=80, palette=plain_palette()))[0]


def test_sla_countdown_and_campaign_name():
    """#12.5: the time left before the SLA deadline, from four hours before it;
    the campaign's name when the list shows several campaigns."""
    soon = card(sla_breached=False, sla_due_at=NOW + timedelta(minutes=80), next_task_at=None)
    head = text(card_lines(soon, now=NOW, width=120, palette=plain_palette(), campaign="Cobranza"))[0]
    assert "SLA 1h20m" in head and "!SLA" not in head
    assert "Cobranza · WhatsApp" in head
    later = card(sla_breached=False, sla_due_at=NOW + timedelta(hours=5), next_task_at=None)
    assert "SLA" not in text(card_lines(later, now=NOW, width=120, palette=plain_palette()))[0]
    breached = card(sla_breached=True, sla_due_at=NOW - timedelta(minutes=5))
    assert "!SLA" in text(card_lines(breached, now=NOW, width=120, palette=plain_palette()))[0]


def test_narrow_and_wide_characters_fit_exactly():
    c = card(customer_name="李小龍 😀 " * 5, description="描述" * 30, last_summary="😀" * 80)
    for width in (40, 60, 80, 81, 120):
        lines = card_lines(c, now=NOW, width=width, palette=plain_palette())
        assert [s.cell_length for s in lines] == [width] * 3
        assert all(cell_len(t) == width for t in text(lines))
    assert fit("ab😀cd", 3) == "ab…" and cell_len(fit("😀😀😀", 4)) <= 4 and fit("abc", 0) == ""


def test_hostile_text_is_inert():
    evil = "\x1b[31mX[@click=app.quit]\u202e"
    lines = text(card_lines(card(customer_name=evil, last_summary=evil, description=evil, last_outcome=evil),
                            now=NOW, width=200, palette=plain_palette()))
    joined = "".join(lines)
    assert "\x1b" not in joined and "\u202e" not in joined
    assert "^[[31mX[@click=app.quit]<U+202E>" in joined


def test_the_palette_is_the_component_classes_of_the_parts():
    """Each card part is resolved by its own name (TicketList draws them from
    its COMPONENT_CLASSES; the colours are checked in test_styles.py)."""
    from rich.style import Style

    asked: list[str] = []

    def style(part: str) -> Style:
        asked.append(part)
        return Style(color=f"color({len(asked)})")

    palette = palette_from_components(style)
    assert sorted(asked) == sorted([*PARTS, *(f"status-{s.value}" for s in TicketStatus),
                                    *(f"priority-{p.value}" for p in Priority)])
    assert palette.status[TicketStatus.NEW] == Style(color=f"color({asked.index('status-new') + 1})")
    assert palette.sla == Style(color=f"color({asked.index('sla') + 1})")
    assert [s.cell_length for s in placeholder_lines(50, palette)] == [50, 50, 50]


from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_FORBIDDEN = {chr(c) for c in range(0x20)} | {chr(c) for c in range(0x7F, 0xA0)} | set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


@settings(max_examples=300, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(name=st.text(), summary=st.text(), description=st.text(), outcome=st.none() | st.text(),
       width=st.integers(min_value=20, max_value=200))
def test_any_customer_text_renders_inert_at_exact_width(name, summary, description, outcome, width):
    """L3 + untrusted text: whatever a customer sends, a card renders without an
    exception, at the exact width, with no control, C1 or bidi character left."""
    c = card(customer_name=name, last_summary=summary, description=description, last_outcome=outcome,
             customer_id_number=name[:12])
    lines = card_lines(c, now=NOW, width=width, palette=plain_palette(), cursor=True, tagged=True)
    assert [s.cell_length for s in lines] == [width] * 3
    rendered = "".join(text(lines))
    assert not (_FORBIDDEN & set(rendered))
