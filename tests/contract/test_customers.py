"""The customers module through the Backend (C1, C2, C4-C6, T4-T6): rules,
permissions per role, stale writes, validation sentences and the change log."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import insert, select, update

from sagicc_tui.domain.customers import (
    AccountInput,
    ContactInput,
    CustomerInput,
    CustomerOrder,
    CustomerQuery,
    DuplicateCustomer,
    MergeParts,
    SimilarityReason,
)
from sagicc_tui.domain.enums import (
    ChangeKind,
    ChannelType,
    ContactKind,
    CustomerStatus,
    CustomerType,
    EntityKind,
    IdType,
    TicketStatus,
)
from sagicc_tui.domain.errors import InvalidInput, NotFound, PermissionDenied, RuleViolation, StaleWrite
from sagicc_tui.local_store import schema
from tests.factory import attached


def person(doc: str, first: str, last: str, **kw) -> CustomerInput:
    return CustomerInput(id_type=kw.pop("id_type", IdType.CC), id_number=doc, first_name=first, last_name=last, **kw)


async def add(world, user, doc, first, last, *contacts, allow_duplicate=False, **kw):
    c = await world.backend.create_customer(user, person(doc, first, last, **kw), allow_duplicate=allow_duplicate)
    for kind, value in contacts:
        await world.backend.add_contact(user, c.id, ContactInput(kind=kind, value=value))
    return c


async def log_of(world, customer_id, entity=EntityKind.CUSTOMER):
    admin = await world.user("admin")
    return await world.backend.change_log(admin, entity, customer_id)


# --- C2 / T4: add and edit ------------------------------------------------------------------


async def test_create_cleans_documents_and_logs(world):
    ana = await world.user("ana")  # agents add customers too (T4)
    c = await world.backend.create_customer(ana, person(" 1.020.304.050 ", "  Lucía ", "Gómez", second_last_name="Pérez",
                                                        birth_date=date(1990, 5, 17), features=("VIP", "VIP", " Mora ")))
    assert (c.id_number, c.first_name, c.version, c.status) == ("1020304050", "Lucía", 1, CustomerStatus.ACTIVE)
    assert c.features == ("Mora", "VIP") and c.birth_date == date(1990, 5, 17)
    nit = await world.backend.create_customer(ana, CustomerInput(
        type=CustomerType.COMPANY, id_type=IdType.NIT, id_number="900.123.456", first_name="Acme S.A.S."))
    assert nit.id_number == "900123456-8"  # DIAN check digit computed
    passport = await world.backend.create_customer(ana, person("ab 123456", "John", "Smith", id_type=IdType.PASSPORT))
    assert passport.id_number == "AB123456"
    log = await log_of(world, c.id)
    assert [(e.kind, e.user_name) for e in log] == [(ChangeKind.CREATED, "Ana Agente")]
    assert "1020304050" in log[0].new


@pytest.mark.parametrize(("data", "words"), [
    (person("12345", "Ana", "Ruiz"), ["cédula de ciudadanía", "6 to 10 digits"]),
    (person("12345678901", "Ana", "Ruiz"), ["6 to 10 digits"]),
    (person("1234567a", "Ana", "Ruiz"), ["6 to 10 digits"]),
    (person("AB-12", "Ana", "Ruiz", id_type=IdType.CE), ["cédula de extranjería", "6 to 12"]),
    (person("X1", "Ana", "Ruiz", id_type=IdType.PASSPORT), ["passport", "5 to 20"]),
    (person("", "Ana", "Ruiz", id_type=IdType.OTHER), ["document number is required"]),
    (person("52000111", "", "Ruiz"), ["first name is required"]),
    (person("52000111", "Ana", ""), ["last name is required for a person"]),
    (person("52000111", "Ana", "Ruiz", birth_date=date(2030, 1, 1)), ["date of birth", "not possible"]),
    (CustomerInput(type=CustomerType.COMPANY, id_type=IdType.NIT, id_number="900123456-1", first_name="Acme"),
     ["check digit", "should be 8"]),
    (CustomerInput(type=CustomerType.COMPANY, id_type=IdType.NIT, id_number="90012345", first_name="Acme"),
     ["9 digits", "900123456-7"]),
    (CustomerInput(type=CustomerType.COMPANY, id_type=IdType.NIT, id_number="900123456", first_name=""),
     ["company name is required"]),
    (CustomerInput(type=CustomerType.COMPANY, id_type=IdType.NIT, id_number="900123456", first_name="Acme",
                   last_name="Ltda"), ["company has no middle or last names"]),
    (CustomerInput(id_type="dni", id_number="1", first_name="A", last_name="B"), ["not a valid document type", "cc, ce"]),
])
async def test_validation_names_the_field_and_the_fix(world, data, words):
    admin = await world.user("admin")
    with pytest.raises(InvalidInput) as err:
        await world.backend.create_customer(admin, data)
    for w in words:
        assert w in str(err.value), str(err.value)
    assert await world.backend.count_customers(admin, CustomerQuery()) == 0


async def test_duplicate_document_is_refused_with_the_existing_customer(world):
    admin = await world.user("admin")
    first = await add(world, admin, "52000111", "Ana", "Ruiz")
    with pytest.raises(DuplicateCustomer) as err:
        await world.backend.create_customer(admin, person("52.000.111", "Ana María", "Ruiz"))
    assert err.value.existing_id == first.id and "Ana Ruiz" in str(err.value)
    assert isinstance(err.value, InvalidInput)
    twin = await world.backend.create_customer(admin, person("52000111", "Ana María", "Ruiz"), allow_duplicate=True)
    other = await add(world, admin, "52000222", "Luis", "Mora")
    with pytest.raises(DuplicateCustomer):  # editing into someone else's document
        await world.backend.update_customer(admin, other.id, person("52000111", "Luis", "Mora"),
                                            expected_version=other.version)
    # Same number, another document type: not a duplicate.
    await world.backend.create_customer(admin, person("52000111", "Ana", "Ruiz", id_type=IdType.CE))
    assert twin.id != first.id


async def test_update_logs_each_field_and_refuses_stale_versions(world):
    ana, bruno = await world.user("ana"), await world.user("bruno")
    c = await add(world, ana, "52000111", "Ana", "Ruiz")
    edited = await world.backend.update_customer(bruno, c.id, person("52000111", "Ana", "Ruiz", middle_name="María",
                                                                     features=("VIP",)), expected_version=c.version)
    assert edited.version == c.version + 1 and edited.middle_name == "María" and edited.features == ("VIP",)
    with pytest.raises(StaleWrite) as err:
        await world.backend.update_customer(ana, c.id, person("52000111", "Ana", "Ruiz Gil"), expected_version=c.version)
    assert "Bruno Agente" in str(err.value) and err.value.current_version == edited.version
    now = await world.backend.get_customer(ana, c.id)
    assert now.last_name == "Ruiz" and now.version == edited.version  # nothing overwritten
    fields = [(e.kind, e.field, e.previous, e.new) for e in await log_of(world, c.id)][1:]
    assert fields == [(ChangeKind.FIELD, "middle_name", "", "María"), (ChangeKind.FIELD, "features", "", "VIP")]
    # Saving the same values writes nothing, but a stale version is still refused
    # (versions are checked, not values: #10.2, P10).
    with pytest.raises(StaleWrite):
        await world.backend.update_customer(ana, c.id, person("52000111", "Ana", "Ruiz", middle_name="María"),
                                            expected_version=c.version)
    same = await world.backend.update_customer(ana, c.id, person("52000111", "Ana", "Ruiz", middle_name="María"),
                                               expected_version=edited.version)
    assert same.version == edited.version


async def test_assigned_user_for_all_campaigns(world):
    ana = await world.user("ana")
    c = await add(world, ana, "52000111", "Ana", "Ruiz")
    c2 = await world.backend.set_customer_assignee(ana, c.id, 4, expected_version=c.version)
    assert c2.assigned_user_id == 4
    with pytest.raises(StaleWrite):
        await world.backend.set_customer_assignee(ana, c.id, None, expected_version=c.version)
    with pytest.raises(InvalidInput, match="no active user"):
        await world.backend.set_customer_assignee(ana, c.id, 99, expected_version=c2.version)
    entry = (await log_of(world, c.id))[-1]
    assert (entry.kind, entry.previous, entry.new) == (ChangeKind.ASSIGNED, "", "Bruno Agente")


# --- T5 / T6: contacts and accounts -------------------------------------------------------------


async def test_contacts_are_validated_normalised_and_logged(world):
    ana = await world.user("ana")
    c = await add(world, ana, "52000111", "Ana", "Ruiz")
    mail = await world.backend.add_contact(ana, c.id, ContactInput(kind=ContactKind.EMAIL, value=" Ana.Ruiz@Example.com "))
    assert (mail.value, mail.normalized) == ("Ana.Ruiz@Example.com", "ana.ruiz@example.com")
    phone = await world.backend.add_contact(ana, c.id, ContactInput(kind=ContactKind.MOBILE, value="+57 (300) 111-2233",
                                                                    label="Personal"))
    assert phone.normalized == "573001112233"
    with pytest.raises(InvalidInput, match="not an e-mail address"):
        await world.backend.add_contact(ana, c.id, ContactInput(kind=ContactKind.EMAIL, value="ana@"))
    with pytest.raises(InvalidInput, match="7 to 15 digits"):
        await world.backend.add_contact(ana, c.id, ContactInput(kind=ContactKind.PHONE, value="12-34"))
    with pytest.raises(InvalidInput, match="already has"):
        await world.backend.add_contact(ana, c.id, ContactInput(kind=ContactKind.EMAIL, value="ana.ruiz@example.com"))
    moved = await world.backend.update_contact(ana, phone.id, ContactInput(kind=ContactKind.PHONE, value="601 234 5678"))
    assert (moved.kind, moved.normalized, moved.label) == (ContactKind.PHONE, "576012345678", "")  # E.164 (#15.9)
    await world.backend.delete_contact(ana, mail.id)
    assert [x.id for x in await world.backend.list_contacts(ana, c.id)] == [phone.id]
    with pytest.raises(NotFound):
        await world.backend.delete_contact(ana, mail.id)
    changes = [(e.field, e.previous, e.new) for e in await log_of(world, c.id) if e.kind is ChangeKind.CUSTOMER_CHANGED]
    assert changes == [
        ("contact", "", "email: Ana.Ruiz@Example.com"),
        ("contact", "", "mobile: +57 (300) 111-2233"),
        ("contact", "mobile: +57 (300) 111-2233", "phone: 601 234 5678"),
        ("contact", "email: Ana.Ruiz@Example.com", ""),
    ]


async def test_accounts_with_extra_fields(world):
    ana = await world.user("ana")
    c = await add(world, ana, "52000111", "Ana", "Ruiz")
    acc = await world.backend.add_account(ana, c.id, AccountInput(number=" 4001 ", name="Plan Hogar",
                                                                   extra={"ciudad": "Cali"}))
    assert (acc.number, acc.extra) == ("4001", {"ciudad": "Cali"})
    acc2 = await world.backend.update_account(ana, acc.id, AccountInput(number="4001", name="Plan Hogar",
                                                                        extra={"ciudad": "Bogotá", "estrato": "3"}))
    assert acc2.extra == {"ciudad": "Bogotá", "estrato": "3"}
    with pytest.raises(InvalidInput, match="account number is required"):
        await world.backend.add_account(ana, c.id, AccountInput(number=" "))
    assert [a.id for a in await world.backend.list_accounts(ana, c.id)] == [acc.id]
    changes = [(e.field, e.previous, e.new) for e in await log_of(world, c.id) if e.kind is ChangeKind.CUSTOMER_CHANGED]
    assert changes == [("account", "", "4001 (Plan Hogar)"), ("account 4001: ciudad", "Cali", "Bogotá"),
                       ("account 4001: estrato", "", "3")]


# --- T4: related customers ------------------------------------------------------------------------


async def test_related_customers_both_ways(world):
    ana = await world.user("ana")
    a = await add(world, ana, "52000111", "Ana", "Ruiz")
    b = await add(world, ana, "52000222", "Luis", "Mora")
    rel = await world.backend.add_relation(ana, a.id, b.id, "Cónyuge")
    assert (rel.related_customer_id, rel.related_name, rel.relation, rel.outgoing) == (b.id, "Luis Mora", "Cónyuge", True)
    (seen_from_b,) = await world.backend.list_relations(ana, b.id)
    assert (seen_from_b.related_customer_id, seen_from_b.related_name, seen_from_b.outgoing) == (a.id, "Ana Ruiz", False)
    with pytest.raises(InvalidInput, match="already related"):
        await world.backend.add_relation(ana, b.id, a.id, "Esposo")
    with pytest.raises(InvalidInput, match="themselves"):
        await world.backend.add_relation(ana, a.id, a.id, "Yo")
    with pytest.raises(InvalidInput, match="how the customers are related"):
        await world.backend.add_relation(ana, a.id, b.id, " ")
    await world.backend.update_relation(ana, rel.id, "Hermano(a)")
    await world.backend.remove_relation(ana, rel.id)
    assert await world.backend.list_relations(ana, a.id) == []
    for cid, other in ((a.id, "Luis Mora"), (b.id, "Ana Ruiz")):
        lines = [(e.previous, e.new) for e in await log_of(world, cid) if e.field == "relation"]
        assert [x.split(":")[0] for x, _ in lines] == ["", "Cónyuge", "Hermano(a)"]
        assert other in lines[0][1]


# --- C1: the list ----------------------------------------------------------------------------------


async def test_list_search_by_name_document_email_and_phone(world):
    admin = await world.user("admin")
    lucia = await add(world, admin, "1020304050", "Lucía", "Gómez", (ContactKind.EMAIL, "lucia.gomez@correo.co"),
                      (ContactKind.MOBILE, "300 111 2233"), second_last_name="Pérez")
    luis = await add(world, admin, "52000222", "Luis", "Mora", (ContactKind.PHONE, "601 234 5678"))
    acme = await world.backend.create_customer(admin, CustomerInput(
        type=CustomerType.COMPANY, id_type=IdType.NIT, id_number="900123456", first_name="Acme Gómez S.A.S."))

    async def ids(**kw):
        page = await world.backend.list_customers(admin, CustomerQuery(**kw))
        assert await world.backend.count_customers(admin, CustomerQuery(**kw)) == len(page.rows)
        return {r.id for r in page.rows}

    assert await ids(search="gomez") == {lucia.id, acme.id}  # accents ignored
    assert await ids(search="luc gom") == {lucia.id}  # every word a prefix
    assert await ids(search="10203") == {lucia.id}  # document prefix
    assert await ids(search="900123456-8") == {acme.id}
    assert await ids(search="LUCIA.GOMEZ@") == {lucia.id}
    assert await ids(search="300-111") == {lucia.id}  # phone prefix, any format
    assert await ids(phone="6012345678") == {luis.id}
    assert await ids(document="52000222") == {luis.id}
    assert await ids(email="nobody@x.com") == set()
    assert await ids(types=(CustomerType.COMPANY,)) == {acme.id}
    disabled = await world.backend.disable_customer(admin, luis.id, expected_version=luis.version)
    assert disabled.status is CustomerStatus.DISABLED
    assert await ids(statuses=(CustomerStatus.DISABLED,)) == {luis.id}
    row = (await world.backend.list_customers(admin, CustomerQuery(search="luis"))).rows[0]
    assert (row.id_type, row.id_number, row.first_name, row.last_name, row.status) == (
        IdType.CC, "52000222", "Luis", "Mora", CustomerStatus.DISABLED)


async def test_list_pages_by_keyset_and_offset_in_both_orders(world):
    admin = await world.user("admin")
    names = ["Zoe", "ana", "Bruno", "Carla", "Diego", "Elena", "Fabio"]
    made = []
    for i, n in enumerate(names):
        world.clock.advance(minutes=1 if i != 3 else 0)  # two customers share a creation second
        made.append(await add(world, admin, f"5200011{i}", n, "Ruiz"))
    for order, expected in (
        (CustomerOrder.CREATED_DESC, [c.id for c in sorted(made, key=lambda c: (c.created_at, c.id), reverse=True)]),
        (CustomerOrder.CREATED_ASC, [c.id for c in sorted(made, key=lambda c: (c.created_at, c.id))]),
        (CustomerOrder.NAME, [c.id for c in sorted(made, key=lambda c: c.first_name.lower())]),
    ):
        query = CustomerQuery(order=order)
        seen, after = [], None
        while True:
            page = await world.backend.list_customers(admin, query, limit=3, after=after)
            seen += [r.id for r in page.rows]
            after = page.next_cursor
            if after is None:
                break
        assert seen == expected, order
        jump = await world.backend.list_customers(admin, query, limit=2, offset=4)
        assert [r.id for r in jump.rows] == expected[4:6]


# --- C4: the profile --------------------------------------------------------------------------------


async def test_profile_shows_only_what_the_user_may_see(world, tmp_path):
    admin, ana = await world.user("admin"), await world.user("ana")
    doc = attached("factura.pdf", b"%PDF-1.4 hola")
    r1 = await world.incoming("lucia@example.com", "Mi factura", name="Lucía Gómez", attachments=(doc,))
    await world.incoming("lucia@example.com", "Otra cosa")
    r2 = await world.incoming("lucia@example.com", "Quiero comprar", channel=ChannelType.TELEPHONY)
    assert r2.customer_id == r1.customer_id  # found by the e-mail; Ventas receives telephony
    world.set_ticket(r1.ticket_id, assignee_id=4)  # bruno's: outside ana's scope
    other = await add(world, admin, "52000222", "Luis", "Mora")
    await world.backend.add_relation(admin, r1.customer_id, other.id, "Cónyuge")
    full = await world.backend.customer_profile(admin, r1.customer_id)
    assert [t.id for t in full.recent_tickets] == [r2.ticket_id, r1.ticket_id]
    assert [(a.name, a.ticket_number, a.size) for a in full.attachments] == [("factura.pdf", r1.ticket_number, 13)]
    assert [i.interaction.content for i in full.recent_interactions] == ["Quiero comprar", "Otra cosa", "Mi factura"]
    assert full.open_tickets == 2 and full.relations[0].related_name == "Luis Mora"
    assert [c.value for c in full.contacts] == ["lucia@example.com"]
    mine = await world.backend.customer_profile(ana, r1.customer_id)
    assert mine.recent_tickets == () and mine.attachments == () and mine.recent_interactions == ()
    assert mine.open_tickets == 0 and mine.customer.id == r1.customer_id


# --- C5: disable, enable, delete -------------------------------------------------------------------------


async def test_disable_and_enable_need_the_permission_and_a_fresh_version(world):
    ana, sofia = await world.user("ana"), await world.user("sofia")
    c = await add(world, ana, "52000111", "Ana", "Ruiz")
    with pytest.raises(PermissionDenied, match="agent"):
        await world.backend.disable_customer(ana, c.id, expected_version=c.version)
    off = await world.backend.disable_customer(sofia, c.id, expected_version=c.version)
    assert off.status is CustomerStatus.DISABLED
    with pytest.raises(StaleWrite):
        await world.backend.enable_customer(sofia, c.id, expected_version=c.version)
    on = await world.backend.enable_customer(sofia, c.id, expected_version=off.version)
    assert on.status is CustomerStatus.ACTIVE
    kinds = [(e.kind, e.previous, e.new) for e in await log_of(world, c.id)][1:]
    assert kinds == [(ChangeKind.CUSTOMER_DISABLED, "active", "disabled"), (ChangeKind.STATUS, "disabled", "active")]


async def test_delete_is_refused_while_the_customer_has_tickets(world):
    admin, ana = await world.user("admin"), await world.user("ana")
    r = await world.incoming("lucia@example.com", "uno", name="Lucía Gómez")
    r2 = await world.incoming("lucia@example.com", "dos", channel=ChannelType.EMAIL)
    world.sql(insert(schema.ticket).values(number=200001, campaign_id=1, customer_id=r.customer_id, status="open",
                                           priority="medium", type="question", origin_channel="email",
                                           created_at=0, updated_at=0))
    with pytest.raises(PermissionDenied):
        await world.backend.delete_customer(ana, r.customer_id)
    with pytest.raises(RuleViolation) as err:
        await world.backend.delete_customer(admin, r.customer_id)
    assert str(err.value) == ("Lucía Gómez has 2 open tickets; close or merge them first, or disable the customer "
                              "instead.")
    assert r2.ticket_id == r.ticket_id
    world.sql(update(schema.ticket).values(status=TicketStatus.CLOSED.value))
    with pytest.raises(RuleViolation, match="2 closed tickets, which must keep their customer; disable"):
        await world.backend.delete_customer(admin, r.customer_id)
    assert (await world.backend.get_customer(admin, r.customer_id)).id == r.customer_id


async def test_delete_removes_the_customer_and_what_is_theirs(world):
    admin = await world.user("sofia")
    c = await add(world, admin, "52000111", "Ana", "Ruiz", (ContactKind.EMAIL, "ana@x.co"), features=("VIP",))
    keep = await add(world, admin, "52000222", "Luis", "Mora", (ContactKind.EMAIL, "luis@x.co"))
    await world.backend.add_account(admin, c.id, AccountInput(number="4001"))
    await world.backend.add_relation(admin, keep.id, c.id, "Cónyuge")
    await world.backend.delete_customer(admin, c.id)
    with pytest.raises(NotFound):
        await world.backend.get_customer(admin, c.id)
    with world.store.read() as conn:
        for table in (schema.ContactRow, schema.AccountRow, schema.CustomerFeature):
            assert conn.execute(select(table.__table__).where(table.__table__.c.customer_id == c.id)).first() is None
    assert await world.backend.list_relations(admin, keep.id) == []
    assert [x.value for x in await world.backend.list_contacts(admin, keep.id)] == ["luis@x.co"]
    assert (await log_of(world, c.id))[-1].kind is ChangeKind.CUSTOMER_DELETED
    assert (await log_of(world, keep.id))[-1].previous.startswith("Cónyuge: Ana Ruiz")


# --- T4: similar customers, switch the ticket's customer ------------------------------------------------------


async def test_similar_customers_with_percentage_and_reasons(world):
    admin = await world.user("admin")
    lucia = await add(world, admin, "1020304050", "Lucía", "Gómez", (ContactKind.MOBILE, "300 111 2233"),
                      second_last_name="Pérez")
    same_doc = await add(world, admin, "1020304050", "Lucy", "Gomes", allow_duplicate=True)
    same_phone = await add(world, admin, "52000111", "Lucia", "Gomez", (ContactKind.MOBILE, "300-111-2233"))
    typo = await add(world, admin, "52000222", "Lucía", "Góemz", second_last_name="Pérez")
    await add(world, admin, "52000333", "Pedro", "Ramírez", (ContactKind.MOBILE, "310 999 8877"))
    found = await world.backend.similar_customers(admin, lucia.id)
    by_id = {s.customer.id: s for s in found}
    assert set(by_id) == {same_doc.id, same_phone.id, typo.id}
    assert by_id[same_doc.id].percentage >= 95 and SimilarityReason.SAME_DOCUMENT in by_id[same_doc.id].reasons
    assert set(by_id[same_phone.id].reasons) == {SimilarityReason.SAME_PHONE, SimilarityReason.SIMILAR_NAME}
    assert by_id[same_phone.id].percentage >= 80
    assert by_id[typo.id].reasons == (SimilarityReason.SIMILAR_NAME,) and by_id[typo.id].percentage < 80
    assert [s.percentage for s in found] == sorted((s.percentage for s in found), reverse=True)


async def test_switch_ticket_customer(world):
    ana = await world.user("ana")
    r = await world.incoming("lucia@example.com", "hola", name="Lucía Gómez")
    target = await add(world, ana, "1020304050", "Lucía", "Gómez")
    t = await world.backend.get_ticket(ana, r.ticket_id)
    with pytest.raises(StaleWrite):
        await world.backend.switch_ticket_customer(ana, t.id, target.id, expected_version=t.version - 1)
    moved = await world.backend.switch_ticket_customer(ana, t.id, target.id, expected_version=t.version)
    assert moved.customer_id == target.id and moved.version == t.version + 1
    ticket_log = await log_of(world, t.id, EntityKind.TICKET)
    assert (ticket_log[-1].kind, ticket_log[-1].previous, ticket_log[-1].new) == (
        ChangeKind.CUSTOMER_CHANGED, str(r.customer_id), str(target.id))
    assert (await log_of(world, target.id))[-1].new == f"#{t.number}"
    assert (await log_of(world, r.customer_id))[-1].previous == f"#{t.number}"
    sofia = await world.user("sofia")
    gone = await world.backend.disable_customer(sofia, r.customer_id, expected_version=1)
    with pytest.raises(RuleViolation, match="disabled"):
        await world.backend.switch_ticket_customer(ana, t.id, gone.id, expected_version=moved.version)
    world.set_ticket(t.id, assignee_id=4)
    with pytest.raises(NotFound):
        await world.backend.switch_ticket_customer(ana, t.id, target.id, expected_version=moved.version)


# --- C6: merge ------------------------------------------------------------------------------------------------


async def test_agents_may_not_merge_customers(world):
    ana = await world.user("ana")
    a = await add(world, ana, "52000111", "Ana", "Ruiz")
    b = await add(world, ana, "52000222", "Ana", "Ruiz")
    with pytest.raises(PermissionDenied, match="may not merge customers"):
        await world.backend.preview_customer_merge(ana, a.id, [b.id], MergeParts())
    with pytest.raises(PermissionDenied):
        await world.backend.merge_customers(ana, a.id, [b.id], MergeParts())
    assert await world.backend.count_customers(ana, CustomerQuery()) == 2


async def test_merge_moves_exactly_what_was_chosen(world):
    sofia = await world.user("sofia")
    main = await add(world, sofia, "52000111", "Ana", "Ruiz", (ContactKind.EMAIL, "ana@x.co"))
    other = await add(world, sofia, "52000222", "Ana", "Ruiz", (ContactKind.EMAIL, "ANA@x.co"),
                      (ContactKind.MOBILE, "300 111 2233"), features=("VIP",))
    await world.backend.add_account(sofia, other.id, AccountInput(number="4001"))
    third = await add(world, sofia, "52000333", "Luis", "Mora")
    await world.backend.add_relation(sofia, third.id, other.id, "Cónyuge")
    parts = MergeParts(contacts=True, accounts=False, tickets=False)
    preview = await world.backend.preview_customer_merge(sofia, main.id, [other.id], parts)
    assert preview.can_merge and (preview.others[0].contacts, preview.others[0].accounts) == (2, 1)
    texts = [str(m) for m in preview.changes]
    assert texts[0].startswith("2 contacts move to Ana Ruiz") and "1 accounts of the other customers are deleted" in texts[1]
    assert texts[-1] == "A merge cannot be undone."
    assert await world.backend.count_customers(sofia, CustomerQuery()) == 3  # the preview wrote nothing
    result = await world.backend.merge_customers(sofia, main.id, [other.id], parts)
    assert (result.contacts_moved, result.accounts_moved, result.tickets_moved) == (1, 0, 0)
    assert result.deleted_ids == (other.id,) and result.main.version == main.version + 1
    assert sorted(c.value for c in await world.backend.list_contacts(sofia, main.id)) == ["300 111 2233", "ana@x.co"]
    assert await world.backend.list_accounts(sofia, main.id) == []
    assert result.main.features == ("VIP",)
    with pytest.raises(NotFound):
        await world.backend.get_customer(sofia, other.id)
    assert await world.backend.list_relations(sofia, third.id) == []
    main_log = [(e.kind, e.field) for e in await log_of(world, main.id)]
    assert (ChangeKind.CUSTOMER_MERGED, "contact") in main_log and (ChangeKind.CUSTOMER_MERGED, "customer") in main_log
    assert (await log_of(world, other.id))[-1].kind is ChangeKind.CUSTOMER_DELETED
    assert (await log_of(world, third.id))[-1].field == "relation"


async def test_merge_with_tickets(world):
    admin = await world.user("admin")
    a = await world.incoming("a@x.com", "uno", name="Ana Ruiz")
    b = await world.incoming("b@x.com", "dos", name="Ana Ruiz")
    c = await world.incoming("3001112233", "tres", channel=ChannelType.WHATSAPP, name="Ana Ruiz")
    world.set_ticket(c.ticket_id, status="closed")
    acc = await world.backend.add_account(admin, b.customer_id, AccountInput(number="4001"))
    world.set_ticket(b.ticket_id, account_id=acc.id)
    blocked = await world.backend.preview_customer_merge(admin, a.customer_id, [b.customer_id, c.customer_id],
                                                         MergeParts(tickets=False))
    assert not blocked.can_merge and "2 tickets" in str(blocked.blocked)
    with pytest.raises(RuleViolation):
        await world.backend.merge_customers(admin, a.customer_id, [b.customer_id, c.customer_id], MergeParts(tickets=False))
    preview = await world.backend.preview_customer_merge(admin, a.customer_id, [b.customer_id, c.customer_id],
                                                         MergeParts(accounts=False))
    assert "2 tickets (1 open) move to Ana Ruiz." in [str(m) for m in preview.changes]
    result = await world.backend.merge_customers(admin, a.customer_id, [b.customer_id, c.customer_id],
                                                 MergeParts(accounts=False))
    assert result.tickets_moved == 2
    for r in (b, c):
        t = await world.backend.get_ticket(admin, r.ticket_id)
        assert t.customer_id == a.customer_id
        assert ChangeKind.CUSTOMER_CHANGED in [e.kind for e in await log_of(world, t.id, EntityKind.TICKET)]
    assert (await world.backend.get_ticket(admin, b.ticket_id)).account_id is None  # its account was not moved
    lost = [(e.field, e.previous) for e in await log_of(world, b.ticket_id, EntityKind.TICKET) if e.kind is ChangeKind.FIELD]
    assert lost == [("account_id", "4001")]  # #15.1: the ticket's log says which account it lost
    with pytest.raises(InvalidInput, match="at least one other customer"):
        await world.backend.merge_customers(admin, a.customer_id, [a.customer_id], MergeParts())
    with pytest.raises(NotFound):
        await world.backend.merge_customers(admin, a.customer_id, [b.customer_id], MergeParts())


# --- T4: assigned user for one campaign -------------------------------------------------------------------


async def _assignment_rows(world, customer_id):
    with world.store.read() as conn:
        ac = schema.CustomerAssignmentRow.__table__.c
        return sorted((r.campaign_id, r.user_id) for r in conn.execute(
            select(ac.campaign_id, ac.user_id).where(ac.customer_id == customer_id)))


async def test_assigned_user_for_one_campaign_set_change_remove(world):
    ana = await world.user("ana")
    c = await add(world, ana, "52000111", "Ana", "Ruiz")
    c2 = await world.backend.set_customer_assignee(ana, c.id, 4, campaign_id=1, expected_version=c.version)
    assert c2.version == c.version + 1 and c2.assigned_user_id is None  # all campaigns untouched
    assert await _assignment_rows(world, c.id) == [(1, 4)]
    with pytest.raises(StaleWrite):  # the customer's version is checked as for all campaigns
        await world.backend.set_customer_assignee(ana, c.id, 3, campaign_id=1, expected_version=c.version)
    assert await _assignment_rows(world, c.id) == [(1, 4)]
    c3 = await world.backend.set_customer_assignee(ana, c.id, 3, campaign_id=1, expected_version=c2.version)
    assert await _assignment_rows(world, c.id) == [(1, 3)]
    with pytest.raises(StaleWrite):  # the same value with a stale version: still stale (#10.2)
        await world.backend.set_customer_assignee(ana, c.id, 3, campaign_id=1, expected_version=c2.version)
    same = await world.backend.set_customer_assignee(ana, c.id, 3, campaign_id=1, expected_version=c3.version)
    assert same.version == c3.version  # nothing changed, nothing written
    profile = await world.backend.customer_profile(ana, c.id)
    assert [(a.campaign_id, a.user_id, a.user_name) for a in profile.assignments] == [(1, 3, "Ana Agente")]
    assert profile.assignments[0].campaign_name
    c4 = await world.backend.set_customer_assignee(ana, c.id, 6, expected_version=c3.version)  # all campaigns
    assert c4.assigned_user_id == 6 and await _assignment_rows(world, c.id) == [(1, 3)]
    c5 = await world.backend.set_customer_assignee(ana, c.id, None, campaign_id=1, expected_version=c4.version)
    assert await _assignment_rows(world, c.id) == [] and c5.assigned_user_id == 6
    assert (await world.backend.customer_profile(ana, c.id)).assignments == ()
    log = [(e.kind, e.previous, e.new) for e in await log_of(world, c.id) if e.kind is ChangeKind.ASSIGNED]
    assert [(p.split(": ")[-1], n.split(": ")[-1]) for _k, p, n in log] == [
        ("", "Bruno Agente"), ("Bruno Agente", "Ana Agente"), ("", "Diego Ambos"), ("Ana Agente", "")]


async def test_assigned_user_for_one_campaign_permission_and_scope(world):
    ana, sofia = await world.user("ana"), await world.user("sofia")
    c = await add(world, ana, "52000111", "Ana", "Ruiz")
    with pytest.raises(PermissionDenied, match="not a member of campaign"):  # ana works campaign 1 only
        await world.backend.set_customer_assignee(ana, c.id, 3, campaign_id=2, expected_version=c.version)
    with pytest.raises(RuleViolation, match="Bruno Agente is not a member of campaign"):
        await world.backend.set_customer_assignee(sofia, c.id, 4, campaign_id=2, expected_version=c.version)
    with pytest.raises(NotFound, match="no campaign with id 99"):
        await world.backend.set_customer_assignee(sofia, c.id, 4, campaign_id=99, expected_version=c.version)
    with pytest.raises(InvalidInput, match="no active user"):
        await world.backend.set_customer_assignee(sofia, c.id, 99, campaign_id=1, expected_version=c.version)
    assert await _assignment_rows(world, c.id) == []
    c2 = await world.backend.set_customer_assignee(sofia, c.id, 5, campaign_id=2, expected_version=c.version)
    assert await _assignment_rows(world, c.id) == [(2, 5)] and c2.version == c.version + 1


async def test_delete_and_merge_handle_campaign_assignments(world):
    sofia = await world.user("sofia")
    gone = await add(world, sofia, "52000999", "Luis", "Mora")
    gone = await world.backend.set_customer_assignee(sofia, gone.id, 4, campaign_id=1, expected_version=gone.version)
    await world.backend.delete_customer(sofia, gone.id)
    assert await _assignment_rows(world, gone.id) == []
    main = await add(world, sofia, "52000111", "Ana", "Ruiz")
    other = await add(world, sofia, "52000222", "Ana", "Ruiz")
    main = await world.backend.set_customer_assignee(sofia, main.id, 3, campaign_id=1, expected_version=main.version)
    other = await world.backend.set_customer_assignee(sofia, other.id, 4, campaign_id=1, expected_version=other.version)
    await world.backend.set_customer_assignee(sofia, other.id, 5, campaign_id=2, expected_version=other.version)
    await world.backend.merge_customers(sofia, main.id, [other.id], MergeParts())
    assert await _assignment_rows(world, main.id) == [(1, 3), (2, 5)]  # main's stays; campaign 2 taken
    assert await _assignment_rows(world, other.id) == []
    profile = await world.backend.customer_profile(sofia, main.id)
    assert [(a.campaign_id, a.user_name) for a in profile.assignments] in (
        [(1, "Ana Agente"), (2, "Carla Ventas")], [(2, "Carla Ventas"), (1, "Ana Agente")])


# --- T15: a contact or account edit never writes over another user's change unseen ----------------


async def test_contact_and_account_updates_refuse_when_they_changed_since_chosen(world):
    from sagicc_tui.domain.customers import AccountInput, ContactInput
    from sagicc_tui.domain.enums import ContactKind
    from sagicc_tui.domain.errors import StaleWrite

    b = world.backend
    ana, sofia = await world.user("ana"), await world.user("sofia")
    r = await world.incoming("a@x.com", "hola", name="Lucía Gómez")
    phone = await b.add_contact(ana, r.customer_id, ContactInput(kind=ContactKind.PHONE, value="3001234567"))
    started = ContactInput(kind=phone.kind, value=phone.value, label=phone.label)
    await b.update_contact(sofia, phone.id, ContactInput(kind=ContactKind.PHONE, value="3007654321"), expected=started)
    with pytest.raises(StaleWrite):
        await b.update_contact(ana, phone.id, ContactInput(kind=ContactKind.MOBILE, value="3001234567"),
                               expected=started)
    assert [c.value for c in await b.list_contacts(ana, r.customer_id) if c.id == phone.id] == ["3007654321"]
    acc = await b.add_account(ana, r.customer_id, AccountInput(number="ACC-1", name="Ahorros"))
    base = AccountInput(number=acc.number, name=acc.name, extra=dict(acc.extra))
    await b.update_account(sofia, acc.id, AccountInput(number="ACC-1", name="Ahorros plus"), expected=base)
    with pytest.raises(StaleWrite):
        await b.update_account(ana, acc.id, AccountInput(number="ACC-1", name="Corriente"), expected=base)
    assert [a.name for a in await b.list_accounts(ana, r.customer_id)] == ["Ahorros plus"]
    # Without `expected` (scripts, the API as before) the update still goes.
    await b.update_account(ana, acc.id, AccountInput(number="ACC-1", name="Corriente"))
