"""The matrix world's private feed addresses: the owner's (the world's thread waits on
them), with a reminder due tomorrow so their calendar holds one of each kind of event. Made
on first use, by the feeds routes' entries in tests/security/matrix.py."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from tandem.feeds.models import FeedKind
from tandem.feeds.selectors import feed_token
from tandem.threads.models import ThreadWriterState


def _token(world, kind: FeedKind) -> dict:
    return {"token": feed_token(world.users["owner"], kind)}


def turns_kwargs(world) -> dict:
    return _token(world, FeedKind.TURNS)


def calendar_kwargs(world) -> dict:
    ThreadWriterState.objects.update_or_create(
        thread=world.thread,
        writer=world.users["owner"],
        defaults={"remind_at": timezone.now() + timedelta(days=1)},
    )
    return _token(world, FeedKind.CALENDAR)


def follows_token_kwargs(world) -> dict:
    """A good token of another kind: it opens the follows feed, not this one."""
    return _token(world, FeedKind.FOLLOWS)
