"""#18: the headless verbs' own sentences follow the language the rest of the CLI
follows (--lang, else $SAGICC_LANG / LC_ALL / LC_MESSAGES / LANG), as real processes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def sagicc(*argv: str, **env: str) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items()
            if not k.startswith("SAGICC_") and k not in ("LANG", "LC_ALL", "LC_MESSAGES")}
    return subprocess.run([sys.executable, "-m", "sagicc_tui", *argv], capture_output=True, text=True, timeout=120,
                          cwd=PROJECT_ROOT, env={**base, **env})


def test_a_verbs_error_sentence_comes_out_in_spanish(tmp_path):
    missing = str(tmp_path / "no-existe.db")
    # The locale says Spanish: the verb's sentence is Spanish, one line, exit code 1.
    p = sagicc("users", "edit", "ana", "--db", missing, LANG="es_CO.UTF-8")
    assert p.returncode == 1 and p.stderr.strip() == (
        "sagicc: Diga qué cambiar: --full-name, --role, --campaigns, --export o --language.")
    p = sagicc("tickets", "list", "--db", missing, LANG="es_CO.UTF-8")
    assert p.returncode == 1 and p.stderr.startswith(f"sagicc: No hay un almacén en {missing}; cree uno con")
    # --lang wins over the locale, both ways.
    p = sagicc("tickets", "assign", "7", "--db", missing, "--lang", "es", LANG="en_US.UTF-8")
    assert p.returncode == 1 and "Diga a dónde van los casos" in p.stderr
    p = sagicc("tickets", "assign", "7", "--db", missing, "--lang", "en", LANG="es_CO.UTF-8")
    assert p.returncode == 1 and "Say where the tickets go" in p.stderr
    # An argument's own check too (argparse's usage line, the sentence translated).
    p = sagicc("tickets", "list", "--limit", "cero", SAGICC_LANG="es")
    assert p.returncode == 2 and "'cero' no es un número entero" in p.stderr
