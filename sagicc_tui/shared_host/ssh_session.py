"""`sagicc ssh-session USER`: what sshd runs for an agent's key (see ssh_keys.py).

It runs as the service account, which owns the store, so it trusts nothing
the SSH client chose:

- a command the client asked for (SSH_ORIGINAL_COMMAND: `ssh host sh -c id`,
  `ssh host -- --user admin`, scp, sftp) is refused, never run;
- variables a permissive AcceptEnv let through (SAGICC_*, TEXTUAL*, ...) are
  dropped before anything reads them: only the terminal's and the locale's stay;
- the user is the key's, with the picker never shown (identity.py);
- each agent has their own settings file and their own files folder
  (files.py), which is also HOME and the working directory, so `~/x.xlsx`
  and `x.xlsx` both land there.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from sagicc_tui.domain.errors import InvalidInput, PermissionDenied
from sagicc_tui.domain.messages import N_
from sagicc_tui.shared_host.session import HostSession

#: What stays of the environment sshd hands over.
KEPT_ENV = {"HOME", "USER", "LOGNAME", "PATH", "SHELL", "TERM", "COLORTERM", "LANG", "LANGUAGE", "TZ",
            "SSH_CONNECTION", "SSH_CLIENT", "SSH_TTY", "XDG_RUNTIME_DIR", "MAIL", "NO_COLOR"}


def kept(name: str) -> bool:
    return name in KEPT_ENV or name.startswith("LC_")


def scrub_environment() -> None:
    for name in list(os.environ):
        if not kept(name):
            del os.environ[name]


def refuse_client_command() -> None:
    asked = os.environ.get("SSH_ORIGINAL_COMMAND", "").strip()
    if asked:
        raise PermissionDenied(N_("This account only opens sagicc; connect with `ssh -t ACCOUNT@HOST` and no "
                                  "command (asked for: {command})."), command=asked[:200])


def session(args: argparse.Namespace) -> HostSession:
    from sagicc_tui.files import safe_file_name
    from sagicc_tui.paths import config_dir, data_dir, resolve_db
    from sagicc_tui.shared_host.files import ConfinedFiles, user_folder
    from sagicc_tui.shared_host.identity import check_requested

    refuse_client_command()
    scrub_environment()
    username = args.ssh_user
    check_requested(username, getattr(args, "user", None))
    db = resolve_db(args.db)
    if "://" not in db and not Path(db).exists():
        raise InvalidInput(N_("There is no store at {path}; the administrator's `sagicc ssh-keys add` names "
                              "the store in the key's command."), path=db)
    settings = config_dir() / "users" / f"{safe_file_name(username)}.json"
    folder = user_folder(data_dir(), username)
    os.environ["HOME"] = str(folder)
    os.chdir(folder)

    async def open_backend():
        import asyncio

        def load():
            from sagicc_tui.local_store.backend import LocalBackend

            return LocalBackend(db)

        return ConfinedFiles(await asyncio.to_thread(load), folder)

    return HostSession(open_backend=open_backend, username=username, settings_path=settings)
