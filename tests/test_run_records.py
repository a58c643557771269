"""Clocks lie, disks fill, processes get killed and signalled: the run record says what
happened, history is never lost to a clock jump, and a signal ends a run within 2 s
(PRODUCT §9, §12; issue 9 items 4, 6, 7, 10)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import raci_sync.sync as sync_module
from raci_sync.demo import demo_config, demo_mount, demo_replay
from raci_sync.errors import StoreError
from raci_sync.model import Evaluation
from raci_sync.store import Store
from raci_sync.sync import SyncOptions, sync


def demo_options() -> SyncOptions:
    return SyncOptions(mount=demo_mount(demo_replay()), rate_limits=False, full=True)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store(tmp_path / "s.sqlite") as s:
        yield s


def shift_clock(monkeypatch: pytest.MonkeyPatch, delta: timedelta) -> None:
    real = sync_module.now_in
    monkeypatch.setattr(sync_module, "now_in", lambda config: real(config) + delta)


def empty_evaluation() -> Evaluation:
    return Evaluation(people=(), assignments=(), findings=(), workload=(), unmatched=())


def test_a_clock_two_years_ahead_thins_nothing_and_is_then_ignored(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    cfg = demo_config(tmp_path / "s.sqlite")
    sync(cfg, store, demo_options())
    now = datetime.now(UTC)
    for hour in range(10):  # ten real runs over the last days
        moment = now - timedelta(days=3, hours=hour)
        store.save_evaluation(None, moment.date(), moment, empty_evaluation())
    before = store.counts()["evaluations"]

    shift_clock(monkeypatch, timedelta(days=730))
    sync(cfg, store, demo_options())  # the jump: nothing may be thinned for it
    assert store.counts()["evaluations"] == before + 1
    assert "thinning now would remove history" in caplog.text

    monkeypatch.undo()
    caplog.clear()
    sync(cfg, store, demo_options())  # the clock is right again
    assert "stamped later than now" in caplog.text  # said, once per run
    # the future run is left alone; the ten real ones are thinned by their real age only
    rows = store.db.execute("SELECT generated_at FROM evaluations").fetchall()
    assert sum(datetime.fromisoformat(g) > datetime.now(UTC) for (g,) in rows) == 1


def test_a_watermark_in_the_future_forces_a_full_read(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    cfg = demo_config(tmp_path / "s.sqlite")
    sync(cfg, store, demo_options())
    ahead = (datetime.now(UTC) + timedelta(days=40)).isoformat()  # read while the clock was ahead
    store.db.execute(
        "UPDATE snapshots SET taken_at = ?, state = json_set(state, '$.last_full', ?)",
        (ahead, ahead),
    )
    plan = sync_module._plan(cfg, store, cfg.sources[0], False, sync_module.now_in(cfg))
    assert plan.since is None  # full, not "changed since" a moment that has not come yet
    assert "later than now" in caplog.text and "reading everything" in caplog.text


def test_a_full_disk_fails_the_run_with_a_record_that_says_why(
    store: Store, tmp_path: Path
) -> None:
    cfg = demo_config(tmp_path / "s.sqlite")
    first = sync(cfg, store, demo_options())
    store.db.execute("DELETE FROM tasks")  # the next read differs: it must write every task
    store.db.execute("VACUUM")  # no free pages left to write into
    kept = {s: store.current_snapshot(s) for s in cfg.names}
    pages = store.db.execute("PRAGMA page_count").fetchone()[0]
    store.db.execute(f"PRAGMA max_page_count = {pages}")
    with pytest.raises(StoreError, match="is full"):
        sync(cfg, store, demo_options())
    run_id = int(store.db.execute("SELECT max(id) FROM runs").fetchone()[0])
    assert run_id > (first.id or 0)
    status, error = store.run_record(run_id)
    assert status == "failed" and error is not None and "full" in error
    for name, snap in kept.items():  # what was stored stays intact
        now = store.current_snapshot(name)
        assert now is not None and snap is not None and len(now.tasks) == len(snap.tasks)
    assert store.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_a_killed_run_is_marked_interrupted_by_the_next(store: Store, tmp_path: Path) -> None:
    cfg = demo_config(tmp_path / "s.sqlite")
    killed = store.begin_run(datetime.now(UTC))  # a run whose process died: still 'running'
    sync(cfg, store, demo_options())
    status, error = store.run_record(killed)
    assert status == "interrupted" and error and "killed" in error


# -- signals ------------------------------------------------------------------------------------


class StallingServer:
    """Accepts connections and never answers: a read that would wait out its timeout."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.conns: list[socket.socket] = []
        self.accepted = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(conn)
            self.accepted.set()

    def close(self) -> None:
        self.sock.close()
        for c in self.conns:
            c.close()


