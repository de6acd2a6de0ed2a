"""Reads for series and links: what one reader may see of them.

Every thread shown goes through the thread's own rule, ``can_read``, after the block filter
for lists (``exclude_hidden_threads``): a reader never learns of a thread they could not
open — not its title, not its place, not even that a part is missing. So "Part N of M" counts
only the parts this reader sees, and a series none of whose threads they may read does not
exist for them (the same 404 as a wrong id). Its owner always sees all of it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count
from django.http import Http404
from django.utils import timezone

from tandem.accounts.models import User
from tandem.blocks.selectors import exclude_hidden_threads, is_blocked_between
from tandem.exports.document import SeriesDocument
from tandem.exports.selectors import absolute_url, thread_document
from tandem.series.models import LinkKind, Series, SeriesEntry, ThreadLink
from tandem.threads.models import Thread
from tandem.threads.permissions import can_read

#: Caps that keep every list on these pages short (and a series book finite).
MAX_ENTRIES = 100
MAX_LINKS = 20
MAX_SERIES = 200


@dataclass(frozen=True)
class SeriesView:
    """A series as one reader sees it: only the entries they may read, in reading order."""

    series: Series
    entries: list[SeriesEntry]
    is_owner: bool


@dataclass(frozen=True)
class ThreadSeriesBox:
    """What the thread page shows about its series and links, for one reader."""

    series: Series | None = None
    entries: list[SeriesEntry] = field(default_factory=list)
    #: 1-based place of the thread among the entries this reader sees.
    number: int = 0
    previous: Thread | None = None
    next: Thread | None = None
    links: list[ThreadLink] = field(default_factory=list)
    #: For the thread's owner: their series to add it to, and whether it may be managed.
    is_owner: bool = False
    own_series: list[Series] = field(default_factory=list)

    @property
    def link_kinds(self) -> list[tuple[str, str]]:
        return LinkKind.choices

    @property
    def is_empty(self) -> bool:
        return self.series is None and not self.links and not self.is_owner


def _readable(threads: list[Thread], user: User) -> set[int]:
    return {thread.pk for thread in threads if can_read(thread, user)}


def readable_entries(series: Series, user: User) -> list[SeriesEntry]:
    """The series' entries ``user`` may read, in reading order (all of them for its owner)."""
    entries = SeriesEntry.objects.filter(series=series).select_related("thread", "thread__owner")
    if series.owner_id != getattr(user, "pk", None):
        shown = exclude_hidden_threads(Thread.objects.filter(series_entry__series=series), user)
        entries = entries.filter(thread__in=shown.values("pk"))
    entries = list(entries.order_by("position")[:MAX_ENTRIES])
    readable = _readable([entry.thread for entry in entries], user)
    return [entry for entry in entries if entry.thread_id in readable]


def _hidden_owner(series: Series, user: User) -> bool:
    return is_blocked_between(user, series.owner_id)


def view_of(series: Series, user: User) -> SeriesView | None:
    """The series as ``user`` sees it; None when it does not exist for them: its writer and
    the reader blocked one another, or none of its threads is theirs to read."""
    if _hidden_owner(series, user):
        return None
    is_owner = user.is_authenticated and series.owner_id == user.pk
    entries = readable_entries(series, user)
    if not entries and not is_owner:
        return None
    return SeriesView(series=series, entries=entries, is_owner=is_owner)


def series_view(user: User, public_id: str) -> SeriesView:
    """The series as ``user`` sees it, or 404 — the same 404 whether it does not exist or it
    does not exist for them (``view_of``)."""
    series = Series.objects.select_related("owner").filter(public_id=public_id).first()
    view = view_of(series, user) if series is not None else None
    if view is None:
        raise Http404("No such series.")
    return view


def own_series(user: User) -> list[Series]:
    if not user.is_authenticated:
        return []
    return list(Series.objects.filter(owner=user).order_by("title", "pk")[:MAX_SERIES])


def series_list(user: User) -> list[tuple[Series, int]]:
    """A writer's own series with how many threads each holds."""
    rows = (
        Series.objects.filter(owner=user)
        .annotate(parts=Count("entries"))
        .order_by("title", "pk")[:MAX_SERIES]
    )
    return [(series, series.parts) for series in rows]


def readable_links(thread: Thread, user: User) -> list[ThreadLink]:
    """The thread's outgoing links whose target ``user`` may read; the others are not shown."""
    # A thread has at most MAX_LINKS (services refuse more), and most have none: read them
    # plainly first, so the block-aware filter below is only built for threads with links.
    links = list(
        ThreadLink.objects.filter(from_thread=thread)
        .select_related("to_thread")
        .order_by("pk")[:MAX_LINKS]
    )
    if not links:
        return []
    shown = set(
        exclude_hidden_threads(
            Thread.objects.filter(pk__in=[link.to_thread_id for link in links]), user
        ).values_list("pk", flat=True)
    )
    links = [link for link in links if link.to_thread_id in shown]
    readable = _readable([link.to_thread for link in links], user)
    return [link for link in links if link.to_thread_id in readable]


def thread_series_box(thread: Thread, user: User) -> ThreadSeriesBox:
    """The series box of a thread page that ``user`` is reading."""
    is_owner = user.is_authenticated and thread.owner_id == user.pk
    links = readable_links(thread, user)
    entry = SeriesEntry.objects.filter(thread=thread).select_related("series").first()
    series, entries, number, previous, following = None, [], 0, None, None
    if entry is not None and not _hidden_owner(entry.series, user):
        entries = readable_entries(entry.series, user)
        ids = [item.thread_id for item in entries]
        if thread.pk in ids:
            series = entry.series
            index = ids.index(thread.pk)
            number = index + 1
            previous = entries[index - 1].thread if index > 0 else None
            following = entries[index + 1].thread if index + 1 < len(entries) else None
    return ThreadSeriesBox(
        series=series,
        entries=entries if series else [],
        number=number,
        previous=previous,
        next=following,
        links=links,
        is_owner=is_owner,
        own_series=own_series(user) if is_owner else [],
    )


def series_document(view: SeriesView, *, progress=None) -> SeriesDocument:
    """The series as one book's data: each thread this reader may read, in reading order,
    built exactly as that thread's own download (removed posts left out, current text only).
    """
    threads = [entry.thread for entry in view.entries]
    total = sum(thread.post_count for thread in threads)
    done = 0
    documents = []
    for thread in threads:
        documents.append(thread_document(thread))
        done += thread.post_count
        if progress:
            progress(done, total)
    return SeriesDocument(
        public_id=view.series.public_id,
        title=view.series.title,
        description=view.series.description,
        url=absolute_url(view.series.get_absolute_url()),
        threads=documents,
        exported_at=timezone.now(),
    )
