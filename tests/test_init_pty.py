"""``raci init`` on a terminal: spawned in a pseudo-terminal (``pty``), it lists each tool's boards
or projects and asks which to take ("1,3-4", "all", "none"; Enter takes all), asks again after
a wrong answer, and drafts exactly what was chosen."""

from __future__ import annotations

import os
import pty
import re
import select
import subprocess
import sys
import time
from pathlib import Path

from raci_sync.config import load_config
from raci_sync.connectors import KINDS
from tests.fakes.init_world import InitWorld

TIMEOUT = 60.0


class Terminal:
    """The master side of a pseudo-terminal: what the program wrote, and typing into it."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.seen = ""  # everything read so far
        self.pos = 0  # where the next expect() starts looking

    def read(self, timeout: float) -> bool:
        """Read what is there; False at the end (the program closed the terminal)."""
        ready, _, _ = select.select([self.fd], [], [], timeout)
        if not ready:
            return True
        try:
            chunk = os.read(self.fd, 65536)
        except OSError:  # EIO: the other side is closed
            return False
        if not chunk:
            return False
        self.seen += chunk.decode("utf-8", "replace").replace("\r\n", "\n")
        return True

    def expect(self, pattern: str) -> str:
        """Wait until ``pattern`` (a regex) shows up after what was expected before."""
        deadline = time.monotonic() + TIMEOUT
        rx = re.compile(pattern)
        while True:
            m = rx.search(self.seen, self.pos)
            if m:
                self.pos = m.end()
                return m.group()
            left = deadline - time.monotonic()
            if left <= 0 or not self.read(min(left, 0.5)):
                if rx.search(self.seen, self.pos):
                    continue
                raise AssertionError(f"{pattern!r} never came; the terminal showed:\n{self.seen}")

    def type(self, text: str) -> None:
        os.write(self.fd, text.encode())

    def drain(self) -> str:
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline and self.read(0.5):
            pass
        return self.seen


def spawn(world: InitWorld, cfg: Path, tmp_path: Path) -> tuple[subprocess.Popen[bytes], int]:
    """``raci init --config cfg`` on a new pseudo-terminal (stdin, stdout and stderr), with only
    the world's tokens in its environment; the process and the terminal's master side."""
    env = {k: v for k, v in os.environ.items() if k not in ("RACI_CONFIG", "TERM")}
    env = {k: v for k, v in env.items() if all(k not in x.env.values() for x in KINDS.values())}
    env.update(world.env(), TERM="dumb", XDG_DATA_HOME=str(tmp_path / "data"))
    command = [sys.executable, "-m", "raci_sync", "init", "--config", str(cfg)]
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [*command, *world.base_url_args()],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
        cwd=tmp_path,
        close_fds=True,
    )
    os.close(slave)
    return proc, master


def test_raci_init_asks_on_a_terminal_and_drafts_what_was_chosen(tmp_path: Path) -> None:
    cfg = tmp_path / "raci.toml"
    trello, asana, monday = KINDS["trello"], KINDS["asana"], KINDS["monday"]
    with InitWorld() as world:
        proc, master = spawn(world, cfg, tmp_path)
        term = Terminal(master)
        try:
            term.expect(r"Trello boards:\n +1  Indhold & SoMe\n +2  Kampagner\n +3  Webshop")
            term.expect(
                re.escape(f"{trello.title} boards to take (e.g. 1,3-4, all or none) [all]:")
            )
            term.type("7\n")
            term.expect(r"'7' is not within 1-3")
            term.expect(r"boards to take .*\[all\]:")
            term.type("1,3\n")
            term.expect(r"Nordlys Kaffe › Kampagner")
            term.expect(re.escape(f"{asana.title} projects to take"))
            term.type("\n")  # Enter: the default, all
            term.expect(re.escape(f"{monday.title} boards to take"))
            term.type("none\n")
            term.expect(r"nothing was stored")
            shown = term.drain()
            code = proc.wait(timeout=TIMEOUT)
        finally:
            if proc.poll() is None:
                proc.kill()
            os.close(master)
        assert code == 0, shown
        assert not any(world.server.violations.values()), world.server.violations
        boards = [c.name for c in world.ws.trello.containers]
        projects = tuple(c.name for c in world.ws.asana.containers)
    loaded = load_config(cfg, env=world.env())
    assert [(s.kind, s.boards or s.projects) for s in loaded.sources] == [
        ("trello", (boards[0], boards[2])),
        ("asana", projects),
    ]
    text = cfg.read_text(encoding="utf-8")
    assert f"# Not included: {monday.title}: no board chosen." in text
    for value in world.secret_values():
        assert value not in text and value not in shown
    assert not (tmp_path / "data").exists()  # no store was made


def test_choosing_nothing_on_a_terminal_writes_nothing_and_says_so(tmp_path: Path) -> None:
    cfg = tmp_path / "raci.toml"
    with InitWorld() as world:
        proc, master = spawn(world, cfg, tmp_path)
        term = Terminal(master)
        try:
            for kind in KINDS.values():
                term.expect(re.escape(f"{kind.title} {kind.container}s to take"))
                term.type("none\n")
            term.expect(r"nothing chosen, so no config was written: run raci init again")
            shown = term.drain()
            code = proc.wait(timeout=TIMEOUT)
        finally:
            if proc.poll() is None:
                proc.kill()
            os.close(master)
    assert code == 2, shown
    assert "Traceback" not in shown
    assert not cfg.exists()
