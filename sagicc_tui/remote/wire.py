"""Plain models to and from JSON, and errors to and from problem+json.

Both ends use pydantic's TypeAdapter over the domain's own dataclasses, so the
wire format is derived from the models rather than written twice. It is the
one JSON form of our models: headless `--json` prints `jsonable(value)`,
the same as the API answers (enums as their values, times ISO 8601 in UTC
with "Z", tuples as lists). Errors
travel as RFC 9457 problem documents that carry the sentence's template and
parameters: the client raises the same domain error the local store would,
and the UI shows it in the user's language.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from pydantic import TypeAdapter
from pydantic_core import to_jsonable_python

from sagicc_tui.domain import errors
from sagicc_tui.domain.customers import DuplicateCustomer
from sagicc_tui.domain.messages import N_

PROBLEM_JSON = "application/problem+json"

# Most specific class first: the first isinstance match names the problem.
_PROBLEMS: tuple[tuple[type[errors.SagiccError], int, str, str], ...] = (
    (DuplicateCustomer, 409, "duplicate-customer", "Duplicate customer"),
    (errors.StaleWrite, 412, "stale-write", "Changed by someone else"),
    (errors.NotFound, 404, "not-found", "Not found"),
    (errors.PermissionDenied, 403, "permission-denied", "Not allowed"),
    (errors.RuleViolation, 409, "rule-violation", "Refused by a business rule"),
    (errors.InvalidInput, 422, "invalid-input", "Invalid input"),
    (errors.StoreError, 503, "store-unavailable", "Store unavailable"),
    (errors.SagiccError, 400, "error", "Refused"),
)
_BY_CODE = {code: cls for cls, _status, code, _title in _PROBLEMS}


class Unauthorized(errors.PermissionDenied):
    """The bearer token is missing, unknown or revoked (401)."""


class ServerUnreachable(errors.StoreError):
    """The server did not answer (connect error, timeout); nothing is known to have changed."""


@cache
def adapter(tp: Any) -> TypeAdapter:
    return TypeAdapter(tp)


def dump(tp: Any, value: Any) -> Any:
    """`value` (of type `tp`) as JSON-ready Python values."""
    return adapter(tp).dump_python(value, mode="json")


def jsonable(value: Any) -> Any:
    """Any value of models (a model, or lists, tuples and dicts of them) as
    JSON-ready values, as `dump` writes them; for callers that hold no type."""
    return to_jsonable_python(value)


def load(tp: Any, data: Any) -> Any:
    """JSON-ready values back into `tp` (dataclasses, enums, datetimes, tuples)."""
    return adapter(tp).validate_python(data)


def problem_for(exc: errors.SagiccError) -> tuple[int, dict[str, Any]]:
    """(HTTP status, problem document) for a domain error."""
    for cls, status, code, title in _PROBLEMS:
        if isinstance(exc, cls):
            break
    if isinstance(exc, Unauthorized):
        status, code, title = 401, "unauthorized", "Sign in again"
    doc: dict[str, Any] = {
        "type": f"urn:sagicc:problem:{code}",
        "title": title,
        "status": status,
        "detail": str(exc.message),
        "template": exc.message.template,
        "params": {k: _plain(v) for k, v in exc.message.params.items()},
    }
    if isinstance(exc, errors.StaleWrite):
        doc["current_version"] = exc.current_version
    if isinstance(exc, DuplicateCustomer):
        doc["existing_id"] = exc.existing_id
    if isinstance(exc, errors.InvalidInput) and exc.field is not None:
        doc["field"] = exc.field  # the input it is about: a form routes it there in any language
    return status, doc


def problem(status: int, code: str, title: str, template: str, **params: Any) -> dict[str, Any]:
    """A problem document for errors the domain does not raise (HTTP-level)."""
    return {
        "type": f"urn:sagicc:problem:{code}", "title": title, "status": status,
        "detail": template.format_map(params) if params else template,
        "template": template, "params": {k: _plain(v) for k, v in params.items()},
    }


def _plain(v: Any) -> Any:
    return v if isinstance(v, str | int | float | bool) or v is None else str(v)


def error_from_problem(status: int, doc: Any) -> errors.SagiccError:
    """The domain error a problem document describes (what the local store would raise)."""
    if not isinstance(doc, dict) or "template" not in doc:
        return errors.StoreError(
            N_("The server answered {status} without an explanation; try again, or tell your administrator."),
            status=status)
    template = str(doc["template"])
    params = doc.get("params") if isinstance(doc.get("params"), dict) else {}
    code = str(doc.get("type", "")).rsplit(":", 1)[-1]
    field = doc.get("field") if isinstance(doc.get("field"), str) else None
    if code == "unauthorized" or status == 401:
        return Unauthorized(template, **params)
    if code == "stale-write":
        return errors.StaleWrite(template, current_version=int(doc.get("current_version") or 0), **params)
    if code == "duplicate-customer":
        params = {k: v for k, v in params.items() if k not in ("id", "field")}
        return DuplicateCustomer(template, existing_id=int(doc.get("existing_id") or 0), **params)
    cls = _BY_CODE.get(code)
    if cls is None:
        cls = {404: errors.NotFound, 403: errors.PermissionDenied, 409: errors.RuleViolation,
               412: errors.StaleWrite, 422: errors.InvalidInput}.get(status, errors.StoreError)
    if cls is errors.StaleWrite:
        return errors.StaleWrite(template, **params)
    if issubclass(cls, errors.InvalidInput):
        # "field" is the document's own member; never a sentence parameter as well.
        params = {k: v for k, v in params.items() if k != "field"}
        return cls(template, field=field, **params)
    return cls(template, **params)


def etag(version: int) -> str:
    return f'"{version}"'


def parse_if_match(value: str | None) -> int | None:
    """The version an If-Match header names; None when absent; ValueError when malformed."""
    if value is None:
        return None
    v = value.strip()
    if v.startswith("W/"):
        v = v[2:]
    v = v.strip('"')
    if not v.isdigit():
        raise ValueError(value)
    return int(v)
