"""``language = "da"`` (PRODUCT §10, §12): the config key, the catalogue tool, and a Danish
catalogue without gaps."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from raci_sync import i18n
from raci_sync.config import parse_config
from raci_sync.errors import ConfigError
from tests.cli_runs import local_config, run, serve_recordings

ROOT = Path(__file__).resolve().parents[1]


def _tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("i18n_tool", ROOT / "tools" / "i18n.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["i18n_tool"] = module
    spec.loader.exec_module(module)
    return module


tool = _tool()


def test_language_defaults_to_english_and_reads_danish() -> None:
    assert parse_config("").language == "en"
    assert parse_config('language = "da"').language == "da"


@pytest.mark.parametrize("value", ['"xx"', '"DA"', "5"])
def test_an_unknown_language_is_a_config_error_naming_the_choices(value: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(f"language = {value}")
    text = str(caught.value)
    assert "language" in text
    if value != "5":
        assert "en, da" in text


def test_activate_refuses_an_unknown_language() -> None:
    with pytest.raises(ValueError, match="en, da"):
        i18n.activate("xx")


def test_the_danish_catalogue_has_every_message(tmp_path: Path) -> None:
    """Extract afresh from the sources: every message has a Danish, non-fuzzy translation
    (run ``python tools/i18n.py``, then write the msgstr lines the failure names)."""
    template = tool.extract()
    assert len(template) > 50
    gaps = list(tool.missing(template, tool.read_catalog("da")))
    assert not gaps, "untranslated in locale/da/LC_MESSAGES/raci.po:\n" + "\n".join(gaps)


def test_the_compiled_catalogue_is_up_to_date(tmp_path: Path) -> None:
    """The committed raci.mo holds what raci.po says (a fresh clone uses it as it is)."""
    catalog = tool.read_catalog("da")
    (tmp_path / "da" / "LC_MESSAGES").mkdir(parents=True)
    compiled = tool.compile_mo(catalog, "da", tmp_path)
    committed = tool.po_path("da").with_suffix(".mo")
    assert compiled.read_bytes() == committed.read_bytes(), "run python tools/i18n.py"


def test_the_tool_updates_and_compiles_a_catalogue(tmp_path: Path) -> None:
    template = tool.extract()
    catalog = tool.update(template, "da", tmp_path)
    assert len(catalog) == len(template)
    mo = tool.compile_mo(catalog, "da", tmp_path)
    assert mo.exists() and tool.po_path("da", tmp_path).exists()
    # a translation written in the .po survives the next run, and a message not in the
    # sources any more is dropped
    first = next(m for m in catalog if m.id and isinstance(m.id, str))
    first.string = "oversat"
    catalog.add("gone from the sources", "væk")
    po = tool.po_path("da", tmp_path)
    with po.open("wb") as f:
        tool.write_po(f, catalog)
    again = tool.update(template, "da", tmp_path)
    assert again.get(first.id).string == "oversat"
    assert again.get("gone from the sources") is None
    assert first.id not in list(tool.missing(template, again))


def test_danish_is_used_once_activated() -> None:
    i18n.activate("da")
    assert i18n.language() == "da"
    assert i18n.format_number(1234.5) == "1.234,5"
    i18n.activate("en")
    assert i18n.format_number(1234.5) == "1,234.5"


def test_check_config_names_the_languages(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    cfg = tmp_path / "raci.toml"
    cfg.write_text('language = "xx"\n', encoding="utf-8")
    code, _, err = run(["--config", str(cfg), "check-config"], capsys)
    assert code == 2
    assert "language: must be one of en, da, got 'xx'" in err
    cfg.write_text('language = "da"\n', encoding="utf-8")
    code, _, err = run(["--config", str(cfg), "check-config"], capsys)
    assert code == 0, err


def test_the_report_is_in_the_configured_language(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, httpserver: Any, demo_env: None
) -> None:
    """``language = "da"``: the CLI activates it after loading the config; the table report is
    Danish, the JSON report keeps its keys and check ids, and CLI errors stay English."""
    serve_recordings(httpserver)
    cfg = local_config(tmp_path, httpserver)
    cfg.write_text('language = "da"\n' + cfg.read_text(encoding="utf-8"), encoding="utf-8")
    code, _, err = run(["--config", str(cfg), "sync", "--full"], capsys)
    assert code == 0, err
    code, out, _ = run(["--config", str(cfg), "report", "--as-of", "2026-12-07"], capsys)
    assert code == 0
    assert out.startswith("RACI-rapport") and "Har ingen Godkender" in out and "FEJL (" in out
    code, out, _ = run(["--config", str(cfg), "report", "-f", "json"], capsys)
    data = json.loads(out)
    assert {"findings", "workload", "sources"} <= set(data)
    assert {f["check"] for f in data["findings"]} >= {"no-owner", "overloaded"}
    code, _, err = run(["--config", str(cfg), "report", "--as-of", "7/12/2026"], capsys)
    assert code == 2 and "Traceback" not in err


def test_language_option_gives_the_demo_in_danish(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """``--language`` (a global option) wins over the config; the demo has no config of its
    own language, so it is how the demo is shown in Danish."""
    code, out, _ = run(["demo", "--language", "da", "-o", str(tmp_path / "demo")], capsys)
    assert code == 0
    assert "RACI-rapport" in out and "Udførende" in out
    assert '<html lang="da">' in (tmp_path / "demo" / "report.html").read_text(encoding="utf-8")
    code, _, err = run(["demo", "--language", "xx", "-o", str(tmp_path / "demo")], capsys)
    assert code == 2 and "'xx' is not one of 'en', 'da'" in err
