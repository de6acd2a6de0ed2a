"""The `tandem` command, run as a real process."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

TANDEM = [sys.executable, "-m", "tandem"]


def _env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["TANDEM_DATA_DIR"] = str(data_dir)
    env.update(extra)
    return env


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _run(args: list[str], env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*TANDEM, *args], env=env, capture_output=True, text=True, timeout=timeout
    )


def test_bad_database_url_is_one_clear_line(tmp_path):
    """A DATABASE_URL naming an unsupported database stops serve with one line, no traceback."""
    result = _run(
        ["serve", "--port", str(_free_port())], _env(tmp_path, DATABASE_URL="mongodb://x/y")
    )
    assert result.returncode == 1
    assert result.stderr.startswith("tandem: error: DATABASE_URL")
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_unreachable_database_is_one_clear_line(tmp_path):
    """A PostgreSQL server that is not there: a one-line error naming the database."""
    env = _env(tmp_path, DATABASE_URL="postgres://postgres@127.0.0.1:1/nowhere")
    result = _run(["serve", "--port", str(_free_port())], env)
    assert result.returncode == 1
    assert "cannot reach the database" in result.stderr
    assert "Traceback" not in result.stderr


def test_serve_answers_health_and_refuses_a_taken_port(tmp_path):
    """serve migrates and answers /healthz; a second serve on the same port says so."""
    port = _free_port()
    server = subprocess.Popen(
        [*TANDEM, "serve", "--port", str(port)],
        env=_env(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        body = None
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                    body = r.read().decode()
                    break
            except OSError:
                time.sleep(0.3)
        assert body == '{"status": "ok", "database": "ok"}'
        second = _run(["serve", "--port", str(port)], _env(tmp_path))
        assert second.returncode == 1
        assert f"port {port} on 127.0.0.1 is already in use" in second.stderr
    finally:
        server.terminate()
        server.wait(timeout=20)


def test_demo_loads_once_and_warns_about_the_password(tmp_path):
    """demo creates demo1/demo2 with a printed password and a warning; running it again is harmless."""
    env = _env(tmp_path)
    first = _run(["demo", "--password", "s3cret-demo-pw"], env)
    assert first.returncode == 0, first.stderr
    assert "s3cret-demo-pw" in first.stdout
    assert "WARNING" in first.stdout
    assert "waiting on demo1" in first.stdout
    second = _run(["demo"], env)
    assert second.returncode == 0
    assert "already loaded" in second.stdout
    check = _run(
        [
            "manage",
            "shell",
            "-c",
            "from tandem.threads.selectors import writer_queue;"
            "from tandem.accounts.models import User;"
            "q = writer_queue(User.objects.get(username='demo1'));"
            "print(len(q.your_turn), len(q.resting), q.resting[0].thread.post_count)",
        ],
        env,
    )
    assert check.stdout.strip().splitlines()[-1].split() == ["1", "1", "8"], check.stderr


def test_manage_passes_through(tmp_path):
    result = _run(["manage", "check"], _env(tmp_path))
    assert result.returncode == 0
    assert "no issues" in result.stdout


@pytest.mark.parametrize("args", [["serve", "--port", "notaport"], ["frobnicate"]])
def test_bad_arguments_are_reported_by_argparse(tmp_path, args):
    result = _run(args, _env(tmp_path))
    assert result.returncode == 2
    assert "usage: tandem" in result.stderr
