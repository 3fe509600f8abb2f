"""A realistic, deterministic demo store (`sagicc demo`), fast enough for a million tickets.

`build_demo(path, tickets=N, seed=S, now=T)` fills a new store (a SQLite file,
or a PostgreSQL database given by URL) with
three campaigns (two Spanish, one English), about twenty users in every role,
customers with contacts, accounts, features, relations and a few deliberate
near-duplicates, and N tickets with their interactions, tasks, notes and a few
change-log rows. The same seed and the same `now` give byte-identical table
contents; everything random comes from one seeded `random.Random`.

How it stays fast (1,000,000 tickets in well under two minutes on two cores):
- the schema is created without indexes (`ensure_schema(indexes=False)`) and
  `finish_bulk_load` builds every index and the FTS5 search index once at the
  end, instead of maintaining them row by row;
- rows are plain tuples inserted with the DB-API cursor's `executemany` in
  batches of 20,000, all inside one transaction (so a failure leaves no
  half-built data behind);
- SQLite: during the load only, the connection runs with `journal_mode=MEMORY`,
  `synchronous=OFF`, a large page cache and in-memory temp storage; the
  engine's own settings (WAL, synchronous=FULL, ...) are put back afterwards,
  also when the build fails;
- PostgreSQL: the same rows go through COPY (psycopg 3) in one transaction,
  into tables without indexes and without foreign keys (both are added by
  `finish_bulk_load`, which checks every foreign key at once); the id
  sequences are then moved past the loaded ids. The same seed and `now`
  give the same rows as on SQLite;
- per-row work is integer epoch arithmetic and indexing into precomputed
  lists (messages, names, task values); no datetime objects per row.

Not generated: attachments (they need blob files beside the store), drafts,
the business rule log and merged tickets.

Size of conversations: up to 100,000 tickets a ticket has 1-6 interactions
(about 2.5 on average: New tickets and the freshest ones have fewer). Larger
stores use a shorter mix, 1-4 interactions (about 1.9 on average), so that a
million tickets load within the two-minute budget.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, text

from sagicc_tui.domain.customers import name_sort_key, nit_check_digit
from sagicc_tui.domain.enums import (
    ChannelType,
    ContactKind,
    FieldType,
    NoteColor,
    Priority,
    Role,
    TicketType,
)
from sagicc_tui.domain.errors import InvalidInput
from sagicc_tui.domain.messages import N_
from sagicc_tui.domain.models import Campaign, MessageTemplate, SlaRule, Survey, TaskField
from sagicc_tui.domain.text import strip_accents
from sagicc_tui.local_store import schema
from sagicc_tui.local_store.convert import campaign_to_config, normalize_contact, to_epoch
from sagicc_tui.local_store.engine import open_store_engine
from sagicc_tui.local_store.migrations import ensure_schema, finish_bulk_load
from sagicc_tui.local_store.ticket_actions import summary

__all__ = ["DemoSummary", "build_demo", "demo_campaigns", "DEMO_USERS"]

MINUTE = 60
HOUR = 3600
DAY = 86400
WINDOW_DAYS = 120  # tickets are created over the last 120 days before `now`
BATCH = 20_000  # rows per executemany
FIRST_NUMBER = 100001
LOCAL_UTC_OFFSET = -5 * HOUR  # the demo contact center works on Bogotá time


@dataclass(frozen=True, slots=True)
class DemoSummary:
    campaigns: int
    users: int
    customers: int
    tickets: int
    interactions: int
    tasks: int
    notes: int
    elapsed_seconds: float


# --- campaigns ---------------------------------------------------------------------

CH = ChannelType

SERVICE_SCRIPT = """\
1. Saludo: «Buenos días/tardes, le habla {agente} de Servicio al cliente. ¿Con quién tengo el gusto?»
2. Valide la identidad: tipo y número de documento, y un dato de contacto registrado.
3. Escuche el motivo sin interrumpir y confirme con sus palabras lo que entendió.
4. Revise el historial del cliente y los casos abiertos antes de proponer una solución.
5. Si no puede resolver en este contacto, registre la gestión con resultado «Escalado a segundo nivel»
   y una fecha de compromiso; nunca prometa tiempos que no dependan de usted.
