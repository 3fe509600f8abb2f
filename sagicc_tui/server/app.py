"""The HTTP API (/api/v1) over one store: every Backend method as a REST route.

Endpoints are generated from `remote/routes.py`, the same table the remote
backend is generated from. Every rule stays in the store code below: the
server authenticates the caller, hands the store the caller's user (never a
user named by the request), and turns domain errors into problem documents.
"""


import asyncio
import base64
import contextlib
import binascii
import dataclasses
import functools
import inspect
import json
import logging
import os
import shutil
import signal
import tempfile
import typing
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, FastAPI, Header, Query, Request
from fastapi import Path as PathParam
from fastapi.exceptions import RequestValidationError
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from fastapi.responses import HTMLResponse, JSONResponse, Response, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, create_model
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from sagicc_tui.backend import Backend, IncomingMessage
from sagicc_tui.domain.customers import ExportResult
from sagicc_tui.domain.enums import ChannelType
from sagicc_tui.domain.errors import InvalidInput, PermissionDenied, SagiccError
from sagicc_tui.domain.messages import N_
from sagicc_tui.domain.models import User
from sagicc_tui.domain.ticket_screen import MAX_ATTACHMENT_BYTES
from sagicc_tui.files import safe_file_name
from sagicc_tui.local_store import access
from sagicc_tui.local_store.backend import LocalBackend
from sagicc_tui.remote import wire
from sagicc_tui.remote.routes import API, MAX_PAGE, ROUTES, Route
from sagicc_tui.remote.routes import signature as route_signature
from sagicc_tui.server import idempotency, live, peercred
from sagicc_tui.server.count_cache import CountCache
from sagicc_tui.server.events import EventHub
from sagicc_tui.server.text_check import TextCheckedRoute

log = logging.getLogger("sagicc.server")

#: POSTs that only read: they publish no event.
READ_ONLY = {"count_tickets", "list_tickets", "preview_mass_action", "count_customers", "list_customers",
             "preview_customer_merge", "conversation", "heartbeat"}


@dataclasses.dataclass(frozen=True, slots=True)
class Caller:
    token_id: int
    user: User | None  # None: a channel gateway
    backend: LocalBackend
    events: EventHub


#: How errors are documented in the OpenAPI document (RFC 9457 problem details).
problem_doc = {"application/problem+json": {"schema": {
    "type": "object", "required": ["type", "title", "status", "detail"],
    "properties": {"type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
                   "detail": {"type": "string"}, "template": {"type": "string"}, "params": {"type": "object"},
                   "current_version": {"type": "integer"}, "existing_id": {"type": "integer"}}}}}


