"""The campaign's task form (T11, L8 Add Task): validation in one place."""

from __future__ import annotations

from datetime import date
from typing import Any

from sagicc_tui.domain.enums import FieldType
from sagicc_tui.domain.errors import InvalidInput
from sagicc_tui.domain.messages import N_
from sagicc_tui.domain.models import Campaign, TaskInput


def validate_task(campaign: Campaign, task: TaskInput) -> dict[str, Any]:
    """Return the values normalised (numbers as numbers, dates as ISO text).

    Raises InvalidInput naming the first field that is wrong and how to fix it.
    """
    fields = {f.key: f for f in campaign.task_fields}
    unknown = sorted(set(task.values) - set(fields))
    if unknown:
        raise InvalidInput(
            N_("The field {label} is not in the task form of {campaign}; remove it."),
            label=unknown[0], field=unknown[0], campaign=campaign.name,
        )
    clean: dict[str, Any] = {}
    for f in campaign.task_fields:
        raw = task.values.get(f.key)
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            if f.required:
                raise InvalidInput(N_("{label} is required; fill it in."), label=f.label, field=f.key)
            continue
        if f.type is FieldType.NUMBER:
            try:
                value: Any = float(str(raw).replace(",", "."))
            except ValueError:
                raise InvalidInput(N_("{label} must be a number, like 42 or 3.5."), label=f.label,
                                   field=f.key) from None
            clean[f.key] = int(value) if value.is_integer() else value
        elif f.type is FieldType.DATE:
            try:
                clean[f.key] = date.fromisoformat(str(raw).strip()).isoformat()
            except ValueError:
                raise InvalidInput(N_("{label} must be a date as YYYY-MM-DD."), label=f.label,
                                   field=f.key) from None
        elif f.type is FieldType.CHOICE:
            if str(raw) not in f.choices:
                raise InvalidInput(
                    N_("{label} must be one of: {choices}."), label=f.label, field=f.key,
                    choices=", ".join(f.choices)
                )
            clean[f.key] = str(raw)
        else:
            clean[f.key] = str(raw).strip()
    return clean
