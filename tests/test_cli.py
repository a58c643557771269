"""The command line: help that teaches, exit codes, clear errors, never a traceback."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
import pytest

from raci_sync.cli import cli
from tests.cli_runs import local_config as _local_config
from tests.cli_runs import run
from tests.cli_runs import serve_recordings as _serve_recordings


def test_every_command_has_help_with_an_example() -> None:
    assert isinstance(cli, click.Group)
    for name, command in cli.commands.items():
        assert command.help, f"raci {name} has no help"
        assert "Example:" in command.help, f"raci {name} --help shows no example"


def test_help_and_version(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["--help"], capsys)
    assert code == 0 and "raci demo" in out and "check-config" in out
    code, out, _ = run(["--version"], capsys)
    assert code == 0 and "raci" in out


def test_help_names_the_tools_the_connectors_declare(capsys: pytest.CaptureFixture[str]) -> None:
    from raci_sync.connectors import KINDS

    code, out, _ = run(["--help"], capsys)
    assert code == 0 and all(kind.title in out for kind in KINDS.values())


def test_unknown_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["snyc"], capsys)
    assert code == 2 and "No such command" in err


def test_missing_config_exits_2_with_a_hint(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code, _, err = run(["check-config"], capsys)
    assert code == 2 and "raci.toml" in err and "config.example.toml" in err
    assert "Traceback" not in err


def test_bad_config_lists_every_problem_and_exits_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    cfg = tmp_path / "raci.toml"
    cfg.write_text(
        '[[source]]\nname = "x"\nkind = "asana"\ntoken = "${NOT_SET_ANYWHERE}"\n'
        '[checks]\ndisable = ["no-owners"]\n',
        encoding="utf-8",
    )
    code, _, err = run(["--config", str(cfg), "check-config"], capsys)
    assert code == 2
    assert "source[0].token: environment variable NOT_SET_ANYWHERE is not set" in err
    assert "checks.disable[0]: unknown check id 'no-owners'; did you mean 'no-owner'?" in err


def test_check_config_ok(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ASANA_TOKEN", "x")
    cfg = tmp_path / "raci.toml"
    cfg.write_text(
        '[[source]]\nname = "k"\nkind = "asana"\ntoken = "${ASANA_TOKEN}"\n', encoding="utf-8"
    )
    monkeypatch.setenv("RACI_CONFIG", str(cfg))
    code, out, _ = run(["check-config"], capsys)
    assert code == 0 and "1 source(s)" in out


def test_bad_as_of_date_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["report", "--as-of", "7/12/2026"], capsys)
    assert code == 2 and "not a date like" in err


def test_sync_then_report_against_a_local_server(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, httpserver: Any, demo_env: None
) -> None:
    _serve_recordings(httpserver)
    cfg = _local_config(tmp_path, httpserver)
    code, _, err = run(["--config", str(cfg), "sync", "--full"], capsys)
    assert code == 0, err
    assert "indhold: ok, 14 tasks" in err and "events: ok" in err
    code, out, _ = run(
        ["--config", str(cfg), "report", "-f", "json", "--as-of", "2026-12-07"], capsys
    )
    assert code == 0
    data = json.loads(out)
    assert [s["status"] for s in data["sources"]] == ["ok", "ok", "ok"]
    assert data["window"] == {"start": "2026-12-07", "end": "2026-12-20"}
    assert {f["check"] for f in data["findings"]} >= {"no-owner", "overloaded"}
    code, _, _ = run(
        ["--config", str(cfg), "report", "--fail-on", "error", "-o", str(tmp_path / "r.txt")],
        capsys,
    )
    assert code == 1 and "ERRORS" in (tmp_path / "r.txt").read_text(encoding="utf-8")
    code, out, _ = run(["--config", str(cfg), "report", "-f", "markdown"], capsys)
    assert code == 0 and out.startswith("#")


def test_a_failed_source_exits_3_and_keeps_the_others(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, httpserver: Any, demo_env: None
) -> None:
    _serve_recordings(httpserver, fail_prefix="/1/")
    cfg = _local_config(tmp_path, httpserver)
    code, _, err = run(["--config", str(cfg), "sync"], capsys)
    assert code == 3
    assert "indhold: FAILED" in err and "401" in err and "kampagner: ok" in err
    ours = "\n".join(
        line for line in err.splitlines() if "werkzeug" not in line
    )  # not the server's log
    assert "cli-demo-token" not in ours and "cli-demo-key" not in ours
    code, out, _ = run(["--config", str(cfg), "report", "-f", "json"], capsys)
    sources = {s["name"]: s for s in json.loads(out)["sources"]}
    assert sources["indhold"]["status"] == "failed" and sources["indhold"]["error"]
    assert sources["indhold"]["stale_since"] is None  # it never had good data to go stale
    assert sources["events"]["status"] == "ok" and sources["events"]["stale_since"] is None


def test_check_config_online(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, httpserver: Any, demo_env: None
) -> None:
    _serve_recordings(httpserver, fail_prefix="/v2")
    cfg = _local_config(tmp_path, httpserver)
    code, out, _ = run(["--config", str(cfg), "check-config", "--online"], capsys)
    assert code == 3
    assert "indhold (trello): ok" in out and "kampagner (asana): ok" in out
    assert "events (monday): cannot check it" in out and "401" in out


def test_demo_prints_the_report_and_writes_files(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    out_dir = tmp_path / "demo"
    code, out, err = run(["demo", "--output-dir", str(out_dir)], capsys)
    assert code == 0, err
    assert "ERRORS" in out and "WORKLOAD" in out and "Freja Nørgaard" in out
    data = json.loads((out_dir / "report.json").read_text(encoding="utf-8"))
    assert data["window"]["start"] == "2026-12-07"
    assert (out_dir / "report.md").read_text(encoding="utf-8").startswith("#")
    code, out, _ = run(["demo", "--output-dir", str(out_dir), "--format", "json"], capsys)
    assert code == 0 and json.loads(out)["sources"][0]["status"] == "ok"


def test_run_syncs_then_reports_and_logs_to_a_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, httpserver: Any, demo_env: None
) -> None:
    _serve_recordings(httpserver)
    cfg = _local_config(tmp_path, httpserver)
    log_file = tmp_path / "raci.log"
    code, out, err = run(
        ["--config", str(cfg), "--log-file", str(log_file), "run", "-q", "--full", "-f", "json"],
        capsys,
    )
    assert code == 0
    assert "sync: indhold" not in err  # -q: nothing but warnings on stderr (cron mails stderr)
    assert len(json.loads(out)["sources"]) == 3
    lines = log_file.read_text(encoding="utf-8").splitlines()
    assert any("sync: indhold: ok, 14 tasks" in line for line in lines)
    assert all(line[:4].isdigit() for line in lines)  # one timestamped record per line
    ours = [line for line in lines if " werkzeug: " not in line]  # not the test server's log
    assert not any("cli-demo-token" in line or "cli-demo-key" in line for line in ours)
    code, _, _ = run(
        [
            "--config",
            str(cfg),
            "run",
            "-q",
            "--full",
            "--fail-on",
            "warning",
            "-o",
            str(tmp_path / "r.md"),
            "-f",
            "markdown",
        ],
        capsys,
    )
    assert code == 1 and (tmp_path / "r.md").read_text(encoding="utf-8").startswith("#")


def test_run_evaluates_once_and_reports_what_the_sync_concluded(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    httpserver: Any,
    demo_env: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import raci_sync.sync as sync_module

    evaluated: list[object] = []
    evaluate = sync_module.evaluate

    def counted(*args: Any, **kwargs: Any) -> Any:
        evaluated.append(args[3])  # as_of
        return evaluate(*args, **kwargs)

    monkeypatch.setattr(sync_module, "evaluate", counted)
    _serve_recordings(httpserver)
    cfg = _local_config(tmp_path, httpserver)
    code, out, err = run(["--config", str(cfg), "run", "-q", "--full", "-f", "json"], capsys)
    assert code == 0, err
    assert len(evaluated) == 1  # the sync's evaluation is the report's
    from_run = json.loads(out)
    day = from_run["window"]["start"]
    code, again, _ = run(["--config", str(cfg), "report", "-f", "json", "--as-of", day], capsys)
    assert code == 0 and len(evaluated) == 2  # `raci report` evaluates what the store holds
    from_store = json.loads(again)
    del from_run["generated_at"], from_store["generated_at"]
    assert from_run == from_store


def test_run_with_a_failed_source_still_reports_and_exits_3(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, httpserver: Any, demo_env: None
) -> None:
    _serve_recordings(httpserver, fail_prefix="/v2")
    cfg = _local_config(tmp_path, httpserver)
    code, out, err = run(
        ["--config", str(cfg), "run", "-q", "-f", "json", "--fail-on", "error"], capsys
    )
    assert code == 3  # a failed source outranks findings
    sources = {s["name"]: s["status"] for s in json.loads(out)["sources"]}
    assert sources == {"indhold": "ok", "kampagner": "ok", "events": "failed"}
    assert "events: FAILED" in err


def test_a_second_run_exits_4_at_once_while_the_lock_is_held(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import subprocess
    import sys

    store = tmp_path / "s.sqlite"
    cfg = tmp_path / "raci.toml"
    cfg.write_text(f'store = "{store.as_posix()}"\n', encoding="utf-8")
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from raci_sync.lock import run_lock\n"
            f"with run_lock({str(store)!r}):\n    print('held', flush=True); time.sleep(30)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        code, _, err = run(["--config", str(cfg), "run", "-q"], capsys)
        assert code == 4 and "another raci run" in err
        code, _, _ = run(["--config", str(cfg), "sync", "-q"], capsys)
        assert code == 4
    finally:
        holder.kill()
        holder.wait()
        if holder.stdout is not None:
            holder.stdout.close()
    code, _, err = run(["--config", str(cfg), "run", "-q"], capsys)  # free again: it runs,
    assert code == 3 and "no data" in err and "another raci run" not in err  # over no sources
