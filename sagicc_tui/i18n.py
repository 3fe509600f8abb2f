"""The one translation function for the UI: English source strings, Spanish
catalog in ``sagicc_tui/locale/es.py``.

Usage::

    from sagicc_tui.i18n import _, plural
    _("Tickets")                              # "Casos" when Spanish
    _("Assigned to {name}", name=agent)       # format AFTER lookup
    plural(n, "{n} ticket", "{n} tickets")    # picks the form, then _()

Keys are the English strings themselves, so English needs no catalog and a
missing Spanish entry degrades to English instead of showing a key.
tests/test_i18n.py walks every module with ``ast`` and fails if a literal
passed to ``_``, ``N_`` or ``plural`` has no Spanish entry: always pass a
literal (never an f-string) so the check can see it.

Parameters are inserted verbatim: sanitize untrusted values (customer names,
subjects) with :mod:`sagicc_tui.sanitize` and never render the result as
markup.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping

__all__ = [
    "N_",
    "_",
    "available_languages",
    "default_language",
    "get_language",
    "plural",
    "set_language",
]

_LANGUAGES: tuple[str, ...] = ("en", "es")
_LOCALE_ENV_VARS: tuple[str, ...] = ("SAGICC_LANG", "LC_ALL", "LC_MESSAGES", "LANG")


def available_languages() -> tuple[str, ...]:
    """Language codes accepted by :func:`set_language`."""
    return _LANGUAGES


def default_language() -> str:
    """Language from the environment: ``SAGICC_LANG``, then the POSIX locale
    variables in precedence order (``LC_ALL``, ``LC_MESSAGES``, ``LANG``).
    The first non-empty one decides: ``es*`` -> ``"es"``, anything else
    (``en_US.UTF-8``, ``C``, ``POSIX``) -> ``"en"``."""
    for name in _LOCALE_ENV_VARS:
        value = os.environ.get(name, "").strip()
        if value:
            return "es" if value.lower().startswith("es") else "en"
    return "en"


def _load_catalog(lang: str) -> Mapping[str, str]:
    if lang == "es":
        # Imported on first use so English-only runs never load it.
        from sagicc_tui.locale.es import CATALOG

        return CATALOG
    return {}


_language: str = default_language()
_catalog: Mapping[str, str] = _load_catalog(_language)


def set_language(lang: str) -> None:
    """Switch the UI language for subsequent ``_()`` calls."""
    global _language, _catalog
    if lang not in _LANGUAGES:
        raise ValueError(
            f"Unsupported language {lang!r}; expected one of: {', '.join(_LANGUAGES)}"
        )
    _catalog = _load_catalog(lang)
    _language = lang


def get_language() -> str:
    """The current UI language code (``"en"`` or ``"es"``)."""
    return _language


class _KeepMissing(dict[str, object]):
    """Leave an unknown ``{placeholder}`` visible instead of raising: a typo
    in a translation must not crash the UI mid-session."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _format(template: str, params: dict[str, object]) -> str:
    return template.format_map(_KeepMissing(params))


def _(message: str, **params: object) -> str:
    """Translate ``message`` to the current language, then fill ``params``.

    Without params the string is returned as-is (no ``format_map``), so
    literal braces need no escaping in plain messages.
    """
    return _translate(_catalog, message, params)


def _translate(catalog: Mapping[str, str], message: str, params: dict[str, object]) -> str:
    translated = catalog.get(message, message)
    if not params:
        return translated
    try:
        return _format(translated, params)
    except (ValueError, IndexError, AttributeError):
        # A malformed translation: fall back to the English source.
        return _format(message, params)


def translator(lang: str | None) -> Callable[..., str]:
    """A ``_`` for one language regardless of the process's own: the server
    renders a transcript or an external page in the language of whoever asks
    for it. None or an unknown code: the current language."""
    if lang not in _LANGUAGES or lang == _language:
        return _
    catalog = _load_catalog(lang)

    def gettext(message: str, **params: object) -> str:
        return _translate(catalog, message, params)

    return gettext


def N_(message: str) -> str:  # noqa: N802 - gettext convention
    """Mark a literal for translation without translating it yet (e.g. in
    module-level tables); translate later with ``_(value)``."""
    return message


def plural(n: int, singular: str, plural: str, **params: object) -> str:
    """Translate the form for ``n`` (English and Spanish share the rule:
    exactly 1 is singular, 0 and everything else plural); ``{n}`` is
    available as a placeholder."""
    return _(singular if n == 1 else plural, n=n, **params)
