"""`raci fix` end to end against the spec-built fakes of the three tools (PRODUCT §11, §12):
the dry run writes nothing; --apply writes each change in the tool (subtasks too), records it
and puts the task as read back into the store, so the next report shows it; a task changed
since the plan is skipped, saying so; a refused or failing write fails that change only; an
undo puts back what was written, where nobody changed it since."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from raci_sync.config import Config, load_config
from raci_sync.connectors import limits
from raci_sync.fix import (
    FAILED,
    SKIPPED,
    WRITTEN,
    FixOptions,
    FixResult,
    Outcome,
    apply,
    plan,
    undo,
)
from raci_sync.mapping.fixes import Fix, FixPlan
from raci_sync.model import ReportData
from raci_sync.store import Store
from raci_sync.sync import SyncOptions, build_report, sync
from tests.fakes import asana as fake_asana
from tests.fakes import trello as fake_trello
from tests.fakes.server import FakeServer, Reply, Request
from tests.fakes.workspace import Task as WsTask
from tests.fakes.workspace import Team as WsTeam
from tests.fakes.workspace import Workspace
from tests.fakes.writes import FREE, NAMES, fix_config, small_workspace


@dataclass
class Setup:
    """The fakes of all three tools, a config over them with rules and a roster, a store."""

    ws: Workspace
    server: FakeServer
    config: Config
    store: Store

    def fake(self, kind: str) -> Any:
        return self.server.fakes[kind]

    def task(self, fix: Fix) -> WsTask:
        kind = next(k for k, n in NAMES.items() if n == fix.task.source)
        return self.ws.tools[kind].task(fix.task.id)

    def sync(self, full: bool = False) -> None:
        result = sync(self.config, self.store, SyncOptions(full=full, rate_limits=False))
        assert [s.status for s in result.sources] == ["ok"] * 3, result.sources

    def options(self, **kw: Any) -> FixOptions:
        kw.setdefault("rate_limits", False)
        kw.setdefault("sleep", lambda s: None)
        return FixOptions(as_of=date.today(), actor="tester", **kw)

    def plan(self, **kw: Any) -> FixPlan:
        return plan(self.config, self.store, self.options(**kw))

    def apply(self, fix_plan: FixPlan | None = None, **kw: Any) -> FixResult:
        return apply(self.config, self.store, fix_plan or self.plan(), self.options(**kw))

    def report(self) -> ReportData:
        return build_report(self.config, self.store, date.today())


@pytest.fixture
def setup(tmp_path: Path) -> Iterator[Setup]:
    ws = small_workspace()
    with FakeServer(ws) as server, Store(tmp_path / "raci.sqlite") as store:
        path = tmp_path / "raci.toml"
        path.write_text(fix_config(server, ws, tmp_path / "raci.sqlite"), encoding="utf-8")
        s = Setup(ws, server, load_config(path), store)
        s.sync(full=True)
        yield s
        assert server.violations == {"asana": [], "trello": [], "monday": []}
        assert server.errors == []


def outcome(result: FixResult, fix: Fix) -> Outcome:
    [found] = [o for o in result.outcomes if o.of(fix.task, fix.letter)]
    return found


def having(result: FixResult, p: FixPlan, status: str) -> list[Fix]:
    """The plan's changes that ended with ``status``."""
    return [f for f in p.fixes if outcome(result, f).status == status]


def holds(s: Setup, fix: Fix) -> bool:
    """Whether the fake's workspace gives the fix's person its letter on its task."""
    t = s.task(fix)
    index = next(p.index for p in s.ws.people if p.name == fix.person.name)
    return index in t.responsible if fix.letter == "R" else t.accountable == index


def letters(data: ReportData, fix: Fix) -> set[tuple[str, str]]:
    """(letter, person) on the fix's task in a report."""
    return {(a.letter, a.person_name) for a in data.assignments_by_task.get(fix.task.key, ())}


def test_the_dry_run_plans_from_the_store_and_asks_no_tool(setup: Setup) -> None:
    setup.server.reset()
    p = setup.plan()
    assert {f.task.source for f in p.fixes} == set(NAMES.values())
    assert {f.letter for f in p.fixes} == {"R", "A"}
    assert any(f.task.parent_id for f in p.fixes)  # subtasks and subitems are fixed too
    assert sum(setup.server.counts.values()) == 0
    assert not any(holds(setup, f) for f in p.fixes)


