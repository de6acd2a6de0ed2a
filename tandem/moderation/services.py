"""Writes for moderation: reporting, and every moderator action.

- ``report_create``: a writer reports something they can see (``targets`` found it). Never
  their own; one open report per reporter per target; the reason's text at most 2,000
  characters.
- ``moderate``: a staff member acts on a report: dismiss it, hide or show again the
  content, suspend the content's writer for 1–365 days or lift it, ban them or lift it.
  Every action writes one ``AuditEntry``. The first decision on a target resolves every
  open report about it, and each reporter is told the outcome by a notification.
"""

from __future__ import annotations

from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from tandem.accounts.models import User
from tandem.moderation.models import (
    TARGET_FIELDS,
    AuditAction,
    AuditEntry,
    HiddenContent,
    Reason,
    Report,
    ReportStatus,
    Suspension,
    TargetKind,
)
from tandem.moderation.selectors import current_suspension, responsible_writer
from tandem.moderation.targets import Reportable
from tandem.notifications.models import Kind
from tandem.notifications.services import notify

REPORT_TEXT_MAX = 2000
SUSPENSION_DAYS = (1, 365)


def report_create(*, reporter: User, target: Reportable, reason: str, text: str = "") -> Report:
    """Report something ``reporter`` can see (the caller found it with ``targets``)."""
    text = (text or "").strip()
    if reason not in Reason.values:
        raise ValidationError({"reason": "Choose why you are reporting this."})
    if len(text) > REPORT_TEXT_MAX:
        raise ValidationError(
            {"text": f"Keep it to {REPORT_TEXT_MAX:,} characters; this is {len(text):,}."}
        )
    if reason == Reason.OTHER and not text:
        raise ValidationError({"text": "Tell the moderators what is wrong."})
    if target.owner_id == reporter.pk:
        raise ValidationError(f"This is your own {target.kind}; you cannot report it.")
    field = TARGET_FIELDS[target.kind]
    if Report.objects.filter(
        reporter=reporter, status=ReportStatus.OPEN, **{field: target.obj}
    ).exists():
        raise ValidationError(
            f"You have already reported this {target.kind}; moderators will look at it."
        )
    try:
        with transaction.atomic():
            return Report.objects.create(
                reporter=reporter,
                kind=target.kind,
                target_label=target.label,
                reason=reason,
                text=text,
                **{field: target.obj},
            )
    except IntegrityError as error:  # the same report sent twice at once
        raise ValidationError(
            f"You have already reported this {target.kind}; moderators will look at it."
        ) from error


# ---------------------------------------------------------------------------- acting


def _check_staff(actor: User) -> None:
    if not (actor.is_authenticated and actor.is_staff):
        raise PermissionDenied("Only moderators can do that.")


def _audit(*, actor: User, action: str, report: Report, kind: str, target, label: str, note: str):
    return AuditEntry.objects.create(
        actor=actor,
        actor_name=actor.username,
        action=action,
        report=report,
        kind=kind,
        target_label=label[:300],
        note=note,
        **({TARGET_FIELDS[kind]: target} if target is not None else {}),
    )


def _writer_label(writer: User) -> str:
    return f"writer {writer.username}"


def _check_can_restrict(writer: User | None, actor: User) -> None:
    if writer is None:
        raise ValidationError("The writer of this content no longer has an account.")
    if writer.pk == actor.pk:
        raise ValidationError("You cannot restrict your own account.")
    if writer.is_staff or writer.is_superuser:
        raise ValidationError("Staff accounts are managed in the admin, not here.")


OUTCOMES = {
    AuditAction.DISMISS: "Moderators reviewed it and found no rule broken, so nothing changed.",
    AuditAction.HIDE: "Moderators agreed and removed the {kind} from view.",
    AuditAction.SUSPEND: "Moderators agreed and restricted the writer's account.",
    AuditAction.BAN: "Moderators agreed and closed the writer's account.",
}


