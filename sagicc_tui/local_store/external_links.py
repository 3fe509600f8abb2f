"""T3 external-view links: how long they live, who may still share them (#10.10)."""

from __future__ import annotations

import os

from sagicc_tui.domain.errors import StoreError
from sagicc_tui.domain.messages import N_

DEFAULT_DAYS = 7.0


def lifetime_seconds() -> int:
    """SAGICC_EXTERNAL_VIEW_DAYS (default 7): how long a new link works."""
    raw = os.environ.get("SAGICC_EXTERNAL_VIEW_DAYS", "").strip()
    if not raw:
        return int(DEFAULT_DAYS * 86400)
    try:
        days = float(raw)
    except ValueError:
        days = -1.0
    if not 0 < days <= 3650:
        raise StoreError(N_("SAGICC_EXTERNAL_VIEW_DAYS must be a number of days between 0 and 3650, like 7; "
                            "it is {value}."), value=raw)
    return max(1, int(days * 86400))
