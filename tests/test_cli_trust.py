"""Never quietly wrong (PRODUCT §9, §12): a mistake in the config or a missing source must never
look like a clean week. Each test reproduces something a new user saw (issue 8)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from raci_sync.cli import worst
from tests.cli_runs import local_config, run, serve_recordings


def synced(capsys: pytest.CaptureFixture[str], tmp_path: Path, httpserver: Any, **kw: Any) -> Path:
    serve_recordings(httpserver, **kw)
    cfg = local_config(tmp_path, httpserver)
    run(["--config", str(cfg), "sync", "--full"], capsys)
    return cfg


def test_exit_codes_follow_the_settled_order() -> None:
    assert worst(0, 1, 3, 5) == 3 and worst(1, 5) == 5 and worst(2, 3, 4) == 2
    assert worst(4, 3) == 4 and worst(70, 2) == 70 and worst(0, 0) == 0 and worst(1) == 1


def test_an_empty_or_mistyped_store_is_no_data_never_a_clean_week(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A mistyped `store` once created an empty store and reported an all-clear, exit 0 — also
    with --fail-on error. Now: a RED "no data" report is written, the path is named, exit 3,
    and no store is created."""
    store = tmp_path / "raci.sqlte"
    cfg = tmp_path / "raci.toml"
    cfg.write_text(
        f'store = "{store.as_posix()}"\n'
        '[[source]]\nname = "indhold"\nkind = "trello"\nkey = "${K}"\ntoken = "${T}"\n',
        encoding="utf-8",
    )
    out_file = tmp_path / "report.json"
    code, _, err = run(
        ["--config", str(cfg), "report", "--fail-on", "error", "-o", str(out_file)], capsys
    )
    assert code == 3 and str(store) in err and "no data" in err
    assert not store.exists()
    data = json.loads(out_file.read_text(encoding="utf-8"))
    assert [s["status"] for s in data["sources"]] == ["never"]
    code, _, err = run(["--config", str(cfg), "matrix"], capsys)
    assert code == 3 and "no data" in err and not store.exists()


def test_reports_need_no_api_token(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    httpserver: Any,
    demo_env: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cfg = synced(capsys, tmp_path, httpserver)
    monkeypatch.delenv("RACI_DEMO_TOKEN")
    monkeypatch.delenv("RACI_DEMO_KEY")
    code, out, err = run(["--config", str(cfg), "report", "-f", "json"], capsys)
    assert code == 0, err
    assert [s["status"] for s in json.loads(out)["sources"]] == ["ok", "ok", "ok"]
    code, _, err = run(["--config", str(cfg), "matrix", "-f", "csv"], capsys)
    assert code == 0, err
    code, _, err = run(["--config", str(cfg), "sync"], capsys)  # a sync needs them: all named
    assert code == 2 and "RACI_DEMO_TOKEN is not set" in err and "source[0].key" in err


def test_a_failed_source_makes_report_and_run_exit_3_even_with_no_report(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, httpserver: Any, demo_env: None
) -> None:
    cfg = synced(capsys, tmp_path, httpserver, fail_prefix="/v2")
    code, out, err = run(["--config", str(cfg), "report", "-f", "json"], capsys)
    assert code == 3 and "data missing from events (monday.com)" in err
    assert {s["name"]: s["status"] for s in json.loads(out)["sources"]}["events"] == "failed"
    # the README's cron line: with --no-report the exit code still tells
    code, _, _ = run(
        ["--config", str(cfg), "run", "-q", "--no-report", "--fail-on", "error"], capsys
    )
    assert code == 3
    code, _, err = run(["--config", str(cfg), "report", "--allow-stale"], capsys)
    assert code == 3  # --allow-stale waives only age, never a failed source


def test_run_honours_fail_on_without_a_report(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, httpserver: Any, demo_env: None
) -> None:
    cfg = synced(capsys, tmp_path, httpserver)
    code, out, _ = run(
        ["--config", str(cfg), "run", "-q", "--no-report", "--fail-on", "error"], capsys
    )
    assert code == 1 and out == ""
    code, _, _ = run(["--config", str(cfg), "run", "-q", "--no-report"], capsys)
    assert code == 0


def test_stale_data_exits_3_unless_allowed(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, httpserver: Any, demo_env: None
) -> None:
    cfg = synced(capsys, tmp_path, httpserver)
    text = cfg.read_text(encoding="utf-8")
    cfg.write_text(text + "\n[sync]\nstale_after_hours = 1\n", encoding="utf-8")
    import sqlite3

    db = sqlite3.connect(tmp_path / "s.sqlite")
    db.execute("UPDATE snapshots SET taken_at = '2026-01-01T00:00:00+00:00'")
    db.commit()
    db.close()
    code, out, err = run(["--config", str(cfg), "report", "-f", "json"], capsys)
    assert code == 3 and "its data is too old" in err
    assert {s["status"] for s in json.loads(out)["sources"]} == {"stale"}
    code, _, _ = run(["--config", str(cfg), "report", "-f", "json", "--allow-stale"], capsys)
    assert code == 0


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["report", "-o", "r.xlsx", "-f", "html"], "contradicts the extension"),
        (["report", "-o", "r.pdf"], "cannot tell the format of r.pdf"),
        (["matrix", "-o", "m.json"], "cannot tell the format of m.json"),
        (["report", "--as-of", "9999-12-20"], "not a date a report can start on"),
        (["report", "--as-of", "0001-01-02"], "not a date a report can start on"),
    ],
)
def test_output_and_date_mistakes_are_usage_errors(
    capsys: pytest.CaptureFixture[str], args: list[str], words: str
) -> None:
    code, _, err = run(args, capsys)
    assert code == 2 and words in err and "Traceback" not in err


