"""Errors the Backend raises: each carries one sentence a person can act on.

The sentence is an English template with parameters (see messages.py) so the
UI can show it in the user's language; str(error) is the English sentence for
logs and headless verbs.
"""

from __future__ import annotations

from typing import Any

from sagicc_tui.domain.messages import Msg


class SagiccError(Exception):
    """Base: what happened and what to do, in one sentence."""

    def __init__(self, template: str, **params: Any) -> None:
        self.message = Msg(template, params)
        super().__init__(str(self.message))


class NotFound(SagiccError):
    pass


class PermissionDenied(SagiccError):
    pass


class RuleViolation(SagiccError):
    """A business rule refuses the change (e.g. a closed ticket stays closed)."""


class StaleWrite(SagiccError):
    """Someone else changed the record since it was loaded; nothing was written."""

    def __init__(self, template: str, *, current_version: int = 0, **params: Any) -> None:
        super().__init__(template, **params)
        self.current_version = current_version


class InvalidInput(SagiccError):
    pass


class StoreError(SagiccError):
    """The store cannot be opened, is locked, or is from a newer version."""
