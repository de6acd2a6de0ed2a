"""Reads for threads kept elsewhere: always one writer's own (nobody else's are reachable,
a stranger's id is a 404)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Count, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from tandem.accounts.models import User
from tandem.tracking import spreadsheet
from tandem.tracking.models import TrackedThread, Turn


def tracked_of(writer: User, *, archived: bool | None = False) -> QuerySet[TrackedThread]:
    """A writer's tracked threads, longest waiting first (``archived=None``: all)."""
    found = TrackedThread.objects.filter(writer=writer).select_related("muse", "converted_to")
    if archived is not None:
        found = found.filter(archived_at__isnull=not archived)
    return found.order_by("turn_since", "pk")


def usual_reminder_days(writer: User) -> int | None:
    """The writer's general reminder (notification settings), for tracked threads without
    their own."""
    from tandem.notifications.models import NotificationSettings

    return (
        NotificationSettings.objects.filter(writer=writer)
        .values_list("reminder_days", flat=True)
        .first()
    )


def usual_reminder_days_of(writer_ids: Iterable[int]) -> dict[int, int | None]:
    """``usual_reminder_days`` for many writers in one query (absent: no settings yet)."""
    from tandem.notifications.models import NotificationSettings

    return dict(
        NotificationSettings.objects.filter(writer_id__in=set(writer_ids)).values_list(
            "writer_id", "reminder_days"
        )
    )


def mark_overdue(tracked: Iterable[TrackedThread], writer: User, now: datetime) -> None:
    """Set ``overdue`` on each of one writer's tracked threads (one settings lookup)."""
    usual_days = usual_reminder_days(writer)
    for one in tracked:
        one.overdue = one.is_overdue(usual_days, now)


def get_own_tracked(writer: User, pk: int) -> TrackedThread:
    return get_object_or_404(TrackedThread, pk=pk, writer=writer)


@dataclass
class Elsewhere:
    """The queue's share of tracked threads: those not archived, by whose turn it is, with
    ``overdue`` set on each (their turn has waited longer than its reminder). With a window,
    each list holds the longest-waiting few and the totals say how many there are."""

    your_turn: list[TrackedThread] = field(default_factory=list)
    waiting: list[TrackedThread] = field(default_factory=list)
    your_turn_total: int = 0
    waiting_total: int = 0


def elsewhere_queue(
    writer: User, *, now: datetime | None = None, window: int | None = None
) -> Elsewhere:
    now = now or timezone.now()
    kept = tracked_of(writer)
    totals = dict(kept.order_by().values_list("turn").annotate(count=Count("pk")))
    mine, theirs = kept.filter(turn=Turn.MINE), kept.exclude(turn=Turn.MINE)
    if window is not None:
        mine, theirs = mine[:window], theirs[:window]
    queue = Elsewhere(
        your_turn=list(mine),
        waiting=list(theirs),
        your_turn_total=totals.get(Turn.MINE, 0),
        waiting_total=sum(totals.values()) - totals.get(Turn.MINE, 0),
    )
    mark_overdue([*queue.your_turn, *queue.waiting], writer, now)
    return queue


def export_csv(writer: User) -> str:
    """Every tracked thread of the writer, archived too, as ``spreadsheet.EXPORT_COLUMNS``."""
    return spreadsheet.write_sheet(
        [spreadsheet.export_row(t) for t in tracked_of(writer, archived=None)]
    )
