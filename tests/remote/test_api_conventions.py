"""P3 API conventions, over plain HTTP against a real server on 127.0.0.1:
tokens, ETag/If-Match, Idempotency-Key, problem documents, unknown fields,
scope as 404, the channel gateway, the external view."""

from __future__ import annotations

import hashlib

import httpx
import pytest

from sagicc_tui.local_store import schema
from sagicc_tui.remote.routes import ROUTES, uncovered
from sagicc_tui.server.app import create_app
from tests.factory import make_world
from tests.support.remote_world import ServerThread, user_tokens


@pytest.fixture
async def api(tmp_path):
    world = await make_world(tmp_path / "store.db", blob_dir=tmp_path / "files")
    mine = await world.incoming("a@x.com", "hola", name="Ana Cliente")
    theirs = await world.incoming("b@x.com", "otro")
    world.set_ticket(mine.ticket_id, assignee_id=3)  # ana
    world.set_ticket(theirs.ticket_id, assignee_id=4)  # bruno
    server = ServerThread(create_app(world.local))
    import asyncio

    url = await asyncio.to_thread(server.start)
    tokens, channel = user_tokens(world)
    async with httpx.AsyncClient(base_url=url + "/api/v1", timeout=10) as client:
        yield {"client": client, "tokens": tokens, "channel": channel, "world": world,
               "mine": mine.ticket_id, "theirs": theirs.ticket_id, "url": url}
    await server.stop()
    await world.aclose()


def auth(api, who="ana"):
    return {"Authorization": f"Bearer {api['tokens'][who]}"}


def test_every_backend_method_has_a_route():
    assert uncovered() == set()
    assert len({(r.verb, r.path) for r in ROUTES}) == len(ROUTES)


async def test_missing_unknown_and_revoked_tokens_are_401_problems(api):
    c = api["client"]
    for headers in ({}, {"Authorization": "Bearer sgc_nope"}, {"Authorization": "Basic abc"}):
        r = await c.get("/me", headers=headers)
        assert r.status_code == 401
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.headers["www-authenticate"] == "Bearer"
        assert "sign in again" in r.json()["detail"]
    from sagicc_tui.local_store.access import revoke_user_tokens

    assert (await c.get("/me", headers=auth(api))).json()["username"] == "ana"
    revoke_user_tokens(api["world"].store, "ana")
    assert (await c.get("/me", headers=auth(api))).status_code == 401


async def test_tokens_are_stored_hashed(api):
    with api["world"].store.read() as conn:
        hashes = {r.token_hash for r in conn.execute(schema.ApiTokenRow.__table__.select())}
    for token in api["tokens"].values():
        assert token not in hashes and hashlib.sha256(token.encode()).hexdigest() in hashes


async def test_etag_and_if_match(api):
    c, t = api["client"], api["mine"]
    r = await c.get(f"/tickets/{t}", headers=auth(api))
    etag = r.headers["etag"]
    assert etag == f'"{r.json()["version"]}"'
    # Missing If-Match: 428, nothing written.
    r = await c.patch(f"/tickets/{t}", json={"changes": {"description": "x"}}, headers=auth(api))
    assert r.status_code == 428 and "If-Match" in r.json()["detail"]
    # Current version: applied, new ETag.
    r = await c.patch(f"/tickets/{t}", json={"changes": {"description": "nueva"}},
                      headers={**auth(api), "If-Match": etag})
    assert r.status_code == 200 and r.headers["etag"] != etag
    # The old version again: 412 names who changed it; nothing written.
    r = await c.patch(f"/tickets/{t}", json={"changes": {"description": "pisada"}},
                      headers={**auth(api), "If-Match": etag})
    assert r.status_code == 412 and r.json()["current_version"] == int(r.json()["current_version"])
    assert "Ana Agente" in r.json()["detail"]
    assert (await c.get(f"/tickets/{t}", headers=auth(api))).json()["description"] == "nueva"
    # A malformed If-Match is a clear 400, not a crash.
    r = await c.patch(f"/tickets/{t}", json={"changes": {}}, headers={**auth(api), "If-Match": "abc"})
    assert r.status_code == 400


