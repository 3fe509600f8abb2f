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
from pathlib import Path

from sagicc_tui.backend import Backend, IncomingMessage, IngestResult
from sagicc_tui.domain.enums import ChannelType
from sagicc_tui.mail.parse import ParsedMail


def incoming(parsed: ParsedMail, paths: tuple[str, ...]) -> IncomingMessage:
    return IncomingMessage(
        channel=ChannelType.EMAIL, sender=parsed.sender[:320], text=parsed.full_text, name=parsed.name[:300],
        subject=parsed.subject, at=parsed.at, attachments=paths, id=parsed.message_id,
        references=parsed.references, automatic=parsed.automatic,
    )


class BackendSink:
    """Calls an async Backend from the (blocking) fetcher, on one event loop."""

    def __init__(self, backend: Backend, loop: asyncio.AbstractEventLoop) -> None:
        self.backend = backend
        self.loop = loop

    def __call__(self, parsed: ParsedMail) -> IngestResult:
        folder = Path(tempfile.mkdtemp(prefix="sagicc-mail-"))
        try:
            paths = []
            for i, f in enumerate(parsed.files):
                target = folder / str(i)
                target.mkdir()
                target = target / f.name
                target.write_bytes(f.data)
                paths.append(str(target))
            return self.loop.run_until_complete(self.backend.ingest(incoming(parsed, tuple(paths))))
        finally:
            shutil.rmtree(folder, ignore_errors=True)
