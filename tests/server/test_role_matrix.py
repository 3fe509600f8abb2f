"""Role x endpoint x ownership: every route of the API, called by each role on
objects it owns and on objects it does not, over a real server.

The expectation of each cell is derived from the rules, not recorded from the
server:

- `perm`: the Permission the route needs (domain/rules.py); a caller without
  it gets 403, whatever the object (the store checks it first);
- `scoped`: the route reaches one ticket (by its id, number, or a child of it:
  interaction, note, attachment); a ticket outside the caller's L2 scope
  (`rules.scope_for`) reads as missing: 404;
- `conflict`: ownerships a business rule refuses (409);
- `refine`: a store rule the permission table does not hold (the author of a
  note; someone else's saved view), named beside the route;
- otherwise the route's own success status (routes.py).

Ownerships (the second axis, per route):
- tickets: `own` (assigned to the caller), `other` (bruno's, campaign 1: outside
  an agent's scope), `unassigned` (campaign 1: inside an agent's scope),
  `campaign2` (Ventas: the agent is not a member);
- customers: `own` / `other`: the customer of the caller's / bruno's ticket
  (customers are shared: any active user may read and edit them);
- `any`: the route takes no object.

Every request is valid (If-Match is the object's current ETag; bodies pass the
API's models), so the status says who may do what, not what was malformed.
Routes that change what they touch get fresh objects per cell.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import httpx
import pytest

from sagicc_tui.domain.models import User
from sagicc_tui.domain.rules import Permission, can, scope_for
from sagicc_tui.remote.routes import API, BY_HAND, ROUTES, ROUTES_BY_NAME
from sagicc_tui.server.app import READ_ONLY
from tests.server.conftest import ACTORS, SHARED, USER_IDS, Seed, TicketRef, problem

ROLES = tuple(ACTORS)  # administrator, supervisor, agent

TICKET = ("own", "other", "unassigned", "campaign2")
CUSTOMER = ("own", "other")
PAIR = ("own", "other")
ANY = ("any",)

#: Which shared ticket an ownership names (the actor's own, for the others).
_TICKET_KEY = {"other": "bruno", "unassigned": "unassigned", "campaign2": "campaign2"}


# --- the cell's objects -----------------------------------------------------------------


class Target:
    """The objects one cell acts on, made on first use (fresh ones for changing routes)."""

    def __init__(self, ids: Seed, role: str, ownership: str, fresh: bool) -> None:
        self.ids, self.role, self.ownership, self.fresh = ids, role, ownership, fresh
        self.actor = ACTORS[role]
        self.user: User = ids.users()[self.actor]

    @cached_property
    def ticket(self) -> TicketRef:
        key = _TICKET_KEY.get(self.ownership, self.actor)
        if not self.fresh:
            return self.ids.tickets[key]
        owner, campaign = SHARED[key]
        return self.ids.ticket(owner, campaign)

    @cached_property
    def customer_id(self) -> int:
        return self.ticket.customer_id

    @cached_property
    def bare_customer(self) -> int:
        return self.ids.bare_customer()

    @cached_property
    def other_ticket(self) -> TicketRef:
        """Another ticket the caller can see (unassigned, campaign 1): to relate or merge with."""
        return self.ids.ticket(None, 1)

    @cached_property
    def note_author(self) -> str:
        if self.ownership in ("other", "colleague"):
            return "bruno"
        return self.ticket.owner or "admin"

    @cached_property
    def note_id(self) -> int:
        return self.ids.note(self.ticket, self.note_author)

    @cached_property
    def attachment_id(self) -> int:
        if self.ownership == "from_message":
            return self.ids.message_attachment(self.ticket)
        if self.fresh:
            return self.ids.attachment(self.ticket)
        return self.ids.attachments[_TICKET_KEY.get(self.ownership, self.actor)]

    @cached_property
    def campaign_id(self) -> int:
        return 2 if self.ownership == "other" else 1

    @cached_property
    def username(self) -> str:
        return "bruno" if self.ownership == "other" else self.actor

    def params(self) -> dict[str, Any]:
        """The default value of each path parameter."""
        return {
            "ticket_id": lambda: self.ticket.id,
            "number": lambda: self.ticket.number,
            "interaction_id": lambda: self.ticket.interaction_id,
            "note_id": lambda: self.note_id,
            "attachment_id": lambda: self.attachment_id,
            "customer_id": lambda: self.customer_id,
            "main_id": lambda: self.customer_id,
            "contact_id": lambda: self.ids.contact(self.customer_id),
            "account_id": lambda: self.ids.account(self.customer_id),
            "relation_id": lambda: self.ids.relation(self.customer_id),
            "view_id": lambda: self.ids.view(self.username),
            "username": lambda: self.username,
            "campaign_id": lambda: self.campaign_id,
            "assignee_id": lambda: USER_IDS[self.username],
            "entity": lambda: "ticket",
            "entity_id": lambda: self.ticket.id,
            "form": lambda: "composer",
        }

    # --- what the rules say about this cell's ticket ------------------------------------
    def visible(self, ticket_id: int) -> bool:
        """L2 (rules.Scope): is the ticket inside the caller's scope, as the store has it now?"""
        row = self.ids.ticket_row(ticket_id)
        sc = scope_for(self.user, self.ids.campaigns())
        if sc.all_campaigns or row.campaign_id in sc.unrestricted_campaigns:
            return True
        channels = sc.restricted_campaigns.get(row.campaign_id)
        return channels is not None and row.origin_channel in channels and row.assignee_id in (None, self.user.id)


