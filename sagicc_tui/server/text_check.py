"""Bad bytes on the wire are a 422, never a 500 (#10.5).

JSON may escape a lone UTF-16 surrogate ("\\ud800"); Python decodes it into
a string no database, file name or UTF-8 answer can hold, so it used to fail
deep in the store (500, and a reset connection when the error answer itself
could not be encoded). Bodies that are not UTF-8 at all are the same case.
Every route with a JSON body is checked once, before validation: the body is
already read by then (FastAPI reads it whole), and the full parse only runs
when an escape that could be a surrogate is present.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute

from sagicc_tui.domain.messages import N_
from sagicc_tui.remote import wire

_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")
_LONE = re.compile("[\ud800-\udfff]")


def bad_text(body: bytes) -> str | None:
    """The reason the body cannot be text, or None when it is fine."""
    try:
        text = body.decode("utf-8")  # strict: encoded surrogates and stray bytes are refused
    except UnicodeDecodeError as exc:
        return f"byte {exc.start} is not UTF-8"
    if not _SURROGATE_ESCAPE.search(body):
        return None
    try:
        doc = json.loads(text)
    except RecursionError:
        return "it is nested too deeply"
    except ValueError:
        return None  # not JSON: the validation's own sentence says so
    stack = [doc]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if _LONE.search(item):
                return "it holds a lone UTF-16 surrogate (\\ud800-\\udfff), which is not text"
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return None


class TextCheckedRoute(APIRoute):
    """An API route whose JSON body must be text before anything reads it."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        if self.body_field is None:
            return handler  # no JSON body (uploads stream their bytes)

        async def checked(request: Request) -> Response:
            reason = bad_text(await request.body())  # cached: the handler reads it again for free
            if reason is not None:
                return Response(json.dumps(wire.problem(
                    422, "invalid-text", "Invalid text",
                    N_("The request body is not valid text: {reason}. Send UTF-8 JSON."), reason=reason)),
                    status_code=422, media_type=wire.PROBLEM_JSON)
            return await handler(request)

        return checked