def test_apply_writes_every_change_and_the_store_and_report_show_them(setup: Setup) -> None:
    p = setup.plan()
    result = setup.apply(p)
    written = having(result, p, WRITTEN)
    assert not result.failed and len(result.outcomes) == len(p.fixes)
    # what cannot be written is said: an A on a subtask outside the project, a subitem's board
    skipped = having(result, p, SKIPPED)
    assert skipped and all(f.task.parent_id and f.letter == "A" for f in skipped)
    assert all("cannot be written" in outcome(result, f).reason for f in skipped)
    assert {f.task.source for f in written} == set(NAMES.values())
    assert all(holds(setup, f) for f in written)
    assert any(f.task.parent_id for f in written)  # an R on a subtask and on a subitem
    # every change recorded: who, what, before, after, when, in which run
    changes = setup.store.fix_changes(result.run_id)
    assert [c.status for c in changes] == [o.status for o in result.outcomes]
    for c in (c for c in changes if c.status == WRITTEN):
        assert (c.action, c.actor, c.before, c.run_id) == ("set", "tester", (), result.run_id)
        assert c.after and c.target is not None and c.person
    assert setup.store.run_record(result.run_id)[0] == "ok"
    # the next report shows each change, subtasks included, without a sync in between
    data = setup.report()
    for f in written:
        assert (f.letter, f.person.name) in letters(data, f), f.task.title
    # and an incremental sync keeps them (Asana's modified_since misses subtask changes)
    setup.sync()
    data = setup.report()
    assert all((f.letter, f.person.name) in letters(data, f) for f in written)
    left = setup.plan().fixes  # nothing left that can be fixed, but what cannot be written
    assert {(f.task.key, f.letter) for f in left} == {(f.task.key, f.letter) for f in skipped}


def test_a_task_changed_since_the_plan_is_skipped_saying_so(setup: Setup) -> None:
    p = setup.plan()
    victim = next(f for f in p.fixes if f.task.source == "indhold")
    setup.ws.touch("trello", victim.task.id, title="Renamed in Trello meanwhile")
    result = setup.apply(p)
    by_task = [outcome(result, f) for f in p.fixes if f.task == victim.task]
    assert {o.status for o in by_task} == {SKIPPED}
    assert "it changed in Trello since the snapshot the plan was made from" in by_task[0].reason
    assert "run `raci sync`, then `raci fix` again" in by_task[0].reason
    assert not holds(setup, victim)
    assert len(result.having(WRITTEN)) > 0 and not result.failed


def test_a_role_someone_filled_since_is_never_overwritten(setup: Setup) -> None:
    p = setup.plan()
    victim = next(
        f for f in p.fixes if f.task.source == "events" and f.letter == "A" and not f.task.parent_id
    )
    setup.ws.touch("monday", victim.task.id, accountable=0)
    result = setup.apply(p)
    said = outcome(result, victim)
    assert said.status == SKIPPED and "changed in monday.com" in said.reason
    assert setup.ws.monday.task(victim.task.id).accountable == 0


def test_one_failing_task_does_not_stop_the_others(setup: Setup) -> None:
    p = setup.plan()
    victim = next(f for f in p.fixes if f.task.source == "kampagner" and not f.task.parent_id)
    fail = Reply(400, {"errors": [{"message": "custom_fields: invalid", "help": "…"}]})
    setup.server.fault = lambda req: (
        fail if req.method == "PUT" and req.path == f"/tasks/{victim.task.id}" else None
    )
    result = setup.apply(p)
    failed = result.having(FAILED)
    assert failed and all(victim.task.title in o.change for o in failed)
    assert "answered 400" in failed[0].reason
    assert len(result.having(WRITTEN)) == len(p.fixes) - len(failed) - len(result.having(SKIPPED))
    assert setup.store.run_record(result.run_id)[0] == "partial"
    others = [f for f in p.fixes if f.task.source != "kampagner"]
    assert others and sum(holds(setup, f) for f in others) > 0


def test_a_write_whose_read_back_fails_is_recorded_as_written_and_undone(setup: Setup) -> None:
    p = setup.plan(only=("indhold",))
    victim = next(f for f in p.fixes if f.letter == "A")
    card = f"/cards/{victim.task.id}"
    reads = [0]

    def fault(req: Request) -> Reply | None:
        if req.method == "GET" and req.path == card:
            reads[0] += 1
            if reads[0] > 1:  # the read before the write passes; the read back after it fails
                return Reply(503, {"message": "unavailable"})
        return None

    setup.server.fault = fault
    result = setup.apply(replace(p, fixes=(victim,)))
    said = outcome(result, victim)
    assert holds(setup, victim)  # Trello took the write ...
    assert said.status == WRITTEN and "reading it back failed" in said.reason  # ... and it says so
    assert not result.failed
    [change] = setup.store.fix_changes(result.run_id)
    assert change.status == WRITTEN and change.target is not None and change.after
    setup.server.fault = None
    back = undo(setup.config, setup.store, result.run_id, setup.options())
    assert [o.status for o in back.outcomes] == [WRITTEN], back.outcomes
    assert not holds(setup, victim)


