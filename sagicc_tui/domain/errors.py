"""Errors the Backend raises: each carries one sentence a person can act on.

The sentence is an English template with parameters (see messages.py) so the
UI can show it in the user's language; str(error) is the English sentence for
logs and headless verbs.
"""

from __future__ import annotations

from typing import Any

from sagicc_tui.domain.messages import N_, Msg


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
    """Input refused. `field` names the input it concerns (the model's attribute,
    like "id_number", or a task field's key), so a form puts the sentence next
    to that input in any language; None when it is about the request as a whole.
    A sentence that names the input by its label takes it as {label}."""

    def __init__(self, template: str, *, field: str | None = None, **params: Any) -> None:
        super().__init__(template, **params)
        self.field = field


class StoreError(SagiccError):
    """The store cannot be opened, is locked, or is from a newer version."""


def as_error(exc: BaseException) -> SagiccError:
    """Whatever a UI worker caught, as one sentence the screen can show (#10.6).

    The Backend raises SagiccErrors; this is for everything else that can
    still escape (a file of ours that cannot be written, a bug), so a worker
    never ends the app with a traceback and the screen keeps what was typed.
    """
    import errno

    if isinstance(exc, SagiccError):
        return exc
    if isinstance(exc, OSError):
        where = str(exc.filename or "")
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            return StoreError(N_("The disk is full ({path}), so this was not saved; free some space and try "
                                 "again."), path=where)
        return StoreError(N_("A file could not be written or read ({reason}: {path}); check the disk and "
                             "its permissions, then try again."), reason=exc.strerror or type(exc).__name__,
                          path=where)
    first = str(exc).splitlines()[0][:160] if str(exc) else ""
    return SagiccError(N_("Something went wrong ({error}); nothing more was done. Try again, or restart "
                          "sagicc if it keeps happening."),
                       error=f"{type(exc).__name__}: {first}" if first else type(exc).__name__)
