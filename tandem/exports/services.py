"""Exports: a thread in a reader's chosen format, a writer's whole account, and the jobs that
build the big ones in the background. The views, the tasks and the CLI all call these."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import Storage, storages
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from tandem.accounts.models import User
from tandem.exports import archive, formats
from tandem.exports.backup import write_account_backup
from tandem.exports.models import ExportJob, ExportStatus
from tandem.exports.scope import download_scope, operator_scope
from tandem.exports.selectors import thread_document
from tandem.threads.models import Post, Thread
from tandem.threads.permissions import can_read, is_writer

Progress = Callable[[int, int], None]

THREAD_FORMATS = {
    **{
        fmt: (content_type, extension) for fmt, (content_type, extension) in formats.FORMATS.items()
    },
    "json": ("application/json", "json"),
}


@dataclass(frozen=True)
class ExportFile:
    content: bytes
    filename: str
    content_type: str


def _check_format(fmt: str) -> None:
    if fmt not in THREAD_FORMATS:
        known = ", ".join(sorted(THREAD_FORMATS))
        raise ValidationError(f"Unknown export format “{fmt}”; choose one of {known}.")


def thread_export(
    thread: Thread,
    fmt: str,
    *,
    reader: User | AnonymousUser | None = None,
    include_ooc: bool = False,
    progress: Progress | None = None,
) -> ExportFile:
    """The thread as one file. JSON is the full-fidelity archive; the others are for reading.

    ``reader`` is who downloads it (see ``tandem.exports.scope``): the thread's writers get
    revisions and, if they ask, OOC talk; anyone else the posts' current text. None is the
    server's operator (the command line). Removed posts never carry their text.
    """
    _check_format(fmt)
    content_type = THREAD_FORMATS[fmt][0]
    if fmt == "json":
        scope = (
            operator_scope(include_ooc=include_ooc)
            if reader is None
            else download_scope(thread, reader, include_ooc=include_ooc)
        )
        data = archive.thread_to_json(thread, scope=scope)
        name = (slugify(thread.title)[:80] or "thread") + ".json"
        if progress:
            progress(1, 1)
        return ExportFile(archive.dump_json(data), name, content_type)
    document = thread_document(thread, progress=progress)
    return ExportFile(
        formats.render_export(document, fmt), formats.export_filename(document, fmt), content_type
    )


def _exports_storage() -> Storage:
    """Where finished exports are kept (STORAGES["exports"]): the data dir's exports folder,
    or the bucket's exports/ prefix, so the worker that builds a file and the app server
    that hands it out need not share a disk."""
    return storages["exports"]


def thread_export_request(
    *, thread: Thread, reader: User, fmt: str, include_ooc: bool = False
) -> ExportFile | ExportJob:
    """A small thread's file right away; a long one's as a background job to wait for."""
    if not can_read(thread, reader):
        raise PermissionDenied("You cannot read this thread.")
    _check_format(fmt)
    # OOC talk is for the thread's writers only; a former participant is not one of them.
    include_ooc = include_ooc and is_writer(thread, reader)
    if thread.post_count <= settings.TANDEM_EXPORT_BACKGROUND_POSTS:
        return thread_export(thread, fmt, reader=reader, include_ooc=include_ooc)
    return _queue(ExportJob(owner=reader, thread=thread, format=fmt, include_ooc=include_ooc))


def backup_request(*, writer: User) -> ExportFile | ExportJob:
    """A writer's own account as one zip: right away when small, else in the background."""
    posts = Post.objects.filter(thread__participants__writer=writer).distinct().count()
    if posts <= settings.TANDEM_EXPORT_BACKGROUND_POSTS:
        return account_backup(writer)
    return _queue(ExportJob(owner=writer, format="backup"))


def account_backup(writer: User, *, progress: Progress | None = None) -> ExportFile:
    buffer = io.BytesIO()
    write_account_backup(writer, buffer, progress=progress)
    stamp = timezone.now().strftime("%Y-%m-%d")
    return ExportFile(buffer.getvalue(), f"tandem-{writer.username}-{stamp}.zip", "application/zip")


def _queue(job: ExportJob) -> ExportJob:
    job.save()
    from tandem.exports.tasks import run_export

    transaction.on_commit(lambda: run_export.enqueue(job.pk))
    return job


def export_claim(job_id: int) -> ExportJob | None:
    claimed = ExportJob.objects.filter(pk=job_id, status=ExportStatus.QUEUED).update(
        status=ExportStatus.RUNNING
    )
    return ExportJob.objects.select_related("thread", "owner").get(pk=job_id) if claimed else None


def export_run(job: ExportJob, build: Callable[[Progress], ExportFile] | None = None) -> ExportJob:
    """Build a queued job's file into the exports storage, recording progress as it goes.

    ``build`` makes the file for a job that is neither a thread nor a backup (a series book,
    ``tandem.series``); it raises ValidationError to fail the job with its message.
    """

    def progress(done: int, total: int) -> None:
        ExportJob.objects.filter(pk=job.pk).update(done=done, total=total)

    try:
        if build is not None:
            result = build(progress)
        elif job.format == "backup":
            result = account_backup(job.owner, progress=progress)
        else:
            # Who may read what is decided now, not when the job was queued: a writer who
            # left meanwhile gets what any reader gets, or nothing from a private thread.
            if not can_read(job.thread, job.owner):
                raise ValidationError("You can no longer read this thread, so it was not exported.")
            result = thread_export(
                job.thread,
                job.format,
                reader=job.owner,
                include_ooc=job.include_ooc,
                progress=progress,
            )
    except ValidationError as error:
        job.status, job.error = ExportStatus.FAILED, " ".join(error.messages)
        job.finished_at = timezone.now()
        job.save(update_fields=["status", "error", "finished_at"])
        return job
    # The storage may pick another name if this one is taken; the job keeps the one it used.
    relative = _exports_storage().save(f"{job.pk}-{result.filename}", ContentFile(result.content))
    job.refresh_from_db(fields=["done", "total"])
    job.status, job.filename, job.file_path = ExportStatus.DONE, result.filename, relative
    job.done = job.total = max(job.total, 1)
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "filename", "file_path", "done", "total", "finished_at"])
    return job


def export_job_file(job: ExportJob, reader: User) -> File:
    """A finished job's file, opened for reading; the caller closes it (FileResponse does)."""
    if job.owner_id != reader.pk:
        raise PermissionDenied("That download is not yours.")
    if job.status != ExportStatus.DONE:
        raise ValidationError("That download is not ready yet.")
    expired = ValidationError("That download has expired; export again.")
    if not job.file_path:
        raise expired
    try:
        # Opened straight away rather than asked about first: one round trip to a bucket,
        # and no gap in which the file could go between the question and the opening.
        return _exports_storage().open(job.file_path, "rb")
    except OSError:
        raise expired from None


def expired_exports_delete(*, now=None) -> int:
    """Forget finished downloads after TANDEM_EXPORT_KEEP_DAYS; run by the worker's scheduler."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.TANDEM_EXPORT_KEEP_DAYS)
    # Each job's file goes with it once the deletion commits (exports.signals).
    return ExportJob.objects.filter(created_at__lt=cutoff).delete()[0]


def export_file_delete(path: str) -> None:
    """Delete a finished export's file; one already gone is no error."""
    _exports_storage().delete(path)
