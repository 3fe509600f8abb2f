"""#13: a fetched batch of mail ingested in ONE transaction (local_store/ingest.py
ingest_many), SQLite and PostgreSQL: each message has its own savepoint, so a
refused one is its sentence in its place and the others go in; a message twice
in one batch, or a batch again, adds nothing twice; a failure mid-batch leaves
nothing of it (so nothing is flagged read)."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from sagicc_tui.domain.ingest import IncomingMessage, IngestResult
from sagicc_tui.domain.enums import ChannelType
from sagicc_tui.domain.errors import InvalidInput
from sagicc_tui.local_store import ingest
from tests.factory import make_world


@pytest.fixture(params=["sqlite", "pg"])
async def world(request, tmp_path):
    if request.param == "pg":
        from tests.support.pg import pg_store_url

        url = pg_store_url(request)
    else:
        url = str(tmp_path / "store.db")
    w = await make_world(url, blob_dir=tmp_path / "files")
    try:
        yield w
    finally:
        await w.aclose()


def mail(n: int, **kw) -> IncomingMessage:
    fields = {"text": f"Mensaje {n}", "subject": f"S {n}", "id": f"<batch-{n}@x.co>", **kw}
    return IncomingMessage(channel=ChannelType.EMAIL, sender=f"c{n}@x.co", **fields)


def interactions(world) -> int:
    with world.store.read() as conn:
        return conn.execute(text("SELECT count(*) FROM interaction")).scalar()


async def test_a_batch_goes_in_once_and_a_refused_message_stays_out_alone(world):
    batch = [mail(1), mail(2, campaign_id=999), mail(3), mail(1), mail(4, text="", subject="")]
    out = ingest.ingest_many(world.store, batch)
    assert len(out) == 5
    assert isinstance(out[0], IngestResult) and out[0].new_ticket and not out[0].duplicate
    assert isinstance(out[1], InvalidInput) and "no campaign with id 999" in str(out[1])
    assert isinstance(out[2], IngestResult) and out[2].new_ticket
    assert isinstance(out[3], IngestResult) and out[3].duplicate and out[3].ticket_id == out[0].ticket_id
    assert isinstance(out[4], InvalidInput) and "nothing to ingest" in str(out[4])
    assert interactions(world) == 2
    with world.store.read() as conn:  # the refused one left no identity behind: it can go in later
        assert conn.execute(text("SELECT count(*) FROM message_identity WHERE key LIKE '%batch-2%'")).scalar() == 0
    again = ingest.ingest_many(world.store, [mail(1), mail(2), mail(3)])
    assert [r.duplicate for r in again] == [True, False, True]
    assert interactions(world) == 3


async def test_a_failure_mid_batch_leaves_nothing_of_it(world, monkeypatch):
    real = ingest._ingest_in
    calls = []

    def failing(store, conn, message, *args):
        calls.append(message.id)
        if len(calls) == 2:
            raise OSError("disk gone")  # not a refusal: the whole transaction goes
        return real(store, conn, message, *args)

    monkeypatch.setattr(ingest, "_ingest_in", failing)
    with pytest.raises(OSError):
        ingest.ingest_many(world.store, [mail(1), mail(2), mail(3)])
    assert interactions(world) == 0
