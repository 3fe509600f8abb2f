"""#10.10 `sagicc external-views list|revoke`: the shared links, from the shell."""

from __future__ import annotations

import asyncio
import json

from tests.factory import make_world
from tests.test_cli import assert_one_sentence, sagicc


def test_list_and_revoke_external_view_links(tmp_path, monkeypatch):
    path = tmp_path / "cli.db"
    # The link is made at the world's fixed clock and read by `sagicc` on the real one:
    # with the default 7 days it expired as soon as the calendar passed the world's week.
    monkeypatch.setenv("SAGICC_EXTERNAL_VIEW_DAYS", "3650")

    async def build():
        w = await make_world(path)
        r = await w.incoming("lucia@example.com", "hola", name="Lucía Gómez")
        w.set_ticket(r.ticket_id, assignee_id=3)
        view = await w.backend.external_view(await w.user("ana"), r.ticket_id)
        await w.backend.aclose()
        return r.ticket_number, view.token

    number, token = asyncio.run(build())
    listed = sagicc("--db", str(path), "--user", "ana", "external-views", "list", "--ticket", str(number), "--json")
    assert listed.returncode == 0, listed.stderr
    [link] = json.loads(listed.stdout)
    assert link["token"] == token and link["active"] is True
    table = sagicc("--db", str(path), "--user", "sofia", "external-views", "list")
    assert token in table.stdout and "works" in table.stdout
    assert sagicc("--db", str(path), "--user", "ana", "external-views", "revoke", token).returncode == 0
    again = sagicc("--db", str(path), "--user", "ana", "external-views", "list", "--json")
    assert json.loads(again.stdout)[0]["active"] is False
    assert "no external-view link" in assert_one_sentence(
        sagicc("--db", str(path), "--user", "bruno", "external-views", "revoke", token))
