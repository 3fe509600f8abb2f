"""A team from nothing, from the TUI (issue #18's done-when, Pilot; README "A team
on one server"), on SQLite and on PostgreSQL:

`sagicc init` -> the administrator opens the administration screen (A) on that
store and adds two agents and a supervisor, configures the campaign's task form,
channels, templates and a survey link, and issues a gateway's token -> `sagicc
serve` -> the agent signs in (`sagicc login`) and the TUI works on the server ->
a gateway ingests a message -> the agent replies from the TUI with the
campaign's template -> the supervisor redistributes from the TUI, the preview
first (nothing changes until confirmed).

init, login, ingest and serve are real `sagicc` processes; the TUIs run in this
process with Pilot, the agent's and supervisor's on the RemoteBackend against
the real server on 127.0.0.1, found the way `sagicc` finds it (the last login).
"""

from __future__ import annotations

import asyncio
import json
from types import SimpleNamespace

import pytest
from textual.widgets import Input, Select, TextArea

from sagicc_tui.app import SagiccApp
from sagicc_tui.screens.admin import AdminScreen, TokenShown
from sagicc_tui.screens.mass_action import MassActionScreen
from sagicc_tui.screens.ticket import TicketScreen
from sagicc_tui.screens.tickets import TicketsScreen
from tests.remote.test_team import team  # noqa: F401 - the fixture (SQLite and PostgreSQL)
from tests.remote.test_tui_remote import until
from tests.ui.conftest import settle, shown_numbers

SIZE = (140, 60)
PEOPLE = (("ana", "Ana Pérez", "agent"), ("beto", "Beto Ruiz", "agent"), ("sara", "Sara Gil", "supervisor"))


@pytest.fixture(autouse=True)
def _steady(monkeypatch):
    from textual.notifications import Notification

    # Keys right after leaving a ticket are dropped for a moment (#11.8); this test presses them on purpose.
    monkeypatch.setattr("sagicc_tui.screens.tickets.LEAVE_GRACE", 0)
    # A notice stays until the test has read it (on a loaded machine its seconds can pass mid-test).
    monkeypatch.setattr(Notification, "has_expired", property(lambda self: False))


def _app(open_backend, username, settings, **kw) -> SagiccApp:
    app = SagiccApp(open_backend=open_backend, username=username, language="en", settings_path=settings,
                    poll_interval=0.5, **kw)
    app.animation_level = "none"
    return app


def _cards_shown(app) -> int:
    """How many cards the list shows (0 while the list screen is still being built)."""
    from textual.css.query import NoMatches

    if not isinstance(app.screen, TicketsScreen):
        return 0
    try:
        return len(shown_numbers(app))
    except NoMatches:
        return 0


def notices(app) -> list[str]:
    return [n.message for n in app._notifications]


