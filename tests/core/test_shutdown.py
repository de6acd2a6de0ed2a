"""Stopping Tandem as a service manager does (issue 12): real processes, real signals.

`tandem serve --worker` on SIGTERM or SIGINT drains and takes its worker down with it, even
when it is SIGKILLed itself; `tandem worker` on SIGTERM finishes its current task and exits 0.
Each server gets its own data directory and, on a PostgreSQL run, its own database (the
browser tests' ``server_database_url``), like the live and browser tests.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django_tasks import task

from tests.browser.conftest import _free_port, server_database_url  # noqa: F401

REPO = Path(__file__).resolve().parents[2]
# `-m tandem` from the repository root: the worker must import this module to run slow_task.
TANDEM = [sys.executable, "-m", "tandem"]
STARTUP_SECONDS = 90
# Generous on a loaded two-core machine, yet well short of "never": an orphaned worker or a
# parent killed mid-stop fails these, a slow one does not.
STOP_SECONDS = 30
GRACE = 10  # tandem.cli.GRACE_SECONDS, the default the tests below rely on
LEFTOVER_SECONDS = 10


@task()
def slow_task(marker_dir: str, seconds: float) -> str:
    """Run by the worker under test: marks when it starts and when it has finished."""
    Path(marker_dir, "started").touch()
    time.sleep(seconds)
    Path(marker_dir, "finished").touch()
    return "finished"


# ---------------------------------------------------------------------------- processes


def _start_time(pid: int) -> str | None:
    """The process's start time (clock ticks since boot), so a reused pid is not mistaken
    for it; None once it is gone (or a zombie waiting to be reaped: it runs no more)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    fields = stat[stat.rindex(")") + 2 :].split()  # the name, in parentheses, may hold spaces
    if fields[0] in ("Z", "X"):
        return None
    return fields[19]


@dataclass(frozen=True)
class Proc:
    pid: int
    started: str
    command: str

    @property
    def alive(self) -> bool:
        return _start_time(self.pid) == self.started


def _descendants(pid: int) -> list[Proc]:
    """Every live process below ``pid``, read from /proc (children of each of its threads)."""
    found = []
    todo = [pid]
    while todo:
        parent = todo.pop()
        for children in Path(f"/proc/{parent}/task").glob("*/children"):
            try:
                pids = [int(child) for child in children.read_text().split()]
            except (FileNotFoundError, ProcessLookupError):
                continue
            for child in pids:
                started = _start_time(child)
                if started is None:
                    continue
                try:
                    command = Path(f"/proc/{child}/cmdline").read_bytes().replace(b"\0", b" ")
                except (FileNotFoundError, ProcessLookupError):
                    continue
                found.append(Proc(child, started, command.decode(errors="replace")))
                todo.append(child)
    return found


def _wait_for(condition: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return condition()


def _wait_exit(process: subprocess.Popen, seconds: float) -> tuple[int | None, float]:
    """The exit status and how long it took, or (None, seconds) if it is still running."""
    began = time.monotonic()
    try:
        return process.wait(timeout=seconds), time.monotonic() - began
    except subprocess.TimeoutExpired:
        return None, seconds


def _kill_all(processes: Iterable[Proc]) -> None:
    """Clean up after a failed test: the processes it was about must not outlive it."""
    for proc in processes:
        if proc.alive:
            os.kill(proc.pid, signal.SIGKILL)


@pytest.fixture
def env(tmp_path, server_database_url) -> dict[str, str]:  # noqa: F811
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE", "TANDEM_DEBUG")
    }
    env["TANDEM_DATA_DIR"] = str(tmp_path / "data")
    env["PYTHONUNBUFFERED"] = "1"
    if server_database_url:
        env["DATABASE_URL"] = server_database_url
    return env


@dataclass
class Running:
    process: subprocess.Popen
    log_path: Path
    port: int | None = None
    # Every process found below this one, so that cleaning up can reach orphans too.
    seen: set[Proc] = field(default_factory=set)

    @property
    def log(self) -> str:
        return self.log_path.read_text()

    def descendants(self) -> list[Proc]:
        found = _descendants(self.process.pid)
        self.seen.update(found)
        return found

    def workers(self) -> list[Proc]:
        return [p for p in self.descendants() if " worker" in p.command]


