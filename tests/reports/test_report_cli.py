"""`raci report` and `raci matrix` on a terminal, end to end on the demo's data: one person's
view, the terminal's width, and OSC 8 hyperlinks only on a terminal (never in a file or pipe)."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import pytest

from raci_sync.reports.terminal import cell_width
from tests.cli_runs import local_config, run, serve_recordings

AS_OF = ["--as-of", "2026-12-07"]


@pytest.fixture
def cfg(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, httpserver: Any, demo_env: None
) -> list[str]:
    serve_recordings(httpserver)
    path = local_config(tmp_path, httpserver)
    code, _, err = run(["--config", str(path), "sync", "--full"], capsys)
    assert code == 0, err
    return ["--config", str(path)]


def test_one_person_gets_their_own_view(cfg: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run([*cfg, "report", *AS_OF, "--person", "freja nørgaard"], capsys)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].startswith("Freja Nørgaard · ")  # the roster's spelling, with her hats
    assert re.match(
        r"Load [\d.]+ of [\d.]+ \(\d+%\) · \w+ · \d+ open tasks? in 2026-12-07", lines[1]
    )
    assert lines[2].startswith("By tool: ")
    assert "TASKS BEHIND THE LOAD (" in out and "FINDINGS (" in out
    assert "WORKLOAD" not in out and "UNMATCHED ACCOUNTS" not in out


def test_several_people_get_the_report_narrowed_to_them(
    cfg: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    people = ["--person", "Freja Nørgaard", "--person", "Mette Sørensen"]
    code, out, _ = run([*cfg, "report", *AS_OF, *people], capsys)
    assert code == 0
    workload = out[out.index("WORKLOAD") :].split("\n\n")[0].splitlines()[2:]
    assert sorted(line.split("  ")[1].strip() for line in workload) == [
        "Freja Nørgaard",
        "Mette Sørensen",
    ]
    code, out, _ = run([*cfg, "report", *AS_OF, "-f", "json", "--person", "Freja Nørgaard"], capsys)
    assert [w["person"] for w in json.loads(out)["workload"]] == ["Freja Nørgaard"]


@pytest.mark.parametrize("columns", [80, 120])
def test_report_and_matrix_fit_columns(
    cfg: list[str],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    columns: int,
) -> None:
    monkeypatch.setenv("COLUMNS", str(columns))
    for command in (
        ["report", *AS_OF],
        ["matrix"],
        ["report", *AS_OF, "--person", "Mette Sørensen"],
    ):
        code, out, _ = run([*cfg, *command], capsys)
        assert code == 0
        assert max(cell_width(line) for line in out.splitlines()) <= columns, command
    _, matrix, _ = run([*cfg, "matrix"], capsys)
    assert "The whole matrix, with board, list, state and due date: raci matrix -f xlsx" in (
        " ".join(matrix.split())
    )


def test_hyperlinks_on_a_terminal_only(
    cfg: list[str],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.setenv("FORCE_HYPERLINK", "1")
    code, piped, _ = run([*cfg, "report", *AS_OF], capsys)
    assert code == 0 and "\x1b" not in piped  # a pipe: no escape sequence at all
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    _, shown, _ = run([*cfg, "report", *AS_OF], capsys)
    assert re.search(r"\x1b\]8;;https://[^\x1b]+\x1b\\[^\x1b]+\x1b\]8;;\x1b\\", shown)
    _, matrix, _ = run([*cfg, "matrix"], capsys)
    assert "\x1b]8;;https://" in matrix
    code, _, _ = run([*cfg, "report", *AS_OF, "-o", str(tmp_path / "r.txt")], capsys)
    assert "\x1b" not in (tmp_path / "r.txt").read_text(encoding="utf-8")  # a file: never
    monkeypatch.setenv("FORCE_HYPERLINK", "0")
    _, plain_tty, _ = run([*cfg, "report", *AS_OF], capsys)
    assert "\x1b]8" not in plain_tty and "\x1b[" in plain_tty  # colour still, links not
