"""``/api/v1/``: notifications, search and exports (issue 11, item 1), through the pages' own
selectors, services and forms, so every rule has one home:

* notifications: the writer's own in-app ones (``notifications.selectors.notifications_of``),
  newest first, a page at a time by a cursor (``before``: the last id seen; a cursor
  that is not one of theirs is a 404); marking read is
  ``notifications.services.mark_read``, which only ever touches the writer's own.
* search: the search page's form (``search.forms.SearchForm``: the same checks and the same
  sentences, as ``fields``) and ``search.selectors.search``, whose SQL carries the reader's
  permission filter, so a token finds exactly what its writer may read.
* exports: ``exports.forms.ThreadExportForm`` and ``exports.services.thread_export_request``;
  a small thread's file comes back at once (200), a long one's as a job to poll (202). A
  job, its status and its file are its owner's only: anyone else's is a 404.

Every call counts against the token's ``api`` limit; searching and exporting also count
against the writer's own ``search`` and ``export`` limits, as on the pages.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from ninja import Field, Query, Router, Schema, Status

from tandem.api import schemas
from tandem.api.api import ERRORS, _counted, _error, _thread_ref, form_refused
from tandem.core import limits
from tandem.exports import services as export_services
from tandem.exports.forms import ThreadExportForm
from tandem.exports.models import ExportJob, ExportStatus
from tandem.exports.selectors import absolute_url, export_jobs_of
from tandem.notifications import selectors as notification_selectors
from tandem.notifications import services as notification_services
from tandem.notifications.models import Notification
from tandem.search import selectors as search_selectors
from tandem.search.forms import SearchForm
from tandem.threads.permissions import get_readable_thread

router = Router(tags=["notifications, search, exports"])

NOTIFICATIONS_PAGE_MAX = 100
#: The largest id either database stores (a bigint); beyond it nothing can match.
MAX_ID = 2**63 - 1
Id = Annotated[int, Field(ge=1, le=MAX_ID)]

# ------------------------------------------------------------------ documents


class NotificationDoc(Schema):
    id: int
    kind: str = Field(description="your_turn, invited, reminder, … (see docs/api.md).")
    text: str
    url: str
    thread: schemas.ThreadRef | None
    actor: str | None = Field(description="The username of who caused it, if anyone.")
    created_at: datetime
    read: bool


class NotificationPage(Schema):
    items: list[NotificationDoc]
    unread: int = Field(description="How many of your notifications are unread, in all.")
    next_before: int | None = Field(
        description="Pass as ?before= for the next (older) page; null on the last page."
    )


class ReadIn(Schema):
    ids: list[Id] | None = Field(
        None, max_length=1000, description="These notifications only; leave out for all."
    )


class Marked(Schema):
    marked: int = Field(description="How many were unread and are now read.")
    unread: int


class SearchIn(Schema):
    """The search page's own fields; checked by its form, with its sentences."""

    q: str = Field("", description='Words; "a phrase"; -word to leave a word out.')
    kind: str = Field("", description="posts (the default), threads, muses or writers.")
    sort: str = Field("", description="relevance (the default) or date.")
    tag: str = ""
    rating: str = ""
    warning: str = ""
    status: str = ""
    writer: str = Field("", description="A writer's username.")
    muse: str = Field("", max_length=18, description="A muse's id.")
    thread: str = Field("", description="A thread's id: search in that thread only.")
    mine: bool = Field(False, description="Only threads you write in.")
    after: str = Field("", description="YYYY-MM-DD")
    before: str = Field("", description="YYYY-MM-DD")
    page: str = Field("", description="1 to 50; 20 results a page.")


class SearchHit(Schema):
    title: str = Field(description="The thread's title, the muse's or the writer's name.")
    url: str
    snippet_html: str = Field(description="Posts: the matching words in <mark>; else ''.")
    thread: schemas.ThreadRef | None
    muse: str | None
    writer: str | None
    created_at: datetime | None


class SearchResults(Schema):
    kind: str
    page: int
    pages: int
    count: int = Field(description="How many of this kind match (at most 1000).")
    capped: bool = Field(description="More than ``count`` match: narrow the search.")
    counts: dict[str, int] = Field(description="How many of each kind match.")
    items: list[SearchHit]


