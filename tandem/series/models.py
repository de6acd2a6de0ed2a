"""Series (threads in a reading order) and links between threads (prequel, sequel, …).

A thread sits in at most one series, and only its owner puts it there, in a series of their
own. A link goes out from a thread, made by that thread's owner, to any thread they may
read. Who sees which entry or link is decided when it is shown (``selectors``): a reader
sees only the threads they may read.
"""

from django.conf import settings
from django.db import models
from django.urls import reverse

from tandem.threads.models import new_public_id


class Series(models.Model):
    # Unguessable, like a thread's: a series of private threads must not be found by counting.
    public_id = models.CharField(max_length=16, unique=True, default=new_public_id, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="series"
    )
    title = models.CharField(max_length=200)
    description = models.TextField(max_length=5000, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["title", "pk"]
        verbose_name_plural = "series"

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("series-detail", args=[self.public_id])


class SeriesEntry(models.Model):
    """A thread's place in a series. Positions order the entries; gaps are harmless."""

    series = models.ForeignKey(Series, on_delete=models.CASCADE, related_name="entries")
    # One series per thread: "Part 2 of …" has one answer, and the thread page one box.
    thread = models.OneToOneField(
        "threads.Thread", on_delete=models.CASCADE, related_name="series_entry"
    )
    position = models.PositiveIntegerField()

    class Meta:
        ordering = ["series", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["series", "position"], name="series_entry_position_unique"
            )
        ]
        verbose_name_plural = "series entries"

    def __str__(self) -> str:
        return f"{self.thread} in {self.series}"


class LinkKind(models.TextChoices):
    # Read as "<to_thread> is a <kind> of <from_thread>".
    PREQUEL = "prequel", "Prequel"
    SEQUEL = "sequel", "Sequel"
    SIDE_STORY = "side_story", "Side story"
    ALTERNATE_UNIVERSE = "alternate_universe", "Alternate universe"


class ThreadLink(models.Model):
    from_thread = models.ForeignKey(
        "threads.Thread", on_delete=models.CASCADE, related_name="links_out"
    )
    to_thread = models.ForeignKey(
        "threads.Thread", on_delete=models.CASCADE, related_name="links_in"
    )
    kind = models.CharField(max_length=24, choices=LinkKind)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["from_thread", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["from_thread", "to_thread"], name="series_link_unique"),
            models.CheckConstraint(
                condition=~models.Q(from_thread=models.F("to_thread")),
                name="series_link_not_to_itself",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.to_thread} is a {self.get_kind_display().lower()} of {self.from_thread}"


class SeriesExport(models.Model):
    """Which series a background export job is building (the job itself is an ExportJob,
    served, kept and expired like any other)."""

    job = models.OneToOneField(
        "exports.ExportJob",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="series_export",
    )
    series = models.ForeignKey(Series, on_delete=models.CASCADE, related_name="+")

    def __str__(self) -> str:
        return f"{self.series} for job {self.job_id}"
