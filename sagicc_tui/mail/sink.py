"""Where fetched mail goes: any Backend's `ingest` -- the local store, or a
server through POST /api/v1/inbound (a RemoteBackend with a channel token).

The message's files are written to a private temporary folder for the
ingest (which reads them, or sends their content to the server) and removed
afterwards.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import threading
from contextlib import contextmanager
from pathlib import Path

from sagicc_tui.backend import Backend
from sagicc_tui.domain.ingest import IncomingMessage, IngestResult
from sagicc_tui.domain.enums import ChannelType
from sagicc_tui.mail.parse import ParsedMail


def incoming(parsed: ParsedMail, paths: tuple[str, ...], campaign_id: int = 0) -> IncomingMessage:
    return IncomingMessage(
        channel=ChannelType.EMAIL, sender=parsed.sender[:320], text=parsed.full_text, name=parsed.name[:300],
        subject=parsed.subject, at=parsed.at, attachments=paths, id=parsed.message_id,
        references=parsed.references, automatic=parsed.automatic, campaign_id=campaign_id,
    )


@contextmanager
def files_on_disk(parsed: ParsedMail):
    """The message's files in a private temporary folder, removed afterwards."""
    folder = Path(tempfile.mkdtemp(prefix="sagicc-mail-"))
    try:
        paths = []
        for i, f in enumerate(parsed.files):
            target = folder / str(i)
            target.mkdir()
            target = target / f.name
            target.write_bytes(f.data)
            paths.append(str(target))
        yield tuple(paths)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


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
        with files_on_disk(parsed) as paths:
            message = incoming(parsed, paths, self.campaign_id)
            return asyncio.run_coroutine_threadsafe(self.backend.ingest(message), self.loop).result()


class StoreSink:
    """Straight into a store on this machine (`mail fetch --db`, `serve --mail`).
    `batch` ingests a fetched batch in one transaction (one commit instead of
    one per message); `published` hears of each message that changed a ticket."""

    def __init__(self, store, campaign_id: int = 0, published=None) -> None:
        self.store = store
        self.campaign_id = campaign_id
        self.published = published

    def __call__(self, parsed: ParsedMail) -> IngestResult:
        [outcome] = self.batch([parsed])
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    def batch(self, parsed: list[ParsedMail]) -> list:
        from contextlib import ExitStack

        from sagicc_tui.local_store.ingest import ingest_many

        with ExitStack() as stack:
            messages = [incoming(p, stack.enter_context(files_on_disk(p)), self.campaign_id) for p in parsed]
            outcomes = ingest_many(self.store, messages)
        if self.published is not None:
            for outcome in outcomes:
                if isinstance(outcome, IngestResult) and outcome.ticket_id and not outcome.duplicate:
                    self.published(outcome)
        return outcomes