# --- the table ---------------------------------------------------------------------------

Json = Callable[[Target], Any]


@dataclass(frozen=True)
class Rule:
    owners: tuple[str, ...]
    scoped: bool = False  # through one ticket: outside the caller's L2 scope -> 404
    perm: Permission | None = None  # needed, checked first -> 403
    body: Json | None = None  # the JSON body
    query: Json | None = None  # query parameters
    params: Json | None = None  # path parameters that differ from Target.params()
    etag: str | None = None  # "ticket" or "customer": If-Match with its current version
    conflict: frozenset[str] = frozenset()  # ownerships a business rule refuses -> 409
    refine: Callable[[Target], int | None] | None = None  # a store rule outside the permission table
    check: Callable[[Target, Any], None] | None = None  # what a successful answer must not show
    fresh: bool | None = None  # None: fresh objects when the route changes something
    raw: Callable[[Target], tuple[bytes, str]] | None = None  # a non-JSON body (bytes, content type)


def _task(t: Target) -> dict:
    values = {"resultado": "Pendiente"} if t.ticket.campaign_id == 1 else {"interes": "Alto"}
    return {"task": {"values": values, "observations": "llamar mañana"}}


def _message(t: Target) -> dict:
    key = f"matrix-{t.ids.next()}"
    if t.ticket.campaign_id == 1:
        return {"message": {"client_key": key, "channel": "email", "contact": t.ticket.contact_id,
                            "text": "Hola, ya revisamos su caso.", "subject": "Su caso"}}
    return {"message": {"client_key": key, "channel": "telephony", "contact": t.ticket.contact_id,
                        "text": "Llamada de seguimiento."}}


def _campaign(t: Target) -> dict:
    return {"campaign": {"id": 0, "name": f"Campaña {t.ids.next()}", "primary_field": "outcome",
                         "task_fields": [{"key": "outcome", "label": "Outcome", "type": "choice",
                                          "choices": ["Solved", "Pending"]}]}}


def _same_campaign(t: Target) -> dict:
    """The campaign as it is, saved again with a new script (nothing the other cells depend on)."""
    from sagicc_tui.remote.wire import jsonable

    current = next(c for c in t.ids.campaigns() if c.id == t.campaign_id)
    return {"campaign": {**jsonable(current), "script": f"Guion {t.ids.next()}"}}


def _new_customer(t: Target) -> dict:
    return {"data": {"id_type": "cc", "id_number": str(70_000_000 + t.ids.next()), "first_name": "Nueva",
                     "last_name": "Clienta"}}


# --- what a successful answer must not show (leaks) ----------------------------------------


