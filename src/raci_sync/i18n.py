"""Texts for people in the team's language (PRODUCT §10 "Language", ``language = "en" | "da"``).

Every text raci-sync writes for people goes through :func:`_` (or :func:`ngettext`), and the
translations live in gettext catalogues: ``locale/<lang>/LC_MESSAGES/raci.po``, compiled to
``raci.mo``. Babel extracts the messages and compiles the catalogues (``tools/i18n.py``); no
dictionary is written by hand. JSON keys and check ids stay English. Dates and numbers are
formatted in the language's locale by Babel.

The language is chosen once per process, from ``--language`` or the config (:func:`activate`,
called by the CLI before anything is written); English is the source language, so ``en`` needs
no catalogue and its texts are the messages themselves. Dates and numbers for people go through
:func:`local_date` and :func:`localize_number`, which leave the English forms exactly as they
were (ISO dates, ``5.5``) and give the Danish ones (``07.12.2026``, ``5,5``).
"""

from __future__ import annotations

import gettext
from collections.abc import Hashable, Iterator, Mapping
from datetime import date, datetime
from pathlib import Path
from typing import TypeVar

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "raci"
LANGUAGES = ("en", "da")
LOCALES = {"en": "en_GB", "da": "da_DK"}  # dates, numbers and percentages

_translation: gettext.NullTranslations = gettext.NullTranslations()
_language = "en"


def activate(language: str) -> None:
    """Use ``language`` for every text from now on (``en`` or ``da``)."""
    global _translation, _language
    if language not in LANGUAGES:
        raise ValueError(f"unknown language {language!r}; one of {', '.join(LANGUAGES)}")
    _language = language
    if language == "en":
        _translation = gettext.NullTranslations()
    else:
        _translation = gettext.translation(DOMAIN, LOCALE_DIR, languages=[language])


def language() -> str:
    """The language texts are in now."""
    return _language


def _(message: str) -> str:
    """``message`` in the active language."""
    return _translation.gettext(message)


def N_(message: str) -> str:
    """Mark ``message`` for the catalogue without translating it: a constant defined at import
    time, translated where it is shown (``_(CONSTANT)``)."""
    return message


def ngettext(singular: str, plural: str, n: int) -> str:
    """The singular or plural form for ``n``, in the active language."""
    return _translation.ngettext(singular, plural, n)


def counted(n: int, singular: str, plural: str) -> str:
    """``3 tasks`` / ``3 opgaver``: the form for ``n`` of two messages with ``{count}``."""
    return ngettext(singular, plural, n).format(count=n)


K = TypeVar("K", bound=Hashable)


class Texts(Mapping[K, str]):
    """A module's English texts for people (each marked with :func:`N_`), read in the active
    language: ``TEXT["title"]`` is the title in the language of the moment."""

    def __init__(self, texts: Mapping[K, str]) -> None:
        self._texts = dict(texts)

    def __getitem__(self, key: K) -> str:
        return _(self._texts[key])

    def __iter__(self) -> Iterator[K]:
        return iter(self._texts)

    def __len__(self) -> int:
        return len(self._texts)


class Headings(Mapping[K, tuple[str, ...]]):
    """Column headings (each marked with :func:`N_`), read in the active language."""

    def __init__(self, headings: Mapping[K, tuple[str, ...]]) -> None:
        self._headings = dict(headings)

    def __getitem__(self, key: K) -> tuple[str, ...]:
        return tuple(_(text) for text in self._headings[key])

    def __iter__(self) -> Iterator[K]:
        return iter(self._headings)

    def __len__(self) -> int:
        return len(self._headings)


def format_date(day: date | datetime, fmt: str = "medium") -> str:
    """A date in the active language's locale (``7 Dec 2026`` / ``7. dec. 2026``)."""
    from babel.dates import format_date as babel_date

    return str(babel_date(day, format=fmt, locale=LOCALES[_language]))


def format_number(value: float, digits: int = 1) -> str:
    """A number in the active language's locale (``1,234.5`` / ``1.234,5``)."""
    from babel.numbers import format_decimal

    pattern = "#,##0" + ("." + "#" * digits if digits else "")
    return str(format_decimal(value, format=pattern, locale=LOCALES[_language]))


def local_date(day: date) -> str:
    """A date for people: ISO in English (``2026-12-07``), the locale's short form otherwise
    (``07.12.2026``)."""
    if isinstance(day, datetime):
        day = day.date()
    if _language == "en":
        return day.isoformat()
    return format_date(day, "short")


def localize_number(text: str) -> str:
    """A number already written the English way (``5.5``, ``163``, ``1234``) in the active
    language's format (``5,5``): English output stays exactly as it was written."""
    if _language == "en":
        return text
    try:
        value = float(text)
    except ValueError:
        return text
    digits = len(text.partition(".")[2]) if "." in text and "e" not in text.lower() else 0
    return format_number(value, digits)


def format_percent(share: float) -> str:
    """A share as a whole percentage in the active locale (``163%``; ``163 %`` in Danish)."""
    from babel.numbers import format_percent as babel_percent

    return str(babel_percent(share, locale=LOCALES[_language]))
