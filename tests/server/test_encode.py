"""The list route's pages encoded straight from rows (server/encode.py, #16.2):
byte for byte the JSON pydantic wrote from TicketPage, for every user of a
demo store, every order, filters, searches, next pages by keyset and offset,
and cards with awkward text (control characters, quotes, accents, emoji,
line separators), SLA rules, missing and present times -- on SQLite and
PostgreSQL (their rows come back as different driver types).

PostgreSQL kinds FAIL (never skip) when the server on 127.0.0.1:5432 is absent.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from sagicc_tui.domain.enums import TicketOrder, TicketStatus
from sagicc_tui.domain.query import TicketPage, TicketQuery
from sagicc_tui.local_store import tickets
from sagicc_tui.local_store.backend import LocalBackend
from sagicc_tui.remote import wire
from sagicc_tui.server import encode
from tests.support.demo_store import demo_store

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
AWKWARD = 'comillas " y \\ barra, \x01\x1f control, \u2028 separador, ñandú, 🎫, </script>'


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def demo_url(request, tmp_path_factory):
    return demo_store(request, tmp_path_factory.mktemp("encode"), tickets=600, seed=4, now=NOW)


def _both(store, user, query, **kw) -> tuple[bytes, bytes]:
    with store.read() as conn:
        old = wire.adapter(TicketPage).dump_json(tickets.list_page(store, conn, user, query, **kw))
        new = encode.page_json(tickets.page_rows(store, conn, user, query, **kw))
    return old, new


async def test_pages_encode_as_pydantic_did(demo_url) -> None:
    backend = await LocalBackend.open(demo_url)
    try:
        store = backend.store
        with store.write() as conn:
            conn.execute(text("UPDATE ticket SET last_summary = :s, description = :s WHERE mod(id, 9) = 0"),
                         {"s": AWKWARD})
            conn.execute(text("UPDATE ticket SET last_direction = NULL, last_channel = NULL WHERE mod(id, 11) = 0"))
        users = [u for u in await backend.list_users() if u.active]
        queries = [TicketQuery(order=o) for o in TicketOrder]
        queries += [TicketQuery(statuses=(TicketStatus.OPEN, TicketStatus.NEW)),
                    TicketQuery(statuses=(TicketStatus.CLOSED,), order=TicketOrder.SLA_DUE),
                    TicketQuery(search="factura"), TicketQuery(search="comillas"),
                    TicketQuery(campaign_ids=(2,), order=TicketOrder.UNREAD_ASC)]
        compared = cards = 0
        for user in users:
            for query in queries:
                old, new = _both(store, user, query, limit=40, after=None, offset=0)
                assert new == old, (user.username, query)
                page = wire.adapter(TicketPage).validate_json(new)
                cards += len(page.rows)
                compared += 1
                if page.next_cursor is not None:  # the next page by keyset, and a jump
                    old, new = _both(store, user, query, limit=40, after=page.next_cursor, offset=0)
                    assert new == old, (user.username, query, "next")
                    old, new = _both(store, user, query, limit=25, after=None, offset=60)
                    assert new == old, (user.username, query, "offset")
                    compared += 2
        assert compared > 100 and cards > 2000
        # the comparison saw what it is meant to: awkward text, SLA verdicts both ways, times
        with store.read() as conn:
            admin = next(u for u in users if u.username == "admin")
            body = encode.page_json(tickets.page_rows(store, conn, admin, TicketQuery(), limit=500, after=None,
                                                      offset=0))
        assert b"\\u0001" in body and '🎫'.encode() in body
        assert b'"sla_breached":true' in body and b'"sla_breached":false' in body
        assert b'"sla_due_at":"20' in body and b'"last_direction":null' in body
    finally:
        await backend.aclose()
