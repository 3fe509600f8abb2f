"""Who is calling: a user's bearer token, the OS account on the Unix socket
(#14), or a channel gateway's token. The store never sees a user named by the
request, only the one the token or the socket proves."""

import asyncio
import dataclasses
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from sagicc_tui.domain.messages import N_
from sagicc_tui.domain.models import User
from sagicc_tui.local_store import access
from sagicc_tui.remote import wire
from sagicc_tui.server import peercred
from sagicc_tui.server.events import EventHub
from sagicc_tui.server.problems import Refused, problem, unauthorized
from sagicc_tui.server.store_port import ServedStore


@dataclasses.dataclass(frozen=True, slots=True)
class Caller:
    token_id: int
    user: User | None  # None: a channel gateway
    backend: ServedStore
    events: EventHub


def _token_cache(state) -> access.TokenCache:
    """This process's kept token lookups (each worker keeps its own)."""
    found = getattr(state, "tokens", None)
    if found is None:
        found = state.tokens = access.TokenCache()
    return found


bearer = HTTPBearer(auto_error=False, description="A token from `sagicc users add` (users) "
                                                  "or `sagicc channels token` (channel gateways)")


async def caller(request: Request,
                 credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> Caller:
    backend: ServedStore = request.app.state.backend
    peer = peercred.peer_of(request.scope)
    if peer is not None:  # on the Unix socket the OS account is the caller; no token counts
        token_id, user = await asyncio.to_thread(peercred.signed_in, backend.store, peer)
        return Caller(token_id, user, backend, request.app.state.events)
    if credentials is None or not credentials.credentials:
        raise Refused(unauthorized())
    token = credentials.credentials.strip()

    tokens = _token_cache(request.app.state)

    def look() -> Caller | None:
        found = tokens.signed_in(backend.store, token)
        if found is None:
            return None
        return Caller(found[0], found[1], backend, request.app.state.events)

    found = await asyncio.to_thread(look)
    if found is None:
        raise Refused(unauthorized())
    return found


async def user_caller(c: Annotated[Caller, Depends(caller)]) -> Caller:
    if c.user is None:
        raise Refused(problem(403, wire.problem(
            403, "permission-denied", "Not allowed",
            N_("A channel token can only deliver incoming messages (POST /api/v1/inbound)."))))
    return c