class ExportIn(Schema):
    thread: str = Field(max_length=16, pattern=r"^[A-Za-z0-9_-]+$", description="A thread's id.")
    format: str = Field(description="epub, html, archive, md, txt or json.")
    include_ooc: bool = Field(False, description="JSON only, for the thread's writers.")


class ExportJobDoc(Schema):
    id: int
    status: str = Field(description="queued, running, done or failed.")
    format: str
    thread: schemas.ThreadRef | None
    done: int
    total: int
    filename: str
    error: str
    created_at: datetime
    finished_at: datetime | None
    download_url: str | None = Field(description="Where to fetch the file once done.")


#: What a download may be: a thread in one of the export formats, or an account backup.
FILE_TYPES = {
    **{fmt: content_type for fmt, (content_type, _) in export_services.THREAD_FORMATS.items()},
    "backup": "application/zip",
}
FILE_RESPONSE = {
    "description": "The file, as an attachment.",
    "content": {
        content_type: {"schema": {"type": "string", "format": "binary"}}
        for content_type in sorted(set(FILE_TYPES.values()))
    },
}


def _notification(notification: Notification) -> dict:
    return {
        "id": notification.pk,
        "kind": notification.kind,
        "text": notification.text,
        "url": absolute_url(notification.url),
        "thread": _thread_ref(notification.thread) if notification.thread else None,
        "actor": notification.actor.username if notification.actor else None,
        "created_at": notification.created_at,
        "read": notification.read_at is not None,
    }


def _hit(kind: str, item) -> dict:
    """One search result as the page shows it: a post, a thread, a muse or a writer."""
    hit = {"url": absolute_url(item.get_absolute_url()), "snippet_html": "", "thread": None}
    if kind == "posts":
        return {
            **hit,
            "title": item.thread.title,
            "snippet_html": str(item.snippet),
            "thread": _thread_ref(item.thread),
            "muse": item.muse.name,
            "writer": item.author.username,
            "created_at": item.created_at,
        }
    if kind == "threads":
        return {
            **hit,
            "title": item.title,
            "thread": _thread_ref(item),
            "muse": None,
            "writer": item.owner.username,
            "created_at": item.created_at,
        }
    if kind == "muses":
        return {
            **hit,
            "title": item.name,
            "muse": item.name,
            "writer": item.owner.username,
            "created_at": None,
        }
    return {
        **hit,
        "title": item.shown_name,
        "muse": None,
        "writer": item.username,
        "created_at": None,
    }


def _job(job: ExportJob) -> dict:
    download = reverse("api-v1:export_download", kwargs={"export_id": job.pk})
    return {
        "id": job.pk,
        "status": job.status,
        "format": job.format,
        "thread": _thread_ref(job.thread) if job.thread else None,
        "done": job.done,
        "total": job.total,
        "filename": job.filename,
        "error": job.error,
        "created_at": job.created_at,
        "finished_at": job.finished_at,
        "download_url": absolute_url(download) if job.status == ExportStatus.DONE else None,
    }


def _own_job(request: HttpRequest, export_id: int) -> ExportJob:
    return get_object_or_404(export_jobs_of(request.user), pk=export_id)


# ------------------------------------------------------------------ notifications


@router.get(
    "/notifications",
    response={200: NotificationPage, **ERRORS},
    summary="Your notifications, newest first",
)
def notification_list(
    request,
    unread: bool = Query(False, description="Only the unread ones."),
    before: int | None = Query(None, ge=1, le=MAX_ID, description="Older than this one."),
    limit: int = Query(30, ge=1, le=NOTIFICATIONS_PAGE_MAX),
):
    _counted(request)
    mine = notification_selectors.notifications_of(request.user)
    found = mine.filter(read_at__isnull=True) if unread else mine
    if before is not None:
        anchor = mine.filter(pk=before).values_list("created_at", flat=True).first()
        if anchor is None:
            # Another writer's notification says nothing of theirs: as for one not there.
            raise Http404("No such notification.")
        found = found.filter(Q(created_at__lt=anchor) | Q(created_at=anchor, pk__lt=before))
    items = list(found.order_by("-created_at", "-pk")[: limit + 1])
    more = len(items) > limit
    items = items[:limit]
    return {
        "items": [_notification(n) for n in items],
        "unread": notification_selectors.unread_count(request.user),
        "next_before": items[-1].pk if more else None,
    }


