"""OpeningBackend: the Backend of a start-up, while the full one (and its ORM) loads.

The TUI's first card must not wait for the ORM import (issue #16.6). The
first screen's reads -- the user, their campaigns, the list's first pages --
are answered by a lean reader (first_page.py: stdlib sqlite3) while the full
backend is built in a thread; every other call waits for the full backend,
and once it is there every call, those reads included, goes to it.

Loading the ORM is Python work that holds the GIL: in a thread it would
still slow the main thread painting the first screen. So when the reader
has answered the user (the first screen is on its way), the load starts only
once the reader has served the first list page -- or has declined a call,
or after HOLD_AT_MOST seconds, whichever comes first. Calls that need the
full backend meanwhile simply wait.

This module imports no ORM (pyproject's import-linter contract): the full
backend comes from `load`, a function run in a thread.
"""

from __future__ import annotations

import abc
import asyncio
from collections.abc import Callable
from typing import Any

from sagicc_tui.backend import Backend
from sagicc_tui.domain.errors import SagiccError, StoreError
from sagicc_tui.domain.messages import N_
from sagicc_tui.domain.models import Campaign, User
from sagicc_tui.domain.query import TicketCursor, TicketPage, TicketQuery
from sagicc_tui.local_store.first_page import FirstPageReader

#: The longest the full load waits for the first page (s): a safety net, never a deadlock.
#: A page always follows an answered user (a decline releases at once), so this is long:
#: on a loaded machine the way to the first card takes seconds, and must not be cut short.
HOLD_AT_MOST = 10.0
#: How long after the first page the load starts (s): a few frames, to draw the cards
#: (about 0.1 s of CPU on a quiet machine) before the import halves the main thread's share.
PAINT_TIME = 0.1


class OpeningBackend(Backend):
    def __init__(self, reader: FirstPageReader, load: Callable[[], Backend]) -> None:
        self._reader: FirstPageReader | None = reader
        self._load = load
        self._full: Backend | None = None
        self._loading: asyncio.Future[Backend] | None = None
        self._released: asyncio.Event | None = None  # set: the load may start (None: nothing holds it)
        self._release_timer: asyncio.TimerHandle | None = None

    @property
    def full_backend(self) -> Backend | None:
        """The full backend once it has loaded (None before)."""
        return self._full

    # --- the full backend ------------------------------------------------------------------

    def _hold(self) -> None:
        """The first screen is being read: keep the GIL for it a moment."""
        if self._loading is None and self._released is None:
            self._released = asyncio.Event()
            self._release_timer = asyncio.get_running_loop().call_later(HOLD_AT_MOST, self._release)

    def _release(self) -> None:
        if self._release_timer is not None:
            self._release_timer.cancel()
            self._release_timer = None
        if self._released is not None:
            self._released.set()

    def _start_loading(self) -> asyncio.Future[Backend]:
        if self._loading is None:
            self._loading = asyncio.ensure_future(asyncio.to_thread(self._load))
        return self._loading

    async def full(self) -> Backend:
        """The full backend: loaded now if nothing holds it back, else when released."""
        if self._full is not None:
            return self._full
        if self._released is not None:
            await self._released.wait()
        try:
            # A shield: a cancelled caller (a worker replaced) must not cancel the load for everyone.
            full = await asyncio.shield(self._start_loading())
        except SagiccError:
            raise
        except Exception as e:  # noqa: BLE001 - every caller shows one sentence, never a traceback
            raise StoreError(N_("The store could not be opened ({reason}); press q to quit."),
                             reason=str(e).splitlines()[0] if str(e) else type(e).__name__) from e
        if self._full is None:
            self._full = full
            await self._close_reader()
        return full

    async def _close_reader(self) -> None:
        reader, self._reader = self._reader, None
        if reader is not None:
            await asyncio.to_thread(reader.close)  # waits for a read under way, off the event loop

    async def _lean(self, method: str, *args: Any, **kw: Any) -> Any:
        """The reader's answer, or None (it declined, or the full backend is here)."""
        reader = self._reader
        if self._full is not None or reader is None:
            return None
        found = await asyncio.to_thread(getattr(reader, method), *args, **kw)
        if found is None:
            self._release()  # the reader cannot show this screen: the full backend can
        return found

    # --- what the reader answers ---------------------------------------------------------------

    async def get_user(self, username: str) -> User:
        user = await self._lean("get_user", username)
        if user is None:
            return await (await self.full()).get_user(username)
        self._hold()
        return user

    async def list_campaigns(self, user: User) -> list[Campaign]:
        campaigns = await self._lean("list_campaigns", user)
        if campaigns is None:
            return await (await self.full()).list_campaigns(user)
        return campaigns

    async def list_tickets(self, user: User, query: TicketQuery, *, limit: int = 100,
                           after: TicketCursor | None = None, offset: int = 0) -> TicketPage:
        page = await self._lean("list_tickets", user, query, limit=limit, after=after, offset=offset)
        if page is None:
            return await (await self.full()).list_tickets(user, query, limit=limit, after=after, offset=offset)
        # Time for the frame that draws these cards before the ORM import takes the GIL.
        asyncio.get_running_loop().call_later(PAINT_TIME, self._release)
        return page

    # --- client-side state, and closing -------------------------------------------------------

    def connection_state(self) -> str | None:
        return self._full.connection_state() if self._full is not None else None

    def outbox_state(self):
        return self._full.outbox_state() if self._full is not None else None

    def dismiss_refused(self, refused_id: str) -> None:
        if self._full is not None:
            self._full.dismiss_refused(refused_id)

    async def aclose(self) -> None:
        await self._close_reader()
        if self._release_timer is not None:
            self._release_timer.cancel()
        if self._loading is not None:
            try:
                full = await asyncio.shield(self._loading)
            except Exception:  # noqa: BLE001 - a load that failed has nothing to close
                return
            await full.aclose()


def _waits_for_the_full_backend(name: str):
    async def call(self: OpeningBackend, *args: Any, **kw: Any) -> Any:
        return await getattr(await self.full(), name)(*args, **kw)

    call.__name__ = call.__qualname__ = name
    call.__doc__ = getattr(Backend, name).__doc__
    return call


# Every other method of the contract waits for the full backend.
for _name in sorted(Backend.__abstractmethods__ - set(vars(OpeningBackend))):
    setattr(OpeningBackend, _name, _waits_for_the_full_backend(_name))
abc.update_abstractmethods(OpeningBackend)
del _name
