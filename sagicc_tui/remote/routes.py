"""The REST API, described once: every Backend method and its HTTP route.

The server (sagicc_tui/server/) builds its FastAPI endpoints from this table
and the remote backend (remote/backend.py) builds its calls from it, so the two
can never disagree on a path, a verb or a parameter. Imports neither FastAPI
nor httpx.

Conventions (issue #6):
- path parameters are named in the path; for GET and DELETE the others are
  query parameters; for POST, PUT and PATCH they form the JSON body, whose
  model forbids unknown fields;
- `expected_version` never travels in the body: it is the `If-Match` header
  (412 when stale, 428 when missing where the method requires it);
- `create=True`: a creating POST; the server keeps its first answer under the
  caller's `Idempotency-Key` and replays it;
- `safe=True`: reads nothing changes (some are POSTs because their query is a
  structured object); the client may retry them freely;
- the acting user is the bearer token's: a `user` argument never travels.
"""

from __future__ import annotations

import inspect
import typing
from dataclasses import dataclass
from functools import cache

from sagicc_tui.backend import Backend

#: Path prefix of the versioned API.
API = "/api/v1"
#: Most rows one page may ask for (limit parameters).
MAX_PAGE = 100


@dataclass(frozen=True, slots=True)
class Route:
    name: str  # the Backend method
    verb: str
    path: str  # below API
    safe: bool = False
    create: bool = False
    status: int = 200
    summary: str = ""

    @property
    def path_params(self) -> tuple[str, ...]:
        return tuple(p.strip("{}") for p in self.path.split("/") if p.startswith("{"))

    @property
    def in_body(self) -> bool:
        return self.verb in ("POST", "PUT", "PATCH")

    @property
    def retryable(self) -> bool:
        """Whether the client may send it again after a lost answer."""
        return self.verb == "GET" or self.safe or self.create or self.takes_version


    @property
    def takes_version(self) -> bool:
        return "expected_version" in signature(self.name).parameters

    @property
    def requires_version(self) -> bool:
        p = signature(self.name).parameters.get("expected_version")
        return p is not None and p.default is inspect.Parameter.empty

    def wire_params(self) -> list[inspect.Parameter]:
        """Parameters that travel (path, query or body), in signature order."""
        return [p for p in signature(self.name).parameters.values()
                if p.name not in ("self", "user", "expected_version", "progress")]

    def hints(self) -> dict[str, typing.Any]:
        return hints(self.name)


@cache
def signature(name: str) -> inspect.Signature:
    return inspect.signature(getattr(Backend, name))


@cache
def hints(name: str) -> dict[str, typing.Any]:
    return typing.get_type_hints(getattr(Backend, name))


def _r(name: str, verb: str, path: str, **kw: typing.Any) -> Route:
    status = kw.pop("status", 201 if kw.get("create") else 200)
    return Route(name, verb, path, status=status, **kw)


