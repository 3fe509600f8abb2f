"""Operating the server: /healthz, /metrics and /docs that work offline.

- GET /healthz: 200 when the store answers a query, 503 otherwise (for load
  balancers and systemd watchdogs); no token needed, nothing private said.
- GET /metrics: Prometheus text format: requests and a latency histogram per
  route template (never per id, so the series stay few), 5xx errors, open
  event streams. Per process: with --workers N each worker has its own.
- GET /docs: Swagger UI from the swagger-ui-bundle package, served here,
  so the page works on a host with no internet (FastAPI's loads a CDN).
"""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import JSONResponse, PlainTextResponse, Response

#: Latency buckets in seconds (Prometheus' "le" upper bounds).
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
ASSETS = "/docs-assets"


class Metrics:
    def __init__(self) -> None:
        self.requests: dict[tuple[str, str, int], int] = defaultdict(int)
        self.errors: dict[tuple[str, str], int] = defaultdict(int)
        # (method, route) -> [count per bucket..., +Inf count], sum
        self.buckets: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0] * (len(BUCKETS) + 1))
        self.sums: dict[tuple[str, str], float] = defaultdict(float)

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        self.requests[(method, route, status)] += 1
        if status >= 500:
            self.errors[(method, route)] += 1
        counts = self.buckets[(method, route)]
        for i, bound in enumerate(BUCKETS):
            if seconds <= bound:
                counts[i] += 1
        counts[-1] += 1
        self.sums[(method, route)] += seconds

    def render(self, open_streams: int) -> str:
        out = ["# HELP sagicc_http_requests_total Requests answered, by route template and status.",
               "# TYPE sagicc_http_requests_total counter"]
        for (method, route, status), n in sorted(self.requests.items()):
            out.append(f'sagicc_http_requests_total{{method="{method}",route="{_esc(route)}",status="{status}"}} {n}')
        out += ["# HELP sagicc_http_errors_total Requests answered with a server error (5xx).",
                "# TYPE sagicc_http_errors_total counter"]
        for (method, route), n in sorted(self.errors.items()):
            out.append(f'sagicc_http_errors_total{{method="{method}",route="{_esc(route)}"}} {n}')
        out += ["# HELP sagicc_http_request_duration_seconds Time to answer, by route template.",
                "# TYPE sagicc_http_request_duration_seconds histogram"]
        for (method, route), counts in sorted(self.buckets.items()):
            labels = f'method="{method}",route="{_esc(route)}"'
            for bound, n in zip(BUCKETS, counts, strict=False):
                out.append(f'sagicc_http_request_duration_seconds_bucket{{{labels},le="{bound}"}} {n}')
            out.append(f'sagicc_http_request_duration_seconds_bucket{{{labels},le="+Inf"}} {counts[-1]}')
            out.append(f"sagicc_http_request_duration_seconds_sum{{{labels}}} {self.sums[(method, route)]:.6f}")
            out.append(f"sagicc_http_request_duration_seconds_count{{{labels}}} {counts[-1]}")
        out += ["# HELP sagicc_event_streams_open Live event streams (GET /api/v1/events) open now.",
                "# TYPE sagicc_event_streams_open gauge", f"sagicc_event_streams_open {open_streams}", ""]
        return "\n".join(out)


def mail_health(service) -> list[dict]:
    """Each mailbox of `serve --mail`: who reads it, its last good pass, failures in a row."""
    import os
    import socket
    from datetime import UTC, datetime

    out = []
    for m in service.status():
        at = m["last_success_at"]
        if m["reader_pid"] and m["reader_host"] == socket.gethostname():
            try:
                os.kill(m["reader_pid"], 0)
            except ProcessLookupError:  # its reader died; another takes over shortly
                m["reader_pid"] = None
            except PermissionError:
                pass
        state = "waiting" if m["reader_pid"] is None else "failing" if m["consecutive_failures"] else "ok"
        out.append({"mailbox": m["mailbox"], "state": state, "reader_pid": m["reader_pid"],
                    "last_success_at": datetime.fromtimestamp(at, UTC).isoformat() if at else None,
                    "consecutive_failures": m["consecutive_failures"]})
    return out


