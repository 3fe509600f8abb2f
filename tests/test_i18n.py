"""Tests for sagicc_tui.i18n and the Spanish catalog.

test_every_ui_string_has_spanish is the project's guarantee that the whole UI
is translated: it fails as soon as someone adds a ``_("...")`` literal
without an entry in sagicc_tui/locale/es.py. That is intended.
"""

from __future__ import annotations

import ast
import string
from collections.abc import Iterator
from pathlib import Path

import pytest

from sagicc_tui import i18n
from sagicc_tui.i18n import N_, _, plural
from sagicc_tui.locale import es

PACKAGE_DIR = Path(i18n.__file__).resolve().parent
ES_FILE = Path(es.__file__).resolve()
LOCALE_ENV_VARS = ("SAGICC_LANG", "LC_ALL", "LC_MESSAGES", "LANG")


@pytest.fixture(autouse=True)
def _restore_language() -> Iterator[None]:
    """Every test starts in English and leaves the global as it found it."""
    before = i18n.get_language()
    i18n.set_language("en")
    yield
    i18n.set_language(before)


def test_available_languages() -> None:
    assert i18n.available_languages() == ("en", "es")


def test_set_language_round_trip() -> None:
    for lang in i18n.available_languages():
        i18n.set_language(lang)
        assert i18n.get_language() == lang
    i18n.set_language("es")
    assert _("Tickets") == "Casos"
    i18n.set_language("en")
    assert _("Tickets") == "Tickets"


@pytest.mark.parametrize("bad", ["fr", "ES", "es_CO", "", "english"])
def test_unknown_language_raises(bad: str) -> None:
    with pytest.raises(ValueError, match="Unsupported language"):
        i18n.set_language(bad)
    assert i18n.get_language() == "en"


def test_missing_spanish_falls_back_to_english() -> None:
    i18n.set_language("es")
    key = "A string nobody translated {n}"
    assert key not in es.CATALOG
    assert _(key) == key
    assert _(key, n=3) == "A string nobody translated 3"


def test_params_are_substituted_after_lookup() -> None:
    assert _("Assigned to {name}", name="Ana") == "Assigned to Ana"
    i18n.set_language("es")
    assert _("Assigned to {name}", name="Ana") == "Asignado a Ana"
    assert _("Page {page} of {pages}", page=2, pages=5) == "Página 2 de 5"


def test_params_are_not_reinterpreted() -> None:
    # A value containing braces or markup is inserted verbatim, once.
    assert _("Assigned to {name}", name="{name} [b]x") == "Assigned to {name} [b]x"


def test_no_params_means_no_formatting() -> None:
    assert _("Literal {braces} stay") == "Literal {braces} stay"


def test_missing_param_is_left_visible_not_raised() -> None:
    assert _("Assigned to {name}", other=1) == "Assigned to {name}"


def test_plural_and_marker() -> None:
    assert plural(1, "{n} ticket", "{n} tickets") == "1 ticket"
    assert plural(0, "{n} ticket", "{n} tickets") == "0 tickets"
    i18n.set_language("es")
    assert plural(1, "{n} ticket", "{n} tickets") == "1 caso"
    assert plural(7, "{n} ticket", "{n} tickets") == "7 casos"
    assert N_("Tickets") == "Tickets"  # marks only; translation happens later


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "en"),
        ({"LANG": "es_CO.UTF-8"}, "es"),
        ({"LANG": "en_US.UTF-8"}, "en"),
        ({"LANG": "C"}, "en"),
        ({"LC_MESSAGES": "es_ES", "LANG": "en_US"}, "es"),
        ({"LC_ALL": "en_US", "LC_MESSAGES": "es_ES"}, "en"),
        ({"SAGICC_LANG": "es", "LC_ALL": "en_US"}, "es"),
        ({"SAGICC_LANG": "en", "LANG": "es_CO"}, "en"),
        ({"SAGICC_LANG": "", "LANG": "es_CO"}, "es"),
    ],
)
def test_default_language_from_env(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], expected: str
) -> None:
    for name in LOCALE_ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert i18n.default_language() == expected


# --- catalog checks --------------------------------------------------------


