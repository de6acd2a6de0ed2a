"""Open starters: a thread its owner offers to partners they have not met yet.

A ``Starter`` hangs off a public thread (one at most) and says how many muses may still
join and what its writer looks for. Writers answer with a ``JoinRequest`` naming one of
their muses; the owner accepts (the muse joins exactly as an invited one would) or
declines. A starter with no open slot left, or closed by its owner, leaves the board.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse

MAX_OPEN_SLOTS = 10
LOOKING_FOR_MAX_CHARS = 1000
MESSAGE_MAX_CHARS = 1000


class Starter(models.Model):
    thread = models.OneToOneField(
        "threads.Thread", on_delete=models.CASCADE, related_name="starter"
    )
    # Muses that may still join. Accepting a request takes one; at 0 the starter closes.
    open_slots = models.PositiveSmallIntegerField(
        default=1, validators=[MinValueValidator(0), MaxValueValidator(MAX_OPEN_SLOTS)]
    )
    looking_for = models.TextField(max_length=LOOKING_FOR_MAX_CHARS, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["closed_at", "created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(open_slots__lte=MAX_OPEN_SLOTS), name="starters_slots_max"
            )
        ]

    def __str__(self) -> str:
        return f"starter {self.thread}"

    def get_absolute_url(self) -> str:
        return reverse("starter-detail", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.closed_at is None and self.open_slots > 0


class RequestStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"
    WITHDRAWN = "withdrawn", "Withdrawn"


class JoinRequest(models.Model):
    """A writer asking to bring one of their muses into a starter's thread."""

    starter = models.ForeignKey(Starter, on_delete=models.CASCADE, related_name="requests")
    writer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="join_requests"
    )
    muse = models.ForeignKey("muses.Muse", on_delete=models.CASCADE, related_name="join_requests")
    message = models.TextField(max_length=MESSAGE_MAX_CHARS, blank=True)
    status = models.CharField(max_length=16, choices=RequestStatus, default=RequestStatus.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    # The invitation accepting made: the muse joined through the invitation service, and the
    # thread's invitation history shows who let them in.
    invitation = models.OneToOneField(
        "threads.Invitation",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="join_request",
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["starter", "writer"],
                condition=models.Q(status="pending"),
                name="starters_one_pending_request",
            )
        ]
        indexes = [models.Index(fields=["writer", "status"])]

    def __str__(self) -> str:
        return f"{self.writer} asks to join {self.starter}"

    @property
    def is_pending(self) -> bool:
        return self.status == RequestStatus.PENDING
