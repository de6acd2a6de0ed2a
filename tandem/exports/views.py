from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from tandem.core.limits import limit
from tandem.exports import services
from tandem.exports.forms import RestoreForm, ThreadExportForm
from tandem.exports.models import ExportJob, ExportStatus
from tandem.exports.restore import RestoreError, restore
from tandem.exports.selectors import export_jobs_of
from tandem.threads.permissions import get_readable_thread


def _download(result: services.ExportFile) -> HttpResponse:
    response = HttpResponse(result.content, content_type=result.content_type)
    response["Content-Disposition"] = f'attachment; filename="{result.filename}"'
    return response


def _deliver(request: HttpRequest, result) -> HttpResponse:
    if isinstance(result, ExportJob):
        messages.info(request, "That is a big one: it is being prepared in the background.")
        return redirect(result)
    return _download(result)


@require_POST
@limit("export")
def thread_export(request: HttpRequest, public_id: str) -> HttpResponse:
    thread = get_readable_thread(request.user, public_id)
    form = ThreadExportForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose one of the download formats.")
        return redirect(thread)
    if not request.user.is_authenticated:
        # Readers of public threads download without an account, so there is no job to own.
        return _download(
            services.thread_export(thread, form.cleaned_data["format"], reader=request.user)
        )
    result = services.thread_export_request(
        thread=thread,
        reader=request.user,
        fmt=form.cleaned_data["format"],
        include_ooc=form.cleaned_data["include_ooc"],
    )
    return _deliver(request, result)


@login_required
def export_job(request: HttpRequest, pk: int) -> HttpResponse:
    job = get_object_or_404(ExportJob, pk=pk, owner=request.user)
    template = "exports/export_job.html" + ("#job" if request.htmx else "")
    return render(request, template, {"job": job})


@login_required
def export_job_download(request: HttpRequest, pk: int) -> HttpResponse:
    job = get_object_or_404(ExportJob, pk=pk, owner=request.user)
    try:
        file = services.export_job_file(job, request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(job)
    return FileResponse(file, as_attachment=True, filename=job.filename)


@login_required
@require_http_methods(["GET", "POST"])
@limit("export")
def account_backup(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        return _deliver(request, services.backup_request(writer=request.user))
    jobs = export_jobs_of(request.user).filter(status__in=ExportStatus.values)[:10]
    return render(request, "exports/backup.html", {"jobs": jobs})


@staff_member_required
@require_http_methods(["GET", "POST"])
def restore_upload(request: HttpRequest) -> HttpResponse:
    form = RestoreForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        try:
            report = restore(
                form.cleaned_data["file"].read(),
                actor=request.user,
                username_map=form.cleaned_data["username_map"],
                trust_owners=form.cleaned_data["trust_owners"],
            )
        except (RestoreError, ValidationError) as error:
            form.add_error(None, " ".join(getattr(error, "messages", [str(error)])))
    return render(request, "exports/restore.html", {"form": form, "report": report})