def _literal(node: ast.expr | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def _callee(node: ast.Call) -> str | None:
    if isinstance(node.func, ast.Name):
        return node.func.id
    if isinstance(node.func, ast.Attribute):
        return node.func.attr
    return None


def _translatable_calls() -> Iterator[tuple[str, int, ast.Call, str]]:
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        where = str(path.relative_to(PACKAGE_DIR.parent))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                name = _callee(node)
                if name in ("_", "N_", "plural"):
                    yield where, node.lineno, node, name


def _collect_strings() -> dict[str, str]:
    """English literal -> first "file:line" where it is used."""
    found: dict[str, str] = {}
    for where, line, call, name in _translatable_calls():
        if name == "plural":
            nodes = list(call.args[1:3]) + [
                kw.value for kw in call.keywords if kw.arg in ("singular", "plural")
            ]
        else:
            nodes = call.args[:1]
        for node in nodes:
            literal = _literal(node)
            if literal is not None:
                found.setdefault(literal, f"{where}:{line}")
    return found


def test_the_scanner_sees_something() -> None:
    # Guards against the coverage test passing vacuously (e.g. a bad path).
    assert PACKAGE_DIR.name == "sagicc_tui"
    assert any(PACKAGE_DIR.rglob("*.py"))


def test_every_ui_string_has_spanish() -> None:
    missing = {
        text: where for text, where in _collect_strings().items() if text not in es.CATALOG
    }
    assert not missing, "Add these to sagicc_tui/locale/es.py:\n" + "\n".join(
        f"  {where}: {text!r}" for text, where in sorted(missing.items(), key=lambda i: i[1])
    )


def test_no_fstrings_passed_to_translation() -> None:
    # _(f"...") can never match a catalog key; use _("... {x}", x=...).
    offenders = [
        f"{where}:{line}"
        for where, line, call, name in _translatable_calls()
        if name in ("_", "N_") and call.args and isinstance(call.args[0], ast.JoinedStr)
    ]
    assert not offenders, offenders


def _placeholders(template: str) -> set[str]:
    names: set[str] = set()
    for _literal_text, field, _spec, _conv in string.Formatter().parse(template):
        if field is not None:
            names.add(field.split(".")[0].split("[")[0])
    return names


def test_placeholders_match_between_english_and_spanish() -> None:
    problems = []
    for key, value in es.CATALOG.items():
        try:
            english, spanish = _placeholders(key), _placeholders(value)
        except ValueError as exc:
            problems.append(f"{key!r}: malformed braces ({exc})")
            continue
        if english != spanish:
            problems.append(f"{key!r}: {sorted(english)} vs {value!r}: {sorted(spanish)}")
    assert not problems, "\n".join(problems)


def test_catalog_values_are_non_empty_strings() -> None:
    bad = [k for k, v in es.CATALOG.items() if not isinstance(v, str) or not v.strip()]
    assert not bad, bad


def test_catalog_literal_has_no_duplicate_keys() -> None:
    # A dict literal silently keeps the last duplicate: catch bad merges.
    tree = ast.parse(ES_FILE.read_text(encoding="utf-8"))
    keys: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Dict):
            keys.extend(k.value for k in node.keys if isinstance(k, ast.Constant))
    assert keys, "CATALOG dict literal not found"
    duplicates = sorted({k for k in keys if keys.count(k) > 1})
    assert not duplicates, duplicates


def test_glossary() -> None:
    i18n.set_language("es")
    glossary = {
        "Ticket": "Caso", "Task": "Gestión", "Add Task": "Agregar gestión",
        "History": "Historial", "Next task": "Próxima gestión", "Campaign": "Campaña",
        "Customer": "Cliente", "Contact information": "Dato de contacto",
        "Account": "Cuenta", "Interaction": "Interacción",
        "Conversation": "Conversación", "Channel": "Canal", "New": "Nuevo",
        "Open": "Abierto", "Transferred": "Transferido", "Escalated": "Escalado",
        "Closed": "Cerrado", "Critical": "Crítica", "High": "Alta", "Medium": "Media",
        "Low": "Baja", "Ticket type": "Tipo de caso", "Features": "Características",
        "Mass actions": "Acciones masivas", "Close": "Cerrar", "Merge": "Combinar",
        "Assign": "Asignar", "Redistribute": "Redistribuir",
        "Change log": "Registro de cambios",
        "Business rule log": "Registro de reglas de negocio", "Script": "Guion",
        "Agenda": "Agenda", "Notes": "Notas", "Attachments": "Adjuntos",
        "Busy": "En gestión", "Available": "En espera", "External view": "Vista externa",
        "Transcript": "Transcripción",
    }
    wrong = {en: _(en) for en, es_ in glossary.items() if _(en) != es_}
    assert not wrong, wrong
