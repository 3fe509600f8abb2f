"""A real server on 127.0.0.1 over a seeded store, for the HTTP-level tests.

`served` (one per module) yields `(base_url, tokens, ids)`:

- `tokens`: a bearer token per user of tests/factory.py, plus "channel" (a
  channel-gateway token, only good for POST /api/v1/inbound);
- `ids`: a `Seed`: the shared objects (`ids.tickets[...]`, `ids.customers`,
  ...) and methods that make fresh ones for a test that changes or deletes what
  it touches (`ids.ticket("ana")`, `ids.bare_customer()`, `ids.note(...)`).

Seeding goes through the store's own functions (ingest, notes, attachments,
customers), in this thread, on the same store file the server reads.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from sqlalchemy import select, update

from sagicc_tui.domain.ingest import IncomingMessage
from sagicc_tui.channels.driver import DeliveryReport
from sagicc_tui.domain.customers import AccountInput, ContactInput, CustomerInput
from sagicc_tui.domain.enums import (
    ChannelType,
    ContactKind,
    CustomerStatus,
    DeliveryState,
    IdType,
)
from sagicc_tui.domain.messages import N_, msg
from sagicc_tui.domain.models import TaskInput, User
from sagicc_tui.domain.query import TicketQuery
from sagicc_tui.domain.ticket_screen import OutgoingMessage
from sagicc_tui.local_store import (
    attachments,
    customers,
    notes,
    outgoing,
    schema,
    ticket_actions,
    ticket_extras,
    views,
)
from sagicc_tui.local_store.ingest import ingest
from sagicc_tui.server.app import create_app
from tests.factory import USERS, World, attached, make_world
from tests.support.remote_world import ServerThread, user_tokens

USER_IDS = {username: uid for uid, username, *_ in USERS}

#: The acting user of each role in the matrix and the schemathesis runs.
ACTORS = {"administrator": "admin", "supervisor": "sofia", "agent": "ana"}


@dataclass(frozen=True)
class TicketRef:
    id: int
    number: int
    campaign_id: int
    customer_id: int
    owner: str | None  # the assignee's username; None: unassigned
    contact_id: int  # the customer's contact the ticket came from
    email_contact_id: int  # one of the customer's e-mail contacts (transcripts)
    interaction_id: int  # the incoming message that opened it
    channel: ChannelType


@dataclass
class Seed:
    """The seeded objects of one store, and factories for fresh ones."""

    world: World
    tmp: Path
    tickets: dict[str, TicketRef] = field(default_factory=dict)
    notes: dict[str, int] = field(default_factory=dict)  # ticket key -> a note by its owner (or admin)
    colleague_notes: dict[str, int] = field(default_factory=dict)  # ticket key -> a note by bruno
    attachments: dict[str, int] = field(default_factory=dict)  # ticket key -> a file added by hand
    message_attachments: dict[str, int] = field(default_factory=dict)  # ticket key -> a file a message brought
    views: dict[str, int] = field(default_factory=dict)  # username -> a saved view
    bare_customer_id: int = 0  # a customer without tickets
    contact_ids: dict[str, int] = field(default_factory=dict)
    _n: itertools.count = field(default_factory=lambda: itertools.count(1))

    # --- plumbing -----------------------------------------------------------------
    @property
    def store(self):
        return self.world.store

    def user(self, conn, username: str) -> User:
        found = self.store.user_by_id(conn, USER_IDS[username])
        assert found is not None
        return found

    def next(self) -> int:
        return next(self._n)

    def _contact(self, conn, customer_id: int, kind: ContactKind) -> int | None:
        ct = schema.ContactRow.__table__.c
        return conn.execute(select(ct.id).where(ct.customer_id == customer_id, ct.kind == kind.value)
                            .order_by(ct.id).limit(1)).scalar()

    # --- fresh objects ------------------------------------------------------------
    def ticket(self, owner: str | None, campaign_id: int = 1, *, customer_id: int | None = None) -> TicketRef:
        """A new ticket (a new customer's message) in the campaign, assigned to `owner`."""
        n = self.next()
        self.world.clock.advance(minutes=1)
        if campaign_id == 1:
            channel, sender = ChannelType.EMAIL, f"cliente{n}@example.com"
        else:
            channel, sender = ChannelType.TELEPHONY, f"+57 310 {n:07d}"
        result = ingest(self.store, IncomingMessage(channel=channel, sender=sender, text=f"Hola, caso {n}",
                                                    name=f"Cliente{n} Prueba", subject=f"Caso {n}",
                                                    at=self.world.clock()))
        assert result.new_ticket
        values: dict[str, Any] = {"assignee_id": USER_IDS[owner] if owner else None}
        if customer_id is not None:
            values["customer_id"] = customer_id
        self.world.set_ticket(result.ticket_id, **values)
        cid = customer_id or result.customer_id
        with self.store.write() as conn:
            contact = self._contact(conn, result.customer_id, ContactKind.EMAIL if campaign_id == 1
                                    else ContactKind.MOBILE)
            email = self._contact(conn, cid, ContactKind.EMAIL)
            if email is None:  # a telephony customer: give them an address for transcripts
                admin = self.user(conn, "admin")
                email = customers.add_contact(self.store, conn, admin, cid, ContactInput(
                    kind=ContactKind.EMAIL, value=f"correo{n}@example.com")).id
            it = schema.InteractionRow.__table__.c
            interaction = conn.execute(select(it.id).where(it.ticket_id == result.ticket_id)).scalar()
        return TicketRef(result.ticket_id, result.ticket_number, campaign_id, cid, owner, contact, email,
                         interaction, channel)

    def bare_customer(self, *, disabled: bool = False) -> int:
        """A new customer without tickets, with one e-mail contact and one account."""
        n = self.next()
        with self.store.write() as conn:
            admin = self.user(conn, "admin")
            c = customers.create(self.store, conn, admin, CustomerInput(
                id_type=IdType.CC, id_number=str(50_000_000 + n), first_name="Nadia", last_name=f"Sin{n}"), False)
            customers.add_contact(self.store, conn, admin, c.id, ContactInput(
                kind=ContactKind.EMAIL, value=f"nadia{n}@example.com"))
            customers.add_account(self.store, conn, admin, c.id, AccountInput(number=f"AC-{n}"))
            if disabled:
                conn.execute(update(schema.CustomerRow.__table__).where(schema.CustomerRow.__table__.c.id == c.id)
                             .values(status=CustomerStatus.DISABLED.value))
        return c.id

    def note(self, ticket: TicketRef, author: str) -> int:
        """A note by `author` (written as admin, then credited: e.g. bruno's note from when the
        ticket was his, on a ticket he can no longer see)."""
        with self.store.write() as conn:
            note_id = notes.add(self.store, conn, self.user(conn, "admin"), ticket.id, f"nota de {author}",
                                "yellow").id
            nt = schema.NoteRow.__table__
            conn.execute(update(nt).where(nt.c.id == note_id).values(author_id=USER_IDS[author]))
            return note_id

    def attachment(self, ticket: TicketRef, author: str = "admin") -> int:
        """A file added by hand (removable)."""
        n = self.next()
        ((f, digest),) = attachments.check_and_store(self.store, (attached(f"adjunto{n}.txt", f"adjunto {n}\n".encode()),))
        with self.store.write() as conn:
            return attachments.add(self.store, conn, self.user(conn, author), ticket.id, f, digest).id

    def message_attachment(self, ticket: TicketRef) -> int:
        """A file that came with the customer's message (stays with it: not removable)."""
        n = self.next()
        with self.store.write() as conn:
            c = conn.execute(select(schema.ContactRow.__table__.c.value)
                             .where(schema.ContactRow.__table__.c.id == ticket.contact_id)).scalar()
        self.world.clock.advance(minutes=1)
        result = ingest(self.store, IncomingMessage(channel=ticket.channel, sender=c, text="adjunto la factura",
                                                    at=self.world.clock(),
                                                    attachments=(attached(f"factura{n}.txt", f"factura {n}\n".encode()),)))
        assert result.ticket_id == ticket.id
        at = schema.AttachmentRow.__table__.c
        with self.store.read() as conn:
            return conn.execute(select(at.id).where(at.ticket_id == ticket.id, at.interaction_id.is_not(None))
                                .order_by(at.id.desc()).limit(1)).scalar()

    def view(self, owner: str) -> int:
        with self.store.write() as conn:
            return views.save_view(self.store, conn, self.user(conn, owner), f"vista {self.next()}",
                                   TicketQuery(campaign_ids=(1,))).id

    def external_link(self, ticket: TicketRef) -> str:
        """A working external-view link of the ticket, shared by an administrator."""
        from sagicc_tui.i18n import _

        with self.store.write() as conn:
            return ticket_extras.external_view(self.store, conn, self.user(conn, "admin"), ticket.id, _).token

    def failed_message(self, ticket: TicketRef) -> int:
        """An outgoing message whose delivery failed (retry_delivery sends it again)."""
        key = f"fallido-{self.next()}"
        with self.store.write() as conn:
            admin = self.user(conn, "admin")
            if ticket.campaign_id == 1:
                message = OutgoingMessage(client_key=key, channel=ChannelType.EMAIL, contact=ticket.contact_id,
                                          text="hola", subject="Caso")
            else:
                message = OutgoingMessage(client_key=key, channel=ChannelType.TELEPHONY, contact=ticket.contact_id,
                                          text="hola")
            prepared = outgoing.prepare_send(self.store, conn, admin, ticket.id, message, [])
        with self.store.write() as conn:
            outgoing.finish(self.store, conn, self.user(conn, "admin"), prepared.interaction.id,
                            DeliveryReport(DeliveryState.FAILED, msg(N_("The gateway refused it."))))
        return prepared.interaction.id

    def relation(self, customer_id: int) -> int:
        other = self.bare_customer()
        with self.store.write() as conn:
            return customers.add_relation(self.store, conn, self.user(conn, "admin"), customer_id, other, "socio").id

    def contact(self, customer_id: int) -> int:
        with self.store.write() as conn:
            return customers.add_contact(self.store, conn, self.user(conn, "admin"), customer_id, ContactInput(
                kind=ContactKind.PHONE, value=f"601 {self.next():07d}")).id

    def account(self, customer_id: int) -> int:
        with self.store.write() as conn:
            return customers.add_account(self.store, conn, self.user(conn, "admin"), customer_id,
                                         AccountInput(number=f"CU-{self.next()}")).id

    def ticket_row(self, ticket_id: int) -> Any:
        with self.store.read() as conn:
            return conn.execute(select(schema.ticket).where(schema.ticket.c.id == ticket_id)).one()

    def users(self) -> dict[str, User]:
        with self.store.read() as conn:
            return {u.username: u for u in self.store.users(conn)}

    def campaigns(self):
        with self.store.read() as conn:
            return self.store.campaigns(conn)


#: The shared tickets: key -> (owner, campaign).
SHARED = {
    "admin": ("admin", 1), "sofia": ("sofia", 1), "ana": ("ana", 1),
    "bruno": ("bruno", 1),  # in campaign 1, not ana's: outside an agent's L2 scope
    "unassigned": (None, 1),  # in campaign 1, nobody's: inside ana's scope
    "campaign2": ("carla", 2),  # Ventas (View All Tickets on): ana is not a member
}


def seed(world: World, tmp: Path) -> Seed:
    s = Seed(world, tmp)
    for key, (owner, campaign) in SHARED.items():
        t = s.tickets[key] = s.ticket(owner, campaign)
        s.notes[key] = s.note(t, owner or "admin")
        if key in ACTORS.values():  # a colleague's note on the actor's own ticket
            s.colleague_notes[key] = s.note(t, "bruno")
        s.attachments[key] = s.attachment(t)
        s.message_attachments[key] = s.message_attachment(t)
        with world.store.write() as conn:  # a scheduled next task (agenda, task history)
            values = {"resultado": "Pendiente"} if campaign == 1 else {"interes": "Alto"}
            ticket_actions.add_task(world.store, conn, s.user(conn, "admin"), t.id, TaskInput(
                values=values, observations="llamar", next_task_at=world.clock() + timedelta(days=1)), None)
    for username in ACTORS.values():
        s.views[username] = s.view(username)
    s.views["bruno"] = s.view("bruno")
    s.bare_customer_id = s.bare_customer()
    # Leak bait: ana's customer also has a ticket of bruno's, related to ana's ticket. Ana may read the
    # customer (customers are shared), but never that ticket, its messages or files, through any door.
    ana = s.tickets["ana"]
    s.tickets["ana_customer_bruno"] = bait = s.ticket("bruno", 1, customer_id=ana.customer_id)
    s.attachment(bait)
    with world.store.write() as conn:
        ticket_extras.relate(world.store, conn, s.user(conn, "admin"), ana.id, bait.number)
        ticket_extras.relate(world.store, conn, s.user(conn, "admin"), ana.id, s.tickets["campaign2"].number)
        ticket_actions.add_task(world.store, conn, s.user(conn, "admin"), bait.id, TaskInput(
            values={"resultado": "Pendiente"}, next_task_at=world.clock() + timedelta(days=2)), None)
    return s


class Served(NamedTuple):
    base_url: str
    tokens: dict[str, str]
    ids: Seed


@contextmanager
def serve(tmp: Path):
    """A seeded store behind a real server on 127.0.0.1 (its own world and files)."""
    tmp.mkdir(parents=True, exist_ok=True)
    world = asyncio.run(make_world(tmp / "store.db", blob_dir=tmp / "files"))
    server = None
    try:
        ids = seed(world, tmp)
        tokens, channel = user_tokens(world)
        server = ServerThread(create_app(world.local))
        url = server.start()
        yield Served(url, {**tokens, "channel": channel}, ids)
    finally:
        if server is not None:
            asyncio.run(server.stop())
        asyncio.run(world.aclose())


@pytest.fixture(scope="module")
def served(tmp_path_factory, monkeypatch_module):
    with serve(tmp_path_factory.mktemp("served")) as s:
        yield s


@pytest.fixture(scope="module")
def monkeypatch_module():
    """No SMTP gateway from the environment: outgoing messages are RECORDED, never sent."""
    mp = pytest.MonkeyPatch()
    import os

    for name in list(os.environ):
        if name.startswith("SAGICC_SMTP"):
            mp.delenv(name)
    yield mp
    mp.undo()


def problem(response) -> dict[str, Any]:
    """The problem document of an error response (asserting it is one)."""
    assert response.headers.get("content-type", "").startswith("application/problem+json"), (
        response.status_code, response.headers.get("content-type"), response.text[:300])
    doc = json.loads(response.text)
    assert doc["status"] == response.status_code, doc
    return doc


def pytest_terminal_summary(terminalreporter):
    """The schemathesis case counts, shown even with -q."""
    import sys

    module = sys.modules.get("tests.server.test_schemathesis")
    summary = getattr(module, "SUMMARY", None)
    if summary:
        terminalreporter.section("schemathesis cases per role")
        for username, s in summary.items():
            terminalreporter.write_line(f"{username}: {s['cases']} cases over {s['operations']} operations, "
                                        f"{s['failures']} distinct failures")
