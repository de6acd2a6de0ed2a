from django.conf import settings
from django.db import models


class Kind(models.TextChoices):
    YOUR_TURN = "your_turn", "It is your turn"
    INVITED = "invited", "You are invited to a thread"
    INVITATION_ANSWERED = "invitation_answered", "Someone answered your invitation"
    PARTICIPANT_LEFT = "participant_left", "A muse left a thread"
    STATUS_CHANGED = "status_changed", "A thread's status changed"
    OOC_MENTION = "ooc_mention", "Your muse is mentioned in OOC talk"
    OOC_POSTED = "ooc_posted", "New OOC talk in a thread of yours"
    REMINDER = "reminder", "A turn of yours has waited a while"
    WEBHOOK_DISABLED = "webhook_disabled", "A webhook of yours was switched off"
    # ---- open starters
    JOIN_REQUESTED = "join_requested", "Someone asks to join your starter"
    JOIN_ANSWERED = "join_answered", "Your request to join a starter was answered"
    REPORT_RESOLVED = "report_resolved", "Moderators decided on a report of yours"
    # ---- following (tandem.follows)
    FOLLOWED_POST = "followed_post", "A new post in something I follow"


class Channel(models.TextChoices):
    IN_APP = "in_app", "In Tandem"
    EMAIL = "email", "Email"
    WEBHOOK = "webhook", "Webhook"
    PUSH = "push", "Push to my devices"


# What a new writer gets before they touch their preferences.
DEFAULT_CHANNELS = {
    Kind.YOUR_TURN: [Channel.IN_APP, Channel.EMAIL, Channel.WEBHOOK, Channel.PUSH],
    Kind.INVITED: [Channel.IN_APP, Channel.EMAIL, Channel.WEBHOOK, Channel.PUSH],
    Kind.INVITATION_ANSWERED: [Channel.IN_APP],
    Kind.PARTICIPANT_LEFT: [Channel.IN_APP],
    Kind.STATUS_CHANGED: [Channel.IN_APP],
    Kind.OOC_MENTION: [Channel.IN_APP, Channel.PUSH],
    Kind.OOC_POSTED: [Channel.IN_APP],
    Kind.REMINDER: [Channel.IN_APP, Channel.EMAIL, Channel.WEBHOOK],
    Kind.WEBHOOK_DISABLED: [Channel.IN_APP, Channel.EMAIL],
    Kind.JOIN_REQUESTED: [Channel.IN_APP, Channel.WEBHOOK],
    Kind.JOIN_ANSWERED: [Channel.IN_APP],
    Kind.REPORT_RESOLVED: [Channel.IN_APP],
    Kind.FOLLOWED_POST: [Channel.IN_APP],
}
# Email is offered only for these; the rest would be noise in an inbox.
EMAIL_KINDS = {Kind.YOUR_TURN, Kind.INVITED, Kind.REMINDER, Kind.WEBHOOK_DISABLED}
# Push (tandem.push) buzzes a phone: only for news that asks the writer to act now.
PUSH_KINDS = {Kind.YOUR_TURN, Kind.INVITED, Kind.OOC_MENTION}


class Notification(models.Model):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=24, choices=Kind)
    thread = models.ForeignKey(
        "threads.Thread", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    text = models.CharField(max_length=300)
    url = models.CharField(max_length=300)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    in_app = models.BooleanField(default=True)
    # Set when the email for this notification went out (or was folded into a digest).
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["recipient", "read_at"]),
            models.Index(fields=["recipient", "kind", "thread", "emailed_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.recipient}"


class NotificationSettings(models.Model):
    """One writer's choices: which events reach them how, digest, quiet hours."""

    writer = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_settings"
    )
    # {kind: [channel, ...]} — kinds missing here use DEFAULT_CHANNELS.
    channels = models.JSONField(default=dict, blank=True)
    daily_digest = models.BooleanField(
        default=False, help_text="One email a day with everything, instead of one per event."
    )
    quiet_hours_start = models.TimeField(null=True, blank=True)
    quiet_hours_end = models.TimeField(null=True, blank=True)
    last_digest_at = models.DateTimeField(null=True, blank=True)
    reminder_days = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text="Nudge me when a turn of mine has waited this many days (empty: never).",
    )

    def __str__(self) -> str:
        return f"notification settings of {self.writer}"

    def channels_for(self, kind: str) -> list[str]:
        return list(self.channels.get(kind, DEFAULT_CHANNELS.get(kind, [])))


class Webhook(models.Model):
    """A URL (e.g. a Discord channel webhook) that receives a writer's chosen events."""

    writer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="webhooks"
    )
    url = models.URLField(max_length=500)
    kinds = models.JSONField(default=list)
    # Signs each payload (HMAC-SHA256) so the receiver can check it came from here.
    secret = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    disabled_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.url

    @property
    def is_active(self) -> bool:
        return self.disabled_at is None


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


class WebhookDelivery(models.Model):
    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    notification = models.ForeignKey(Notification, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=8, choices=DeliveryStatus, default=DeliveryStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["webhook", "notification"], name="notifications_one_delivery_per_hook"
            )
        ]

    def __str__(self) -> str:
        return f"{self.notification} → {self.webhook}"


class WorkerHeartbeat(models.Model):
    """A background worker saying it is alive: its scheduler thread touches the row every
    ``HEARTBEAT_EVERY`` (tandem.notifications.scheduler), so a task still "running" under
    a worker that has gone quiet can be queued again within minutes, not after the 15
    minutes a task might legitimately take."""

    worker_id = models.CharField(max_length=64, unique=True)
    seen_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"worker {self.worker_id} seen {self.seen_at:%Y-%m-%d %H:%M:%S}"