def _all_visible(t: Target, ticket_ids) -> None:
    hidden = sorted(i for i in ticket_ids if not t.visible(i))
    assert not hidden, f"{t.actor} was shown tickets outside their scope: {hidden}"


def check_cards(t: Target, doc) -> None:
    _all_visible(t, [c["id"] for c in doc["rows"]])


def check_pending(t: Target, doc) -> None:
    check_cards(t, doc)
    assert all(c["assignee_id"] == t.user.id for c in doc["rows"]), doc


def check_profile(t: Target, doc) -> None:
    _all_visible(t, [c["id"] for c in doc["recent_tickets"]])
    _all_visible(t, [a["ticket_id"] for a in doc["attachments"]])
    _all_visible(t, [i["interaction"]["ticket_id"] for i in doc["recent_interactions"]])
    visible_open = sum(1 for ref in t.ids.tickets.values()
                       if ref.customer_id == t.customer_id and t.visible(ref.id))
    assert doc["open_tickets"] <= visible_open, doc["open_tickets"]


def check_header(t: Target, doc) -> None:
    mine = [ref for ref in t.ids.tickets.values() if ref.customer_id == doc["ticket"]["customer_id"]]
    visible_open = sum(1 for ref in mine if t.visible(ref.id))
    assert doc["open_tickets_of_customer"] <= visible_open, (
        f"the header counts {doc['open_tickets_of_customer']} open tickets of the customer; "
        f"{t.actor} can see {visible_open}")


def check_related(t: Target, doc) -> None:
    _all_visible(t, [r["related_ticket_id"] for r in doc])


def check_conversation(t: Target, doc) -> None:
    _all_visible(t, [i["interaction"]["ticket_id"] for i in doc["items"]])


def check_agenda(t: Target, doc) -> None:
    _all_visible(t, [i["ticket_id"] for i in doc])


def check_preview(t: Target, doc) -> None:
    _all_visible(t, [o["ticket_id"] for o in doc["sample"]])
    _all_visible(t, [o["ticket_id"] for o in doc["refused"] if o["ticket_id"]])


def check_campaigns(t: Target, doc) -> None:
    if t.role == "agent":
        assert {c["id"] for c in doc} == set(t.user.campaign_ids), doc


def check_views(t: Target, doc) -> None:
    assert t.ids.views["bruno"] not in {v["id"] for v in doc}, "someone else's saved view was listed"


# --- store rules the permission table does not hold ------------------------------------------


def only_author_or_lead(t: Target) -> int | None:
    """notes.delete_note (T14): the author, a supervisor or an administrator."""
    if t.role == "agent" and t.note_author != t.actor:
        return 403
    return None


def only_own_views(t: Target) -> int | None:
    """views.delete_view (L11): someone else's view reads as missing, for everyone."""
    return 404 if t.ownership == "other" else None


def member_of_campaign(t: Target) -> int | None:
    """customers.set_assignee: an agent assigns customers only in campaigns they belong to."""
    if t.role == "agent" and t.campaign_id not in t.user.campaign_ids:
        return 403
    return None


def campaign_member(t: Target) -> int | None:
    """get_campaign: an agent reads only the campaigns they belong to (others read as missing)."""
    if t.role == "agent" and t.campaign_id not in t.user.campaign_ids:
        return 404
    return None


def channel_token_only(t: Target) -> int | None:
    """POST /inbound takes a channel gateway's token; a user's token is refused."""
    return 403