@contextmanager
def _started(args: list[str], env: dict[str, str], log_path: Path) -> Iterator[Running]:
    """A tandem process whose output goes to ``log_path``; killed, with everything it
    started, if the test leaves it running."""
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [*TANDEM, *args], env=env, cwd=REPO, stdout=log, stderr=subprocess.STDOUT
        )
    running = Running(process, log_path)
    try:
        yield running
    finally:
        if process.poll() is None:
            running.descendants()
            process.kill()
            process.wait(timeout=10)
        _kill_all(running.seen)


def _healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


def _wait_until_up(running: Running, *, http: bool = True) -> None:
    """Until the server answers (if ``http``) and the worker has set up its signal handling."""

    def up() -> bool:
        assert running.process.poll() is None, f"tandem exited early:\n{running.log}"
        if http and not _healthy(running.port):
            return False
        return "Tandem worker running" in running.log

    assert _wait_for(up, STARTUP_SECONDS), f"tandem did not start:\n{running.log}"


@contextmanager
def _serve(env: dict[str, str], tmp_path: Path, *extra: str) -> Iterator[Running]:
    port = _free_port()
    args = ["serve", "--worker", "--port", str(port), "--log-level", "warning", *extra]
    with _started(args, env, tmp_path / "serve.log") as running:
        running.port = port
        _wait_until_up(running)
        yield running