async def _administer(team) -> tuple[dict[str, str], str]:
    """The administrator builds the team on the store `init` made; returns the
    people's tokens and the gateway's, each read from the dialog that shows it once."""
    from sagicc_tui.local_store.backend import LocalBackend

    async def open_backend():
        return await asyncio.to_thread(LocalBackend, team.db)

    app = _app(open_backend, "olga", str(team.tmp / "olga-settings.json"))
    tokens: dict[str, str] = {}
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: isinstance(app.screen, TicketsScreen), "the list")
        await settle(pilot)
        await pilot.press("A")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, AdminScreen)
        for name, full, role in PEOPLE:
            screen.query_one("#user-name", Input).value = name
            screen.query_one("#user-full-name", Input).value = full
            screen.query_one("#user-role", Select).value = role
            screen.query_one("#user-campaigns", Input).value = "1"
            screen.query_one("#user-add").press()
            await settle(pilot)
            assert isinstance(app.screen, TokenShown), notices(app)
            tokens[name] = app.screen.query_one("#admin-token", Input).value
            await pilot.press("escape")
            await settle(pilot)

        await pilot.click("#admin-tabs Tab#--content-tab-tab-campaigns")
        await settle(pilot)
        screen.query_one("#camp-name", Input).value = "Soporte"
        screen.query_one("#camp-fields", TextArea).text = (
            "resultado:Resultado:choice:required:Resuelto|Pendiente\nvalor:Valor:number")
        screen.query_one("#camp-primary", Input).value = "resultado"
        screen.query_one("#camp-incoming", Input).value = "email,whatsapp"
        screen.query_one("#camp-outgoing", Input).value = "email"
        screen.query_one("#camp-templates", TextArea).text = (
            "Respuesta | Su caso {ticket_number} | Hola {customer_name}, revisamos el caso {ticket_number}.")
        screen.query_one("#camp-surveys", TextArea).text = "Satisfacción | https://encuestas.example.com/soporte"
        # A bad SLA first: one sentence, nothing saved, the typing kept.
        screen.query_one("#camp-sla", TextArea).text = "high -1 24"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert any("more than zero" in n for n in notices(app)), notices(app)
        assert screen.query_one("#camp-name", Input).value == "Soporte"
        screen.query_one("#camp-sla", TextArea).text = "high 2 24"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert any("Campaign Soporte saved" in n for n in notices(app)), notices(app)

        await pilot.click("#admin-tabs Tab#--content-tab-tab-gateways")
        await settle(pilot)
        screen.query_one("#gateway-name", Input).value = "correo-1"
        screen.query_one("#gateway-issue").press()
        await settle(pilot)
        assert isinstance(app.screen, TokenShown)
        gateway = app.screen.query_one("#admin-token", Input).value
        await pilot.press("escape")
        await settle(pilot)
        await app.action_quit()
    return tokens, gateway


def _login(team, who: str, token: str) -> None:
    team.sagicc("login", team.url, "--token-file", str(team.tmp / f"{who}.token"), who=who, stdin=token + "\n")


def _signed_in_app(team, who: str, monkeypatch) -> SagiccApp:
    """The TUI as `sagicc` opens it on this person's machine: the server and the
    token file of their last `sagicc login`."""
    from sagicc_tui.cli import _server_for
    from sagicc_tui.remote.session import RemoteSession

    for key, value in team.env(who).items():
        if key.startswith(("SAGICC_", "PYTHON_KEYRING")):
            monkeypatch.setenv(key, value)
    found = _server_for(SimpleNamespace(server=None, db=None))
    assert found is not None and found[0] == team.url
    session = RemoteSession(found[0], token_file=found[1], outbox_path=team.tmp / f"{who}-outbox.jsonl")
    app = _app(session.open_backend, session.username, str(team.tmp / f"{who}-settings.json"),
               remote_url=session.url, sign_in=session.sign_in)
    session.on_user = app.set_username
    return app


