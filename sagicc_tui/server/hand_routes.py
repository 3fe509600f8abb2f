"""The routes written by hand: the signed-in user, the event stream, channel
gateways' inbound messages, file upload and download, the customer export and
the external page. Everything else is generated from remote/routes.py
(server/generated.py)."""

import asyncio
import json
import typing
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Body, Depends, Header, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, Response, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from sagicc_tui.domain.customers import ExportResult
from sagicc_tui.domain.enums import ChannelType
from sagicc_tui.domain.errors import InvalidInput, PermissionDenied
from sagicc_tui.domain.ingest import IncomingMessage
from sagicc_tui.domain.messages import N_
from sagicc_tui.domain.models import Interaction, Task, User
from sagicc_tui.domain.ticket_screen import MAX_ATTACHMENT_BYTES
from sagicc_tui.files import safe_file_name
from sagicc_tui.i18n import available_languages
from sagicc_tui.remote import wire
from sagicc_tui.remote.routes import API, MAX_PAGE
from sagicc_tui.server import live
from sagicc_tui.server.callers import Caller, caller, user_caller
from sagicc_tui.server.files import InboundAttachment, as_files
from sagicc_tui.server.problems import documented, problem
from sagicc_tui.server.scope import user_scope


def add_hand_routes(router: APIRouter) -> None:
    @router.get(API + "/me", response_model=User, tags=["session"], summary="The signed-in user",
            responses=documented(401, 403, 503))
    async def me(c: Annotated[Caller, Depends(user_caller)]) -> Response:
        return Response(wire.adapter(User).dump_json(c.user), media_type="application/json")

    @router.get(API + "/events", tags=["session"], summary="Server-sent events: something changed, refresh",
                response_class=StreamingResponse, responses=documented(401, 403))
    async def event_stream(request: Request, c: Annotated[Caller, Depends(user_caller)]) -> StreamingResponse:
        events = c.events
        q = events.subscribe(await asyncio.to_thread(user_scope, c.backend, c.user))

        async def stream():
            try:
                yield "retry: 2000\n: connected\n\n"
                while True:
                    try:
                        event = await asyncio.wait_for(q.get(), timeout=15)
                    except TimeoutError:
                        yield ": keep-alive\n\n"
                        continue
                    if event is None:
                        return
                    yield f"id: {event.get('seq', 0)}\nevent: changed\ndata: {json.dumps(event)}\n\n"
            finally:
                events.unsubscribe(q)

        return StreamingResponse(stream(), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})

    @router.post(API + "/inbound", status_code=201, tags=["channels"],
              summary="A channel gateway delivers one incoming interaction (channel token)",
              responses=documented(401, 403, 409, 422, 503))
    async def inbound(body: Annotated[InboundMessage, Body()], c: Annotated[Caller, Depends(caller)],
                      idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=200)] = None,
                      ) -> Response:
        if c.user is not None:
            raise PermissionDenied(N_("Only a channel token can deliver incoming messages; "
                                      "create one with `sagicc channels token NAME`."))
        # The message's identity (its id, else its content) and the key are
        # kept with the message itself, in its transaction: a retry, or a
        # duplicate sent while the first still runs, adds nothing (#10.4).
        result = await c.backend.ingest(IncomingMessage(
            channel=body.channel, sender=body.sender, text=body.text, name=body.name, subject=body.subject,
            at=body.at, attachments=as_files(body.attachments), id=body.id, references=tuple(body.references),
            automatic=body.automatic, campaign_id=body.campaign_id,
            idempotency_key=f"{c.token_id}:{idempotency_key}" if idempotency_key else ""))
        if result.duplicate:
            return Response(wire.adapter(type(result)).dump_json(result), status_code=200,
                            media_type="application/json", headers={"Idempotent-Replayed": "true"})
        if result.ticket_id:  # an auto-reply that matched no ticket changed nothing anyone sees
            await c.events.publish("ingest", live.change_of("ingest", {}, result))
        return Response(wire.adapter(type(result)).dump_json(result), status_code=201, media_type="application/json")

    @router.post(API + "/tickets/{ticket_id}/attachments", status_code=201, tags=["tickets"],
              summary="T13: upload a file (the request body is the file's bytes)",
              responses=documented(401, 403, 404, 409, 422, 503),
              openapi_extra={"requestBody": {"required": True, "content": {
                  "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}}})
    async def upload(request: Request, ticket_id: int, name: Annotated[str, Query(min_length=1, max_length=255)],
                     c: Annotated[Caller, Depends(user_caller)]) -> Response:
        size = request.headers.get("content-length")
        if size and size.isdigit() and int(size) > MAX_ATTACHMENT_BYTES:
            raise InvalidInput(N_("The file {path} is {size} MB; attachments can be at most 10 MB each. Send a smaller file."),
                               path=name, size=f"{int(size) / (1024 * 1024):.1f}")
        data = bytearray()
        async for chunk in request.stream():
            data.extend(chunk)
            if len(data) > MAX_ATTACHMENT_BYTES:
                raise InvalidInput(N_("The file {path} is {size} MB; attachments can be at most 10 MB each. Send a smaller file."),
                                   path=name, size="> 10")
        result = await c.backend.add_attachment(c.user, ticket_id, name, bytes(data))
        await c.events.publish("add_attachment", live.change_of("add_attachment", {"ticket_id": ticket_id}, result))
        return Response(wire.adapter(type(result)).dump_json(result), status_code=201, media_type="application/json")

    # Two reads of /api/v1 whose contract methods went (#17.1: `conversation` and
    # `list_tasks_page` cover them); the paths and answers stay for the scripts using them.
    @router.get(API + "/tickets/{ticket_id}/interactions", response_model=list[Interaction], tags=["tickets"],
                summary="The ticket's interactions by id, oldest first, after `after_id`",
                responses=documented(401, 403, 404, 422, 503))
    async def list_interactions(ticket_id: int, c: Annotated[Caller, Depends(user_caller)],
                                after_id: Annotated[int, Query(ge=0)] = 0,
                                limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = MAX_PAGE) -> Response:
        found: list[Interaction] = []
        key = None
        while True:
            page = await c.backend.conversation(c.user, ticket_id, after_key=key, limit=MAX_PAGE)
            found += [item.interaction for item in page.items if not item.previous]
            if page.next_key is None:
                break
            key = page.next_key
        rows = sorted((i for i in found if i.id > after_id), key=lambda i: i.id)[:limit]
        return Response(wire.adapter(list[Interaction]).dump_json(rows), media_type="application/json")

    @router.get(API + "/tickets/{ticket_id}/tasks", response_model=list[Task], tags=["tickets"],
                summary="The ticket's tasks, newest first", responses=documented(401, 403, 404, 422, 503))
    async def list_tasks(ticket_id: int, c: Annotated[Caller, Depends(user_caller)],
                         limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50) -> Response:
        rows = await c.backend.list_tasks_page(c.user, ticket_id, limit=limit)
        return Response(wire.adapter(list[Task]).dump_json(rows), media_type="application/json")

    @router.get(API + "/attachments/{attachment_id}/content", tags=["tickets"],
             summary="T13: the file's bytes", response_class=Response,
             responses=documented(401, 403, 404, 422, 503))
    async def download(attachment_id: int, c: Annotated[Caller, Depends(user_caller)]) -> Response:
        content = await c.backend.read_attachment(c.user, attachment_id)
        name = safe_file_name(content.name)  # a customer's name: one plain file name
        return Response(content.data, media_type="application/octet-stream",
                        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{_quote(name)}",
                                 "X-Sagicc-Name": _quote(name)})

    @router.get(API + "/customers/export", tags=["customers"], response_class=Response,
             summary="C3: the whole customer base as a spreadsheet (export permission)",
             responses=documented(401, 403, 422, 503))
    async def export(c: Annotated[Caller, Depends(user_caller)],
                     format: Annotated[typing.Literal["xlsx", "csv"], Query()] = "xlsx") -> Response:
        export = await c.backend.export_customers(c.user, format)
        result = export.result
        media = ("text/csv" if format == "csv"
                 else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        return StreamingResponse(export.chunks, media_type=media, headers={
            "Content-Disposition": f'attachment; filename="customers.{format}"',
            "X-Sagicc-Export": wire.adapter(ExportResult).dump_json(result).decode(),
            "Content-Length": str(result.bytes)})

    @router.get("/external/{token}", response_class=HTMLResponse, tags=["external"],
             summary="T3: the read-only page of a ticket (no notes), by its unguessable token",
             responses=documented(404, 422))
    async def external(request: Request, token: Annotated[str, PathParam(max_length=100)]) -> Response:
        # The reader is the customer, not a user of ours: their browser's language.
        html = await request.app.state.backend.external_page(
            token, language=_language_of(request.headers.get("accept-language", "")))
        if html is None:
            return problem(404, wire.problem(404, "not-found", "Not found",
                                              N_("This page does not exist or is no longer shared.")))
        return HTMLResponse(html, headers={"Cache-Control": "no-store", "X-Robots-Tag": "noindex",
                                           "Referrer-Policy": "no-referrer",
                                           "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'"})


def _language_of(accept_language: str) -> str | None:
    """The first of our languages an Accept-Language header asks for (q-values
    in order), else None: the server's own."""
    asked = []
    for i, part in enumerate(accept_language.split(",")):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                continue
        asked.append((-q, i, tag.strip().lower().split("-")[0]))
    ours = available_languages()
    return next((lang for _q, _i, lang in sorted(asked) if lang in ours), None)


def _quote(name: str) -> str:
    from urllib.parse import quote

    return quote(name, safe="")


class InboundMessage(BaseModel):
    """One interaction a channel received (the same as a line of `sagicc ingest`)."""

    model_config = ConfigDict(extra="forbid")
    channel: ChannelType
    sender: str = Field(min_length=1, max_length=320)
    text: str = Field(max_length=100_000)
    name: str = Field(default="", max_length=300)
    subject: str = Field(default="", max_length=998)
    at: datetime | None = None
    attachments: list[InboundAttachment] = Field(default_factory=list, max_length=20)
    id: str = Field(default="", max_length=998, description=(
        "The channel's own id of the message (an e-mail's Message-ID): sent again, it is not added twice"))
    references: list[str] = Field(default_factory=list, max_length=100, description=(
        "E-mail: the Message-IDs this message answers, the most recent first"))
    automatic: bool = Field(default=False, description=(
        "An auto-reply or delivery report: recorded, never opens or reopens a ticket"))
    campaign_id: int = Field(default=0, ge=0, le=2**31 - 1, description=(
        "The campaign whose own channel (its mailbox) it came through; 0: the campaign that receives the channel"))
