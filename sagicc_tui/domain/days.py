"""A day typed by a person (YYYY-MM-DD) as an instant: the one parser the CLI and the TUI share.

A day is the user's day: it starts at midnight in the local time zone of the
machine running the CLI or the TUI (TZ, or the system zone), not at UTC
midnight, so `sagicc tickets list --created-from 2026-11-25` and the TUI's
sidebar with the same date give the same tickets for an agent in Bogotá.
The instants returned are aware (local offset); the store compares epochs.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sagicc_tui.domain.messages import N_

NOT_A_DAY = N_("Write the date as YYYY-MM-DD, like 2026-11-25.")


class NotADay(ValueError):
    """The text is not YYYY-MM-DD; str() is the English template NOT_A_DAY."""

    def __init__(self) -> None:
        super().__init__(NOT_A_DAY)


def parse_day(text: str, *, end: bool = False) -> datetime | None:
    """Local midnight starting the day `text` names; None for a blank.

    end=True: the midnight ending it (the next day's), for an end bound that
    includes its whole day in a [from, to) range. Computed from the next
    calendar day, so a day that changes clocks (DST) is still a whole day.
    """
    text = text.strip()
    if not text:
        return None
    if len(text) != 10:  # fromisoformat also takes 20261125 and 2026-W48-3
        raise NotADay()
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise NotADay() from None
    if end:
        day += timedelta(days=1)
    return datetime(day.year, day.month, day.day).astimezone()
