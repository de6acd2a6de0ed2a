from django.conf import settings
from django.db import models


class PushSubscription(models.Model):
    """One device's (one browser profile's) Web Push subscription for a writer.

    The endpoint is the push service's address for that browser; its keys encrypt what we
    send (RFC 8291), so only that browser can read it. One endpoint belongs to one writer:
    a second writer subscribing on the same browser takes it over.
    """

    writer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="push_subscriptions"
    )
    endpoint = models.URLField(max_length=1000, unique=True)
    p256dh = models.CharField(max_length=120)
    auth = models.CharField(max_length=40)
    # Shown on the devices page so a writer can tell their phone from their laptop.
    label = models.CharField(max_length=100)
    created_at = models.DateTimeField(auto_now_add=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.label} of {self.writer}"
