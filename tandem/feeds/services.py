"""Writes for feeds: resetting a private address."""

from __future__ import annotations

from tandem.accounts.models import User
from tandem.feeds import selectors
from tandem.feeds.models import FeedKey, FeedKind, new_nonce


def feed_key_reset(*, owner: User, kind: FeedKind) -> str:
    """A new address of ``kind`` for the writer (its token); the old one stops working at
    once. Their other private addresses keep working."""
    FeedKey.objects.update_or_create(owner=owner, kind=kind, defaults={"nonce": new_nonce()})
    return selectors.feed_token(owner, kind)