def _is_write(kind: str, req: Request) -> bool:
    if kind != "monday":
        return req.method != "GET"
    query = req.body.get("query", "") if isinstance(req.body, dict) else ""
    return "change_multiple_column_values" in query


@pytest.mark.parametrize("kind", ["asana", "monday"])
def test_a_write_answered_with_a_cut_off_body_is_checked_by_reading_again(
    setup: Setup, kind: str
) -> None:
    p = setup.plan(only=(NAMES[kind],))
    victim = next(f for f in p.fixes if f.letter == "R" and not f.task.parent_id)
    cut = Reply(status=None, truncate=12)  # the tool took it; its answer stops mid-way
    setup.server.fault = lambda req: cut if req.api == kind and _is_write(kind, req) else None
    result = setup.apply(replace(p, fixes=(victim,)))
    said = outcome(result, victim)
    assert holds(setup, victim)
    assert said.status == WRITTEN, said.reason
    [change] = setup.store.fix_changes(result.run_id)
    assert change.status == WRITTEN and change.after and change.target is not None


def test_a_write_answered_with_a_cut_off_body_that_did_not_happen_fails(setup: Setup) -> None:
    p = setup.plan(only=("kampagner",))
    victim = next(f for f in p.fixes if f.letter == "R" and not f.task.parent_id)
    # a 200 with a broken body, and the write not done (the fake never sees it)
    setup.server.fault = lambda req: (
        Reply(200, b'{"data": {') if req.api == "asana" and req.method == "PUT" else None
    )
    result = setup.apply(replace(p, fixes=(victim,)))
    said = outcome(result, victim)
    assert not holds(setup, victim)
    assert said.status == FAILED and "not valid JSON" in said.reason


@pytest.mark.parametrize(
    ("kind", "said"),
    [
        ("asana", "'tasks:write' scope"),
        ("trello", "scope=read,write"),
        ("monday", "'boards:write' scope"),
    ],
)
def test_a_token_without_write_access_is_told_what_it_lacks(
    setup: Setup, kind: str, said: str
) -> None:
    setup.fake(kind).read_only = True
    result = setup.apply(setup.plan(only=(NAMES[kind],)))
    failed = result.having(FAILED)
    assert failed and len(failed) + len(result.having(SKIPPED)) == len(result.outcomes)
    assert all(said in o.reason and "Nothing was changed" in o.reason for o in failed)
    for secret in (fake_asana.TOKEN, fake_trello.KEY, fake_trello.TOKEN):
        assert all(secret not in o.reason for o in failed)


@pytest.mark.parametrize(
    ("kind", "said"),
    [
        ("asana", "'tasks:write' scope"),
        ("trello", "scope=read,write"),
        ("monday", "'boards:write' scope"),
    ],
)
def test_a_write_refused_with_403_names_the_scope_it_needs(
    setup: Setup, kind: str, said: str
) -> None:
    p = setup.plan(only=(NAMES[kind],))
    victim = next(f for f in p.fixes if f.letter == "R" and not f.task.parent_id)
    body: Any = {"errors": [{"message": "Forbidden"}]} if kind != "trello" else b"forbidden"
    setup.server.fault = lambda req: (
        Reply(403, body) if req.api == kind and _is_write(kind, req) else None
    )
    result = setup.apply(replace(p, fixes=(victim,)))
    failed = outcome(result, victim)
    assert failed.status == FAILED and said in failed.reason, failed.reason
    assert "scope=read&" not in failed.reason  # never the read-only token's recipe
    assert not holds(setup, victim)


@pytest.mark.parametrize("kind", ["asana", "trello"])
def test_a_write_answered_429_waits_as_asked_within_max_wait(setup: Setup, kind: str) -> None:
    p = setup.plan(only=(NAMES[kind],))
    first, second = [f for f in p.fixes if f.letter == "R" and not f.task.parent_id][:2]
    asked = {first.task.id: "7", second.task.id: "100000"}  # the second: past max_wait_s
    answered: set[str] = set()

    def fault(req: Request) -> Reply | None:
        if req.api != kind or not _is_write(kind, req):
            return None
        task = next(t for t in asked if t in req.path)
        if task == second.task.id or task not in answered:
            answered.add(task)
            return Reply(429, {"errors": [{"message": "slow down"}]}, {"Retry-After": asked[task]})
        return None

    slept: list[float] = []
    setup.server.fault = fault
    result = setup.apply(replace(p, fixes=(first, second)), sleep=slept.append)
    assert outcome(result, first).status == WRITTEN and holds(setup, first)
    assert 7 in slept and max(slept) < 1000
    late = outcome(result, second)
    assert late.status == FAILED and "max_wait_s" in late.reason and not holds(setup, second)


