"""#17.1: a refused input names the input it is about (InvalidInput.field) on
every backend. The server sends it as the problem document's `field` and the
remote client raises it again, so a form routes the sentence by field -- never
by its wording, which is in the user's language."""

from __future__ import annotations

import pytest

from sagicc_tui.domain.customers import ContactInput, CustomerInput, DuplicateCustomer
from sagicc_tui.domain.enums import ContactKind, CustomerType, IdType
from sagicc_tui.domain.errors import InvalidInput
from sagicc_tui.domain.models import TaskInput


def person(doc: str = "52000111", first: str = "Ana", last: str = "Ruiz", **kw) -> CustomerInput:
    return CustomerInput(type=CustomerType.PERSON, id_type=IdType.CC, id_number=doc, first_name=first,
                         last_name=last, **kw)


@pytest.mark.parametrize("data, field", [
    (person(doc="12"), "id_number"),
    (person(doc=""), "id_number"),
    (CustomerInput(type=CustomerType.COMPANY, id_type=IdType.NIT, id_number="900123456-1", first_name="Acme"),
     "id_number"),
    (person(first=""), "first_name"),
    (person(last=""), "last_name"),
    (person(middle_name="a\x07b"), "middle_name"),
    (CustomerInput(type=CustomerType.COMPANY, id_type=IdType.NIT, id_number="900123456", first_name="Acme",
                   second_last_name="Ltda"), "second_last_name"),
    (person(birth_date="25/11/1990"), "birth_date"),
    (person(email="ana@"), "email"),
    (person(phone="12-34"), "phone"),
    (CustomerInput(id_type="dni", id_number="1", first_name="A", last_name="B"), "id_type"),
])
async def test_a_refused_customer_names_its_field(world, data, field):
    admin = await world.user("admin")
    with pytest.raises(InvalidInput) as err:
        await world.backend.create_customer(admin, data)
    assert err.value.field == field, str(err.value)


async def test_a_duplicate_document_names_the_document_field(world):
    """Only the store can know of the other customer: this one crosses the wire."""
    admin = await world.user("admin")
    await world.backend.create_customer(admin, person())
    with pytest.raises(DuplicateCustomer) as err:
        await world.backend.create_customer(admin, person(doc="52.000.111", first="Ana María"))
    assert (err.value.field, err.value.existing_id > 0) == ("id_number", True)


@pytest.mark.parametrize("values, field", [
    ({"valor": "3"}, "resultado"),  # required
    ({"resultado": "Quizás"}, "resultado"),  # not one of the choices
    ({"resultado": "Solucionado", "valor": "mucho"}, "valor"),
    ({"resultado": "Solucionado", "compromiso": "mañana"}, "compromiso"),
    ({"resultado": "Solucionado", "inventado": "x"}, "inventado"),
])
async def test_a_refused_task_names_its_task_field(world, values, field):
    """The task form is checked by the store (not by the client first): the field
    travels in the problem document."""
    r = await world.incoming("a@x.com", "hola")
    ana = await world.user("ana")
    ticket = await world.backend.get_ticket(ana, r.ticket_id)
    with pytest.raises(InvalidInput) as err:
        await world.backend.add_task(ana, r.ticket_id, TaskInput(values=values), expected_version=ticket.version)
    assert err.value.field == field, str(err.value)


async def test_a_refused_contact_names_its_value(world):
    admin = await world.user("admin")
    c = await world.backend.create_customer(admin, person())
    with pytest.raises(InvalidInput) as err:
        await world.backend.add_contact(admin, c.id, ContactInput(kind=ContactKind.EMAIL, value="ana@"))
    assert err.value.field == "value"



async def test_a_contact_the_customer_already_has_names_its_value(world):
    """Only the store knows the customer's other contacts: this one crosses the wire."""
    admin = await world.user("admin")
    c = await world.backend.create_customer(admin, person())
    await world.backend.add_contact(admin, c.id, ContactInput(kind=ContactKind.EMAIL, value="ana@correo.co"))
    with pytest.raises(InvalidInput) as err:
        await world.backend.add_contact(admin, c.id, ContactInput(kind=ContactKind.EMAIL, value="ANA@correo.co"))
    assert err.value.field == "value", str(err.value)
