"""What the Ticket tab's Save may change about a ticket (T7).

A typed change set rather than a dict: a field that cannot be edited cannot
be named (TypeError when built here, 422 on the wire, whose body model
forbids unknown fields), and a bad value is refused with one sentence before
anything is sent or written.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from enum import StrEnum

from sagicc_tui.domain.enums import Priority, TicketStatus, TicketType
from sagicc_tui.domain.errors import InvalidInput
from sagicc_tui.domain.messages import N_

#: `TicketChanges.account_id` meaning "the ticket has no account": None
#: already means "leave it as it is", and account ids start at 1.
NO_ACCOUNT = 0

_ENUMS: dict[str, type[StrEnum]] = {"status": TicketStatus, "priority": Priority, "type": TicketType}


@dataclass(frozen=True, slots=True, kw_only=True)
class TicketChanges:
    """None leaves a field as it is."""

    status: TicketStatus | None = None
    priority: Priority | None = None
    type: TicketType | None = None
    description: str | None = None
    account_id: int | None = None  # NO_ACCOUNT: no account
    # Another campaign: the ticket moves exactly as Assign -> move to a campaign moves it.
    campaign_id: int | None = None

    def __post_init__(self) -> None:
        # Values typed or read as text ("high") become the enum, or one sentence.
        for name, enum in _ENUMS.items():
            raw = getattr(self, name)
            if raw is None or isinstance(raw, enum):
                continue
            try:
                object.__setattr__(self, name, enum(raw))
            except ValueError:
                raise InvalidInput(N_("{value} is not a valid {label}."), value=raw, label=name, field=name) from None
        for name in ("account_id", "campaign_id"):
            raw = getattr(self, name)
            if raw is not None and (isinstance(raw, bool) or not isinstance(raw, int) or raw < 0):
                raise InvalidInput(N_("{value} is not a valid {label}."), value=raw, label=name, field=name)
        if self.description is not None and not isinstance(self.description, str):
            raise InvalidInput(N_("{value} is not a valid {label}."), value=self.description, label="description", field="description")

    def given(self) -> dict[str, object]:
        """The fields to change, by name (`account_id` None: clear the account)."""
        out: dict[str, object] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value is None:
                continue
            out[f.name] = None if f.name == "account_id" and value == NO_ACCOUNT else value
        return out
