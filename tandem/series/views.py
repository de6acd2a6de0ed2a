from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tandem.core.limits import limit
from tandem.exports.models import ExportJob
from tandem.series import selectors, services
from tandem.series.forms import AddToSeriesForm, LinkForm, MoveForm, SeriesForm
from tandem.series.models import Series, SeriesEntry, ThreadLink
from tandem.threads.models import Thread
from tandem.threads.permissions import get_readable_thread


def _error_text(error: ValidationError | PermissionDenied) -> str:
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return str(error) or "You are not allowed to do that."


def _back_to_thread(thread: Thread) -> HttpResponse:
    return redirect(thread.get_absolute_url() + "#series")


def _own_series(request: HttpRequest, public_id: str) -> Series:
    # Another writer's series is a 404, as if it did not exist.
    return get_object_or_404(Series, public_id=public_id, owner=request.user)


@login_required
@require_http_methods(["GET", "POST"])
def series_list(request: HttpRequest) -> HttpResponse:
    """A writer's own series, and the form that starts a new one."""
    form = SeriesForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            series = services.series_create(owner=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Series “{series.title}” started.")
            return redirect(series)
    rows = selectors.series_list(request.user)
    return render(request, "series/series_list.html", {"form": form, "rows": rows})


@require_GET
def series_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    view = selectors.series_view(request.user, public_id)
    form = SeriesForm(instance=view.series) if view.is_owner else None
    return render(request, "series/series_detail.html", {"view": view, "form": form})


@login_required
@require_POST
def series_edit(request: HttpRequest, public_id: str) -> HttpResponse:
    series = _own_series(request, public_id)
    form = SeriesForm(request.POST)
    if not form.is_valid():
        messages.error(request, "A series needs a title of at most 200 characters.")
        return redirect(series)
    services.series_update(series=series, actor=request.user, **form.cleaned_data)
    messages.success(request, "Series saved.")
    return redirect(series)


@login_required
@require_POST
def series_delete(request: HttpRequest, public_id: str) -> HttpResponse:
    series = _own_series(request, public_id)
    services.series_delete(series=series, actor=request.user)
    messages.success(request, f"Series “{series.title}” deleted; its threads are unchanged.")
    return redirect("series-list")


@login_required
@require_POST
def series_entry_move(request: HttpRequest, public_id: str, pk: int) -> HttpResponse:
    series = _own_series(request, public_id)
    entry = get_object_or_404(SeriesEntry.objects.select_related("series"), pk=pk, series=series)
    form = MoveForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Move a thread up or down.")
    else:
        services.series_move_entry(
            entry=entry, actor=request.user, direction=form.cleaned_data["direction"]
        )
    return redirect(series.get_absolute_url() + f"#entry-{entry.pk}")


@login_required
@require_POST
def series_entry_remove(request: HttpRequest, public_id: str, pk: int) -> HttpResponse:
    series = _own_series(request, public_id)
    entry = get_object_or_404(SeriesEntry.objects.select_related("series"), pk=pk, series=series)
    services.series_remove_entry(entry=entry, actor=request.user)
    messages.success(request, "Thread taken out of the series.")
    return redirect(series)


@login_required
@require_POST
def series_thread_add(request: HttpRequest, public_id: str) -> HttpResponse:
    thread = get_readable_thread(request.user, public_id)
    form = AddToSeriesForm(request.POST, owner=request.user)
    if not form.is_valid():
        messages.error(request, "Choose one of your series.")
        return _back_to_thread(thread)
    try:
        services.series_add_thread(
            series=form.cleaned_data["series"], thread=thread, actor=request.user
        )
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(request, f"Added to “{form.cleaned_data['series'].title}”.")
    return _back_to_thread(thread)


@require_POST
@limit("export")
def series_export(request: HttpRequest, public_id: str) -> HttpResponse:
    view = selectors.series_view(request.user, public_id)
    result = services.series_export_request(view=view, reader=request.user)
    if isinstance(result, ExportJob):
        messages.info(request, "That is a big one: it is being prepared in the background.")
        return redirect(result)
    response = HttpResponse(result.content, content_type=result.content_type)
    response["Content-Disposition"] = f'attachment; filename="{result.filename}"'
    return response


@login_required
@require_POST
def thread_link_add(request: HttpRequest, public_id: str) -> HttpResponse:
    thread = get_readable_thread(request.user, public_id)
    form = LinkForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(m for errors in form.errors.values() for m in errors))
        return _back_to_thread(thread)
    target = Thread.objects.filter(public_id=form.cleaned_data["target"]).first()
    try:
        if target is None:
            raise ValidationError("No thread you can read has that link.")
        services.link_create(
            from_thread=thread, to_thread=target, kind=form.cleaned_data["kind"], actor=request.user
        )
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(request, f"Linked to “{target.title}”.")
    return _back_to_thread(thread)


@login_required
@require_POST
def thread_link_remove(request: HttpRequest, pk: int) -> HttpResponse:
    # Only links out of the writer's own threads exist for them here.
    link = get_object_or_404(
        ThreadLink.objects.select_related("from_thread"), pk=pk, from_thread__owner=request.user
    )
    services.link_remove(link=link, actor=request.user)
    messages.success(request, "Link removed.")
    return _back_to_thread(link.from_thread)
