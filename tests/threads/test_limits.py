"""Issue 9, items 4 and 5 for threads: list inputs are capped, preview cost is bounded and
posting, previewing, inviting and starting threads are rate-limited."""

from __future__ import annotations

import html

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tandem.threads import services
from tandem.threads.models import Invitation, Tag, Thread

pytestmark = pytest.mark.django_db


def text_of(response) -> str:
    return html.unescape(response.content.decode())


def new_thread(client, muse, **overrides):
    data = {
        "title": "Harbour lights",
        "rating": "general",
        "visibility": "private",
        "turn_mode": "ordered",
        "muse": muse.pk,
        **overrides,
    }
    return client.post(reverse("thread-new"), data)


# ---------------------------------------------------------------------------- tags


def test_thirty_two_thousand_tags_are_refused_with_a_sentence(as_alice, ivy):
    """On main these were all created, one query each, holding SQLite's write lock 75 s."""
    tags = ", ".join(f"tag {i}" for i in range(32_000))
    response = new_thread(as_alice, ivy, tags=tags)
    assert response.status_code == 200
    assert "a thread may have at most 75" in text_of(response)
    assert not Thread.objects.exists()
    assert not Tag.objects.exists()


def test_a_tag_over_a_hundred_characters_is_refused_not_cut(as_alice, ivy):
    response = new_thread(as_alice, ivy, tags="slow burn, " + "x" * 101)
    assert response.status_code == 200
    assert "Tags may be at most 100 characters" in text_of(response)
    assert not Thread.objects.exists()


def test_the_service_refuses_too_many_tags_too(writer_a, ivy):
    with pytest.raises(ValidationError) as caught:
        services.thread_create(
            owner=writer_a, muse=ivy, title="T", tags=[f"t{i}" for i in range(76)]
        )
    assert "at most 75" in str(caught.value)
    assert not Thread.objects.exists()


def test_seventy_five_tags_are_saved_in_a_few_queries(writer_a, ivy, make_thread):
    """Existing tags are found with one query and the missing ones inserted in bulk: the
    number of queries does not grow with the number of tags."""
    Tag.objects.create(name="Slow Burn")
    names = ["slow burn", *(f"tag {i}" for i in range(74))]
    thread = make_thread(writer_a, ivy)
    with CaptureQueriesContext(connection) as queries:
        services.thread_update(
            thread=thread,
            actor=writer_a,
            title=thread.title,
            summary="",
            rating=thread.rating,
            warnings=[],
            tags=names,
            visibility=thread.visibility,
            turn_mode=thread.turn_mode,
            status=thread.status,
        )
    tag_queries = [q for q in queries.captured_queries if "threads_tag" in q["sql"]]
    assert len(tag_queries) <= 6, [q["sql"][:80] for q in tag_queries]
    assert thread.tags.count() == 75
    assert Tag.objects.filter(name__iexact="slow burn").count() == 1  # existing row reused


def test_tags_differing_only_in_case_are_one_tag(writer_a, ivy, make_thread):
    thread = make_thread(writer_a, ivy, tags=["Fog", "fog", " FOG "])
    assert [t.name for t in thread.tags.all()] == ["Fog"]


# ---------------------------------------------------------------------------- invitations


def test_pending_invitations_per_thread_are_capped(
    writer_a, ivy, make_thread, make_writer, settings
):
    settings.PASSWORD_HASHERS = ["tests.fast_hashing.FastArgon2PasswordHasher"]
    thread = make_thread(writer_a, ivy)
    for i in range(services.MAX_PENDING_INVITATIONS):
        invitee = make_writer(f"guest{i}")
        services.invitation_create(thread=thread, actor=writer_a, username=invitee.username)
    one_more = make_writer("latecomer")
    with pytest.raises(ValidationError) as caught:
        services.invitation_create(thread=thread, actor=writer_a, username=one_more.username)
    assert "already has 50 invitations waiting" in str(caught.value)
    assert not Invitation.objects.filter(invitee=one_more).exists()


# ---------------------------------------------------------------------------- preview


def test_preview_of_a_body_over_the_post_limit_is_refused_not_rendered(
    as_alice, coffee_cart, settings
):
    settings.TANDEM_POST_MAX_CHARS = 1000
    url = reverse("composer-preview", args=[coffee_cart.public_id])
    response = as_alice.post(url, {"body": "*word* " * 200})  # 1,400 characters
    page = text_of(response)
    assert "posts may be at most 1,000, so there is no preview" in page
    assert "<em>word</em>" not in page  # not rendered at all (main rendered up to 2×)


def test_preview_is_rate_limited_with_a_429_and_retry_after(as_alice, coffee_cart, settings):
    settings.TANDEM_RATE_LIMIT_SCALE = 0.05  # 120/min becomes 6/min
    url = reverse("composer-preview", args=[coffee_cart.public_id])
    answers = [as_alice.post(url, {"body": "Hello"}).status_code for _ in range(7)]
    assert answers == [200] * 6 + [429]
    refused = as_alice.post(url, {"body": "Hello"})
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 60
    assert "Previewing is paused for now. Try again in" in text_of(refused)


# ---------------------------------------------------------------------------- posting


def test_posting_is_rate_limited_and_keeps_the_text(as_alice, writer_a, make_thread, ivy, settings):
    settings.TANDEM_RATE_LIMIT_SCALE = 0.1  # 30/min becomes 3/min
    thread = make_thread(writer_a, ivy, turn_mode="free")
    url = reverse("thread-detail", args=[thread.public_id])
    for n in range(3):
        thread.refresh_from_db()
        response = as_alice.post(
            url, {"muse": ivy.pk, "body": f"Post {n}", "seen_post_count": thread.post_count}
        )
        assert response.status_code == 302
    thread.refresh_from_db()
    refused = as_alice.post(
        url,
        {"muse": ivy.pk, "body": "The lamp gutters.", "seen_post_count": thread.post_count},
    )
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) >= 1
    page = text_of(refused)
    assert "Posting is paused for now. Try again in" in page
    assert "The lamp gutters." in page  # the writer's text is still in the form
    assert thread.posts.count() == 3


def test_starting_threads_is_rate_limited(as_alice, ivy, settings):
    settings.TANDEM_RATE_LIMIT_SCALE = 0.1  # 30/hour becomes 3/hour
    codes = [new_thread(as_alice, ivy, title=f"T{i}").status_code for i in range(4)]
    assert codes == [302, 302, 302, 429]
    assert Thread.objects.count() == 3


def test_the_thread_page_re_renders_at_most_one_page_of_stale_posts(
    as_alice, writer_a, make_thread, ivy, settings
):
    from tandem.threads.models import Post

    thread = make_thread(writer_a, ivy, turn_mode="free")
    for n in range(settings.TANDEM_POSTS_PER_PAGE * 2 + 5):
        services.post_create(thread=thread, writer=writer_a, muse=ivy, body=f"Line {n}")
    Post.objects.filter(thread=thread).update(renderer_version=0, body_html="")
    response = as_alice.get(reverse("thread-detail", args=[thread.public_id]) + "?page=2")
    assert response.status_code == 200
    fresh = Post.objects.filter(thread=thread).exclude(renderer_version=0)
    assert fresh.count() == settings.TANDEM_POSTS_PER_PAGE
