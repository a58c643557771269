"""The command line: help that teaches, exit codes, clear errors, never a traceback."""

from __future__ import annotations

import json
from pathlib import Path

import click
import pytest

from raci_sync.cli import cli, run_cli


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = run_cli(args)
    out, err = capsys.readouterr()
    return code, out, err


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


def _write_demo_like_config(tmp_path: Path, base: str) -> Path:
    from raci_sync.demo import DEMO_TODAY  # noqa: F401 - the demo package must import

    text = (Path(__file__).resolve().parents[1] / "src/raci_sync/demo/demo.toml").read_text(
        encoding="utf-8"
    )
    text = text.replace(
        'token = "${RACI_DEMO_TOKEN}"', f'token = "${{RACI_DEMO_TOKEN}}"\nbase_url = "{base}"'
    )
    cfg = tmp_path / "raci.toml"
    cfg.write_text(f'store = "{tmp_path / "s.sqlite"}"\n' + text, encoding="utf-8")
    return cfg


def test_report_json_is_valid_json(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ASANA_TOKEN", "x")
    cfg = tmp_path / "raci.toml"
    cfg.write_text(
        f'store = "{tmp_path / "s.sqlite"}"\n[[source]]\nname = "k"\nkind = "asana"\n'
        'token = "${ASANA_TOKEN}"\n',
        encoding="utf-8",
    )
    code, out, _ = run(["--config", str(cfg), "report", "--format", "json"], capsys)
    assert code == 0
    data = json.loads(out)
    assert data["sources"][0]["status"] == "never" and data["tasks"] == []
