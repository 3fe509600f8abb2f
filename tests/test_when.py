"""Relative dates in date fields (#12.2): what agents type, in English and Spanish."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from sagicc_tui.domain.when import parse_when

BOGOTA = timezone(timedelta(hours=-5))
# Wednesday 2026-11-25, 14:30 in Bogotá.
NOW = datetime(2026, 11, 25, 19, 30, tzinfo=timezone.utc)


def at(y, mo, d, h, mi=0):
    return datetime(y, mo, d, h, mi, tzinfo=BOGOTA)


@pytest.mark.parametrize("text, expected", [
    ("+2h", at(2026, 11, 25, 16, 30)),
    ("+30m", at(2026, 11, 25, 15, 0)),
    ("+1d", at(2026, 11, 26, 14, 30)),
    ("en 2 horas", at(2026, 11, 25, 16, 30)),
    ("en 2 días", at(2026, 11, 27, 14, 30)),
    ("in 45 minutes", at(2026, 11, 25, 15, 15)),
    ("mañana 9:00", at(2026, 11, 26, 9)),
    ("MAÑANA 9", at(2026, 11, 26, 9)),
    ("tomorrow 9", at(2026, 11, 26, 9)),
    ("tomorrow 3pm", at(2026, 11, 26, 15)),
    ("pasado mañana", at(2026, 11, 27, 9)),
    ("hoy 16:45", at(2026, 11, 25, 16, 45)),
    ("today 10", at(2026, 11, 25, 10)),  # the caller refuses a past date in its own words
    ("16:00", at(2026, 11, 25, 16)),
    ("8:00", at(2026, 11, 26, 8)),  # passed today: tomorrow
    ("lunes 10", at(2026, 11, 30, 10)),
    ("miércoles 9", at(2026, 12, 2, 9)),  # today is Wednesday and 9:00 has passed
    ("friday", at(2026, 11, 27, 9)),
    ("2026-12-03 14:00", at(2026, 12, 3, 14)),
    ("30/11 8:15", at(2026, 11, 30, 8, 15)),
    ("15/1", at(2027, 1, 15, 9)),
])
def test_what_agents_type(text, expected):
    assert parse_when(text, now=NOW, tz=BOGOTA) == expected


@pytest.mark.parametrize("text", ["", "ayer por la tarde", "25:00", "mañana a las", "31/02", "+h", "13pm"])
def test_not_a_date(text):
    assert parse_when(text, now=NOW, tz=BOGOTA) is None