def test_the_format_follows_the_extension(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, httpserver: Any, demo_env: None
) -> None:
    cfg = synced(capsys, tmp_path, httpserver)
    for name, check in (
        ("r.json", lambda b: json.loads(b)["sources"]),
        ("r.html", lambda b: b.lstrip().lower().startswith(b"<!doctype html")),
        ("r.md", lambda b: b.startswith(b"#")),
        ("r.xlsx", lambda b: b[:2] == b"PK"),
        ("r.csv", lambda b: b"," in b.splitlines()[0]),
    ):
        code, _, err = run(["--config", str(cfg), "report", "-o", str(tmp_path / name)], capsys)
        assert code == 0, err
        assert check((tmp_path / name).read_bytes()), name
    code, _, _ = run(["--config", str(cfg), "matrix", "-o", str(tmp_path / "m.xlsx")], capsys)
    assert code == 0 and (tmp_path / "m.xlsx").read_bytes()[:2] == b"PK"


def test_global_options_after_the_subcommand(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, httpserver: Any, demo_env: None
) -> None:
    serve_recordings(httpserver)
    cfg = local_config(tmp_path, httpserver)
    log = tmp_path / "raci.log"
    code, _, err = run(["sync", "--config", str(cfg), "-q", "--log-file", str(log)], capsys)
    assert code == 0, err
    assert "indhold: ok" not in err  # -q after the subcommand keeps stderr quiet
    assert "indhold: ok" in log.read_text(encoding="utf-8")
    assert log.stat().st_mode & 0o077 == 0  # names and titles: owner only
    code, _, err = run(["report", "-c", str(cfg), "-f", "json"], capsys)
    assert code == 0, err


