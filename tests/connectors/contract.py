"""The connector contract: what every connector does, run against its fake API (tests/fakes).

:class:`ConnectorContract` holds the tests; each tool's test module subclasses it once, names the
kind and says how to build its :class:`~tests.fakes.world.World` (the fake API on a local server
and the workspace it serves)::

    class TestAsanaContract(ConnectorContract):
        kind = "asana"

        def world(self, size: str) -> World:
            return tool_world("asana", size)

pytest collects the subclasses, never this class itself (its name does not start with
``Test``). The tests cover:

- **listing**: a full read returns exactly the fake workspace's tasks (state, parent, container,
  R, A, effort) and accounts, each task once;
- **paging**: containers larger than one page cost the documented requests, no more;
- **incremental**: an unchanged workspace costs the documented requests and changes nothing; a
  changed task is seen; a snapshot without the connector's state is read in full;
- **faults**: a 429 is waited out as the API's own signal asks; a server error that does not end
  fails the read after five tries; a body cut off once is asked again (issue 10), one cut off
  every time fails the read; a revoked token is an AuthError, never retried; a failed read
  raises, it never returns part of a snapshot;
- **complete or failed** (PRODUCT §9): a listing whose pages do not advance, or that runs past
  ``[sync] max_pages``, fails the source and keeps its last good snapshot;
- **references**: a field reference the config wrote that the tool lacks (or has with the
  wrong type) fails the source at a full and at an incremental read, every problem at once,
  the snapshot kept; ``check_scope()`` names the token's user, the containers and their
  fields, and lists every problem (a misspelt container among them) at once;
- **the spec contract**: the fake, built from the vendor's spec, records no request the spec
  does not allow (beyond the gaps the world declares).

The trust tests drive the fake through the world's hooks (``World.repeat_pages`` …). A world
implements every hook and a connector every method of the seam (``check_scope`` too): one that
lacks any fails the test that needs it — nothing here is ever skipped.

The listing and incremental tests go through ``sync()`` and the store, as a scheduled run does:
the connector's ``Snapshot.state`` must survive the store for the next incremental read.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

import pytest

from raci_sync.connectors.base import Connector, make_connector, make_http
from raci_sync.errors import (
    AuthError,
    NotFoundError,
    ResponseError,
    RetryableError,
    SourceError,
)
from raci_sync.model import Snapshot
from raci_sync.store import Store
from raci_sync.store.sqlite import StoredSnapshot
from tests.fakes.faults import Counted, same_request
from tests.fakes.server import Reply, fail_first, fail_from
from tests.fakes.world import CHANGED_TITLE, World, sync_once, sync_outcome

ATTEMPTS = 5  # RetryPolicy.attempts: tries of one request before the read gives up
WORKERS = 4  # the default [sync] max_workers


def connect(
    world: World, *, max_workers: int = WORKERS, **changes: Any
) -> tuple[Connector, list[float]]:
    """A connector over the world's fake (through ``make_connector``, as a sync builds it), and
    the waits it asks for instead of sleeping."""
    src = world.source(**changes)
    waits: list[float] = []
    http = make_http(src, sleep=waits.append, rate_limits=False)
    return make_connector(src, http, max_workers=max_workers), waits


def read(world: World, **kw: Any) -> Snapshot:
    """A full read by a new connector."""
    return connect(world, **kw)[0].fetch()


def stored(world: World, store: Store) -> StoredSnapshot:
    """The source's current snapshot in the store."""
    snap = store.current_snapshot(world.source().name)
    assert snap is not None
    return snap


def hooked(world: World, hook: str, *args: Any) -> Any:
    """What a world's hook (``World.repeat_pages`` …) returns; the test fails when the world
    lacks it, or raises NotImplementedError: every world implements every hook."""
    method = getattr(world, hook, None)
    if method is None:
        pytest.fail(f"{type(world).__name__} has no {hook}(): a World implements every hook")
    try:
        return method(*args)
    except NotImplementedError as exc:
        pytest.fail(f"{type(world).__name__}.{hook}() for {world.kind} is not implemented: {exc}")


def scoped(conn: Connector) -> Any:
    """The connector's ``check_scope``; the test fails when the connector has none."""
    method = getattr(conn, "check_scope", None)
    if method is None:
        pytest.fail(f"the {conn.kind} connector has no check_scope(): the seam requires it")
    return method


