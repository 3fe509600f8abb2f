"""The user's settings file: who used the app last, language, keymap, theme,
and the server last signed in to (``sagicc login``).

A small JSON object at ``config_dir()/settings.json`` (``SAGICC_CONFIG_DIR``
overrides the directory, so tests use temporary ones)::

    {"last_user": "ana", "language": "es", "theme": "textual-dark",
     "keymap": {"list.down": "n", "list.up": "e"},
     "server_url": "https://sagicc.example.com", "token_file": "/home/ana/.sagicc-token"}

Never a token here: ``token_file`` is only the path of the file the user chose
(see sagicc_tui/remote/credentials.py).

Reading never raises: a missing file gives the defaults; an unreadable or
corrupt one gives the defaults plus a sentence (``Settings.problem``) the UI
shows with ``notify``. Unknown keys are ignored; wrong types drop that key only.
Writing is atomic (temporary file + rename) so a crash never leaves half a file.

Standard library only: the CLI reads ``last_user`` without importing Textual.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from sagicc_tui.domain.messages import Msg, N_

FILE_NAME = "settings.json"
LANGUAGES = ("en", "es")


@dataclass(frozen=True, slots=True, kw_only=True)
class Settings:
    last_user: str | None = None
    language: str | None = None  # None: from the environment (i18n.default_language)
    theme: str | None = None  # None: the app's default theme
    keymap: dict[str, str] = field(default_factory=dict)  # binding id -> keys ("n" or "n,ctrl+n")
    server_url: str | None = None  # the server of the last `sagicc login`
    token_file: str | None = None  # the token file the user opted in to (a path, never the token)
    problem: Msg | None = None  # why the file was (partly) ignored; never saved

    def with_(self, **changes: Any) -> Settings:
        return replace(self, **changes)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {}
        if self.last_user:
            data["last_user"] = self.last_user
        if self.language:
            data["language"] = self.language
        if self.theme:
            data["theme"] = self.theme
        if self.keymap:
            data["keymap"] = dict(self.keymap)
        if self.server_url:
            data["server_url"] = self.server_url
        if self.token_file:
            data["token_file"] = self.token_file
        return data


def settings_path() -> Path:
    from sagicc_tui.paths import config_dir

    return config_dir() / FILE_NAME


def load_settings(path: str | Path | None = None) -> Settings:
    path = Path(path) if path is not None else settings_path()
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Settings()
    except (OSError, UnicodeDecodeError) as e:
        return Settings(problem=_unreadable(path, getattr(e, "strerror", None) or str(e)))
    try:
        data = json.loads(raw)
    except ValueError as e:
        return Settings(problem=_unreadable(path, str(e)))
    if not isinstance(data, dict):
        return Settings(problem=_unreadable(path, "not a JSON object"))
    return _from_json(data, path)


def _unreadable(path: Path, reason: str) -> Msg:
    return Msg(
        N_("The settings file {path} could not be read ({reason}); using the defaults."),
        {"path": str(path), "reason": reason},
    )


def _from_json(data: dict[str, Any], path: Path) -> Settings:
    bad: list[str] = []

    def text(key: str, allowed: tuple[str, ...] | None = None) -> str | None:
        value = data.get(key)
        if value is None:
            return None
        if not isinstance(value, str) or not value.strip() or (allowed and value not in allowed):
            bad.append(key)
            return None
        return value.strip()

    keymap: dict[str, str] = {}
    raw_keymap = data.get("keymap", {})
    if isinstance(raw_keymap, dict):
        for binding_id, keys in raw_keymap.items():
            if isinstance(binding_id, str) and isinstance(keys, str) and keys.strip():
                keymap[binding_id] = keys.replace(" ", "")
            else:
                bad.append(f"keymap.{binding_id}")
    else:
        bad.append("keymap")
    settings = Settings(
        last_user=text("last_user"),
        language=text("language", LANGUAGES),
        theme=text("theme"),
        keymap=keymap,
        server_url=text("server_url"),
        token_file=text("token_file"),
    )
    if bad:
        settings = settings.with_(problem=Msg(
            N_("Some settings in {path} were ignored because their values are not valid: {keys}."),
            {"path": str(path), "keys": ", ".join(bad)},
        ))
    return settings


def save_settings(settings: Settings, path: str | Path | None = None) -> None:
    """Write atomically; raises OSError when the directory cannot be written."""
    from sagicc_tui.private_files import private_dir, write_private

    path = Path(path) if path is not None else settings_path()
    private_dir(path.parent)  # 0700/0600: it names the server and the user
    write_private(path, (json.dumps(settings.to_json(), ensure_ascii=False, indent=2) + "\n").encode("utf-8"))
