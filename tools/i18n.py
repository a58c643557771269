"""Keep the translations of raci-sync up to date (PRODUCT §10).

    python tools/i18n.py            # extract, update every catalogue, compile (the usual run)
    python tools/i18n.py check      # exit 1, naming them, when messages lack a translation

Babel extracts the messages from the Python sources (``_``, ``N_``, ``ngettext``, ``counted``)
and the Jinja2 templates (Jinja2's ``i18n`` extension), merges them into
``src/raci_sync/locale/<lang>/LC_MESSAGES/raci.po`` and compiles ``raci.mo`` next to it. Both are
committed: a fresh clone runs without a build step. The ``.pot`` template is not kept; it is made
again from the sources on every run.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "raci_sync"
LOCALE_DIR = PACKAGE / "locale"
DOMAIN = "raci"
LANGUAGES = ("da",)  # English is the source language: it needs no catalogue

# gettext: what Jinja2 trans blocks become
KEYWORDS = {"_": None, "N_": None, "gettext": None, "ngettext": (1, 2), "counted": (2, 3)}
METHODS = [
    ("**.py", "python"),
    ("**/templates/**.j2", "jinja2.ext:babel_extract"),
]
OPTIONS = {"**/templates/**.j2": {"extensions": "jinja2.ext.i18n", "newstyle_gettext": "true"}}
HEADER = """\
# LANG texts of raci-sync (PRODUCT §10).
# Updated by tools/i18n.py from the sources: write the msgstr lines only, then run it again.
#"""
# a fixed date keeps the files the same when nothing changed
FIXED = datetime(2026, 12, 1, tzinfo=UTC)


def extract(package: Path = PACKAGE) -> Catalog:
    """Every message of the package's sources and templates (the ``.pot`` template)."""
    template = Catalog(project="raci-sync", domain=DOMAIN, creation_date=FIXED, fuzzy=False)
    found = extract_from_dir(
        str(package), METHODS, keywords=KEYWORDS, options_map=OPTIONS, comment_tags=("i18n:",)
    )
    for filename, lineno, message, comments, context in found:
        template.add(
            message,
            None,
            [(str(Path("raci_sync") / filename), lineno)],
            auto_comments=comments,
            context=context,
        )
    return template


def po_path(language: str, locale_dir: Path = LOCALE_DIR) -> Path:
    return locale_dir / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def update(template: Catalog, language: str, locale_dir: Path = LOCALE_DIR) -> Catalog:
    """The language's catalogue with ``template``'s messages: translations kept, new messages
    added untranslated, gone ones dropped (not kept as obsolete: the catalogue is the truth)."""
    path = po_path(language, locale_dir)
    if path.exists():
        with path.open("rb") as f:
            catalog = read_po(f, locale=language, domain=DOMAIN)
    else:
        catalog = Catalog(locale=language, domain=DOMAIN, project="raci-sync", fuzzy=False)
    catalog.update(template, no_fuzzy_matching=True, update_creation_date=False)
    catalog.header_comment = HEADER.replace("LANG", language)
    catalog.last_translator = catalog.language_team = "raci-sync contributors"
    catalog.msgid_bugs_address = ""
    catalog.version = "0.1"
    catalog.obsolete.clear()
    catalog.revision_date = FIXED
    catalog.creation_date = FIXED
    catalog.fuzzy = False
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = BytesIO()
    write_po(buffer, catalog, width=100, sort_by_file=True, include_previous=False)
    path.write_bytes(buffer.getvalue())
    return catalog


def compile_mo(catalog: Catalog, language: str, locale_dir: Path = LOCALE_DIR) -> Path:
    """``raci.mo`` from the catalogue (fuzzy and empty translations left out: English shows)."""
    target = po_path(language, locale_dir).with_suffix(".mo")
    buffer = BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    target.write_bytes(buffer.getvalue())
    return target


def missing(template: Catalog, catalog: Catalog) -> Iterator[str]:
    """The template's messages without a usable translation in ``catalog`` (none, empty or
    fuzzy, or a plural form left empty)."""
    for message in template:
        if not message.id:
            continue
        found = catalog.get(message.id, context=message.context)
        strings: list[str | None] = []
        if found is not None:
            text = found.string
            strings = list(text) if isinstance(text, (list, tuple)) else [text]
        if found is None or found.fuzzy or not strings or not all(strings):
            yield message.id if isinstance(message.id, str) else message.id[0]


def read_catalog(language: str, locale_dir: Path = LOCALE_DIR) -> Catalog:
    with po_path(language, locale_dir).open("rb") as f:
        return read_po(f, locale=language, domain=DOMAIN)


def main(argv: list[str]) -> int:
    template = extract()
    if argv[:1] == ["check"]:
        gaps = [
            f"{language}: {msgid!r}"
            for language in LANGUAGES
            for msgid in missing(template, read_catalog(language))
        ]
        for gap in gaps:
            print(f"untranslated: {gap}")
        return 1 if gaps else 0
    for language in LANGUAGES:
        catalog = update(template, language)
        compile_mo(catalog, language)
        gaps = list(missing(template, catalog))
        print(f"{language}: {len(template) - len(gaps)} of {len(template)} messages translated")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
