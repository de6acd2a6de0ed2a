"""The world generator: counts, determinism, turn state equal to a replay, searchable and
renderable data, and the command's refusal to touch real data."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.management import CommandError, call_command

from tandem.accounts.models import User
from tandem.muses.models import Muse
from tandem.search import selectors as search_selectors
from tandem.search.query import parse
from tandem.threads.models import (
    Participant,
    Post,
    PostRevision,
    Tag,
    Thread,
    TurnEvent,
    Visibility,
)
from tandem.threads.services.turn_state import cached_turn_state, replayed_turn_state
from tandem.world import prose
from tandem.world.generator import GENERATED_DOMAIN, THREAD_WORD_COUNT, WorldSpec, generate
from tandem.writing import markup
from tandem.writing.wordcount import count_words

UNTIL = datetime(2026, 6, 1, tzinfo=UTC)
SPEC = WorldSpec(writers=5, threads=20, posts=200, seed=7, until=UNTIL)


@pytest.fixture
def world(db):
    return generate(SPEC)


def _snapshot() -> dict:
    """Everything the generator wrote, row for row (the password hash has a random salt)."""
    return {
        "users": list(User.objects.order_by("pk").values_list("pk", "username", "email")),
        "muses": list(Muse.objects.order_by("pk").values_list("pk", "owner", "name", "created_at")),
        "tags": list(Tag.objects.order_by("pk").values_list("pk", "name")),
        "threads": list(
            Thread.objects.order_by("pk").values_list(
                "pk",
                "public_id",
                "owner",
                "title",
                "visibility",
                "status",
                "rating",
                "turn_mode",
                "created_at",
                "next_participant",
                "last_poster",
                "turn_since",
                "last_post_at",
                "post_count",
            )
        ),
        "tagged": list(Thread.tags.through.objects.order_by("pk").values_list("thread", "tag")),
        "participants": list(
            Participant.objects.order_by("pk").values_list(
                "pk", "thread", "muse", "writer", "position", "joined_at", "left_at"
            )
        ),
        "posts": list(
            Post.objects.order_by("pk").values_list(
                "pk", "thread", "number", "participant", "body", "created_at", "deleted_at"
            )
        ),
        "events": list(
            TurnEvent.objects.order_by("pk").values_list(
                "thread", "kind", "participant", "actor", "created_at"
            )
        ),
    }


def _wipe() -> None:
    for model in (TurnEvent, PostRevision, Post, Participant):
        model.objects.all().delete()
    Thread.tags.through.objects.all().delete()
    for model in (Thread, Muse, Tag, User):
        model.objects.all().delete()


def test_counts(world):
    assert world.writers == User.objects.count() == 5
    assert world.threads == Thread.objects.count() == 20
    assert world.posts == Post.objects.count() == 200
    assert PostRevision.objects.count() == 200
    assert TurnEvent.objects.filter(kind="post").count() == 200
    assert sum(Thread.objects.values_list("post_count", flat=True)) == 200
    assert world.public_threads == Thread.objects.filter(visibility=Visibility.PUBLIC).count()
    assert all(
        e.endswith("@" + GENERATED_DOMAIN) for e in User.objects.values_list("email", flat=True)
    )
    # A mix, not one of each: most threads public, both turn modes, several statuses.
    assert world.public_threads > 10
    assert Thread.objects.values("turn_mode").distinct().count() == 2
    assert Thread.objects.values("status").distinct().count() >= 2
    assert all(word_count for word_count in world.planted.values())


def test_same_seed_same_world_and_another_seed_another(world):
    first = _snapshot()
    _wipe()
    generate(SPEC)
    assert _snapshot() == first
    _wipe()
    generate(WorldSpec(writers=5, threads=20, posts=200, seed=8, until=UNTIL))
    other = _snapshot()
    assert other["posts"] != first["posts"]
    assert other["users"] != first["users"]


def test_turn_state_equals_a_replay_of_the_log(world):
    for thread in Thread.objects.all():
        assert cached_turn_state(thread) == replayed_turn_state(thread), thread.title
        posts = list(thread.posts.order_by("number"))
        assert [p.number for p in posts] == list(range(1, thread.post_count + 1))
        assert thread.last_post_at == (posts[-1].created_at if posts else None)
        post_events = list(thread.turn_events.filter(kind="post").order_by("pk"))
        # Each post is its event: the same muse, at the same moment.
        assert [(e.participant_id, e.created_at) for e in post_events] == [
            (p.participant_id, p.created_at) for p in posts
        ]
        for post in posts:
            assert post.participant.muse_id == post.muse_id
            assert post.participant.writer_id == post.author_id
        active = thread.participants.filter(left_at__isnull=True).order_by("position")
        assert [p.position for p in active] == list(range(active.count()))
        assert not thread.participants.filter(left_at__isnull=False, position__isnull=False)
        assert thread.participants.filter(writer=thread.owner).exists()
        if THREAD_WORD_COUNT:
            assert thread.word_count == sum(p.word_count for p in posts if not p.deleted_at)
        assert thread.created_at <= thread.turn_events.order_by("pk").first().created_at


def test_posts_carry_current_html_word_counts_and_a_first_revision(world):
    for post in Post.objects.prefetch_related("revisions"):
        assert post.renderer_version == markup.RENDERER_VERSION
        assert post.body_html == markup.render_post(post.body)
        assert post.word_count == count_words(post.body_html) > 0
        revisions = list(post.revisions.all())
        assert [(r.number, r.body, r.word_count) for r in revisions] == [
            (1, post.body, post.word_count)
        ]
    bodies = " ".join(Post.objects.values_list("body", flat=True))
    assert "❛" in bodies and "—" in bodies and " & " in bodies


def test_search_finds_a_planted_word(world, client):
    word = prose.RARE_WORDS[0]
    expected = set(
        Post.objects.filter(
            body__contains=word, deleted_at__isnull=True, thread__visibility=Visibility.PUBLIC
        ).values_list("pk", flat=True)
    )
    assert expected, "the seed plants the word in at least one public thread"
    found = search_selectors.matching_posts(
        AnonymousUser(), parse(word), search_selectors.Filters()
    )
    assert set(found.values_list("pk", flat=True)) == expected
    response = client.get("/search/", {"q": word})
    assert response.status_code == 200
    assert word in response.content.decode()


def test_pages_render(world, client):
    thread = Thread.objects.filter(visibility=Visibility.PUBLIC, post_count__gt=0).first()
    assert client.get(thread.get_absolute_url()).status_code == 200
    assert client.get("/t/public/").status_code == 200
    tag = thread.tags.first()
    if hasattr(tag, "get_absolute_url"):  # tag pages (issue 10, tags and directory)
        assert client.get(tag.get_absolute_url()).status_code == 200
        assert Tag.objects.values("category").distinct().count() == 4
    client.force_login(thread.owner)
    response = client.get(thread.get_absolute_url())
    assert response.status_code == 200
    assert thread.title in response.content.decode()


def test_command_prints_a_rate_and_refuses_real_data(db, make_writer, capsys):
    call_command("generate_world", writers=2, threads=3, posts=12, seed=1, verbosity=0)
    out = capsys.readouterr().out
    assert "12 posts" in out and "posts/s" in out
    assert Post.objects.count() == 12
    # Again on top of a generated world: new writers, more posts.
    call_command("generate_world", writers=2, threads=3, posts=12, seed=1, verbosity=0)
    assert Post.objects.count() == 24
    assert User.objects.count() == 4
    make_writer("realperson")
    with pytest.raises(CommandError, match="did not make"):
        call_command("generate_world", writers=2, threads=3, posts=12, verbosity=0)
    assert Post.objects.count() == 24
    call_command("generate_world", writers=2, threads=3, posts=12, force=True, verbosity=0)
    assert Post.objects.count() == 36


def test_command_rejects_bad_numbers(db):
    with pytest.raises(CommandError, match="at least"):
        call_command("generate_world", writers=0, threads=3, posts=12, verbosity=0)