RACI = Path(sys.executable).parent / "raci"  # the console script, as cron runs it


def raci_run(cfg: Path, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "RACI_SIG_TOKEN": "sig-token-0123456789"}
    return subprocess.Popen(
        [str(RACI), "--config", str(cfg), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


@pytest.fixture
def stalled(tmp_path: Path) -> Iterator[tuple[Path, StallingServer]]:
    server = StallingServer()
    cfg = tmp_path / "raci.toml"
    cfg.write_text(
        f'store = "{(tmp_path / "s.sqlite").as_posix()}"\n'
        "[[source]]\n"
        'name = "kampagner"\nkind = "asana"\ntoken = "${RACI_SIG_TOKEN}"\n'
        'workspace = "1"\nprojects = ["2"]\n'
        f'base_url = "http://127.0.0.1:{server.port}/api/1.0"\ntimeout = 60\n',
        encoding="utf-8",
    )
    yield cfg, server
    server.close()


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_ends_a_stalled_run_within_2_s(
    stalled: tuple[Path, StallingServer], tmp_path: Path, signum: int, code: int
) -> None:
    cfg, server = stalled
    proc = raci_run(cfg, "run", "-q", "--no-report")
    assert server.accepted.wait(20), "the run never reached the server"
    time.sleep(0.3)  # inside the stalled read
    sent = time.monotonic()
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=10)
    took = time.monotonic() - sent
    print(f"{signal.Signals(signum).name} ended a stalled run in {took:.2f} s, exit {code}")
    assert proc.returncode == code and took < 2.0, (took, err)
    assert "Traceback" not in err and err.count("raci:") == 1 and "interrupted" in err
    with Store(tmp_path / "s.sqlite") as store:
        status, why = store.run_record(
            int(store.db.execute("SELECT max(id) FROM runs").fetchone()[0])
        )
    assert status == "interrupted" and why and "interrupted by" in why
    server.accepted.clear()
    again = raci_run(cfg, "run", "-q", "--no-report")  # the lock was released:
    assert server.accepted.wait(20), "the second run never reached the server"  # it read
    again.send_signal(signal.SIGTERM)
    _, err = again.communicate(timeout=10)
    assert again.returncode == 143, err  # not 4: nobody held the lock


def test_a_second_signal_ends_at_once(stalled: tuple[Path, StallingServer]) -> None:
    cfg, server = stalled
    proc = raci_run(cfg, "run", "-q", "--no-report")
    assert server.accepted.wait(20)
    time.sleep(0.3)
    sent = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    proc.send_signal(signal.SIGTERM)
    proc.communicate(timeout=10)
    assert proc.returncode == 143 and time.monotonic() - sent < 2.0


def _wait_until_catching(pid: int, signum: int, limit: float = 20.0) -> None:
    """Until process ``pid`` has a handler for ``signum`` (SigCgt in /proc/PID/status)."""
    bit = 1 << (signum - 1)
    end = time.monotonic() + limit
    while time.monotonic() < end:
        try:
            status = Path(f"/proc/{pid}/status").read_text(encoding="ascii")
        except FileNotFoundError:
            return  # it ended already: the assertions say how
        caught = next(line for line in status.splitlines() if line.startswith("SigCgt:"))
        if int(caught.split()[1], 16) & bit:
            return
        time.sleep(0.002)
    raise AssertionError(f"process {pid} never caught signal {signum}")


def test_a_signal_during_start_up_prints_no_traceback(tmp_path: Path) -> None:
    cfg = tmp_path / "raci.toml"
    cfg.write_text("", encoding="utf-8")
    for delay in (0.0, 0.02, 0.05, 0.1, 0.2, 0.3):
        proc = raci_run(cfg, "check-config")
        # from the moment raci's own code runs (its first act is to catch SIGTERM, which the
        # interpreter does not; before that only pip's script wrapper and the standard
        # library run, whose start-up time depends on the machine's load)
        _wait_until_catching(proc.pid, signal.SIGTERM)
        time.sleep(delay)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=10)
        assert "Traceback" not in err, err
        assert proc.returncode in (0, 130, -signal.SIGINT)  # -2: before Python ran our code
