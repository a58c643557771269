"""`raci fix` on the command line, against the spec-built fakes: the dry run's lines, --apply
with and without a terminal, the summary and its exit codes, the report after it, --undo."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import click
import pytest

from raci_sync.store import Store
from tests.cli_runs import run
from tests.fakes.server import FakeServer, Request, Stall
from tests.fakes.workspace import Workspace
from tests.fakes.writes import fix_config, small_workspace


@pytest.fixture
def fakes(tmp_path: Path) -> Iterator[tuple[FakeServer, Workspace, Path]]:
    ws = small_workspace()
    with FakeServer(ws) as server:
        cfg = tmp_path / "raci.toml"
        cfg.write_text(fix_config(server, ws, tmp_path / "raci.sqlite"), encoding="utf-8")
        yield server, ws, cfg
        assert server.violations == {"asana": [], "trello": [], "monday": []}


@pytest.fixture
def synced(
    fakes: tuple[FakeServer, Workspace, Path], capsys: pytest.CaptureFixture[str]
) -> tuple[FakeServer, Workspace, Path]:
    server, ws, cfg = fakes
    code, _, err = run(["--config", str(cfg), "-q", "sync"], capsys)
    assert code == 0, err
    return server, ws, cfg


def test_the_dry_run_lists_the_changes_and_writes_nothing(
    synced: tuple[FakeServer, Workspace, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    server, _, cfg = synced
    server.reset()
    code, out, _ = run(["--config", str(cfg), "fix"], capsys)
    assert code == 0
    lines = [ln for ln in out.splitlines() if ln.startswith("set ")]
    assert any(ln.startswith("set Accountable = ") and "(Trello card " in ln for ln in lines)
    assert any(ln.startswith("set Responsible = ") and "(Asana task " in ln for ln in lines)
    assert any("(monday.com item " in ln and ", a subitem of " in ln for ln in lines)
    assert "Not fixable" in out and out.rstrip().endswith("`raci fix --apply` writes them")
    assert sum(server.counts.values()) == 0


def test_without_a_terminal_apply_needs_yes(
    synced: tuple[FakeServer, Workspace, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    server, _, cfg = synced
    server.reset()
    code, _, err = run(["--config", str(cfg), "fix", "--apply"], capsys)
    assert code == 2 and "add --yes" in err
    code, _, err = run(["--config", str(cfg), "fix", "--apply", "--undo", "1", "--yes"], capsys)
    assert code == 2 and "give one of them" in err
    assert sum(server.counts.values()) == 0


def test_apply_then_report_then_undo(
    synced: tuple[FakeServer, Workspace, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    _, ws, cfg = synced
    base = ["--config", str(cfg)]
    code, out, err = run([*base, "fix", "--apply", "--yes", "--source", "indhold"], capsys)
    assert code == 0, err
    written = [ln for ln in out.splitlines() if ln.startswith("written: set ")]
    assert written and all("(Trello card " in ln for ln in written)
    [summary] = [ln for ln in out.splitlines() if " written, " in ln]
    run_id = int(summary.rsplit("(run ", 1)[1].rstrip(")"))
    assert summary == f"{len(written)} written, 0 skipped, 0 failed (run {run_id})"
    assert f"`raci fix --undo {run_id}`" in out
    # the report shows what was written, without a sync in between
    code, out, _ = run([*base, "report", "-f", "json"], capsys)
    report = json.loads(out)
    fixed = {
        (t["id"], a["role"], a["person"])
        for t in report["tasks"]
        for a in t["assignments"]
        if t["source"] == "indhold"
    }
    changes = [parsed(line) for line in written]
    assert all(change in fixed for change in changes)
    with Store(cfg.parent / "raci.sqlite", create=False) as store:
        assert len(store.fix_changes(run_id)) == len(written)
    code, out, err = run([*base, "fix", "--undo", str(run_id), "--yes"], capsys)
    assert code == 0, err
    assert f"{len(written)} put back, 0 skipped, 0 failed" in out
    for card, letter, person in changes:  # the cards are as they were before the apply
        task = ws.trello.task(card)
        names = {ws.people[i].name for i in task.responsible}
        assert task.accountable is None if letter == "A" else person not in names
    code, _, err = run([*base, "fix", "--undo", "999", "--yes"], capsys)
    assert code == 2 and "no run 999" in err
    # the undo itself is not undone, and is not said to have written nothing
    code, out, err = run([*base, "fix", "--undo", str(run_id + 1), "--yes"], capsys)
    assert code == 2 and f"run {run_id + 1} was an undo" in err and not out
    code, _, err = run([*base, "fix", "--undo", "1", "--yes"], capsys)  # the sync
    assert code == 2 and "run 1 (ok) wrote nothing in the tools" in err


def parsed(line: str) -> tuple[str, str, str]:
    """(card id, letter, person) of a ``written: set Accountable = X on 'T' (Trello card ID …``
    line."""
    letter = "A" if line.startswith("written: set Accountable") else "R"
    person = line.split(" = ", 1)[1].split(" on '", 1)[0]
    card = line.split("(Trello card ", 1)[1].split(" ", 1)[0]
    return card, letter, person


def test_a_failed_write_exits_3_after_the_others(
    synced: tuple[FakeServer, Workspace, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    server, _, cfg = synced
    server.fakes["monday"].read_only = True
    code, out, _ = run(["--config", str(cfg), "fix", "--apply", "--yes"], capsys)
    assert code == 3
    assert any(ln.startswith("FAILED: set ") and "boards:write" in ln for ln in out.splitlines())
    assert any(ln.startswith("written: set ") and "(Trello card " in ln for ln in out.splitlines())
    assert " failed (run " in out and ", 0 failed" not in out


def test_on_a_terminal_each_change_is_confirmed(
    synced: tuple[FakeServer, Workspace, Path],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _, _, cfg = synced
    answers = iter(["y", "n"])
    asked: list[str] = []

    def answer(prompt: str) -> str:
        asked.append(prompt)
        return next(answers, "n")

    monkeypatch.setattr(sys.stdin, "isatty", lambda: True)
    monkeypatch.setattr(click.termui, "visible_prompt_func", answer)
    code, out, _ = run(["--config", str(cfg), "fix", "--apply", "-s", "indhold"], capsys)
    assert code == 0
    assert asked[0].startswith("set ") and asked[0].endswith("? [y/N]: ")
    assert out.count("written: ") == 1
    assert out.count("skipped: ") == len(asked) - 1 and "— not confirmed" in out


def test_without_a_store_there_is_nothing_to_plan_from(
    fakes: tuple[FakeServer, Workspace, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    _, _, cfg = fakes
    code, _, err = run(["--config", str(cfg), "fix"], capsys)
    assert code == 3 and "does not exist" in err


@pytest.mark.parametrize("writes", [["--apply", "--yes"], ["--undo", "1", "--yes"]])
def test_writes_without_a_store_leave_no_trace(
    tmp_path: Path, writes: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    ws = small_workspace()
    with FakeServer(ws) as server:
        store = tmp_path / "data" / "raci.sqlite"
        cfg = tmp_path / "raci.toml"
        cfg.write_text(fix_config(server, ws, store), encoding="utf-8")
        code, _, err = run(["--config", str(cfg), "fix", *writes], capsys)
        assert sum(server.counts.values()) == 0
    assert code == 3 and f"the store {store.as_posix()} does not exist" in err
    assert "Traceback" not in err
    # neither the store, nor its folder, nor a lock file beside it
    assert sorted(p.name for p in tmp_path.iterdir()) == ["raci.toml"]


def test_a_task_someone_changed_after_the_dry_run_is_skipped_and_said(
    synced: tuple[FakeServer, Workspace, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    _, ws, cfg = synced
    base = ["--config", str(cfg)]
    code, out, _ = run([*base, "fix", "--source", "kampagner"], capsys)
    assert code == 0
    planned = [
        ln for ln in out.splitlines() if ln.startswith("set Accountable = ") and ", a sub" not in ln
    ]
    assert planned
    task_id = planned[0].split("(Asana task ", 1)[1].split(" ", 1)[0].rstrip(",")
    someone = ws.people[5].index
    ws.touch("asana", task_id, accountable=someone)  # a person sets it in Asana meanwhile
    code, out, err = run([*base, "fix", "--apply", "--yes", "--source", "kampagner"], capsys)
    assert code == 0, err
    skipped = [ln for ln in out.splitlines() if ln.startswith("skipped: ") and task_id in ln]
    assert skipped and all("it changed in Asana since the snapshot" in ln for ln in skipped)
    assert ws.asana.task(task_id).accountable == someone  # what the person set stays
    all_skipped = sum(ln.startswith("skipped: ") for ln in out.splitlines())
    written = sum(ln.startswith("written: ") for ln in out.splitlines())
    [summary] = [ln for ln in out.splitlines() if " written, " in ln]
    assert summary.startswith(f"{written} written, {all_skipped} skipped, 0 failed (run ")
    assert written > 0  # the other tasks of the plan were still written


def test_a_signal_during_a_write_records_every_write_the_tool_saw(
    synced: tuple[FakeServer, Workspace, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    server, _, cfg = synced
    stalled, release = threading.Event(), threading.Event()
    writes: list[str] = []

    def fault(req: Request) -> Stall | None:
        if req.api != "trello" or req.method == "GET":
            return None
        writes.append(req.path)
        if len(writes) == 2:  # the second write hangs until the signal was sent
            stalled.set()
            return Stall(30, until=release)
        return None

    server.fault = fault
    raci = Path(sys.executable).parent / "raci"
    proc = subprocess.Popen(
        [str(raci), "--config", str(cfg), "fix", "--apply", "--yes", "-s", "indhold"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ),
    )
    try:
        assert stalled.wait(30), "the second write never came"
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=20)
    finally:
        release.set()  # the tool takes the write after all, its answer unread
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130 and "Traceback" not in err, err
    with Store(cfg.parent / "raci.sqlite", create=False) as store:
        run_id = 2  # the sync was run 1
        assert store.run_record(run_id)[0] == "interrupted"
        changes = store.fix_changes(run_id)
    # both writes the tool saw are recorded: the first written, the cut-off one said as such
    assert [c.status for c in changes] == ["written", "failed"]
    assert "interrupted while it was being written" in (changes[1].reason or "")


def test_a_damaged_store_is_said_with_the_way_back(
    synced: tuple[FakeServer, Workspace, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    server, _, cfg = synced
    store = cfg.parent / "raci.sqlite"
    data = bytearray(store.read_bytes())
    third = len(data) // 3
    data[third : third + 4096] = b"Z" * 4096
    store.write_bytes(bytes(data))
    server.reset()
    for args in (["fix"], ["fix", "--apply", "--yes"]):
        code, out, err = run(["--config", str(cfg), *args], capsys)
        assert code == 2, (args, err)
        assert f"the store {store} is damaged" in err and "internal error" not in err
        assert "run `raci sync --full`" in err and not out
    assert sum(server.counts.values()) == 0