async def test_a_ticket_change_set_names_only_editable_fields(api):
    """#17.1: the body is TicketChanges' JSON; a field it has not (the number) is a 422, nothing written."""
    c, t = api["client"], api["mine"]
    r = await c.get(f"/tickets/{t}", headers=auth(api))
    etag, number = r.headers["etag"], r.json()["number"]
    r = await c.patch(f"/tickets/{t}", json={"changes": {"number": number + 1}}, headers={**auth(api), "If-Match": etag})
    assert r.status_code == 422
    r = await c.patch(f"/tickets/{t}", json={"changes": {"priority": "urgent!"}}, headers={**auth(api), "If-Match": etag})
    assert r.status_code == 422
    after = await c.get(f"/tickets/{t}", headers=auth(api))
    assert after.headers["etag"] == etag and after.json()["number"] == number
    # Only the fields given change (the others travel as null, or not at all).
    r = await c.patch(f"/tickets/{t}", json={"changes": {"priority": "high"}}, headers={**auth(api), "If-Match": etag})
    assert r.status_code == 200 and r.json()["priority"] == "high"
    assert r.json()["description"] == after.json()["description"]


async def test_a_null_account_still_clears_it_and_an_absent_one_leaves_it(api):
    """/api/v1 keeps its meaning (#17.1): the changes were a dict, where null cleared the account."""
    from sagicc_tui.domain.customers import AccountInput

    c, t, world = api["client"], api["mine"], api["world"]
    admin = await world.backend.get_user("admin")
    ticket = await world.backend.get_ticket(admin, t)
    acc = await world.backend.add_account(admin, ticket.customer_id, AccountInput(number="CTA-9"))
    etag = (await c.get(f"/tickets/{t}", headers=auth(api))).headers["etag"]
    r = await c.patch(f"/tickets/{t}", json={"changes": {"account_id": acc.id}}, headers={**auth(api), "If-Match": etag})
    assert r.status_code == 200 and r.json()["account_id"] == acc.id
    r = await c.patch(f"/tickets/{t}", json={"changes": {"priority": "high"}},
                      headers={**auth(api), "If-Match": r.headers["etag"]})
    assert r.status_code == 200 and r.json()["account_id"] == acc.id  # absent: unchanged
    r = await c.patch(f"/tickets/{t}", json={"changes": {"account_id": None}},
                      headers={**auth(api), "If-Match": r.headers["etag"]})
    assert r.status_code == 200 and r.json()["account_id"] is None  # null: no account, as before


async def test_the_tickets_interactions_and_tasks_are_still_read_by_their_urls(api):
    """GET /tickets/{id}/interactions and /tasks stay on /api/v1 though their contract methods went."""
    from sagicc_tui.domain.models import TaskInput

    c, t, world = api["client"], api["mine"], api["world"]
    ana = await world.backend.get_user("ana")
    await world.incoming("a@x.com", "segundo mensaje", name="Ana Cliente")
    mine = await world.interactions(ana, t)
    r = await c.get(f"/tickets/{t}/interactions", headers=auth(api))
    assert r.status_code == 200 and [i["id"] for i in r.json()] == sorted(i.id for i in mine) and len(mine) == 2
    r = await c.get(f"/tickets/{t}/interactions", params={"after_id": mine[0].id, "limit": 5}, headers=auth(api))
    assert [i["content"] for i in r.json()] == ["segundo mensaje"]
    await world.backend.add_task(ana, t, TaskInput(values={"resultado": "Solucionado"}, observations="llamar"))
    r = await c.get(f"/tickets/{t}/tasks", headers=auth(api))
    assert r.status_code == 200 and len(r.json()) == 1
    assert (await c.get(f"/tickets/{api['theirs']}/tasks", headers=auth(api))).status_code == 404  # outside her scope


async def test_a_user_is_saved_with_if_match_like_every_versioned_record(api):
    """#18: PATCH /users/{name} names the version read; stale is 412, missing is 428."""
    c, admin = api["client"], auth(api, "admin")
    r = await c.get("/users/bruno", headers=admin)
    etag = r.headers["etag"]
    assert etag == f'"{r.json()["version"]}"'
    r = await c.patch("/users/bruno", json={"changes": {"full_name": "Bruno Sin Version"}}, headers=admin)
    assert r.status_code == 428 and "If-Match" in r.json()["detail"]
    r = await c.patch("/users/bruno", json={"changes": {"full_name": "Bruno Nuevo"}},
                      headers={**admin, "If-Match": etag})
    assert r.status_code == 200 and r.headers["etag"] != etag
    r = await c.patch("/users/bruno", json={"changes": {"full_name": "Bruno Pisado"}},
                      headers={**admin, "If-Match": etag})
    assert r.status_code == 412 and "changed by another administrator" in r.json()["detail"]
    assert r.json()["current_version"] == int(etag.strip('"')) + 1
    assert (await c.get("/users/bruno", headers=admin)).json()["full_name"] == "Bruno Nuevo"


