"""Schemathesis over the API's own OpenAPI document, once per role.

A real server on 127.0.0.1 over a seeded store (a fresh one per role: the
generated calls close, merge and delete what they reach). Every operation of
the document is called with generated, schema-valid requests (path ids half
random, half pinned to seeded objects the role can see, so bodies reach the
store and not only the 404 of an unknown id) and checked for:

- not_a_server_error: no 5xx;
- response_schema_conformance: the body matches the documented schema of its
  status (success models and problem documents alike);
- status_code_conformance: the status is one the document lists.

Bounded and reproducible: MAX_EXAMPLES per operation, derandomized, no
example database, no shrinking. Every failure of every case is collected (a
failing case does not stop the operation's run), so one run lists them all,
each with the request to reproduce it.
"""

from __future__ import annotations

import json
import os
from collections import defaultdict

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.core import NOT_SET
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.specs.openapi.checks import (
    response_schema_conformance,
    status_code_conformance,
)

from tests.server.conftest import USER_IDS, serve

MAX_EXAMPLES = 15  # per operation and role: 80 operations x 3 roles, 3600 cases in about 95 s
CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance]
#: Not fuzzable: the event stream never ends (it is covered by the role matrix's 401/403 tests).
SKIP = {("GET", "/api/v1/events")}
ROLES = ("admin", "sofia", "ana")  # administrator, supervisor, agent

SUMMARY: dict[str, dict] = {}


def pinned_ids(ids, username: str) -> dict[str, object]:
    """Path parameters pinned to seeded objects inside the user's scope (their own ticket)."""
    t = ids.tickets[username]
    return {
        "ticket_id": t.id, "number": t.number, "interaction_id": t.interaction_id,
        "note_id": ids.notes[username], "attachment_id": ids.attachments[username],
        "customer_id": t.customer_id, "main_id": t.customer_id, "username": username,
        "campaign_id": 1, "assignee_id": USER_IDS[username], "entity_id": t.id,
        "view_id": ids.views[username], "form": "composer", "contact_id": t.contact_id,
    }


def reproduction(case, response) -> str:
    """The request and the answer, unredacted (schemathesis hides fields named like *key*)."""
    sent = {"method": case.method.upper(), "path": case.formatted_path, "query": case.query or None,
            "headers": {k: v for k, v in (case.headers or {}).items() if k.lower() != "authorization"} or None,
            "body": None if case.body is NOT_SET else case.body}
    return (f"request: {json.dumps({k: v for k, v in sent.items() if v is not None}, default=repr)}\n"
            f"response: {response.status_code} {response.text[:600]}")


def run_operation(operation, base_url: str, auth: dict, pinned: dict, failures: dict) -> int:
    """Generated cases for one operation; returns how many were sent."""
    sent = 0
    strategy = operation.as_strategy()
    names = {p.name for p in operation.path_parameters}
    fixed = {k: v for k, v in pinned.items() if k in names}
    if fixed:
        strategy = st.one_of(strategy, operation.as_strategy(path_parameters=fixed))

    @settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate])
    @given(case=strategy)
    def generated(case):
        nonlocal sent
        sent += 1
        response = case.call(base_url=base_url, headers=auth, timeout=30)
        try:
            case.validate_response(response, checks=CHECKS, headers=auth)
        except (FailureGroup, Failure) as exc:
            found = list(exc.exceptions if isinstance(exc, FailureGroup) else (exc,))
            if response.status_code >= 500:  # one failure: not also "500 is undocumented"
                found = [f for f in found if f.code != "ST103"] or found
            for f in found:
                key = (operation.label, f.code, f.title)
                failures.setdefault(key, f"{f}\n{reproduction(case, response)}")  # its first case

    generated()
    return sent


@pytest.mark.parametrize("username", ROLES)
def test_schemathesis(username, tmp_path, tmp_path_factory, monkeypatch):
    for name in [n for n in os.environ if n.startswith("SAGICC_SMTP")]:
        monkeypatch.delenv(name)  # outgoing messages are recorded, never sent
    with serve(tmp_path / "store") as (base_url, tokens, ids):
        schema = schemathesis.openapi.from_url(base_url + "/openapi.json")
        auth = {"Authorization": f"Bearer {tokens[username]}"}
        pinned = pinned_ids(ids, username)
        failures: dict[tuple, str] = {}
        per_operation: dict[str, int] = defaultdict(int)
        for result in schema.get_all_operations():
            operation = result.ok()
            if (operation.method.upper(), operation.path) in SKIP:
                continue
            per_operation[operation.label] = run_operation(operation, base_url, auth, pinned, failures)

    cases = sum(per_operation.values())
    SUMMARY[username] = {"cases": cases, "operations": len(per_operation), "failures": len(failures)}
    summary_file = tmp_path_factory.getbasetemp() / "schemathesis-summary.json"
    previous = json.loads(summary_file.read_text()) if summary_file.exists() else {}
    summary_file.write_text(json.dumps({**previous, **SUMMARY}, indent=2))
    print(f"\nschemathesis as {username}: {cases} cases over {len(per_operation)} operations, "
          f"{len(failures)} distinct failures")

    written = json.loads(summary_file.read_text())[username]
    assert written["cases"] > 0 and written["operations"] > 60, written
    assert all(n > 0 for n in per_operation.values()), [k for k, n in per_operation.items() if not n]
    report = "\n\n".join(f"=== {op} [{code}] {title}\n{text}" for (op, code, title), text in sorted(failures.items()))
    assert not failures, f"{len(failures)} distinct failures as {username}:\n\n{report}"
