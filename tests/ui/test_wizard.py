"""#17.2: the preview -> confirm -> run -> result dialog (screens/wizard.py) under failure.

A defect (not a SagiccError) in the preview or the run is one sentence on the
dialog's error line and the step to go on from -- never a dialog stuck on
"Loading…"/"Merging…", never a traceback, nothing written. The Backend is the
real local store; only the one call is made to break, once."""

from __future__ import annotations

from sagicc_tui.domain.customers import list_item
from sagicc_tui.screens.customer_merge import CustomerMergeScreen
from tests.ui.conftest import make_app, settle


async def _dialog(world, pilot, app):
    a = await world.incoming("uno@x.co", "primero", name="Marta Ruiz")
    b = await world.incoming("dos@x.co", "segundo", name="Marta Ruiz")
    admin = await world.user("admin")
    items = [list_item(await world.backend.get_customer(admin, r.customer_id)) for r in (a, b)]
    dialog = CustomerMergeScreen(world.backend, admin, items)
    app.push_screen(dialog)
    await settle(pilot)
    return dialog, admin, (a, b)


def _break_once(monkeypatch, backend, name: str) -> None:
    real = getattr(backend, name)
    calls = []

    async def broken(*args, **kwargs):
        if not calls:
            calls.append(1)
            raise RuntimeError("connection reset")
        return await real(*args, **kwargs)

    monkeypatch.setattr(backend, name, broken)


async def test_a_defect_in_the_preview_goes_back_to_the_form_with_one_sentence(world, monkeypatch):
    app = make_app(world, poll_interval=3600)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        dialog, _admin, _made = await _dialog(world, pilot, app)
        _break_once(monkeypatch, world.backend, "preview_customer_merge")
        await pilot.press("p")
        await settle(pilot)
        assert app.is_running and app.screen is dialog
        assert dialog.step == "form"
        assert "RuntimeError" in dialog.error_text and "connection reset" in dialog.error_text
        await pilot.press("p")  # the same dialog goes on: the next preview works
        await settle(pilot)
        assert dialog.step == "preview" and dialog.error_text == ""
        assert dialog.can_confirm


async def test_a_defect_in_the_run_goes_back_to_the_preview_and_writes_nothing(world, monkeypatch):
    app = make_app(world, poll_interval=3600)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        dialog, admin, (a, b) = await _dialog(world, pilot, app)
        await pilot.press("p")
        await settle(pilot)
        assert dialog.can_confirm
        _break_once(monkeypatch, world.backend, "merge_customers")
        await pilot.press("y")
        await settle(pilot)
        assert app.is_running and app.screen is dialog
        assert dialog.step == "preview" and "RuntimeError" in dialog.error_text
        assert await world.backend.get_customer(admin, b.customer_id)  # both customers still there
        await pilot.press("y")
        await settle(pilot)
        assert dialog.step == "result" and dialog.result is not None