async def test_idempotency_key_replays_the_first_answer_and_refuses_another_body(api):
    c, t = api["client"], api["mine"]
    headers = {**auth(api), "Idempotency-Key": "note-1"}
    first = await c.post(f"/tickets/{t}/notes", json={"text": "llamar mañana", "color": "yellow"}, headers=headers)
    assert first.status_code == 201
    again = await c.post(f"/tickets/{t}/notes", json={"text": "llamar mañana", "color": "yellow"}, headers=headers)
    assert again.status_code == 201 and again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    notes = (await c.get(f"/tickets/{t}/notes", headers=auth(api))).json()
    assert [n["text"] for n in notes] == ["llamar mañana"]
    other = await c.post(f"/tickets/{t}/notes", json={"text": "otra cosa", "color": "yellow"}, headers=headers)
    assert other.status_code == 422 and "Idempotency-Key" in other.json()["detail"]
    # Keys are per token: bruno's same key is his own request.
    assert (await c.post(f"/tickets/{t}/notes", json={"text": "x", "color": "yellow"},
                         headers={**auth(api, "sofia"), "Idempotency-Key": "note-1"})).status_code == 201


async def test_kept_answers_expire_after_a_day(api):
    c, t, world = api["client"], api["mine"], api["world"]
    headers = {**auth(api), "Idempotency-Key": "old-1"}
    assert (await c.post(f"/tickets/{t}/notes", json={"text": "uno", "color": "yellow"}, headers=headers)
            ).status_code == 201
    world.clock.advance(hours=25)
    # Another creating request of the same token prunes answers older than a day...
    assert (await c.post(f"/tickets/{t}/notes", json={"text": "dos", "color": "yellow"},
                         headers={**auth(api), "Idempotency-Key": "new-1"})).status_code == 201
    with world.store.read() as conn:
        keys = [r.key for r in conn.execute(schema.IdempotencyRow.__table__.select())]
    assert keys == ["new-1"]
    # ...so the old key is a new request again.
    again = await c.post(f"/tickets/{t}/notes", json={"text": "uno", "color": "yellow"}, headers=headers)
    assert again.status_code == 201 and "idempotent-replayed" not in again.headers


async def test_an_invalid_input_problem_names_its_field(api):
    """#17.1: the store's InvalidInput.field is the problem document's `field`."""
    c = api["client"]
    data = {"id_type": "cc", "id_number": "52000111", "first_name": "Ana", "last_name": "Ruiz"}
    r = await c.post("/customers", json={"data": {**data, "email": "ana@"}}, headers=auth(api, "admin"))
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")
    assert (r.json()["type"], r.json()["field"]) == ("urn:sagicc:problem:invalid-input", "email")
    assert "field" not in r.json()["params"]
    r = await c.post("/customers", json={"data": {**data, "first_name": "", "last_name": ""}},
                     headers=auth(api, "admin"))
    assert r.json()["field"] == "first_name"
    r = await c.post(f"/tickets/{api['mine']}/notes", json={"text": "", "color": "yellow"}, headers=auth(api))
    assert r.status_code == 422 and "field" not in r.json()  # about no input of a form: no member


async def test_unknown_fields_are_refused_at_every_depth(api):
    c, t = api["client"], api["mine"]
    r = await c.post(f"/tickets/{t}/notes", json={"text": "x", "color": "yellow", "author_id": 1},
                     headers=auth(api))
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")
    assert "author_id" in r.json()["detail"]
    r = await c.post("/tickets/search", json={"query": {"campaign_ids": [1], "scope": "all"}, "limit": 10},
                     headers=auth(api))
    assert r.status_code == 422 and "scope" in r.json()["detail"]
    r = await c.post("/tickets/search", json={"query": {}, "limit": 101}, headers=auth(api))
    assert r.status_code == 422  # pages of at most 100


