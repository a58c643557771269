"""The drafted ``raci.toml``: its sources, roles and roster, rendered as commented TOML.

Secrets are written only as ``"${NAME}"`` references to the variables each Kind names
(``Kind.env``), never as values. Every string goes through :func:`~raci_sync.init.toml.quote`;
what a human must decide is a ``# CHECK:`` comment beside it. The result reads back with
``load_config`` exactly as drafted (tests/test_init_draft.py).
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from raci_sync.connectors import Kind
from raci_sync.connectors.discovery import Container, Space
from raci_sync.connectors.references import FieldDef
from raci_sync.init.roles import RolesDraft, draft_roles
from raci_sync.init.roster import PersonDraft
from raci_sync.init.toml import array, comment, expands, quote, shown

RULE = "# " + "-" * 94
CHECK = "CHECK:"  # how every comment that asks for a human's decision starts


@dataclass(frozen=True)
class SourceDraft:
    """One ``[[source]]``: a tool's chosen boards or projects (of one workspace, where the tool
    has workspaces), their roles and effort field."""

    name: str
    kind: Kind
    who: str  # whose token
    scope_key: str  # boards | projects
    containers: tuple[Container, ...]
    roles: RolesDraft
    space: Space | None = None
    base_url: str | None = None
    seen: int = 0  # how many containers the token sees in all


@dataclass(frozen=True)
class Draft:
    """The whole drafted file."""

    sources: tuple[SourceDraft, ...]
    people: tuple[PersonDraft, ...] = ()
    timezone: str | None = None
    made: date | None = None
    skipped: tuple[str, ...] = field(default_factory=tuple)  # tools left out, and why

    @property
    def to_confirm(self) -> int:
        """People with a ``# CHECK:`` comment (a name-only match, a shared name …)."""
        return sum(1 for p in self.people if any(n.startswith(CHECK) for n in p.notes))


def draft_sources(
    kind: Kind,
    who: str,
    scope_key: str,
    chosen: Sequence[Container],
    fields: Mapping[str, Sequence[FieldDef]],
    *,
    base_url: str | None = None,
    seen: int = 0,
) -> list[SourceDraft]:
    """The sources of one tool: one per workspace the chosen containers are in (one in all for
    a tool without workspaces), named after the tool (and the workspace, when there are
    several)."""
    groups: dict[str | None, list[Container]] = {}
    for c in chosen:
        groups.setdefault(c.space.id if c.space else None, []).append(c)
    out = []
    for containers in groups.values():
        space = containers[0].space
        name = kind.name
        if len(groups) > 1 and space is not None:
            name = f"{kind.name}-{_slug(space.name) or space.id}"
        roles = draft_roles(kind, containers, fields)
        out.append(
            SourceDraft(name, kind, who, scope_key, tuple(containers), roles, space, base_url, seen)
        )
    return out


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.casefold()).strip("-")


def render(draft: Draft) -> str:
    """The config file's text."""
    lines = _header(draft)
    for source in _unique_names(draft.sources):
        lines += ["", RULE, *_source(source)]
    if draft.people:
        lines += ["", RULE, *_roster_intro(draft)]
        for person in draft.people:
            lines += ["", *_person(person)]
    return "\n".join(lines) + "\n"


def _header(draft: Draft) -> list[str]:
    made = f" on {draft.made.isoformat()}" if draft.made else ""
    lines = comment(
        f"raci-sync configuration, drafted by `raci init`{made} from what the tokens in the "
        "environment could see. It holds no secret: each token is read from the environment "
        'variable named where it is used ("${NAME}"). Lines that start "# CHECK:" need a '
        "human's decision; everything else was found, not guessed. config.example.toml "
        "documents every key; after an edit, run `raci check-config --online`."
    )
    for why in draft.skipped:
        lines += comment(f"Not included: {why}")
    lines.append("")
    if draft.timezone:
        lines += comment("This machine's time zone: set the team's if it differs.")
        lines.append(f"timezone = {quote(draft.timezone)}")
    else:
        lines.append('# timezone = "Europe/Copenhagen"   # the team\'s IANA time zone; default UTC')
    lines.append('# store = "raci.sqlite"   # where history is kept; default: the user data dir')
    return lines


def _unique_names(sources: Sequence[SourceDraft]) -> list[SourceDraft]:
    """Sources with names that are unique in the file (a workspace slug may repeat)."""
    seen: set[str] = set()
    out = []
    for source in sources:
        name, n = source.name, 2
        while name in seen:
            name, n = f"{source.name}-{n}", n + 1
        seen.add(name)
        out.append(source if name == source.name else replace(source, name=name))
    return out


