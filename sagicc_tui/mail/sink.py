"""Where fetched mail goes: any Backend's `ingest` -- the local store, or a
server through POST /api/v1/inbound (a RemoteBackend with a channel token).

The message's files go as their content: nothing is written to disk but the
store's own blobs.
"""

from __future__ import annotations

import asyncio
import threading

from sagicc_tui.backend import Backend
from sagicc_tui.domain.ingest import IncomingMessage, IngestResult
from sagicc_tui.domain.enums import ChannelType
from sagicc_tui.mail.parse import ParsedMail


def incoming(parsed: ParsedMail, campaign_id: int = 0) -> IncomingMessage:
    return IncomingMessage(
        channel=ChannelType.EMAIL, sender=parsed.sender[:320], text=parsed.full_text, name=parsed.name[:300],
        subject=parsed.subject, at=parsed.at, id=parsed.message_id,
        attachments=tuple(parsed.files),
        references=parsed.references, automatic=parsed.automatic, campaign_id=campaign_id,
    )


class LoopThread:
    """An event loop running in its own thread, where a Backend lives while
    blocking fetchers (one thread per mailbox) call it."""

    def __enter__(self) -> LoopThread:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="sagicc-mail-loop", daemon=True)
        self._thread.start()
        return self

    def run(self, coro):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result()

    def __exit__(self, *exc) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join()
        self.loop.close()


class BackendSink:
    """Calls an async Backend from a (blocking) fetcher thread: the backend
    lives on `loop`, which runs in another thread (several fetchers share it)."""

    def __init__(self, backend: Backend, loop: asyncio.AbstractEventLoop, campaign_id: int = 0) -> None:
        self.backend = backend
        self.loop = loop
        self.campaign_id = campaign_id

    def __call__(self, parsed: ParsedMail) -> IngestResult:
        message = incoming(parsed, self.campaign_id)
        return asyncio.run_coroutine_threadsafe(self.backend.ingest(message), self.loop).result()


# How long a fetcher thread waits for its batch's turn in a busy server's write
# queue; then the batch stays unread in the mailbox for the next pass (a write
# that commits meanwhile is found there again as a duplicate, never added twice).
QUEUE_PATIENCE = 300.0


class StoreSink:
    """Straight into a store on this machine (`mail fetch --db`, `serve --mail`).
    `batch` ingests a fetched batch in one transaction (one commit instead of
    one per message); `published` hears of each message that changed a ticket.

    Given the server's event `loop`, a batch waits in the store's write queue
    there, as every other write of the server does: it meets them in order
    instead of in SQLite's busy handler, and the live watcher counts it as the
    server's own write, announced by `published`, rather than taking the
    moved store for another program's write and sending every client a full
    refresh (server/events.py)."""

    def __init__(self, store, campaign_id: int = 0, published=None,
                 loop: asyncio.AbstractEventLoop | None = None) -> None:
        self.store = store
        self.campaign_id = campaign_id
        self.published = published
        self.loop = loop

    def __call__(self, parsed: ParsedMail) -> IngestResult:
        [outcome] = self.batch([parsed])
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    def batch(self, parsed: list[ParsedMail]) -> list:
        from sagicc_tui.local_store.ingest import ingest_many

        messages = [incoming(p, self.campaign_id) for p in parsed]
        if self.loop is None:
            outcomes = ingest_many(self.store, messages)
            self._tell(outcomes)
            return outcomes

        async def queued() -> list:
            outcomes = await self.store.writes.run(ingest_many, self.store, messages)
            self._tell(outcomes)  # on the loop, right after the queue noted the write
            return outcomes

        return asyncio.run_coroutine_threadsafe(queued(), self.loop).result(timeout=QUEUE_PATIENCE)

    def _tell(self, outcomes: list) -> None:
        if self.published is not None:
            for outcome in outcomes:
                if isinstance(outcome, IngestResult) and outcome.ticket_id and not outcome.duplicate:
                    self.published(outcome)
