"""server/count_cache.py: only large counts are kept, for a moment, per user
and query; the list's order is not part of the key."""

from __future__ import annotations

from sagicc_tui.domain.enums import Role, TicketOrder, TicketStatus
from sagicc_tui.domain.models import User
from sagicc_tui.domain.query import TicketQuery
from sagicc_tui.server.count_cache import CountCache

ANA = User(id=3, username="ana", full_name="Ana", role=Role.AGENT, campaign_ids=(1,))
BRUNO = User(id=4, username="bruno", full_name="Bruno", role=Role.AGENT, campaign_ids=(1,))
Q = TicketQuery(campaign_ids=(1,))


def test_large_counts_are_kept_per_user_and_query_whatever_the_order() -> None:
    cache = CountCache(ttl=60)
    cache.put(ANA, Q, 250_000)
    assert cache.get(ANA, Q.with_(order=TicketOrder.UNREAD_ASC)) == 250_000
    assert cache.get(BRUNO, Q) is None  # another user: another scope
    assert cache.get(ANA, Q.with_(statuses=(TicketStatus.OPEN,))) is None  # another filter


def test_small_counts_are_never_kept_and_old_ones_expire() -> None:
    cache = CountCache(ttl=60)
    cache.put(ANA, Q, 12)
    assert cache.get(ANA, Q) is None
    expired = CountCache(ttl=-1)
    expired.put(ANA, Q, 250_000)
    assert expired.get(ANA, Q) is None
