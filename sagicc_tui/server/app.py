"""The HTTP API (/api/v1) over one store: every Backend method as a REST route.

Endpoints are generated from `remote/routes.py` (server/generated.py), the
same table the remote backend is generated from; a few are written by hand
(server/hand_routes.py). Every rule stays in the store code below: the server
authenticates the caller (server/callers.py), hands the store the caller's
user (never a user named by the request), and turns domain errors into
problem documents (server/problems.py).
"""

from __future__ import annotations

import asyncio
import functools

from fastapi import APIRouter, FastAPI

from sagicc_tui.backend import Backend
from sagicc_tui.remote.routes import ROUTES
from sagicc_tui.server import problems
from sagicc_tui.server.events import EventHub
from sagicc_tui.server.generated import READ_ONLY, add_route
from sagicc_tui.server.hand_routes import add_hand_routes
from sagicc_tui.server.scope import scope_rows
from sagicc_tui.server.store_port import served
from sagicc_tui.server.text_check import TextCheckedRoute

__all__ = ["READ_ONLY", "create_app"]


def create_app(backend: Backend, *, events: EventHub | None = None, title: str = "Sagicc",
               mail: bool = False, live_feed: str | None = None) -> FastAPI:
    """`backend`: a ServedStore (server/store_port.py), the one thing the server
    knows of its store. `mail`: read the support mailboxes in this process too
    (`serve --mail`, server/mail_service.py). `live_feed`: the file through which
    the server processes of one SQLite store tell each other their changes
    (server/sqlite_feed.py)."""
    backend = served(backend)
    if events is None:
        from sagicc_tui.server.sqlite_feed import SqliteFeed

        pg_dsn, seed = backend.event_channel()
        feed = SqliteFeed(live_feed) if live_feed and pg_dsn is None else None
        if pg_dsn is None:
            backend.join_writers(live_feed if feed is not None else None)
        events = EventHub(pg_dsn=pg_dsn, change_token=backend.change_token, channel_seed=seed,
                          ticket_rows=functools.partial(scope_rows, backend), feed=feed,
                          writes=backend.store.writes,
                          foreign_commits=backend.foreign_commits if pg_dsn is None else None)

    async def lifespan(app: FastAPI):
        await events.start()
        service = app.state.mail
        if service is not None:
            service.start(asyncio.get_running_loop())
        try:
            yield
        finally:
            if service is not None:
                await asyncio.to_thread(service.stop)
            await events.stop()

    app = FastAPI(
        title=f"{title} API", version="1", lifespan=lifespan,
        description="The Sagicc ticket and customer modules. Authenticate with `Authorization: Bearer TOKEN` "
                    "(`sagicc users add NAME --role ROLE` prints one). Errors are application/problem+json.",
    )
    app.state.backend = backend
    app.state.events = events
    app.state.mail = None
    if mail:
        from sagicc_tui.server.mail_service import MailService

        app.state.mail = MailService(backend.store, events)

    problems.install(app)
    app.router.routes.extend(_router().routes)
    from sagicc_tui.server import ops  # /healthz, /metrics, /docs offline

    ops.install(app)
    return app


@functools.cache
def _router() -> APIRouter:
    """Every route, built once per process (FastAPI's models are costly to build);
    each request finds its store in `request.app.state`."""
    router = APIRouter(route_class=TextCheckedRoute)  # JSON bodies must be text (#10.5)
    # By hand first: /customers/export must match before /customers/{customer_id}.
    add_hand_routes(router)
    for route in ROUTES:
        add_route(router, route)
    return router
