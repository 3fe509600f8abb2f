"""A team from nothing, with only the documented verbs (issue #18, README "A team
on one server"), on SQLite and on PostgreSQL:

init -> two agents and a supervisor -> a campaign's task form, channels and
templates -> serve -> an agent logs in -> a gateway ingests a message -> the
agent replies headless -> the supervisor redistributes, --dry-run first.

Every step is a real `sagicc` process; the server is a real `sagicc serve`.
The machine's default local store is a file that is not a store at all: a verb
that opened it instead of the server would fail, so "the local store is not
opened" cannot pass by accident.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.remote.test_cli_server import PATIENCE, free_port


class Team:
    def __init__(self, tmp_path: Path, db: str) -> None:
        self.tmp = tmp_path
        self.db = db
        self.homes: dict[str, Path] = {}
        data = tmp_path / "data"
        data.mkdir()
        # The default local store of every "machine" here: not a store. Opening it fails loudly.
        (data / "sagicc.db").write_bytes(b"this is not the store you asked for\n" * 10)
        self.data = data
        self.server: subprocess.Popen | None = None
        self.url = ""

    def env(self, who: str | None, **extra: str) -> dict[str, str]:
        home = self.tmp / f"home-{who or 'operator'}"
        home.mkdir(exist_ok=True)
        env = {k: v for k, v in os.environ.items() if not k.startswith("SAGICC_")}
        env.update(SAGICC_CONFIG_DIR=str(home / "config"), SAGICC_DATA_DIR=str(self.data), SAGICC_LANG="en",
                   NO_COLOR="1", PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring", **extra)
        return env

    def sagicc(self, *args: str, who: str | None = None, stdin: str = "", ok: bool = True,
               **extra: str) -> subprocess.CompletedProcess:
        p = subprocess.run([sys.executable, "-m", "sagicc_tui", *args], input=stdin, capture_output=True,
                           text=True, env=self.env(who, **extra), cwd=str(self.tmp), timeout=PATIENCE)
        if ok:
            assert p.returncode == 0, f"sagicc {' '.join(args)}: {p.returncode}\n{p.stdout}\n{p.stderr}"
        return p

    def json(self, *args: str, **kw) -> object:
        return json.loads(self.sagicc(*args, "--json", **kw).stdout)

    def serve(self) -> None:
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        self.log = open(self.tmp / "serve.log", "wb")  # noqa: SIM115 - closed in stop()
        self.server = subprocess.Popen([sys.executable, "-m", "sagicc_tui", "serve", "--db", self.db,
                                        "--port", str(port)], stdout=self.log, stderr=subprocess.STDOUT,
                                       env=self.env(None), cwd=str(self.tmp))
        deadline = time.monotonic() + PATIENCE
        while True:
            assert self.server.poll() is None, (self.tmp / "serve.log").read_text()
            try:
                if httpx.get(self.url + "/openapi.json", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "sagicc serve did not answer"
            time.sleep(0.1)

    def stop(self) -> None:
        if self.server is not None and self.server.poll() is None:
            self.server.terminate()
            self.server.wait(15)
            self.log.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def team(request, tmp_path):
    if request.param == "postgresql":
        from tests.support.pg import pg_store_url

        db = pg_store_url(request, empty=True)
    else:
        db = str(tmp_path / "srv" / "sagicc.db")
    t = Team(tmp_path, db)
    yield t
    t.stop()


def test_a_team_from_nothing_with_the_documented_verbs(team):
    db = team.db
    # Before init: every verb says to run it.
    missing = team.sagicc("users", "--db", db, ok=False) if "://" not in db else None
    if missing is not None:
        assert missing.returncode == 1 and "sagicc init" in missing.stderr

    # 1. init: the store, the first administrator (token once, on stdout), a campaign to start from.
    made = team.sagicc("init", "--db", db, "--admin", "olga", "--full-name", "Olga Admin")
    admin_token = made.stdout.strip()
    assert admin_token.startswith("sgc_") and made.stdout == admin_token + "\n"
    assert "Next:" in made.stderr and "users add" in made.stderr
    again = team.sagicc("init", "--db", db, "--admin", "otra", ok=False)
    assert again.returncode == 1 and "already has users" in again.stderr

    # 2. two agents and a supervisor.
    local = ("--db", db, "--user", "olga")
    tokens = {}
    for name, role in (("ana", "agent"), ("beto", "agent"), ("sara", "supervisor")):
        doc = team.json("users", "add", name, "--role", role, "--campaign", "1", *local)
        assert doc["user"]["username"] == name and doc["user"]["role"] == role
        tokens[name] = doc["token"]
    refused = team.sagicc("users", "add", "intruso", "--role", "administrator", "--db", db, "--user", "ana",
                          ok=False)
    assert refused.returncode == 1 and "Only administrators" in refused.stderr
    assert "intruso" not in team.sagicc("users", "--db", db).stdout

    # 3. the campaign: task form, channels, templates, an SLA; bad ones are one sentence each.
    team.sagicc("campaigns", "fields", "1", "--field", "resultado:Resultado:choice:required:Resuelto|Pendiente",
                "--field", "valor:Valor:number", *local)
    team.sagicc("campaigns", "edit", "1", "--name", "Soporte", "--incoming", "email,whatsapp",
                "--outgoing", "email", "--mass-close", "no", *local)
    team.sagicc("campaigns", "template", "1", "Respuesta", "--body", "Hola {customer_name}, revisamos el caso "
                "{ticket_number}.", "--subject", "Su caso {ticket_number}", *local)
    team.sagicc("campaigns", "sla", "1", "high", "--first-response", "2", "--resolution", "24", *local)
    for bad, words in ((("campaigns", "sla", "1", "low", "--first-response", "-1", "--resolution", "8"), "more than zero"),
                       (("campaigns", "template", "1", "respuesta", "--body", "Hola {customer_name}, revisamos el caso {ticket_number}.", "--subject", "Su caso {ticket_number}", "--channel", "email"), None),
                       (("campaigns", "fields", "1", "--field", "a:A:choice"), "no choices")):
        p = team.sagicc(*bad, *local, ok=words is None)
        if words:
            assert p.returncode == 1 and words in p.stderr and len(p.stderr.strip().splitlines()) == 1, p.stderr
    camp = team.json("campaigns", "show", "1", *local)
    assert camp["name"] == "Soporte" and camp["primary_field"] == "resultado"
    assert [t["name"] for t in camp["templates"]] == ["Greeting", "respuesta"]  # replaced by name, case-blind
    assert camp["incoming_channels"] == ["email", "whatsapp"] and camp["mass_close_allowed"] is False

    # 4. serve it; a gateway token; an agent logs in on their machine.
    gateway = team.sagicc("channels", "token", "correo-1", *local).stdout.strip()
    team.serve()
    team.sagicc("login", team.url, "--token-file", str(team.tmp / "ana.token"), who="ana", stdin=tokens["ana"] + "\n")
    team.sagicc("login", team.url, "--token-file", str(team.tmp / "sara.token"), who="sara",
                stdin=tokens["sara"] + "\n")

    # 5. a message comes in through the gateway.
    line = json.dumps({"channel": "email", "from": "lucia@example.com", "name": "Lucía Gómez",
                       "subject": "Factura", "text": "Mi factura llegó duplicada"})
    team.sagicc("ingest", "-", "--server", team.url, stdin=line + "\n", SAGICC_CHANNEL_TOKEN=gateway)
    for i in range(3):
        more = json.dumps({"channel": "email", "from": f"c{i}@example.com", "text": f"Consulta {i}"})
        team.sagicc("ingest", "-", "--server", team.url, stdin=more + "\n", SAGICC_CHANNEL_TOKEN=gateway)

    # The agent's headless verbs read the server (the local default store is not a store at all).
    cards = team.json("tickets", "list", who="ana")
    assert len(cards) == 4
    number = next(c["number"] for c in cards if c["customer_name"] == "Lucía Gómez")
    customers = team.json("customers", "list", who="ana")
    assert "Lucía" in {c["first_name"] for c in customers}
    server_side = httpx.post(team.url + "/api/v1/customers/count", json={"query": {}},
                             headers={"Authorization": f"Bearer {admin_token}"}, timeout=10).json()
    assert len(customers) == server_side == 4

    # 6. she replies headless with the campaign's template.
    sent = team.json("tickets", "reply", str(number), "--template", "respuesta", who="ana")
    assert sent["direction"] == "outgoing" and "revisamos el caso" in sent["content"]
    shown = team.json("tickets", "show", str(number), who="ana")
    assert [i["direction"] for i in shown["interactions"]] == ["incoming", "outgoing"]
    team.sagicc("tickets", "task", str(number), "--value", "resultado=Pendiente", who="ana")

    # 7. the supervisor redistributes: --dry-run first (nothing changes), then for real.
    numbers = [str(c["number"]) for c in cards]
    # Replying took Lucía's ticket for ana (#11.7); the others are unassigned.
    before = {c["number"]: c["assignee_id"] for c in team.json("tickets", "list", who="sara")}
    assert sorted(before.values(), key=str) == sorted([None, None, None, before[number]], key=str)
    assert before[number] is not None
    preview = team.json("tickets", "redistribute", *numbers, "--agents", "ana,beto", "--dry-run", who="sara")
    assert preview["total"] == 4
    assert {c["number"]: c["assignee_id"] for c in team.json("tickets", "list", who="sara")} == before
    done = team.json("tickets", "redistribute", "--query", "--status", "new,open", "--agents", "ana,beto",
                     "--seed", "3", who="sara")
    assert done["done"] == 4 and done["refused"] == 0
    assignees = {c["assignee_name"] for c in team.json("tickets", "list", who="sara")}
    assert assignees == {"ana", "beto"}
    # An agent may not redistribute: refused by the server, one sentence.
    p = team.sagicc("tickets", "redistribute", "--query", "--dry-run", who="ana", ok=False)
    assert p.returncode == 1 and "may not redistribute" in p.stderr
