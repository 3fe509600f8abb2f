"""Issue #18.7: a token revoked while the TUI works on a server shows the
sign-in prompt at once (not an empty list until a restart); signing in again
brings the list back without stacking a second session's screens."""

from __future__ import annotations

from textual.widgets import Input

from sagicc_tui.local_store.access import revoke_user_tokens
from sagicc_tui.remote.session import RemoteSession
from sagicc_tui.screens.text_prompt import TextPrompt
from tests.remote.test_tui_sign_in import _app, served  # noqa: F401 - the fixture
from tests.ui.conftest import settle


async def test_a_token_revoked_mid_session_asks_at_once(served, tmp_path):  # noqa: F811
    url, tokens, world = served
    session = RemoteSession(url, token=tokens["ana"], outbox_path=tmp_path / "outbox.jsonl")
    app = _app(session, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, rounds=5)
        assert type(app.screen).__name__ == "TicketsScreen"
        depth = len(app.screen_stack)
        revoke_user_tokens(world.store, "ana")
        await pilot.press("r")  # the next request is refused
        await settle(pilot, rounds=5)
        assert isinstance(app.screen, TextPrompt)
        assert app.screen.query_one(Input).password
        assert len(str(app.screen._title)) < 60  # the whole title fits
        from sagicc_tui.local_store.access import issue_token

        fresh = issue_token(world.store, 3, "again")
        app.screen.query_one(Input).value = fresh
        await pilot.press("enter")
        await settle(pilot, rounds=6)
        assert type(app.screen).__name__ == "TicketsScreen"
        assert len(app.screen_stack) == depth
        assert app.user is not None and app.user.username == "ana"
    await app.backend.aclose()
