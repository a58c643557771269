"""tools/extract_specs.py: the spec extract keeps the facts and drops the vendors' prose.

Tested on a small OpenAPI document and a small SDL written here, and on the committed extract.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from graphql import build_schema
from tools import extract_specs as ex

from tests.fakes import SPECS

OPENAPI_YAML = """\
openapi: 3.0.0
info:
  title: Tiny
  version: '2.1'
  description: A long text about the API that must not be copied.
x-readme:
  explorer-enabled: true
tags:
  - name: Tasks
    description: Prose about tasks.
paths:
  /tasks/{task_gid}:
    parameters:
      - $ref: '#/components/parameters/task_path_gid'
    get:
      summary: Get a task
      description: Returns the complete task record.
      operationId: getTask
      tags: [Tasks]
      x-readme:
        code-samples:
          - language: node
            code: some code
      parameters:
        - name: opt_fields
          in: query
          description: Fields to include.
          required: false
          explode: false
          schema:
            type: array
            items:
              type: string
              enum: [name, due_on]
        - name: fields
          in: query
          description: "Valid values: all or a comma-separated list of: `closed`, name. Anything else."
          schema:
            type: string
            default: name
      responses:
        200:
          description: Successfully retrieved the task.
          content:
            application/json:
              schema:
                type: object
                properties:
                  data:
                    $ref: '#/components/schemas/TaskResponse'
components:
  parameters:
    task_path_gid:
      name: task_gid
      in: path
      required: true
      description: The task to operate on.
      example: '321654'
      schema:
        type: string
  schemas:
    TaskResponse:
      description: A task is the basic object.
      type: object
      properties:
        name:
          description: Name of the task.
          type: string
          example: Buy catnip
        description:
          type: string
          nullable: true
        due_on:
          type: string
          format: date
          example: '2019-09-15'
"""

SDL = '''\
"""The root of every query."""
type Query {
  """Items of a board."""
  items(
    """How many."""
    limit: Int = 25
  ): [Item!]
  old_items: [Item] @deprecated(reason: "Use items instead, it is much better.")
  older: Int @deprecated
}

"""An item."""
type Item {
  id: ID!
  name: String
}
'''


def walk_keys(node: Any, parent: str | None = None) -> set[str]:
    """Every key of the document that is not a name (of a path, schema, property …)."""
    keys: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if parent not in ex.NAME_KEYS:
                keys.add(key)
            keys |= walk_keys(value, key)
    elif isinstance(node, list):
        for item in node:
            keys |= walk_keys(item, parent if parent == "security" else None)
    return keys


@pytest.fixture
def originals(tmp_path: Path) -> Path:
    (tmp_path / "api").mkdir()
    (tmp_path / "api" / "spec.yaml").write_text(OPENAPI_YAML, encoding="utf-8")
    (tmp_path / "api" / "schema.graphql").write_text(SDL, encoding="utf-8")
    return tmp_path


TINY = (
    ex.Original("api/spec.yaml", "api.openapi.json", "2.1", ex.openapi_extract),
    ex.Original("api/schema.graphql", "api-1.graphql", "1", ex.graphql_extract),
)


def test_openapi_extract_keeps_structure_and_drops_prose(originals: Path) -> None:
    files = ex.extract_all(originals, TINY)
    doc = json.loads(files["api.openapi.json"])
    keys = walk_keys(doc)
    assert not keys & {"description", "summary", "example", "tags", "x-readme"}
    assert doc["info"] == {"title": "Tiny", "version": "2.1"}
    op = doc["paths"]["/tasks/{task_gid}"]["get"]
    assert op["operationId"] == "getTask"
    opt = op["parameters"][0]
    assert opt["schema"]["items"]["enum"] == ["name", "due_on"]
    assert opt["explode"] is False
    assert op["parameters"][1]["x-values"] == ["all", "closed", "name"]
    assert op["parameters"][1]["schema"]["default"] == "name"
    # YAML's integer status code becomes the JSON key "200"
    body = op["responses"]["200"]["content"]["application/json"]["schema"]
    assert body["properties"]["data"] == {"$ref": "#/components/schemas/TaskResponse"}
    task = doc["components"]["schemas"]["TaskResponse"]
    # a property *named* description stays (a field name is a fact), its prose does not
    assert task["properties"] == {
        "name": {"type": "string"},
        "description": {"type": "string", "nullable": True},
        "due_on": {"type": "string", "format": "date"},
    }
    assert doc["components"]["parameters"]["task_path_gid"] == {
        "name": "task_gid",
        "in": "path",
        "required": True,
        "schema": {"type": "string"},
    }
    assert doc["paths"]["/tasks/{task_gid}"]["parameters"] == [
        {"$ref": "#/components/parameters/task_path_gid"}
    ]


def test_valid_values_take_only_single_words() -> None:
    assert ex.valid_values("Valid values: admin, normal, observer. Determines the type.") == [
        "admin",
        "normal",
        "observer",
    ]
    assert ex.valid_values("Valid values: `top`, `bottom`, or a positive number.") == [
        "top",
        "bottom",
    ]
    assert ex.valid_values("Valid values: [nested member fields](/guides/nested).") is None
    assert ex.valid_values("`all` or a comma-separated list of board [fields](/x)") == ["all"]
    assert ex.valid_values("The fields to return.") is None
    assert ex.valid_values(None) is None


def test_graphql_extract_drops_descriptions_and_reasons(originals: Path) -> None:
    files = ex.extract_all(originals, TINY)
    sdl = files["api-1.graphql"]
    assert '"""' not in sdl and "much better" not in sdl and "How many" not in sdl
    assert sdl.count("@deprecated") == 2 and "reason" not in sdl
    before, after = build_schema(SDL), build_schema(sdl)
    assert set(before.type_map) == set(after.type_map)
    query = after.query_type
    assert query is not None and query.fields["old_items"].deprecation_reason is not None
    assert "items(limit: Int = 25): [Item!]" in sdl
    assert query.fields["items"].description is None


