"""The services' rules for threads kept elsewhere."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from tandem.tracking import selectors, services
from tandem.tracking.models import TrackedThread

pytestmark = pytest.mark.django_db


def test_create_fills_the_site_from_the_link(writer):
    """Without a site, the link's host (less www.) is the site."""
    tracked = services.tracked_create(
        writer=writer, title="  Ashes  ", url="https://www.example.tumblr.com/post/9"
    )
    assert (tracked.title, tracked.site, tracked.turn) == ("Ashes", "example.tumblr.com", "mine")


@pytest.mark.parametrize(
    ("fields", "bad"),
    [
        ({"title": ""}, "title"),
        ({"title": "x", "url": "not a link"}, "url"),
        ({"title": "x", "url": "ftp://files.example.test/thread.txt"}, "url"),
        ({"title": "x", "url": "javascript:alert(1)"}, "url"),
    ],
)
def test_create_refuses_bad_input(writer, fields, bad):
    """A missing title or a bad link is refused, naming the field; nothing is saved."""
    with pytest.raises(ValidationError) as caught:
        services.tracked_create(writer=writer, **fields)
    assert bad in caught.value.message_dict
    assert not TrackedThread.objects.exists()


def test_muse_must_be_the_writers_own(writer, other, make_muse):
    theirs = make_muse(other, "Not Yours")
    with pytest.raises(ValidationError):
        services.tracked_create(writer=writer, title="x", muse=theirs)
    with pytest.raises(ValidationError):
        services.own_muse(writer, theirs.pk)
    mine = make_muse(writer, "Mine")
    assert services.tracked_create(writer=writer, title="x", muse=mine).muse == mine


def test_cap_per_writer(writer, other, monkeypatch):
    monkeypatch.setattr(services, "MAX_TRACKED_PER_WRITER", 2)
    for n in range(2):
        services.tracked_create(writer=writer, title=f"t{n}")
    with pytest.raises(services.TooManyTracked):
        services.tracked_create(writer=writer, title="one too many")
    services.tracked_create(writer=other, title="another writer's count is theirs")
    assert TrackedThread.objects.filter(writer=writer).count() == 2


def test_flip_restarts_waiting_only_when_the_turn_changes(writer):
    tracked = services.tracked_create(writer=writer, title="x", turn="mine")
    old = timezone.now() - timedelta(days=5)
    TrackedThread.objects.filter(pk=tracked.pk).update(turn_since=old)
    tracked.refresh_from_db()
    services.tracked_set_turn(tracked=tracked, turn="mine")
    assert tracked.turn_since == old
    services.tracked_set_turn(tracked=tracked, turn="theirs")
    tracked.refresh_from_db()
    assert tracked.turn == "theirs" and tracked.turn_since > old


def test_overdue_and_queue_sections(writer):
    late = services.tracked_create(writer=writer, title="late", remind_after_days=3)
    services.tracked_create(writer=writer, title="fresh", remind_after_days=3)
    services.tracked_create(writer=writer, title="theirs", turn="theirs", remind_after_days=1)
    gone = services.tracked_create(writer=writer, title="archived")
    services.tracked_archive(tracked=gone)
    TrackedThread.objects.filter(pk=late.pk).update(turn_since=timezone.now() - timedelta(days=4))
    queue = selectors.elsewhere_queue(writer)
    assert [t.title for t in queue.your_turn] == ["late", "fresh"]
    assert [(t.title, t.overdue) for t in queue.waiting] == [("theirs", False)]
    assert [t.overdue for t in queue.your_turn] == [True, False]
    services.tracked_archive(tracked=gone, archived=False)
    assert "archived" in [t.title for t in selectors.elsewhere_queue(writer).your_turn]


def test_update_and_delete(writer):
    tracked = services.tracked_create(writer=writer, title="x")
    services.tracked_update(tracked=tracked, title="y", turn="theirs", notes="n")
    tracked.refresh_from_db()
    assert (tracked.title, tracked.turn, tracked.notes) == ("y", "theirs", "n")
    with pytest.raises(ValidationError):
        services.tracked_update(tracked=tracked, title="nul\x00")
    services.tracked_delete(tracked=tracked)
    assert not TrackedThread.objects.exists()