def test_check_config_names_every_unset_variable(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    cfg = tmp_path / "raci.toml"
    cfg.write_text(
        '[[source]]\nname = "x"\nkind = "trello"\nkey = "${K_UNSET}"\ntoken = "${T_UNSET}"\n',
        encoding="utf-8",
    )
    code, _, err = run(["check-config", "--config", str(cfg)], capsys)
    assert code == 2 and "source[0].key: environment variable K_UNSET" in err
    assert "source[0].token: environment variable T_UNSET" in err


def test_report_filters_narrow_the_findings_and_the_exit_code(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, httpserver: Any, demo_env: None
) -> None:
    cfg = synced(capsys, tmp_path, httpserver)
    base = ["--config", str(cfg), "report", "-f", "json", "--as-of", "2026-12-07"]
    code, out, _ = run(base, capsys)
    every = json.loads(out)["findings"]
    assert code == 0 and {f["severity"] for f in every} >= {"error", "warning"}
    code, out, _ = run([*base, "--severity", "warning", "--fail-on", "error"], capsys)
    narrowed = json.loads(out)["findings"]
    assert code == 0 and narrowed and {f["severity"] for f in narrowed} == {"warning"}
    code, out, _ = run([*base, "--check", "no-owner", "--source", "indhold"], capsys)
    assert {(f["check"], f["source"]) for f in json.loads(out)["findings"]} == {
        ("no-owner", "indhold")
    }
    code, out, _ = run([*base, "--person", "freja nørgaard"], capsys)
    data = json.loads(out)
    assert [w["person"] for w in data["workload"]] == ["Freja Nørgaard"]
    assert data["findings"] and len(data["findings"]) < len(every)
    code, _, err = run([*base, "--check", "no-owners", "--person", "Freja Norgaard"], capsys)
    assert code == 2 and "did you mean 'no-owner'" in err and "did you mean 'Freja" in err


def test_check_config_online_lists_every_problem_at_once(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, httpserver: Any, demo_env: None
) -> None:
    """Issue 8, done means: one wrong field, one wrong board and one rule with an unknown hat
    print three problems and exit 2; a correct config prints each source's boards, projects
    and fields."""
    serve_recordings(httpserver)
    cfg = local_config(tmp_path, httpserver)
    code, out, err = run(["--config", str(cfg), "check-config", "--online"], capsys)
    assert code == 0, out + "".join(x for x in err.splitlines(True) if "werkzeug" not in x)
    assert "Indhold & SoMe" in out and "Events & PR" in out and "fields:" in out
    text = cfg.read_text(encoding="utf-8")
    broken = (
        text.replace('boards = ["Events & PR"]', 'boards = ["Events & RP"]')
        .replace('effort = "Timer"', 'effort = "Timr"', 1)
        .replace('A = "hat:strategist"', 'A = "hat:strategest"')
    )
    assert broken.count("Timr") == 1 and "Events & RP" in broken and "strategest" in broken
    cfg.write_text(broken, encoding="utf-8")
    code, out, err = run(["--config", str(cfg), "check-config", "--online"], capsys)
    assert code == 2, out + err
    assert "3 problem(s):" in err
    assert "'Timr' not found" in err and "Timer" in err  # the closest name is offered
    assert "Events & RP" in err and "Events & PR" in err
    assert "strategest" in err and "did you mean 'strategist'" in err


def test_check_config_warns_of_an_ignore_or_rule_that_matches_no_stored_task(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, httpserver: Any, demo_env: None
) -> None:
    """An [[ignore]] or [[rule]] that names nothing would silently do nothing: check-config says
    so against the last synced tasks (a warning: exit 0), and before any sync says when it can."""
    cfg = synced(capsys, tmp_path, httpserver)
    text = cfg.read_text(encoding="utf-8")
    cfg.write_text(
        text + '\n[[ignore]]\ntask = "no-such-card"\n\n[[ignore]]\naccount = "trello:nobody"\n',
        encoding="utf-8",
    )
    code, _, err = run(["--config", str(cfg), "check-config"], capsys)
    assert code == 0, err
    assert "warning: [[ignore]] #1 (task = 'no-such-card') matches no task" in err
    assert "warning: [[ignore]] #2 (account = 'trello:nobody') matches no task" in err
    cfg.write_text(
        text.replace(str(tmp_path), str(tmp_path / "elsewhere"))
        + ('\n[[ignore]]\ntask = "no-such-card"\n'),
        encoding="utf-8",
    )
    code, out, err = run(["--config", str(cfg), "check-config"], capsys)
    assert code == 0 and "warning" not in err and "checked against the tasks after a sync" in out


def test_a_report_on_a_store_damaged_where_it_reads_says_so_never_an_internal_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, httpserver: Any, demo_env: None
) -> None:
    """A report opens its store without checking every page (that costs time on a large one):
    a damaged page met while reading the tasks is the store's damage, said with the way back
    (exit 2), not "internal error" (exit 70) — for every command that reads the store."""
    import sqlite3

    cfg = synced(capsys, tmp_path, httpserver)
    path = tmp_path / "s.sqlite"
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        page_size = db.execute("PRAGMA page_size").fetchone()[0]
        (root,) = db.execute("SELECT rootpage FROM sqlite_master WHERE name = 'tasks'").fetchone()
    db.close()
    data = bytearray(path.read_bytes())
    start = (root - 1) * page_size
    data[start : start + page_size] = b"\xab" * page_size  # the tasks table's root page
    path.write_bytes(bytes(data))
    for command in (["report", "--allow-stale"], ["matrix", "--allow-stale"], ["fix"]):
        code, _, err = run(["--config", str(cfg), *command], capsys)
        assert code == 2, (command, err)
        assert "is damaged" in err and "raci sync --full" in err and "internal error" not in err
