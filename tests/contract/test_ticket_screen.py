"""The ticket management screen's backend (T1-T15), through the Backend contract."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import insert, select, update

from sagicc_tui.channels.driver import ChannelDrivers
from sagicc_tui.domain.customers import ContactInput
from sagicc_tui.domain.enums import (
    AgentStatus,
    ChangeKind,
    ChannelType,
    ContactKind,
    DeliveryState,
    Direction,
    EntityKind,
    IdType,
    NoteColor,
    TicketStatus,
)
from sagicc_tui.domain.errors import InvalidInput, NotFound, PermissionDenied, RuleViolation, StaleWrite
from sagicc_tui.domain.models import Survey, TaskInput
from sagicc_tui.domain.ticket_changes import TicketChanges
from sagicc_tui.domain.ticket_screen import MAX_ATTACHMENT_BYTES, PRESENCE_TTL, WRITING_TTL, OutgoingMessage
from sagicc_tui.files import attach_file, save_attachment_to
from sagicc_tui.local_store import schema
from sagicc_tui.local_store.backend import LocalBackend
from sagicc_tui.local_store.convert import campaign_to_config
from tests.factory import SERVICE, attached


@pytest.fixture(autouse=True)
def _record_only(world):
    # No gateway: every channel records (never reads SAGICC_SMTP_* from the machine).
    world.local.configure_channels(ChannelDrivers())


def set_campaign(world, campaign=SERVICE, **changes) -> None:
    c = replace(campaign, **changes)
    tb = schema.CampaignRow.__table__
    world.sql(update(tb).where(tb.c.id == c.id).values(config=campaign_to_config(c)))


def contact_id(world, value: str) -> int:
    ct = schema.ContactRow.__table__
    with world.store.read() as conn:
        return conn.execute(select(ct.c.id).where(ct.c.value == value)).scalar_one()


async def log_kinds(world, ticket_id: int) -> list[ChangeKind]:
    admin = await world.user("admin")
    return [e.kind for e in await world.backend.change_log(admin, EntityKind.TICKET, ticket_id)]


def msg(key="k1", channel=ChannelType.EMAIL, contact="a@x.com", text="Hola", subject="Su caso", **kw):
    return OutgoingMessage(client_key=key, channel=channel, contact=contact, text=text, subject=subject, **kw)


# --- T1 agent status and presence ---------------------------------------------------------


async def test_entering_sets_busy_and_manual_available_is_refused_until_exit(world):
    r = await world.incoming("a@x.com", "hola")
    r2 = await world.incoming("b@x.com", "otro")
    b = world.backend
    ana = await world.user("ana")
    assert (await b.enter_ticket(ana, r.ticket_id)).status is AgentStatus.BUSY
    with pytest.raises(RuleViolation) as err:
        await b.set_agent_status(ana, AgentStatus.AVAILABLE)
    assert f"#{r.ticket_number}" in str(err.value)
    assert (await b.set_agent_status(ana, AgentStatus.BUSY)).status is AgentStatus.BUSY
    # Inside two tickets (two terminals): leaving one keeps me Busy.
    await b.enter_ticket(ana, r2.ticket_id)
    assert (await b.leave_ticket(ana, r.ticket_id)).status is AgentStatus.BUSY
    assert (await b.leave_ticket(ana, r2.ticket_id)).status is AgentStatus.AVAILABLE
    assert (await b.set_agent_status(ana, AgentStatus.AVAILABLE)).status is AgentStatus.AVAILABLE


async def test_a_vanished_terminal_or_a_closed_ticket_no_longer_holds_busy(world):
    r = await world.incoming("a@x.com", "hola")
    ana, admin = await world.user("ana"), await world.user("admin")
    await world.backend.enter_ticket(ana, r.ticket_id)
    world.clock.advance(seconds=PRESENCE_TTL + 1)  # no heartbeat: the terminal went away
    assert (await world.backend.set_agent_status(ana, AgentStatus.AVAILABLE)).status is AgentStatus.AVAILABLE
    await world.backend.enter_ticket(ana, r.ticket_id)
    t = await world.backend.get_ticket(admin, r.ticket_id)
    await world.backend.close_ticket(admin, t.id, expected_version=t.version)
    assert (await world.backend.set_agent_status(ana, AgentStatus.AVAILABLE)).status is AgentStatus.AVAILABLE


async def test_a_busy_left_by_a_silent_terminal_reads_available_after_the_timeout(world):
    """#10.9: every read of the user (the top bar, `sagicc users`) stops saying
    Busy once the terminal that entered stopped heart-beating; a Busy chosen
    by hand (no presence) stays Busy."""
    r = await world.incoming("a@x.com", "hola")
    world.set_ticket(r.ticket_id, assignee_id=3)
    b = world.backend
    ana, bruno, sofia = await world.user("ana"), await world.user("bruno"), await world.user("sofia")
    await b.enter_ticket(ana, r.ticket_id)
    await b.set_agent_status(bruno, AgentStatus.BUSY)
    world.clock.advance(seconds=PRESENCE_TTL - 1)
    assert (await world.user("ana")).status is AgentStatus.BUSY
    world.clock.advance(seconds=2)  # Ana's terminal went away without Exit
    assert (await world.user("ana")).status is AgentStatus.AVAILABLE
    statuses = {u.username: u.status for u in await b.list_users()}
    assert (statuses["ana"], statuses["bruno"]) == (AgentStatus.AVAILABLE, AgentStatus.BUSY)
    await b.enter_ticket(sofia, r.ticket_id)  # any presence write sweeps the dead one
    assert await b.heartbeat(sofia, r.ticket_id) == ()
    assert (await world.user("ana")).status is AgentStatus.AVAILABLE
    assert (await world.user("bruno")).status is AgentStatus.BUSY


# --- T2 header, T15 presence ------------------------------------------------------------------


async def test_header_shows_customer_alerts_and_who_else_is_inside(world):
    r = await world.incoming("a@x.com", "hola", name="Lucía Gómez")
    other = await world.incoming("z@x.com", "segundo")
    world.set_ticket(other.ticket_id, customer_id=r.customer_id)  # the customer now has two open tickets
    cu = schema.CustomerRow.__table__
    world.sql(update(cu).where(cu.c.id == r.customer_id).values(id_type="cc", id_number="1020"))
    acc = schema.AccountRow.__table__
    acc_id = world.sql(insert(acc).values(customer_id=r.customer_id, number="ACC-9")).inserted_primary_key[0]
    world.set_ticket(r.ticket_id, account_id=acc_id, assignee_id=3)
    ana = await world.user("ana")
    b = world.backend

    h = await b.ticket_header(ana, r.ticket_id)
    assert (h.customer_name, h.customer_id_type, h.customer_id_number) == ("Lucía Gómez", IdType.CC, "1020")
    assert h.account_number == "ACC-9" and h.assignee_name == "Ana Agente" and h.campaign_name == "Servicio"
    assert h.open_tickets_of_customer == 2 and h.several_open_tickets
    assert not h.sla_breached and h.others_viewing == () and h.last_survey_at is None

    # Sofía (a supervisor sees everything) opens it too; each sees the other.
    sofia = await world.user("sofia")
    await b.enter_ticket(ana, r.ticket_id)
    await b.enter_ticket(sofia, r.ticket_id)
    assert [p.user_name for p in (await b.ticket_header(ana, r.ticket_id)).others_viewing] == ["Sofía Supervisora"]
    assert [p.user_name for p in await b.heartbeat(sofia, r.ticket_id)] == ["Ana Agente"]
    world.clock.advance(seconds=PRESENCE_TTL - 5)
    await b.heartbeat(ana, r.ticket_id)
    world.clock.advance(seconds=10)  # Sofía stopped beating; Ana did not
    assert (await b.ticket_header(ana, r.ticket_id)).others_viewing == ()
    assert [p.user_name for p in (await b.ticket_header(sofia, r.ticket_id)).others_viewing] == ["Ana Agente"]

    # An hour without an answer breaks the campaign's 60-minute first-response SLA.
    world.clock.advance(hours=2)
    assert (await b.ticket_header(ana, r.ticket_id)).sla_breached
    # Reassigned away from Ana: her heartbeat says so (NotFound), the screen exits.
    world.set_ticket(r.ticket_id, assignee_id=4)
    with pytest.raises(NotFound):
        await b.heartbeat(ana, r.ticket_id)


# --- scope and closed tickets, for every method -------------------------------------------------


def _calls(ticket_id, number, tmp_file):
    return {
        "enter_ticket": lambda b, u: b.enter_ticket(u, ticket_id),
        "heartbeat": lambda b, u: b.heartbeat(u, ticket_id),
        "ticket_header": lambda b, u: b.ticket_header(u, ticket_id),
        "ticket_activity": lambda b, u: b.ticket_activity(u, ticket_id),
        "conversation": lambda b, u: b.conversation(u, ticket_id),
        "mark_read": lambda b, u: b.mark_read(u, ticket_id),
        "send_message": lambda b, u: b.send_message(u, ticket_id, msg(key=f"scope-{id(u)}")),
        "save_draft": lambda b, u: b.save_draft(u, ticket_id, "composer", {"text": "x"}),
        "get_draft": lambda b, u: b.get_draft(u, ticket_id, "composer"),
        "list_notes": lambda b, u: b.list_notes(u, ticket_id),
        "add_note": lambda b, u: b.add_note(u, ticket_id, "nota", "yellow"),
        "list_attachments": lambda b, u: b.list_attachments(u, ticket_id),
        "add_attachment": lambda b, u: b.add_attachment(u, ticket_id, "f.txt", b"x"),
        "related_tickets": lambda b, u: b.related_tickets(u, ticket_id),
        "relate_ticket": lambda b, u: b.relate_ticket(u, ticket_id, number),
        "external_view": lambda b, u: b.external_view(u, ticket_id),
        "send_transcript": lambda b, u: b.send_transcript(u, ticket_id, 1),
        "reassign_ticket": lambda b, u: b.reassign_ticket(u, ticket_id, assignee_id=None, expected_version=99),
        "list_tasks_page": lambda b, u: b.list_tasks_page(u, ticket_id),
    }


@pytest.mark.parametrize("method", sorted(_calls(0, 0, "").keys()))
async def test_agent_cannot_touch_a_ticket_outside_their_scope(world, tmp_path, method):
    theirs = await world.incoming("b@x.com", "de Bruno")
    mine = await world.incoming("a@x.com", "mío")
    world.set_ticket(theirs.ticket_id, assignee_id=4)  # bruno's: outside ana's scope
    (tmp_path / "f.txt").write_text("x")
    ana = await world.user("ana")
    call = _calls(theirs.ticket_id, mine.ticket_number, tmp_path / "f.txt")[method]
    with pytest.raises(NotFound):
        await call(world.backend, ana)


@pytest.mark.parametrize("method", ["add_note", "add_attachment", "send_message", "relate_ticket",
                                    "reassign_ticket", "send_transcript"])
async def test_closed_tickets_refuse_changes(world, tmp_path, method):
    r = await world.incoming("a@x.com", "hola")
    other = await world.incoming("b@x.com", "otro")
    admin = await world.user("admin")
    t = await world.backend.get_ticket(admin, r.ticket_id)
    closed = await world.backend.close_ticket(admin, t.id, expected_version=t.version)
    (tmp_path / "f.txt").write_text("x")
    calls = _calls(r.ticket_id, other.ticket_number, tmp_path / "f.txt")
    calls["reassign_ticket"] = lambda b, u: b.reassign_ticket(u, r.ticket_id, assignee_id=4,
                                                              expected_version=closed.version)
    calls["send_transcript"] = lambda b, u: b.send_transcript(u, r.ticket_id, contact_id(world, "a@x.com"))
    before = len(await world.backend.change_log(admin, EntityKind.TICKET, r.ticket_id))
    with pytest.raises(RuleViolation) as err:
        await calls[method](world.backend, admin)
    assert "closed" in str(err.value)
    assert len(await world.backend.change_log(admin, EntityKind.TICKET, r.ticket_id)) == before


# --- T3 options -------------------------------------------------------------------------------


async def test_reassign_to_a_user_unassigned_or_another_campaign(world):
    r = await world.incoming("a@x.com", "hola")
    world.set_ticket(r.ticket_id, assignee_id=3)
    b = world.backend
    ana = await world.user("ana")
    t = await b.get_ticket(ana, r.ticket_id)
    # Carla is not in Servicio: refused with a sentence naming her.
    with pytest.raises(RuleViolation) as err:
        await b.reassign_ticket(ana, t.id, assignee_id=5, expected_version=t.version)
    assert "Carla Ventas" in str(err.value)
    t2 = await b.reassign_ticket(ana, t.id, assignee_id=4, expected_version=t.version)  # an agent may, from the ticket
    assert t2.assignee_id == 4 and t2.version == t.version + 1
    bruno = await world.user("bruno")
    t3 = await b.reassign_ticket(bruno, t.id, assignee_id=None, expected_version=t2.version)
    assert t3.assignee_id is None
    sofia = await world.user("sofia")
    t4 = await b.reassign_ticket(sofia, t.id, assignee_id=5, campaign_id=2, expected_version=t3.version)
    assert (t4.assignee_id, t4.campaign_id) == (5, 2)
    kinds = await log_kinds(world, t.id)
    assert kinds.count(ChangeKind.ASSIGNED) == 3 and ChangeKind.CAMPAIGN in kinds
    with pytest.raises(StaleWrite) as stale:
        await b.reassign_ticket(sofia, t.id, assignee_id=6, expected_version=t3.version)
    assert "Sofía Supervisora" in str(stale.value)
    assert (await b.get_ticket(sofia, t.id)).assignee_id == 5


async def test_merge_keeps_this_ticket_closes_the_other_and_can_merge_customers(world):
    a = await world.incoming("a@x.com", "primero", name="Ana Cliente")
    o = await world.incoming("b@x.com", "segundo", name="Otra Persona")
    b = world.backend
    admin = await world.user("admin")
    await b.add_note(admin, o.ticket_id, "nota del otro", "blue")
    ta = await b.get_ticket(admin, a.ticket_id)
    with pytest.raises(PermissionDenied):
        await b.merge_ticket(await world.user("ana"), a.ticket_id, o.ticket_number, expected_version=ta.version)
    with pytest.raises(InvalidInput):
        await b.merge_ticket(admin, a.ticket_id, a.ticket_number, expected_version=ta.version)
    with pytest.raises(StaleWrite):
        await b.merge_ticket(admin, a.ticket_id, o.ticket_number, expected_version=ta.version - 1)
    merged = await b.merge_ticket(admin, a.ticket_id, o.ticket_number, merge_customers=True,
                                  keep_customer_id=o.customer_id, expected_version=ta.version)
    assert merged.status is TicketStatus.NEW and merged.customer_id == o.customer_id
    other = await b.get_ticket(admin, o.ticket_id)
    assert other.status is TicketStatus.CLOSED and other.merged_into_id == a.ticket_id
    page = await b.conversation(admin, a.ticket_id)
    assert [i.interaction.content for i in page.items] == ["primero", "segundo"]
    assert [n.text for n in await b.list_notes(admin, a.ticket_id)] == ["nota del otro"]
    with pytest.raises(NotFound):
        await b.get_customer(admin, a.customer_id)  # merged into the kept one
    assert ChangeKind.MERGED in await log_kinds(world, a.ticket_id)
    assert ChangeKind.MERGED_INTO in await log_kinds(world, o.ticket_id)


async def test_related_tickets_both_ways_once(world):
    a = await world.incoming("a@x.com", "uno")
    o = await world.incoming("b@x.com", "dos")
    b = world.backend
    ana = await world.user("ana")
    rel = await b.relate_ticket(ana, a.ticket_id, o.ticket_number)
    assert [x.related_number for x in rel] == [o.ticket_number]
    assert [x.related_number for x in await b.related_tickets(ana, o.ticket_id)] == [a.ticket_number]
    await b.relate_ticket(ana, o.ticket_id, a.ticket_number)  # again: nothing new
    assert (await log_kinds(world, a.ticket_id)).count(ChangeKind.RELATED) == 1
    with pytest.raises(InvalidInput):
        await b.relate_ticket(ana, a.ticket_id, a.ticket_number)
    with pytest.raises(NotFound):
        await b.relate_ticket(ana, a.ticket_id, 999_999)


async def test_send_transcript_to_a_customer_email_without_notes(world):
    r = await world.incoming("a@x.com", "Necesito ayuda", name="Ana Cliente")
    b = world.backend
    ana = await world.user("ana")
    await b.add_note(ana, r.ticket_id, "NOTA-PRIVADA", "red")
    sent = await b.send_transcript(ana, r.ticket_id, contact_id(world, "a@x.com"), client_key="t1")
    assert sent.direction is Direction.OUTGOING and sent.contact == "a@x.com"
    assert sent.delivery is DeliveryState.RECORDED and "No gateway" in sent.delivery_error
    assert "Necesito ayuda" in sent.content and "NOTA-PRIVADA" not in sent.content
    again = await b.send_transcript(ana, r.ticket_id, contact_id(world, "a@x.com"), client_key="t1")
    assert again.id == sent.id
    assert ChangeKind.TRANSCRIPT_SENT in await log_kinds(world, r.ticket_id)
    # A second transcript does not contain the first one.
    second = await b.send_transcript(ana, r.ticket_id, contact_id(world, "a@x.com"))
    assert second.content.count("Necesito ayuda") == 1
    ct = schema.ContactRow.__table__
    phone = world.sql(insert(ct).values(customer_id=r.customer_id, kind="mobile", value="3001234567",
                                        normalized="3001234567")).inserted_primary_key[0]
    with pytest.raises(InvalidInput):
        await b.send_transcript(ana, r.ticket_id, phone)
    with pytest.raises(NotFound):
        await b.send_transcript(ana, r.ticket_id, 999)


# --- T8 conversation ----------------------------------------------------------------------------


async def test_conversation_pages_filters_and_previous_interactions(world):
    first = await world.incoming("a@x.com", "ticket viejo")
    admin = await world.user("admin")
    t = await world.backend.get_ticket(admin, first.ticket_id)
    await world.backend.close_ticket(admin, t.id, expected_version=t.version)
    r = await world.incoming("a@x.com", "m1")
    for n in range(2, 6):
        await world.incoming("a@x.com", f"m{n}")
    await world.incoming("3001234567", "wa", channel=ChannelType.WHATSAPP)
    b = world.backend
    ana = await world.user("ana")
    p1 = await b.conversation(ana, r.ticket_id, limit=2)
    assert [i.interaction.content for i in p1.items] == ["m1", "m2"] and p1.prev_key is None
    p2 = await b.conversation(ana, r.ticket_id, limit=2, after_key=p1.next_key)
    p3 = await b.conversation(ana, r.ticket_id, limit=2, after_key=p2.next_key)
    assert [i.interaction.content for i in p2.items + p3.items] == ["m3", "m4", "m5"] and p3.next_key is None
    end = await b.conversation(ana, r.ticket_id, limit=2, from_end=True)
    assert [i.interaction.content for i in end.items] == ["m4", "m5"] and end.next_key is None
    back = await b.conversation(ana, r.ticket_id, limit=2, before_key=end.prev_key)
    assert [i.interaction.content for i in back.items] == ["m2", "m3"]
    # Previous interactions: the customer's other ticket, marked with its number.
    prev = await b.conversation(ana, r.ticket_id, include_previous=True)
    oldest = prev.items[0]
    assert (oldest.interaction.content, oldest.ticket_number, oldest.previous) == (
        "ticket viejo", first.ticket_number, True)
    assert all(not i.previous for i in prev.items[1:])
    # Filters: by channel and by time.
    assert (await b.conversation(ana, r.ticket_id, channels=(ChannelType.WHATSAPP,))).items == ()
    m3_at = p2.items[0].interaction.created_at
    window = await b.conversation(ana, r.ticket_id, since=m3_at, until=m3_at + timedelta(minutes=2))
    assert [i.interaction.content for i in window.items] == ["m3", "m4"]
    full = await b.get_interaction(ana, p1.items[0].interaction.id)
    assert full.content == "m1"


async def test_conversation_of_5000_interactions_pages_fast(world):
    r = await world.incoming("a@x.com", "primero")
    base = int(world.clock().timestamp())
    it = schema.InteractionRow.__table__
    # Each text is unique from few words: on PostgreSQL every message adds its words to
    # its ticket's word vector, and 5,000 distinct numbers made that vector (and the
    # insert) grow with every row, about 30 s of the server's time for this set-up alone.
    world.sql(insert(it), [
        {"ticket_id": r.ticket_id, "direction": "incoming" if n % 2 else "outgoing", "channel": "email",
         "sender": "Ana", "contact": "a@x.com", "content": f"mensaje {n // 100} {n % 100}", "created_at": base + n,
         "read": False, "delivery": "received"}
        for n in range(5000)
    ])
    ana = await world.user("ana")
    # Pages, never the whole conversation (no wall-clock assertion: the machines are shared).
    page = await world.backend.conversation(ana, r.ticket_id)
    assert len(page.items) == 100 and page.items[0].interaction.content == "primero"
    end = await world.backend.conversation(ana, r.ticket_id, from_end=True)
    assert len(end.items) == 100 and end.items[-1].interaction.content == "mensaje 49 99"
    seen, key = 0, None
    while True:
        p = await world.backend.conversation(ana, r.ticket_id, after_key=key, limit=500)
        seen += len(p.items)
        if p.next_key is None:
            break
        key = p.next_key
    assert seen == 5001


async def test_mark_read_clears_the_unread_indicator_once(world):
    r = await world.incoming("a@x.com", "uno")
    await world.incoming("a@x.com", "dos")
    b = world.backend
    ana = await world.user("ana")
    before = await b.get_ticket(ana, r.ticket_id)
    assert before.unread_count == 2
    after = await b.mark_read(ana, r.ticket_id)
    # Reading is not editing: the version stays, so a colleague's open edit stays valid.
    assert (after.unread_count, after.unread_at, after.version) == (0, None, before.version)
    assert all(i.interaction.read for i in (await b.conversation(ana, r.ticket_id)).items)
    assert (await b.mark_read(ana, r.ticket_id)).version == after.version  # nothing unread: no change
    assert (await log_kinds(world, r.ticket_id)).count(ChangeKind.READ) == 1


# --- T9 composer ----------------------------------------------------------------------------------


async def test_send_message_records_fills_template_and_opens_the_ticket(world):
    set_campaign(world, surveys=(Survey(key="nps", name="Encuesta", url="https://s.example/nps?t={ticket_number}"),))
    r = await world.incoming("a@x.com", "hola", name="Lucía Gómez")
    b = world.backend
    ana = await world.user("ana")
    await b.save_draft(ana, r.ticket_id, "composer", {"text": "Hola {customer_name}"})
    sent = await b.send_message(ana, r.ticket_id, msg(text="", template_key="hola", survey_key="nps",
                                                      cc="jefe@x.com; otra@x.com"))
    assert sent.delivery is DeliveryState.RECORDED and "recorded" in sent.delivery_error
    assert sent.content.startswith(f"Hola Lucía Gómez, caso {r.ticket_number}.")
    assert sent.content.endswith(f"Encuesta: https://s.example/nps?t={r.ticket_number}")
    assert (sent.sender, sent.cc, sent.client_key) == ("Ana Agente", "jefe@x.com, otra@x.com", "k1")
    t = await b.get_ticket(ana, r.ticket_id)
    assert t.status is TicketStatus.OPEN and t.first_response_at == world.clock()
    assert t.last_direction is Direction.OUTGOING and t.last_survey_at == world.clock()
    assert t.last_summary.startswith("Hola Lucía")
    assert await b.get_draft(ana, r.ticket_id, "composer") is None  # sent: the draft goes
    kinds = await log_kinds(world, r.ticket_id)
    assert ChangeKind.INTERACTION_ADDED in kinds and ChangeKind.STATUS in kinds
    # The same key again: the same interaction, nothing new.
    again = await b.send_message(ana, r.ticket_id, msg(text="otra cosa"))
    assert again.id == sent.id and again.content == sent.content
    page = await b.conversation(ana, r.ticket_id)
    assert len(page.items) == 2
    with pytest.raises(RuleViolation):
        await b.retry_delivery(ana, sent.id)  # only FAILED messages are retried


async def test_send_message_rules(world, tmp_path):
    r = await world.incoming("a@x.com", "hola")
    stranger = await world.incoming("otro@x.com", "no es el cliente")
    ct = schema.ContactRow.__table__
    world.sql(insert(ct).values(customer_id=r.customer_id, kind="mobile", value="3001234567", normalized="3001234567"))
    b = world.backend
    ana = await world.user("ana")

    def send(m, files=()):
        return b.send_message(ana, r.ticket_id, m, files)

    with pytest.raises(RuleViolation) as err:  # the campaign does not send by telephony
        await send(msg(key="a", channel=ChannelType.TELEPHONY, contact="3001234567", subject=""))
    assert "email, whatsapp" in str(err.value)
    with pytest.raises(InvalidInput):  # an e-mail contact for WhatsApp
        await send(msg(key="b", channel=ChannelType.WHATSAPP, contact=contact_id(world, "a@x.com"), subject=""))
    with pytest.raises(RuleViolation):  # another customer's contact
        await send(msg(key="c", contact=contact_id(world, "otro@x.com")))
    with pytest.raises(InvalidInput):
        await send(msg(key="d", cc="no-es-correo"))
    with pytest.raises(InvalidInput):
        await send(msg(key="e", subject="a\r\nBcc: x@y.com"))
    with pytest.raises(InvalidInput):
        await send(msg(key="f", channel=ChannelType.WHATSAPP, contact="3001234567", subject="", cc="a@b.co"))
    with pytest.raises(InvalidInput):
        await send(msg(key="g", text="  "))
    big = attached("grande.bin", b"\0" * (MAX_ATTACHMENT_BYTES + 1))
    with pytest.raises(InvalidInput) as err:
        await send(msg(key="h"), (big,))
    assert "10 MB" in str(err.value)
    # Nothing of the refused sends was written.
    assert len((await b.conversation(ana, r.ticket_id)).items) == 1
    # WhatsApp to the customer's phone, with a file: recorded, the file kept by hash.
    doc = attached("../factura.pdf", b"%PDF-1.4 factura")  # a name with a folder: made safe
    sent = await send(msg(key="i", channel=ChannelType.WHATSAPP, contact="300-123-4567", subject=""), (doc,))
    assert sent.contact == "3001234567" and [a.name for a in sent.attachments] == ["factura.pdf"]
    # Where the campaign allows other contacts, another customer's contact is fine.
    set_campaign(world, allow_other_contacts=True)
    other = await send(msg(key="j", contact=contact_id(world, "otro@x.com")))
    assert other.contact == "otro@x.com"
    third = await send(msg(key="k", contact="tercero@empresa.co"))
    assert third.contact == "tercero@empresa.co"
    assert stranger.ticket_id != r.ticket_id


# --- T9/T11 drafts, T10 agenda, T12 history ---------------------------------------------------------


async def test_drafts_are_per_user_ticket_and_form(world):
    r = await world.incoming("a@x.com", "hola")
    b = world.backend
    ana, bruno = await world.user("ana"), await world.user("bruno")
    assert await b.get_draft(ana, r.ticket_id, "composer") is None
    await b.save_draft(ana, r.ticket_id, "composer", {"text": "Hol"})
    await b.save_draft(ana, r.ticket_id, "composer", {"text": "Hola", "cc": ["x@y.co"]})
    await b.save_draft(ana, r.ticket_id, "task", {"observations": "llamar"})
    await b.save_draft(bruno, r.ticket_id, "composer", {"text": "de Bruno"})
    d = await b.get_draft(ana, r.ticket_id, "composer")
    assert d.data == {"text": "Hola", "cc": ["x@y.co"]} and d.updated_at == world.clock()
    assert (await b.get_draft(ana, r.ticket_id, "task")).data == {"observations": "llamar"}
    assert (await b.get_draft(bruno, r.ticket_id, "composer")).data == {"text": "de Bruno"}
    await b.clear_draft(ana, r.ticket_id, "composer")
    assert await b.get_draft(ana, r.ticket_id, "composer") is None
    with pytest.raises(InvalidInput):
        await b.save_draft(ana, r.ticket_id, "otro", {})
    with pytest.raises(InvalidInput):
        await b.save_draft(ana, r.ticket_id, "task", {"when": object()})


async def test_agenda_and_history_paging(world):
    a = await world.incoming("a@x.com", "uno", name="Uno Cliente")
    o = await world.incoming("b@x.com", "dos", name="Dos Cliente")
    world.set_ticket(a.ticket_id, assignee_id=3)
    world.set_ticket(o.ticket_id, assignee_id=3)
    b = world.backend
    ana = await world.user("ana")
    soon, later = world.clock() + timedelta(hours=1), world.clock() + timedelta(days=3)
    await b.add_task(ana, o.ticket_id, TaskInput(values={"resultado": "Pendiente"}, next_task_at=soon))
    await b.add_task(ana, a.ticket_id, TaskInput(values={"resultado": "Pendiente"}, next_task_at=later))
    items = await b.agenda(ana, 3, since=world.clock(), until=world.clock() + timedelta(days=7))
    assert [(i.ticket_number, i.customer_name, i.next_task_at) for i in items] == [
        (o.ticket_number, "Dos Cliente", soon), (a.ticket_number, "Uno Cliente", later)]
    assert [i.ticket_number for i in await b.agenda(ana, 3, until=world.clock() + timedelta(days=1))] == [o.ticket_number]
    for n in range(5):
        await b.add_task(ana, a.ticket_id, TaskInput(values={"resultado": "Pendiente"}, observations=f"g{n}"))
    first = await b.list_tasks_page(ana, a.ticket_id, limit=3)
    rest = await b.list_tasks_page(ana, a.ticket_id, before_id=first[-1].id, limit=10)
    assert [x.observations for x in first + rest] == ["g4", "g3", "g2", "g1", "g0", ""]


# --- T13 attachments ----------------------------------------------------------------------------------


async def test_attachments_add_save_remove(world, tmp_path):
    src = tmp_path / "in" / "contrato.pdf"
    src.parent.mkdir()
    src.write_bytes(b"%PDF contrato")
    r = await world.incoming("a@x.com", "con adjunto", attachments=(attached("../in/contrato.pdf", src.read_bytes()),))
    b = world.backend
    ana = await world.user("ana")
    added = await attach_file(b.session(ana), r.ticket_id, str(src))
    listed = await b.list_attachments(ana, r.ticket_id)
    assert [(x.name, x.interaction_id is None) for x in listed] == [("contrato.pdf", False), ("contrato.pdf", True)]
    assert len({x.sha256 for x in listed}) == 1  # the content is stored once
    # A customer-supplied name never escapes the chosen folder.
    at = schema.AttachmentRow.__table__
    world.sql(update(at).where(at.c.id == listed[0].id).values(name="../../.bashrc"))
    out = tmp_path / "out"
    out.mkdir()
    saved = await save_attachment_to(b.session(ana), listed[0].id, str(out))
    assert saved == str(out / "bashrc") and (out / "bashrc").read_bytes() == b"%PDF contrato"
    with pytest.raises(InvalidInput) as err:
        await save_attachment_to(b.session(ana), listed[0].id, str(out))
    assert "already exists" in str(err.value)
    (out / "bashrc").write_bytes(b"old")
    await save_attachment_to(b.session(ana), listed[0].id, str(out / "bashrc"), overwrite=True)
    assert (out / "bashrc").read_bytes() == b"%PDF contrato"
    # Files of a message stay with it; files added by hand can go.
    with pytest.raises(RuleViolation):
        await b.remove_attachment(ana, listed[0].id)
    await b.remove_attachment(ana, added.id)
    assert [x.id for x in await b.list_attachments(ana, r.ticket_id)] == [listed[0].id]
    kinds = await log_kinds(world, r.ticket_id)
    assert ChangeKind.ATTACHMENT_ADDED in kinds and ChangeKind.ATTACHMENT_REMOVED in kinds
    with pytest.raises(InvalidInput):
        await attach_file(b.session(ana), r.ticket_id, str(tmp_path / "missing.pdf"))
    with pytest.raises(NotFound):
        await save_attachment_to(b.session(ana), 9999, str(out))


# --- T14 notes ------------------------------------------------------------------------------------------


async def test_notes_add_list_delete_by_author_or_supervisor(world):
    r = await world.incoming("a@x.com", "hola")
    b = world.backend
    ana, bruno, sofia = await world.user("ana"), await world.user("bruno"), await world.user("sofia")
    n1 = await b.add_note(ana, r.ticket_id, "Cliente prefiere la tarde", NoteColor.GREEN)
    n2 = await b.add_note(bruno, r.ticket_id, "Otra nota", "purple")
    assert [n.text for n in await b.list_notes(ana, r.ticket_id)] == ["Otra nota", "Cliente prefiere la tarde"]
    assert n1.color is NoteColor.GREEN and n1.author_id == ana.id
    with pytest.raises(InvalidInput):
        await b.add_note(ana, r.ticket_id, "   ", "green")
    with pytest.raises(InvalidInput):
        await b.add_note(ana, r.ticket_id, "x", "beige")
    with pytest.raises(PermissionDenied):
        await b.delete_note(ana, n2.id)
    await b.delete_note(ana, n1.id)
    await b.delete_note(sofia, n2.id)
    assert await b.list_notes(ana, r.ticket_id) == []
    kinds = await log_kinds(world, r.ticket_id)
    assert kinds.count(ChangeKind.NOTE_ADDED) == 2 and kinds.count(ChangeKind.NOTE_DELETED) == 2
    with pytest.raises(NotFound):
        await b.delete_note(sofia, n2.id)


# --- T15 two terminals on one store ----------------------------------------------------------------------


async def test_stale_write_between_two_terminals_names_who_and_overwrites_nothing(world):
    r = await world.incoming("a@x.com", "hola")
    other = await world.other_terminal()
    try:
        ana = await world.backend.get_user("ana")
        bruno = await other.get_user("bruno")
        loaded_by_ana = await world.backend.get_ticket(ana, r.ticket_id)
        loaded_by_bruno = await other.get_ticket(bruno, r.ticket_id)
        await other.update_ticket(bruno, r.ticket_id, TicketChanges(description="Bruno lo editó"),
                                  expected_version=loaded_by_bruno.version)
        with pytest.raises(StaleWrite) as err:
            await world.backend.update_ticket(ana, r.ticket_id, TicketChanges(description="Ana lo editó"),
                                              expected_version=loaded_by_ana.version)
        assert "Bruno Agente" in str(err.value)
        with pytest.raises(StaleWrite):
            await world.backend.reassign_ticket(ana, r.ticket_id, assignee_id=3,
                                                expected_version=loaded_by_ana.version)
        now = await world.backend.get_ticket(ana, r.ticket_id)
        assert (now.description, now.assignee_id) == ("Bruno lo editó", None)
        # Each terminal sees the other inside the ticket.
        await world.backend.enter_ticket(ana, r.ticket_id)
        await other.enter_ticket(bruno, r.ticket_id)
        assert [p.user_name for p in await world.backend.heartbeat(ana, r.ticket_id)] == ["Bruno Agente"]
    finally:
        await other.aclose()


async def test_a_delivery_interrupted_by_a_crash_is_never_resent_blindly(world):
    from sagicc_tui.local_store import outgoing

    r = await world.incoming("a@x.com", "hola")
    b = world.backend
    ana = await world.user("ana")
    m = msg(key="crash-1")
    # The first call committed PENDING, then its process died before delivering.
    pending = (await world.local._write(outgoing.prepare_send, ana, r.ticket_id, m, [])).interaction
    assert pending.delivery is DeliveryState.PENDING
    # Pressed again soon after: the same interaction, still being sent; not sent twice.
    assert (await b.send_message(ana, r.ticket_id, m)).delivery is DeliveryState.PENDING
    with pytest.raises(RuleViolation):
        await b.retry_delivery(ana, pending.id)
    # Once the claim is stale it says so, and a retry sends it on request.
    world.clock.advance(seconds=outgoing.CLAIM_TTL + 1)
    interrupted = await b.send_message(ana, r.ticket_id, m)
    assert interrupted.id == pending.id and interrupted.delivery is DeliveryState.FAILED
    assert "interrupted" in interrupted.delivery_error
    retried = await b.retry_delivery(ana, pending.id)
    assert retried.delivery is DeliveryState.RECORDED
    assert len((await b.conversation(ana, r.ticket_id)).items) == 2


# --- T8/+T16 the activity stamp the open ticket polls ---------------------------------------------------


async def test_ticket_activity_moves_with_each_part_and_says_who(world, tmp_path):
    r = await world.incoming("a@x.com", "hola", name="Lucía Gómez")
    world.set_ticket(r.ticket_id, assignee_id=3)
    ana, sofia = await world.user("ana"), await world.user("sofia")
    b = world.backend
    first = await b.ticket_activity(ana, r.ticket_id)
    assert (first.ticket_id, first.customer_id, first.status) == (r.ticket_id, r.customer_id, TicketStatus.NEW)
    assert first.interactions.count == 1 and first.last_direction == Direction.INCOMING.value
    assert (first.tasks.count, first.notes.count, first.attachments.count) == (0, 0, 0)
    assert await b.ticket_activity(ana, r.ticket_id) == first  # nothing happened: the same stamp

    # A new customer message moves only the conversation's stamp (and the ticket's card fields).
    await world.incoming("a@x.com", "¿hay novedad?", name="Lucía Gómez")
    after_mail = await b.ticket_activity(ana, r.ticket_id)
    assert after_mail.interactions.count == 2 and after_mail.interactions.last_id > first.interactions.last_id
    assert after_mail.notes == first.notes and after_mail.tasks == first.tasks

    # Sofía changes the description: the version moves and the stamp names her and the field.
    t = await b.get_ticket(sofia, r.ticket_id)
    await b.update_ticket(sofia, r.ticket_id, TicketChanges(description="Cambiado por Sofía"), expected_version=t.version)
    edited = await b.ticket_activity(ana, r.ticket_id)
    assert edited.ticket_version > after_mail.ticket_version
    assert (edited.ticket_updated_by, edited.change_by, edited.change_field) == (
        "Sofía Supervisora", "Sofía Supervisora", "description")

    # A note, then its removal: the count moves back but the stamp still differs from before the note.
    note = await b.add_note(sofia, r.ticket_id, "nota", "yellow")
    noted = await b.ticket_activity(ana, r.ticket_id)
    assert noted.notes.count == 1 and noted.notes.last_id == note.id
    await b.delete_note(sofia, note.id)
    assert (await b.ticket_activity(ana, r.ticket_id)).notes.count == 0

    # A contact added to the customer moves the customer's stamp; an agent's reply names the agent.
    await b.add_contact(sofia, r.customer_id, ContactInput(kind=ContactKind.PHONE, value="3001234567"))
    contacted = await b.ticket_activity(ana, r.ticket_id)
    assert contacted.customer_change_id > noted.customer_change_id and contacted.customer_change_by == "Sofía Supervisora"
    await b.send_message(sofia, r.ticket_id, msg(key="act-1"))
    replied = await b.ticket_activity(ana, r.ticket_id)
    assert replied.interactions.count == 3 and replied.last_direction == Direction.OUTGOING.value
    assert replied.last_author == "Sofía Supervisora"

    # A customer switch moves the customer id in the stamp: every dependent part follows it.
    other = await world.incoming("z@x.com", "otro cliente", name="Pedro Pérez")
    t = await b.get_ticket(sofia, r.ticket_id)
    await b.switch_ticket_customer(sofia, r.ticket_id, other.customer_id, expected_version=t.version)
    switched = await b.ticket_activity(ana, r.ticket_id)
    assert switched.customer_id == other.customer_id


# --- +T17 presence says who is writing a reply ---------------------------------------------------------


async def test_presence_says_who_is_writing_a_reply(world):
    b = world.backend
    ana, sofia = await world.user("ana"), await world.user("sofia")
    r = await world.incoming("a@x.com", "hola")
    world.set_ticket(r.ticket_id, assignee_id=ana.id)
    await b.enter_ticket(ana, r.ticket_id)
    await b.enter_ticket(sofia, r.ticket_id)
    assert [p.writing for p in await b.heartbeat(ana, r.ticket_id)] == [False]
    await b.save_draft(sofia, r.ticket_id, "composer", {"text": "Estoy respondiendo"})
    assert [(p.user_name, p.writing) for p in await b.heartbeat(ana, r.ticket_id)] == [("Sofía Supervisora", True)]
    assert [p.writing for p in (await b.ticket_header(ana, r.ticket_id)).others_viewing] == [True]
    world.clock.advance(seconds=WRITING_TTL + 1)  # she stopped typing; still inside
    await b.heartbeat(sofia, r.ticket_id)
    assert [p.writing for p in await b.heartbeat(ana, r.ticket_id)] == [False]
    await b.save_draft(sofia, r.ticket_id, "composer", {"text": "Sigo"})
    await b.clear_draft(sofia, r.ticket_id, "composer")  # sent or cleared: no longer writing
    assert [p.writing for p in await b.heartbeat(ana, r.ticket_id)] == [False]


# --- #11.7 replying takes the ticket ------------------------------------------------------------------


async def test_replying_to_an_unassigned_ticket_assigns_it_to_me(world):
    b = world.backend
    ana, sofia = await world.user("ana"), await world.user("sofia")
    r = await world.incoming("a@x.com", "hola")
    assert (await b.get_ticket(ana, r.ticket_id)).assignee_id is None
    await b.send_message(ana, r.ticket_id, msg(key="take-1"))
    ticket = await b.get_ticket(ana, r.ticket_id)
    assert ticket.assignee_id == ana.id
    assert ChangeKind.ASSIGNED in await log_kinds(world, r.ticket_id)
    assert r.ticket_id in [c.id for c in (await b.pending_tickets(ana, SERVICE.id)).rows]
    # Already assigned: a colleague's reply does not take it.
    await b.send_message(sofia, r.ticket_id, msg(key="take-2"))
    assert (await b.get_ticket(ana, r.ticket_id)).assignee_id == ana.id


async def test_a_campaign_can_turn_off_replying_takes_the_ticket(world):
    set_campaign(world, reply_takes_ticket=False)
    b = world.backend
    ana = await world.user("ana")
    r = await world.incoming("a@x.com", "hola")
    await b.send_message(ana, r.ticket_id, msg(key="take-off"))
    assert (await b.get_ticket(ana, r.ticket_id)).assignee_id is None
