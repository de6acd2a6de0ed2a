from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from tandem.core.limits import limit
from tandem.imports import services
from tandem.imports.forms import ImportForm
from tandem.imports.models import ImportStatus, PendingImport
from tandem.imports.review import SplitPoint, split_points
from tandem.imports.sources import SourceError, check_size
from tandem.imports.splitter import UNSURE_BELOW
from tandem.muses.selectors import muses_of_writer
from tandem.tracking.models import TrackedThread
from tandem.tracking.selectors import get_own_tracked


def _upload_bytes(form: ImportForm) -> tuple[bytes, str]:
    upload = form.cleaned_data.get("file")
    if upload:
        try:
            check_size(upload.size)  # before reading a 50 MB upload into memory
        except SourceError as error:
            raise ValidationError(str(error)) from error
        return upload.read(), upload.name
    return form.cleaned_data["text"].encode("utf-8"), ""


@login_required
@require_http_methods(["GET", "POST"])
@limit("import")
def import_new(request: HttpRequest) -> HttpResponse:
    tracked = _tracked_to_convert(request)
    form = ImportForm(
        request.POST or None,
        request.FILES or None,
        muses=muses_of_writer(request.user, include_archived=False),
        initial={"title": tracked.title if tracked else request.GET.get("title", "")[:200]},
    )
    if request.method == "POST" and form.is_valid():
        try:
            data, filename = _upload_bytes(form)
            muses = list(form.cleaned_data["muses"])
            for muse in services.resolve_muses(request.user, form.cleaned_data["other_muses"]):
                if muse not in muses:
                    muses.append(muse)
            pending = services.import_propose(
                owner=request.user,
                title=form.cleaned_data["title"],
                data=data,
                muses=muses,
                filename=filename,
                fmt=form.cleaned_data["format"],
                tracked=tracked,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            return redirect(pending)
    return render(request, "imports/import_new.html", {"form": form, "tracked": tracked})


def _tracked_to_convert(request: HttpRequest) -> TrackedThread | None:
    """A thread kept elsewhere links here to move its text to Tandem (``?tracked=ID``, kept
    in the form's address on POST): the writer's own only, anyone else's is a 404."""
    value = request.GET.get("tracked", "")
    if not value:
        return None
    if not value.isdigit():
        raise Http404("No such thread kept elsewhere.")
    return get_own_tracked(request.user, int(value))


def _own_import(request: HttpRequest, pk: int) -> PendingImport:
    return get_object_or_404(PendingImport, pk=pk, owner=request.user)


def _edits(request: HttpRequest, pending: PendingImport) -> list[dict]:
    edits = []
    for index in range(len(pending.posts)):
        edit = {}
        if f"text-{index}" in request.POST:
            edit["text"] = request.POST[f"text-{index}"]
        if f"muse-{index}" in request.POST:
            value = request.POST[f"muse-{index}"]
            try:
                edit["muse"] = int(value) if value else None
            except ValueError:
                edit["muse"] = -1  # refused by the service with a message
        edits.append(edit)
    return edits


def _action(request: HttpRequest) -> str:
    """The review change a button asked for; "import" is not a change but the next step."""
    action = request.POST.get("action", "")
    if action == "import":
        return ""
    if action.startswith("split:") and action.count(":") == 1:
        index = action.partition(":")[2]
        action = f"{action}:{request.POST.get(f'split-at-{index}', '')}"
    elif action == "assign":
        # The form counts posts from 1, as the page shows them; the review from 0.
        first, last = request.POST.get("assign-from", ""), request.POST.get("assign-to", "")
        if not (first.strip().isdigit() and last.strip().isdigit()):
            raise ValidationError("Give the numbers of the first and last posts to reassign.")
        action = f"assign:{int(first) - 1}:{int(last) - 1}:{request.POST.get('assign-muse', '')}"
    return action


SPLIT_REASONS = {
    "separator": "split at a separator",
    "header": "split at a name header",
    "pov": "split where the point of view changes",
    "writer": "split by you",
    "file": "as the file has it",
}


def _post_notes(post: dict) -> str:
    """How the post came to be, for the review: “split at a separator · headed “Ivy””."""
    notes = [SPLIT_REASONS.get(post["split_reason"], "")]
    if post.get("named"):
        notes.append(f"headed “{post['named']}”")
    if post.get("date"):
        notes.append(f"dated {post['date'][:10]}")
    return " · ".join(note for note in notes if note)


# A select of every line stays usable up to about this many; past it, paragraphs only.
MAX_LINE_SPLIT_POINTS = 300


def _offered_split_points(text: str) -> list[SplitPoint]:
    points = split_points(text)
    if len(points) > MAX_LINE_SPLIT_POINTS:
        points = [point for point in points if point.line == 1]
    return points[: MAX_LINE_SPLIT_POINTS * 10]


def _review_context(pending: PendingImport, error: str = "") -> dict:
    rows = []
    for index, post in enumerate(pending.posts):
        rows.append(
            {
                "index": index,
                "number": index + 1,
                "post": post,
                "notes": _post_notes(post),
                # Unsure: no muse, a doubtful muse, or a doubtful place to start.
                "unsure": post["muse"] is None
                or post["confidence"] < UNSURE_BELOW
                or post.get("split_confidence", 1.0) < UNSURE_BELOW,
                "split_points": _offered_split_points(post["text"]),
                "rows": min(14, max(4, post["text"].count("\n") + len(post["text"]) // 80 + 1)),
            }
        )
    partners = [m for m in pending.muses if m["writer"].lower() != pending.owner.username.lower()]
    return {"pending": pending, "rows": rows, "error": error, "partners": partners}


@login_required
@require_http_methods(["GET", "POST"])
def import_review(request: HttpRequest, pk: int) -> HttpResponse:
    pending = _own_import(request, pk)
    if pending.status not in (ImportStatus.REVIEWING, ImportStatus.FAILED):
        return render(request, "imports/import_progress.html", {"pending": pending})
    error = pending.error if pending.status == ImportStatus.FAILED else ""
    if request.method == "POST":
        adding = request.POST.get("action") == "add-muse"
        try:
            services.import_revise(
                pending=pending,
                actor=request.user,
                edits=_edits(request, pending),
                action="" if adding else _action(request),
                title=request.POST.get("title"),
            )
            if adding:
                name = request.POST.get("new-muse-name", "")[:100]
                writer = request.POST.get("new-muse-writer", "").strip()[:150]
                spec = services.MuseSpec(name=name, owner=writer or None)
                services.import_add_muse(pending=pending, actor=request.user, spec=spec)
        except ValidationError as problem:
            error = " ".join(problem.messages)
        else:
            if request.POST.get("action") == "import":
                return _start(request, pending)
    context = _review_context(pending, error)
    if request.htmx and request.method == "POST":
        return render(request, "imports/import_review.html#proposal", context)
    return render(request, "imports/import_review.html", context)


def _start(request: HttpRequest, pending: PendingImport) -> HttpResponse:
    try:
        pending = services.import_start(pending=pending, actor=request.user)
    except ValidationError as problem:
        context = _review_context(pending, " ".join(problem.messages))
        template = "imports/import_review.html" + ("#proposal" if request.htmx else "")
        return render(request, template, context)
    if pending.status == ImportStatus.DONE:
        messages.success(request, f"Imported {pending.total} posts into “{pending.thread.title}”.")
        target = pending.thread.get_absolute_url()
    else:
        target = pending.get_absolute_url()
    if request.htmx:
        response = HttpResponse(status=204)
        response["HX-Redirect"] = target
        return response
    return redirect(target)


@login_required
def import_progress(request: HttpRequest, pk: int) -> HttpResponse:
    pending = _own_import(request, pk)
    if pending.status in (ImportStatus.DONE, ImportStatus.FAILED) and request.htmx:
        # Done: read the thread. Failed: back to the review, which shows why.
        response = HttpResponse(status=204)
        response["HX-Redirect"] = (
            pending.thread.get_absolute_url()
            if pending.status == ImportStatus.DONE
            else pending.get_absolute_url()
        )
        return response
    return render(request, "imports/import_progress.html#progress", {"pending": pending})


@login_required
@require_POST
def import_discard(request: HttpRequest, pk: int) -> HttpResponse:
    pending = _own_import(request, pk)
    try:
        services.import_discard(pending=pending, actor=request.user)
    except ValidationError as problem:
        messages.error(request, " ".join(problem.messages))
        return redirect(pending)
    messages.info(request, "The import was discarded; nothing was created.")
    return redirect("import-new")
