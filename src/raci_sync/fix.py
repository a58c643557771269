"""`raci fix`: the changes that resolve ownership findings — shown, written in the tools, and
undone (PRODUCT §11, §12 "Suggestions and fixes").

The plan comes from the store (``mapping.fixes``: capacity-aware, counting its own changes).
Writing it, task by task: confirm (unless ``--yes``), read the task again from its tool, skip it
— saying so — when it changed since the snapshot the plan was made from or its letter is held
now, write (the connector's :class:`~raci_sync.connectors.writes.Writer`), and keep the change
in the store with what the field held before and after. A failure on one task never stops the
others. The tasks written are read back and put into their source's current snapshot in one
transaction per source, so the store and the next report show every change — subtasks too.
An undo puts back what one apply wrote, where the field still holds it.

Nothing here names a tool: how each one writes is its connector's business.
"""

from __future__ import annotations

import getpass
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from raci_sync import interrupt
from raci_sync.config import Config, SourceConfig
from raci_sync.connectors import KINDS
from raci_sync.connectors.base import make_connector, make_http
from raci_sync.connectors.http import HttpClient
from raci_sync.connectors.writes import (
    Changed,
    NotWritable,
    Occupied,
    Target,
    Who,
    Writer,
    Written,
)
from raci_sync.errors import RaciError, SourceError, StoreError
from raci_sync.interrupt import Interrupted
from raci_sync.mapping.checks import LETTER_NAMES
from raci_sync.mapping.fixes import Fix, FixPlan, NoFix, plan_fixes
from raci_sync.mapping.roles import fields_for_ref, roles_for
from raci_sync.model import Snapshot, Task
from raci_sync.store import FixChange, Store
from raci_sync.sync import Mount, current_snapshots, now_in

log = logging.getLogger("raci_sync.fix")
WRITTEN, SKIPPED, FAILED = "written", "skipped", "failed"


class NothingToUndo(RaciError):
    """``--undo RUN`` names a run that wrote nothing in the tools (a usage error)."""


@dataclass
class FixOptions:
    """How `raci fix` runs; the defaults write without asking (``--yes``)."""

    only: Sequence[str] = ()  # source names; empty = all
    as_of: date | None = None  # the workload window's first day; default today
    confirm: Callable[[str], bool] | None = None  # asked per change; None: every one goes ahead
    said: Callable[[Outcome], None] | None = None  # told each outcome as it happens
    actor: str = field(default_factory=lambda: _actor())
    mount: Mount | None = None  # a transport hook (tests)
    sleep: Callable[[float], None] | None = None
    rate_limits: bool = True


@dataclass(frozen=True)
class Outcome:
    """What became of one change: written, skipped (and why) or failed (and why)."""

    action: str  # set | undo
    status: str  # written | skipped | failed
    change: str  # the change in words: "set Accountable = … on '…' (Trello card …)"
    source: str
    reason: str = ""
    record: int | None = None  # its row in the store
    task_id: str = ""
    letter: str = ""

    def of(self, task: Task, letter: str) -> bool:
        """Whether this is the outcome of giving ``letter`` on ``task``."""
        return (self.source, self.task_id, self.letter) == (task.source, task.id, letter)


@dataclass(frozen=True)
class FixResult:
    """What an apply or an undo did; ``run_id`` is its run in the store."""

    run_id: int
    outcomes: tuple[Outcome, ...]

    def having(self, status: str) -> tuple[Outcome, ...]:
        return tuple(o for o in self.outcomes if o.status == status)

    @property
    def failed(self) -> bool:
        """True when a write failed in a tool (exit 3: that source failed)."""
        return bool(self.having(FAILED))


# -- the plan ------------------------------------------------------------------------------------


def plan(config: Config, store: Store, options: FixOptions | None = None) -> FixPlan:
    """The changes that would resolve the ownership findings of the stored snapshots."""
    opts = options or FixOptions()
    snapshots = current_snapshots(config, store)
    tasks = [t for snap in snapshots.values() for t in snap.tasks]
    accounts = [a for snap in snapshots.values() for a in snap.accounts]
    as_of = opts.as_of or now_in(config).date()
    return plan_fixes(tasks, accounts, config, as_of, sources=opts.only)


def describe_fix(fix: Fix, kinds: Mapping[str, str]) -> str:
    """``set Accountable = Mette Sørensen on 'Skriv nyhedsbrev' (Trello card 5f1… in board
    'Indhold & SoMe')``."""
    return (
        f"set {LETTER_NAMES[fix.letter]} = {fix.person.name} on {fix.task.title!r} "
        f"({where(fix.task, kinds.get(fix.task.source))})"
    )


