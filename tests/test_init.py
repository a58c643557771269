"""``raci init`` against the spec-built fakes of the three APIs (tests/fakes): the drafted config
passes ``check-config --online`` unedited, finds the same people a hand-written roster does,
holds no secret, never overwrites a file without --force, and creates no store.

The interactive choosing through a pseudo-terminal is in tests/test_init_pty.py; the drafting
itself (roles, roster, escaping) in tests/test_init_draft.py.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
import pytest

from raci_sync.config import Config, load_config
from raci_sync.connectors import KINDS
from raci_sync.model import ReportData
from raci_sync.store import Store
from raci_sync.sync import SyncOptions, report_from_sync, sync
from tests.cli_runs import run
from tests.fakes.faults import revoked
from tests.fakes.init_world import InitWorld
from tests.fakes.server import Reply

ENV_NAMES = [v for kind in KINDS.values() for v in kind.env.values()]


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> Iterator[InitWorld]:
    for name in ENV_NAMES:
        monkeypatch.delenv(name, raising=False)
    with InitWorld() as w:
        for name, value in w.env().items():
            monkeypatch.setenv(name, value)
        yield w


def init(
    world: InitWorld, cfg: Path, capsys: pytest.CaptureFixture[str], *args: str
) -> tuple[int, str, str]:
    return run(["init", "--config", str(cfg), *world.base_url_args(), *args], capsys)


def read_back(cfg: Config) -> ReportData:
    """One sync of ``cfg`` into a store in memory, and what it concluded."""
    with Store(":memory:") as store:
        synced = sync(cfg, store, SyncOptions(full=True, rate_limits=False))
        assert not synced.run.failed, synced.run.sources
        return report_from_sync(cfg, store, synced)


def who_holds_what(data: ReportData) -> set[tuple[str, str, str, str]]:
    return {(a.source, a.task_id, a.letter, a.person_name) for a in data.assignments}


def test_all_drafts_a_config_that_passes_the_online_check_unedited(
    world: InitWorld, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = tmp_path / "raci.toml"
    code, out, err = init(world, cfg, capsys, "--all")
    assert code == 0, out + err
    assert f"wrote {cfg}: 3 source(s), 6 person(s)" in out
    for kind, tool in ((k, world.ws.tools[k.name]) for k in KINDS.values()):
        listing = out.split(f"{kind.title} {kind.container}s (+ taken):\n", 1)[1]
        for i, container in enumerate(tool.containers, 1):
            assert f"  + {i:>3}  " in listing.splitlines()[i - 1]
            assert container.name in listing.splitlines()[i - 1]
        assert f"{kind.title}: 6 people on the chosen {kind.container}s; " in out
    assert "Accountable, Consulted, Prioritet, Timer" in out  # the fields read, by name
    assert "Checking it as `raci check-config --online` does:" in out
    for kind in KINDS.values():
        assert f"{kind.name} ({kind.name}): ok, token of" in out
    assert "nothing was stored" in out and "tasks read" in out and "findings: " in out
    assert "unmatched accounts: 0" in out

    code, out, err = run(["--config", str(cfg), "check-config", "--online"], capsys)
    assert code == 0, out + err
    assert "problem" not in out + err and "warning" not in err

    text = cfg.read_text(encoding="utf-8")
    for value in world.secret_values():
        assert value not in text and value not in out + err
    loaded = load_config(cfg)
    assert {s.kind: s.fields.effort for s in loaded.sources} == dict.fromkeys(KINDS, "Timer")
    assert all(s.written_roles["A"] == ("field:Accountable",) for s in loaded.sources)
    # monday's "Ansvarlig" column may mean R or A: not guessed, R stays the default, a comment
    monday = next(s for s in loaded.sources if s.kind == "monday")
    assert monday.written_roles["R"] == KINDS["monday"].default_roles["R"]
    assert '# CHECK: field "Ansvarlig" (people) may mean Responsible or Accountable' in text
    assert "field:Ansvarlig" not in str([s.written_roles for s in loaded.sources])
    for kind in KINDS.values():
        for secret, variable in kind.env.items():
            assert f'{secret} = "${{{variable}}}"' in text
    # nothing stored: no store in the data dir, none beside the file
    assert sorted(p.name for p in tmp_path.iterdir()) == ["raci.toml"]
    data_home = Path(os.environ["XDG_DATA_HOME"])
    assert not any(data_home.rglob("*.sqlite*"))
    assert not any(world.server.violations.values()), world.server.violations


def test_the_drafted_roster_finds_the_same_people_a_hand_written_one_does(
    world: InitWorld, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    drafted = tmp_path / "raci.toml"
    assert init(world, drafted, capsys, "--all")[0] == 0
    text = drafted.read_text(encoding="utf-8")
    sources = text[: text.index("[[person]]")]
    by_hand = tmp_path / "by-hand.toml"
    by_hand.write_text(sources + "\n" + world.hand_roster(), encoding="utf-8")

    ours, theirs = read_back(load_config(drafted)), read_back(load_config(by_hand))
    assert {p.name for p in ours.people if p.matched} == {p.name for p in world.ws.people}
    assert {p.name for p in theirs.people if p.matched} == {p.name for p in world.ws.people}
    assert ours.unmatched == theirs.unmatched == ()
    assert who_holds_what(ours) == who_holds_what(theirs)
    assert len(who_holds_what(ours)) > 50


def test_a_trello_member_matched_by_name_carries_the_comment(
    world: InitWorld, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = tmp_path / "raci.toml"
    assert init(world, cfg, capsys, "--all")[0] == 0
    text = cfg.read_text(encoding="utf-8")
    trello = KINDS["trello"]
    for person in world.ws.people:
        block = text[text.index(f'name = "{person.name}"') :].split("[[person]]")[0]
        assert f'emails = ["{person.email}"]' in block
        assert f"trello:{person.username}" in block
        assert f'# CHECK: trello:{person.username} ("{person.name}" in {trello.title}' in block
        assert "matched by name only" in block.replace("\n#  ", "")


def test_board_and_project_names_choose_without_a_prompt(
    world: InitWorld, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    boards = world.ws.trello.containers
    project = world.ws.asana.containers[2]
    cfg = tmp_path / "raci.toml"
    code, out, err = init(
        world, cfg, capsys, "--board", boards[1].name, "--project", project.name.upper()
    )
    assert code == 0, out + err
    loaded = load_config(cfg)
    chosen = {s.kind: s for s in loaded.sources}
    # a board name is looked for in every tool that has boards
    assert chosen["trello"].boards == (boards[1].name,)
    assert chosen["monday"].boards == (world.ws.monday.containers[1].name,)
    assert chosen["asana"].projects == (project.name,)
    assert chosen["asana"].workspace == world.ws.workspace_name
    assert f"  +   2  {boards[1].name}\n" in out and f"      1  {boards[0].name}\n" in out


def test_a_name_that_matches_nothing_is_a_usage_error_listing_what_is_seen(
    world: InitWorld, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = tmp_path / "raci.toml"
    code, _, err = init(world, cfg, capsys, "--board", "Nowhere")
    assert code == 2
    assert "--board 'Nowhere': no board of that name" in err and "'Kampagner'" in err
    assert not cfg.exists()


def test_without_a_terminal_it_says_which_flag_to_give(
    world: InitWorld, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = tmp_path / "raci.toml"
    code, _, err = init(world, cfg, capsys)
    assert code == 2
    assert "no terminal to ask on: give --all, or --board NAME / --project NAME" in err
    assert world.server.counts == dict.fromkeys(world.server.counts, 0)  # nothing asked
    code, _, err = init(world, cfg, capsys, "--all", "--board", "x")
    assert code == 2 and "not both" in err


def test_it_never_overwrites_a_file_without_force(
    world: InitWorld, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = tmp_path / "raci.toml"
    cfg.write_text("# mine\n", encoding="utf-8")
    code, _, err = init(world, cfg, capsys, "--all")
    assert code == 2
    assert "exists: raci init does not overwrite it. Give --force" in err
    assert cfg.read_text(encoding="utf-8") == "# mine\n"
    assert world.server.counts == dict.fromkeys(world.server.counts, 0)  # refused before asking

    code, out, err = init(world, cfg, capsys, "--all", "--force")
    assert code == 0, out + err
    assert "[[source]]" in cfg.read_text(encoding="utf-8")


def test_it_writes_to_raci_config_else_the_current_directory(
    world: InitWorld,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    assert run(["init", "--all", *world.base_url_args()], capsys)[0] == 0
    assert (tmp_path / "raci.toml").is_file()
    monkeypatch.setenv("RACI_CONFIG", str(tmp_path / "team.toml"))
    assert run(["init", "--all", *world.base_url_args()], capsys)[0] == 0
    assert (tmp_path / "team.toml").is_file()


def test_a_tool_whose_token_is_not_set_is_skipped_with_a_line(
    world: InitWorld,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monday = KINDS["monday"]
    monkeypatch.delenv(monday.env["token"])
    monkeypatch.delenv(KINDS["trello"].env["key"])
    cfg = tmp_path / "raci.toml"
    code, out, err = init(world, cfg, capsys, "--all")
    assert code == 0, out + err
    assert f"{monday.title}: skipped — {monday.env['token']} is not set" in out
    assert f"Trello: skipped — {KINDS['trello'].env['key']} is not set" in out
    assert [s.kind for s in load_config(cfg).sources] == ["asana"]
    assert f"# Not included: {monday.title}: {monday.env['token']} is not set." in (
        cfg.read_text(encoding="utf-8")
    )


def test_no_token_at_all_is_a_configuration_error_naming_the_variables(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ENV_NAMES:
        monkeypatch.delenv(name, raising=False)
    code, out, err = run(["init", "--config", str(tmp_path / "raci.toml"), "--all"], capsys)
    assert code == 2
    assert "no token in the environment: export at least one tool's (" in err
    for kind in KINDS.values():
        assert all(variable in err for variable in kind.env.values())
        assert f"{kind.title}: skipped — " in out
    assert "Traceback" not in out + err
    assert not (tmp_path / "raci.toml").exists()


def test_every_token_refused_says_what_to_export_and_writes_nothing(
    world: InitWorld,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in world.env():
        monkeypatch.setenv(name, f"refused-{name.lower()}")
    cfg = tmp_path / "raci.toml"
    code, out, err = init(world, cfg, capsys, "--all")
    assert code == 3
    for kind in KINDS.values():
        assert f"{kind.title}: cannot ask it — " in out
        variables = " and ".join(kind.env[s] for s in kind.secrets)
        assert f"  fix: export a valid {' and '.join(kind.secrets)} in {variables}" in out
    assert 'no tool could be asked, so no config was written: do what each "fix:"' in err
    assert "refused-" not in out + err and "Traceback" not in out + err
    assert not cfg.exists()


def test_a_token_that_sees_nothing_says_what_to_share_and_writes_nothing(
    world: InitWorld,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for kind in ("asana", "monday"):
        monkeypatch.delenv(KINDS[kind].env["token"])
    world.server.fault = lambda req: Reply(200, []) if req.path.endswith("/boards") else None
    cfg = tmp_path / "raci.toml"
    code, out, err = init(world, cfg, capsys, "--all")
    assert code == 2
    assert "Trello: token of " in out and "it sees 0 board(s)" in out
    assert "  fix: share a board with " in out and "in Trello, or export in TRELLO_KEY" in out
    assert "the tokens see no board, so no config was written" in err
    assert not cfg.exists()


def test_a_tool_that_sees_nothing_is_left_out_and_the_others_drafted(
    world: InitWorld, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    world.server.fault = lambda req: Reply(200, []) if req.path.endswith("/boards") else None
    cfg = tmp_path / "raci.toml"
    code, out, err = init(world, cfg, capsys, "--all")
    assert code == 0, out + err
    assert [s.kind for s in load_config(cfg).sources] == ["asana", "monday"]
    text = " ".join(line.strip("# ") for line in cfg.read_text(encoding="utf-8").splitlines())
    assert "Not included: Trello: the token of " in text and "sees no board." in text


def test_an_api_that_cannot_be_reached_names_the_base_url_to_check(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ENV_NAMES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv(KINDS["asana"].env["token"], "some-token-value")
    closed = "http://127.0.0.1:9/api"  # the discard port: nothing listens there
    cfg = tmp_path / "raci.toml"
    code, out, err = run(
        ["init", "--config", str(cfg), "--all", "--base-url", f"asana={closed}"], capsys
    )
    assert code == 3
    assert "Asana: cannot ask it — " in out and "connection failed" in out
    assert f"  fix: check the network and --base-url asana={closed}, then run" in out
    assert "some-token-value" not in out + err and "Traceback" not in out + err
    assert not cfg.exists()


def test_a_refused_token_leaves_that_tool_out_and_exits_3(
    world: InitWorld,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    asana = KINDS["asana"]
    monkeypatch.setenv(asana.env["token"], "not-the-token-S3CRET")
    cfg = tmp_path / "raci.toml"
    code, out, err = init(world, cfg, capsys, "--all")
    assert code == 3
    assert "Asana: cannot ask it — " in out and "401" in out
    assert "not-the-token-S3CRET" not in out + err + cfg.read_text(encoding="utf-8")
    assert [s.kind for s in load_config(cfg).sources] == ["trello", "monday"]


def test_danish_field_names_map_to_their_letters_end_to_end(
    world: InitWorld, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    world.server.fakes["asana"].field_names.update(accountable="Godkender", consulted="Rådført")
    cfg = tmp_path / "raci.toml"
    code, out, err = init(world, cfg, capsys, "--all")
    assert code == 0, out + err
    asana = next(s for s in load_config(cfg).sources if s.kind == "asana")
    assert asana.written_roles["A"] == ("field:Godkender",)
    assert asana.written_roles["C"] == ("field:Rådført",)
    data = read_back(load_config(cfg))
    assert any(a.source == "asana" and a.via.endswith("Godkender") for a in data.assignments)


def test_base_url_must_name_a_kind_and_a_url(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(["init", "--all", "--base-url", "jira=https://x"], capsys)
    assert code == 2 and "KIND one of trello, asana, monday" in err


def test_the_readme_starts_the_first_ten_minutes_with_raci_init() -> None:
    """The README's "First ten minutes" begins with ``raci init``, names only commands that
    exist, and every option of ``raci init`` it mentions is one it has."""
    from raci_sync.cli import cli

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    assert readme.index("## First ten minutes") < readme.index("## Use it on your own tools")
    assert readme.index("scripts/test") < readme.index("## First ten minutes")
    section = readme.split("## First ten minutes", 1)[1].split("\n## ", 1)[0]
    commands = [
        line.split()[1]
        for line in section.split("```sh", 1)[1].split("```", 1)[0].splitlines()
        if line.startswith("raci ")
    ]
    assert commands == ["init", "check-config", "sync", "report"]
    init_command = cli.commands["init"]
    options = {o for p in init_command.params for o in p.opts}
    mentioned = set(re.findall(r"`(--[a-z-]+)", section))
    assert {"--all", "--board", "--project", "--base-url", "--force", "--config"} <= mentioned
    assert mentioned - {"--online"} <= options


def test_a_file_that_cannot_be_written_is_a_message_not_a_traceback(
    world: InitWorld,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cfg = tmp_path / "no-such-folder" / "raci.toml"
    code, out, err = init(world, cfg, capsys, "--all")
    assert code == 2
    assert f"raci: cannot write {cfg}: the folder {cfg.parent} does not exist" in err
    assert "Traceback" not in out + err and "internal error" not in err
    assert world.server.counts == dict.fromkeys(world.server.counts, 0)  # refused before asking

    taken = tmp_path / "a-folder.toml"  # a folder where the file should go, by $RACI_CONFIG
    taken.mkdir()
    monkeypatch.setenv("RACI_CONFIG", str(taken))
    code, out, err = run(["init", "--all", "--force", *world.base_url_args()], capsys)
    assert code == 2
    assert f"raci: cannot write {taken}: Is a directory. Give --config" in err
    assert "Traceback" not in out + err and "internal error" not in err


def test_help_teaches_the_variables_the_choosing_and_the_safety(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run(["init", "--help"], capsys)
    assert code == 0
    text = " ".join(out.split())
    for kind in KINDS.values():
        assert all(variable in text for variable in kind.env.values())
    for option in ("--all", "--board NAME", "--project NAME", "--base-url KIND=URL", "--force"):
        assert option in text
    assert "# CHECK:" in text and "No secret is written" in text and "Example:" in text


def test_a_token_revoked_between_listing_and_reading_leaves_that_tool_out(
    world: InitWorld, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    refused = revoked(world.server, "trello")
    world.server.fault = lambda req: (
        refused if req.api == "trello" and req.path.startswith("/boards/") else None
    )
    cfg = tmp_path / "raci.toml"
    code, out, err = init(world, cfg, capsys, "--all")
    assert code == 3
    assert "Trello: cannot read the chosen ones — " in out
    assert "  fix: export a valid key and token in TRELLO_KEY and TRELLO_TOKEN" in out
    assert [s.kind for s in load_config(cfg).sources] == ["asana", "monday"]
    assert "# Not included: Trello: " in cfg.read_text(encoding="utf-8")
    assert "Traceback" not in out + err


def test_time_spent_choosing_on_the_terminal_is_not_the_tools_deadline(
    world: InitWorld,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from raci_sync.init import tools as init_tools

    now = [0.0]
    made = init_tools.make_http

    def on_a_fake_clock(source: Any) -> Any:
        http = made(source)
        http.clock = lambda: now[0]
        return http

    def slow_person(_prompt: str) -> str:
        now[0] += 3600.0  # an hour at each prompt: past the default 900 s deadline
        return "all"

    monkeypatch.setattr(init_tools, "make_http", on_a_fake_clock)
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True)
    monkeypatch.setattr(click.termui, "visible_prompt_func", slow_person)
    cfg = tmp_path / "raci.toml"
    code, out, err = init(world, cfg, capsys)
    assert "deadline" not in out + err
    assert code == 0, out + err
    assert {s.kind for s in load_config(cfg).sources} == set(KINDS)