def test_sources_record_version_and_hash(originals: Path) -> None:
    files = ex.extract_all(originals, TINY)
    sources = json.loads(files["sources.json"])
    raw = (originals / "api" / "spec.yaml").read_bytes()
    assert sources["api.openapi.json"] == {
        "original": "api/spec.yaml",
        "version": "2.1",
        "bytes": len(raw),
        "sha256": hashlib.sha256(raw).hexdigest(),
    }
    assert sources["api-1.graphql"]["version"] == "1"


def test_check_and_refresh(
    originals: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ex, "ORIGINALS", TINY)
    monkeypatch.setattr(ex, "extract_all", lambda src, o=TINY: EXTRACT_ALL(src, o))
    out = tmp_path / "out"
    args = ["--from", str(originals), "--to", str(out)]
    assert ex.main([*args, "--check"]) == 1  # nothing printed yet
    assert ex.main(args) == 0
    assert sorted(p.name for p in out.iterdir()) == [
        "api-1.graphql",
        "api.openapi.json",
        "sources.json",
    ]
    assert ex.main([*args, "--check"]) == 0
    (originals / "api" / "schema.graphql").write_text(SDL + "type Extra { id: ID }\n")
    assert ex.main([*args, "--check"]) == 1
    assert ex.main(["--from", str(tmp_path / "nowhere"), "--to", str(out)]) == 2


EXTRACT_ALL = ex.extract_all


# -- the committed extract ------------------------------------------------------------------


def test_committed_extract_is_complete_and_has_no_prose() -> None:
    sources = json.loads((SPECS / "sources.json").read_text(encoding="utf-8"))
    assert set(sources) == {o.target for o in ex.ORIGINALS}
    for name, meta in sources.items():
        assert (SPECS / name).is_file(), name
        assert len(meta["sha256"]) == 64 and meta["version"]
        if name.endswith(".json"):
            doc = json.loads((SPECS / name).read_text(encoding="utf-8"))
            assert not walk_keys(doc) - ex.KEEP - {"x-values", *ex.INFO_KEYS}, name
        else:
            text = (SPECS / name).read_text(encoding="utf-8")
            uses = [x for x in text.splitlines() if "@deprecated(" in x and "directive" not in x]
            assert '"""' not in text and not uses, name
            build_schema(text)  # still a whole schema
