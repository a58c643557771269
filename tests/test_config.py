"""Config parsing: every problem reported at once, with its key path and a way to fix it."""

from __future__ import annotations

import textwrap
from datetime import date
from pathlib import Path

import pytest

from raci_sync.config import Secret, all_keys, load_config, parse_config
from raci_sync.config.settings import MATCH_KEYS
from raci_sync.errors import ConfigError

ENV = {"TRELLO_KEY": "k" * 32, "TRELLO_TOKEN": "t" * 64, "ASANA_TOKEN": "a-token"}

GOOD = """
store = "raci.sqlite"
timezone = "Europe/Copenhagen"

[[source]]
name = "indhold"
kind = "trello"
key = "${TRELLO_KEY}"
token = "${TRELLO_TOKEN}"
boards = ["Indhold & SoMe"]
done_lists = ["Udgivet"]
[source.roles]
R = ["members"]
A = ["field:Accountable"]
[source.fields]
effort = "Timer"

[[source]]
name = "kampagner"
kind = "asana"
token = "${ASANA_TOKEN}"
projects = ["Kampagne Q1 2027"]

[[person]]
name = "Freja Nørgaard"
emails = ["freja@nordlyskaffe.dk"]
accounts = ["trello:frejan"]
hats = ["social-media"]
capacity = 12
away = [{ from = "2026-12-21", to = "2027-01-03" }]

[[person]]
name = "Mette Sørensen"
hats = ["Strategist"]

[[rule]]
match = { group = "Strategi" }
A = "hat:strategist"
mode = "fill"

[checks]
max_responsible = 2
disable = ["person-without-role"]

[workload]
horizon_days = 7
weights = { R = 1.0, A = 0.5, C = 0.1, I = 0.0 }
"""


