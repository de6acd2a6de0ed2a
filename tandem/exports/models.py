from django.conf import settings
from django.db import models
from django.urls import reverse


class ExportStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Preparing"
    DONE = "done", "Ready"
    FAILED = "failed", "Failed"


class ExportJob(models.Model):
    """A download too big to build while the reader waits: a long thread or a whole account.

    The worker writes the file into the exports storage; only the job's owner may fetch it.
    """

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="export_jobs"
    )
    # None for an account backup.
    thread = models.ForeignKey(
        "threads.Thread", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    format = models.CharField(max_length=8)  # md, txt, html, epub, json, backup
    include_ooc = models.BooleanField(default=False)
    status = models.CharField(max_length=8, choices=ExportStatus, default=ExportStatus.QUEUED)
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    filename = models.CharField(max_length=200, blank=True)
    # The file's name in STORAGES["exports"] (the data dir's exports folder, or a bucket).
    file_path = models.CharField(max_length=300, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.format} export for {self.owner}"

    def get_absolute_url(self) -> str:
        return reverse("export-job", args=[self.pk])

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 0
