"""Running the CLI in tests: in-process runs, and the demo's recordings served by a real local
server with the demo config pointed at it."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from werkzeug import Response

from raci_sync.cli import run_cli

DEMO_TOKEN = "cli-demo-token-0123456789"
DEMO_KEY = "cli-demo-key-0123456789"


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """``raci ARGS`` in this process: (exit code, stdout, stderr)."""
    code = run_cli(args)
    out, err = capsys.readouterr()
    return code, out, err


def serve_recordings(httpserver: Any, fail_prefix: str | None = None) -> None:
    """A real local server answering the demo's recordings under their vendor paths."""
    from raci_sync.demo import demo_replay

    replay = demo_replay()

    def handler(request: Any) -> Response:
        if fail_prefix and request.path.startswith(fail_prefix):
            return Response("invalid token", status=401, content_type="text/plain")
        body = request.get_json(silent=True)
        status, headers, answer = replay.answer(
            request.method, request.path, dict(request.args), body
        )
        return Response(
            json.dumps(answer), status=status, headers=headers, content_type="application/json"
        )

    httpserver.expect_request(re.compile(".*")).respond_with_handler(handler)


def local_config(tmp_path: Path, httpserver: Any) -> Path:
    """The demo config pointed at a local server (base_url per source)."""
    text = (Path(__file__).resolve().parents[1] / "src/raci_sync/demo/demo.toml").read_text(
        encoding="utf-8"
    )
    bases = {"trello": "/1", "asana": "/api/1.0", "monday": "/v2"}
    for kind, path in bases.items():
        text = text.replace(
            f'kind = "{kind}"\n', f'kind = "{kind}"\nbase_url = "{httpserver.url_for(path)}"\n'
        )
    cfg = tmp_path / "raci.toml"
    cfg.write_text(f'store = "{(tmp_path / "s.sqlite").as_posix()}"\n' + text, encoding="utf-8")
    return cfg
