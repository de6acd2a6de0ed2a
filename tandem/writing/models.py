from django.conf import settings
from django.db import models


class Draft(models.Model):
    """The reply a writer is working on in a thread, saved as they type.

    One per writer per thread, so it follows them across devices and survives logout.
    """

    writer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="drafts"
    )
    thread = models.ForeignKey("threads.Thread", on_delete=models.CASCADE, related_name="drafts")
    muse = models.ForeignKey("muses.Muse", null=True, blank=True, on_delete=models.SET_NULL)
    icon = models.ForeignKey("muses.MuseIcon", null=True, blank=True, on_delete=models.SET_NULL)
    body = models.TextField(blank=True)
    # The editing client's stamp for this text (milliseconds, increasing with every edit).
    # A save carrying an older stamp than the one held is refused: drafts never go back.
    revision = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["writer", "thread"], name="writing_one_draft_per_thread"
            )
        ]

    def __str__(self) -> str:
        return f"draft by {self.writer} in {self.thread}"
