"""`sagicc ingest`: JSON Lines to IncomingMessage, one transaction a line.

A line looks like:
  {"channel": "email", "from": "ana@example.com", "name": "Ana Ruiz",
   "subject": "Pedido", "text": "Hola...", "time": "2026-11-25T14:30:00Z",
   "attachments": ["/path/factura.pdf"]}
A bad line is reported with its number and reason; the good lines are still
ingested; a refused line wrote nothing.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterable
from dataclasses import dataclass, field

from sagicc_tui.backend import Backend, IncomingMessage, IngestResult
from sagicc_tui.domain.enums import ChannelType
from sagicc_tui.domain.errors import SagiccError, StoreError

_FIELDS = {"channel", "from", "name", "subject", "text", "time", "attachments"}


@dataclass
class IngestReport:
    done: list[tuple[int, IngestResult]] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)
    #: (line, error) when the store itself failed (disk full, locked, read-only):
    #: every next line would fail the same way, so the run stops there.
    stopped: tuple[int, StoreError] | None = None

    @property
    def new_tickets(self) -> int:
        return sum(1 for _, r in self.done if r.new_ticket)


class BadLine(ValueError):
    pass


def parse_line(raw: str) -> IncomingMessage:
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as e:
        raise BadLine(f"not valid JSON ({e.msg} at column {e.colno})") from None
    if not isinstance(data, dict):
        raise BadLine("each line must be a JSON object")
    unknown = sorted(set(data) - _FIELDS)
    if unknown:
        raise BadLine(f"unknown field {unknown[0]!r}; the fields are {', '.join(sorted(_FIELDS))}")
    try:
        channel = ChannelType(str(data.get("channel", "")).lower())
    except ValueError:
        raise BadLine(
            f"channel {data.get('channel')!r} is not one of {', '.join(c.value for c in ChannelType)}"
        ) from None
    for name in ("from", "name", "subject", "text"):
        if name in data and not isinstance(data[name], str):
            raise BadLine(f"{name!r} must be text")
    attachments = data.get("attachments", [])
    if not isinstance(attachments, list) or not all(isinstance(a, str) for a in attachments):
        raise BadLine("'attachments' must be a list of file paths")
    from sagicc_tui.local_store.ingest import parse_time  # the one time parser

    try:
        at = parse_time(data.get("time"))
    except SagiccError as e:
        raise BadLine(str(e)) from None
    return IncomingMessage(
        channel=channel, sender=data.get("from", ""), text=data.get("text", ""), name=data.get("name", ""),
        subject=data.get("subject", ""), at=at, attachments=tuple(attachments),
    )


def ingest_lines(backend: Backend, lines: Iterable[str]) -> IngestReport:
    report = IngestReport()

    async def run() -> None:
        for number, raw in enumerate(lines, start=1):
            if not raw.strip():
                continue
            try:
                message = parse_line(raw)
                report.done.append((number, await backend.ingest(message)))
            except BadLine as e:
                report.errors.append((number, str(e)))
            except StoreError as e:
                report.stopped = (number, e)
                return
            except SagiccError as e:
                report.errors.append((number, str(e)))

    asyncio.run(run())
    return report