def render_mail(status: list[dict]) -> str:
    out = ["# HELP sagicc_mail_last_success_timestamp_seconds When the mailbox was last read without error "
           "(0: never).", "# TYPE sagicc_mail_last_success_timestamp_seconds gauge"]
    for m in status:
        out.append(f'sagicc_mail_last_success_timestamp_seconds{{mailbox="{_esc(m["mailbox"])}"}} '
                   f'{m["last_success_at"] or 0:.0f}')
    out += ["# HELP sagicc_mail_consecutive_failures Failed attempts to read the mailbox since its last good pass.",
            "# TYPE sagicc_mail_consecutive_failures gauge"]
    for m in status:
        out.append(f'sagicc_mail_consecutive_failures{{mailbox="{_esc(m["mailbox"])}"}} {m["consecutive_failures"]}')
    out += ["# HELP sagicc_mail_messages_added Messages the mailbox's current reader added to the store.",
            "# TYPE sagicc_mail_messages_added gauge"]
    for m in status:
        out.append(f'sagicc_mail_messages_added{{mailbox="{_esc(m["mailbox"])}"}} {m["messages"]}')
    return "\n".join(out) + "\n"


def _esc(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"')


class MetricsMiddleware:
    """Pure ASGI, so streaming answers (events, exports) pass through untouched;
    the route template is read from the scope the router filled in."""

    def __init__(self, app, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = [500]

        async def sending(message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            self.metrics.observe(scope.get("method", ""), route, status[0], time.perf_counter() - started)


def install(app: FastAPI) -> None:
    metrics = Metrics()
    app.state.metrics = metrics
    app.add_middleware(MetricsMiddleware, metrics=metrics)
    # FastAPI's own /docs loads Swagger UI from a CDN: replaced by ours.
    app.router.routes[:] = [r for r in app.router.routes if getattr(r, "path", None) != app.docs_url]

    @app.get("/healthz", include_in_schema=False)
    async def healthz(request: Request) -> Response:
        try:
            await asyncio.wait_for(asyncio.to_thread(request.app.state.backend.probe), timeout=5)
        except Exception as exc:  # noqa: BLE001 - any failure means "not ready"
            return JSONResponse({"status": "unavailable", "store": type(exc).__name__}, status_code=503,
                                headers={"Cache-Control": "no-store"})
        body: dict = {"status": "ok"}
        service = getattr(request.app.state, "mail", None)
        if service is not None:
            # The mailboxes say how they are, but never fail the probe: a mailbox
            # that cannot be read is no reason to take the API out of service.
            body["mail"] = await asyncio.to_thread(mail_health, service)
        return JSONResponse(body, headers={"Cache-Control": "no-store"})

    @app.get("/metrics", include_in_schema=False)
    async def prometheus(request: Request) -> Response:
        streams = len(getattr(request.app.state.events, "_subscribers", ()))
        text = metrics.render(streams)
        service = getattr(request.app.state, "mail", None)
        if service is not None:
            text += render_mail(await asyncio.to_thread(service.status))
        return PlainTextResponse(text, media_type="text/plain; version=0.0.4")

    try:
        from swagger_ui_bundle import swagger_ui_path
    except ImportError:  # without the package /docs says how to get it
        @app.get("/docs", include_in_schema=False)
        async def no_docs() -> Response:
            return PlainTextResponse("The API browser needs the swagger-ui-bundle package "
                                     "(pip install 'sagicc-tui[server]'); the document is at /openapi.json.")
        return
    from starlette.staticfiles import StaticFiles

    app.mount(ASSETS, StaticFiles(directory=swagger_ui_path), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    async def docs() -> Response:
        return get_swagger_ui_html(openapi_url=app.openapi_url or "/openapi.json", title=f"{app.title} — docs",
                                   swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
                                   swagger_css_url=f"{ASSETS}/swagger-ui.css",
                                   swagger_favicon_url=f"{ASSETS}/favicon-32x32.png")
