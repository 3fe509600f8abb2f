"""Errors as problem documents (RFC 9457): how routes document them, how they
are made, and how every exception becomes one (never a traceback to the caller)."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from sagicc_tui.domain.errors import SagiccError
from sagicc_tui.domain.messages import N_
from sagicc_tui.remote import wire

log = logging.getLogger("sagicc.server")

#: How errors are documented in the OpenAPI document (RFC 9457 problem details).
problem_doc = {"application/problem+json": {"schema": {
    "type": "object", "required": ["type", "title", "status", "detail"],
    "properties": {"type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
                   "detail": {"type": "string"}, "template": {"type": "string"}, "params": {"type": "object"},
                   "current_version": {"type": "integer"}, "existing_id": {"type": "integer"},
                   # Invalid input: the request field it is about (like "id_number"), for forms.
                   "field": {"type": "string"}}}}}


def documented(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for hand-written routes: the problem documents they may answer."""
    said = {400: "Bad request", 401: "No valid token", 403: "Not allowed", 404: "Missing, or outside your scope",
            409: "Refused by a business rule", 422: "Invalid input", 503: "The store is unavailable; try again"}
    return {code: {"description": said[code], "content": problem_doc} for code in statuses}


def problem(status: int, doc: dict[str, Any], headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(doc, status_code=status, media_type=wire.PROBLEM_JSON, headers=headers)


def unauthorized() -> JSONResponse:
    return problem(401, wire.problem(
        401, "unauthorized", "Sign in again",
        N_("The server did not accept your token; sign in again with `sagicc login URL`.")),
        headers={"WWW-Authenticate": "Bearer"})


class Refused(Exception):
    """An HTTP-level refusal (401, 428, ...) carrying its response."""

    def __init__(self, response: Response) -> None:
        self.response = response


def install(app: FastAPI) -> None:
    """Map every exception a route may raise to its problem document."""
    @app.exception_handler(Refused)
    async def _refused(_request: Request, exc: Refused) -> Response:
        return exc.response

    @app.exception_handler(SagiccError)
    async def _domain_error(_request: Request, exc: SagiccError) -> Response:
        status, doc = wire.problem_for(exc)
        return problem(status, doc)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> Response:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()) if p != "body") or "request"
        return problem(422, wire.problem(
            422, "invalid-request", "Invalid request",
            N_("The request is not valid at {where}: {reason}. Check the API document (/docs)."),
            where=where, reason=first.get("msg", "invalid")))

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> Response:
        return problem(exc.status_code, wire.problem(
            exc.status_code, "http", str(exc.detail), N_("The request could not be served: {detail}."),
            detail=str(exc.detail)))

    @app.exception_handler(OverflowError)
    @app.exception_handler(DataError)
    async def _out_of_range(_request: Request, exc: Exception) -> Response:
        # A number the store cannot hold (an id past 2**63 on SQLite, 2**31 on
        # PostgreSQL, a negative offset): the request is wrong, not the server.
        return problem(422, wire.problem(
            422, "invalid-request", "Invalid request",
            N_("A number in the request is out of range for the store; check the ids and positions sent.")))

    @app.exception_handler(Exception)
    async def _crash(_request: Request, exc: Exception) -> Response:
        log.exception("unexpected error")
        return problem(500, wire.problem(
            500, "server-error", "Server error",
            N_("The server failed on this request ({kind}); it has been logged. Try again or tell your administrator."),
            kind=type(exc).__name__))
