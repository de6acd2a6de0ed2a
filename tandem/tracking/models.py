"""Threads kept elsewhere: a writer's own note of a thread that lives on another site.

A tracked thread is private to its writer (nobody else ever sees it, not even a partner
with an account here): Tandem cannot know its posts, so whose turn it is is whatever the
writer last said, and its waiting time runs from the moment they last flipped it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone


class Turn(models.TextChoices):
    MINE = "mine", "My turn"
    THEIRS = "theirs", "Their turn"


class TrackedThread(models.Model):
    writer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="tracked_threads"
    )
    title = models.CharField(max_length=200)
    url = models.URLField("link", max_length=500, blank=True)
    site = models.CharField(max_length=100, blank=True)
    partner = models.CharField("partner's name", max_length=150, blank=True)
    # One of the writer's own muses; a deleted muse leaves the thread tracked without one.
    muse = models.ForeignKey(
        "muses.Muse", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    tags = models.CharField(max_length=500, blank=True, help_text="Separated by commas.")
    turn = models.CharField(max_length=6, choices=Turn.choices, default=Turn.MINE)
    turn_since = models.DateTimeField(default=timezone.now)
    remind_after_days = models.PositiveSmallIntegerField(
        "remind after (days)",
        null=True,
        blank=True,
        help_text="Nudge me and mark it overdue when it has been my turn for longer than this "
        "(empty: my usual reminder setting, if any).",
    )
    # When to nudge the writer next, while the turn is theirs (kept by ``services``; moved on
    # by each reminder sent): finding what is due is one indexed query.
    remind_at = models.DateTimeField(null=True, blank=True, db_index=True, editable=False)
    # The Tandem thread its text was imported into, once the writer moved it here.
    converted_to = models.ForeignKey(
        "threads.Thread",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    notes = models.TextField(max_length=5000, blank=True)
    archived_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["turn_since", "pk"]
        indexes = [models.Index(fields=["writer", "archived_at"], name="tracked_writer_archived")]
        constraints = [
            models.CheckConstraint(
                condition=Q(turn__in=[Turn.MINE, Turn.THEIRS]), name="tracked_turn_valid"
            ),
            models.CheckConstraint(
                condition=Q(remind_after_days__isnull=True) | Q(remind_after_days__gte=1),
                name="tracked_remind_positive",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("tracked-edit", args=[self.pk])

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None

    @property
    def is_my_turn(self) -> bool:
        return self.turn == Turn.MINE

    @property
    def tag_list(self) -> list[str]:
        return [tag.strip() for tag in self.tags.split(",") if tag.strip()]

    def reminder_days(self, usual_days: int | None) -> int | None:
        """Its own reminder, else the writer's usual one (their notification settings)."""
        return self.remind_after_days or usual_days

    def due_reminder(self, usual_days: int | None) -> datetime | None:
        """When the first nudge falls due: only while it is the writer's turn here."""
        days = self.reminder_days(usual_days)
        if not (days and self.is_my_turn and not self.is_archived):
            return None
        return self.turn_since + timedelta(days=days)

    def is_overdue(self, usual_days: int | None, now: datetime | None = None) -> bool:
        """Their turn has waited on the writer longer than the reminder that applies."""
        due = self.due_reminder(usual_days)
        return due is not None and (now or timezone.now()) > due
