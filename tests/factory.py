"""A small, hand-built store for rule and contract tests.

Built through the real store (SQLite file, real transactions). Campaigns and
users are inserted directly (there is no admin UI for them yet); tickets come
in through `ingest`, the same path a channel uses, then are shaped with plain
updates where a test needs a particular state.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, update

from sagicc_tui.backend import Backend
from sagicc_tui.domain.ingest import IncomingMessage
from sagicc_tui.domain.enums import ChannelType, FieldType, Priority, Role
from sagicc_tui.domain.models import AttachmentContent, Campaign, MessageTemplate, SlaRule, TaskField
from sagicc_tui.local_store import schema
from sagicc_tui.local_store.backend import LocalBackend
from sagicc_tui.local_store.convert import campaign_to_config
from sagicc_tui.private_files import open_private, private_dir

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


class Clock:
    """An injected clock tests can move."""

    def __init__(self, at: datetime = NOW) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at

    def advance(self, **kw: float) -> None:
        self.at += timedelta(**kw)


SERVICE = Campaign(
    id=1, name="Servicio", view_all_tickets=False, mass_close_allowed=True,
    task_fields=(
        TaskField(key="resultado", label="Resultado", type=FieldType.CHOICE, required=True,
                  choices=("Solucionado", "Pendiente", "Escalado")),
        TaskField(key="valor", label="Valor", type=FieldType.NUMBER),
        TaskField(key="compromiso", label="Compromiso", type=FieldType.DATE),
    ),
    primary_field="resultado",
    incoming_channels=(ChannelType.EMAIL, ChannelType.WHATSAPP),
    outgoing_channels=(ChannelType.EMAIL, ChannelType.WHATSAPP),
    script="Saluda al cliente.",
    sla_rules=(SlaRule(priority=Priority.MEDIUM, first_response_minutes=60, resolution_minutes=600),),
    templates=(MessageTemplate(key="hola", name="Hola", body="Hola {customer_name}, caso {ticket_number}."),),
)
SALES = Campaign(
    id=2, name="Ventas", view_all_tickets=True, mass_close_allowed=False,
    task_fields=(TaskField(key="interes", label="Interés", type=FieldType.CHOICE, required=False,
                           choices=("Alto", "Bajo")),),
    primary_field="interes",
    incoming_channels=(ChannelType.TELEPHONY,),
    outgoing_channels=(ChannelType.TELEPHONY,),
)

USERS = [
    # id, username, name, role, campaigns
    (1, "admin", "Ada Admin", Role.ADMINISTRATOR, (1, 2)),
    (2, "sofia", "Sofía Supervisora", Role.SUPERVISOR, (1, 2)),
    (3, "ana", "Ana Agente", Role.AGENT, (1,)),
    (4, "bruno", "Bruno Agente", Role.AGENT, (1,)),
    (5, "carla", "Carla Ventas", Role.AGENT, (2,)),
    (6, "diego", "Diego Ambos", Role.AGENT, (1, 2)),
]


@dataclass
class World:
    """`backend` is the Backend under test (the local store, or a remote client
    of a real server); `local` is the store behind it, for setting up states
    the contract has no verb for. `path` is the store's file or URL."""

    backend: Backend
    clock: Clock
    path: str
    local: LocalBackend | None = None
    kind: str = "local"
    _others: list = field(default_factory=list)
    _other_factory: object = None
    _closers: list = field(default_factory=list)  # run after the backend closes, before the store

    def __post_init__(self) -> None:
        if self.local is None:
            self.local = self.backend

    @property
    def store(self):
        return self.local.store

    async def other_terminal(self) -> Backend:
        """A second client of the same store (another terminal or machine)."""
        if self._other_factory is not None:
            other = await self._other_factory()
        else:
            other = await LocalBackend.open(self.path, clock=self.clock, blob_dir=self.store.blob_dir)
        self._others.append(other)
        return other

    async def aclose(self) -> None:
        for other in self._others:
            await other.aclose()
        if self.backend is not self.local:
            await self.backend.aclose()
        for close in self._closers:
            await close()
        await self.local.aclose()

    async def interactions(self, user, ticket_id: int) -> list:
        """The ticket's own interactions in the order they were stored (by id), as
        list_interactions gave them: the conversation orders by the messages' own
        times, and a mail's Date can be older than a reply sent before it arrived."""
        out, after = [], None
        while True:
            page = await self.backend.conversation(user, ticket_id, after_key=after)
            out += [item.interaction for item in page.items]
            if page.next_key is None:
                return sorted(out, key=lambda i: i.id)
            after = page.next_key

    async def user(self, username: str):
        return await self.backend.get_user(username)

    def sql(self, stmt, params=None):
        with self.store.write() as conn:
            return conn.execute(stmt, params or {})

    def set_ticket(self, ticket_id: int, **values) -> None:
        with self.store.write() as conn:
            conn.execute(update(schema.ticket).where(schema.ticket.c.id == ticket_id).values(**values))

    async def incoming(self, sender: str, text: str, channel=ChannelType.EMAIL, name: str = "", **kw):
        self.clock.advance(minutes=1)
        return await self.backend.ingest(
            IncomingMessage(channel=channel, sender=sender, text=text, name=name, at=self.clock(), **kw)
        )



def attached(name: str, data: bytes) -> AttachmentContent:
    """A file as a channel or the composer gives it to the Backend: its content."""
    return AttachmentContent(name=name, mime="application/octet-stream", data=data)


def seed_reference(backend: LocalBackend) -> None:
    with backend.store.write() as conn:
        for c in (SERVICE, SALES):
            conn.execute(insert(schema.CampaignRow.__table__).values(id=c.id, name=c.name, config=campaign_to_config(c)))
        for uid, username, name, role, camps in USERS:
            conn.execute(insert(schema.UserRow.__table__).values(id=uid, username=username, full_name=name, role=role.value))
            for cid in camps:
                conn.execute(insert(schema.CampaignMember.__table__).values(user_id=uid, campaign_id=cid))
        if conn.dialect.name == "postgresql":  # explicit ids above: move the sequences past them
            for table in ("campaign", "app_user"):
                conn.exec_driver_sql(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                     f"(SELECT max(id) FROM {table}))")


_TEMPLATE: dict[str, Path] = {}


async def _template() -> Path:
    """This process's seeded SQLite store, built once through the real store (migrations,
    seed_reference) and copied for each world: the same tables and rows a fresh build
    gives, without repeating its CPU and its fsyncs in every test."""
    if "sqlite" not in _TEMPLATE:
        folder = Path(tempfile.mkdtemp(prefix="sagicc-template-"))
        atexit.register(shutil.rmtree, folder, True)
        path = folder / "store.db"
        backend = await LocalBackend.open(str(path))
        seed_reference(backend)
        await backend.aclose()  # the last connection closes: the WAL is folded into the file
        assert not path.with_name("store.db-wal").exists()
        _TEMPLATE["sqlite"] = path
    return _TEMPLATE["sqlite"]


async def _copy_template(path: Path) -> None:
    template = await _template()
    private_dir(path.parent)
    with open(template, "rb") as src, open_private(path, exclusive=True) as dst:
        shutil.copyfileobj(src, dst)


async def make_world(path, *, blob_dir=None) -> World:
    clock = Clock()
    fresh_file = "://" not in str(path) and not Path(path).exists()
    if fresh_file:
        await _copy_template(Path(path))
    backend = await LocalBackend.open(str(path), clock=clock, blob_dir=blob_dir)
    if not fresh_file:
        seed_reference(backend)
    return World(backend, clock, str(path))
