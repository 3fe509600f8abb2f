"""Remote tests: settings in a temporary folder, no server or token from the
machine's environment, the language restored after each test."""

from __future__ import annotations

import pytest

from sagicc_tui import i18n


@pytest.fixture(autouse=True)
def _isolated(tmp_path, monkeypatch):
    monkeypatch.setenv("SAGICC_CONFIG_DIR", str(tmp_path / "config"))
    for name in ("SAGICC_DB", "SAGICC_SERVER", "SAGICC_TOKEN", "SAGICC_USER", "SAGICC_SMTP_HOST"):
        monkeypatch.delenv(name, raising=False)
    before = i18n.get_language()
    yield
    i18n.set_language(before)
