"""P3 "the same in the TUI": not signed in, the TUI asks for a token, checks it
with the server, keeps it in the keyring, and opens the ticket list as the
token's user. A revoked token leads back to the prompt."""

from __future__ import annotations

import asyncio

import keyring
import pytest
from textual.widgets import Input

from sagicc_tui.remote.credentials import load_token
from sagicc_tui.remote.session import RemoteSession
from sagicc_tui.screens.text_prompt import TextPrompt
from sagicc_tui.server.app import create_app
from tests.factory import make_world
from tests.support.remote_world import ServerThread, user_tokens
from tests.test_login import MemoryKeyring
from tests.ui.conftest import settle


@pytest.fixture
async def served(tmp_path, monkeypatch):
    monkeypatch.setenv("SAGICC_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.delenv("SAGICC_TOKEN", raising=False)
    previous = keyring.get_keyring()
    keyring.set_keyring(MemoryKeyring())
    world = await make_world(tmp_path / "store.db")
    await world.incoming("a@x.com", "hola")
    server = ServerThread(create_app(world.local))
    url = await asyncio.to_thread(server.start)
    tokens, _ = user_tokens(world)
    yield url, tokens, world
    await server.stop()
    await world.aclose()
    keyring.set_keyring(previous)


def _app(session, tmp_path):
    from sagicc_tui.app import SagiccApp

    app = SagiccApp(open_backend=session.open_backend, username=session.username, language="en",
                    settings_path=tmp_path / "config" / "settings.json", remote_url=session.url,
                    sign_in=session.sign_in, poll_interval=0.2)
    session.on_user = app.set_username
    app.animation_level = "none"
    return app


async def test_the_tui_asks_for_a_token_and_keeps_it(served, tmp_path):
    url, tokens, _world = served
    session = RemoteSession(url, outbox_path=tmp_path / "outbox.jsonl")
    assert session.token is None
    app = _app(session, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, TextPrompt)
        assert app.screen.query_one(Input).password  # the token is never shown
        # A wrong token: the prompt again, with the server's sentence.
        app.screen.query_one(Input).value = "sgc_wrong"
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, TextPrompt)
        app.screen.query_one(Input).value = tokens["ana"]
        await pilot.press("enter")
        await settle(pilot, rounds=5)
        assert type(app.screen).__name__ == "TicketsScreen"
        assert app.user is not None and app.user.username == "ana"
    assert load_token(url) == ("ana", tokens["ana"])
    await app.backend.aclose()


async def test_a_revoked_token_leads_back_to_the_prompt(served, tmp_path):
    url, tokens, world = served
    from sagicc_tui.local_store.access import revoke_user_tokens

    revoke_user_tokens(world.store, "bruno")
    session = RemoteSession(url, token=tokens["bruno"], outbox_path=tmp_path / "outbox.jsonl")
    app = _app(session, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, TextPrompt)
        await pilot.press("escape")  # no token: the TUI ends
        await settle(pilot)
    assert app.backend is None
