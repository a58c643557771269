"""[[ignore]] (PRODUCT §10, §12): findings left out by task, match or account; counted and
listed, never dropped; an ignore that matches nothing is said."""

from __future__ import annotations

from datetime import date

import pytest

from raci_sync.config import IgnoreConfig, parse_config
from raci_sync.errors import ConfigError
from raci_sync.mapping import evaluate
from raci_sync.model import Task
from tests.mapping import TODAY, TRELLO_ACCOUNTS, config, trello_task

METTE = "Mette Sørensen"


def run(
    tasks: list[Task], *ignores: IgnoreConfig
) -> tuple[set[tuple[str, str]], list[int], tuple[str, ...]]:
    ev = evaluate(tasks, TRELLO_ACCOUNTS, config(ignores=ignores), TODAY)
    kept = {(f.check, f.task_id or f.person or "") for f in ev.findings}
    return kept, [i.rule for i in ev.ignored], ev.notes


def test_by_task_id_or_url_and_only_some_checks() -> None:
    tasks = [
        trello_task("1", url="https://trello.com/c/abc1"),  # no owner
        trello_task("2", r=("t-anders",)),  # no accountable
    ]
    kept, rules, notes = run(tasks, IgnoreConfig(task="https://trello.com/c/abc1/"))
    assert ("no-owner", "1") not in kept and ("no-accountable", "2") in kept
    assert rules == [0] and notes == ()
    kept, rules, _ = run(tasks, IgnoreConfig(task="2", checks=("no-owner",)))
    assert ("no-accountable", "2") in kept and rules == []  # a check it does not name


def test_by_match_and_until() -> None:
    tasks = [trello_task("1", group="Arkiv"), trello_task("2", group="I gang")]
    ig = IgnoreConfig(match={"group": "arkiv"}, until=date(2026, 12, 6))
    kept, rules, _ = run(tasks, ig)
    assert ("no-owner", "1") in kept and rules == []  # until the day before: over
    kept, rules, _ = run(tasks, IgnoreConfig(match={"group": "arkiv"}, until=TODAY))
    assert ("no-owner", "1") not in kept and ("no-owner", "2") in kept and rules == [0]


def test_by_account_silences_only_findings_about_it() -> None:
    """The freelancer everyone knows about: unmatched, but still owning the task."""
    tasks = [trello_task("1", r=("t-kasper",), a=(METTE,))]
    kept, rules, _ = run(tasks)
    assert ("unmatched-person", "Kasper Vinther") in kept
    kept, rules, _ = run(tasks, IgnoreConfig(account="trello:kasperfoto"))
    assert ("unmatched-person", "Kasper Vinther") not in kept and rules == [0]
    assert ("no-responsible", "1") not in kept  # he still is the R of the task


def test_an_ignore_that_matches_nothing_is_said() -> None:
    tasks = [trello_task("1", r=("t-anders",), a=(METTE,))]
    _, _, notes = run(
        tasks,
        IgnoreConfig(task="nope"),
        IgnoreConfig(account="trello:nobody"),
        IgnoreConfig(match={"group": "I gang"}),  # matches no task
    )
    assert len(notes) == 3 and notes[0].startswith("[[ignore]] #1 (task = 'nope') matches no")


def test_ignores_are_read_and_checked_in_the_config() -> None:
    cfg = parse_config(
        '[[ignore]]\ntask = "abc"\nchecks = ["no-owner"]\nuntil = 2027-01-31\n'
        '[[ignore]]\naccount = "trello:kasperfoto"\nreason = "freelancer"\n'
    )
    assert cfg.ignores[0] == IgnoreConfig(task="abc", checks=("no-owner",), until=date(2027, 1, 31))
    assert cfg.ignores[1].account == "trello:kasperfoto"
    with pytest.raises(ConfigError) as info:
        parse_config(
            '[[ignore]]\ntask = "a"\naccount = "trello:x"\n'
            '[[ignore]]\nchecks = ["no-owners"]\nmatch = { grop = "x" }\n'
            '[[ignore]]\naccount = "jira:x"\n'
        )
    found = "\n".join(info.value.problems)
    assert "ignore[0]: must name exactly one of task, match or account (task and account" in found
    assert "ignore[1].checks[0]: unknown check id 'no-owners'; did you mean 'no-owner'?" in found
    assert "ignore[1].match.grop: unknown key; did you mean 'group'?" in found
    assert "ignore[2].account: 'jira:x' must look like" in found