def misspelt_container(world: World) -> tuple[str, tuple[str, ...]]:
    """The source's scope key (``boards``/``projects``) and its containers with the first
    misspelt."""
    src = world.source()
    key = "projects" if src.projects else "boards"
    names = tuple(getattr(src, key))
    return key, (names[0][:-1], *names[1:])


def secrets(world: World) -> list[str]:
    src = world.source()
    return [s.reveal() for s in (src.token, src.key) if s is not None]


class ConnectorContract:
    """The tests every connector passes against its fake; see the module docstring."""

    kind: ClassVar[str]

    def world(self, size: str) -> World:
        """A new world: ``"paged"`` (a container holds more than one page) or ``"small"``."""
        raise NotImplementedError

    @pytest.fixture(scope="class")
    @classmethod
    def paged(cls) -> Iterator[World]:
        with cls().world("paged") as world:  # one per class: it is large, and only read
            yield world

    @pytest.fixture
    def small(self) -> Iterator[World]:
        with self.world("small") as world:
            yield world
            assert world.server.errors == [], world.server.errors[0]  # a bug in the fake

    def clean_read(self, world: World, **kw: Any) -> tuple[Snapshot, int]:
        """A full read with nothing injected, and the requests it cost."""
        snap = read(world, **kw)
        made = world.server.counts[world.kind]
        world.server.reset()
        return snap, made

    # -- listing and paging ---------------------------------------------------------------------

    def test_a_full_read_returns_exactly_the_workspace(self, paged: World, tmp_path: Path) -> None:
        kind = paged.kind
        with Store(tmp_path / "s.sqlite") as store:
            made = sync_once(paged, store, full=True)
            snap = stored(paged, store)
        expected = paged.expected()
        got = {t.id: t for t in snap.tasks}
        assert len(snap.tasks) == len(got) == len(expected)  # every task once
        assert set(got) == set(expected)
        for tid, want in expected.items():
            task = got[tid]
            assert task.state.value == want.state, tid
            assert task.parent_id == want.parent_id, tid
            assert task.container_id == want.container_id, tid
            assert paged.responsible(task) == want.responsible, tid
            assert paged.accountable(task) == want.accountable, tid
            assert paged.effort(task) == want.effort, tid
        accounts = {a.id: a for a in snap.accounts}
        for account_id, attributes in paged.accounts().items():
            for attribute, value in attributes.items():
                assert getattr(accounts[account_id], attribute) == value, (account_id, attribute)
        minimum = paged.minimum_cost()
        assert minimum <= made <= minimum + 3, (made, minimum)
        assert set(paged.server.violations[kind]) <= paged.known_gaps, paged.server.violations
        assert not paged.server.errors

    def test_pages_cost_the_documented_requests(self, paged: World) -> None:
        assert paged.largest_container() > paged.page_size  # the workspace does page
        paged.server.reset()
        snap = read(paged)
        assert snap.requests == paged.server.counts[paged.kind] == paged.full_cost()
        ids = [t.id for t in snap.tasks]
        assert len(ids) == len(set(ids)) == len(paged.expected())

    def test_sequential_and_concurrent_reads_are_the_same(self, small: World) -> None:
        one = read(small, max_workers=1)
        four = read(small, max_workers=4)
        assert [t.id for t in four.tasks] == [t.id for t in one.tasks]
        assert four.tasks == one.tasks and four.accounts == one.accounts
        assert four.containers == one.containers and four.state == one.state
        assert four.requests == one.requests == small.full_cost()

    def test_the_snapshot_says_what_was_read_and_when(self, small: World) -> None:
        before = datetime.now(UTC)
        snap = read(small)
        src = small.source()
        assert (snap.source, snap.kind) == (src.name, self.kind)
        assert snap.fetched_at is not None and before <= snap.fetched_at <= datetime.now(UTC)
        assert snap.requests == small.server.counts[self.kind]
        assert snap.containers == tuple(src.boards or src.projects or ())  # in config order
        assert all(isinstance(k, str) and isinstance(v, str) for k, v in snap.state.items())

    # -- incremental reads ----------------------------------------------------------------------

    def test_an_unchanged_workspace_costs_the_documented_requests(
        self, small: World, tmp_path: Path
    ) -> None:
        with Store(tmp_path / "s.sqlite") as store:
            sync_once(small, store, full=True)
            before = stored(small, store)
            made = sync_once(small, store, full=False)
            after = stored(small, store)
        assert len(after.tasks) == len(small.expected())
        assert made == small.unchanged_cost()
        assert (after.tasks, after.accounts, after.containers) == (
            before.tasks,
            before.accounts,
            before.containers,
        )
        assert set(small.server.violations[self.kind]) <= small.known_gaps

    def test_a_changed_task_is_seen_by_an_incremental_read(
        self, small: World, tmp_path: Path
    ) -> None:
        with Store(tmp_path / "s.sqlite") as store:
            full = sync_once(small, store, full=True)
            before = stored(small, store)
            victim = small.change()
            made = sync_once(small, store, full=False)
            after = stored(small, store)
        changed = next(t for t in after.tasks if t.id == victim)
        assert changed.title == CHANGED_TITLE
        assert changed.state.value == small.expected()[victim].state == "done"
        assert len(after.tasks) == len(small.expected())
        assert made < full  # incremental, not a full read again
        untouched = {t.id: t for t in before.tasks if t.id != victim}
        assert {t.id: t for t in after.tasks if t.id != victim} == untouched

    def test_a_snapshot_without_the_connectors_state_is_read_in_full(self, small: World) -> None:
        first, made = self.clean_read(small)
        again = connect(small)[0].fetch(first.fetched_at, replace(first, state={}))
        assert again.requests == made == small.full_cost()
        assert again.tasks == first.tasks

    # -- faults ---------------------------------------------------------------------------------

    def test_a_rate_limit_is_waited_out_as_the_api_asks(self, small: World) -> None:
        clean, made = self.clean_read(small)
        answer, wait = small.rate_limited()
        k = made // 2 + 1  # a request in the middle of the read
        plan = Counted(fail_first(2, answer, api=self.kind, when=same_request(lambda r: r.n >= k)))
        small.server.fault = plan
        conn, waits = connect(small)
        snap = conn.fetch()
        assert plan.injected == 2 and waits == [wait, wait]
        assert snap.requests == small.server.counts[self.kind] == made + 2
        assert snap.tasks == clean.tasks and snap.accounts == clean.accounts

    def test_server_errors_that_do_not_end_fail_the_read(self, small: World) -> None:
        _, made = self.clean_read(small)
        k = made // 2 + 1
        down = Reply(503, "Service Unavailable", {"Content-Type": "text/plain"})
        plan = Counted(
            fail_first(10**6, down, api=self.kind, when=same_request(lambda r: r.n >= k))
        )
        small.server.fault = plan
        conn, waits = connect(small)
        with pytest.raises(RetryableError) as err:
            conn.fetch()
        message = str(err.value)
        assert f"gave up after {ATTEMPTS} tries" in message and "503" in message
        assert message.startswith(f"source {small.source().name!r} ({self.kind})"), message
        assert plan.injected == ATTEMPTS and len(waits) == ATTEMPTS - 1
        assert not any(secret in message for secret in secrets(small))

    def test_a_body_cut_off_once_is_asked_again(self, small: World) -> None:
        """A 200 whose JSON stops mid-way is a passing fault of a read: retried like a 5xx."""
        clean, made = self.clean_read(small)
        k = made // 2 + 1
        cut = Counted(fail_first(1, Reply(truncate=20), api=self.kind, when=lambda r: r.n >= k))
        small.server.fault = cut
        conn, waits = connect(small)
        snap = conn.fetch()
        assert cut.injected == 1 and len(waits) == 1
        assert snap.requests == small.server.counts[self.kind] == made + 1
        assert snap.tasks == clean.tasks and snap.accounts == clean.accounts

    def test_a_revoked_token_is_an_auth_error_and_not_retried(self, small: World) -> None:
        _, made = self.clean_read(small)
        k = made // 2 + 1
        small.server.fault = fail_from(k, small.revoked(), api=self.kind)
        conn, waits = connect(small)
        with pytest.raises(AuthError) as err:
            conn.fetch()
        assert err.value.source == small.source().name
        assert f"source {small.source().name!r} ({self.kind})" in str(err.value)
        assert not any(secret in str(err.value) for secret in secrets(small))
        assert waits == []  # a 401 is not retried
        # no new call starts after the failure: what follows it was already in flight
        assert k <= small.server.counts[self.kind] <= k - 1 + 2 * WORKERS

    def test_a_failed_read_raises_and_never_returns_part_of_a_snapshot(self, small: World) -> None:
        first, made = self.clean_read(small)
        assert made > 1  # so an answer after the first one can be cut
        small.server.fault = fail_from(2, Reply(truncate=1), api=self.kind)
        with pytest.raises(ResponseError, match=f"gave up after {ATTEMPTS} tries.*not valid JSON"):
            read(small)  # a full read, every answer after the first cut off
        small.change()
        for fault in (
            fail_from(1, small.revoked(), api=self.kind),
            fail_from(2, Reply(truncate=1), api=self.kind),
        ):
            small.server.reset()
            small.server.fault = fault
            with pytest.raises(SourceError):  # an incremental read, at once or after an answer
                connect(small)[0].fetch(first.fetched_at, first)

    def test_check_names_the_tokens_user_and_refuses_a_revoked_token(self, small: World) -> None:
        conn, _ = connect(small)
        assert small.me() in conn.check()
        small.server.fault = fail_from(1, small.revoked(), api=self.kind)
        with pytest.raises(AuthError):
            conn.check()

    # -- a read is complete or it fails (PRODUCT §9) ------------------------------------------

    def test_a_repeated_page_fails_the_read_and_keeps_the_snapshot(
        self, paged: World, tmp_path: Path
    ) -> None:
        """A server whose paging does not advance is a failure of the source, never "the end"."""
        with Store(tmp_path / "s.sqlite") as store:
            sync_once(paged, store, full=True)
            before = stored(paged, store)
            hooked(paged, "repeat_pages", True)
            try:
                outcome = sync_outcome(paged, store, full=True)
            finally:
                paged.repeat_pages(False)
            after = stored(paged, store)
        assert outcome.status == "failed", outcome
        assert (outcome.error or "").startswith(f"source {outcome.name!r} ({self.kind})")
        assert (after.id, after.tasks) == (before.id, before.tasks)

    def test_a_listing_longer_than_max_pages_fails_the_read(self, paged: World) -> None:
        changes = hooked(paged, "bounded", 1)
        with pytest.raises(SourceError, match=r"max_pages") as err:
            read(paged, **changes)
        assert str(err.value).startswith(f"source {paged.source().name!r} ({self.kind})")
        paged.server.reset()

    # -- every reference resolves or fails (PRODUCT §9, §12 "References") ----------------------

    def test_a_wrong_reference_fails_the_source_and_keeps_the_snapshot(
        self, small: World, tmp_path: Path
    ) -> None:
        """A misspelt field never quietly drops a letter or the effort: the source fails, at a
        full read and at an incremental one (checked against the definitions cached at the
        last full read, for no more requests than an unchanged read), its snapshot kept."""
        changes, names = hooked(small, "misreferenced")
        with Store(tmp_path / "s.sqlite") as store:
            sync_once(small, store, full=True)
            before = stored(small, store)
            incremental = sync_outcome(small, store, full=False, **changes)
            full = sync_outcome(small, store, full=True, **changes)
            after = stored(small, store)
        for outcome in (incremental, full):
            assert outcome.status == "failed", outcome
            assert all(repr(name) in (outcome.error or "") for name in names), outcome.error
        assert incremental.requests <= small.unchanged_cost()
        assert (after.id, after.tasks) == (before.id, before.tasks)

    def test_a_full_read_names_every_problem_at_once(self, small: World) -> None:
        changes, names = hooked(small, "misreferenced")
        key, typo = misspelt_container(small)
        with pytest.raises(NotFoundError) as err:
            read(small, **changes, **{key: typo})
        assert all(repr(name) in str(err.value) for name in (*names, typo[0])), str(err.value)

    def test_check_scope_names_the_token_the_containers_and_their_fields(
        self, small: World
    ) -> None:
        report = scoped(connect(small)[0])()
        src = small.source()
        assert small.me() in report.who
        assert report.containers == tuple(src.boards or src.projects or ())
        assert all(report.fields[c] for c in report.containers)
        assert report.problems == () and report.notes  # what a full read costs

    def test_check_scope_lists_every_problem_at_once(self, small: World) -> None:
        changes, names = hooked(small, "misreferenced")
        key, typo = misspelt_container(small)
        report = scoped(connect(small, **changes, **{key: typo})[0])()
        text = "\n".join(report.problems)
        assert all(repr(name) in text for name in (*names, typo[0])), text
        assert report.containers == typo[1:]  # the others resolved, and were checked

    # -- the spec contract ----------------------------------------------------------------------

    def test_every_request_is_one_the_spec_allows(self, small: World) -> None:
        conn, _ = connect(small)
        conn.check()
        first = conn.fetch()
        small.change()
        conn.fetch(first.fetched_at, first)
        assert set(small.server.violations[self.kind]) <= small.known_gaps
        assert small.server.errors == []
