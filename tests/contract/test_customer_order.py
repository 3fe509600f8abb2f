"""#15.8 C1: names in Spanish order on every backend -- accents and case do
not move a name (Álvaro, Ángela and Óscar with their letters, not after Zoë),
ñ is the letter after n (Cañas before Castro) -- paged by keyset and by an
index; a rename moves the customer."""

from __future__ import annotations

from sagicc_tui.domain.customers import CustomerInput, CustomerOrder, CustomerQuery
from sagicc_tui.domain.enums import CustomerType, IdType

NAMES = [("Zoë", "Ruiz"), ("Óscar", "Pérez"), ("Álvaro", "Núñez"), ("ángela", "Mora"), ("Bruno", "Cañas"),
         ("Bruno", "Castro"), ("Nuño", "Gil"), ("Nube", "Gil"), ("Ñandú", "Sur"), ("Oscar", "Abad"),
         ("Carla", "Núñez"), ("Carla", "Nuno")]
SPANISH = ["Álvaro Núñez", "ángela Mora", "Bruno Cañas", "Bruno Castro", "Carla Nuno", "Carla Núñez",
           "Nube Gil", "Nuño Gil", "Ñandú Sur", "Oscar Abad", "Óscar Pérez", "Zoë Ruiz"]


async def _all(world, admin, limit):
    seen, after = [], None
    while True:
        page = await world.backend.list_customers(admin, CustomerQuery(order=CustomerOrder.NAME), limit=limit,
                                                  after=after)
        seen += [r.full_name for r in page.rows]
        if page.next_cursor is None:
            return seen
        after = page.next_cursor


async def test_names_sort_in_spanish_order_by_keyset(world):
    admin = await world.user("admin")
    for i, (first, last) in enumerate(NAMES):
        await world.backend.create_customer(admin, CustomerInput(id_type=IdType.CC, id_number=f"5200030{i:02d}",
                                                                 first_name=first, last_name=last))
    assert await _all(world, admin, 100) == SPANISH
    assert await _all(world, admin, 5) == SPANISH  # pages meet exactly, nothing twice or lost
    jump = await world.backend.list_customers(admin, CustomerQuery(order=CustomerOrder.NAME), limit=3, offset=4)
    assert [r.full_name for r in jump.rows] == SPANISH[4:7]


async def test_a_rename_and_an_ingested_customer_take_their_place(world):
    admin = await world.user("admin")
    a = await world.backend.create_customer(admin, CustomerInput(id_type=IdType.CC, id_number="52000400",
                                                                 first_name="Zacarías", last_name="Ruiz"))
    await world.backend.create_customer(admin, CustomerInput(type=CustomerType.COMPANY, id_type=IdType.NIT,
                                                             id_number="900123456", first_name="Éxito S.A."))
    await world.incoming("+57 301 555 0009", "hola", name="Íñigo Ibáñez")
    await world.backend.update_customer(admin, a.id, CustomerInput(id_type=IdType.CC, id_number="52000400",
                                                                   first_name="Ágata", last_name="Ruiz"),
                                        expected_version=a.version)
    assert await _all(world, admin, 2) == ["Ágata Ruiz", "Éxito S.A.", "Íñigo Ibáñez"]