@transaction.atomic
def moderate(
    *, report: Report, actor: User, action: str, note: str = "", days: int | None = None
) -> AuditEntry:
    """Carry out one moderator action on ``report``'s target; see the module's docstring."""
    _check_staff(actor)
    note = (note or "").strip()[:2000]
    report = Report.objects.select_for_update().get(pk=report.pk)
    target = report.target
    if action not in AuditAction.values:
        raise ValidationError("Choose one of the actions.")
    if target is None and action != AuditAction.DISMISS:
        raise ValidationError(f"The reported {report.kind} no longer exists; dismiss the report.")
    writer = responsible_writer(report.kind, target)
    kind, subject, label = report.kind, target, report.target_label
    if action in (AuditAction.SUSPEND, AuditAction.LIFT, AuditAction.BAN, AuditAction.UNBAN):
        # Account actions are about the writer whatever was reported.
        if writer is None:
            raise ValidationError("The writer of this content no longer has an account.")
        kind, subject, label = TargetKind.WRITER, writer, _writer_label(writer)

    if action == AuditAction.DISMISS:
        if not report.is_open:
            raise ValidationError("This report has already been decided.")
    elif action == AuditAction.HIDE:
        _hide(report, actor)
    elif action == AuditAction.UNHIDE:
        if not HiddenContent.objects.filter(**{TARGET_FIELDS[report.kind]: target}).delete()[0]:
            raise ValidationError(f"This {report.kind} is not hidden.")
    elif action == AuditAction.SUSPEND:
        _suspend(writer, actor, report, days)
        note = f"{days} day{'s' if days != 1 else ''}. {note}".strip()
    elif action == AuditAction.LIFT:
        if not Suspension.objects.filter(
            writer=writer, lifted_at__isnull=True, ends_at__gt=timezone.now()
        ).update(lifted_at=timezone.now()):
            raise ValidationError(f"{writer.username} is not suspended.")
    elif action == AuditAction.BAN:
        _check_can_restrict(writer, actor)
        if not writer.is_active:
            raise ValidationError(f"{writer.username} is already banned.")
        writer.is_active = False
        writer.save(update_fields=["is_active"])
    elif action == AuditAction.UNBAN:
        if writer.is_active:
            raise ValidationError(f"{writer.username} is not banned.")
        writer.is_active = True
        writer.save(update_fields=["is_active"])

    entry = _audit(
        actor=actor, action=action, report=report, kind=kind, target=subject, label=label, note=note
    )
    if action in OUTCOMES:
        _resolve(report, actor, action)
    return entry


def _hide(report: Report, actor: User) -> None:
    if report.kind == TargetKind.WRITER:
        raise ValidationError("A writer cannot be hidden: suspend or ban their account instead.")
    field = TARGET_FIELDS[report.kind]
    _, created = HiddenContent.objects.get_or_create(
        **{field: report.target},
        defaults={
            "kind": report.kind,
            "target_label": report.target_label,
            "hidden_by": actor,
            "report": report,
        },
    )
    if not created:
        raise ValidationError(f"This {report.kind} is already hidden.")


def _suspend(writer: User, actor: User, report: Report, days: int | None) -> Suspension:
    _check_can_restrict(writer, actor)
    low, high = SUSPENSION_DAYS
    if days is None or not low <= days <= high:
        raise ValidationError({"days": f"Suspend for {low} to {high} days."})
    if current_suspension(writer) is not None:
        raise ValidationError(
            f"{writer.username} is already suspended; lift that suspension first to change it."
        )
    now = timezone.now()
    return Suspension.objects.create(
        writer=writer,
        starts_at=now,
        ends_at=now + timedelta(days=days),
        created_by=actor,
        report=report,
    )


def _resolve(report: Report, actor: User, action: str) -> None:
    """Close every open report about the same target and tell each reporter the outcome."""
    field = TARGET_FIELDS[report.kind]
    target = report.target
    if target is not None:
        reports = Report.objects.filter(status=ReportStatus.OPEN, **{field: target})
    else:
        reports = Report.objects.filter(pk=report.pk, status=ReportStatus.OPEN)
    status = ReportStatus.DISMISSED if action == AuditAction.DISMISS else ReportStatus.ACTIONED
    outcome = OUTCOMES[action].format(kind=report.kind)
    now = timezone.now()
    for open_report in reports.select_related("reporter"):
        open_report.status = status
        open_report.resolved_by = actor
        open_report.resolved_at = now
        open_report.outcome = outcome
        open_report.save(update_fields=["status", "resolved_by", "resolved_at", "outcome"])
        notify(
            recipient=open_report.reporter,
            kind=Kind.REPORT_RESOLVED,
            thread=None,
            actor=None,  # moderators act as "the moderators", not by name
            text=f"Your report of {open_report.target_label} was reviewed. {outcome}",
            url=reverse("my-reports") + f"#report-{open_report.pk}",
        )
