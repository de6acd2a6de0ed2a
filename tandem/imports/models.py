from django.conf import settings
from django.db import models
from django.urls import reverse


class ImportStatus(models.TextChoices):
    REVIEWING = "reviewing", "Waiting for your review"
    QUEUED = "queued", "Queued"
    IMPORTING = "importing", "Importing"
    DONE = "done", "Imported"
    FAILED = "failed", "Failed"


class PendingImport(models.Model):
    """A pasted or uploaded thread between the proposed split and the created thread.

    The proposal lives here (not in the session) so the writer can correct it over several
    requests, and so a large import can run in the background and report its progress.
    """

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="pending_imports"
    )
    title = models.CharField(max_length=200)
    source_name = models.CharField(max_length=200, blank=True)
    source_format = models.CharField(max_length=8, blank=True)
    # The muses the writer named: [{"id": 12, "name": "ivy", "writer": "alice"}], in order.
    muses = models.JSONField(default=list)
    # The proposal as corrected so far: [{"text", "muse" (muse id or None), "confidence",
    # "split_reason", "split_confidence", "named", "date" (ISO or None)}].
    posts = models.JSONField(default=list)
    warnings = models.JSONField(default=list)
    status = models.CharField(max_length=12, choices=ImportStatus, default=ImportStatus.REVIEWING)
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    thread = models.ForeignKey(
        "threads.Thread", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # A thread the writer kept elsewhere and is moving here: archived once this is imported.
    tracked = models.ForeignKey(
        "tracking.TrackedThread",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"import of {self.title!r} by {self.owner}"

    def get_absolute_url(self) -> str:
        return reverse("import-review", args=[self.pk])

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 0