ROUTES: tuple[Route, ...] = (
    # session
    _r("list_users", "GET", "/users"),
    _r("get_user", "GET", "/users/{username}"),
    _r("list_campaigns", "GET", "/campaigns"),
    _r("get_campaign", "GET", "/campaigns/{campaign_id}"),
    _r("set_agent_status", "PUT", "/me/status", safe=True),
    # administration (P3, P4)
    _r("add_user", "POST", "/users", create=True),
    _r("update_user", "PATCH", "/users/{username}"),
    _r("issue_user_token", "POST", "/users/{username}/tokens", create=True),
    _r("revoke_user_tokens", "DELETE", "/users/{username}/tokens"),
    _r("issue_channel_token", "POST", "/channel-tokens/{name}", create=True),
    _r("revoke_channel_tokens", "DELETE", "/channel-tokens/{name}"),
    _r("add_campaign", "POST", "/campaigns", create=True),
    _r("save_campaign", "PUT", "/campaigns/{campaign_id}"),
    # the ticket list
    _r("count_tickets", "POST", "/tickets/count", safe=True),
    _r("list_tickets", "POST", "/tickets/search", safe=True),
    _r("pending_tickets", "GET", "/campaigns/{campaign_id}/pending"),
    _r("filter_choices", "GET", "/filter-choices"),
    _r("change_token", "GET", "/change-token"),
    # one ticket
    _r("get_ticket", "GET", "/tickets/{ticket_id}"),
    _r("get_ticket_by_number", "GET", "/tickets/by-number/{number}"),
    _r("add_task", "POST", "/tickets/{ticket_id}/tasks", create=True),
    _r("close_ticket", "POST", "/tickets/{ticket_id}/close"),
    _r("update_ticket", "PATCH", "/tickets/{ticket_id}"),
    _r("change_log", "GET", "/change-log/{entity}/{entity_id}"),
    _r("rule_log", "GET", "/tickets/{ticket_id}/rule-log"),
    # saved views
    _r("list_views", "GET", "/views"),
    _r("save_view", "PUT", "/views", safe=True),
    _r("delete_view", "DELETE", "/views/{view_id}", status=204),
    # mass actions
    _r("preview_mass_action", "POST", "/mass-actions/preview", safe=True),
    _r("run_mass_action", "POST", "/mass-actions", create=True),
    # customers
    _r("count_customers", "POST", "/customers/count", safe=True),
    _r("list_customers", "POST", "/customers/search", safe=True),
    _r("create_customer", "POST", "/customers", create=True),
    _r("get_customer", "GET", "/customers/{customer_id}"),
    _r("update_customer", "PUT", "/customers/{customer_id}"),
    _r("set_customer_assignee", "PUT", "/customers/{customer_id}/assignee"),
    _r("list_contacts", "GET", "/customers/{customer_id}/contacts"),
    _r("add_contact", "POST", "/customers/{customer_id}/contacts", create=True),
    _r("update_contact", "PUT", "/contacts/{contact_id}", safe=True),
    _r("delete_contact", "DELETE", "/contacts/{contact_id}", status=204),
    _r("list_accounts", "GET", "/customers/{customer_id}/accounts"),
    _r("add_account", "POST", "/customers/{customer_id}/accounts", create=True),
    _r("update_account", "PUT", "/accounts/{account_id}", safe=True),
    _r("list_relations", "GET", "/customers/{customer_id}/relations"),
    _r("add_relation", "POST", "/customers/{customer_id}/relations", create=True),
    _r("update_relation", "PUT", "/relations/{relation_id}", safe=True),
    _r("remove_relation", "DELETE", "/relations/{relation_id}", status=204),
    _r("customer_profile", "GET", "/customers/{customer_id}/profile"),
    _r("disable_customer", "POST", "/customers/{customer_id}/disable"),
    _r("enable_customer", "POST", "/customers/{customer_id}/enable"),
    _r("delete_customer", "DELETE", "/customers/{customer_id}", status=204),
    _r("similar_customers", "GET", "/customers/{customer_id}/similar"),
    _r("switch_ticket_customer", "PUT", "/tickets/{ticket_id}/customer"),
    _r("preview_customer_merge", "POST", "/customers/{main_id}/merge/preview", safe=True),
    _r("merge_customers", "POST", "/customers/{main_id}/merge", create=True),
    # the ticket screen
    _r("enter_ticket", "POST", "/tickets/{ticket_id}/presence", safe=True),
    _r("leave_ticket", "DELETE", "/tickets/{ticket_id}/presence", safe=True),
    _r("heartbeat", "PUT", "/tickets/{ticket_id}/presence", safe=True),
    _r("ticket_header", "GET", "/tickets/{ticket_id}/header"),
    _r("ticket_activity", "GET", "/tickets/{ticket_id}/activity"),
    _r("reassign_ticket", "PUT", "/tickets/{ticket_id}/assignee"),
    _r("merge_ticket", "POST", "/tickets/{ticket_id}/merge", create=True),
    _r("related_tickets", "GET", "/tickets/{ticket_id}/related"),
    _r("relate_ticket", "POST", "/tickets/{ticket_id}/related", create=True),
    _r("send_transcript", "POST", "/tickets/{ticket_id}/transcripts", create=True),
    _r("external_view", "POST", "/tickets/{ticket_id}/external-view", safe=True),
    _r("list_external_views", "GET", "/external-views"),
    _r("revoke_external_view", "DELETE", "/external-views/{token}", status=204, safe=True),
    _r("conversation", "POST", "/tickets/{ticket_id}/conversation", safe=True),
    _r("get_interaction", "GET", "/interactions/{interaction_id}"),
    _r("mark_read", "POST", "/tickets/{ticket_id}/read", safe=True),
    _r("send_message", "POST", "/tickets/{ticket_id}/messages", create=True),
    _r("retry_delivery", "POST", "/interactions/{interaction_id}/retry"),
    _r("save_draft", "PUT", "/tickets/{ticket_id}/drafts/{form}", safe=True),
    _r("get_draft", "GET", "/tickets/{ticket_id}/drafts/{form}"),
    _r("clear_draft", "DELETE", "/tickets/{ticket_id}/drafts/{form}", status=204, safe=True),
    _r("agenda", "GET", "/users/{assignee_id}/agenda"),
    _r("list_tasks_page", "GET", "/tickets/{ticket_id}/task-history"),
    _r("list_attachments", "GET", "/tickets/{ticket_id}/attachments"),
    _r("remove_attachment", "DELETE", "/attachments/{attachment_id}", status=204),
    _r("list_notes", "GET", "/tickets/{ticket_id}/notes"),
    _r("add_note", "POST", "/tickets/{ticket_id}/notes", create=True),
    _r("delete_note", "DELETE", "/notes/{note_id}", status=204),
)

#: Methods whose arguments or answers are files' bytes (and the gateway's
#: inbound): the server and the client handle them by hand (uploads,
#: downloads, the streamed export), not from the table.
BY_HAND = {
    "ingest": ("POST", "/inbound"),  # a channel gateway's token, attachments inline
    "add_attachment": ("POST", "/tickets/{ticket_id}/attachments"),  # the body is the file's bytes
    "read_attachment": ("GET", "/attachments/{attachment_id}/content"),  # the file's bytes
    "export_customers": ("GET", "/customers/export"),  # the spreadsheet, streamed
}

ROUTES_BY_NAME = {r.name: r for r in ROUTES}


def uncovered() -> set[str]:
    """Backend methods the API does not expose (tests assert this is empty)."""
    names = {n for n, v in vars(Backend).items() if getattr(v, "__isabstractmethod__", False)}
    return names - set(ROUTES_BY_NAME) - set(BY_HAND)