RULES: dict[str, Rule] = {
    # --- session -----------------------------------------------------------------
    "list_users": Rule(ANY),
    "get_user": Rule(PAIR),  # own: the caller; other: bruno
    "list_campaigns": Rule(ANY, check=check_campaigns),
    "get_campaign": Rule(PAIR, refine=campaign_member),  # own: 1; other: 2 (ana is not a member)
    "set_agent_status": Rule(ANY, body=lambda t: {"status": "busy"}),
    # --- administration (P3, P4): administrators only --------------------------------------------
    "add_user": Rule(ANY, perm=Permission.MANAGE_USERS,
                     body=lambda t: {"data": {"username": f"nuevo{t.ids.next()}", "role": "agent"}}),
    "update_user": Rule(PAIR, perm=Permission.MANAGE_USERS, etag="user",  # own: the caller; other: bruno
                        body=lambda t: {"changes": {"full_name": f"Nombre {t.ids.next()}"}}),
    "issue_user_token": Rule(PAIR, perm=Permission.MANAGE_USERS),
    # carla is nobody's actor: revoking her tokens leaves the matrix's callers signed in
    "revoke_user_tokens": Rule(ANY, perm=Permission.MANAGE_USERS, params=lambda t: {"username": "carla"}),
    "issue_channel_token": Rule(ANY, perm=Permission.MANAGE_USERS, params=lambda t: {"name": f"gw-{t.ids.next()}"}),
    "revoke_channel_tokens": Rule(ANY, perm=Permission.MANAGE_USERS, params=lambda t: {"name": "gw-none"}),
    "add_campaign": Rule(ANY, perm=Permission.MANAGE_CAMPAIGNS, body=_campaign),
    "save_campaign": Rule(PAIR, perm=Permission.MANAGE_CAMPAIGNS, etag="campaign", body=_same_campaign),
    # --- the ticket list (L1-L7) ----------------------------------------------------------
    "count_tickets": Rule(ANY, body=lambda t: {"query": {}}),
    "list_tickets": Rule(ANY, body=lambda t: {"query": {}, "limit": 100}, check=check_cards),
    "pending_tickets": Rule(PAIR, query=lambda t: {"limit": 50}, check=check_pending),  # own: campaign 1; other: 2
    "filter_choices": Rule(ANY, query=lambda t: {"campaign_ids": [1]}),
    "change_token": Rule(ANY),
    # --- one ticket -------------------------------------------------------------------------
    "get_ticket": Rule(TICKET, scoped=True),
    "get_ticket_by_number": Rule(TICKET, scoped=True),
    "add_task": Rule(TICKET, scoped=True, body=_task, etag="ticket"),
    "close_ticket": Rule(TICKET, scoped=True, etag="ticket"),
    "update_ticket": Rule(TICKET, scoped=True, body=lambda t: {"changes": {"priority": "high"}}, etag="ticket"),
    "change_log": Rule(TICKET, perm=Permission.VIEW_CHANGE_LOG),
    "rule_log": Rule(TICKET, scoped=True, perm=Permission.VIEW_CHANGE_LOG),
    # --- saved views (L11) ------------------------------------------------------------------
    "list_views": Rule(ANY, check=check_views),
    "save_view": Rule(ANY, body=lambda t: {"name": f"vista {t.ids.next()}", "query": {"campaign_ids": [1]}}),
    "delete_view": Rule(PAIR, refine=only_own_views),
    # --- mass actions (L8): close is everyone's, assign is a supervisor's ---------------------------
    "preview_mass_action": Rule(PAIR, check=check_preview, body=lambda t: {
        "action": {"kind": "close", "selection": {"ids": [t.ticket.id]}}}),
    "run_mass_action": Rule(PAIR, perm=Permission.MASS_ASSIGN, body=lambda t: {
        "action": {"kind": "assign", "selection": {"ids": [t.ticket.id]}, "assignee_id": USER_IDS["diego"]}}),
    # --- customers (C1-C6, T4-T6): shared by every active user -----------------------------------
    "count_customers": Rule(ANY, body=lambda t: {"query": {}}),
    "list_customers": Rule(ANY, body=lambda t: {"query": {}, "limit": 20}),
    "create_customer": Rule(ANY, body=_new_customer),
    "get_customer": Rule(CUSTOMER),
    "update_customer": Rule(CUSTOMER, body=_new_customer, etag="customer"),
    "set_customer_assignee": Rule(  # own: for campaign 1; other: for campaign 2 (ana is not a member)
        PAIR, etag="customer", refine=member_of_campaign, params=lambda t: {"customer_id": t.bare_customer},
        body=lambda t: {"assignee_id": USER_IDS["diego"], "campaign_id": t.campaign_id}),
    "list_contacts": Rule(CUSTOMER),
    "add_contact": Rule(CUSTOMER, body=lambda t: {"data": {"kind": "email", "value": f"otro{t.ids.next()}@example.com"}}),
    "update_contact": Rule(CUSTOMER, body=lambda t: {"data": {"kind": "phone", "value": f"604 {t.ids.next():07d}",
                                                              "label": "oficina"}}),
    "delete_contact": Rule(CUSTOMER),
    "list_accounts": Rule(CUSTOMER),
    "add_account": Rule(CUSTOMER, body=lambda t: {"data": {"number": f"NEW-{t.ids.next()}", "name": "Ahorros"}}),
    "update_account": Rule(CUSTOMER, body=lambda t: {"data": {"number": f"UPD-{t.ids.next()}", "name": "Corriente"}}),
    "list_relations": Rule(CUSTOMER),
    "add_relation": Rule(CUSTOMER, body=lambda t: {"related_customer_id": t.bare_customer, "relation": "hermano"}),
    "update_relation": Rule(CUSTOMER, body=lambda t: {"relation": "primo"}),
    "remove_relation": Rule(CUSTOMER),
    "customer_profile": Rule(CUSTOMER, check=check_profile),
    "disable_customer": Rule(CUSTOMER, perm=Permission.DELETE_CUSTOMERS, etag="customer"),
    "enable_customer": Rule(CUSTOMER, perm=Permission.DELETE_CUSTOMERS, etag="customer",
                            params=lambda t: {"customer_id": t.ids.bare_customer(disabled=True)}),
    "delete_customer": Rule(  # C5: a customer with tickets is never deleted
        ("no_tickets", "with_tickets"), perm=Permission.DELETE_CUSTOMERS, conflict=frozenset({"with_tickets"}),
        params=lambda t: {"customer_id": t.bare_customer if t.ownership == "no_tickets" else t.customer_id}),
    "similar_customers": Rule(CUSTOMER),
    "switch_ticket_customer": Rule(TICKET, scoped=True, etag="ticket",
                                   body=lambda t: {"customer_id": t.bare_customer}),
    "preview_customer_merge": Rule(CUSTOMER, perm=Permission.MERGE_CUSTOMERS, body=lambda t: {
        "other_ids": [t.ids.bare_customer_id], "parts": {}}),
    "merge_customers": Rule(CUSTOMER, perm=Permission.MERGE_CUSTOMERS, body=lambda t: {
        "other_ids": [t.bare_customer], "parts": {}}),
    # --- the ticket screen (T1-T15) -----------------------------------------------------------
    "enter_ticket": Rule(TICKET, scoped=True),
    "leave_ticket": Rule(TICKET),  # no scope check: leaving a ticket reassigned away from me must work
    "heartbeat": Rule(TICKET, scoped=True),
    "ticket_header": Rule(TICKET, scoped=True, check=check_header),
    "ticket_activity": Rule(TICKET, scoped=True),
    # Anyone who works the ticket may reassign it (ticket_extras.reassign); the mass Assign is a lead's.
    "reassign_ticket": Rule(TICKET, scoped=True, etag="ticket", body=lambda t: {"assignee_id": USER_IDS["diego"]}),
    "merge_ticket": Rule(TICKET, scoped=True, perm=Permission.MASS_MERGE, etag="ticket",
                         body=lambda t: {"other_number": t.other_ticket.number}),
    "related_tickets": Rule(TICKET, scoped=True, check=check_related),
    "relate_ticket": Rule(TICKET, scoped=True, body=lambda t: {"other_number": t.other_ticket.number}),
    "send_transcript": Rule(TICKET, scoped=True, body=lambda t: {"contact_id": t.ticket.email_contact_id}),
    "external_view": Rule(TICKET, scoped=True),
    "list_external_views": Rule(TICKET, scoped=True, query=lambda t: {"ticket_id": t.ticket.id}),
    "revoke_external_view": Rule(TICKET, scoped=True, params=lambda t: {"token": t.ids.external_link(t.ticket)}),
    "conversation": Rule(TICKET, scoped=True, body=lambda t: {"include_previous": True},
                         check=check_conversation),
    "get_interaction": Rule(TICKET, scoped=True),
    "mark_read": Rule(TICKET, scoped=True),
    "send_message": Rule(TICKET, scoped=True, body=_message),
    "retry_delivery": Rule(TICKET, scoped=True,
                           params=lambda t: {"interaction_id": t.ids.failed_message(t.ticket)}),
    "save_draft": Rule(TICKET, scoped=True, body=lambda t: {"data": {"text": "borrador"}}),
    "get_draft": Rule(TICKET, scoped=True),
    "clear_draft": Rule(TICKET),  # no scope check: clearing my own draft must work after the ticket left me
    "agenda": Rule(PAIR, check=check_agenda),  # own: the caller's agenda; other: bruno's
    "list_tasks_page": Rule(TICKET, scoped=True),
    "list_attachments": Rule(TICKET, scoped=True),
    "remove_attachment": Rule(TICKET + ("from_message",), scoped=True,  # a message's files stay with it
                              conflict=frozenset({"from_message"})),
    "list_notes": Rule(TICKET, scoped=True),
    "add_note": Rule(TICKET, scoped=True, body=lambda t: {"text": "revisar la factura", "color": "green"}),
    # colleague: bruno's note on the caller's own ticket
    "delete_note": Rule(TICKET + ("colleague",), scoped=True, refine=only_author_or_lead),
}