async def test_a_team_from_nothing_from_the_tui(team, monkeypatch):  # noqa: F811
    made = team.sagicc("init", "--db", team.db, "--admin", "olga", "--full-name", "Olga Admin")
    assert made.stdout.strip().startswith("sgc_")

    # 1. The administration screen, on the store init made.
    tokens, gateway = await _administer(team)
    users = {u["username"]: u for u in team.json("users", "--db", team.db)}
    assert {n: (users[n]["role"], users[n]["full_name"], users[n]["campaign_ids"]) for n, *_ in PEOPLE} == {
        n: (role, full, [1]) for n, full, role in PEOPLE}
    camp = team.json("campaigns", "show", "1", "--db", team.db, "--user", "olga")
    assert camp["name"] == "Soporte" and camp["primary_field"] == "resultado"
    assert [f["key"] for f in camp["task_fields"]] == ["resultado", "valor"]
    assert camp["incoming_channels"] == ["email", "whatsapp"] and camp["outgoing_channels"] == ["email"]
    assert [t["name"] for t in camp["templates"]] == ["Respuesta"]
    assert [s["url"] for s in camp["surveys"]] == ["https://encuestas.example.com/soporte"]

    # 2. Serve it; the agent and the supervisor sign in on their machines.
    await asyncio.to_thread(team.serve)
    _login(team, "ana", tokens["ana"])
    _login(team, "sara", tokens["sara"])

    # 3. Messages come in through the gateway whose token the screen issued.
    for i in range(3):
        line = json.dumps({"channel": "email", "from": f"c{i}@example.com", "text": f"Consulta {i}"})
        team.sagicc("ingest", "-", "--server", team.url, stdin=line + "\n", SAGICC_CHANNEL_TOKEN=gateway)
    line = json.dumps({"channel": "email", "from": "lucia@example.com", "name": "Lucía Gómez",
                       "subject": "Factura", "text": "Mi factura llegó duplicada"})
    team.sagicc("ingest", "-", "--server", team.url, stdin=line + "\n", SAGICC_CHANNEL_TOKEN=gateway)
    cards = team.json("tickets", "list", who="sara")
    lucia = next(c for c in cards if c["customer_name"] == "Lucía Gómez")

    # 4. The agent's TUI on the server: Lucía's ticket (the newest) first; she replies with the template.
    app = _signed_in_app(team, "ana", monkeypatch)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: _cards_shown(app) == 4, "the agent's list from the server")
        assert app.user.username == "ana"
        assert shown_numbers(app)[0] == lucia["number"]
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, TicketScreen), "the ticket screen")
        await settle(pilot)
        screen = app.screen
        screen.query_one("#composer-template", Select).value = "respuesta"
        await settle(pilot)
        text = screen.query_one("#composer-text", TextArea).text
        assert text == f"Hola Lucía Gómez, revisamos el caso {lucia['number']}."
        screen.query_one("#composer-survey", Select).value = "satisfaccion"
        await settle(pilot)
        screen.query_one("#composer-send").press()
        await settle(pilot)
        await until(pilot, lambda: screen.query_one("#composer-text", TextArea).text == "", "the reply sent")
        await pilot.press("escape")
        await settle(pilot)
        await app.action_quit()
    shown = team.json("tickets", "show", str(lucia["number"]), who="ana")
    sent = [i for i in shown["interactions"] if i["direction"] == "outgoing"]
    assert len(sent) == 1 and "revisamos el caso" in sent[0]["content"]
    assert "https://encuestas.example.com/soporte" in sent[0]["content"]
    assert sent[0]["subject"] == f"Su caso {lucia['number']}"

    # 5. The supervisor redistributes from the TUI: every ticket, among ana and beto; the preview first.
    before = {c["number"]: c["assignee_name"] for c in team.json("tickets", "list", who="sara")}
    assert before[lucia["number"]] == "Ana Pérez"  # replying took the ticket (#11.7)
    app = _signed_in_app(team, "sara", monkeypatch)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: _cards_shown(app) == 4, "the supervisor's list from the server")
        for key in ("T", "semicolon", "d"):
            await pilot.press(key)
            await settle(pilot)
        assert isinstance(app.screen, MassActionScreen)
        for name in ("ana", "beto"):
            await pilot.press(*name)
            await settle(pilot)
            await pilot.press("enter")
            await settle(pilot)
        await pilot.press("enter")  # Enter on the empty agent line: the preview
        await settle(pilot)
        mass = app.screen
        assert mass.step == "preview"
        changes = str(mass.query_one("#preview-changes").render())
        assert "Tickets for Ana Pérez: 2." in changes and "Tickets for Beto Ruiz: 2." in changes, changes
        # The preview changed nothing on the server.
        assert {c["number"]: c["assignee_name"] for c in team.json("tickets", "list", who="sara")} == before
        await pilot.press("y")
        await until(pilot, lambda: mass.step == "result", "the redistribution's result")
        await settle(pilot)
        await app.action_quit()
    after = team.json("tickets", "list", who="sara")
    assert sorted(c["assignee_name"] for c in after) == ["Ana Pérez", "Ana Pérez", "Beto Ruiz", "Beto Ruiz"]
