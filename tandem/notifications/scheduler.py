"""Work that falls due with time rather than with an action: daily digests (and reminders).

``enqueue_due_work`` is idempotent — the tasks it enqueues check again before sending — so
several workers running it at once at worst enqueue a task that finds nothing to do.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import timedelta

from django.db import close_old_connections
from django.utils import timezone

logger = logging.getLogger("tandem.worker")


# A task still "running" this long after it started belongs to a worker that died (killed,
# machine lost); our tasks finish in seconds (network calls time out after 10-30 s). This
# is the rule for a worker that keeps no heartbeat (one older than heartbeats).
STALE_RUNNING_AFTER = timedelta(minutes=15)
# Each worker's scheduler thread says it is alive this often (WorkerHeartbeat) ...
HEARTBEAT_EVERY = timedelta(seconds=30)
# ... so a worker not heard from for this long is gone, and its running task with it.
WORKER_GONE_AFTER = timedelta(minutes=3)
# Heartbeats of workers gone this long are deleted.
HEARTBEAT_KEPT = timedelta(days=1)


def heartbeat(worker_id: str, *, now=None) -> None:
    """Say that this worker is alive (and prune the rows of long-gone ones)."""
    from tandem.notifications.models import WorkerHeartbeat

    now = now or timezone.now()
    WorkerHeartbeat.objects.update_or_create(worker_id=worker_id, defaults={"seen_at": now})
    WorkerHeartbeat.objects.filter(seen_at__lt=now - HEARTBEAT_KEPT).delete()


def requeue_stale_tasks(*, now=None) -> int:
    """Put tasks whose worker died mid-run back in the queue: after ``WORKER_GONE_AFTER``
    when the worker kept a heartbeat and has stopped, after ``STALE_RUNNING_AFTER``
    otherwise; never while the worker is still heard from. Every task is idempotent, so
    running one again at worst finds its work already done."""
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    from tandem.notifications.models import WorkerHeartbeat

    now = now or timezone.now()
    running = DBTaskResult.objects.filter(
        status=TaskResultStatus.RUNNING, started_at__lt=now - WORKER_GONE_AFTER
    ).values_list("id", "started_at", "worker_ids")
    running = list(running)
    if not running:
        return 0
    seen = dict(
        WorkerHeartbeat.objects.filter(
            worker_id__in={ids[-1] for _, _, ids in running if ids}
        ).values_list("worker_id", "seen_at")
    )
    gone = []
    for task_id, started_at, worker_ids in running:
        last_seen = seen.get(worker_ids[-1]) if worker_ids else None
        if last_seen is None:
            if started_at < now - STALE_RUNNING_AFTER:
                gone.append(task_id)
        elif last_seen < now - WORKER_GONE_AFTER:
            gone.append(task_id)
    # Still "running" in the same statement: a task that finished meanwhile stays finished.
    return DBTaskResult.objects.filter(id__in=gone, status=TaskResultStatus.RUNNING).update(
        status=TaskResultStatus.READY, started_at=None, run_after=now
    )


def enqueue_due_work() -> int:
    from django.db.models import Q

    from tandem.exports.services import expired_exports_delete
    from tandem.notifications.models import NotificationSettings
    from tandem.notifications.tasks import send_digest

    due = NotificationSettings.objects.filter(daily_digest=True).filter(
        Q(last_digest_at__isnull=True) | Q(last_digest_at__lte=timezone.now() - timedelta(hours=23))
    )
    count = 0
    for writer_id in due.values_list("writer_id", flat=True):
        send_digest.enqueue(writer_id)
        count += 1
    extra = _reminders()
    requeue_stale_tasks()
    expired_exports_delete()
    return count + extra


def _reminders() -> int:
    try:
        from tandem.notifications.reminders import enqueue_due_reminders
    except ImportError:
        return 0
    return enqueue_due_reminders()


def run_scheduler(
    *, stop: threading.Event, every: float = 60.0, worker_id: str | None = None
) -> None:
    """Until ``stop``: the worker's heartbeat every ``HEARTBEAT_EVERY`` (if it has an id),
    and the due work every ``every`` seconds."""
    beat_every = HEARTBEAT_EVERY.total_seconds()
    next_work = 0.0
    while not stop.is_set():
        try:
            if worker_id is not None:
                heartbeat(worker_id)
            if time.monotonic() >= next_work:
                next_work = time.monotonic() + every
                enqueue_due_work()
        except Exception:
            logger.exception("scheduled work failed; trying again in %s s", every)
        finally:
            close_old_connections()
        until_work = max(0.0, next_work - time.monotonic())
        stop.wait(min(until_work, beat_every) if worker_id is not None else until_work)
