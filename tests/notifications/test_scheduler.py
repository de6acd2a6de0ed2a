"""The scheduler's care for tasks whose worker died: workers keep a heartbeat, and a task
left "running" by a worker no longer heard from is queued again within minutes; a task
under a living worker is left alone however long it takes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from tandem.notifications import scheduler
from tandem.notifications.models import WorkerHeartbeat
from tandem.notifications.scheduler import (
    STALE_RUNNING_AFTER,
    WORKER_GONE_AFTER,
    heartbeat,
    requeue_stale_tasks,
    run_scheduler,
)
from tandem.notifications.tasks import send_digest

pytestmark = pytest.mark.django_db(transaction=True)


def running_task(writer, *, started_ago: timedelta, worker_id: str | None) -> str:
    """A task a worker claimed ``started_ago`` and has not finished."""
    result = send_digest.enqueue(writer.pk)
    DBTaskResult.objects.filter(id=result.id).update(
        status=TaskResultStatus.RUNNING,
        started_at=timezone.now() - started_ago,
        worker_ids=[worker_id] if worker_id else [],
    )
    return result.id


def status_of(task_id: str) -> str:
    return DBTaskResult.objects.get(id=task_id).status


def test_a_task_whose_worker_went_quiet_is_queued_again_within_minutes(writer_a):
    now = timezone.now()
    heartbeat("gone", now=now - WORKER_GONE_AFTER - timedelta(seconds=5))
    task = running_task(writer_a, started_ago=WORKER_GONE_AFTER * 2, worker_id="gone")
    assert requeue_stale_tasks() == 1
    assert status_of(task) == TaskResultStatus.READY


def test_a_long_task_under_a_living_worker_is_left_alone(writer_a):
    heartbeat("alive")
    task = running_task(writer_a, started_ago=STALE_RUNNING_AFTER * 2, worker_id="alive")
    assert requeue_stale_tasks() == 0
    assert status_of(task) == TaskResultStatus.RUNNING


def test_a_worker_without_a_heartbeat_gets_the_old_fifteen_minutes(writer_a):
    early = running_task(writer_a, started_ago=WORKER_GONE_AFTER * 2, worker_id="old-style")
    assert requeue_stale_tasks() == 0
    assert status_of(early) == TaskResultStatus.RUNNING
    DBTaskResult.objects.filter(id=early).update(
        started_at=timezone.now() - STALE_RUNNING_AFTER - timedelta(seconds=1)
    )
    assert requeue_stale_tasks() == 1


def test_a_task_just_started_is_never_touched(writer_a):
    heartbeat("gone", now=timezone.now() - timedelta(hours=1))
    task = running_task(writer_a, started_ago=timedelta(seconds=10), worker_id="gone")
    assert requeue_stale_tasks() == 0
    assert status_of(task) == TaskResultStatus.RUNNING


def test_long_gone_workers_heartbeats_are_pruned():
    heartbeat("ancient", now=timezone.now() - timedelta(days=2))
    heartbeat("recent")
    assert set(WorkerHeartbeat.objects.values_list("worker_id", flat=True)) == {"recent"}


def test_the_scheduler_beats_more_often_than_it_works(monkeypatch):
    work = []
    monkeypatch.setattr(scheduler, "enqueue_due_work", lambda: work.append(time.monotonic()))
    monkeypatch.setattr(scheduler, "HEARTBEAT_EVERY", timedelta(seconds=0.05))
    stop = threading.Event()
    thread = threading.Thread(
        target=run_scheduler, kwargs={"stop": stop, "every": 3600, "worker_id": "w1"}
    )
    thread.start()
    try:
        deadline = time.monotonic() + 10
        first_seen = None
        while time.monotonic() < deadline:
            row = WorkerHeartbeat.objects.filter(worker_id="w1").first()
            if row and first_seen is None:
                first_seen = row.seen_at
            elif row and row.seen_at > first_seen:
                break
            time.sleep(0.02)
        else:
            pytest.fail("the heartbeat was not renewed")
    finally:
        stop.set()
        thread.join(timeout=10)
    assert len(work) == 1  # the due work waits its hour; the heartbeat does not


def test_a_killed_worker_process_stops_beating(tmp_path):
    """A real `tandem worker` keeps its heartbeat row fresh; killed with SIGKILL (no chance
    to clean up), its row stops moving, which is what requeue_stale_tasks reads."""
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["TANDEM_DATA_DIR"] = str(tmp_path)
    tandem = [sys.executable, "-m", "tandem"]
    subprocess.run([*tandem, "manage", "migrate", "-v", "0"], env=env, check=True, timeout=120)
    read_beats = (
        "from tandem.notifications.models import WorkerHeartbeat as W; "
        "print('BEATS', *(f'{w.worker_id}={w.seen_at.timestamp()}' for w in W.objects.all()))"
    )

    def beats() -> dict[str, float]:
        out = subprocess.run(
            [*tandem, "manage", "shell", "-c", read_beats],
            env=env,
            check=True,
            capture_output=True,
            text=True,
            timeout=60,
        ).stdout
        line = next(line for line in out.splitlines() if line.startswith("BEATS"))
        return {k: float(v) for k, v in (item.split("=") for item in line.split()[1:])}

    worker = subprocess.Popen(
        [*tandem, "worker", "--interval", "0.2"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        seen: dict[str, float] = {}
        while time.monotonic() < deadline and not seen:
            seen = beats()
            time.sleep(0.5)
        assert len(seen) == 1, "the worker never said it was alive"
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=30)
    time.sleep(1)
    assert beats() == seen  # nobody beats for it any more
