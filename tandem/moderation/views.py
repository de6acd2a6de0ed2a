"""Reporting (any signed-in writer) and the moderation pages (staff, like the admin)."""

from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from tandem.core import limits
from tandem.moderation import selectors, services, targets
from tandem.moderation.forms import ActionForm, ReportForm
from tandem.moderation.models import AuditAction, Report, TargetKind
from tandem.writing.services import refresh_rendered

REPORTS_PER_PAGE = 25
AUDIT_PER_PAGE = 50


def _report(request: HttpRequest, target: targets.Reportable) -> HttpResponse:
    form = ReportForm(request.POST or None)
    if request.method == "POST":
        limited = limits.refusal(request, "report")  # the page answers 429, the text stays
        if limited:
            form.add_error(None, limited)
        elif form.is_valid():
            try:
                services.report_create(reporter=request.user, target=target, **form.cleaned_data)
            except ValidationError as error:
                if not hasattr(error, "error_dict"):
                    messages.error(request, " ".join(error.messages))
                    return redirect(target.url)
                form.add_error(None, error)
            else:
                messages.success(
                    request,
                    f"Thank you: your report of {target.label} went to the moderators. "
                    "You will be told what they decide.",
                )
                return redirect(target.url)
    elif target.owner_id == request.user.pk:
        messages.error(request, f"This is your own {target.kind}; you cannot report it.")
        return redirect(target.url)
    return render(request, "moderation/report_form.html", {"form": form, "target": target})


@login_required
@require_http_methods(["GET", "POST"])
def report_post(request: HttpRequest, public_id: str, number: int) -> HttpResponse:
    return _report(request, targets.reportable_post(request.user, public_id, number))


@login_required
@require_http_methods(["GET", "POST"])
def report_thread(request: HttpRequest, public_id: str) -> HttpResponse:
    return _report(request, targets.reportable_thread(request.user, public_id))


@login_required
@require_http_methods(["GET", "POST"])
def report_muse(request: HttpRequest, pk: int) -> HttpResponse:
    return _report(request, targets.reportable_muse(request.user, pk))


@login_required
@require_http_methods(["GET", "POST"])
def report_writer(request: HttpRequest, username: str) -> HttpResponse:
    return _report(request, targets.reportable_writer(request.user, username))


@login_required
@require_GET
def my_reports(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.reports_of(request.user), REPORTS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(request, "moderation/my_reports.html", {"page": page})


# ---------------------------------------------------------------------------- staff


@staff_member_required
@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.open_reports(), REPORTS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "moderation/queue.html", {"page": page})


@staff_member_required
@require_http_methods(["GET", "POST"])
def report_detail(request: HttpRequest, pk: int) -> HttpResponse:
    report = get_object_or_404(
        Report.objects.select_related(
            "reporter", "resolved_by", "post__thread", "post__muse", "post__author", "thread"
        ),
        pk=pk,
    )
    form = ActionForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            try:
                services.moderate(
                    report=report,
                    actor=request.user,
                    action=form.cleaned_data["action"],
                    note=form.cleaned_data["note"],
                    days=form.cleaned_data.get("days"),
                )
            except (ValidationError, PermissionDenied) as error:
                messages.error(
                    request,
                    " ".join(error.messages) if isinstance(error, ValidationError) else str(error),
                )
            else:
                label = AuditAction(form.cleaned_data["action"]).label
                messages.success(request, f"Done: {label.lower()}. It is in the audit log.")
                return redirect("moderation-report", pk=report.pk)
        else:
            messages.error(request, " ".join(e for errs in form.errors.values() for e in errs))
    record = selectors.record_for(report)
    post_html = ""
    if report.kind == TargetKind.POST and report.post is not None:
        refresh_rendered([report.post])
        post_html = report.post.body_html
    return render(
        request,
        "moderation/report_detail.html",
        {
            "report": report,
            "record": record,
            "form": form,
            "post_html": post_html,
            "days_range": services.SUSPENSION_DAYS,
        },
    )


@staff_member_required
@require_GET
def audit(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.audit_log(), AUDIT_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "moderation/audit.html", {"page": page})