def test_time_spent_confirming_does_not_count_against_the_deadline(
    setup: Setup, tmp_path: Path
) -> None:
    path = tmp_path / "short.toml"
    text = fix_config(setup.server, setup.ws, tmp_path / "raci.sqlite")
    path.write_text(text + "[sync]\nsource_deadline_s = 1\n", encoding="utf-8")
    config = load_config(path)
    p = plan(config, setup.store, setup.options(only=("indhold",)))
    fixes = p.fixes[:3]

    def slow_person(_text: str) -> bool:
        time.sleep(0.6)  # three answers: longer than the source's whole deadline
        return True

    opts = setup.options(confirm=slow_person)
    result = apply(config, setup.store, replace(p, fixes=fixes), opts)
    assert [o.status for o in result.outcomes] == [WRITTEN] * 3, [o.reason for o in result.outcomes]


def test_a_people_column_holding_only_a_team_without_members_is_never_overwritten(
    setup: Setup,
) -> None:
    victim = next(
        f for f in setup.plan(only=("events",)).fixes if f.letter == "R" and not f.task.parent_id
    )
    setup.ws.teams.append(WsTeam("990001", "Nattevagt", ()))  # a team nobody is in (yet)
    setup.ws.touch("monday", victim.task.id, team="990001")
    setup.sync()  # the snapshot has the team: a column with no account in it, but not empty
    p = setup.plan(only=("events",))
    again = next(f for f in p.fixes if f.task.id == victim.task.id and f.letter == "R")
    result = setup.apply(replace(p, fixes=(again,)))
    said = outcome(result, again)
    assert said.status == SKIPPED and "Nattevagt" in said.reason, said.reason
    assert setup.ws.monday.task(victim.task.id).team == "990001"


def test_undo_puts_back_what_nobody_changed_since(setup: Setup) -> None:
    p = setup.plan(only=("indhold",))
    applied = setup.apply(p)
    written = having(applied, p, WRITTEN)
    touched = next(f for f in written if f.letter == "A")
    other = setup.ws.people[5].index
    setup.ws.touch("trello", touched.task.id, accountable=other)  # someone changed it since
    result = undo(setup.config, setup.store, applied.run_id, setup.options())
    assert not result.failed
    [kept] = result.having(SKIPPED)
    assert "somebody changed it since" in kept.reason
    assert setup.ws.trello.task(touched.task.id).accountable == other
    assert not any(holds(setup, f) for f in written)
    assert len(result.having(WRITTEN)) == len(written) - 1
    rows = [c for c in setup.store.fix_changes(result.run_id) if c.status == WRITTEN]
    assert all(c.action == "undo" and c.undoes is not None and c.after == () for c in rows)
    again = undo(setup.config, setup.store, applied.run_id, setup.options())
    reasons = sorted("undid it already" in o.reason for o in again.having(SKIPPED))
    assert reasons == [False] + [True] * (len(written) - 1)  # the changed one: still left
    assert again.having(WRITTEN) == again.having(FAILED) == ()


def test_a_change_not_confirmed_is_not_written(setup: Setup) -> None:
    p = setup.plan(only=("indhold",))
    asked: list[str] = []

    def confirm(text: str) -> bool:
        asked.append(text)
        return len(asked) % 2 == 1

    result = setup.apply(p, confirm=confirm)
    assert asked[0].startswith("set ") and "(Trello card " in asked[0]
    assert [o.status for o in result.outcomes[:2]] == [WRITTEN, SKIPPED]
    assert result.outcomes[1].reason == "not confirmed"


def test_writes_go_through_the_connector_s_rate_limiter(setup: Setup) -> None:
    p = setup.plan(only=("indhold",))
    limits._REGISTRY.clear()
    seen: list[Request] = []
    setup.server.fault = lambda req: seen.append(req)  # type: ignore[func-returns-value]
    setup.apply(p, rate_limits=True)
    [limiter] = limits._REGISTRY.values()
    assert (limiter.limit, limiter.window) == (100, 10.0)  # Trello's 100 requests per 10 s
    assert len(limiter._stamps) == len(seen) > len(p.fixes)


def test_the_plan_counts_its_own_changes(setup: Setup) -> None:
    """With little capacity left the suggestions run out: each change counts for the next
    choice, and nobody is given a task once at or over capacity."""
    load = {w.person: w.load for w in setup.report().workload}
    tight = replace(
        setup.config,
        people=tuple(
            replace(p, capacity=load[p.name] + 2) if p.capacity == FREE else p
            for p in setup.config.people
        ),
    )
    p = plan(tight, setup.store, setup.options())
    room = {name: 2.0 for name in load}
    for f in p.fixes:
        assert f.free == pytest.approx(room[f.person.name]) and f.free > 0
        room[f.person.name] -= f.load
    assert p.fixes and any(n.reason.startswith("nobody suggested has free") for n in p.unfixable)