def parse(text: str, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    return parse_config(
        textwrap.dedent(text), path=Path("/cfg/raci.toml"), env=ENV if env is None else env
    )


def problems(text: str, env: dict[str, str] | None = None) -> list[str]:
    with pytest.raises(ConfigError) as info:
        parse(text, env)
    return info.value.problems


def test_good_config_parses_into_typed_values() -> None:
    cfg = parse(GOOD)
    trello, asana = cfg.sources
    assert trello.kind == "trello" and trello.boards == ("Indhold & SoMe",)
    assert trello.token == Secret("t" * 64) and trello.token.reveal() == "t" * 64
    assert trello.roles["R"] == ("members",) and trello.roles["C"] == ("field:Consulted",)
    assert trello.fields.effort == "Timer"
    assert asana.roles["R"] == ("assignee",)  # PRODUCT §3 defaults fill what is not set
    # only what was written must resolve online; a missing default is a warning (§12)
    assert trello.written_roles == {"R": ("members",), "A": ("field:Accountable",)}
    assert asana.written_roles == {}
    assert cfg.store == str(Path("/cfg/raci.sqlite"))  # relative to the config file
    assert cfg.people[0].away == ((date(2026, 12, 21), date(2027, 1, 3)),)
    assert cfg.people[0].capacity == 12
    assert cfg.checks.max_responsible == 2 and cfg.checks.disable == ("person-without-role",)
    assert cfg.workload.weights["A"] == 0.5 and cfg.workload.horizon_days == 7
    assert cfg.rules[0].letters == {"A": "hat:strategist"}
    assert cfg.warnings == ()


def test_secrets_never_show_in_repr() -> None:
    cfg = parse(GOOD)
    assert "t" * 64 not in repr(cfg) and "k" * 32 not in repr(cfg)
    assert "t" * 64 not in str(cfg.sources[0])


BAD = [
    # (fragment, expected key path, expected words in the message)
    (
        '[[source]]\nname="x"\nkind="trelo"\ntoken="t"\nkey="k"',
        "source[0].kind",
        "did you mean 'trello'",
    ),
    ('store="${NOPE}/raci.sqlite"', "store", "NOPE is not set"),
    ('[[source]]\nname="x"\nkind="asana"', "source[0].token", "is required"),
    ('[[source]]\nname="x"\nkind="trello"\ntoken="t"', "source[0].key", "required for trello"),
    (
        '[[source]]\nname="x"\nkind="asana"\ntoken="t"\nbords=["a"]',
        "source[0].bords",
        "did you mean 'boards'",
    ),
    (
        '[[source]]\nname="x"\nkind="asana"\ntoken="t"\nboards=["a"]',
        "source[0].boards",
        "only to trello and monday",
    ),
    (
        '[[source]]\nname="x"\nkind="monday"\ntoken="t"\napi_version="july"',
        "source[0].api_version",
        "2026-07",
    ),
    (
        '[[source]]\nname="x"\nkind="asana"\ntoken="t"\nbase_url="api.local"',
        "source[0].base_url",
        "https://",
    ),
    (
        '[[source]]\nname="x"\nkind="asana"\ntoken="t"\n[source.roles]\nR=["members"]',
        "source[0].roles.R[0]",
        "not a people field of asana",
    ),
    (
        '[[source]]\nname="x"\nkind="asana"\ntoken="t"\n[source.roles]\nQ=["assignee"]',
        "source[0].roles.Q",
        "unknown key",
    ),
    (
        '[[source]]\nname="a"\nkind="asana"\ntoken="t"\n[[source]]\nname="a"\nkind="asana"\ntoken="t"',
        "source[1].name",
        "used twice",
    ),
    (
        '[[person]]\nname="P"\naway=[{from="2026-13-01", to="2026-12-24"}]',
        "person[0].away[0].from",
        "date like",
    ),
    (
        '[[person]]\nname="P"\naway=[{from="2026-12-24", to="2026-12-01"}]',
        "person[0].away[0]",
        "ends",
    ),
    (
        '[[person]]\nname="P"\naway=[{from=2026-12-01T08:00:00, to=2026-12-24}]',
        "person[0].away[0].from",
        "must be a date",
    ),
    ('[[person]]\nname="P"\ncapacity="ten"', "person[0].capacity", "must be a number"),
    ('[[person]]\nname="P"\nemails=["nobody"]', "person[0].emails[0]", "not an email"),
    ('[[person]]\nname="P"\naccounts=["jira:bob"]', "person[0].accounts[0]", "trello:username"),
    ('[checks]\ndisable=["no-owners"]', "checks.disable[0]", "did you mean 'no-owner'"),
    ("[checks]\nmax_responsible=0", "checks.max_responsible", "at least 1"),
    ('[checks]\nimplied_responsible="yes"', "checks.implied_responsible", "true or false"),
    ("[workload]\nhorizon_days=1.5", "workload.horizon_days", "whole number"),
    ("[workload]\nweights={R=1, X=2}", "workload.weights.X", "unknown key"),
    ('[[rule]]\nmatch={title="(["}\nA="hat:x"', "rule[0].match.title", "regular expression"),
    ('[[rule]]\nmatch={grop="x"}\nA="hat:x"', "rule[0].match.grop", "did you mean 'group'"),
    ('[[rule]]\nmatch={group="x"}\nA="hat:x"\nmode="force"', "rule[0].mode", "fill, suggest"),
    # a rule that names a hat, a person or a source nobody has can never fire: a mistake
    (
        '[[person]]\nname="Mette"\nhats=["strategist"]\n[[rule]]\nmatch={group="x"}\nA="hat:strategest"',
        "rule[0].A",
        "nobody on the roster wears the hat 'strategest'; did you mean 'strategist'?",
    ),
    (
        '[[person]]\nname="Mette Sørensen"\n[[rule]]\nmatch={group="x"}\nR="Mette Sorensen"',
        "rule[0].R",
        "is nobody on the roster; did you mean 'Mette Sørensen'?",
    ),
    (
        '[[source]]\nname="indhold"\nkind="asana"\ntoken="t"\n'
        '[[person]]\nname="P"\nhats=["pm"]\n[[rule]]\nmatch={source="indhld"}\nA="hat:pm"',
        "rule[0].match.source",
        "no source is named 'indhld'; did you mean 'indhold'?",
    ),
    ('[email]\nsecurity="tls"', "email.security", "starttls"),
    ('[email]\nto=["a@b.dk\\r\\nBcc: evil@x"]', "email.to[0]", "not an email"),
    ('timezone="Mars/Olympus"', "timezone", "IANA"),
    ("[history]\nkeep_daily_weeks=-1", "history.keep_daily_weeks", "at least 0"),
    ("[history]\nkeep_all_days=1.5", "history.keep_all_days", "whole number"),
    ('[history]\nkeep_weekly_weeks="forever"', "history.keep_weekly_weeks", "whole number"),
    (
        "[history]\nkeep_weekly_weeks=4",
        "history.keep_weekly_weeks",
        "at least keep_daily_weeks (8)",
    ),
    (
        "[history]\nkeep_dayly_weeks=8",
        "history.keep_dayly_weeks",
        "did you mean 'keep_daily_weeks'",
    ),
    ('history="forever"', "history", "must be a table"),
    ('stor="x.sqlite"', "stor", "did you mean 'store'"),
    # absurd numbers are named, never a crash or a silent default
    ('[[source]]\nname="x"\nkind="asana"\ntoken="t"\ntimeout=nan', "source[0].timeout", "finite"),
    ("[sync]\nfull_every_hours=inf", "sync.full_every_hours", "finite"),
    ("[sync]\nmax_workers=100000", "sync.max_workers", "at most 64"),
    ("[workload]\nhorizon_days=100000", "workload.horizon_days", "at most 366"),
    ("[workload]\ndefault_capacity=nan", "workload.default_capacity", "finite"),
    ("[workload]\nweights={R=inf}", "workload.weights.R", "finite"),
    ("[workload]\nweights={A=-1}", "workload.weights.A", "at least 0"),
    ("[checks]\noverload_error=1e308", "checks.overload_error", "at most 100"),
    ('[[person]]\nname="P"\ncapacity=-inf', "person[0].capacity", "finite"),
]


@pytest.mark.parametrize(("fragment", "path", "words"), BAD, ids=[b[1] for b in BAD])
def test_bad_config_names_key_path_and_fix(fragment: str, path: str, words: str) -> None:
    found = problems(fragment)
    assert any(p.startswith(f"{path}:") and words in p for p in found), found


def test_every_problem_is_reported_at_once() -> None:
    text = """
    timezone = "Nowhere/City"
    [[source]]
    name = "x"
    kind = "jira"
    [checks]
    max_consulted = "many"
    """
    found = problems(text)
    assert {p.split(":")[0] for p in found} >= {
        "timezone",
        "source[0].kind",
        "source[0].token",
        "checks.max_consulted",
    }


def test_an_unset_secret_is_an_error_only_where_it_is_needed() -> None:
    """Reports and the matrix need no token; a sync of that source or sending the email does
    (PRODUCT §9 "secrets only where used")."""
    cfg = parse(
        '[[source]]\nname="x"\nkind="asana"\ntoken="${NOPE}"\n'
        '[[source]]\nname="y"\nkind="asana"\ntoken="${ASANA_TOKEN}"\n'
        '[email]\nusername="raci"\npassword="${SMTP_NOPE}"'
    )
    x, y = cfg.sources
    assert x.token is not None and x.token.missing == "NOPE" and "NOPE" not in repr(x)
    cfg.require_secrets([y])  # y's token is set: nothing missing
    with pytest.raises(ConfigError) as info:
        cfg.require_secrets([x, y], email=True)
    assert info.value.problems == [
        "source[0].token: environment variable NOPE is not set (referenced as ${NOPE}); "
        "export it before running raci",
        "email.password: environment variable SMTP_NOPE is not set (referenced as "
        "${SMTP_NOPE}); export it before running raci",
    ]
    with pytest.raises(ConfigError, match="NOPE is not set"):
        x.token.reveal()


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("s3cr3t\n", "line break"),
        (" s3cr3t", "spaces"),
        ("s3cr3tø", "not ASCII"),
        ("s3c\x07r3t", "control character"),
        ("", "is empty"),
    ],
)
def test_an_unusable_token_names_its_variable(value: str, words: str) -> None:
    found = problems(
        '[[source]]\nname="x"\nkind="asana"\ntoken="${ASANA_TOKEN}"', {"ASANA_TOKEN": value}
    )
    assert len(found) == 1 and found[0].startswith("source[0].token: the value from $ASANA_TOKEN")
    assert words in found[0] and "s3c" not in found[0]  # never the value itself