#: The routes written by hand (uploads, downloads, the channel gateway's door).
BY_HAND_RULES: dict[str, Rule] = {
    "ingest": Rule(ANY, refine=channel_token_only, body=lambda t: {
        "channel": "email", "sender": f"nuevo{t.ids.next()}@example.com", "text": "Hola"}),
    "add_attachment": Rule(TICKET, scoped=True, query=lambda t: {"name": "recibo.txt"},
                           raw=lambda t: (b"recibo de pago\n", "application/octet-stream")),
    "read_attachment": Rule(TICKET, scoped=True),
    "export_customers": Rule(ANY, perm=Permission.EXPORT_CUSTOMERS, query=lambda t: {"format": "csv"}),
}

_BY_HAND_STATUS = {"ingest": 201, "add_attachment": 201, "read_attachment": 200, "export_customers": 200}

#: Cells that fail today because of a server bug (reported); each names the bug. Remove an entry
#: when its bug is fixed: the cell then passes, and strict xfail says so.
KNOWN_BUGS: dict[str, str] = {
}


def route_of(name: str) -> tuple[str, str, int]:
    """(verb, path below API, success status) of a route of either table."""
    if name in ROUTES_BY_NAME:
        r = ROUTES_BY_NAME[name]
        return r.verb, r.path, r.status
    verb, path = BY_HAND[name]
    return verb, path, _BY_HAND_STATUS[name]


