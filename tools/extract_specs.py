"""Print the compact extract of the vendors' API specs that the tests and fakes read.

The vendors' documents stay outside the repository (``$RACI_SPECS_DIR``, else ``../shared/specs``
beside it); the repository carries only the facts its tests need, printed by this script:

- for the OpenAPI documents (Asana, Trello): paths, methods, parameters (name, place, required,
  type, enum, bounds), request and response schemas, and component schemas with their field names
  and types. Every description, summary, example, tag and vendor extension is left out. Where a
  parameter's allowed values are given only in its description ("Valid values: a, b, c"), the
  values are kept as ``x-values`` (a list of words), without the sentence.
- for the monday GraphQL schemas: the SDL of each pinned version, printed by graphql-core's
  printer without descriptions and without deprecation reasons (``@deprecated`` stays).

``specs/sources.json`` records, for each extract, the original's file name, API version, size
and sha256, so a refresh shows what it was made from.

    python tools/extract_specs.py                 # refresh specs/ from the originals
    python tools/extract_specs.py --check         # exit 1 if specs/ differs from a fresh extract
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "specs"

# Keys kept in an OpenAPI node. Under the "name" keys below, every key is a name (a path, a
# schema, a property, a status code) and is kept, with its value filtered again.
KEEP = frozenset(
    {
        "openapi",
        "info",
        "servers",
        "url",
        "security",
        "components",
        "schemas",
        "securitySchemes",
        "requestBodies",
        "headers",
        "paths",
        "get",
        "put",
        "post",
        "patch",
        "delete",
        "operationId",
        "parameters",
        "requestBody",
        "responses",
        "content",
        "schema",
        "name",
        "in",
        "required",
        "deprecated",
        "style",
        "explode",
        "$ref",
        "type",
        "format",
        "enum",
        "items",
        "properties",
        "allOf",
        "oneOf",
        "anyOf",
        "nullable",
        "readOnly",
        "writeOnly",
        "additionalProperties",
        "default",
        "minimum",
        "maximum",
        "minLength",
        "maxLength",
        "pattern",
        "scheme",
    }
)
NAME_KEYS = frozenset(
    {
        "paths",
        "parameters",  # components.parameters (a table); an operation's list is not one
        "security",  # [{scheme name: scopes}]
        "properties",
        "schemas",
        "responses",
        "content",
        "securitySchemes",
        "headers",
        "requestBodies",
    }
)
INFO_KEYS = ("title", "version")
# "Valid values: all or a comma-separated list of: closed, dateLastActivity, …"
_VALID_VALUES = re.compile(r"Valid values(?: are one of)?:\s*(.+)", re.DOTALL)
_KEYWORD_OR_LIST = re.compile(r"`(\w+)` or a comma-separated list")
_LIST_OF = re.compile(r"a comma-separated list of:?")
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True)
class Original:
    """One vendor document and the extract printed from it."""

    source: str  # path below the specs folder
    target: str  # path below specs/ in the repository
    version: str
    extract: Callable[[str], str]


def strip_openapi(node: Any, parent: str | None = None) -> Any:
    """The OpenAPI node with only structural keys (see KEEP), recursively."""
    if isinstance(node, list):
        # list items are named tables only in a security requirement list
        return [strip_openapi(x, parent if parent == "security" else None) for x in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        key = str(key)  # YAML status codes are integers; JSON keys are strings
        if parent in NAME_KEYS:
            out[key] = strip_openapi(value, key)
        elif key == "info" and isinstance(value, dict):
            out[key] = {k: value[k] for k in INFO_KEYS if k in value}
        elif key in KEEP:
            out[key] = strip_openapi(value, key)
    values = valid_values(node.get("description")) if "in" in node else None
    if values:
        out["x-values"] = values
    return out


def valid_values(description: Any) -> list[str] | None:
    """The single-word values a parameter's description allows ("Valid values: a, b, c")."""
    if not isinstance(description, str):
        return None
    keyword = _KEYWORD_OR_LIST.match(description)  # "`all` or a comma-separated list of …"
    if keyword:
        return [keyword.group(1)]
    found = _VALID_VALUES.search(description)
    if not found or "[" in found.group(1):  # "Valid values: [a guide](…)" lists nothing
        return None
    sentence = re.split(r"\.(?:\s|$)|\n", found.group(1), maxsplit=1)[0].replace("`", "")
    sentence = _LIST_OF.sub(",", sentence)
    items = (i.strip() for i in re.split(r",|\bor\b", sentence))
    words = [i for i in items if _WORD.fullmatch(i)]
    return list(dict.fromkeys(words)) or None