@router.post(
    "/notifications/read",
    response={200: Marked, **ERRORS},
    summary="Mark your notifications read: all, or some",
)
def notification_mark_read(request, payload: ReadIn | None = None):
    """Ids that are not yours (or not unread) are left alone, and not counted."""
    _counted(request)
    ids = payload.ids if payload is not None else None
    marked = notification_services.mark_read(writer=request.user, notification_ids=ids)
    return {"marked": marked, "unread": notification_selectors.unread_count(request.user)}


# ------------------------------------------------------------------ search


@router.get(
    "/search",
    response={200: SearchResults, **ERRORS},
    summary="Search posts, threads, muses or writers you may read",
)
def search(request, params: Query[SearchIn]):
    """The search page as JSON: its form's checks, its results, only what you may read."""
    _counted(request)
    limits.hit(request, "search")
    form = SearchForm(params.dict())
    if not form.is_valid():
        return form_refused(request, form, "The search could not be made.")
    data = form.cleaned_data
    filters = form.filters(search_selectors.search_scope(request.user, request.GET)["thread"])
    results = search_selectors.search(
        user=request.user,
        query=form.parsed,
        filters=filters,
        kind=data["kind"],
        sort=data["sort"],
        page=data["page"],
    )
    page = results.page
    return {
        "kind": results.kind,
        "page": page.number,
        "pages": page.paginator.num_pages,
        "count": results.count,
        "capped": results.is_capped,
        "counts": results.counts,
        "items": [_hit(results.kind, item) for item in page.object_list],
    }


# ------------------------------------------------------------------ exports


@router.post(
    "/exports",
    response={202: ExportJobDoc, **ERRORS},
    summary="Export a thread you may read",
    openapi_extra={"responses": {"200": FILE_RESPONSE}},
)
def export_create(request, payload: ExportIn):
    """A short thread's file comes back at once (200); a long one's is prepared in the
    background (202, with a job to poll at ``GET /exports/{id}``)."""
    _counted(request)
    thread = get_readable_thread(request.user, payload.thread)
    form = ThreadExportForm({"format": payload.format, "include_ooc": payload.include_ooc})
    if not form.is_valid():
        return form_refused(request, form, "Choose one of the download formats.")
    limits.hit(request, "export")
    try:
        result = export_services.thread_export_request(
            thread=thread,
            reader=request.user,
            fmt=form.cleaned_data["format"],
            include_ooc=form.cleaned_data["include_ooc"],
        )
    except ValidationError as error:
        return _error(request, 400, " ".join(error.messages), "refused")
    if isinstance(result, ExportJob):
        return Status(202, _job(result))
    response = HttpResponse(result.content, content_type=result.content_type)
    response["Content-Disposition"] = f'attachment; filename="{result.filename}"'
    return response


@router.get(
    "/exports/{export_id}",
    response={200: ExportJobDoc, **ERRORS},
    summary="An export of yours: is it ready?",
)
def export_detail(request, export_id: int):
    _counted(request)
    return _job(_own_job(request, export_id))


@router.get(
    "/exports/{export_id}/download",
    response={**ERRORS},
    summary="The file of a finished export of yours",
    openapi_extra={"responses": {"200": FILE_RESPONSE}},
)
def export_download(request, export_id: int):
    """409 while it is being prepared, 404 once it has expired or failed."""
    _counted(request)
    job = _own_job(request, export_id)
    try:
        file = export_services.export_job_file(job, request.user)
    except ValidationError as error:
        if job.status in (ExportStatus.QUEUED, ExportStatus.RUNNING):
            return _error(request, 409, " ".join(error.messages), "not_ready")
        raise Http404 from error
    return FileResponse(
        file,
        as_attachment=True,
        filename=job.filename,
        content_type=FILE_TYPES.get(job.format),
    )
