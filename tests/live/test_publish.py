"""Publishing never stands in a writer's way: a broker that is down costs a log line."""

from __future__ import annotations

import logging
import socket

import pytest

from tandem.live import publish
from tandem.notifications.selectors import unread_count
from tandem.threads import services
from tandem.threads.events import ThreadEvent
from tandem.threads.models import Post

pytestmark = pytest.mark.django_db(transaction=True)


def dead_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def redis_down(settings):
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [f"redis://127.0.0.1:{dead_port()}/0"]},
        }
    }


def test_posting_works_when_redis_is_down_and_the_failure_is_logged(
    redis_down, coffee_cart, writer_a, ivy, caplog
):
    with caplog.at_level(logging.WARNING, logger="tandem.live"):
        post = services.post_create(thread=coffee_cart, writer=writer_a, muse=ivy, body="hello")
    assert Post.objects.filter(pk=post.pk).exists()
    warnings = [r for r in caplog.records if r.name == "tandem.live"]
    assert warnings and all(r.levelno == logging.WARNING for r in warnings)
    assert "live update for post_created not sent" in caplog.text
    assert "Traceback" not in caplog.text


def test_handle_event_swallows_any_failure(in_memory_layer, caplog):
    # No such post or thread: the handler logs and returns, whatever goes wrong.
    with caplog.at_level(logging.WARNING, logger="tandem.live"):
        publish.handle_event(ThreadEvent("post_created", thread_id=999_999, post_id=999_999))
        publish.handle_event(ThreadEvent("turn_changed", thread_id=999_999))
        publish.handle_event(ThreadEvent("ooc_posted", thread_id=999_999))


def test_which_messages_each_event_becomes(coffee_cart, writer_a, writer_b, ivy, hale):
    post = services.post_create(thread=coffee_cart, writer=writer_a, muse=ivy, body="hello")
    group = f"thread.{coffee_cart.pk}"

    created = list(
        publish.messages_for(ThreadEvent("post_created", coffee_cart.pk, post_id=post.pk))
    )
    assert [(g, m["type"], m["op"], m["number"]) for g, m in created if g == group] == [
        (group, "post", "created", 1)
    ]
    # A post also refreshes its writers' counts (the poster's "your turn" is settled).
    assert sorted(g for g, m in created if m["type"] == "queue") == sorted(
        [f"writer.{writer_a.pk}", f"writer.{writer_b.pk}"]
    )

    turn = dict(publish.messages_for(ThreadEvent("turn_changed", coffee_cart.pk)))
    assert turn[group]["type"] == "turn"
    for writer, waiting in ((writer_b, 1), (writer_a, 0)):
        assert turn[f"writer.{writer.pk}"] == {
            "type": "queue",
            "your_turn": waiting,
            "unread": unread_count(writer),
        }

    # OOC talk goes to its writers' own group (tests/live/test_ooc_and_people.py); an event
    # that names no message sends nothing, and does not fail.
    assert list(publish.messages_for(ThreadEvent("ooc_posted", coffee_cart.pk))) == []
