"""#10.5 Bad bytes on the wire are a 422, never a 500 (P10).

A lone UTF-16 surrogate escaped in JSON ("\\ud800"), an encoded surrogate
and stray bytes that are not UTF-8, in the body of every API route that
takes one (the route table, iterated) and in valid bodies of the routes that
store text; each answer is a 422 problem document, the connection stays
usable, and nothing is stored. SQLite and PostgreSQL.
"""

from __future__ import annotations

import asyncio
import inspect

import httpx
import pytest
from sqlalchemy import func, select

from sagicc_tui.local_store import schema
from sagicc_tui.remote.routes import API, BY_HAND, ROUTES
from sagicc_tui.server.app import create_app
from tests.factory import make_world
from tests.support.remote_world import ServerThread, user_tokens
from tests.support.served import store_url

LONE = '"\\ud800"'  # JSON text: an escaped lone surrogate
BAD = {
    "escaped surrogate": LONE.encode(),
    "encoded surrogate": b'"\xed\xa0\x80"',  # CESU-8: not UTF-8
    "stray byte": b'"caf\xe9"',  # Latin-1
}


@pytest.fixture(params=["sqlite", "pg"])
async def api(request, tmp_path):
    world = await make_world(store_url(request.param, tmp_path, request), blob_dir=tmp_path / "files")
    r = await world.incoming("a@x.com", "hola")
    server = ServerThread(create_app(world.local))
    url = await asyncio.to_thread(server.start)
    tokens, channel = user_tokens(world)
    async with httpx.AsyncClient(base_url=url + API, timeout=30) as client:
        yield client, tokens, channel, world, r
    await server.stop()
    await world.aclose()


def _path(route_path: str, ticket_id: int) -> str:
    values = {"ticket_id": ticket_id, "form": "reply", "username": "admin", "entity": "ticket"}
    out = route_path
    for name in [p.strip("{}") for p in route_path.split("/") if p.startswith("{")]:
        out = out.replace("{" + name + "}", str(values.get(name, 1)))
    return out


def _bodies(route) -> dict[str, bytes]:
    """For each kind of bad text, a body with it in every field of the route."""
    fields = [p.name for p in route.wire_params() if p.name not in route.path_params]
    out = {}
    for kind, bad in BAD.items():
        inner = b", ".join(b'"' + name.encode() + b'": ' + bad for name in fields)
        out[kind] = b"{" + inner + b"}"
    return out


async def _is_422(client, verb: str, path: str, body: bytes, headers: dict) -> tuple[int, str]:
    r = await client.request(verb, path, content=body, headers={**headers, "Content-Type": "application/json"})
    return r.status_code, r.headers.get("content-type", "")


async def test_every_json_route_answers_bad_text_with_422(api):
    client, tokens, channel, world, r = api
    headers = {"Authorization": f"Bearer {tokens['admin']}", "If-Match": '"1"', "Idempotency-Key": "bad-1"}
    wrong = []
    for route in ROUTES:
        if not route.in_body or not [p for p in route.wire_params() if p.name not in route.path_params]:
            continue  # no JSON body: whatever is sent is never read
        for kind, body in _bodies(route).items():
            status, media = await _is_422(client, route.verb, _path(route.path, r.ticket_id), body, headers)
            if status != 422 or not media.startswith("application/problem+json"):
                wrong.append((route.name, kind, status))
    verb, path = BY_HAND["ingest"]
    for kind, bad in BAD.items():
        body = b'{"channel": "email", "sender": "x@y.com", "text": ' + bad + b"}"
        status, _ = await _is_422(client, verb, path, body, {"Authorization": f"Bearer {channel}"})
        if status != 422:
            wrong.append(("ingest", kind, status))
    assert wrong == []
    assert (await client.get("/me", headers={"Authorization": f"Bearer {tokens['admin']}"})).status_code == 200


async def test_valid_bodies_with_a_lone_surrogate_store_nothing(api):
    client, tokens, channel, world, r = api
    auth = {"Authorization": f"Bearer {tokens['admin']}"}
    t = r.ticket_id
    version = (await client.get(f"/tickets/{t}", headers=auth)).json()["version"]
    query = '{"campaign_ids": [1]}'
    cases = [
        ("PATCH", f"/tickets/{t}", '{"changes": {"description": %s}}' % LONE, {"If-Match": f'"{version}"'}),
        ("PUT", f"/tickets/{t}/drafts/reply", '{"data": {"text": %s}}' % LONE, {}),
        ("POST", f"/tickets/{t}/tasks", '{"task": {"values": {"resultado": "Solucionado"}, "observations": %s}}'
         % LONE, {"Idempotency-Key": "t-1"}),
        ("PUT", "/views", '{"name": %s, "query": %s}' % (LONE, query), {}),
        ("PUT", "/views", '{"name": "v", "query": {"campaign_ids": [1], "search": %s}}' % LONE, {}),
        ("POST", f"/tickets/{t}/notes", '{"text": %s, "color": "yellow"}' % LONE, {"Idempotency-Key": "n-1"}),
        ("POST", "/customers", '{"data": {"id_type": "cc", "id_number": "77", "first_name": %s}}' % LONE,
         {"Idempotency-Key": "c-1"}),
        ("POST", f"/tickets/{t}/notes", '{"text": "bien \\ud83d\\ude00", "color": "yellow"}', {"Idempotency-Key": "n-2"}),
    ]
    answers = []
    async with httpx.AsyncClient(base_url=str(client.base_url), timeout=30) as one:  # one kept-alive connection
        for verb, path, body, extra in cases:
            res = await one.request(verb, path, content=body.encode(),
                                    headers={**auth, **extra, "Content-Type": "application/json"})
            answers.append(res.status_code)
    # The last one is a valid surrogate pair (an emoji): text, and stored.
    assert answers == [422] * (len(cases) - 1) + [201]
    with world.store.read() as conn:
        notes = conn.execute(select(schema.NoteRow.__table__.c.text)).scalars().all()
        drafts = conn.execute(select(func.count()).select_from(schema.DraftRow.__table__)).scalar_one()
        views = conn.execute(select(func.count()).select_from(schema.SavedViewRow.__table__)).scalar_one()
    assert notes == ["bien \U0001F600"] and drafts == 0 and views == 0
