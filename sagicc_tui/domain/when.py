"""Dates as an agent types them: "+2h", "mañana 9:00", "tomorrow 9", "lunes 10".

A date field (the next task, a commitment date) takes what people say on the
phone, in English or Spanish, relative to now and in the user's time zone:

  +30m  +2h  +1d  +1w        from now (also "en 2h", "in 2h")
  today 15:30  hoy 15        today at that time (a bare time means today, or
                             tomorrow when it has passed)
  tomorrow 9  mañana 9:00    tomorrow; "pasado mañana" the day after
  monday 10  lunes 10        the next such weekday (a week on when it is today
                             and the time has passed)
  2026-11-30 14:00           a day and a time; 30/11 14:00 and 30/11/2026 too
  9am  3:30pm                twelve-hour times

A day without a time is 09:00, the start of a working day. The answer is an
aware datetime in `tz`; `None` for text that is not a date, so the caller can
say so in its own words (the field's label).
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, tzinfo

from sagicc_tui.domain.text import fold

DEFAULT_TIME = time(9, 0)

_SPAN = re.compile(r"^(?:\+|en |in )\s*(\d{1,4})\s*(m|min|mins|minutes?|minutos?|h|hr|hrs|horas?|hours?|d|dias?|days?|w|semanas?|weeks?)$")
_TIME = re.compile(r"^(\d{1,2})(?::(\d{2}))?\s*(am|pm|a\.m\.|p\.m\.)?$")
_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_DMY = re.compile(r"^(\d{1,2})/(\d{1,2})(?:/(\d{2,4}))?$")

_UNIT = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks", "s": "weeks"}
_DAY_WORDS = {
    "today": 0, "hoy": 0, "tomorrow": 1, "manana": 1, "pasado manana": 2, "day after tomorrow": 2,
}
_WEEKDAYS = {
    "monday": 0, "lunes": 0, "tuesday": 1, "martes": 1, "wednesday": 2, "miercoles": 2,
    "thursday": 3, "jueves": 3, "friday": 4, "viernes": 4, "saturday": 5, "sabado": 5,
    "sunday": 6, "domingo": 6,
}


def _unit(word: str) -> str:
    w = word.lower()
    if w.startswith("mi") or w == "m":
        return "minutes"
    return _UNIT[w[0]]


def _time(text: str) -> time | None:
    m = _TIME.match(text.strip().lower())
    if not m:
        return None
    hour, minute, half = int(m.group(1)), int(m.group(2) or 0), m.group(3)
    if half:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if half.startswith("p") else 0)
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)


def _day(text: str, today: date) -> date | None:
    word = " ".join(fold(text).split())
    if word in _DAY_WORDS:
        return today + timedelta(days=_DAY_WORDS[word])
    if word in _WEEKDAYS:
        ahead = (_WEEKDAYS[word] - today.weekday()) % 7
        return today + timedelta(days=ahead)
    m = _ISO.match(text)
    if m:
        try:
            return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        except ValueError:
            return None
    m = _DMY.match(text)
    if m:
        year = int(m.group(3)) if m.group(3) else today.year
        if year < 100:
            year += 2000
        try:
            found = date(year, int(m.group(2)), int(m.group(1)))
        except ValueError:
            return None
        if not m.group(3) and found < today:  # "30/1" in December: next January
            found = found.replace(year=year + 1)
        return found
    return None


def parse_when(text: str, *, now: datetime, tz: tzinfo) -> datetime | None:
    """The moment `text` names, or None when it names none."""
    raw = " ".join(text.strip().split())
    if not raw:
        return None
    local_now = now.astimezone(tz)
    m = _SPAN.match(raw.lower().replace(" ", "") if raw.startswith("+") else fold(raw))
    if m:
        return local_now + timedelta(**{_unit(m.group(2)): int(m.group(1))})
    at = _time(raw)
    if at is not None:  # a bare time: the next time the clock shows it
        moment = datetime.combine(local_now.date(), at, tzinfo=tz)
        return moment if moment > local_now else moment + timedelta(days=1)
    # A day, then optionally a time: split where the time starts.
    parts = raw.split(" ")
    for cut in range(len(parts), 0, -1):
        day = _day(" ".join(parts[:cut]), local_now.date())
        if day is None:
            continue
        rest = " ".join(parts[cut:])
        at = _time(rest) if rest else DEFAULT_TIME
        if at is None:
            return None
        moment = datetime.combine(day, at, tzinfo=tz)
        weekday = fold(" ".join(parts[:cut])) in _WEEKDAYS
        if weekday and moment <= local_now:
            moment += timedelta(days=7)
        return moment
    return None
