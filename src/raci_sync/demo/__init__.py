"""The embedded demo: a Danish marketing team across Trello, Asana and monday.com.

Its API responses are recordings in ``recordings/`` served through ``replay.Replay``, so the demo
runs the same connectors, parsing and pagination as a real sync — with no tokens and no network.
"""

from __future__ import annotations

from datetime import date
from importlib import resources
from pathlib import Path

from raci_sync.config import Config, parse_config
from raci_sync.demo.replay import Cassette, Replay, mount_handler

DEMO_TODAY = date(2026, 12, 7)  # the Monday the recordings were made for
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


def demo_mount(replay: Replay):  # type: ignore[no-untyped-def]
    """A transport hook sending every vendor URL of the recordings to the replay."""
    return mount_handler(replay, [c.base_url for c in replay.cassettes])
