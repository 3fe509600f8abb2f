"""Operating the server (issue #18.5): /healthz, /metrics, /docs with no internet."""

from __future__ import annotations

import asyncio
import re

import httpx

from tests.factory import make_world
from tests.support.remote_world import ServerThread, user_tokens


def served(tmp_path):
    from sagicc_tui.server.app import create_app

    world = asyncio.run(make_world(tmp_path / "ops.db"))
    tokens, _channel = user_tokens(world)
    server = ServerThread(create_app(world.local))
    return world, server, server.start(), tokens


def test_healthz_metrics_and_offline_docs(tmp_path):
    world, server, url, tokens = served(tmp_path)
    try:
        assert httpx.get(url + "/healthz", timeout=10).json() == {"status": "ok"}
        auth = {"Authorization": f"Bearer {tokens['ana']}"}
        for _ in range(3):
            assert httpx.get(url + "/api/v1/tickets/1", headers=auth, timeout=10).status_code in (200, 404)
        assert httpx.get(url + "/api/v1/me", headers=auth, timeout=10).status_code == 200
        text = httpx.get(url + "/metrics", timeout=10).text
        # per route template, never per id
        assert re.search(r'sagicc_http_requests_total\{method="GET",route="/api/v1/tickets/\{ticket_id\}",'
                         r'status="\d+"\} 3', text), text
        assert 'route="/api/v1/tickets/1"' not in text
        assert 'sagicc_http_request_duration_seconds_bucket{method="GET",route="/api/v1/me",le="+Inf"} 1' in text
        assert 'sagicc_http_request_duration_seconds_count{method="GET",route="/api/v1/me"} 1' in text
        assert "sagicc_event_streams_open 0" in text
        assert "# TYPE sagicc_http_errors_total counter" in text

        docs = httpx.get(url + "/docs", timeout=10)
        assert docs.status_code == 200
        assets = re.findall(r'(?:src|href)="([^"]+)"', docs.text)
        assert assets and not [a for a in assets if a.startswith(("http://", "https://", "//"))], assets
        for asset in assets:
            r = httpx.get(url + asset, timeout=10)
            assert r.status_code == 200 and len(r.content) > 100, asset

        # The store goes away: 503, and the server still answers.
        world.local.store.engine.dispose()
        (tmp_path / "ops.db").rename(tmp_path / "gone.db")
        (tmp_path / "ops.db").mkdir()  # a folder where the file was: the store cannot be opened
        r = httpx.get(url + "/healthz", timeout=20)
        assert r.status_code == 503 and r.json()["status"] == "unavailable"
    finally:
        asyncio.run(server.stop())
