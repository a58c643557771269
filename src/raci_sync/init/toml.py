"""Writing TOML by hand, because a drafted config needs comments: quoted strings, arrays and
comment lines that any TOML reader (and ``load_config``) reads back as written.

Strings are TOML basic strings: ``"`` and ``\\`` escaped, control characters as escapes, every
other character as it is (the file is UTF-8). One thing TOML cannot say is left to the caller:
the config reader replaces ``${NAME}`` in *every* string from the environment, so a name that
contains one cannot be written as it is (:func:`expands`).
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Iterable

from raci_sync.connectors.http import safe_text

WIDTH = 96  # comment lines are wrapped to this
# what the config reader replaces from the environment, in any string of the file
ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\b": "\\b",
    "\t": "\\t",
    "\n": "\\n",
    "\f": "\\f",
    "\r": "\\r",
}
_NEEDS_ESCAPE = re.compile('["\\\\\x00-\x1f\x7f]')
_SURROGATE = re.compile("[\ud800-\udfff]")


def quote(text: str) -> str:
    """``text`` as a TOML basic string (a lone surrogate, which UTF-8 cannot hold, as U+FFFD)."""

    def escape(m: re.Match[str]) -> str:
        char = m.group()
        return _ESCAPES.get(char) or f"\\u{ord(char):04X}"

    return '"' + _NEEDS_ESCAPE.sub(escape, _SURROGATE.sub("\ufffd", text)) + '"'


def array(items: Iterable[str]) -> str:
    """``["a", "b"]`` on one line."""
    return "[" + ", ".join(quote(i) for i in items) + "]"


def expands(text: str) -> bool:
    """Whether the config reader would replace part of ``text`` from the environment."""
    return bool(ENV_REF.search(text))


def comment(text: str, *, indent: str = "") -> list[str]:
    """``text`` as comment lines, wrapped; continuation lines indented. Whatever came from a
    tool is made one line without control or bidi characters first: a comment must end at its
    line's end, and must read in a terminal as it does in an editor."""
    body = " ".join(safe_text(text).split())
    lines = textwrap.wrap(
        body,
        width=WIDTH - len(indent) - 2,
        subsequent_indent="  ",
        break_long_words=False,
        break_on_hyphens=False,
    )
    return [f"{indent}# {line}" for line in lines or [""]]


def shown(text: str) -> str:
    """A name as a comment or a message shows it: quoted, one line, nothing invisible."""
    return '"' + " ".join(safe_text(text).split()) + '"'