def _manage_shell(env: dict[str, str], code: str) -> str:
    done = subprocess.run(
        [*TANDEM, "manage", "shell", "-c", code],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


def _enqueue_slow_task(env: dict[str, str], marker_dir: Path, seconds: float) -> str:
    marker_dir.mkdir()
    return _manage_shell(
        env,
        "from tests.core.test_shutdown import slow_task;"
        f"print(slow_task.enqueue({str(marker_dir)!r}, {seconds}).id)",
    )


def _task_status(env: dict[str, str], task_id: str) -> str:
    return _manage_shell(
        env,
        "from django_tasks_db.models import DBTaskResult;"
        f"print(DBTaskResult.objects.get(id={task_id!r}).status)",
    )


def _assert_stopped(running: Running, processes: list[Proc], *, within: float = STOP_SECONDS):
    """The parent exits within ``within`` seconds and leaves none of ``processes`` behind."""
    status, took = _wait_exit(running.process, within)
    assert status is not None, f"tandem still running {within} s after the signal:\n{running.log}"
    # It waited for its worker, which is gone by now.
    worker = [p for p in processes if " worker" in p.command and p.alive]
    assert not worker, f"tandem exited before its worker: {worker}\n{running.log}"
    # Its server processes may still be exiting (and multiprocessing's resource tracker ends
    # only once it sees them gone): a few seconds, never an orphan.
    assert _wait_for(lambda: not any(p.alive for p in processes), LEFTOVER_SECONDS), (
        f"left running after tandem exited: {[p for p in processes if p.alive]}\n{running.log}"
    )
    return status, took


# ---------------------------------------------------------------------------- serve --worker


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_serve_stops_its_worker_and_exits_0(env, tmp_path, signum):
    """A service manager's SIGTERM (or Ctrl+C) stops the server and its worker; status 0."""
    with _serve(env, tmp_path) as running:
        workers = running.workers()
        assert len(workers) == 1, workers
        running.process.send_signal(signum)
        status, _ = _assert_stopped(running, workers)
        assert status == 0, running.log


def test_serve_with_several_processes_stops_them_all(env, tmp_path):
    """With --workers 2 (uvicorn's supervisor) every process, server and worker, stops."""
    with _serve(env, tmp_path, "--workers", "2") as running:
        assert _wait_for(lambda: len(running.descendants()) >= 3, STARTUP_SECONDS)
        everything = running.descendants()
        assert len(running.workers()) == 1, everything
        running.process.send_signal(signal.SIGTERM)
        status, _ = _assert_stopped(running, everything)
        assert status == 0, running.log


def test_worker_stops_when_serve_is_killed(env, tmp_path):
    """SIGKILL leaves the parent no chance to stop anything: the worker notices by itself."""
    with _serve(env, tmp_path) as running:
        workers = running.workers()
        assert len(workers) == 1, workers
        running.process.kill()
        running.process.wait(timeout=10)
        assert _wait_for(lambda: not workers[0].alive, STOP_SECONDS), (
            f"the worker outlived its killed server:\n{running.log}"
        )


def test_everything_stops_when_serve_with_several_processes_is_killed(env, tmp_path):
    """SIGKILL with --workers 2: uvicorn's server processes stop too, not only the worker."""
    with _serve(env, tmp_path, "--workers", "2") as running:
        assert _wait_for(lambda: len(running.descendants()) >= 3, STARTUP_SECONDS)
        everything = running.descendants()
        running.process.kill()
        running.process.wait(timeout=10)
        assert _wait_for(lambda: not any(p.alive for p in everything), STOP_SECONDS), (
            f"outlived their killed server: {[p for p in everything if p.alive]}\n{running.log}"
        )


def test_serve_lets_the_task_in_flight_finish(env, tmp_path):
    """SIGTERM mid-task: the task completes (and is recorded so) before anything exits."""
    marker = tmp_path / "task"
    with _serve(env, tmp_path) as running:
        workers = running.workers()
        task_id = _enqueue_slow_task(env, marker, seconds=3)
        assert _wait_for((marker / "started").exists, STARTUP_SECONDS), running.log
        running.process.send_signal(signal.SIGTERM)
        status, _ = _assert_stopped(running, workers)
        assert status == 0, running.log
    assert (marker / "finished").exists(), running.log
    assert _task_status(env, task_id) == "SUCCESSFUL"


def test_a_task_outliving_the_grace_period_is_cut_off(env, tmp_path):
    """The grace period bounds the stop: a task still running then is abandoned (left
    "running", for the scheduler to queue again) and the stop reports it with status 1."""
    marker = tmp_path / "task"
    with _serve(env, tmp_path, "--grace", "2") as running:
        workers = running.workers()
        task_id = _enqueue_slow_task(env, marker, seconds=600)
        assert _wait_for((marker / "started").exists, STARTUP_SECONDS), running.log
        running.process.send_signal(signal.SIGTERM)
        status, _ = _assert_stopped(running, workers)
        assert status == 1, running.log
        assert "did not finish within 2 s" in running.log
    assert not (marker / "finished").exists()
    assert _task_status(env, task_id) == "RUNNING"


# ---------------------------------------------------------------------------- tandem worker


@pytest.fixture
def migrated_env(env) -> dict[str, str]:
    subprocess.run(
        [*TANDEM, "manage", "migrate", "-v", "0"], env=env, cwd=REPO, check=True, timeout=180
    )
    return env


def test_worker_alone_exits_0_on_sigterm(migrated_env, tmp_path):
    with _started(["worker"], migrated_env, tmp_path / "worker.log") as running:
        _wait_until_up(running, http=False)
        running.process.send_signal(signal.SIGTERM)
        status, took = _assert_stopped(running, [])
        assert status == 0, running.log
        assert took < GRACE, f"an idle worker took {took:.1f} s to stop:\n{running.log}"
        assert "Traceback" not in running.log


def test_worker_alone_finishes_its_task_then_exits_0(migrated_env, tmp_path):
    marker = tmp_path / "task"
    with _started(["worker"], migrated_env, tmp_path / "worker.log") as running:
        _wait_until_up(running, http=False)
        task_id = _enqueue_slow_task(migrated_env, marker, seconds=3)
        assert _wait_for((marker / "started").exists, STARTUP_SECONDS), running.log
        running.process.send_signal(signal.SIGTERM)
        # A second SIGTERM (systemd signals every process of a unit; `serve --worker` passes
        # its own on) must not abort the task.
        time.sleep(0.5)
        running.process.send_signal(signal.SIGTERM)
        status, _ = _assert_stopped(running, [])
        assert status == 0, running.log
    assert (marker / "finished").exists(), running.log
    assert _task_status(migrated_env, task_id) == "SUCCESSFUL"


def test_the_worker_waits_out_a_database_that_is_away(monkeypatch, capsys):
    """A database error (the primary restarting, the pool timing out) no longer ends the
    worker: it says so, pauses and tries again."""
    from django.db import OperationalError
    from django_tasks_db.management.commands.db_worker import Worker

    from tandem import cli

    attempts: list[int] = []

    def away_once(self) -> None:
        attempts.append(1)
        if len(attempts) == 1:
            raise OperationalError("couldn't get a connection after 10.00 sec")
        self.running = False  # the second attempt ends as a stop would

    monkeypatch.setattr(Worker, "run", away_once)
    worker = cli._draining_worker(interval=0.1, verbosity=0, grace=1, on_stop=lambda: None)
    worker.run()
    assert len(attempts) == 2
    assert "the database is unreachable" in capsys.readouterr().err