def _documented(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for hand-written routes: the problem documents they may answer."""
    said = {400: "Bad request", 401: "No valid token", 403: "Not allowed", 404: "Missing, or outside your scope",
            409: "Refused by a business rule", 422: "Invalid input", 503: "The store is unavailable; try again"}
    return {code: {"description": said[code], "content": problem_doc} for code in statuses}


def _problem(status: int, doc: dict[str, Any], headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(doc, status_code=status, media_type=wire.PROBLEM_JSON, headers=headers)


def _unauthorized() -> JSONResponse:
    return _problem(401, wire.problem(
        401, "unauthorized", "Sign in again",
        N_("The server did not accept your token; sign in again with `sagicc login URL`.")),
        headers={"WWW-Authenticate": "Bearer"})


class _Refused(Exception):
    """An HTTP-level refusal (401, 428, ...) carrying its response."""

    def __init__(self, response: Response) -> None:
        self.response = response


# --- request models: unknown fields are refused, nested ones too ------------------


def _forbid_extra(tp: Any, seen: set[int] | None = None) -> None:
    """Make pydantic refuse unknown fields in the domain dataclasses a body carries,
    so no field can be set that the route does not take."""
    seen = seen if seen is not None else set()
    if id(tp) in seen:
        return
    seen.add(id(tp))
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        tp.__pydantic_config__ = ConfigDict(extra="forbid")  # read by pydantic for stdlib dataclasses
        for hint in typing.get_type_hints(tp).values():
            _forbid_extra(hint, seen)
        return
    for arg in typing.get_args(tp):
        _forbid_extra(arg, seen)


def _limit(tp: Any) -> Any:
    return Annotated[tp, Field(ge=1, le=MAX_PAGE)]


def _camel(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))


def _query_type(tp: Any) -> Any:
    """Tuples travel as repeated query parameters (FastAPI reads them as lists)."""
    origin = typing.get_origin(tp)
    if origin is tuple:
        return list[typing.get_args(tp)[0]]
    return tp


# --- the app ------------------------------------------------------------------------


def create_app(backend: LocalBackend, *, events: EventHub | None = None, title: str = "Sagicc") -> FastAPI:
    store = backend.store
    if events is None:
        url = store.engine.url
        pg_dsn = (url.set(drivername="postgresql").render_as_string(hide_password=False)
                  if store.dialect == "postgresql" else None)
        events = EventHub(pg_dsn=pg_dsn, change_token=backend.change_token,
                          channel_seed=url.render_as_string(hide_password=True),
                          ticket_rows=functools.partial(scope_rows, store))

    async def lifespan(app: FastAPI):
        await events.start()
        try:
            yield
        finally:
            await events.stop()

    app = FastAPI(
        title=f"{title} API", version="1", lifespan=lifespan,
        description="The Sagicc ticket and customer modules. Authenticate with `Authorization: Bearer TOKEN` "
                    "(`sagicc users add NAME --role ROLE` prints one). Errors are application/problem+json.",
    )
    app.state.backend = backend
    app.state.events = events

    # --- errors as problem documents ------------------------------------------------
    @app.exception_handler(_Refused)
    async def _refused(_request: Request, exc: _Refused) -> Response:
        return exc.response

    @app.exception_handler(SagiccError)
    async def _domain_error(_request: Request, exc: SagiccError) -> Response:
        status, doc = wire.problem_for(exc)
        return _problem(status, doc)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> Response:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()) if p != "body") or "request"
        return _problem(422, wire.problem(
            422, "invalid-request", "Invalid request",
            N_("The request is not valid at {where}: {reason}. Check the API document (/docs)."),
            where=where, reason=first.get("msg", "invalid")))

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> Response:
        return _problem(exc.status_code, wire.problem(
            exc.status_code, "http", str(exc.detail), N_("The request could not be served: {detail}."),
            detail=str(exc.detail)))

    @app.exception_handler(OverflowError)
    @app.exception_handler(DataError)
    async def _out_of_range(_request: Request, exc: Exception) -> Response:
        # A number the store cannot hold (an id past 2**63 on SQLite, 2**31 on
        # PostgreSQL, a negative offset): the request is wrong, not the server.
        return _problem(422, wire.problem(
            422, "invalid-request", "Invalid request",
            N_("A number in the request is out of range for the store; check the ids and positions sent.")))

    @app.exception_handler(Exception)
    async def _crash(_request: Request, exc: Exception) -> Response:
        log.exception("unexpected error")
        return _problem(500, wire.problem(
            500, "server-error", "Server error",
            N_("The server failed on this request ({kind}); it has been logged. Try again or tell your administrator."),
            kind=type(exc).__name__))

    app.router.routes.extend(_router().routes)
    from sagicc_tui.server import ops  # /healthz, /metrics, /docs offline

    ops.install(app)
    return app


# --- who is calling -----------------------------------------------------------
bearer = HTTPBearer(auto_error=False, description="A token from `sagicc users add` (users) "
                                                  "or `sagicc channels token` (channel gateways)")


async def caller(request: Request,
                 credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> Caller:
    backend: LocalBackend = request.app.state.backend
    store = backend.store
    peer = peercred.peer_of(request.scope)
    if peer is not None:  # on the Unix socket the OS account is the caller; no token counts
        token_id, user = await asyncio.to_thread(peercred.signed_in, store, peer)
        return Caller(token_id, user, backend, request.app.state.events)
    if credentials is None or not credentials.credentials:
        raise _Refused(_unauthorized())
    token = credentials.credentials.strip()

    def look() -> Caller | None:
        found = access.signed_in(store, token)
        if found is None:
            return None
        return Caller(found[0], found[1], backend, request.app.state.events)

    found = await asyncio.to_thread(look)
    if found is None:
        raise _Refused(_unauthorized())
    return found


async def user_caller(c: Annotated[Caller, Depends(caller)]) -> Caller:
    if c.user is None:
        raise _Refused(_problem(403, wire.problem(
            403, "permission-denied", "Not allowed",
            N_("A channel token can only deliver incoming messages (POST /api/v1/inbound)."))))
    return c



@functools.cache
def _router() -> APIRouter:
    """Every route, built once per process (FastAPI's models are costly to build);
    each request finds its store in `request.app.state`."""
    router = APIRouter(route_class=TextCheckedRoute)  # JSON bodies must be text (#10.5)
    # By hand first: /customers/export must match before /customers/{customer_id}.
    _by_hand(router)
    for route in ROUTES:
        _add_route(router, route)
    return router


def _by_hand(router: APIRouter) -> None:
    # --- by hand: the caller, events, files ------------------------------------------------
    @router.get(API + "/me", response_model=User, tags=["session"], summary="The signed-in user",
            responses=_documented(401, 403, 503))
    async def me(c: Annotated[Caller, Depends(user_caller)]) -> Response:
        return Response(wire.adapter(User).dump_json(c.user), media_type="application/json")

    @router.get(API + "/events", tags=["session"], summary="Server-sent events: something changed, refresh",
                response_class=StreamingResponse, responses=_documented(401, 403))
    async def event_stream(request: Request, c: Annotated[Caller, Depends(user_caller)]) -> StreamingResponse:
        events = c.events
        q = events.subscribe(await asyncio.to_thread(user_scope, c.backend.store, c.user))

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
              responses=_documented(401, 403, 409, 422, 503))
    async def inbound(body: Annotated[InboundMessage, Body()], c: Annotated[Caller, Depends(caller)],
                      idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=200)] = None,
                      ) -> Response:
        if c.user is not None:
            raise PermissionDenied(N_("Only a channel token can deliver incoming messages; "
                                      "create one with `sagicc channels token NAME`."))
        # The message's identity (its id, else its content) and the key are
        # kept with the message itself, in its transaction: a retry, or a
        # duplicate sent while the first still runs, adds nothing (#10.4).
        with _files_on_disk(body.attachments) as paths, c.events.writing():
            result = await c.backend.ingest(IncomingMessage(
                channel=body.channel, sender=body.sender, text=body.text, name=body.name, subject=body.subject,
                at=body.at, attachments=paths, id=body.id, references=tuple(body.references),
                automatic=body.automatic,
                idempotency_key=f"{c.token_id}:{idempotency_key}" if idempotency_key else ""))
        if result.duplicate:
            return Response(wire.adapter(type(result)).dump_json(result), status_code=200,
                            media_type="application/json", headers={"Idempotent-Replayed": "true"})
        if result.ticket_id:  # an auto-reply that matched no ticket changed nothing anyone sees
            await c.events.publish("ingest", live.change_of("ingest", {}, result))
        return Response(wire.adapter(type(result)).dump_json(result), status_code=201, media_type="application/json")

    @router.post(API + "/tickets/{ticket_id}/attachments", status_code=201, tags=["tickets"],
              summary="T13: upload a file (the request body is the file's bytes)",
              responses=_documented(401, 403, 404, 409, 422, 503),
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
        folder = Path(tempfile.mkdtemp(prefix="sagicc-upload-"))
        try:
            path = folder / safe_file_name(name)
            path.write_bytes(bytes(data))
            with c.events.writing():
                result = await c.backend.add_attachment(c.user, ticket_id, str(path))
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        await c.events.publish("add_attachment", live.change_of("add_attachment", {"ticket_id": ticket_id}, result))
        return Response(wire.adapter(type(result)).dump_json(result), status_code=201, media_type="application/json")

    @router.get(API + "/attachments/{attachment_id}/content", tags=["tickets"],
             summary="T13: the file's bytes", response_class=Response,
             responses=_documented(401, 403, 404, 422, 503))
    async def download(attachment_id: int, c: Annotated[Caller, Depends(user_caller)]) -> Response:
        folder = Path(tempfile.mkdtemp(prefix="sagicc-download-"))
        try:
            path = Path(await c.backend.save_attachment(c.user, attachment_id, str(folder)))
            data = path.read_bytes()
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        return Response(data, media_type="application/octet-stream",
                        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{_quote(path.name)}",
                                 "X-Sagicc-Name": _quote(path.name)})

    @router.get(API + "/customers/export", tags=["customers"], response_class=Response,
             summary="C3: the whole customer base as a spreadsheet (export permission)",
             responses=_documented(401, 403, 422, 503))
    async def export(c: Annotated[Caller, Depends(user_caller)],
                     format: Annotated[typing.Literal["xlsx", "csv"], Query()] = "xlsx") -> Response:
        folder = Path(tempfile.mkdtemp(prefix="sagicc-export-"))
        target = folder / f"customers.{format}"
        try:
            result = await c.backend.export_customers(c.user, str(target), format)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise

        def chunks():
            try:
                with open(target, "rb") as fh:
                    while block := fh.read(1 << 20):
                        yield block
            finally:
                shutil.rmtree(folder, ignore_errors=True)

        media = ("text/csv" if format == "csv"
                 else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        return StreamingResponse(chunks(), media_type=media, headers={
            "Content-Disposition": f'attachment; filename="customers.{format}"',
            "X-Sagicc-Export": wire.adapter(ExportResult).dump_json(result).decode(),
            "Content-Length": str(target.stat().st_size)})

    @router.get("/external/{token}", response_class=HTMLResponse, tags=["external"],
             summary="T3: the read-only page of a ticket (no notes), by its unguessable token",
             responses=_documented(404, 422))
    async def external(request: Request, token: Annotated[str, PathParam(max_length=100)]) -> Response:
        html = await request.app.state.backend.external_page(token)
        if html is None:
            return _problem(404, wire.problem(404, "not-found", "Not found",
                                              N_("This page does not exist or is no longer shared.")))
        return HTMLResponse(html, headers={"Cache-Control": "no-store", "X-Robots-Tag": "noindex",
                                           "Referrer-Policy": "no-referrer",
                                           "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'"})





async def _count(c: Caller, query) -> int:
    """count_tickets through the short-lived cache of large counts (count_cache.py)."""
    counts = CountCache.of(c.backend)
    kept = counts.get(c.user, query)
    if kept is not None:
        return kept
    value = await c.backend.count_tickets(c.user, query)
    counts.put(c.user, query, value)
    return value


def scope_rows(store, ids: list[int]):
    """The scope columns of some tickets, for scoping a live event (events.py)."""
    from sagicc_tui.local_store import schema

    t = schema.ticket.c

    def read():
        from sqlalchemy import select

        with store.read() as conn:
            return [tuple(r) for r in conn.execute(
                select(t.id, t.campaign_id, t.assignee_id, t.origin_channel).where(t.id.in_(ids)))]

    return asyncio.to_thread(read)


def user_scope(store, user: User):
    """The L2 scope of an event stream's user (its events name only tickets in it)."""
    from sagicc_tui.local_store.tickets import scope

    with store.read() as conn:
        return scope(store, conn, user)[0]


async def _rows_before(c: Caller, route_name: str, args: dict[str, Any]) -> list:
    """A write that can move a ticket out of someone's scope: the ticket's scope
    columns before it, so the one who loses it hears of the change too."""
    from sagicc_tui.domain.live import ASSIGNMENT

    if ASSIGNMENT not in live.TICKET_PARTS.get(route_name, ()) or not isinstance(args.get("ticket_id"), int):
        return []
    return await scope_rows(c.backend.store, [args["ticket_id"]])


def _quote(name: str) -> str:
    from urllib.parse import quote

    return quote(name, safe="")


class InboundAttachment(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=255)
    content_base64: str

    def content(self) -> bytes:
        try:
            return base64.b64decode(self.content_base64, validate=True)
        except (binascii.Error, ValueError):
            raise InvalidInput(N_("The attachment {name} is not valid base64."), name=self.name) from None


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


# --- one generated endpoint -------------------------------------------------------------------


def _add_route(router: APIRouter, route: Route) -> None:
    hints = route.hints()
    returns = hints.get("return")
    params: list[inspect.Parameter] = []
    body_fields: dict[str, Any] = {}
    kw_only = inspect.Parameter.KEYWORD_ONLY
    for p in route.wire_params():
        tp = hints[p.name]
        has_default = p.default is not inspect.Parameter.empty
        if p.name in route.path_params:
            params.append(inspect.Parameter(p.name, kw_only, annotation=Annotated[tp, PathParam()]))
        elif route.in_body:
            _forbid_extra(tp)
            field_tp = (_limit(tp) if p.name == "limit"
                        else Annotated[tp, Field(ge=0)] if p.name == "offset" else tp)
            body_fields[p.name] = (field_tp, p.default if has_default else ...)
        else:
            qt = _query_type(tp)
            q = Query(ge=1, le=MAX_PAGE) if p.name == "limit" else Query()
            params.append(inspect.Parameter(p.name, kw_only, annotation=Annotated[qt, q],
                                            default=(list(p.default) if isinstance(p.default, tuple) else p.default)
                                            if has_default else inspect.Parameter.empty))
    if route.name in FILES_WITH:
        # A message's files travel as their content; a path would be read on the server.
        body_fields[FILES_FIELD] = (list[InboundAttachment], Field(default_factory=list, max_length=10))
    body_model = None
    if body_fields:
        body_model = create_model(f"{_camel(route.name)}Request", __config__=ConfigDict(extra="forbid"),
                                  **body_fields)
        params.append(inspect.Parameter("body", kw_only, annotation=Annotated[body_model, Body()]))
    if route.takes_version:
        params.append(inspect.Parameter("if_match", kw_only, default=None,
                                        annotation=Annotated[str | None, Header(alias="If-Match")]))
    if route.create:
        params.append(inspect.Parameter("idempotency_key", kw_only, default=None, annotation=Annotated[
            str | None, Header(alias="Idempotency-Key", max_length=200)]))
    params.append(inspect.Parameter("caller_", kw_only, annotation=Annotated[Caller, Depends(user_caller)]))

    takes_user = "user" in route_signature(route.name).parameters

    async def endpoint(**kw: Any) -> Response:
        c: Caller = kw.pop("caller_")
        store = c.backend.store
        method = getattr(c.backend, route.name)
        if_match = kw.pop("if_match", None)
        key = kw.pop("idempotency_key", None)
        body = kw.pop("body", None)
        args = dict(kw)
        if body is not None:
            args.update({name: getattr(body, name) for name in body_fields})
        for p in route.wire_params():
            if isinstance(args.get(p.name), list) and typing.get_origin(hints[p.name]) is tuple:
                args[p.name] = tuple(args[p.name])
        if route.takes_version:
            try:
                version = wire.parse_if_match(if_match)
            except ValueError:
                raise _Refused(_problem(400, wire.problem(
                    400, "bad-if-match", "Bad If-Match",
                    N_("If-Match must name one version, like \"7\"; read the record again and send its ETag.")))
                ) from None
            if version is None and route.requires_version:
                raise _Refused(_problem(428, wire.problem(
                    428, "precondition-required", "If-Match required",
                    N_("This change needs the record's version in If-Match (its ETag), so nobody's "
                       "change is overwritten unseen; read it again and send its ETag."))))
            args["expected_version"] = version

        async def answer() -> Response:
            call_args = dict(args)
            files = call_args.pop(FILES_FIELD, None)
            writes = route.verb != "GET" and route.name not in READ_ONLY
            before = await _rows_before(c, route.name, call_args) if writes else []
            with _files_on_disk(files) as paths, (c.events.writing() if writes else contextlib.nullcontext()):
                if route.name in FILES_WITH:
                    call_args = _with_paths(route.name, call_args, paths)
                if route.name == "count_tickets":
                    result = await _count(c, call_args["query"])
                else:
                    result = await (method(c.user, **call_args) if takes_user else method(**call_args))
            if _FAULT_AFTER_COMMIT == route.name:
                _die()
            if writes:
                # Scoped live events (server/live.py): who may see which tickets changed.
                change = live.change_of(route.name, call_args, result)
                if change is not None:
                    await c.events.publish(route.name, change, before)
            result = _SCRUB.get(route.name, _same)(result)
            headers = {}
            version = getattr(result, "version", None)
            if isinstance(version, int):
                headers["ETag"] = wire.etag(version)
            if returns is type(None) or result is None and route.status == 204:
                return Response(status_code=204, headers=headers)
            return Response(wire.adapter(returns).dump_json(result), status_code=route.status,
                            media_type="application/json", headers=headers)

        if key is None:
            return await answer()
        # One change per key (server/idempotency.py): the key is taken in the
        # change's own transaction; a duplicate waits for the first answer.
        digest = idempotency.request_hash(
            [route.name, {k: wire.dump(hints[k], v) for k, v in kw.items()},
             body.model_dump(mode="json") if body is not None else None, args.get("expected_version")])
        dedup = _STORE_DEDUPED.get(route.name)
        return await idempotency.once(store, c.token_id, key, digest, answer,
                                      rerun_safe=dedup is not None and dedup(args))

    endpoint.__signature__ = inspect.Signature(params)  # what FastAPI reads for parameters
    endpoint.__name__ = route.name
    doc = inspect.getdoc(getattr(Backend, route.name, None)) or ""
    responses: dict[int | str, dict[str, Any]] = {
        401: {"description": "No valid token", "content": problem_doc},
        403: {"description": "Not allowed: your role lacks the permission, or a channel token",
              "content": problem_doc},
        404: {"description": "Missing, or outside your scope", "content": problem_doc},
        422: {"description": "Invalid input", "content": problem_doc},
        503: {"description": "The store is unavailable (locked, or being upgraded); try again",
              "content": problem_doc},
    }
    if route.verb != "GET":
        responses[409] = {"description": "Refused by a business rule (a closed ticket stays closed, ...), "
                                         "or a duplicate customer", "content": problem_doc}
    if route.takes_version:
        responses[400] = {"description": "If-Match does not name one version", "content": problem_doc}
        responses[412] = {"description": "Changed by someone else since your version", "content": problem_doc}
        if route.requires_version:
            responses[428] = {"description": "If-Match missing", "content": problem_doc}
    router.add_api_route(
        API + route.path, endpoint, methods=[route.verb], status_code=route.status,
        response_model=None if returns is type(None) else returns,
        response_class=Response if returns is type(None) else JSONResponse,
        summary=route.name.replace("_", " ").capitalize(), description=doc, responses=responses,
        tags=[route.path.split("/")[1]], operation_id=route.name,
    )


#: Routes whose files travel in the body as content (`files`), and the argument
#: whose paths the server fills in from them.
FILES_FIELD = "files"
FILES_WITH = {"send_message": "message"}


@contextlib.contextmanager
def _files_on_disk(files):
    """The uploaded files in a private temporary folder, removed afterwards."""
    if not files:
        yield ()
        return
    folder = Path(tempfile.mkdtemp(prefix="sagicc-files-"))
    try:
        paths = []
        for i, f in enumerate(files):
            data = f.content()
            if len(data) > MAX_ATTACHMENT_BYTES:
                raise InvalidInput(N_("The attachment {name} is over 10 MB; attachments can be at most 10 MB each."),
                                   name=f.name)
            target = folder / str(i)
            target.mkdir()
            target = target / safe_file_name(f.name)
            target.write_bytes(data)
            paths.append(str(target))
        yield tuple(paths)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _with_paths(route_name: str, args: dict[str, Any], paths: tuple[str, ...]) -> dict[str, Any]:
    name = FILES_WITH[route_name]
    value = args[name]
    if getattr(value, "attachment_paths", ()):
        raise InvalidInput(N_("Files travel with the message itself (files), never as paths on the server."))
    return {**args, name: dataclasses.replace(value, attachment_paths=paths)}


#: Fault injection for tests/remote/test_fault.py: the process dies after the
#: named method committed and before it answers (a crash we cannot time by hand).
_FAULT_AFTER_COMMIT = os.environ.get("SAGICC_TEST_DIE_AFTER_COMMIT")


def _die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


#: Creating methods whose store recognises a repeat by the caller's own key
#: (a message's client_key): after their first request died they may run again.
_STORE_DEDUPED = {
    "send_message": lambda args: bool((args["message"].client_key or "").strip()),
    "send_transcript": lambda args: bool((args.get("client_key") or "").strip()),
}


def _same(result: Any) -> Any:
    return result


def _no_server_path(view: Any) -> Any:
    """The external view's file is on the server's disk: its path means
    nothing to the caller and says too much about the server (#10.10)."""
    return dataclasses.replace(view, path="")


#: Answers trimmed before they leave the server.
_SCRUB: dict[str, Any] = {"external_view": _no_server_path}
