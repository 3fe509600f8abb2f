"""The TUI's session on a server: the token it signs in with, and signing in.

Imports no Textual: the CLI builds one and hands its two callables to the app
(`open_backend`, `sign_in`), so the app knows nothing of tokens or keyrings.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from sagicc_tui.domain.errors import SagiccError
from sagicc_tui.domain.messages import N_


class RemoteSession:
    def __init__(self, url: str, *, token_file: str | None = None, username: str | None = None,
                 token: str | None = None, outbox_path=None) -> None:
        from sagicc_tui.remote.credentials import load_token, normalize_url

        self.url = normalize_url(url)
        self.token_file = token_file
        found = (None, token) if token else load_token(self.url, token_file=token_file)
        self.token: str | None = found[1] if found else None
        self.username: str | None = (found[0] if found else None) or username
        self.outbox_path = outbox_path
        self.on_user: Callable[[str | None], None] | None = None

    async def open_backend(self):
        from sagicc_tui.remote.backend import RemoteBackend
        from sagicc_tui.remote.outbox import Outbox, outbox_path
        from sagicc_tui.remote.wire import Unauthorized

        if self.token is None:
            raise Unauthorized(N_("You are not signed in to {url} yet."), url=self.url)
        backend = await RemoteBackend.open(self.url, self.token,
                                           outbox=Outbox(self.outbox_path or outbox_path(self.url)))
        if backend.me is not None:
            self.username = backend.me.username
            if self.on_user is not None:
                self.on_user(self.username)
        return backend

    async def sign_in(self, token: str) -> str | None:
        """Verify the token with the server and keep it; returns a warning
        sentence when it can only be kept for this session (no keyring)."""
        from sagicc_tui.i18n import _
        from sagicc_tui.remote.credentials import remember_login, save_token, verify_token

        username = await asyncio.to_thread(verify_token, self.url, token)
        self.token, self.username = token, username
        try:
            await asyncio.to_thread(save_token, self.url, username, token, token_file=self.token_file)
            await asyncio.to_thread(remember_login, self.url, token_file=self.token_file)
        except SagiccError as e:
            # Signed in for this session only; never a silent plain-text copy.
            return _(e.message.template, **e.message.params)
        return None