def rule_of(name: str) -> Rule:
    return RULES[name] if name in RULES else BY_HAND_RULES[name]


def is_fresh(name: str, rule: Rule) -> bool:
    if rule.fresh is not None:
        return rule.fresh
    verb, _path, _status = route_of(name)
    return verb != "GET" and name not in READ_ONLY


def expected(name: str, rule: Rule, t: Target) -> int:
    """The status the rules give this cell."""
    if rule.perm is not None and not can(t.user, rule.perm):
        return 403
    if rule.scoped and not t.visible(t.ticket.id):
        return 404
    refined = rule.refine(t) if rule.refine else None
    if refined is not None:
        return refined
    if t.ownership in rule.conflict:
        return 409
    return route_of(name)[2]


# --- building and sending one request ---------------------------------------------------------


@dataclass
class Request:
    method: str
    url: str
    params: dict = field(default_factory=dict)
    json: Any = None
    content: bytes | None = None
    headers: dict = field(default_factory=dict)

    def send(self, client: httpx.Client, token: str | None) -> httpx.Response:
        headers = dict(self.headers)
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        kw: dict[str, Any] = {"params": self.params, "headers": headers}
        if self.content is not None:
            kw["content"] = self.content
        elif self.json is not None:
            kw["json"] = self.json
        return client.request(self.method, self.url, **kw)


