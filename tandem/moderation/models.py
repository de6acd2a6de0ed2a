"""Reports, what moderators did about them, and the state their actions leave behind.

A report names one target: a post, a thread, a muse or a writer (one nullable foreign key
each, the one matching ``kind``). Targets that disappear later leave their reports and
audit entries in place with the label they had (``target_label``).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q


class TargetKind(models.TextChoices):
    POST = "post", "Post"
    THREAD = "thread", "Thread"
    MUSE = "muse", "Muse"
    WRITER = "writer", "Writer"


class Reason(models.TextChoices):
    SPAM = "spam", "Spam or advertising"
    HARASSMENT = "harassment", "Harassment or abuse"
    RATING = "rating", "Content does not match its rating or warnings"
    OTHER = "other", "Something else"


class ReportStatus(models.TextChoices):
    OPEN = "open", "Open"
    DISMISSED = "dismissed", "Dismissed"
    ACTIONED = "actioned", "Acted on"


TARGET_FIELDS = {
    TargetKind.POST: "post",
    TargetKind.THREAD: "thread",
    TargetKind.MUSE: "muse",
    TargetKind.WRITER: "writer",
}


def _one_target(prefix: str) -> list[models.CheckConstraint]:
    """A target column is set only for its own kind (so at most one is ever set)."""
    return [
        models.CheckConstraint(
            condition=Q(**{f"{field}__isnull": True}) | Q(kind=kind),
            name=f"moderation_{prefix}_{field}_matches_kind",
        )
        for kind, field in TARGET_FIELDS.items()
    ]


class Target(models.Model):
    """The target columns shared by reports, hidden content and audit entries."""

    kind = models.CharField(max_length=8, choices=TargetKind)
    post = models.ForeignKey(
        "threads.Post", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    thread = models.ForeignKey(
        "threads.Thread", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    muse = models.ForeignKey(
        "muses.Muse", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    writer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # What the target was called when this row was written ("post #4 in “Lanterns”").
    target_label = models.CharField(max_length=300)

    class Meta:
        abstract = True

    @property
    def target(self):
        return getattr(self, TARGET_FIELDS[self.kind])


class Report(Target):
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reports_made"
    )
    reason = models.CharField(max_length=16, choices=Reason)
    text = models.TextField(max_length=2000, blank=True)
    status = models.CharField(max_length=12, choices=ReportStatus, default=ReportStatus.OPEN)
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    # What the reporter is told.
    outcome = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["status", "created_at"])]
        constraints = [
            *_one_target("report"),
            # One open report per reporter per target.
            *(
                models.UniqueConstraint(
                    fields=["reporter", field],
                    condition=Q(status="open", **{f"{field}__isnull": False}),
                    name=f"moderation_one_open_report_per_{field}",
                )
                for field in TARGET_FIELDS.values()
            ),
        ]

    def __str__(self) -> str:
        return f"report of {self.target_label} by {self.reporter}"

    @property
    def is_open(self) -> bool:
        return self.status == ReportStatus.OPEN


class HiddenContent(Target):
    """A post, thread or muse moderators hid. Deleting the row shows it again."""

    hidden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    report = models.ForeignKey(Report, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            *_one_target("hidden"),
            *(
                models.UniqueConstraint(
                    fields=[field],
                    condition=Q(**{f"{field}__isnull": False}),
                    name=f"moderation_hidden_{field}_once",
                )
                for field in ("post", "thread", "muse")
            ),
            models.CheckConstraint(
                condition=~Q(kind="writer"), name="moderation_hidden_not_a_writer"
            ),
        ]

    def __str__(self) -> str:
        return f"hidden: {self.target_label}"


class Suspension(models.Model):
    """A writer may read but not write until ``ends_at`` (or until it is lifted)."""

    writer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="suspensions"
    )
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    lifted_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    report = models.ForeignKey(Report, null=True, blank=True, on_delete=models.SET_NULL)

    class Meta:
        indexes = [models.Index(fields=["writer", "ends_at"])]

    def __str__(self) -> str:
        return f"{self.writer} suspended until {self.ends_at:%Y-%m-%d}"


class AuditAction(models.TextChoices):
    DISMISS = "dismiss", "Dismissed a report"
    HIDE = "hide", "Hid content"
    UNHIDE = "unhide", "Showed hidden content again"
    SUSPEND = "suspend", "Suspended a writer"
    LIFT = "lift", "Lifted a suspension"
    BAN = "ban", "Banned a writer"
    UNBAN = "unban", "Lifted a ban"


class AuditEntry(Target):
    """One moderator action. Written once, never edited or deleted by Tandem."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Kept as text too: the log still says who acted after their account is gone.
    actor_name = models.CharField(max_length=150)
    action = models.CharField(max_length=12, choices=AuditAction)
    report = models.ForeignKey(
        Report, null=True, blank=True, on_delete=models.SET_NULL, related_name="audit_entries"
    )
    note = models.TextField(max_length=2000, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name_plural = "audit entries"
        constraints = _one_target("audit")

    def __str__(self) -> str:
        return f"{self.actor_name}: {self.get_action_display()} ({self.target_label})"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None and not self._state.adding:
            raise ValueError("Audit entries are never changed.")
        super().save(*args, **kwargs)
