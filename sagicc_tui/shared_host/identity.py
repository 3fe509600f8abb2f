"""The one rule of a shared host: who you are is the host's answer.

On a shared host (an SSH key's forced command, or a client of `sagicc serve
--socket`) the identity is fixed by the host: the key's entry names the
sagicc user, or the socket's peer credentials name the OS account. Then

- `--user` and `SAGICC_USER` naming anyone else are refused with a sentence
  (naming yourself is harmless);
- the settings file's remembered user is neither read nor written;
- the user picker is never shown (the app checks `identity_from_host`).
"""

from __future__ import annotations

import os

from sagicc_tui.domain.errors import PermissionDenied
from sagicc_tui.domain.messages import N_


def requested_user(cli_user: str | None) -> str | None:
    """The user asked for by flag or variable (never the settings file)."""
    return (cli_user or os.environ.get("SAGICC_USER") or "").strip() or None


def check_requested(host_user: str, cli_user: str | None) -> None:
    asked = requested_user(cli_user)
    if asked is not None and asked != host_user:
        raise PermissionDenied(N_("On this host you are {user}, as the host says; --user and SAGICC_USER "
                                  "cannot change that. Leave them out."), user=host_user)