6. Cierre: «¿Hay algo más en lo que le pueda ayudar?» y agradezca la comunicación."""

SALES_SCRIPT = """\
1. Preséntese y pregunte si es buen momento para hablar.
2. Identifique la necesidad: ¿para el hogar o para la empresa? ¿cuántas personas lo usarán?
3. Ofrezca el plan adecuado (Básico, Plus o Empresarial) y mencione la promoción vigente.
4. Registre el interés del cliente y, si pide tiempo, agende la próxima gestión."""

SUPPORT_SCRIPT = """\
1. Greet the customer by name and thank them for contacting Support.
2. Confirm the account e-mail and reproduce the problem (browser, app version, steps).
3. Search the knowledge base before escalating; link the article you used.
4. Escalate to engineering only with steps to reproduce and a screenshot.
5. Close with a summary of what was done and ask whether anything else is needed."""


def demo_campaigns() -> list[Campaign]:
    """The three demo campaigns, ids 1-3."""
    service = Campaign(
        id=1,
        name="Servicio al cliente",
        view_all_tickets=False,
        mass_close_allowed=True,
        allow_other_contacts=False,
        task_fields=(
            TaskField(key="resultado", label="Resultado", type=FieldType.CHOICE, required=True,
                      choices=("Solucionado", "Pendiente cliente", "Escalado a segundo nivel",
                               "Sin contacto")),
            TaskField(key="motivo", label="Motivo", type=FieldType.TEXT),
            TaskField(key="valor", label="Valor", type=FieldType.NUMBER),
            TaskField(key="fecha_compromiso", label="Fecha de compromiso", type=FieldType.DATE),
        ),
        primary_field="resultado",
        incoming_channels=(CH.EMAIL, CH.WHATSAPP, CH.TELEPHONY, CH.CHAT),
        outgoing_channels=(CH.EMAIL, CH.WHATSAPP, CH.TELEPHONY),
        script=SERVICE_SCRIPT,
        sla_rules=(
            SlaRule(priority=Priority.CRITICAL, first_response_minutes=15, resolution_minutes=240),
            SlaRule(priority=Priority.HIGH, first_response_minutes=60, resolution_minutes=1440),
            SlaRule(priority=Priority.MEDIUM, first_response_minutes=240, resolution_minutes=2880),
            SlaRule(priority=Priority.LOW, first_response_minutes=480, resolution_minutes=4320),
        ),
        templates=(
            MessageTemplate(key="saludo", name="Saludo inicial",
                            body="Hola {customer_name}, gracias por comunicarte con nosotros. Tu caso "
                                 "{ticket_number} ya está en revisión y te responderemos pronto."),
            MessageTemplate(key="documentos", name="Solicitud de documentos", channel=CH.EMAIL,
                            subject="Caso {ticket_number}: documentos pendientes",
                            body="Estimado(a) {customer_name}:\n\nPara continuar con el caso "
                                 "{ticket_number} necesitamos una copia de su documento de identidad "
                                 "y de la última factura.\n\nCordialmente,\nServicio al cliente"),
            MessageTemplate(key="cierre", name="Cierre del caso",
                            body="{customer_name}, damos por solucionado el caso {ticket_number}. "
                                 "Si necesitas algo más, responde a este mensaje."),
        ),
        surveys=(Survey(key="nps", name="Encuesta de satisfacción",
                        url="https://encuestas.example.com/nps?caso={ticket_number}"),),
    )
    sales = Campaign(
        id=2,
        name="Ventas",
        view_all_tickets=True,
        mass_close_allowed=False,
        allow_other_contacts=False,
        task_fields=(
            TaskField(key="interes", label="Interés", type=FieldType.CHOICE, required=True,
                      choices=("Alto", "Medio", "Bajo", "No interesado")),
            TaskField(key="producto", label="Producto", type=FieldType.CHOICE,
                      choices=("Plan Básico", "Plan Plus", "Plan Empresarial")),
            TaskField(key="monto", label="Monto cotizado", type=FieldType.NUMBER),
            TaskField(key="fecha_cierre", label="Fecha estimada de cierre", type=FieldType.DATE),
        ),
        primary_field="interes",
        incoming_channels=(CH.WHATSAPP, CH.TELEPHONY),
        outgoing_channels=(CH.WHATSAPP, CH.TELEPHONY),
        script=SALES_SCRIPT,
        sla_rules=(
            SlaRule(priority=Priority.CRITICAL, first_response_minutes=10, resolution_minutes=480),
            SlaRule(priority=Priority.HIGH, first_response_minutes=30, resolution_minutes=1440),
            SlaRule(priority=Priority.MEDIUM, first_response_minutes=120, resolution_minutes=4320),
            SlaRule(priority=Priority.LOW, first_response_minutes=480, resolution_minutes=10080),
        ),
        templates=(
            MessageTemplate(key="cotizacion", name="Envío de cotización", channel=CH.WHATSAPP,
                            body="Hola {customer_name}, te comparto la cotización del caso "
                                 "{ticket_number}. ¿Te queda alguna duda?"),
            MessageTemplate(key="seguimiento", name="Seguimiento",
                            body="{customer_name}, ¿pudiste revisar la propuesta? Quedo atento "
                                 "(caso {ticket_number})."),
        ),
    )
    support = Campaign(
        id=3,
        name="Support EN",
        view_all_tickets=False,
        mass_close_allowed=True,
        allow_other_contacts=True,
        task_fields=(
            TaskField(key="outcome", label="Outcome", type=FieldType.CHOICE, required=True,
                      choices=("Resolved", "Waiting on customer", "Escalated to engineering",
                               "Duplicate")),
            TaskField(key="category", label="Category", type=FieldType.CHOICE,
                      choices=("Billing", "Login", "Bug", "How-to", "Feature request")),
            TaskField(key="minutes_spent", label="Minutes spent", type=FieldType.NUMBER),
            TaskField(key="root_cause", label="Root cause", type=FieldType.TEXT),
        ),
        primary_field="outcome",
        incoming_channels=(CH.EMAIL, CH.CHAT),
        outgoing_channels=(CH.EMAIL, CH.CHAT),
        script=SUPPORT_SCRIPT,
        sla_rules=(
            SlaRule(priority=Priority.CRITICAL, first_response_minutes=30, resolution_minutes=480),
            SlaRule(priority=Priority.HIGH, first_response_minutes=120, resolution_minutes=1440),
            SlaRule(priority=Priority.MEDIUM, first_response_minutes=480, resolution_minutes=4320),
            SlaRule(priority=Priority.LOW, first_response_minutes=1440, resolution_minutes=10080),
        ),
        templates=(
            MessageTemplate(key="ack", name="Acknowledgement",
                            body="Hi {customer_name}, thanks for reaching out. Ticket {ticket_number} "
                                 "is with our team and we'll get back to you shortly."),
            MessageTemplate(key="info", name="More information needed", channel=CH.EMAIL,
                            subject="Ticket {ticket_number}: a few more details",
                            body="Hi {customer_name},\n\nCould you send us a screenshot of the error "
                                 "and the steps that lead to it?\n\nBest regards,\nSupport"),
            MessageTemplate(key="solved", name="Solved",
                            body="Glad we could help, {customer_name}! We're closing ticket "
                                 "{ticket_number}; just reply if anything else comes up."),
        ),
        surveys=(Survey(key="csat", name="Customer satisfaction",
                        url="https://surveys.example.com/csat?t={ticket_number}"),),
    )
    return [service, sales, support]


# --- users -------------------------------------------------------------------------

# (username, full name, role, campaign ids, busy)
DEMO_USERS: tuple[tuple[str, str, Role, tuple[int, ...], bool], ...] = (
    ("admin", "Administrador del sistema", Role.ADMINISTRATOR, (1, 2, 3), False),
    ("lrestrepo", "Lucía Restrepo Gómez", Role.SUPERVISOR, (1, 2), False),
    ("hcardenas", "Héctor Cárdenas Ruiz", Role.SUPERVISOR, (1, 2), False),
    ("sconnor", "Sarah O'Connor", Role.SUPERVISOR, (3,), False),
    ("amartinez", "Andrés Martínez López", Role.AGENT, (1,), False),
    ("vmunoz", "Valentina Muñoz Pérez", Role.AGENT, (1,), True),
    ("jospina", "Julián Ospina Mejía", Role.AGENT, (1, 2), False),
    ("cgarcia", "Camila García Torres", Role.AGENT, (1,), False),
    ("srodriguez", "Sebastián Rodríguez Díaz", Role.AGENT, (1, 3), False),
    ("mhernandez", "Mónica Hernández Castro", Role.AGENT, (1,), False),
    ("dquintero", "Diego Quintero Salazar", Role.AGENT, (1, 2), True),
    ("nortiz", "Natalia Ortiz Zapata", Role.AGENT, (1,), False),
    ("fvargas", "Felipe Vargas Núñez", Role.AGENT, (2,), False),
    ("pjimenez", "Paula Jiménez Arango", Role.AGENT, (2,), False),
    ("rsuarez", "Ramón Suárez Peña", Role.AGENT, (2, 1), False),
    ("ibermudez", "Inés Bermúdez Osorio", Role.AGENT, (2,), False),
    ("jsmith", "James Smith", Role.AGENT, (3,), False),
    ("ejohnson", "Emily Johnson", Role.AGENT, (3,), False),
    ("owilliams", "Owen Williams", Role.AGENT, (3, 1), False),
    ("gbrown", "Grace Brown", Role.AGENT, (3,), False),
)

# --- names -------------------------------------------------------------------------

ES_FIRST = (
    "José", "María", "Andrés", "Sofía", "Camila", "Julián", "Sebastián", "Valentina", "Martín",
    "Lucía", "Ramón", "Inés", "Óscar", "Iván", "Tomás", "Joaquín", "Mónica", "Verónica", "Ángela",
    "Héctor", "Raúl", "Jesús", "Carlos", "Ana", "Luis", "Laura", "Diego", "Daniela", "Juan",
    "Paula", "Jorge", "Natalia", "Felipe", "Carolina", "Santiago", "Alejandra", "Miguel", "Isabel",
    "Pedro", "Gabriela", "Ricardo", "Diana", "Manuel", "Marta", "Fernando", "Adriana", "Álvaro",
    "Beatriz", "Nicolás", "Mariana",
)
ES_MIDDLE = (
    "Antonio", "Eduardo", "Alberto", "Fernanda", "Patricia", "Esteban", "Alejandro", "Elena",
    "José", "María", "Andrea", "Ignacio", "Lucía", "Ángel", "Cristina", "David",
)
ES_LAST = (
    "García", "Rodríguez", "Martínez", "López", "González", "Hernández", "Pérez", "Sánchez",
    "Ramírez", "Torres", "Gómez", "Díaz", "Muñoz", "Rojas", "Vargas", "Castro", "Ortiz", "Jiménez",
    "Moreno", "Álvarez", "Romero", "Suárez", "Gutiérrez", "Peña", "Ríos", "Cárdenas", "Mejía",
    "Restrepo", "Valencia", "Quintero", "Zapata", "Ospina", "Londoño", "Cañas", "Ibáñez", "Ordóñez",
    "Acuña", "Patiño", "Montaño", "Salazar", "Herrera", "Castaño", "Arango", "Bermúdez", "Cortés",
    "Durán", "Marín", "Núñez", "Osorio", "Sáenz",
)
EN_FIRST = (
    "James", "Mary", "John", "Patricia", "Robert", "Jennifer", "Michael", "Linda", "William",
    "Elizabeth", "David", "Susan", "Richard", "Jessica", "Joseph", "Sarah", "Thomas", "Karen",
    "Emily", "Daniel", "Olivia", "Ethan", "Grace", "Liam", "Chloe", "Noah", "Hannah", "Owen",
    "Zoë", "Renée",
)
EN_MIDDLE = ("Lee", "Marie", "Ann", "James", "Rose", "Edward", "Lynn", "Michael", "Jane", "Paul")
EN_LAST = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Wilson", "Anderson",
    "Taylor", "Thomas", "Moore", "Martin", "Jackson", "Thompson", "White", "Harris", "Clark",
    "Lewis", "Robinson", "Walker", "Young", "Allen", "King", "Wright", "Scott", "Green", "Baker",
    "Adams", "Nelson", "O'Brien", "McCarthy", "Murphy", "Sullivan", "Kelly",
)
COMPANY_ES = (
    ("Distribuciones", "Comercializadora", "Inversiones", "Transportes", "Grupo", "Soluciones",
     "Industrias", "Constructora", "Ferretería", "Laboratorios", "Alimentos", "Servicios"),
    ("Andina", "del Pacífico", "El Roble", "Santa Fe", "La Esperanza", "Nova", "Altamira",
     "Los Andes", "Caribe", "Horizonte", "San Martín", "La Montaña", "Cafetera", "Del Valle"),
    ("S.A.S.", "S.A.", "Ltda.", "& Cía. S.A.S."),
)
COMPANY_EN = (
    ("Northwind", "Blue Harbor", "Summit", "Redwood", "Lakeside", "Pioneer", "Silverline",
     "Brightpath", "Granite", "Evergreen"),
    ("Traders", "Logistics", "Software", "Foods", "Consulting", "Health", "Analytics", "Supply"),
    ("LLC", "Inc.", "Ltd.", "Corp."),
)
EMAIL_DOMAINS_ES = ("gmail.com", "hotmail.com", "outlook.com", "yahoo.es", "une.net.co", "correo.co")
EMAIL_DOMAINS_EN = ("gmail.com", "outlook.com", "yahoo.com", "icloud.com", "proton.me")
CITIES = ("Bogotá", "Medellín", "Cali", "Barranquilla", "Cartagena", "Bucaramanga", "Pereira",
          "Manizales", "Santa Marta", "Cúcuta", "Ibagué", "Pasto")
STREETS = ("Calle", "Carrera", "Avenida", "Diagonal", "Transversal")
FEATURES = ("VIP", "Moroso", "Nuevo", "Empresarial", "Fidelizado")
RELATIONS = ("Cónyuge", "Hijo(a)", "Padre/Madre", "Hermano(a)", "Representante legal",
             "Empleado de", "Referido por")
CONTACT_LABELS = ("Personal", "Trabajo", "Casa", "Oficina", "")
NOTE_COLORS = tuple(c.value for c in NoteColor)

# --- messages ----------------------------------------------------------------------
# {name} (customer's first name) and {ticket} (ticket number) are filled per row;
# the other placeholders are filled once, with several values each, into pools.

ES_FILL = {
    "order": ("PED-{n5}", "#{n6}", "{n7}"),
    "invoice": ("FE-{n6}", "{n8}", "FV{n5}"),
    "account": ("{n10}", "CTA-{n6}"),
    "city": CITIES,
    "date": ("{d}/{m:02d}/{year}", "el {d} de {mes}", "{d}/{m:02d}"),
    "amount": ("{k}.{c:03d}", "{k}.000", "{k}.{c:03d}"),
    "days": ("{small}",),
    "mins": ("{small}",),
    "plan": ("Plan Básico", "Plan Plus", "Plan Empresarial", "plan de 300 megas", "plan pospago 40 GB"),
    "topic": ("el estado del pedido", "un cobro en la factura", "la garantía del equipo",
              "el cambio de plan", "la cita técnica", "el certificado de paz y salvo",
              "la portabilidad de su número", "la fecha de corte"),
}
EN_FILL = {
    "order": ("#{n6}", "ORD-{n5}"),
    "invoice": ("INV-{n6}", "{n8}"),
    "account": ("{n8}",),
    "city": ("Austin", "Denver", "Seattle", "Boston", "Toronto", "London", "Dublin"),
    "date": ("{mon} {d}", "{m}/{d}/{year}"),
    "amount": ("{k}.{c2:02d}", "{k}.00"),
    "days": ("{small}",),
    "mins": ("{small}",),
    "plan": ("Starter plan", "Pro plan", "Business plan"),
    "topic": ("a billing question", "the login issue", "the CSV export", "a refund"),
}

ES_SERVICE_OPEN = {
    TicketType.QUESTION: (
        "Buenos días, quisiera saber el estado de mi pedido {order}.",
        "Hola, ¿cuál es el horario de atención de la sede {city}?",
        "¿Me pueden confirmar si ya se registró el pago de la factura {invoice}?",
        "Necesito un certificado de paz y salvo de la cuenta {account}, por favor.",
        "Buenas tardes. ¿Cómo actualizo mis datos de contacto? Cambié de número.",
        "Hola, ¿qué documentos necesito para trasladar el servicio a {city}?",
    ),
    TicketType.COMPLAINT: (
        "Llevo {days} días esperando una respuesta y nadie me soluciona nada.",
        "El técnico no llegó a la cita programada para {date}. Perdí toda la mañana.",
        "La atención en la sede {city} fue pésima, me tuvieron {mins} minutos en fila.",
        "Es la tercera vez que escribo por lo mismo y no me responden.",
        "El servicio de internet se cae todas las noches desde hace {days} días.",
    ),
    TicketType.CLAIM: (
        "Me cobraron dos veces la factura {invoice}; solicito el reembolso de ${amount}.",
        "Solicito la devolución de ${amount} cobrados por un servicio que no pedí.",
        "El producto del pedido {order} llegó dañado. Adjunto fotos y pido el cambio.",
        "Quiero hacer efectiva la garantía del equipo que compré {date}.",
        "Cancelé el servicio hace {days} días y me siguen cobrando la cuenta {account}.",
    ),
    TicketType.SUGGESTION: (
        "Sería muy útil poder pagar la factura desde la app con PSE.",
        "Sugiero ampliar el horario de atención de la sede {city} los sábados.",
        "Deberían enviar un recordatorio unos días antes del vencimiento de la factura.",
        "Les recomiendo habilitar la atención por WhatsApp también los domingos.",
    ),
}
ES_SALES_OPEN = {
    TicketType.QUESTION: (
        "Hola, me interesa el {plan}. ¿Qué precio tiene?",
        "¿Tienen cobertura en {city}? Quiero contratar internet para la casa.",
        "¿Hay descuento si pago el año por anticipado?",
        "Buenas, ¿el {plan} incluye instalación?",
    ),
    TicketType.COMPLAINT: (
        "El asesor me prometió una llamada ayer y nunca me llamaron.",
        "El precio que me dieron por teléfono no coincide con la cotización.",
    ),
    TicketType.CLAIM: (
        "Me activaron el {plan} sin mi autorización; solicito la cancelación.",
        "Me cobraron ${amount} de instalación y me dijeron que era gratis.",
    ),
    TicketType.SUGGESTION: (
        "Deberían tener un plan para pequeñas empresas con menos de 5 líneas.",
        "Sería bueno poder comparar los planes en la página web.",
    ),
}
EN_SUPPORT_OPEN = {
    TicketType.QUESTION: (
        "Hi, how do I export my data to CSV?",
        "Hello, can I change the e-mail address on account {account}?",
        "Is there a way to add a second user to the {plan}?",
        "Could you confirm that payment for invoice {invoice} went through?",
    ),
    TicketType.COMPLAINT: (
        "I can't log in to my account since this morning and nobody answers the chat.",
        "The app crashes every time I upload a file larger than 10 MB.",
        "I've been waiting {days} days for a reply. This is not acceptable.",
    ),
    TicketType.CLAIM: (
        "Invoice {invoice} shows a charge of ${amount} I don't recognize. Please refund it.",
        "Order {order} arrived damaged; I'd like a replacement.",
        "I was charged twice for the {plan} this month.",
    ),
    TicketType.SUGGESTION: (
        "It would be great to have a dark mode in the app.",
        "Please add two-factor authentication with an authenticator app.",
        "A weekly summary e-mail would be really useful.",
    ),
}
ES_FOLLOW_IN = (
    "Gracias, quedo atento.", "¿Hay alguna novedad con mi caso?",
    "Ya envié los documentos que me pidieron.", "Todavía no me ha llegado nada.",
    "Perfecto, muchas gracias por la ayuda.", "¿Me pueden llamar a este número, por favor?",
    "Adjunto el comprobante de pago.", "Listo, ya funciona. Gracias.",
    "No entiendo, ¿qué tengo que hacer exactamente?", "Ok, espero su respuesta.",
    "Sigo con el mismo problema desde {date}.", "Mi número de documento es el que aparece en la cuenta {account}.",
)
ES_SALES_FOLLOW_IN = (
    "¿Me pueden enviar la cotización por escrito?", "Déjeme pensarlo y le confirmo.",
    "¿Aceptan pago con tarjeta de crédito?", "Me interesa, ¿cuándo pueden instalar?",
    "Ya no me interesa, gracias.", "¿Ese precio incluye IVA?", "¿Puedo cambiar de plan más adelante?",
    "Mañana le confirmo, estoy en una reunión.",
)
EN_FOLLOW_IN = (
    "Thanks, I'll wait for your reply.", "Any update on this?",
    "I attached the screenshot you asked for.", "Still not working, unfortunately.",
    "That worked, thank you!", "Can someone call me instead?", "Sorry, which settings page do you mean?",
)
ES_SERVICE_OUT = (
    "Hola {name}, gracias por comunicarte con nosotros. Ya estamos revisando tu caso {ticket}.",
    "Hola {name}, te confirmamos que el pago de la factura {invoice} quedó registrado.",
    "Con gusto, {name}. ¿Nos confirmas tu número de documento para validar la información?",
    "{name}, escalamos tu solicitud al área encargada; te responderemos en máximo 48 horas.",
    "Hola {name}, el reembolso de ${amount} quedó programado para {date}.",
    "{name}, reprogramamos la visita técnica para {date} entre 8 y 12 del día.",
    "Quedamos atentos a cualquier inquietud, {name}. ¡Feliz día!",
    "Hola {name}, para continuar necesitamos una copia de la factura {invoice}.",
)
ES_SALES_OUT = (
    "Hola {name}, el {plan} cuesta ${amount} al mes e incluye la instalación.",
    "{name}, te envío la cotización por este medio. Quedo atento a tus comentarios.",
    "Hola {name}, sí tenemos cobertura en {city}. ¿Agendamos la instalación?",
    "{name}, este mes tenemos 20% de descuento en el {plan}.",
    "Gracias por tu interés, {name}. ¿En qué horario te puedo llamar?",
)
EN_SUPPORT_OUT = (
    "Hi {name}, thanks for reaching out. We're looking into ticket {ticket}.",
    "Hi {name}, could you send us a screenshot of the error?",
    "{name}, a fix has been deployed; please try again and let us know.",
    "We've issued a refund of ${amount}, {name}; it may take 5-10 business days.",
    "Glad we could help, {name}! Let us know if anything else comes up.",
    "Hi {name}, I've reset your password. Please check your inbox.",
)
ES_CALL_IN = (
    "Llamada entrante ({mins} min): el cliente consulta por {topic}.",
    "Llamada entrante ({mins} min): el cliente reporta inconvenientes con {topic}.",
    "Llamada entrante: el cliente pide que lo llamen más tarde.",
)
ES_CALL_OUT = (
    "Llamada saliente ({mins} min): se informa al cliente sobre {topic}.",
    "Llamada saliente sin respuesta; se deja mensaje de voz.",
    "Llamada saliente ({mins} min): el cliente acepta la propuesta, se envía resumen por escrito.",
)
ES_SUBJECTS = {
    TicketType.QUESTION: ("Consulta sobre mi pedido {order}", "Pregunta sobre la factura {invoice}",
                          "Solicitud de certificado", "Información de horarios"),
    TicketType.COMPLAINT: ("Queja por mala atención", "Queja: visita técnica incumplida",
                           "Fallas en el servicio"),
    TicketType.CLAIM: ("Reclamo por cobro doble", "Solicitud de reembolso", "Reclamo pedido {order}",
                       "Garantía de equipo"),
    TicketType.SUGGESTION: ("Sugerencia", "Sugerencia para mejorar el servicio"),
}
EN_SUBJECTS = {
    TicketType.QUESTION: ("Question about my account", "How to export data", "Invoice {invoice}"),
    TicketType.COMPLAINT: ("Can't log in", "App keeps crashing", "Still waiting for an answer"),
    TicketType.CLAIM: ("Refund request", "Damaged order {order}", "Double charge"),
    TicketType.SUGGESTION: ("Feature request", "Suggestion: dark mode"),
}
ES_DESCRIPTIONS = {
    TicketType.QUESTION: ("Consulta estado de pedido", "Consulta de pago de factura",
                          "Solicitud de certificado de paz y salvo", "Consulta de horarios y sedes",
                          "Actualización de datos"),
    TicketType.COMPLAINT: ("Queja por demora en la respuesta", "Queja por visita técnica incumplida",
                           "Queja por atención en sede", "Intermitencia del servicio"),
    TicketType.CLAIM: ("Reclamo por cobro doble", "Solicitud de reembolso", "Producto dañado",
                       "Garantía de equipo", "Cobro después de la cancelación"),
    TicketType.SUGGESTION: ("Sugerencia de medios de pago", "Sugerencia de horarios",
                            "Sugerencia de recordatorios"),
}
ES_SALES_DESCRIPTIONS = {
    TicketType.QUESTION: ("Cotización de plan hogar", "Consulta de cobertura", "Consulta de precios"),
    TicketType.COMPLAINT: ("Llamada de ventas incumplida", "Diferencia en cotización"),
    TicketType.CLAIM: ("Activación sin autorización", "Cobro de instalación"),
    TicketType.SUGGESTION: ("Sugerencia de plan pymes", "Sugerencia página web"),
}
EN_DESCRIPTIONS = {
    TicketType.QUESTION: ("Data export question", "Account e-mail change", "Add a user to the plan"),
    TicketType.COMPLAINT: ("Login failure", "App crash on upload", "Slow response from support"),
    TicketType.CLAIM: ("Unrecognized charge", "Damaged order", "Double charge"),
    TicketType.SUGGESTION: ("Dark mode request", "2FA request", "Weekly summary request"),
}
ES_OBSERVATIONS = (
    "Se explica el procedimiento al cliente.", "Cliente no contesta; se intenta de nuevo más tarde.",
    "Se envía la información solicitada por correo.", "Pendiente respuesta del área de facturación.",
    "Se valida identidad y se actualizan datos.", "Cliente satisfecho con la solución.",
    "Se escala a segundo nivel con soporte.", "",
)
EN_OBSERVATIONS = (
    "Walked the customer through the steps.", "Waiting for the customer's screenshot.",
    "Escalated with reproduction steps.", "Customer confirmed the fix.", "",
)
ES_NOTES = (
    "Cliente muy molesto, tratar con cuidado.", "Prefiere que lo llamen después de las 5 p. m.",
    "Ojo: tiene otro caso abierto por el mismo tema.", "Pidió hablar con un supervisor.",
    "Revisar con facturación antes de responder.", "Cliente VIP, priorizar.",
)
EN_NOTES = (
    "Customer is very upset, handle with care.", "Prefers e-mail over calls.",
    "Has another open ticket about the same issue.", "Check with billing before answering.",
)
ES_MESES = ("enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto",
            "septiembre", "octubre", "noviembre", "diciembre")
EN_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


# --- helpers -----------------------------------------------------------------------


def _ascii(s: str) -> str:
    """Lower-case ASCII letters and digits only, accents folded: "Muñoz" -> "munoz"."""
    return "".join(ch for ch in strip_accents(s).lower() if ch.isascii() and ch.isalnum())


def _weighted(pairs: tuple[tuple[Any, int], ...]) -> list[Any]:
    """A lookup list: pick with lst[int(random() * len(lst))]."""
    out: list[Any] = []
    for value, weight in pairs:
        out.extend([value] * weight)
    return out


class _Filler:
    """Fills the fixed placeholders of message templates with random values."""

    def __init__(self, rng: random.Random, fills: dict[str, tuple[str, ...]], months: tuple[str, ...],
                 year: int):
        self.rng = rng
        self.year = year
        self.fills = fills
        self.months = months

    def value(self, key: str) -> str:
        r = self.rng
        pattern = r.choice(self.fills[key])
        m = r.randint(1, 12)
        return pattern.format(
            n5=r.randint(10000, 99999), n6=r.randint(100000, 999999), n7=r.randint(1000000, 9999999),
            n8=r.randint(10000000, 99999999), n10=r.randint(1000000000, 9999999999),
            d=r.randint(1, 28), m=m, mes=self.months[m - 1], mon=self.months[m - 1],
            k=r.randint(12, 980), c=r.randint(0, 999), c2=r.randint(0, 99), small=r.randint(2, 15), year=self.year,
        )

    def pool(self, templates: tuple[str, ...], variants: int) -> list[str]:
        """Each template filled `variants` times; {name} and {ticket} stay for later."""
        out = []
        for tpl in templates:
            for _ in range(variants):
                s = tpl
                for key in self.fills:
                    token = "{" + key + "}"
                    while token in s:
                        s = s.replace(token, self.value(key), 1)
                out.append(s)
        return out


def _personal(pool: list[str]) -> list[tuple[str, str, str | None]]:
    """Split "...{name}...{ticket}..." into parts joined per row (cheap):
    content = a + name + b, or a + name + b + number + c when c is not None."""
    out: list[tuple[str, str, str | None]] = []
    for s in pool:
        a, found, rest = s.partition("{name}")
        assert found and "{ticket}" not in a, s  # every reply names the customer first
        b, found, c = rest.partition("{ticket}")
        out.append((a, b, c if found else None))
    return out


@dataclass
class _Lang:
    """Per-campaign message pools."""

    open_by_type: list[list[str]]  # index: TicketType order
    follow_in: list[str]
    out: list[tuple[str, str, str]]
    call_in: list[str]
    call_out: list[str]
    subjects_by_type: list[list[str]]
    descriptions_by_type: list[list[str]]
    observations: tuple[str, ...]
    notes: tuple[str, ...]
    task_values: list[tuple[str, str]]  # (values_json, primary value)


TYPES = (TicketType.QUESTION, TicketType.COMPLAINT, TicketType.CLAIM, TicketType.SUGGESTION)


def _task_values(rng: random.Random, campaign: Campaign, now: int, variants: int) -> list[tuple[str, str]]:
    out = []
    base = datetime.fromtimestamp(now, UTC).date()
    for _ in range(variants):
        values: dict[str, Any] = {}
        for f in campaign.task_fields:
            if not f.required and rng.random() < 0.4:
                continue
            if f.type is FieldType.CHOICE:
                values[f.key] = rng.choice(f.choices)
            elif f.type is FieldType.NUMBER:  # minutes, or an amount of money
                values[f.key] = (rng.randint(5, 120) if "minutes" in f.key
                                 else rng.randint(20, 2500) * 1000)
            elif f.type is FieldType.DATE:
                values[f.key] = (base + timedelta(days=rng.randint(-20, 40))).isoformat()
            else:
                values[f.key] = rng.choice(
                    ("Facturación", "Soporte técnico", "Garantía", "Información general", "Cobranza")
                    if campaign.id != 3 else
                    ("Configuration", "Known bug", "User error", "Payment provider", "Network")
                )
        out.append((json.dumps(values, ensure_ascii=False), str(values[campaign.primary_field])))
    return out


# --- the builder -------------------------------------------------------------------

TICKET_COLS = ("id", "number", "campaign_id", "customer_id", "account_id", "assignee_id", "status",
               "priority", "type", "description", "origin_channel", "last_channel", "created_at",
               "updated_at", "updated_by", "unread_count", "unread_at", "last_interaction_at",
               "last_summary", "last_direction", "first_response_at", "next_task_at", "last_outcome",
               "last_survey_at", "merged_into_id", "closed_at", "version")
INTERACTION_COLS = ("id", "ticket_id", "direction", "channel", "sender", "contact", "content",
                    "subject", "cc", "bcc", "created_at", "read", "delivery", "delivery_error",
                    "client_key", "author_id")
TASK_COLS = ("id", "ticket_id", "values_json", "observations", "next_task_at", "author_id",
             "created_at")
NOTE_COLS = ("id", "ticket_id", "text", "color", "author_id", "created_at")
LOG_COLS = ("entity", "entity_id", "kind", "field", "previous", "new", "user_id", "at")
CUSTOMER_COLS = ("id", "type", "id_type", "id_number", "first_name", "middle_name", "last_name",
                 "second_last_name", "birth_date", "status", "assigned_user_id", "created_at",
                 "updated_at", "updated_by", "version", "sort_name")
CONTACT_COLS = ("id", "customer_id", "kind", "value", "normalized", "label")
ACCOUNT_COLS = ("id", "customer_id", "number", "name", "extra")


def _insert_sql(table: str, cols: tuple[str, ...]) -> str:
    return f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"


class _Writer:
    """Buffers rows per table and flushes them with executemany (SQLite)."""

    def __init__(self, cur: Any) -> None:
        self.cur = cur
        self.counts: dict[str, int] = {}

    def put(self, table: str, cols: tuple[str, ...], rows: list[tuple]) -> None:
        if rows:
            self._write(table, cols, rows)
            self.counts[table] = self.counts.get(table, 0) + len(rows)
            rows.clear()

    def _write(self, table: str, cols: tuple[str, ...], rows: list[tuple]) -> None:
        self.cur.executemany(_insert_sql(table, cols), rows)


class _CopyWriter(_Writer):
    """The same rows through COPY ... FROM STDIN (PostgreSQL, psycopg 3).

    Text format: 1/0 in a boolean column read as true/false, None as NULL."""

    def _write(self, table: str, cols: tuple[str, ...], rows: list[tuple]) -> None:
        with self.cur.copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as copy:
            write = copy.write_row
            for row in rows:
                write(row)


def build_demo(
    path_or_url: str,
    *,
    tickets: int = 2000,
    seed: int = 7,
    now: datetime | None = None,
    progress: Callable[[str], None] | None = None,
) -> DemoSummary:
    """Fill a new store (SQLite file or PostgreSQL URL) with a realistic demo;
    see the module docstring.

    Refuses (InvalidInput) a store that already holds data.
    """
    started = time.perf_counter()
    if tickets < 0:
        raise InvalidInput(N_("The number of demo tickets must be zero or more, not {tickets}."),
                           tickets=tickets)
    say = progress or (lambda _msg: None)
    now_ts = to_epoch(now) if now is not None else int(time.time())
    assert now_ts is not None
    engine = open_store_engine(path_or_url)  # another program's file is refused, untouched
    try:
        if engine.dialect.name not in ("sqlite", "postgresql"):
            raise InvalidInput(
                N_("The demo can only be built in a SQLite file or a PostgreSQL database; "
                   "give a file path or a postgresql:// URL with --db."))
        where = engine.url.database or path_or_url
        _refuse_if_not_empty(engine, where)
        ensure_schema(engine, indexes=False)
        counts = _load(engine, tickets=tickets, seed=seed, now=now_ts, say=say)
    finally:
        engine.dispose()
    return DemoSummary(
        campaigns=counts.get("campaign", 0), users=counts.get("app_user", 0),
        customers=counts.get("customer", 0), tickets=counts.get("ticket", 0),
        interactions=counts.get("interaction", 0), tasks=counts.get("task", 0),
        notes=counts.get("note", 0), elapsed_seconds=time.perf_counter() - started,
    )


def _refuse_if_not_empty(engine: Engine, where: str) -> None:
    with engine.connect() as conn:
        for table in ("ticket", "customer", "app_user", "campaign"):
            if not conn.dialect.has_table(conn, table):
                continue
            if conn.execute(text(f"SELECT 1 FROM {table} LIMIT 1")).first() is not None:  # noqa: S608
                raise InvalidInput(
                    N_("The store {path} already has data; choose a new file with --db."), path=where
                )
        conn.rollback()


_BULK_PRAGMAS = (("journal_mode", "MEMORY"), ("synchronous", "OFF"), ("cache_size", "-262144"),
                 ("temp_store", "MEMORY"))


def _load(engine: Engine, *, tickets: int, seed: int, now: int, say: Callable[[str], None]) -> dict[str, int]:
    if engine.dialect.name == "postgresql":
        return _load_postgresql(engine, tickets=tickets, seed=seed, now=now, say=say)
    raw = engine.raw_connection()
    db = raw.driver_connection
    saved = {name: db.execute(f"PRAGMA {name}").fetchone()[0] for name, _ in _BULK_PRAGMAS}
    try:
        for name, value in _BULK_PRAGMAS:
            db.execute(f"PRAGMA {name}={value}")
        cur = db.cursor()
        writer = _Writer(cur)
        cur.execute("BEGIN")
        try:
            _generate(writer, tickets=tickets, seed=seed, now=now, say=say)
            cur.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('demo_seed', ?)", (str(seed),))
            cur.execute("COMMIT")
        except BaseException:
            cur.execute("ROLLBACK")
            raise
        cur.close()
    finally:
        raw.close()  # back to the pool: finish_bulk_load reuses this very connection
        try:
            # Indexes also after a failure (an interrupted load is completed
            # on the next open anyway: the bulk_load mark in meta).
            say("indexes and search index")
            finish_bulk_load(engine)
        finally:
            raw = engine.raw_connection()
            db = raw.driver_connection
            for name, _ in reversed(_BULK_PRAGMAS):
                db.execute(f"PRAGMA {name}={saved[name]}")
            raw.close()
    return writer.counts


def _load_postgresql(engine: Engine, *, tickets: int, seed: int, now: int,
                     say: Callable[[str], None]) -> dict[str, int]:
    """PostgreSQL: COPY in one transaction, then the sequences, then the indexes.

    The rows carry their own ids, so every id sequence is moved past the
    largest id afterwards (else the first ticket created by hand would collide
    with demo ticket 1). Foreign keys stay checked: the data is the same the
    SQLite build loads with foreign_keys=ON."""
    raw = engine.raw_connection()
    try:
        db = raw.driver_connection
        db.autocommit = False
        with db.cursor() as cur:
            writer = _CopyWriter(cur)
            try:
                _generate(writer, tickets=tickets, seed=seed, now=now, say=say)
                cur.execute("DELETE FROM meta WHERE key = 'demo_seed'")
                cur.execute("INSERT INTO meta(key, value) VALUES ('demo_seed', %s)", (str(seed),))
                for table in schema.ALL_TABLES.sorted_tables:
                    if "id" in table.c and table.c.id.primary_key and table.c.id.autoincrement:
                        cur.execute(
                            f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                            f"coalesce(max(id), 0) + 1, false) FROM {table.name}")
                db.commit()
            except BaseException:
                db.rollback()
                raise
    finally:
        raw.close()
        say("indexes and search index")
        finish_bulk_load(engine)
    return writer.counts


def _generate(w: _Writer, *, tickets: int, seed: int, now: int, say: Callable[[str], None]) -> None:
    rng = random.Random(seed)
    campaigns = demo_campaigns()
    w.put("campaign", ("id", "name", "config"),
          [(c.id, c.name, campaign_to_config(c)) for c in campaigns])
    users = [(i + 1, u[0], u[1], u[2].value, "busy" if u[4] else "available", None, 1)
             for i, u in enumerate(DEMO_USERS)]
    w.put("app_user", ("id", "username", "full_name", "role", "status", "can_export", "active"), users)
    members = [(i + 1, cid) for i, u in enumerate(DEMO_USERS) for cid in u[3]]
    w.put("campaign_member", ("user_id", "campaign_id"), members)
    agents_of = {c.id: [i + 1 for i, u in enumerate(DEMO_USERS) if u[2] is Role.AGENT and c.id in u[3]]
                 for c in campaigns}
    user_name = {i + 1: u[1] for i, u in enumerate(DEMO_USERS)}
    say("campaigns and users")

    n_customers = max(50, tickets // 3)
    cust = _customers(w, rng, n_customers, now, agents=[i + 1 for i, u in enumerate(DEMO_USERS)
                                                        if u[2] is Role.AGENT], say=say)
    _tickets(w, rng, tickets, now, campaigns, agents_of, user_name, cust, say)


# --- customers ---------------------------------------------------------------------


@dataclass
class _Customers:
    n: int
    first: list[str]
    display: list[str]
    email: list[str]
    mobile: list[str]
    account_first: list[int]  # first account id, 0 if none
    account_n: list[int]
    english: list[int]  # ids of customers with English names
    spanish: list[int]


def _customers(w: _Writer, rng: random.Random, n: int, now: int, agents: list[int],
               say: Callable[[str], None]) -> _Customers:
    rnd = rng.random
    es_first = [(x, _ascii(x)) for x in ES_FIRST]
    es_last = [(x, _ascii(x)) for x in ES_LAST]
    en_first = [(x, _ascii(x)) for x in EN_FIRST]
    en_last = [(x, _ascii(x)) for x in EN_LAST]
    es_middle, en_middle = ES_MIDDLE, EN_MIDDLE
    births = [(date(1945, 1, 1) + timedelta(days=rng.randint(0, 22000))).isoformat() for _ in range(4000)]
    companies_es = [f"{a} {b} {c}" for a in COMPANY_ES[0] for b in COMPANY_ES[1] for c in COMPANY_ES[2]]
    companies_en = [f"{a} {b} {c}" for a in COMPANY_EN[0] for b in COMPANY_EN[1] for c in COMPANY_EN[2]]
    id_types = _weighted((("cc", 80), ("ce", 10), ("passport", 10)))
    n_feat = len(FEATURES)
    account_names = ("Cuenta de ahorros", "Plan Hogar 300 Mbps", "Tarjeta de crédito Oro",
                     "Línea pospago 40 GB", "Crédito de libranza", "Plan Empresarial 10 líneas")
    account_extras = []
    for _ in range(300):
        account_extras.append(json.dumps({
            "ciudad": rng.choice(CITIES), "estrato": str(rng.randint(1, 6)),
            "saldo": f"{rng.randint(0, 9000) * 1000:,}".replace(",", "."),
            "fecha_apertura": (date(2012, 1, 1) + timedelta(days=rng.randint(0, 4700))).isoformat(),
        }, ensure_ascii=False))
    n_extras = len(account_extras)

    first_l: list[str] = []
    display_l: list[str] = []
    email_l: list[str] = []
    mobile_l: list[str] = []
    acc_first: list[int] = []
    acc_n: list[int] = []
    english: list[int] = []
    spanish: list[int] = []
    people: list[tuple] = []  # per customer: (first, middle, last, second, id_type, id_number, mobile digits)

    rows: list[tuple] = []
    contacts: list[tuple] = []
    accounts: list[tuple] = []
    features: list[tuple] = []
    contact_id = 0
    account_id = 0
    norm = normalize_contact
    EMAIL, MOBILE, PHONE = ContactKind.EMAIL, ContactKind.MOBILE, ContactKind.PHONE
    created_lo = now - 3 * 365 * DAY
    created_span = (3 * 365 - WINDOW_DAYS - 1) * DAY
    forced_dups = {n - 1, n - 2, n - 3, n - 4}
    for i in range(n):
        cid = i + 1
        created = created_lo + int(rnd() * created_span)
        status = "disabled" if rnd() < 0.05 else "active"
        assigned = agents[int(rnd() * len(agents))] if rnd() < 0.08 else None
        is_en = rnd() < 0.25
        dup_of = -1
        if i >= 10 and (i in forced_dups or rnd() < 0.01):
            dup_of = int(rnd() * (i - 1))
            while dup_of > 0 and people[dup_of][4] == "nit":
                dup_of -= 1
            if people[dup_of][4] == "nit":
                dup_of = -1
        if dup_of < 0 and rnd() < 0.12:
            # a company
            name = (companies_en if is_en else companies_es)[int(rnd() * (len(companies_en) if is_en else len(companies_es)))]
            base = str(800000000 + int(rnd() * 199999999))
            doc = f"{base}-{nit_check_digit(base)}"
            rows.append((cid, "company", "nit", doc, name, "", "", "", None, status, assigned,
                         created, created, None, 1, name_sort_key(name)))
            slug = _ascii(name.split(" ")[0]) + _ascii(name.split(" ")[1])
            email = f"contacto@{slug}.com" if is_en else f"contacto@{slug}.com.co"
            mob_digits = "3" + str(100000000 + int(rnd() * 250000000))
            mobile = f"{mob_digits[:3]} {mob_digits[3:6]} {mob_digits[6:]}"
            first_l.append(name)
            display_l.append(name)
            people.append((name, "", "", "", "nit", doc, mob_digits))
            feats = ["Empresarial"] if rnd() < 0.6 else []
        else:
            if dup_of >= 0:
                f, mi, la, se, it, doc, mob_digits = people[dup_of]
                original = (f, mi, la, se)
                variant = int(rnd() * 4)
                if variant == 0:  # typed without accents
                    f, la, se = strip_accents(f), strip_accents(la), strip_accents(se)
                elif variant == 1:  # second last name or middle name left out
                    se, mi = ("", mi) if se else (se, "")
                elif variant == 2:
                    la = _typo(la)
                else:
                    f = _typo(f)
                if (f, mi, la, se) == original:
                    la = _typo(la)
                if rnd() < 0.5:  # same document, different phone
                    mob_digits = "3" + str(100000000 + int(rnd() * 250000000))
                else:  # same phone, different (or missing) document
                    it, doc = "cc", str(1000000 + int(rnd() * 1298999999))
                fa, la_a = _ascii(f), _ascii(la or f)
                domains = EMAIL_DOMAINS_ES
            elif is_en:
                f, fa = en_first[int(rnd() * len(en_first))]
                la, la_a = en_last[int(rnd() * len(en_last))]
                mi = en_middle[int(rnd() * len(en_middle))] if rnd() < 0.35 else ""
                se = ""
                it = "passport" if rnd() < 0.5 else "ce"
                doc = _passport(rnd) if it == "passport" else str(100000 + int(rnd() * 9899999))
                mob_digits = "1" + str(2012000000 + int(rnd() * 7000000000))
                domains = EMAIL_DOMAINS_EN
            else:
                f, fa = es_first[int(rnd() * len(es_first))]
                la, la_a = es_last[int(rnd() * len(es_last))]
                mi = es_middle[int(rnd() * len(es_middle))] if rnd() < 0.45 else ""
                se = es_last[int(rnd() * len(es_last))][0] if rnd() < 0.85 else ""
                it = id_types[int(rnd() * 100)]
                if it == "cc":
                    doc = str(1000000 + int(rnd() * 1298999999))
                elif it == "ce":
                    doc = str(100000 + int(rnd() * 9899999))
                else:
                    doc = _passport(rnd)
                mob_digits = "3" + str(100000000 + int(rnd() * 250000000))
                domains = EMAIL_DOMAINS_ES
            birth = births[int(rnd() * 4000)] if rnd() < 0.4 else None
            rows.append((cid, "person", it, doc, f, mi, la, se, birth, status, assigned, created,
                         created, None, 1, name_sort_key(f, mi, la, se)))
            num = int(rnd() * 100)
            email = f"{fa}.{la_a}{num if num > 40 else ''}@{domains[int(rnd() * len(domains))]}"
            if mob_digits.startswith("1"):
                mobile = f"+1 ({mob_digits[1:4]}) {mob_digits[4:7]}-{mob_digits[7:]}"
            elif dup_of >= 0 or rnd() < 0.3:
                mobile = f"{mob_digits[:3]}-{mob_digits[3:6]}-{mob_digits[6:]}"
            else:
                mobile = f"{mob_digits[:3]} {mob_digits[3:6]} {mob_digits[6:]}"
            first_l.append(f)
            display_l.append(f"{f} {la}" if la else f)
            people.append((f, mi, la, se, it, doc, mob_digits))
            feats = []
            if rnd() < 0.3:
                feats.append(FEATURES[int(rnd() * n_feat)])
                if rnd() < 0.25:
                    other = FEATURES[int(rnd() * n_feat)]
                    if other != feats[0]:
                        feats.append(other)
        (english if is_en else spanish).append(cid)
        for feat in feats:
            features.append((cid, feat))
        email_l.append(email)
        mobile_l.append(mobile)
        contact_id += 1
        contacts.append((contact_id, cid, "email", email, norm(EMAIL, email),
                         CONTACT_LABELS[int(rnd() * 5)]))
        contact_id += 1
        contacts.append((contact_id, cid, "mobile", mobile, norm(MOBILE, mobile), "Personal"))
        r = rnd()
        if r < 0.2:
            phone = f"(60{1 + int(rnd() * 8)}) {200 + int(rnd() * 799)} {1000 + int(rnd() * 8999)}"
            contact_id += 1
            contacts.append((contact_id, cid, "phone", phone, norm(PHONE, phone), "Casa"))
        if r > 0.85:
            addr = (f"{STREETS[int(rnd() * 5)]} {1 + int(rnd() * 150)} # {1 + int(rnd() * 99)}-"
                    f"{1 + int(rnd() * 99)}, {CITIES[int(rnd() * len(CITIES))]}")
            contact_id += 1
            contacts.append((contact_id, cid, "address", addr, norm(ContactKind.ADDRESS, addr), "Casa"))
        if 0.5 < r < 0.55:
            social = f"@{_ascii(first_l[-1])[:10]}{int(rnd() * 1000)}"
            contact_id += 1
            contacts.append((contact_id, cid, "social", social, norm(ContactKind.SOCIAL, social), "Instagram"))
        r = rnd()
        k = 0 if r < 0.5 else (1 if r < 0.85 else 2)
        acc_first.append(account_id + 1 if k else 0)
        acc_n.append(k)
        for _ in range(k):
            account_id += 1
            accounts.append((account_id, cid, str(4000000000 + int(rnd() * 5999999999)),
                             account_names[int(rnd() * 6)], account_extras[int(rnd() * n_extras)]))
        if len(rows) >= BATCH:
            w.put("customer", CUSTOMER_COLS, rows)
            w.put("contact_info", CONTACT_COLS, contacts)
            w.put("account", ACCOUNT_COLS, accounts)
            w.put("customer_feature", ("customer_id", "feature"), features)
            if cid < n:
                say(f"customers {cid}/{n}")
    w.put("customer", CUSTOMER_COLS, rows)
    w.put("contact_info", CONTACT_COLS, contacts)
    w.put("account", ACCOUNT_COLS, accounts)
    w.put("customer_feature", ("customer_id", "feature"), features)
    relations = []
    seen = set()
    for rid in range(1, max(5, min(200, n // 100)) + 1):
        a, b = 1 + int(rnd() * n), 1 + int(rnd() * n)
        if a == b or (a, b) in seen:
            continue
        seen.add((a, b))
        relations.append((rid, a, b, RELATIONS[int(rnd() * len(RELATIONS))]))
    w.put("customer_relation", ("id", "customer_id", "related_customer_id", "relation"), relations)
    say(f"customers {n}/{n}")
    return _Customers(n, first_l, display_l, email_l, mobile_l, acc_first, acc_n, english, spanish)


def _typo(s: str) -> str:
    """Two letters swapped ("Rodirguez"), or the last one doubled in a short name."""
    if len(s) > 4 and s[2] != s[3]:
        return s[:2] + s[3] + s[2] + s[4:]
    return s + s[-1:] if s else s


def _passport(rnd: Callable[[], float]) -> str:
    letters = "ABCDEFGHJKLMNPRSTUVWXYZ"
    return letters[int(rnd() * 23)] + letters[int(rnd() * 23)] + str(1000000 + int(rnd() * 8999999))


# --- tickets -----------------------------------------------------------------------


def _lang_pools(rng: random.Random, campaign: Campaign, now: int) -> _Lang:
    year = datetime.fromtimestamp(now, UTC).year
    if campaign.id == 3:
        filler = _Filler(rng, EN_FILL, EN_MONTHS, year)
        opens, follow, out, subjects, descr = (EN_SUPPORT_OPEN, EN_FOLLOW_IN, EN_SUPPORT_OUT,
                                              EN_SUBJECTS, EN_DESCRIPTIONS)
        obs, notes = EN_OBSERVATIONS, EN_NOTES
    else:
        filler = _Filler(rng, ES_FILL, ES_MESES, year)
        sales = campaign.id == 2
        opens = ES_SALES_OPEN if sales else ES_SERVICE_OPEN
        follow = ES_SALES_FOLLOW_IN if sales else ES_FOLLOW_IN
        out = ES_SALES_OUT if sales else ES_SERVICE_OUT
        subjects, descr = ES_SUBJECTS, (ES_SALES_DESCRIPTIONS if sales else ES_DESCRIPTIONS)
        obs, notes = ES_OBSERVATIONS, ES_NOTES
    return _Lang(
        open_by_type=[filler.pool(opens[t], 8) for t in TYPES],
        follow_in=filler.pool(follow, 4),
        out=_personal(filler.pool(out, 8)),
        call_in=filler.pool(ES_CALL_IN, 8),
        call_out=filler.pool(ES_CALL_OUT, 8),
        subjects_by_type=[filler.pool(subjects[t], 4) for t in TYPES],
        descriptions_by_type=[list(descr[t]) for t in TYPES],
        observations=obs,
        notes=notes,
        task_values=_task_values(rng, campaign, now, 400),
    )


def _created_times(rng: random.Random, n: int, now: int) -> list[int]:
    """n creation times over the last WINDOW_DAYS, mostly in office hours (Bogotá), sorted.

    Almost a third fall in the last week, so the newest cards are mostly within
    their SLA while the older open ones (a real backlog) are not."""
    rnd = rng.random
    hours = _weighted(((0, 1), (1, 1), (2, 1), (3, 1), (4, 1), (5, 2), (6, 4), (7, 8), (8, 12),
                       (9, 14), (10, 14), (11, 13), (12, 9), (13, 10), (14, 13), (15, 13), (16, 12),
                       (17, 9), (18, 6), (19, 5), (20, 4), (21, 3), (22, 2), (23, 1)))
    nh = len(hours)
    start = now - WINDOW_DAYS * DAY
    day0 = (start + LOCAL_UTC_OFFSET) // DAY * DAY - LOCAL_UTC_OFFSET  # a local midnight
    latest = now - 60
    out = []
    append = out.append
    while len(out) < n:
        # 10% in the last two days and 20% more in the last week (the live part of
        # the list); the rest spread over the whole window
        r = rnd()
        if r < 0.10:
            day = WINDOW_DAYS - 1 + int(rnd() * 2)
        elif r < 0.30:
            day = WINDOW_DAYS - 7 + int(rnd() * 8)
        else:
            day = int(rnd() * (WINDOW_DAYS + 1))
        t = day0 + day * DAY + hours[int(rnd() * nh)] * HOUR + int(rnd() * HOUR)
        if start <= t <= latest:
            append(t)
    out.sort()
    return out


def _tickets(w: _Writer, rng: random.Random, n: int, now: int, campaigns: list[Campaign],
             agents_of: dict[int, list[int]], user_name: dict[int, str], cust: _Customers,
             say: Callable[[str], None]) -> None:
    rnd = rng.random
    pools = {c.id: _lang_pools(rng, c, now) for c in campaigns}
    created_all = _created_times(rng, n, now)

    # Weighted lookup lists (index with int(rnd() * len)).
    camp_pick = _weighted(((campaigns[0], 55), (campaigns[1], 25), (campaigns[2], 20)))
    prio_pick = _weighted((("critical", 5), ("high", 20), ("medium", 50), ("low", 25)))
    type_pick = _weighted(((0, 45), (1, 20), (2, 20), (3, 15)))
    # open statuses by age: New is mostly today's work
    day_open = _weighted((("new", 65), ("open", 25), ("transferred", 5), ("escalated", 5)))
    days_open = _weighted((("new", 30), ("open", 55), ("transferred", 8), ("escalated", 7)))
    older_open = _weighted((("new", 12), ("open", 68), ("transferred", 10), ("escalated", 10)))
    large = n > 100_000
    if large:  # about 1.9 interactions per ticket once New and fresh tickets are cut short
        n_inter = _weighted(((1, 38), (2, 34), (3, 18), (4, 10)))
    else:  # about 2.5
        n_inter = _weighted(((1, 20), (2, 25), (3, 22), (4, 16), (5, 10), (6, 7)))
    n_tasks = _weighted(((1, 6), (2, 3), (3, 1)))
    # gaps between interactions: log-uniform between 2 minutes and 2 days
    gaps = sorted(int(120 * (1440 ** rng.random())) for _ in range(1000))
    n_gaps = len(gaps)
    close_gaps = [int(300 * (288 ** rng.random())) for _ in range(500)]  # 5 min .. 1 day
    first_response = {(c.id, r.priority.value): r.first_response_minutes * 60
                      for c in campaigns for r in c.sla_rules}
    camp_info = {}
    for c in campaigns:
        inc = [ch.value for ch in c.incoming_channels]
        outs = [ch.value for ch in c.outgoing_channels]
        reply_ch = {ch: (ch if ch in outs else outs[0]) for ch in inc}
        camp_info[c.id] = (inc, reply_ch, agents_of[c.id], bool(c.surveys))
    n_cust = cust.n
    frequent = max(1, n_cust // 20)
    english, spanish = cust.english, cust.spanish
    n_en, n_es = len(english), len(spanish)
    c_first, c_display, c_email, c_mobile = cust.first, cust.display, cust.email, cust.mobile
    c_acc_first, c_acc_n = cust.account_first, cust.account_n
    recent_log = now - 10 * DAY
    window = WINDOW_DAYS * DAY
    summ = summary
    # next task slots: cycle the first three so a small store has every case
    next_kinds = _weighted((("due", 10), ("overdue", 30), ("later", 60)))
    forced_next = ["due", "overdue", "later", "due", "overdue"]
    type_values = [t.value for t in TYPES]
    re_prefix = {c.id: ("Re: " if c.id == 3 else "RE: ") for c in campaigns}

    trows: list[tuple] = []
    irows: list[tuple] = []
    krows: list[tuple] = []
    nrows: list[tuple] = []
    lrows: list[tuple] = []
    iid = kid = nid = 0
    related: list[tuple] = []

    for i in range(n):
        tid = i + 1
        created = created_all[i]
        camp = camp_pick[int(rnd() * 100)]
        cmp_id = camp.id
        inc, reply_ch, agents, has_survey = camp_info[cmp_id]
        lang = pools[cmp_id]
        re_prefix_c = re_prefix[cmp_id]
        prio = prio_pick[int(rnd() * 100)]
        ti = type_pick[int(rnd() * 100)]
        age = now - created
        # customer: some frequent customers; the English campaign mostly English names
        r = rnd()
        if cmp_id == 3 and n_en and r < 0.7:
            cid = english[int(rnd() * n_en)]
        elif cmp_id != 3 and n_es and r < 0.8:
            cid = spanish[int(rnd() * n_es)] if rnd() < 0.85 else 1 + int(rnd() * frequent)
        else:
            cid = 1 + int(rnd() * n_cust)
        ci = cid - 1
        # status: older tickets are more often closed (about 25% overall)
        if rnd() < 0.03 + 0.62 * age / window:
            status = "closed"
        else:
            status = (day_open if age < DAY else days_open if age < 3 * DAY else older_open)[int(rnd() * 100)]
        is_new = status == "new"
        closed = status == "closed"
        if is_new:
            assignee = None if rnd() < 0.8 else agents[int(rnd() * len(agents))]
        else:
            assignee = None if rnd() < 0.35 else agents[int(rnd() * len(agents))]
        worker = assignee or agents[int(rnd() * len(agents))]
        origin = inc[0] if rnd() < 0.45 else inc[int(rnd() * len(inc))]
        acc = 0
        if c_acc_n[ci] and rnd() < 0.6:
            acc = c_acc_first[ci] + (int(rnd() * c_acc_n[ci]))
        if origin == "email":
            subjects = lang.subjects_by_type[ti]
            subject = description = subjects[int(rnd() * len(subjects))]
        else:
            d = lang.descriptions_by_type[ti]
            subject = description = d[int(rnd() * len(d))]
        re_subject = re_prefix_c + subject
        first_name = c_first[ci]
        number_s = str(FIRST_NUMBER + i)
        agent_name = user_name[worker]
        fr_sec = first_response[(cmp_id, prio)]

        # --- the conversation ---
        k = 1 + (rnd() < 0.4) if is_new else n_inter[int(rnd() * 100)]
        t = created
        ch = origin
        last_in_ch = origin
        first_out = None
        last_content = ""
        last_dir = "incoming"
        unread_candidates = 0  # trailing incoming since the last outgoing
        prev_dir = ""
        last_at = created
        for j in range(k):
            if j == 0:
                d = "incoming"
            elif is_new:
                d = "incoming"
                t += gaps[int(rnd() * n_gaps)]
            else:
                d = ("outgoing" if rnd() < 0.8 else "incoming") if prev_dir == "incoming" else (
                    "incoming" if rnd() < 0.85 else "outgoing")
                if d == "outgoing" and first_out is None:
                    # first answer: mostly within the SLA, sometimes late
                    if rnd() < 0.8:
                        t += 60 + int(rnd() * fr_sec * 0.85)
                    else:
                        t += int(fr_sec * (1.2 + rnd() * 5))
                else:
                    t += gaps[int(rnd() * n_gaps)]
            if t >= now:
                break
            iid += 1
            if d == "incoming":
                if j and rnd() < 0.1:
                    ch = inc[int(rnd() * len(inc))]
                last_in_ch = ch
                if ch == "telephony":
                    content = lang.call_in[int(rnd() * len(lang.call_in))] if cmp_id != 3 else \
                        lang.follow_in[int(rnd() * len(lang.follow_in))]
                elif j == 0:
                    pool = lang.open_by_type[ti]
                    content = pool[int(rnd() * len(pool))]
                else:
                    content = lang.follow_in[int(rnd() * len(lang.follow_in))]
                if ch == "email":
                    contact, subj = c_email[ci], subject if j == 0 else re_subject
                elif ch == "chat":
                    contact, subj = c_email[ci], ""
                else:
                    contact, subj = c_mobile[ci], ""
                unread_candidates += 1
                irows.append([iid, tid, "incoming", ch, c_display[ci], contact, content, subj, "", "",
                              t, 1, "received", "", None, None])
            else:
                och = reply_ch[last_in_ch]
                if och == "telephony":
                    content = lang.call_out[int(rnd() * len(lang.call_out))]
                else:
                    a, b, c = lang.out[int(rnd() * len(lang.out))]
                    content = a + first_name + b if c is None else a + first_name + b + number_s + c
                if och == "email":
                    contact, subj = c_email[ci], re_subject
                elif och == "chat":
                    contact, subj = c_email[ci], ""
                else:
                    contact, subj = c_mobile[ci], ""
                if first_out is None:
                    first_out = t
                unread_candidates = 0
                delivery = "failed" if rnd() < 0.01 else ("recorded" if och == "telephony" else "sent")
                irows.append([iid, tid, "outgoing", och, agent_name, contact, content, subj, "", "", t, 1,
                              delivery, "" if delivery != "failed" else "El canal rechazó el mensaje.",
                              None, worker])
            last_content = content
            last_at = t
            last_dir = d
            prev_dir = d
        # unread: the trailing incoming messages of open tickets, often
        unread = 0
        unread_at = None
        if not closed and unread_candidates and (is_new or rnd() < 0.45):
            unread = unread_candidates
            trailing = irows[-unread:]
            for row in trailing:
                row[11] = 0
            unread_at = trailing[0][10]
        end = now
        closed_at = None
        survey_at = None
        if closed:
            g = close_gaps[int(rnd() * 500)]
            closed_at = last_at + g if last_at + g < now else last_at + (now - last_at) // 2
            end = closed_at
            if has_survey and rnd() < 0.35:
                survey_at = closed_at
        updated = max(last_at, closed_at or 0)
        updated_by = worker if (first_out is not None or closed or not is_new) else None

        # --- tasks ---
        outcome = None
        next_at = None
        if not is_new and rnd() < 0.23:
            kt = n_tasks[int(rnd() * 10)]
            span = end - created
            times = sorted(created + int(rnd() * span) for _ in range(kt))
            tv = lang.task_values
            if not closed and rnd() < 0.85:
                kind = forced_next.pop() if forced_next else next_kinds[int(rnd() * 100)]
                if kind == "due":
                    next_at = now + 30 + int(rnd() * 560)
                elif kind == "overdue":  # scheduled by the last task, missed since
                    next_at = now - 600 - int(rnd() * 5 * DAY)
                    if next_at <= times[-1]:
                        next_at = times[-1] + (now - times[-1]) // 2
                else:
                    next_at = now + 15 * MINUTE + int(rnd() * 21 * DAY)
            for x, at in enumerate(times):
                kid += 1
                values, outcome = tv[int(rnd() * 400)]
                nxt = times[x + 1] if x + 1 < kt else next_at
                obs = lang.observations[int(rnd() * len(lang.observations))]
                krows.append((kid, tid, values, obs, nxt, worker, at))
            if times[-1] > updated:
                updated = times[-1]
        # --- notes ---
        if not is_new and rnd() < 0.06:
            for _ in range(1 + (rnd() < 0.3)):
                nid += 1
                at = created + int(rnd() * (end - created))
                nrows.append((nid, tid, lang.notes[int(rnd() * len(lang.notes))],
                              NOTE_COLORS[int(rnd() * 5)], worker, at))
                if at > updated:
                    updated = at
        if survey_at and survey_at > updated:
            updated = survey_at
        if created >= recent_log:
            lrows.append(("ticket", tid, "created", "channel", "", origin, None, created))
        if i > 50 and rnd() < 0.0005:
            related.append((tid, 1 + int(rnd() * (tid - 1)), updated))

        trows.append((tid, FIRST_NUMBER + i, cmp_id, cid, acc or None, assignee, status, prio,
                      type_values[ti], description, origin, last_in_ch, created, updated, updated_by,
                      unread, unread_at, last_at, summ(last_content), last_dir, first_out, next_at,
                      outcome, survey_at, None, closed_at, 1))
        if len(trows) >= BATCH:
            _flush_tickets(w, trows, irows, krows, nrows, lrows)
            if tid < n:
                say(f"tickets {tid}/{n}")
    _flush_tickets(w, trows, irows, krows, nrows, lrows)
    seen = set()
    rel = []
    for a, b, at in related:
        if a != b and (a, b) not in seen:
            seen.add((a, b))
            rel.append((a, b, at))
    w.put("ticket_relation", ("ticket_id", "related_ticket_id", "created_at"), rel)
    say(f"tickets {n}/{n}")


def _flush_tickets(w: _Writer, trows, irows, krows, nrows, lrows) -> None:
    w.put("ticket", TICKET_COLS, trows)
    w.put("interaction", INTERACTION_COLS, irows)
    w.put("task", TASK_COLS, krows)
    w.put("note", NOTE_COLS, nrows)
    w.put("change_log", LOG_COLS, lrows)