async def test_outside_scope_is_404_by_every_url(api):
    c, theirs = api["client"], api["theirs"]
    for path in (f"/tickets/{theirs}", f"/tickets/{theirs}/header", f"/tickets/{theirs}/notes",
                 f"/tickets/{theirs}/task-history", f"/tickets/{theirs}/attachments"):
        r = await c.get(path, headers=auth(api))
        assert r.status_code == 404, path
        assert r.json()["type"] == "urn:sagicc:problem:not-found"
    r = await c.post(f"/tickets/{theirs}/conversation", json={}, headers=auth(api))
    assert r.status_code == 404
    # The same URL works for bruno, whose ticket it is.
    assert (await c.get(f"/tickets/{theirs}", headers=auth(api, "bruno"))).status_code == 200
    # And it is not in ana's list.
    page = (await c.post("/tickets/search", json={"query": {}}, headers=auth(api))).json()
    assert theirs not in [row["id"] for row in page["rows"]]


async def test_change_log_is_for_administrators(api):
    c, t = api["client"], api["mine"]
    assert (await c.get(f"/change-log/ticket/{t}", headers=auth(api))).status_code == 403
    assert (await c.get(f"/change-log/ticket/{t}", headers=auth(api, "sofia"))).status_code == 403
    assert (await c.get(f"/change-log/ticket/{t}", headers=auth(api, "admin"))).status_code == 200


async def test_inbound_takes_a_channel_token_and_applies_ingest_rules(api):
    import base64

    c = api["client"]
    body = {"channel": "email", "sender": "A@X.com", "text": "otra vez", "subject": "Re",
            "attachments": [{"name": "../../factura.pdf", "content_base64": base64.b64encode(b"%PDF").decode()}]}
    assert (await c.post("/inbound", json=body, headers=auth(api))).status_code == 403
    r = await c.post("/inbound", json=body, headers={"Authorization": f"Bearer {api['channel']}"})
    assert r.status_code == 201
    # Same customer (e-mail normalised), same open ticket.
    assert r.json()["ticket_id"] == api["mine"] and not r.json()["new_ticket"]
    files = (await c.get(f"/tickets/{api['mine']}/attachments", headers=auth(api))).json()
    assert [f["name"] for f in files] == ["factura.pdf"]
    # A channel token reads nothing.
    assert (await c.get(f"/tickets/{api['mine']}", headers={"Authorization": f"Bearer {api['channel']}"})
            ).status_code == 403
    bad = await c.post("/inbound", json={**body, "attachments": [{"name": "a", "content_base64": "@@"}]},
                       headers={"Authorization": f"Bearer {api['channel']}"})
    assert bad.status_code == 422


async def test_external_view_is_served_by_token_without_notes(api):
    c, t = api["client"], api["mine"]
    await c.post(f"/tickets/{t}/notes", json={"text": "NOTA INTERNA", "color": "red"}, headers=auth(api))
    view = (await c.post(f"/tickets/{t}/external-view", headers=auth(api))).json()
    async with httpx.AsyncClient(base_url=api["url"]) as anon:
        page = await anon.get(f"/external/{view['token']}")
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert "hola" in page.text and "NOTA INTERNA" not in page.text
        assert page.headers["cache-control"] == "no-store"
        assert (await anon.get("/external/not-a-token")).status_code == 404
        # The page follows the conversation: a new message shows on the next load.
        await api["world"].incoming("a@x.com", "mensaje nuevo")
        assert "mensaje nuevo" in (await anon.get(f"/external/{view['token']}")).text


async def test_the_external_page_speaks_the_readers_language(api):
    """#17.4: the page is rendered in the browser's language, not the server process's."""
    c, t = api["client"], api["mine"]
    view = (await c.post(f"/tickets/{t}/external-view", headers=auth(api))).json()
    async with httpx.AsyncClient(base_url=api["url"]) as anon:
        url = f"/external/{view['token']}"
        spanish = (await anon.get(url, headers={"Accept-Language": "es-CO,es;q=0.9,en;q=0.5"})).text
        english = (await anon.get(url, headers={"Accept-Language": "fr, en;q=0.8, es;q=0.3"})).text
        either = (await anon.get(url, headers={"Accept-Language": "de"})).text
    assert "Caso #" in spanish and "Estado" in spanish and "Ticket #" not in spanish
    assert "Ticket #" in english and "Status" in english and "Caso #" not in english
    assert ("Ticket #" in either) != ("Caso #" in either)  # the server's own language, one of the two


async def test_openapi_document_lists_the_api(api):
    async with httpx.AsyncClient(base_url=api["url"]) as anon:
        doc = (await anon.get("/openapi.json")).json()
    assert doc["openapi"].startswith("3.")
    ops = {op["operationId"] for item in doc["paths"].values() for op in item.values()}
    assert {r.name for r in ROUTES} <= ops
    assert "HTTPBearer" in doc["components"]["securitySchemes"]
