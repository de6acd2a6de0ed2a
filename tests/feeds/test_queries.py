"""Every feed costs a fixed number of queries, however many entries it holds."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tandem.feeds.models import FeedKind
from tandem.feeds.selectors import feed_token
from tandem.notifications.models import NotificationSettings
from tandem.threads import services as threads
from tandem.threads.models import Tag

pytestmark = pytest.mark.django_db


@pytest.fixture
def add_threads(
    make_thread, join, writer_a, writer_b, ivy, hale, django_capture_on_commit_callbacks
):
    """Make public threads tagged "fog", each with a post by Ivy and waiting on Hale (bram),
    who has a reminder set (scheduled after commit, as in production)."""
    NotificationSettings.objects.update_or_create(writer=writer_b, defaults={"reminder_days": 2})

    def add(n: int) -> list:
        made = []
        for _ in range(n):
            thread = make_thread(writer_a, ivy, visibility="public", tags=["fog"])
            join(thread, hale)
            with django_capture_on_commit_callbacks(execute=True):
                threads.post_create(thread=thread, writer=writer_a, muse=ivy, body="Fog.")
            made.append(thread)
        return made

    return add


def count(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_no_feed_asks_more_for_more_entries(client, add_threads, writer_a, writer_b, ivy, hale):
    first = add_threads(2)[0]
    fog = Tag.objects.get(name="fog")
    urls = [
        reverse("thread-feed", args=[first.public_id]),
        reverse("tag-feed", args=[fog.category, fog.name]),
        reverse("turns-feed", args=[feed_token(writer_b, FeedKind.TURNS)]),
        reverse("calendar-feed", args=[feed_token(writer_b, FeedKind.CALENDAR)]),
    ]
    before = [count(client, url) for url in urls]
    add_threads(4)
    for writer, muse in [(writer_b, hale), (writer_a, ivy)] * 2:
        threads.post_create(thread=first, writer=writer, muse=muse, body="Lamps.")
    assert [count(client, url) for url in urls] == before
