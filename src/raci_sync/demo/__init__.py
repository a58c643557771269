"""The embedded demo: a Danish marketing team across Trello, Asana and monday.com.

Its API responses are recordings in ``recordings/`` served through ``replay.Replay``, so the demo
runs the same connectors, parsing and pagination as a real sync — with no tokens and no network.
``run_demo`` is the whole of ``raci demo``: sync, report, files.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from importlib import resources
from pathlib import Path

import requests

from raci_sync.config import Config, parse_config
from raci_sync.demo.replay import Cassette, Replay, mount_handler
from raci_sync.errors import RaciError
from raci_sync.model import ReportData, Run
from raci_sync.progress import SyncProgress
from raci_sync.reports.render import render_matrix, render_report, write_output
from raci_sync.store import Store
from raci_sync.sync import SyncOptions, report_from_sync, sync

DEMO_TODAY = date(2026, 12, 7)  # the Monday the recordings were made for
STORE_NAME = "raci-demo.sqlite"
# What the demo writes beside its store: file name, report or matrix, format.
FILES = (
    ("report.json", "report", "json"),
    ("report.md", "report", "markdown"),
    ("report.html", "report", "html"),
    ("raci-matrix.xlsx", "matrix", "xlsx"),
    ("raci-matrix.html", "matrix", "html"),
)
_HERE = resources.files(__package__)


def demo_config(store: Path | str) -> Config:
    """The demo's config (``demo.toml``) with its store at ``store``."""
    text = (_HERE / "demo.toml").read_text(encoding="utf-8")
    cfg = parse_config(text, env={"RACI_DEMO_TOKEN": "demo-token", "RACI_DEMO_KEY": "demo-key"})
    return Config(**{**cfg.__dict__, "store": str(store)})


def demo_replay() -> Replay:
    """A replay of every recording shipped with the package."""
    folder = _HERE / "recordings"
    cassettes = [
        Cassette.load(Path(str(folder / name)))
        for name in sorted(p.name for p in folder.iterdir() if p.name.endswith(".json"))
    ]
    return Replay(cassettes)


def demo_mount(replay: Replay) -> Callable[[requests.Session], None]:
    """A transport hook sending every vendor URL of the recordings to the replay."""
    return mount_handler(replay, [c.base_url for c in replay.cassettes])


@dataclass(frozen=True)
class DemoRun:
    """What ``run_demo`` did: the sync, the report it made, and the files it wrote."""

    run: Run
    data: ReportData
    written: tuple[Path, ...]
    store: Path


def run_demo(
    output_dir: Path | str = "raci-demo", as_of: date | None = None, *, progress: bool = False
) -> DemoRun:
    """Sync the recordings into a fresh store in ``output_dir``, report on the window from
    ``as_of`` (default ``DEMO_TODAY``) and write ``FILES`` there.

    ``progress`` shows the sync as ``raci sync`` does (a bar on a terminal, log lines). Raises
    RaciError when the connectors ask for an answer the recordings do not hold.
    """
    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    store_path = out / STORE_NAME
    for stale in (store_path, Path(f"{store_path}-wal"), Path(f"{store_path}-shm")):
        stale.unlink(missing_ok=True)
    cfg = demo_config(store_path)
    replay = demo_replay()
    day = as_of or DEMO_TODAY
    bar = SyncProgress(len(cfg.sources)) if progress else None
    options = SyncOptions(mount=demo_mount(replay), rate_limits=False, progress=bar, as_of=day)
    with Store(store_path) as store:
        try:
            synced = sync(cfg, store, options)
        finally:
            if bar is not None:
                bar.close()
        data = report_from_sync(cfg, store, synced)
    if replay.misses:
        raise RaciError(
            "the demo asked for API responses it has no recording of: "
            + "; ".join(replay.misses[:3])
        )
    written = tuple(write_output(_render(data, what, fmt), out / name) for name, what, fmt in FILES)
    return DemoRun(synced.run, data, written, store_path)


def _render(data: ReportData, what: str, fmt: str) -> str | bytes:
    return render_report(data, fmt) if what == "report" else render_matrix(data, fmt)
