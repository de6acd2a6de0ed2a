"""Pages for threads kept elsewhere: thin, every write through ``services``. Another
writer's tracked thread is a 404 (``selectors.get_own_tracked``)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tandem.core.limits import limit
from tandem.muses.selectors import muses_of_writer
from tandem.threads.views import _safe_next
from tandem.tracking import selectors, services, spreadsheet
from tandem.tracking.forms import MappingForm, TrackedForm, TurnForm, UploadForm


def _form(request: HttpRequest, **kwargs) -> TrackedForm:
    muses = muses_of_writer(request.user, include_archived=False).order_by("name")
    return TrackedForm(request.POST or None, muses=muses, **kwargs)


def _saved(form: TrackedForm, write) -> bool:
    """Run ``write`` on a valid form; a refusal from the services lands on the form."""
    if not form.is_valid():
        return False
    try:
        write(form.changes())
    except ValidationError as error:
        form.add_error(None, error)
        return False
    return True


@login_required
@require_http_methods(["GET", "POST"])
def tracked_list(request: HttpRequest) -> HttpResponse:
    """The management page: active and archived tracked threads, the add form, import and
    export. POST adds one."""
    form = _form(request)
    if request.method == "POST" and _saved(
        form, lambda data: services.tracked_create(writer=request.user, **data)
    ):
        messages.success(request, f"Now tracking “{form.cleaned_data['title']}”.")
        return redirect("tracked-list")
    active = list(selectors.tracked_of(request.user))
    selectors.mark_overdue(active, request.user, timezone.now())
    return render(
        request,
        "tracking/tracked_list.html",
        {
            "form": form,
            "active": active,
            "archived": selectors.tracked_of(request.user, archived=True),
            "upload": UploadForm(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def tracked_edit(request: HttpRequest, pk: int) -> HttpResponse:
    tracked = selectors.get_own_tracked(request.user, pk)
    # The form validates (and so changes) its own copy; the page's heading and the service
    # keep the stored one until the service saves.
    form = _form(request, instance=selectors.get_own_tracked(request.user, pk))
    if request.method == "POST" and _saved(
        form, lambda data: services.tracked_update(tracked=tracked, **data)
    ):
        messages.success(request, f"Saved “{tracked.title}”.")
        return redirect("tracked-list")
    return render(request, "tracking/tracked_edit.html", {"form": form, "tracked": tracked})


@login_required
@require_POST
def tracked_turn(request: HttpRequest, pk: int) -> HttpResponse:
    """One click from the queue: "I replied" (their turn) or "They replied" (mine)."""
    tracked = selectors.get_own_tracked(request.user, pk)
    form = TurnForm(request.POST)
    if form.is_valid():
        services.tracked_set_turn(tracked=tracked, turn=form.cleaned_data["turn"])
        whose = "your" if tracked.is_my_turn else "their"
        messages.success(request, f"“{tracked.title}”: {whose} turn now.")
    else:
        messages.error(request, "Say whose turn it is.")
    return redirect(_safe_next(request, "/"))


@login_required
@require_POST
def tracked_archive(request: HttpRequest, pk: int) -> HttpResponse:
    tracked = selectors.get_own_tracked(request.user, pk)
    archived = request.POST.get("archived", "1") != "0"
    services.tracked_archive(tracked=tracked, archived=archived)
    done = "archived" if archived else "back in your queue"
    messages.success(request, f"“{tracked.title}” {done}.")
    return redirect("tracked-list")


@login_required
@require_POST
def tracked_delete(request: HttpRequest, pk: int) -> HttpResponse:
    tracked = selectors.get_own_tracked(request.user, pk)
    services.tracked_delete(tracked=tracked)
    messages.success(request, f"Stopped tracking “{tracked.title}”.")
    return redirect("tracked-list")


def _import(request: HttpRequest, sheet: spreadsheet.Sheet, mapping: dict) -> HttpResponse:
    report = services.tracked_import(writer=request.user, sheet=sheet, mapping=mapping)
    return render(request, "tracking/import_report.html", {"report": report})


@login_required
@require_http_methods(["GET", "POST"])
@limit("import")
def tracked_import(request: HttpRequest) -> HttpResponse:
    """Upload a CSV; a Tumblr tracker's is imported at once, any other goes through the
    mapping step (the same URL, posted again with the columns chosen)."""
    if "csv_text" in request.POST:
        try:
            sheet = spreadsheet.read_sheet(request.POST["csv_text"].encode("utf-8"))
        except spreadsheet.SpreadsheetError as error:
            return render(request, "tracking/import.html", {"upload": UploadForm(), "error": error})
        mapping_form = MappingForm(request.POST, headers=sheet.headers)
        if mapping_form.is_valid():
            return _import(request, sheet, mapping_form.mapping())
        return _mapping_page(request, sheet, mapping_form)
    upload = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and upload.is_valid():
        file = upload.cleaned_data["file"]
        try:
            if file.size > spreadsheet.MAX_BYTES:  # before reading it into memory
                raise spreadsheet.SpreadsheetError(
                    f"The file is over {spreadsheet.MAX_BYTES // 1000} KB; split it in two."
                )
            data = file.read()
            sheet = spreadsheet.read_sheet(data)
        except spreadsheet.SpreadsheetError as error:
            return render(request, "tracking/import.html", {"upload": upload, "error": error})
        mapping = spreadsheet.known_mapping(sheet.headers)
        if mapping is not None:
            return _import(request, sheet, mapping)
        initial = {"csv_text": spreadsheet.decode(data)}
        initial.update(
            {
                f"col_{name}": index
                for name, index in spreadsheet.guess_mapping(sheet.headers).items()
            }
        )
        return _mapping_page(request, sheet, MappingForm(initial=initial, headers=sheet.headers))
    return render(request, "tracking/import.html", {"upload": upload})


def _mapping_page(
    request: HttpRequest, sheet: spreadsheet.Sheet, form: MappingForm
) -> HttpResponse:
    return render(
        request,
        "tracking/import_mapping.html",
        {"form": form, "headers": sheet.headers, "sample": sheet.rows[:3], "rows": len(sheet.rows)},
    )


@login_required
@require_GET
def tracked_export(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(
        selectors.export_csv(request.user), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = 'attachment; filename="threads-elsewhere.csv"'
    return response