def describe_nofix(nofix: NoFix, kinds: Mapping[str, str]) -> str:
    """``'Skriv nyhedsbrev' (Trello card …): no Accountable: no [[rule]] suggests one``."""
    return (
        f"{nofix.task.title!r} ({where(nofix.task, kinds.get(nofix.task.source))}): "
        f"no {LETTER_NAMES[nofix.letter]}: {nofix.reason}"
    )


def where(task: Task, kind: str | None) -> str:
    """``Trello card 5f1… in board 'Indhold & SoMe'``, a subtask ``Asana task 12, a subtask
    of 11, in project 'Kampagner'``; the source's name where its kind is unknown."""
    known = KINDS.get(kind or "")
    if known is None:
        return f"task {task.id} of source {task.source!r}"
    text = f"{known.title} {known.item} {task.id}"
    if task.parent_id:
        text += f", a sub{known.item} of {task.parent_id},"
    if task.container:
        text += f" in {known.container} {task.container!r}"
    return text


# -- writing the plan ------------------------------------------------------------------------------


def apply(config: Config, store: Store, fix_plan: FixPlan, options: FixOptions) -> FixResult:
    """Write the plan's changes in the tools, source by source, each task read again first."""
    by_source: dict[str, list[Fix]] = {}
    for fix in fix_plan.fixes:
        by_source.setdefault(fix.task.source, []).append(fix)
    sources = [config.source(name) for name in by_source]
    config.require_secrets(sources)
    run_id = store.begin_run(now_in(config))
    outcomes: list[Outcome] = []
    try:
        for source in sources:
            with _Session(config, store, source, run_id, options) as session:
                for fix in by_source[source.name]:
                    outcomes.append(session.tell(session.set(fix)))
    except BaseException as exc:  # a signal, or the person answering Ctrl-C to a question
        _finish(config, store, run_id, outcomes, _why(exc))
        raise
    _finish(config, store, run_id, outcomes)
    return FixResult(run_id, tuple(outcomes))


def undo(config: Config, store: Store, run_id: int, options: FixOptions) -> FixResult:
    """Put back what run ``run_id`` wrote, where nobody changed it since."""
    status, _ = store.run_record(run_id)  # StoreError when there is no such run
    recorded = store.fix_changes(run_id)
    written = [c for c in recorded if c.action == "set" and c.status == WRITTEN]
    if not written and any(c.action == "undo" and c.status == WRITTEN for c in recorded):
        raise NothingToUndo(
            f"run {run_id} was an undo: it put back what an earlier run wrote, and an undo is "
            "not undone; `raci fix` shows what would be written again, `raci fix --apply` "
            "writes it"
        )
    if not written:
        raise NothingToUndo(
            f"run {run_id} ({status}) wrote nothing in the tools, so there is nothing to undo; "
            "`raci fix --apply` names the run of its changes at the end"
        )
    undone = store.fixes_undone([c.id for c in written if c.id is not None])
    names = {s.name for s in config.sources}
    by_source: dict[str, list[FixChange]] = {}
    for change in written:
        by_source.setdefault(change.source, []).append(change)
    sources = [config.source(name) for name in by_source if name in names]
    config.require_secrets(sources)
    new_run = store.begin_run(now_in(config))
    outcomes: list[Outcome] = []
    try:
        for name, changes in by_source.items():
            if name not in names:
                outcomes += [_gone_source(c) for c in changes]
                continue
            with _Session(config, store, config.source(name), new_run, options) as session:
                for change in changes:
                    outcomes.append(session.tell(session.restore(change, undone)))
    except BaseException as exc:
        _finish(config, store, new_run, outcomes, _why(exc))
        raise
    _finish(config, store, new_run, outcomes)
    return FixResult(new_run, tuple(outcomes))


def _finish(
    config: Config, store: Store, run_id: int, outcomes: Sequence[Outcome], why: str = ""
) -> None:
    failed = sum(o.status == FAILED for o in outcomes)
    status = "interrupted" if why else "ok" if not failed else "partial"
    if failed and failed == len(outcomes):
        status = "failed"
    try:
        store.finish_run(run_id, now_in(config), status, why or None)
    except StoreError:
        log.warning("the run record could not say how raci fix ended: %s", why or status)


def _why(exc: BaseException) -> str:
    """Why a run of raci fix ended early, for its run record."""
    if isinstance(exc, Interrupted):
        return str(exc)
    return f"stopped before its end: {type(exc).__name__}{f': {exc}' if str(exc) else ''}"