def _source(source: SourceDraft) -> list[str]:
    kind = source.kind
    word = kind.container
    lines = comment(
        f"{kind.title}, token of {source.who}: {len(source.containers)} of the {source.seen} "
        f"{word}s it can see."
    )
    lines += [
        "[[source]]",
        f"name = {quote(source.name)}",
        f"kind = {quote(kind.name)}",
    ]
    for secret in kind.secrets:
        lines.append(f"{secret} = {quote('${' + kind.env.get(secret, secret.upper()) + '}')}")
    if source.base_url:
        lines.append(f"base_url = {quote(source.base_url)}")
    written = {source.scope_key}
    if source.space is not None:
        written.add(source.space.key)
        lines += _space(source.space)
    lines += _containers(source)
    for key in kind.scope_keys:
        if key in written:
            continue
        default = kind.defaults.get(key)
        if default is not None:
            lines.append(f"# {key} = {quote(default)}   # the default")
        else:
            lines.append(f"# {key} = …   # see config.example.toml")
    lines += _roles(source)
    return lines


def _space(space: Space) -> list[str]:
    ref = space.ref if not expands(space.ref) else space.id
    line = f"{space.key} = {quote(ref)}"
    if ref != space.name:
        line += f"   # {shown(space.name)}: by id, its name would not find it alone"
    return [line]


def _containers(source: SourceDraft) -> list[str]:
    lines = [f"{source.scope_key} = ["]
    for c in source.containers:
        ref = c.ref if not expands(c.ref) else c.id
        entry = f"    {quote(ref)},"
        if ref != c.name:
            entry += f"   # {shown(c.name)}: by id, its name would not find it alone"
        lines.append(entry)
    lines.append("]")
    return lines


def _roles(source: SourceDraft) -> list[str]:
    roles, kind = source.roles, source.kind
    lines = ["[source.roles]"]
    for note in roles.notes:
        lines += comment(note)
    default_r = list(kind.default_roles.get("R", ()))
    for letter, refs in roles.letters.items():
        line = f"{letter} = {array(refs)}"
        if letter == "R" and refs == default_r:
            line += "   # the tool's default"
        elif letter == "R" and default_r:
            line += f"   # from the fields found; the tool's default was {array(default_r)}"
        elif letter == "I" and not refs:
            extra = [f for f in kind.people_fields if f not in refs and f not in default_r]
            if extra:
                line += f"   # or {array(extra[:1])}: those who hold no other letter"
        lines.append(line)
    lines.append("[source.fields]")
    for note in roles.effort_notes:
        lines += comment(note)
    if roles.effort:
        lines.append(f"effort = {quote(roles.effort)}")
    return lines


def _roster_intro(draft: Draft) -> list[str]:
    return comment(
        "The roster: everyone the chosen boards and projects list, merged across tools: the "
        'same email is one person; an account matched by name only has a "# CHECK:" comment. '
        "Add hats = [...] and capacity = N (default: [workload] default_capacity) where you "
        "know them, and remove anyone who is not on the team."
    )


def _person(person: PersonDraft) -> list[str]:
    lines = ["[[person]]", f"name = {quote(person.name)}"]
    if person.emails:
        lines.append(f"emails = {array(person.emails)}")
    if person.accounts:
        lines.append(f"accounts = {array(person.accounts)}")
    for note in person.notes:
        lines += comment(note)
    return lines


def write_config(path: Path, text: str, *, force: bool = False) -> None:
    """Write the drafted file: never over an existing one unless ``force`` (FileExistsError),
    and never half-written (a temporary file beside it, then renamed)."""
    if not force:
        with path.open("x", encoding="utf-8") as f:
            f.write(text)
        return
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent or Path("."))
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def local_timezone(env: Mapping[str, str]) -> str | None:
    """This machine's IANA time zone ($TZ, else /etc/localtime's target, else /etc/timezone),
    or None when it cannot be told."""
    candidates = [env.get("TZ", "").lstrip(":")]
    try:
        target = os.path.realpath("/etc/localtime")
        candidates.append(target.partition("zoneinfo/")[2])
        candidates.append(Path("/etc/timezone").read_text(encoding="utf-8").strip())
    except OSError:
        pass
    for name in candidates:
        if not name or name.startswith("/"):
            continue
        try:
            ZoneInfo(name)
        except (ValueError, ZoneInfoNotFoundError):
            continue
        return name
    return None
