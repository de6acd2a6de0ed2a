"""Writes for series and links. Each checks who may do it, here and nowhere else.

- A series belongs to its owner; only they rename, delete or reorder it.
- Only a thread's owner puts it in a series, and only in a series of their own; a thread is
  in at most one series. Entries join at the end; "up" and "down" swap neighbours.
- A link goes out from a thread, made by its owner, to another thread they may read and
  whose writers they have not blocked (nor been blocked by).
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils.text import slugify

from tandem.accounts.models import User
from tandem.blocks.selectors import exclude_hidden_threads
from tandem.exports.epub_export import export_series_epub
from tandem.exports.models import ExportJob
from tandem.exports.services import ExportFile, Progress, export_claim, export_run
from tandem.series.models import LinkKind, Series, SeriesEntry, SeriesExport, ThreadLink
from tandem.series.selectors import (
    MAX_ENTRIES,
    MAX_LINKS,
    MAX_SERIES,
    SeriesView,
    series_document,
    view_of,
)
from tandem.threads.models import Thread
from tandem.threads.permissions import can_read, is_owner


def _check_series_owner(series: Series, actor: User) -> None:
    if not actor.is_authenticated or series.owner_id != actor.pk:
        raise PermissionDenied("Only the series’ writer may change it.")


@transaction.atomic
def series_create(*, owner: User, title: str, description: str = "") -> Series:
    if Series.objects.filter(owner=owner).count() >= MAX_SERIES:
        raise ValidationError(f"You have {MAX_SERIES} series already; delete one first.")
    series = Series(owner=owner, title=title.strip(), description=description.strip())
    series.full_clean()
    series.save()
    return series


@transaction.atomic
def series_update(*, series: Series, actor: User, title: str, description: str = "") -> Series:
    _check_series_owner(series, actor)
    series.title, series.description = title.strip(), description.strip()
    series.full_clean()
    series.save(update_fields=["title", "description"])
    return series


@transaction.atomic
def series_delete(*, series: Series, actor: User) -> None:
    """The series goes; its threads stay as they are, in no series."""
    _check_series_owner(series, actor)
    series.delete()


@transaction.atomic
def series_add_thread(*, series: Series, thread: Thread, actor: User) -> SeriesEntry:
    _check_series_owner(series, actor)
    if not is_owner(thread, actor):
        raise PermissionDenied("Only the thread’s owner may put it in a series.")
    # The series row is the lock that orders concurrent additions.
    Series.objects.select_for_update().filter(pk=series.pk).first()
    if SeriesEntry.objects.filter(thread=thread).exists():
        raise ValidationError("That thread is already in a series; remove it from that first.")
    if SeriesEntry.objects.filter(series=series).count() >= MAX_ENTRIES:
        raise ValidationError(f"A series holds at most {MAX_ENTRIES} threads.")
    last = SeriesEntry.objects.filter(series=series).aggregate(last=Max("position"))["last"]
    try:
        with transaction.atomic():
            return SeriesEntry.objects.create(
                series=series, thread=thread, position=(last or 0) + 1
            )
    except IntegrityError:
        raise ValidationError("That thread is already in a series.") from None


@transaction.atomic
def series_remove_entry(*, entry: SeriesEntry, actor: User) -> None:
    _check_series_owner(entry.series, actor)
    entry.delete()


@transaction.atomic
def series_move_entry(*, entry: SeriesEntry, actor: User, direction: str) -> bool:
    """Swap the entry with its neighbour before ("up") or after ("down"). False at an end."""
    _check_series_owner(entry.series, actor)
    if direction not in ("up", "down"):
        raise ValidationError("Move up or down.")
    entries = list(
        SeriesEntry.objects.select_for_update().filter(series=entry.series).order_by("position")
    )
    ids = [item.pk for item in entries]
    if entry.pk not in ids:
        return False
    index = ids.index(entry.pk)
    other_index = index - 1 if direction == "up" else index + 1
    if not 0 <= other_index < len(entries):
        return False
    mine, other = entries[index], entries[other_index]
    # Positions are unique, so the swap passes through a free one (0 is never used).
    mine_position, other_position = mine.position, other.position
    SeriesEntry.objects.filter(pk=mine.pk).update(position=0)
    SeriesEntry.objects.filter(pk=other.pk).update(position=mine_position)
    SeriesEntry.objects.filter(pk=mine.pk).update(position=other_position)
    return True


@transaction.atomic
def link_create(*, from_thread: Thread, to_thread: Thread, kind: str, actor: User) -> ThreadLink:
    if not is_owner(from_thread, actor):
        raise PermissionDenied("Only the thread’s owner may link it to other threads.")
    # The same answer whether the thread does not exist or is not theirs to read.
    # The block rule is the one the thread page applies when showing links: a thread owned
    # or written in by a writer hidden from the linker is not theirs to link to.
    shown = exclude_hidden_threads(Thread.objects.filter(pk=to_thread.pk), actor)
    if not can_read(to_thread, actor) or not shown.exists():
        raise ValidationError("No thread you can read has that link.")
    if to_thread.pk == from_thread.pk:
        raise ValidationError("A thread cannot be linked to itself.")
    if kind not in LinkKind.values:
        raise ValidationError("Choose what the linked thread is to this one.")
    if ThreadLink.objects.filter(from_thread=from_thread).count() >= MAX_LINKS:
        raise ValidationError(f"A thread links to at most {MAX_LINKS} others.")
    link, created = ThreadLink.objects.get_or_create(
        from_thread=from_thread,
        to_thread=to_thread,
        defaults={"kind": kind, "created_by": actor},
    )
    if not created and link.kind != kind:
        link.kind = kind
        link.save(update_fields=["kind"])
    return link


@transaction.atomic
def link_remove(*, link: ThreadLink, actor: User) -> None:
    if not is_owner(link.from_thread, actor):
        raise PermissionDenied("Only the thread’s owner may remove its links.")
    link.delete()


def series_export(view: SeriesView, *, progress: Progress | None = None) -> ExportFile:
    """The series, as its reader sees it, as one EPUB book."""
    document = series_document(view, progress=progress)
    slug = slugify(view.series.title)[:80].strip("-_") or "series"
    return ExportFile(export_series_epub(document), f"{slug}.epub", "application/epub+zip")


def series_export_request(*, view: SeriesView, reader: User) -> ExportFile | ExportJob:
    """A short series' book right away; a long one's as a background job to wait for, as
    for a thread (``TANDEM_EXPORT_BACKGROUND_POSTS`` counts the posts of the whole book).
    Readers without an account have no job to own, so they always wait for the book."""
    posts = sum(entry.thread.post_count for entry in view.entries)
    if not reader.is_authenticated or posts <= settings.TANDEM_EXPORT_BACKGROUND_POSTS:
        return series_export(view)
    with transaction.atomic():
        job = ExportJob.objects.create(owner=reader, format="epub")
        SeriesExport.objects.create(job=job, series=view.series)
        from tandem.series.tasks import run_series_export

        transaction.on_commit(lambda: run_series_export.enqueue(job.pk))
    return job


def series_export_run(job_id: int) -> str:
    """The worker's side of ``series_export_request``: the book as the job's owner may read
    the series now, not when they asked."""
    job = export_claim(job_id)
    if job is None:
        return "already taken"
    link = SeriesExport.objects.select_related("series").filter(job=job).first()

    def build(progress: Progress) -> ExportFile:
        view = view_of(link.series, job.owner) if link is not None else None
        if view is None or not view.entries:
            raise ValidationError("You can no longer read this series, so it was not exported.")
        return series_export(view, progress=progress)

    return export_run(job, build=build).status
