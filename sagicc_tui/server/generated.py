"""One endpoint per route of remote/routes.py (the table the remote backend is
generated from too): parameters, body model, If-Match, Idempotency-Key, the
call to the store, its live event and its answer."""

from __future__ import annotations

import dataclasses
import inspect
import typing
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Header, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import JSONResponse, Response
from pydantic import ConfigDict, Field, create_model

from sagicc_tui.backend import Backend
from sagicc_tui.domain.messages import N_
from sagicc_tui.domain.ticket_changes import NO_ACCOUNT
from sagicc_tui.local_store import ticket_counts
from sagicc_tui.remote import wire
from sagicc_tui.remote.routes import API, MAX_PAGE, Route
from sagicc_tui.remote.routes import signature as route_signature
from sagicc_tui.server import encode, idempotency, live
from sagicc_tui.server.callers import Caller, user_caller
from sagicc_tui.server.count_cache import CountCache
from sagicc_tui.server.files import FILES_FIELD, FILES_MAX, InboundAttachment, as_files
from sagicc_tui.server.problems import Refused, problem, problem_doc
from sagicc_tui.server.scope import rows_before

#: POSTs that only read: they publish no event.
READ_ONLY = {"count_tickets", "list_tickets", "preview_mass_action", "count_customers", "list_customers",
             "preview_customer_merge", "conversation", "heartbeat"}


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


def _null_account_clears(raw: Any, args: dict[str, Any]) -> None:
    """/api/v1 has always read `"account_id": null` in a ticket's changes as "no
    account" (the changes were a dict); TicketChanges says that with NO_ACCOUNT,
    None being "unchanged". The route keeps its meaning for the scripts using it."""
    changes = raw.get("changes") if isinstance(raw, dict) else None
    if isinstance(changes, dict) and "account_id" in changes and changes["account_id"] is None:
        args["changes"] = dataclasses.replace(args["changes"], account_id=NO_ACCOUNT)


#: Routes that read their raw JSON body too, for what the typed body cannot say.
_RAW_BODY: dict[str, Callable[[Any, dict[str, Any]], None]] = {"update_ticket": _null_account_clears}


def add_route(router: APIRouter, route: Route) -> None:
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
        elif route.in_body and p.name == FILES_FIELD:
            # A message's files travel as their content; a path would be read on the server.
            body_fields[p.name] = (list[InboundAttachment], Field(default_factory=list, max_length=FILES_MAX))
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
    if route.name in _RAW_BODY:
        params.append(inspect.Parameter("request_", kw_only, annotation=Request))

    takes_user = "user" in route_signature(route.name).parameters

    async def endpoint(**kw: Any) -> Response:
        c: Caller = kw.pop("caller_")
        store = c.backend.store
        method = getattr(c.backend, route.name)
        if_match = kw.pop("if_match", None)
        key = kw.pop("idempotency_key", None)
        body = kw.pop("body", None)
        request: Request | None = kw.pop("request_", None)
        args = dict(kw)
        if body is not None:
            args.update({name: getattr(body, name) for name in body_fields})
        if request is not None:
            _RAW_BODY[route.name](await request.json(), args)
        for p in route.wire_params():
            if isinstance(args.get(p.name), list) and typing.get_origin(hints[p.name]) is tuple:
                args[p.name] = tuple(args[p.name])
        if route.takes_version:
            try:
                version = wire.parse_if_match(if_match)
            except ValueError:
                raise Refused(problem(400, wire.problem(
                    400, "bad-if-match", "Bad If-Match",
                    N_("If-Match must name one version, like \"7\"; read the record again and send its ETag.")))
                ) from None
            if version is None and route.requires_version:
                raise Refused(problem(428, wire.problem(
                    428, "precondition-required", "If-Match required",
                    N_("This change needs the record's version in If-Match (its ETag), so nobody's "
                       "change is overwritten unseen; read it again and send its ETag."))))
            args["expected_version"] = version

        async def answer() -> Response:
            call_args = dict(args)
            if FILES_FIELD in body_fields:
                call_args[FILES_FIELD] = as_files(call_args[FILES_FIELD])
            writes = route.verb != "GET" and route.name not in READ_ONLY
            before = await rows_before(c, route.name, call_args) if writes else []
            if route.name == "count_tickets":
                result = await _count(c, call_args["query"], call_args.get("at_most"))
            elif route.name == "list_tickets":
                # Encoded straight from the rows, no card objects (server/encode.py).
                found = await c.backend.list_ticket_rows(c.user, **call_args)
                return Response(encode.page_json(found), status_code=route.status,
                                media_type="application/json")
            else:
                result = await (method(c.user, **call_args) if takes_user else method(**call_args))
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


async def _count(c: Caller, query, at_most: int | None) -> int:
    """count_tickets through the short-lived cache of large counts (count_cache.py),
    except the counts the store's counters answer: a few rows, and exact now."""
    if ticket_counts.answers(query):
        return await c.backend.count_tickets(c.user, query, at_most=at_most)
    counts = CountCache.of(c.backend)
    kept = counts.get(c.user, query, at_most)
    if kept is not None:
        return kept
    value = await c.backend.count_tickets(c.user, query, at_most=at_most)
    counts.put(c.user, query, value, at_most)
    return value


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
