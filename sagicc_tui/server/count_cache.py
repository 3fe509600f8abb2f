"""Large ticket counts, kept a moment per user and query (the list's header).

An agent's count at 1M tickets walks a quarter of a million index entries
(~50 ms of CPU: "mine or unassigned, from the campaign's channels"), and the
list asks for it on every filter and order change and on live reloads. A
count of tens of thousands is read as "about that many": one that old by at
most TTL seconds changes nothing anyone does. Small counts -- the ones a
user checks against what they just did -- are never kept, and the order of
the list is not part of the key (it does not change the count).
"""

from __future__ import annotations

import dataclasses
import time
import weakref
from collections import OrderedDict
from typing import Any

from sagicc_tui.domain.enums import TicketOrder

TTL = 2.0  # seconds
KEEP_FROM = 10_000  # only counts at least this large are kept
MAX_ENTRIES = 4096


class CountCache:
    _per_store: weakref.WeakKeyDictionary[Any, CountCache] = weakref.WeakKeyDictionary()

    @classmethod
    def of(cls, backend) -> CountCache:
        """The cache of one backend (one store) in this process."""
        found = cls._per_store.get(backend)
        if found is None:
            found = cls._per_store[backend] = cls()
        return found

    def __init__(self, *, ttl: float = TTL, keep_from: int = KEEP_FROM) -> None:
        self.ttl, self.keep_from = ttl, keep_from
        self._kept: OrderedDict[Any, tuple[float, int]] = OrderedDict()
        self.hits = 0

    @staticmethod
    def key(user, query, at_most: int | None = None) -> Any:
        # The user's id and role, its campaigns and status make its scope.
        return (user.id, user.role, tuple(user.campaign_ids), dataclasses.replace(query, order=TicketOrder.CREATED_DESC),
                at_most)

    def get(self, user, query, at_most: int | None = None) -> int | None:
        key = self.key(user, query, at_most)
        found = self._kept.get(key)
        if found is None:
            return None
        at, value = found
        if time.monotonic() - at > self.ttl:
            self._kept.pop(key, None)
            return None
        self.hits += 1
        return value

    def put(self, user, query, value: int, at_most: int | None = None) -> None:
        # "More than at_most" is as large a count as any: nobody checks it row by row.
        if value < self.keep_from and not (at_most is not None and value > at_most):
            return
        key = self.key(user, query, at_most)
        self._kept[key] = (time.monotonic(), value)
        self._kept.move_to_end(key)
        while len(self._kept) > MAX_ENTRIES:
            self._kept.popitem(last=False)