def etag_of(client: httpx.Client, tokens: dict, kind: str, object_id: int) -> str:
    path = {"ticket": "/tickets/{}", "customer": "/customers/{}", "campaign": "/campaigns/{}",
            "user": "/users/{}"}[kind].format(object_id)
    r = client.get(API + path, headers={"Authorization": f"Bearer {tokens['admin']}"})
    assert r.status_code == 200 and r.headers.get("etag"), (path, r.status_code, r.text[:200])
    return r.headers["etag"]


def build(client: httpx.Client, tokens: dict, name: str, t: Target) -> Request:
    rule = rule_of(name)
    verb, path, _status = route_of(name)
    wanted = [p.strip("{}") for p in path.split("/") if p.startswith("{")]
    values = rule.params(t) if rule.params else {}
    defaults = t.params()
    for p in wanted:
        if p not in values:
            values[p] = defaults[p]()
    req = Request(verb, API + path.format(**values))
    if rule.query:
        req.params = rule.query(t)
    if rule.raw:
        req.content, req.headers["Content-Type"] = rule.raw(t)
    elif rule.body:
        req.json = rule.body(t)
    if rule.etag:
        object_id = values["username" if rule.etag == "user" else f"{rule.etag}_id"]
        req.headers["If-Match"] = etag_of(client, tokens, rule.etag, object_id)
    return req


def assert_answer(r: httpx.Response, want: int) -> Any:
    assert r.status_code == want, f"{r.request.method} {r.request.url.path}: {r.status_code} {r.text[:400]}"
    if want >= 400:
        return problem(r)
    if r.headers.get("content-type", "").startswith("application/json"):
        return json.loads(r.text)
    return None


# --- the cells -----------------------------------------------------------------------------------

ALL_RULES = {**RULES, **BY_HAND_RULES}
CELLS = [
    pytest.param(name, role, ownership, id=f"{name}-{role}-{ownership}",
                 marks=[pytest.mark.xfail(reason=KNOWN_BUGS[f"{name}-{role}-{ownership}"], strict=True)]
                 if f"{name}-{role}-{ownership}" in KNOWN_BUGS else [])
    for name, rule in ALL_RULES.items() for role in ROLES for ownership in rule.owners
]


@pytest.fixture(scope="module")
def client(served):
    with httpx.Client(base_url=served.base_url, timeout=30) as c:
        yield c


def test_the_table_covers_every_route_exactly():
    assert set(RULES) == {r.name for r in ROUTES}, (
        "routes without an expectation: " + ", ".join(sorted({r.name for r in ROUTES} - set(RULES)))
        + "; expectations without a route: " + ", ".join(sorted(set(RULES) - {r.name for r in ROUTES})))
    assert set(BY_HAND_RULES) == set(BY_HAND)
    assert set(_BY_HAND_STATUS) == set(BY_HAND)
    assert all(key.rsplit("-", 2)[0] in ALL_RULES for key in KNOWN_BUGS)


def test_the_matrix_has_every_role_and_ownership():
    assert len(CELLS) == sum(len(ROLES) * len(r.owners) for r in ALL_RULES.values())
    assert {c.values[1] for c in CELLS} == set(ROLES)


@pytest.mark.parametrize("name,role,ownership", CELLS)
def test_cell(served, client, name, role, ownership):
    rule = rule_of(name)
    t = Target(served.ids, role, ownership, is_fresh(name, rule))
    req = build(client, served.tokens, name, t)
    want = expected(name, rule, t)
    doc = assert_answer(req.send(client, served.tokens[t.actor]), want)
    if rule.check and want < 300:
        rule.check(t, doc)


# --- whoever calls without a user -------------------------------------------------------------------

#: Routes written by hand outside both tables, still behind a user's token.
EXTRA_USER_ROUTES = {"me": ("GET", "/me"), "events": ("GET", "/events")}
USER_ROUTE_NAMES = [n for n in ALL_RULES if n != "ingest"]