def _gone_source(change: FixChange) -> Outcome:
    return Outcome(
        "undo",
        SKIPPED,
        _undo_text(change),
        change.source,
        f"source {change.source!r} is no longer in the config, so its tool cannot be asked",
        task_id=change.task_id,
        letter=change.letter,
    )


def _undo_text(change: FixChange) -> str:
    letter = LETTER_NAMES.get(change.letter, change.letter)
    return f"take {letter} = {change.person or ', '.join(change.after)} off {change.task!r}"


class _Session:
    """One source's writes in one run: its connector, its stored snapshot, the tasks written
    (read back), stored into the snapshot when the session ends."""

    def __init__(
        self, config: Config, store: Store, source: SourceConfig, run_id: int, opts: FixOptions
    ) -> None:
        self.config = config
        self.store = store
        self.source = source
        self.run_id = run_id
        self.opts = opts
        self.snapshot: Snapshot | None = current_snapshots(config, store).get(source.name)
        self.stored = {t.id: t for t in (self.snapshot.tasks if self.snapshot else ())}
        self.http: HttpClient = make_http(
            source, mount=opts.mount, sleep=opts.sleep, rate_limits=opts.rate_limits
        )
        connector = make_connector(source, self.http)
        self.writer: Writer | None = connector if isinstance(connector, Writer) else None
        self.seen: dict[str, Task] = {}  # the latest version of each task this session read
        self.written: dict[str, Task] = {}  # tasks written, as read back after the write
        self.roles = roles_for(source.kind, source.roles)

    def __enter__(self) -> _Session:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.written:
            self.store.update_current_tasks(self.source.name, list(self.written.values()))

    def tell(self, outcome: Outcome) -> Outcome:
        if self.opts.said is not None:
            self.opts.said(outcome)
        return outcome

    # -- one change ----------------------------------------------------------------------------

    def set(self, fix: Fix) -> Outcome:
        """Confirm, read again, check, write and record one planned change."""
        text = describe_fix(fix, {self.source.name: self.source.kind})
        record = self._recorder("set", fix.task, fix.letter, fix.person.name)
        if not self._confirmed(text):
            return record(text, SKIPPED, "not confirmed")
        if self.writer is None:
            return record(text, FAILED, self._cannot_write())
        base = self.written.get(fix.task.id, fix.task)  # after this run's own write, if any
        try:
            fresh = self._read(base)
        except SourceError as exc:
            return record(text, FAILED, self.http.scrub(str(exc)))
        if (changed := self._changed(base, fresh)) is not None:
            return record(text, SKIPPED, changed)
        if held := self._holders(fresh, fix.letter):
            return record(
                text, SKIPPED, f"it has a {LETTER_NAMES[fix.letter]} now ({', '.join(held)})"
            )
        names = (fix.person.name, *(n for n in (fix.account.name, fix.account.username) if n))
        try:
            done = self.writer.set_role(fresh, fix.letter, Who(fix.account.id, names))
        except (NotWritable, Occupied) as exc:
            return record(text, SKIPPED, self.http.scrub(str(exc)))
        except SourceError as exc:
            return record(text, FAILED, self.http.scrub(str(exc)))
        except Interrupted:
            record(text, FAILED, self._cut_off())
            raise
        return self._keep(done, record, text)

    def restore(self, change: FixChange, undone: Mapping[int, int]) -> Outcome:
        """Confirm, read again and put back one written change, where it still holds."""
        text = _undo_text(change)
        record = self._recorder("undo", None, change.letter, change.person, change)
        if change.id is not None and change.id in undone:
            return record(text, SKIPPED, f"run {undone[change.id]} undid it already")
        if not self._confirmed(f"undo: {text}"):
            return record(text, SKIPPED, "not confirmed")
        stored = self.seen.get(change.task_id) or self.stored.get(change.task_id)
        if stored is None:
            return record(text, SKIPPED, "the task is no longer in the store's snapshot of "
                          f"source {self.source.name!r}; run `raci sync` first")  # fmt: skip
        if self.writer is None or change.target is None:
            return record(text, FAILED, self._cannot_write())
        try:
            fresh = self._read(stored)
            target = Target(**change.target)
            done = self.writer.restore_role(fresh, target, change.before, change.after)
        except Changed as exc:
            return record(text, SKIPPED, self.http.scrub(str(exc)))
        except SourceError as exc:
            return record(text, FAILED, self.http.scrub(str(exc)))
        except Interrupted:
            record(text, FAILED, self._cut_off())
            raise
        return self._keep(done, record, text)

    # -- helpers ---------------------------------------------------------------------------------

    def _confirmed(self, text: str) -> bool:
        """Whether the change goes ahead; the time the person takes to answer is not counted
        against the source's deadline ([sync] source_deadline_s bounds the tool, not them)."""
        if self.opts.confirm is None:
            return True
        asked = self.http.clock()
        try:
            return self.opts.confirm(text)
        finally:
            self.http.not_counting(asked)

    def _read(self, task: Task) -> Task:
        assert self.writer is not None
        if interrupt.STOP.is_set():
            raise SourceError(f"source {self.source.name!r}: interrupted; nothing more is written")
        fresh = self.writer.read_task(task, self.snapshot)
        self.seen[task.id] = fresh
        return fresh

    def _keep(self, done: Written, record: _Record, text: str) -> Outcome:
        if done.unread:  # written, but not read back: the store keeps its version until a sync
            self.seen.pop(done.task.id, None)
            reason = (
                f"written, but reading it back failed ({self.http.scrub(done.unread)}); the "
                "store shows it after the next `raci sync`"
            )
            return record(text, WRITTEN, reason, done)
        self.seen[done.task.id] = done.task
        self.written[done.task.id] = done.task
        return record(text, WRITTEN, "", done)

    def _changed(self, base: Task, fresh: Task) -> str | None:
        """Why ``fresh`` is not the task the plan was made from, or None when it is the same."""
        tool = KINDS[self.source.kind].title if self.source.kind in KINDS else self.source.kind
        if base.updated is not None and fresh.updated is not None:
            if fresh.updated == base.updated:
                return None
            return (
                f"it changed in {tool} since the snapshot the plan was made from (last change "
                f"{fresh.updated:%Y-%m-%d %H:%M %Z}, the snapshot has "
                f"{base.updated:%Y-%m-%d %H:%M %Z}); run `raci sync`, then `raci fix` again"
            )
        if (base.title, base.state, base.fields) == (fresh.title, fresh.state, fresh.fields):
            return None
        return (
            f"it changed in {tool} since the snapshot the plan was made from; run `raci sync`, "
            "then `raci fix` again"
        )

    def _holders(self, task: Task, letter: str) -> list[str]:
        """Whoever the task's own fields give ``letter`` (account ids or names)."""
        return [
            who
            for ref in self.roles.get(letter, ())
            for value in fields_for_ref(task, ref, self.roles)
            for who in (*value.accounts, *value.names)
        ]

    def _cut_off(self) -> str:
        """Why a change interrupted while being written is recorded: its answer never came."""
        tool = KINDS[self.source.kind].title if self.source.kind in KINDS else self.source.kind
        return (
            f"interrupted while it was being written: {tool} may or may not have taken it; "
            "`raci sync`, then `raci fix`, shows which"
        )

    def _cannot_write(self) -> str:
        return f"raci fix cannot write to {self.source.kind} sources (their connector cannot)"

    def _recorder(
        self,
        action: str,
        task: Task | None,
        letter: str,
        person: str | None,
        change: FixChange | None = None,
    ) -> _Record:
        """How one change is kept in the store, whatever became of it."""

        def record(text: str, status: str, reason: str, done: Written | None = None) -> Outcome:
            target = done.target if done is not None else None
            entry = FixChange(
                run_id=self.run_id,
                action=action,
                status=status,
                source=self.source.name,
                kind=self.source.kind,
                task_id=task.id if task else change.task_id if change else "",
                task=task.title if task else change.task if change else "",
                letter=letter,
                person=person,
                actor=self.opts.actor,
                at=now_in(self.config),
                target=None if target is None else _target_dict(target),
                before=done.before if done else (),
                after=done.after if done else (),
                reason=reason or None,
                undoes=change.id if change else None,
            )
            ident = self.store.record_fix(entry)
            return Outcome(
                action, status, text, self.source.name, reason, ident, entry.task_id, letter
            )

        return record


_Record = Callable[..., Outcome]


def _target_dict(target: Target) -> dict[str, str | None]:
    return {
        "ref": target.ref,
        "key": target.key,
        "id": target.id,
        "title": target.title,
        "type": target.type,
    }


def _actor() -> str:
    """Who runs raci fix, as the store records it: the login name."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name (a container without a passwd entry)
        return "unknown"


def summary(result: FixResult, action: str = "set") -> Iterable[str]:
    """The closing lines: how many were written, skipped and failed, and how to undo."""
    written, skipped, failed = (len(result.having(s)) for s in (WRITTEN, SKIPPED, FAILED))
    verb = "written" if action == "set" else "put back"
    yield f"{written} {verb}, {skipped} skipped, {failed} failed (run {result.run_id})"
    if written and action == "set":
        yield f"`raci fix --undo {result.run_id}` puts back what this run wrote"
