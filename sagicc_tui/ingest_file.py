"""`sagicc ingest`: JSON Lines to IncomingMessage, one transaction a line.

A line looks like:
  {"channel": "email", "from": "ana@example.com", "name": "Ana Ruiz",
   "subject": "Pedido", "text": "Hola...", "time": "2026-11-25T14:30:00Z",
   "id": "gateway-msg-42", "attachments": ["/path/factura.pdf"]}

The file is read as bytes and each line decoded by itself, so a bad line
(invalid UTF-8, a lone surrogate, NUL, nesting too deep, a line over 1 MB,
a field of the wrong type) is one reported line with its number and reason,
and the good lines around it still go in. A refused line wrote nothing.

Each message goes in once: its identity (the `id` field, else a hash of
channel, sender, time, subject, text and files) is kept with it, so running
the same file again, or again after a kill, adds only what is not there yet.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

from sagicc_tui.backend import Backend
from sagicc_tui.domain.ingest import IncomingMessage, IngestResult
from sagicc_tui.domain.enums import ChannelType
from sagicc_tui.domain.errors import SagiccError, StoreError
from sagicc_tui.domain.rules import check_storable_text

_FIELDS = {"channel", "from", "name", "subject", "text", "time", "attachments", "id"}
MAX_LINE = 1024 * 1024  # bytes; a message's files travel as paths, so a line is small
_CHUNK = 64 * 1024


@dataclass
class IngestReport:
    done: list[tuple[int, IngestResult]] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)
    #: (line, error) when the store itself failed (disk full, locked, read-only):
    #: every next line would fail the same way, so the run stops there.
    stopped: tuple[int, StoreError] | None = None
    lines: int = 0  # lines read so far

    @property
    def new_tickets(self) -> int:
        return sum(1 for _, r in self.done if r.new_ticket and not r.duplicate)

    @property
    def duplicates(self) -> int:
        return sum(1 for _, r in self.done if r.duplicate)

    @property
    def added(self) -> int:
        return len(self.done) - self.duplicates


class BadLine(ValueError):
    pass


def read_lines(stream: BinaryIO, max_line: int = MAX_LINE) -> Iterator[tuple[int, bytes | None]]:
    """(line number, bytes without the newline), or None for a line longer
    than `max_line` (skipped to its end without holding it in memory)."""
    number = 0
    while True:
        raw = stream.readline(max_line + 1)
        if not raw:
            return
        number += 1
        if len(raw) > max_line and not raw.endswith(b"\n"):
            while raw and not raw.endswith(b"\n"):
                raw = stream.readline(_CHUNK)
            yield number, None
            continue
        yield number, raw.rstrip(b"\r\n")


def parse_line(raw: bytes | str) -> IncomingMessage:
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError as e:
            raise BadLine(f"not valid UTF-8 (byte 0x{raw[e.start]:02x} at byte {e.start + 1}); "
                          "save the file as UTF-8") from None
    raw = raw.removeprefix("\ufeff")
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as e:
        raise BadLine(f"not valid JSON ({e.msg} at column {e.colno})") from None
    except RecursionError:
        raise BadLine("the JSON is nested too deeply; a line is one flat object") from None
    if not isinstance(data, dict):
        raise BadLine("each line must be a JSON object")
    unknown = sorted(set(data) - _FIELDS)
    if unknown:
        raise BadLine(f"unknown field {unknown[0]!r}; the fields are {', '.join(sorted(_FIELDS))}")
    channel_value = data.get("channel", "")
    try:
        if not isinstance(channel_value, str):
            raise ValueError
        channel = ChannelType(channel_value.lower())
    except ValueError:
        raise BadLine(
            f"channel {_short(channel_value)} is not one of {', '.join(c.value for c in ChannelType)}"
        ) from None
    for name in ("from", "name", "subject", "text", "id"):
        if name in data and not isinstance(data[name], str):
            raise BadLine(f"{name!r} must be text, not {_kind(data[name])}")
    attachments = data.get("attachments", [])
    if not isinstance(attachments, list) or not all(isinstance(a, str) for a in attachments):
        raise BadLine("'attachments' must be a list of file paths (read on this machine)")
    from sagicc_tui.files import read_incoming
    from sagicc_tui.local_store.ingest import check_text, parse_time  # the one time parser and text check

    try:
        at = parse_time(data.get("time"))
        check_storable_text({f"attachments[{i}]": a for i, a in enumerate(attachments)})
        message = IncomingMessage(
            channel=channel, sender=data.get("from", ""), text=data.get("text", ""), name=data.get("name", ""),
            subject=data.get("subject", ""), at=at, attachments=read_incoming(attachments), id=data.get("id", ""),
        )
        check_text(message)
    except SagiccError as e:
        raise BadLine(_sentence(e)) from None
    return message


def _sentence(e: SagiccError) -> str:
    from sagicc_tui.i18n import _

    return _(e.message.template, **e.message.params)


def _kind(value: object) -> str:
    return {dict: "an object", list: "a list", bool: "true/false", type(None): "null"}.get(type(value), "a number")


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


Progress = Callable[[IngestReport], None]
Event = Callable[[int, IngestResult | None, str | None], None]


def ingest_lines(backend: Backend, stream: BinaryIO, *, on_line: Event | None = None,
                 progress: Progress | None = None, every: float = 1.0) -> IngestReport:
    """Ingest every good line; `on_line(number, result, error)` is called as
    each line is done, `progress(report)` at most every `every` seconds."""
    report = IngestReport()
    last = time.monotonic()

    async def run() -> None:
        nonlocal last
        for number, raw in read_lines(stream):
            report.lines = number
            if raw is not None and not raw.strip():
                continue
            result, error = None, None
            try:
                if raw is None:
                    raise BadLine(f"the line is longer than {MAX_LINE // (1024 * 1024)} MB; "
                                  "a message's files go as paths in 'attachments'")
                result = await backend.ingest(parse_line(raw))
                report.done.append((number, result))
            except BadLine as e:
                error = str(e)
            except StoreError as e:
                report.stopped = (number, e)
                return
            except SagiccError as e:
                error = _sentence(e)
            if error is not None:
                report.errors.append((number, error))
            if on_line is not None:
                on_line(number, result, error)
            if progress is not None and time.monotonic() - last >= every:
                last = time.monotonic()
                progress(report)

    asyncio.run(run())
    return report
