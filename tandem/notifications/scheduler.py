"""Work that falls due with time rather than with an action: daily digests (and reminders).

``enqueue_due_work`` is idempotent — the tasks it enqueues check again before sending — so
several workers running it at once at worst enqueue a task that finds nothing to do.
"""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

from django.db import close_old_connections
from django.utils import timezone

logger = logging.getLogger("tandem.worker")


# A task still "running" this long after it started belongs to a worker that died (killed,
# machine lost); our tasks finish in seconds (network calls time out after 10-30 s).
STALE_RUNNING_AFTER = timedelta(minutes=15)


def requeue_stale_tasks(*, now=None) -> int:
    """Put tasks whose worker died mid-run back in the queue. Every task is idempotent,
    so running one again at worst finds its work already done."""
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    now = now or timezone.now()
    return DBTaskResult.objects.filter(
        status=TaskResultStatus.RUNNING, started_at__lt=now - STALE_RUNNING_AFTER
    ).update(status=TaskResultStatus.READY, started_at=None, run_after=now)


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


def run_scheduler(*, stop: threading.Event, every: float = 60.0) -> None:
    while not stop.is_set():
        try:
            enqueue_due_work()
        except Exception:
            logger.exception("scheduled work failed; trying again in %s s", every)
        finally:
            close_old_connections()
        stop.wait(every)
