"""#10.10 External-view links expire and can be listed and revoked; they stop
when their creator loses access; the API answer holds no server file path.
On every Backend (local and remote, SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from sqlalchemy import update

from sagicc_tui.domain.errors import NotFound
from sagicc_tui.local_store import access, schema


async def _shared(world, assignee: int = 3):
    r = await world.incoming("a@x.com", "hola")
    world.set_ticket(r.ticket_id, assignee_id=assignee)  # ana's
    ana = await world.user("ana")
    view = await world.backend.external_view(ana, r.ticket_id)
    return r, ana, view


async def _page(world, token: str) -> bool:
    """Whether the shared address opens (through the server for remote kinds)."""
    works = await world.local.external_page(token) is not None
    if world.kind.startswith("remote"):
        async with httpx.AsyncClient(base_url=world.url) as client:
            status = (await client.get(f"/external/{token}")).status_code
        assert status == (200 if works else 404)
    return works


async def test_a_link_expires_after_seven_days_and_a_new_one_replaces_it(world):
    r, ana, view = await _shared(world)
    assert view.expires_at == world.clock() + timedelta(days=7)
    if world.kind.startswith("remote"):
        assert view.path == f"{world.url}/external/{view.token}"  # the address to share
        token = access.issue_token(world.store, 3, "raw")
        async with httpx.AsyncClient(base_url=world.url) as client:
            raw = (await client.post(f"/api/v1/tickets/{r.ticket_id}/external-view",
                                     headers={"Authorization": f"Bearer {token}"})).json()
        assert raw["path"] == "" and str(world.store.blob_dir) not in str(raw)  # no server file path
    else:
        assert view.path.endswith(f"{view.token}.html")
    assert await _page(world, view.token)
    again = await world.backend.external_view(ana, r.ticket_id)
    assert again.token == view.token  # the same address while it works
    world.clock.advance(days=7, seconds=1)
    assert not await _page(world, view.token)
    [link] = await world.backend.list_external_views(ana, ticket_id=r.ticket_id)
    assert link.token == view.token and not link.active and link.created_by_name == "Ana Agente"
    fresh = await world.backend.external_view(ana, r.ticket_id)
    assert fresh.token != view.token and await _page(world, fresh.token)
    assert not await _page(world, view.token)  # an old address never comes back


async def test_links_are_listed_and_revoked(world):
    r, ana, view = await _shared(world)
    assert [x.token for x in await world.backend.list_external_views(ana)] == [view.token]
    sofia = await world.user("sofia")
    assert view.token in [x.token for x in await world.backend.list_external_views(sofia)]
    bruno = await world.user("bruno")
    assert await world.backend.list_external_views(bruno) == []  # made none, sees no other's
    with pytest.raises(NotFound):
        await world.backend.revoke_external_view(bruno, view.token)  # outside his scope
    await world.backend.revoke_external_view(ana, view.token)
    assert not await _page(world, view.token)
    [link] = await world.backend.list_external_views(ana, ticket_id=r.ticket_id)
    assert link.revoked_at is not None and not link.active
    await world.backend.revoke_external_view(ana, view.token)  # twice is fine


async def test_a_link_stops_when_the_ticket_is_reassigned_away_from_its_creator(world):
    r, ana, view = await _shared(world)
    sofia = await world.user("sofia")
    t = await world.backend.get_ticket(sofia, r.ticket_id)
    await world.backend.reassign_ticket(sofia, r.ticket_id, assignee_id=4, expected_version=t.version)  # bruno
    assert not await _page(world, view.token)


async def test_a_link_stops_when_its_creator_is_disabled_or_their_tokens_revoked(world):
    r, ana, view = await _shared(world)
    other = await world.incoming("z@x.com", "otro")
    world.set_ticket(other.ticket_id, assignee_id=3)
    second = await world.backend.external_view(ana, other.ticket_id)
    access.revoke_user_tokens(world.store, "ana")
    assert not await _page(world, view.token) and not await _page(world, second.token)

    r2 = await world.incoming("y@x.com", "tercero")
    world.set_ticket(r2.ticket_id, assignee_id=4)
    bruno = await world.user("bruno")
    third = await world.backend.external_view(bruno, r2.ticket_id)
    assert await _page(world, third.token)
    world.sql(update(schema.UserRow.__table__).where(schema.UserRow.__table__.c.id == 4).values(active=False))
    assert not await _page(world, third.token)


async def test_a_closed_ticket_keeps_its_link_until_it_expires(world):
    r, ana, view = await _shared(world)
    t = await world.backend.get_ticket(ana, r.ticket_id)
    await world.backend.close_ticket(ana, r.ticket_id, expected_version=t.version)
    assert await _page(world, view.token)
    world.clock.advance(days=8)
    assert not await _page(world, view.token)