def test_literal_secret_is_a_warning_not_a_silent_accept() -> None:
    cfg = parse('[[source]]\nname="x"\nkind="asana"\ntoken="literal-token"')
    assert cfg.sources[0].token == Secret("literal-token")
    assert any("source[0].token" in w and "literal secret" in w for w in cfg.warnings)


def test_invalid_toml_and_missing_file_are_clear(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not valid TOML"):
        parse("[[source]\nname=")
    with pytest.raises(ConfigError, match="nested too deep"):
        parse("x = " + "[" * 100_000 + "]" * 100_000)
    latin = tmp_path / "latin.toml"
    latin.write_bytes('store = "kø.sqlite"\n'.encode("latin-1"))
    with pytest.raises(ConfigError, match="is not UTF-8"):
        load_config(latin)
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "nope.toml")


def test_example_config_documents_every_key_and_parses() -> None:
    example = Path(__file__).resolve().parents[1] / "config.example.toml"
    env = {
        k: "x"
        for k in (
            "TRELLO_KEY",
            "TRELLO_TOKEN",
            "ASANA_TOKEN",
            "MONDAY_TOKEN",
            "SMTP_USER",
            "SMTP_PASSWORD",
            "SLACK_WEBHOOK_URL",
        )
    }
    env["SLACK_WEBHOOK_URL"] = "https://hooks.slack.com/services/T0/B0/x"
    cfg = load_config(example, env=env)
    assert {s.kind for s in cfg.sources} == {"trello", "asana", "monday"}
    assert cfg.warnings == ()
    text = example.read_text(encoding="utf-8")
    keys = all_keys()  # from the settings' declarations and the tools' Kind records
    assert {"from", "requests_per_minute", "api_version", "done_lists", "weights"} <= keys
    for key in MATCH_KEYS:  # match = { group = … }: named in the comment beside it
        assert key in text, f"config.example.toml lacks the match key {key}"
    for table in ("source", "person", "rule", "ignore", "notify"):
        assert f"[[{table}]]" in text, f"config.example.toml lacks [[{table}]]"
    for key in sorted(keys - {"source", "person", "rule", "ignore", "notify", *MATCH_KEYS}):
        table = key in {"checks", "workload", "email", "sync", "history", "roles", "fields"}
        assert (
            (f"[{key}]" in text or f".{key}]" in text)
            if table
            else (f"{key} =" in text or f"{key}=" in text)
        ), f"config.example.toml lacks {key}"


def test_world_readable_config_with_a_literal_secret_warns(tmp_path: Path) -> None:
    path = tmp_path / "raci.toml"
    path.write_text('[[source]]\nname="x"\nkind="asana"\ntoken="literal-token"\n', encoding="utf-8")
    path.chmod(0o644)
    cfg = load_config(path, env={})
    assert any(
        "every user of this machine can read it" in w and "source[0].token" in w
        for w in cfg.warnings
    )
    assert not any("literal-token" in w for w in cfg.warnings)  # the warning never shows it
    path.chmod(0o600)
    assert not any("every user" in w for w in load_config(path, env={}).warnings)
    path.write_text('[[source]]\nname="x"\nkind="asana"\ntoken="${T}"\n', encoding="utf-8")
    path.chmod(0o644)
    assert load_config(path, env={"T": "x"}).warnings == ()  # references only: nothing to warn
