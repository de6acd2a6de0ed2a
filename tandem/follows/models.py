"""Following (a thread, a muse or a writer) and bookmarks (a post, with a private note).

A follow or a bookmark is never deleted because its target went out of sight (a thread
made private, a block, a post removed): it is hidden and goes quiet, and comes back if the
target does. The rules live in ``selectors`` (who may see what) and ``services`` (writes).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

# The feed key now lives in tandem.feeds; migrations/0001_initial.py still names this.
from tandem.feeds.models import new_nonce as new_feed_nonce  # noqa: F401


class Follow(models.Model):
    """One reader following exactly one thread, muse or writer."""

    follower = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="follows"
    )
    thread = models.ForeignKey(
        "threads.Thread", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    muse = models.ForeignKey(
        "muses.Muse", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    writer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="followers",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(thread__isnull=False, muse__isnull=True, writer__isnull=True)
                    | Q(thread__isnull=True, muse__isnull=False, writer__isnull=True)
                    | Q(thread__isnull=True, muse__isnull=True, writer__isnull=False)
                ),
                name="follows_exactly_one_target",
            ),
            models.CheckConstraint(
                condition=~Q(writer=models.F("follower")), name="follows_not_self"
            ),
            models.UniqueConstraint(
                fields=["follower", "thread"],
                condition=Q(thread__isnull=False),
                name="follows_one_per_thread",
            ),
            models.UniqueConstraint(
                fields=["follower", "muse"],
                condition=Q(muse__isnull=False),
                name="follows_one_per_muse",
            ),
            models.UniqueConstraint(
                fields=["follower", "writer"],
                condition=Q(writer__isnull=False),
                name="follows_one_per_writer",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.follower} follows {self.target}"

    @property
    def target(self):
        return self.thread or self.muse or self.writer


class Bookmark(models.Model):
    """A reader's bookmark on a post, with a note only they see."""

    reader = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="bookmarks"
    )
    post = models.ForeignKey("threads.Post", on_delete=models.CASCADE, related_name="+")
    note = models.TextField(max_length=2000, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["reader", "post"], name="follows_one_bookmark")
        ]

    def __str__(self) -> str:
        return f"{self.reader}'s bookmark on {self.post_id}"