def openapi_extract(text: str) -> str:
    """The JSON extract of an OpenAPI document given as JSON or YAML text."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError:
        import yaml

        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        doc = yaml.load(text, Loader=loader)
    return json.dumps(strip_openapi(doc), ensure_ascii=False, indent=1, sort_keys=False) + "\n"


def graphql_extract(text: str) -> str:
    """The SDL printed by graphql-core without descriptions or deprecation reasons."""
    from graphql import Visitor, parse, print_ast, visit

    class Strip(Visitor):
        def leave(self, node: Any, *_: Any) -> Any:
            changes: dict[str, Any] = {}
            if getattr(node, "description", None) is not None:
                changes["description"] = None
            if node.kind == "directive" and node.name.value == "deprecated":
                args = node.arguments or ()
                changes["arguments"] = tuple(a for a in args if a.name.value != "reason")
            return replace(node, **changes) if changes else None

    document = visit(parse(text, no_location=True), Strip())
    return print_ast(document) + "\n"


ORIGINALS = (
    Original("asana/asana_oas.yaml", "asana.openapi.json", "1.0", openapi_extract),
    Original("trello/trello_openapi.json", "trello.openapi.json", "0.0.1", openapi_extract),
    # monday serves one SDL per API version; schema.graphql is 2026-07 (see its SOURCE.md).
    Original("monday/schema-2026-04.graphql", "monday-2026-04.graphql", "2026-04", graphql_extract),
    Original("monday/schema.graphql", "monday-2026-07.graphql", "2026-07", graphql_extract),
    Original("monday/schema-2026-10.graphql", "monday-2026-10.graphql", "2026-10", graphql_extract),
)


def default_source() -> Path:
    """$RACI_SPECS_DIR, else ../shared/specs beside the repository."""
    env = os.environ.get("RACI_SPECS_DIR")
    return Path(env) if env else REPO.parent / "shared" / "specs"


def extract_all(source: Path, originals: tuple[Original, ...] = ORIGINALS) -> dict[str, str]:
    """{file name below specs/: its text}, sources.json included."""
    files: dict[str, str] = {}
    sources: dict[str, Any] = {}
    for o in originals:
        path = source / o.source
        if not path.is_file():
            raise FileNotFoundError(
                f"{path} is missing: give --from the folder that holds the vendors' specs "
                "(asana/, trello/, monday/), or set RACI_SPECS_DIR"
            )
        raw = path.read_bytes()
        files[o.target] = o.extract(raw.decode("utf-8"))
        sources[o.target] = {
            "original": o.source,
            "version": o.version,
            "bytes": len(raw),
            "sha256": hashlib.sha256(raw).hexdigest(),
        }
    files["sources.json"] = json.dumps(sources, indent=2) + "\n"
    return files


def differences(files: dict[str, str], out: Path) -> list[str]:
    """The extract files that are missing from ``out`` or differ from it."""
    return [
        name
        for name, text in files.items()
        if not (out / name).is_file() or (out / name).read_text(encoding="utf-8") != text
    ]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--from", dest="source", type=Path, default=None, help="the specs folder")
    ap.add_argument("--to", dest="out", type=Path, default=OUT, help="where the extract goes")
    ap.add_argument("--check", action="store_true", help="only compare; exit 1 on a difference")
    args = ap.parse_args(argv)
    try:
        files = extract_all(args.source or default_source())
    except FileNotFoundError as exc:
        print(f"extract_specs: {exc}", file=sys.stderr)
        return 2
    changed = differences(files, args.out)
    if args.check:
        for name in changed:
            print(f"extract_specs: {args.out / name} differs from the originals", file=sys.stderr)
        return 1 if changed else 0
    args.out.mkdir(parents=True, exist_ok=True)
    for name in changed:
        (args.out / name).write_text(files[name], encoding="utf-8")
    print(f"extract_specs: {len(files)} files in {args.out}, {len(changed)} changed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
