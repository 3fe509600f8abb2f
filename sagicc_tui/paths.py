"""Where sagicc keeps its files (platformdirs), and which store to open."""

from __future__ import annotations

import os
from pathlib import Path

APP_NAME = "sagicc-tui"


def data_dir() -> Path:
    from platformdirs import user_data_path

    return Path(os.environ.get("SAGICC_DATA_DIR") or user_data_path(APP_NAME, appauthor=False))


def config_dir() -> Path:
    from platformdirs import user_config_path

    return Path(os.environ.get("SAGICC_CONFIG_DIR") or user_config_path(APP_NAME, appauthor=False))


def default_db() -> Path:
    return data_dir() / "sagicc.db"


def resolve_db(cli_value: str | None) -> str:
    """--db wins, then SAGICC_DB, then the default file under the data dir."""
    return cli_value or os.environ.get("SAGICC_DB") or str(default_db())
