"""A real server on 127.0.0.1 in front of the world's store, and a RemoteBackend
talking to it: the contract suite's remote kinds.

The server runs in a thread with its own event loop (uvicorn on a real socket),
in this process so the world's injected clock and its store set-up reach it.
"""

from __future__ import annotations

import asyncio
import threading

import uvicorn

from sagicc_tui.local_store import access
from sagicc_tui.remote.backend import RemoteBackend
from sagicc_tui.server.app import create_app
from tests.factory import USERS, World


class ServerThread:
    def __init__(self, app) -> None:
        config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="on",
                                timeout_graceful_shutdown=1, ws="none")
        self.server = uvicorn.Server(config)
        self.sock = None  # bound on start: port 0 unless config.port was set (a restart)
        self.thread = threading.Thread(target=self._run, name="sagicc-test-server", daemon=True)
        self.loop = None

    def _run(self) -> None:
        import asyncio

        async def serve() -> None:
            from sagicc_tui.server.serve import listening_socket

            self.loop = asyncio.get_running_loop()
            self.sock = listening_socket("127.0.0.1", self.server.config.port)
            await self.server.serve(sockets=[self.sock])

        asyncio.run(serve())

    def start(self) -> str:
        self.thread.start()
        while not self.server.started:
            if not self.thread.is_alive():
                raise RuntimeError("the test server did not start")
            threading.Event().wait(0.01)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        from sagicc_tui.server.serve import _find_events

        events = _find_events(self.server.config.loaded_app)
        loop = getattr(self, "loop", None)
        if events is not None and loop is not None:
            loop.call_soon_threadsafe(events.close_streams)
        self.server.should_exit = True
        await asyncio.to_thread(self.thread.join, 10)


def user_tokens(world: World) -> tuple[dict[str, str], str]:
    store = world.local.store
    tokens = {username: access.issue_token(store, uid, "test") for uid, username, *_ in USERS}
    return tokens, access.issue_token(store, None, "test-gateway")


async def attach_remote(world: World, tmp_path) -> World:
    server = ServerThread(create_app(world.local))
    url = await asyncio.to_thread(server.start)
    tokens, channel = user_tokens(world)

    async def client() -> RemoteBackend:
        return await RemoteBackend.open(url, tokens["admin"], user_tokens=tokens, channel_token=channel)

    world.backend = await client()
    world._other_factory = client
    world._closers.append(server.stop)
    world.url = url
    return world
