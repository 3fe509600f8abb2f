"""#10.6: a full disk or a locked store never ends the TUI and never loses
the typing. Real faults: the store on a small tmpfs filled to the last byte,
or another connection holding the store's write lock; at 80x24."""

from __future__ import annotations

import sqlite3

import pytest
from textual.geometry import Region
from textual.widgets import TextArea
from textual.widgets._toast import Toast

from sagicc_tui.screens.ticket import TicketScreen
from sagicc_tui.screens.tickets import TicketsScreen
from tests.factory import make_world
from tests.support.tiny_disk import tiny_disk  # noqa: F401 - the fixture
from tests.ui.conftest import make_app, settle

SIZE = (80, 24)
TYPED = "Señora Lucía, revisamos la factura 4471 y el cobro doble se reversa hoy. Gracias por su paciencia."


def toasts_on_screen(app) -> list[str]:
    """The notifications shown, each only if it is inside the 80x24 screen."""
    screen = Region(0, 0, *SIZE)
    shown = []
    for toast in app.screen.query(Toast):
        if toast.region and screen.contains_region(toast.region):
            shown.append(str(toast._notification.message))  # noqa: SLF001 - what the toast says
    return shown


class Fault:
    """Break the store's writes (reads keep working), then mend them."""

    def __init__(self, kind: str, disk, path) -> None:
        self.kind, self.disk, self.path = kind, disk, path
        self._holder: sqlite3.Connection | None = None
        self.sentence = "is full" if kind == "full" else "is locked by another program"

    def start(self, world) -> None:
        if self.kind == "full":
            # Every write must grow a file: an empty WAL, then not one byte free.
            with world.store.engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            self.disk.fill()
        else:
            self._holder = sqlite3.connect(self.path, isolation_level=None)
            self._holder.execute("BEGIN IMMEDIATE")  # another program writing, for as long as it likes

    def stop(self) -> None:
        if self.kind == "full":
            self.disk.free()
        else:
            assert self._holder is not None
            self._holder.execute("ROLLBACK")
            self._holder.close()


@pytest.mark.parametrize("kind", ["full", "locked"])
async def test_a_store_that_refuses_writes_keeps_the_app_and_the_typing(tiny_disk, monkeypatch, kind):  # noqa: F811
    monkeypatch.setenv("SAGICC_BUSY_TIMEOUT", "0.3")
    path = tiny_disk.path / "store.db"
    world = await make_world(path)
    try:
        r = await world.incoming("lucia@x.com", "Me cobraron dos veces", name="Lucía Gómez")
        admin = await world.user("admin")
        fault = Fault(kind, tiny_disk, path)
        fault.start(world)
        app = make_app(world, poll_interval=3600)
        async with app.run_test(size=SIZE, notifications=True) as pilot:
            await settle(pilot)
            await pilot.press("enter")  # enter_ticket is a write: refused
            await settle(pilot, rounds=4)
            screen = app.screen
            assert isinstance(screen, TicketScreen), "the ticket did not open"
            said = [t for t in toasts_on_screen(app) if fault.sentence in t]
            assert len(said) == 1, toasts_on_screen(app)
            assert "What you typed stays here" in said[0]

            area = screen.query_one("#composer-text", TextArea)
            area.focus()
            await pilot.press(*TYPED)
            await pilot.pause(1.3)  # the draft is saved a second after typing stops: refused
            await settle(pilot)
            screen._beat()  # noqa: SLF001 - the heartbeat (every 10 s) is refused too
            await settle(pilot)
            assert app.is_running and app.screen is screen
            assert area.text == TYPED
            assert app.unsaved.get(admin, r.ticket_id, "composer")["text"] == TYPED
            # Said once, not once a write.
            assert len([t for t in toasts_on_screen(app) if fault.sentence in t]) == 1

            # Leaving: the draft cannot be written, so it stays in memory.
            await pilot.press("escape", "escape")
            await settle(pilot, rounds=4)
            assert app.is_running and isinstance(app.screen, TicketsScreen)
            assert app.unsaved.get(admin, r.ticket_id, "composer")["text"] == TYPED
            fault.stop()
            assert await world.backend.get_draft(admin, r.ticket_id, "composer") is None

            # Writes work again: the app hands the kept draft to the store by itself.
            app.retry_unsaved()
            await settle(pilot)
            draft = await world.backend.get_draft(admin, r.ticket_id, "composer")
            assert draft is not None and draft.data["text"] == TYPED
            assert len(app.unsaved) == 0
            await pilot.press("enter")
            await settle(pilot, rounds=4)
            assert app.screen.query_one("#composer-text", TextArea).text == TYPED
    finally:
        await world.aclose()


async def test_reopening_before_the_store_takes_it_shows_the_kept_draft(tiny_disk):  # noqa: F811
    path = tiny_disk.path / "store.db"
    world = await make_world(path)
    try:
        r = await world.incoming("lucia@x.com", "Me cobraron dos veces", name="Lucía Gómez")
        admin = await world.user("admin")
        await world.backend.save_draft(admin, r.ticket_id, "composer", {"text": "un borrador viejo"})
        fault = Fault("full", tiny_disk, path)
        fault.start(world)
        app = make_app(world, poll_interval=3600)
        async with app.run_test(size=SIZE, notifications=True) as pilot:
            await settle(pilot)
            await pilot.press("enter")
            await settle(pilot, rounds=4)
            area = app.screen.query_one("#composer-text", TextArea)
            assert area.text == "un borrador viejo"
            area.text = TYPED  # what the agent wrote instead
            await pilot.pause(1.3)
            await settle(pilot)
            await pilot.press("escape", "escape")
            await settle(pilot, rounds=4)
            await pilot.press("enter")  # still full: the kept draft, not the store's older one
            await settle(pilot, rounds=4)
            assert app.screen.query_one("#composer-text", TextArea).text == TYPED
            # Quitting with a kept draft asks first.
            await pilot.press("escape", "escape")
            await settle(pilot, rounds=3)
            await app.action_quit()
            await settle(pilot)
            assert app.is_running
            assert any("could not be saved yet" in t for t in toasts_on_screen(app))
            fault.stop()
    finally:
        await world.aclose()


async def test_a_read_only_store_is_one_sentence_and_the_app_stays(tmp_path):
    import subprocess

    from sagicc_tui.app import SagiccApp
    from sagicc_tui.local_store.backend import LocalBackend
    from tests.test_store_faults_cli import read_only_view

    rw = tmp_path / "rw"
    world = await make_world(rw / "store.db")
    await world.aclose()
    ro = read_only_view(rw, tmp_path / "ro")
    try:
        app = SagiccApp(open_backend=lambda: LocalBackend.open(str(ro / "store.db")), username="admin",
                        language="en", settings_path=tmp_path / "settings.json")
        async with app.run_test(size=SIZE, notifications=True) as pilot:
            await settle(pilot)
            said = toasts_on_screen(app)
            assert len(said) == 1 and "cannot be written (read-only" in said[0], said
            assert app.is_running
    finally:
        subprocess.run(["umount", str(ro)], capture_output=True)