def _request(served, client, name: str) -> Request:
    if name in EXTRA_USER_ROUTES:
        verb, path = EXTRA_USER_ROUTES[name]
        return Request(verb, API + path)
    rule = rule_of(name)
    return build(client, served.tokens, name, Target(served.ids, "administrator", rule.owners[0],
                                                     is_fresh(name, rule)))


@pytest.mark.parametrize("name", [*ALL_RULES, *EXTRA_USER_ROUTES])
def test_no_token_is_401(served, client, name):
    req = _request(served, client, name)
    r = req.send(client, None)
    assert_answer(r, 401)
    assert r.headers.get("www-authenticate") == "Bearer"
    r = req.send(client, "not-a-token")
    assert_answer(r, 401)


@pytest.mark.parametrize("name", [*USER_ROUTE_NAMES, *EXTRA_USER_ROUTES])
def test_channel_token_is_403_on_user_routes(served, client, name):
    assert_answer(_request(served, client, name).send(client, served.tokens["channel"]), 403)


def test_channel_token_delivers_inbound(served, client):
    r = client.post(API + "/inbound", headers={"Authorization": f"Bearer {served.tokens['channel']}"},
                    json={"channel": "email", "sender": "gateway@example.com", "text": "Hola"})
    assert r.status_code == 201, r.text
    assert r.json()["new_ticket"] is True


# --- unknown ids ----------------------------------------------------------------------------------

UNKNOWN_ID = 987_654
#: Routes whose path names an object but that answer without one, by design.
UNKNOWN_OK = {
    "leave_ticket": 200,  # no scope check: leaving must work whatever became of the ticket
    "clear_draft": 204,  # likewise for my own draft
    "agenda": 200,  # a filter on the assignee: nobody's agenda is empty
    "change_log": 200,  # the log of a deleted customer or ticket stays readable (administrators)
    "pending_tickets": 200,  # a filter on the campaign: no tickets
    "issue_channel_token": 201,  # the path names a new gateway, not an existing object
    "revoke_channel_tokens": 200,  # a gateway with no tokens: none revoked
}
WITH_IDS = [n for n in ALL_RULES if "{" in route_of(n)[1]]


@pytest.mark.parametrize("name", WITH_IDS)
def test_unknown_ids_are_404(served, client, name):
    _verb, path, _status = route_of(name)
    req = _request(served, client, name)
    unknown = {p.strip("{}"): (UNKNOWN_ID if p not in ("{username}", "{entity}", "{form}") else
                              {"{username}": "nadie", "{entity}": "ticket", "{form}": "composer"}[p])
               for p in path.split("/") if p.startswith("{")}
    req.url = API + path.format(**unknown)
    want = UNKNOWN_OK.get(name, 404)
    assert_answer(req.send(client, served.tokens["admin"]), want)


def test_unknown_ids_read_the_same_as_out_of_scope(served, client):
    """An agent cannot tell bruno's ticket from a missing one: same status, same sentence."""
    ana = {"Authorization": f"Bearer {served.tokens['ana']}"}
    theirs = served.ids.tickets["bruno"].id
    a = client.get(f"{API}/tickets/{theirs}", headers=ana)
    b = client.get(f"{API}/tickets/{UNKNOWN_ID}", headers=ana)
    assert a.status_code == b.status_code == 404
    assert problem(a)["template"] == problem(b)["template"]


# --- found by this matrix -------------------------------------------------------------------------


def test_send_message_cannot_attach_files_from_the_server_disk(served, client, tmp_path):
    secret = tmp_path / "server-secret.txt"
    secret.write_text("only on the server\n")
    ticket = served.ids.ticket("ana")
    r = client.post(f"{API}/tickets/{ticket.id}/messages",
                    headers={"Authorization": f"Bearer {served.tokens['ana']}"},
                    json={"message": {"client_key": f"leak-{served.ids.next()}", "channel": "email",
                                      "contact": ticket.contact_id, "text": "hola", "subject": "s",
                                      "attachment_paths": [str(secret)]}})
    assert r.status_code == 422, (r.status_code, r.text[:300])

