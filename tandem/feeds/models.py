"""The secret part of a writer's private feed and calendar addresses.

Public feeds (a public thread's posts, a tag's posts) need no key: they show what anyone may
read. Private ones (what a reader follows, a writer's turns, a writer's calendar) answer
whoever holds their address, because feed readers and phone calendars have no session: the
address carries a random nonce signed with the site's secret (``selectors.feed_token``).
"""

import secrets

from django.conf import settings
from django.db import models


def new_nonce() -> str:
    return secrets.token_urlsafe(18)


class FeedKind(models.TextChoices):
    FOLLOWS = "follows", "What you follow"
    TURNS = "turns", "Your turns"
    CALENDAR = "calendar", "Your calendar"


class FeedKey(models.Model):
    """The random part of one of a writer's private addresses, one per kind, so resetting
    one address leaves the others working. The address carries it signed: a copy of the
    database alone cannot make a valid address, and resetting draws a new nonce, so the old
    address stops working."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="feed_keys"
    )
    kind = models.CharField(max_length=16, choices=FeedKind)
    nonce = models.CharField(max_length=32, unique=True, default=new_nonce)
    created_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["owner", "kind"], name="feeds_one_key_per_kind")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display().lower()} key of {self.owner}"
