"""The matrix world's follows and bookmarks: every signed-in role follows the world's
thread and bookmarks its second post (made straight in the database, past the rules, so
that the pages and the feed are asked to hide what the rules would no longer show). Made
on first use, by the follows routes' entries in tests/security/matrix.py."""

from __future__ import annotations

from tandem.feeds.models import FeedKind
from tandem.feeds.selectors import feed_token
from tandem.follows.models import Bookmark, Follow


def _populate(world) -> None:
    if getattr(world, "follows_made", False):
        return
    post = world.thread.posts.get(number=world.numbers["P2"])
    removed = world.thread.posts.get(number=world.numbers["REMOVED"])
    for user in world.users.values():
        if user is None:
            continue
        Follow.objects.get_or_create(follower=user, thread=world.thread)
        Bookmark.objects.get_or_create(reader=user, post=post, defaults={"note": "a note"})
        Bookmark.objects.get_or_create(reader=user, post=removed)
    world.follows_made = True


def pages_kwargs(world) -> dict:
    _populate(world)
    return {}


def feed_kwargs(world) -> dict:
    """The stranger's feed: they follow the thread, whatever its visibility."""
    _populate(world)
    return {"token": feed_token(world.users["stranger"], FeedKind.FOLLOWS)}


def muse_kwargs(world) -> dict:
    return {"pk": world.muses["owner"].pk}


def writer_kwargs(world) -> dict:
    return {"username": world.users["owner"].username}


def thread_kwargs(world) -> dict:
    return {"public_id": world.thread.public_id}


def post_kwargs(kind: str):
    return lambda world: {"public_id": world.thread.public_id, "number": world.numbers[kind]}
