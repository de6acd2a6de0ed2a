"""No duplicate on retry: the reply form carries a one-time key, and sending the same form
again (after a timeout, a crash, a double click) returns the post it already made."""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from tandem.threads import services
from tandem.threads.models import Post, TurnEvent, TurnMode
from tandem.threads.services import posts
from tests.threads.test_turn_state import _race

pytestmark = pytest.mark.django_db


def detail_url(thread) -> str:
    return reverse("thread-detail", args=[thread.public_id])


def form_key(page) -> str:
    """The hidden submission key of the reply form on a rendered page."""
    html = page.content.decode()
    found = re.search(r'<input type="hidden" name="submission_key" value="([^"]+)"', html)
    assert found, "the reply form has no submission key"
    return found.group(1)


def reply_data(thread, muse, body: str, key: str) -> dict:
    thread.refresh_from_db()
    return {
        "muse": muse.pk,
        "body": body,
        "seen_post_count": thread.post_count,
        "submission_key": key,
    }


def test_each_rendered_reply_form_has_its_own_random_key(as_alice, coffee_cart):
    first, second = (form_key(as_alice.get(detail_url(coffee_cart))) for _ in range(2))
    assert first != second and len(first) >= 20


def test_sending_the_same_form_twice_makes_one_post_and_both_land_on_it(as_alice, coffee_cart, ivy):
    key = form_key(as_alice.get(detail_url(coffee_cart)))
    data = reply_data(coffee_cart, ivy, "Ivy wipes the steam wand twice.", key)
    first = as_alice.post(detail_url(coffee_cart), data)
    again = as_alice.post(detail_url(coffee_cart), data)  # the retry after a timeout
    assert first.status_code == again.status_code == 302
    post = Post.objects.get(thread=coffee_cart)
    assert first["Location"] == again["Location"] == post.get_absolute_url()
    # The turn moved once (to Hale), not twice.
    coffee_cart.refresh_from_db()
    assert coffee_cart.next_participant.muse.name == "Hale"
    assert TurnEvent.objects.filter(thread=coffee_cart, kind="post").count() == 1


def test_a_refused_form_keeps_its_key_so_the_retry_is_the_same_submission(
    as_bram, coffee_cart, writer_a, ivy, hale
):
    services.post_create(thread=coffee_cart, writer=writer_a, muse=ivy, body="Ivy opens.")
    key = form_key(as_bram.get(detail_url(coffee_cart)))  # Hale's turn: the form is shown
    services.turn_skip(thread=coffee_cart, actor=writer_a)  # meanwhile the owner skips Hale
    data = reply_data(coffee_cart, hale, "Hale answers, a moment too late.", key)
    refused = as_bram.post(detail_url(coffee_cart), data)
    assert refused.status_code == 200  # not Hale's turn any more
    assert "turn" in refused.content.decode()
    assert form_key(refused) == key  # the form comes back with the same key
    services.post_create(thread=coffee_cart, writer=writer_a, muse=ivy, body="Ivy again.")
    data["seen_post_count"] = 2
    posted = as_bram.post(detail_url(coffee_cart), data)
    again = as_bram.post(detail_url(coffee_cart), data)
    assert posted.status_code == again.status_code == 302
    assert posted["Location"] == again["Location"]
    assert Post.objects.filter(thread=coffee_cart, author__username="bram").count() == 1


def test_different_keys_make_different_posts_in_a_free_thread(writer_a, coffee_cart, ivy):
    coffee_cart.turn_mode = TurnMode.FREE
    coffee_cart.save(update_fields=["turn_mode"])
    one = services.post_create(
        thread=coffee_cart, writer=writer_a, muse=ivy, body="first", submission_key="k-1"
    )
    two = services.post_create(
        thread=coffee_cart, writer=writer_a, muse=ivy, body="second", submission_key="k-2"
    )
    same = services.post_create(
        thread=coffee_cart, writer=writer_a, muse=ivy, body="first, resent", submission_key="k-1"
    )
    assert one.pk != two.pk
    assert same.pk == one.pk and same.body == "first"
    assert Post.objects.filter(thread=coffee_cart).count() == 2


def test_another_writers_key_does_not_collide(writer_a, writer_b, coffee_cart, ivy, hale):
    mine = services.post_create(
        thread=coffee_cart, writer=writer_a, muse=ivy, body="ivy", submission_key="shared"
    )
    theirs = services.post_create(
        thread=coffee_cart, writer=writer_b, muse=hale, body="hale", submission_key="shared"
    )
    assert mine.pk != theirs.pk
    assert theirs.author == writer_b and theirs.body == "hale"


def test_a_key_from_another_thread_is_refused_not_answered(writer_a, coffee_cart, ivy, make_thread):
    services.post_create(
        thread=coffee_cart, writer=writer_a, muse=ivy, body="here", submission_key="once"
    )
    other = make_thread(writer_a, ivy)
    with pytest.raises(ValidationError):
        services.post_create(
            thread=other, writer=writer_a, muse=ivy, body="there", submission_key="once"
        )
    assert not other.posts.exists()


def test_an_overlong_key_is_a_form_error_not_a_crash(as_alice, coffee_cart, ivy):
    data = reply_data(coffee_cart, ivy, "Ivy.", "k" * 65)
    response = as_alice.post(detail_url(coffee_cart), data)
    assert response.status_code == 200
    assert "reload the page" in response.content.decode()
    assert not Post.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_concurrent_identical_submissions_make_one_post(coffee_cart, writer_a, ivy, monkeypatch):
    attempt = dict(
        writer=writer_a,
        muse=ivy,
        body="Ivy double-clicks.",
        seen_post_count=0,
        submission_key="same-form",
    )
    results = _race(coffee_cart.pk, [attempt, dict(attempt), dict(attempt)], monkeypatch)
    assert all(isinstance(r, Post) for r in results), results
    assert len({r.pk for r in results}) == 1
    assert Post.objects.filter(thread=coffee_cart).count() == 1


@pytest.mark.django_db(transaction=True)
def test_when_both_pass_the_check_the_unique_constraint_settles_it(
    coffee_cart, writer_a, ivy, monkeypatch
):
    """The window the checks cannot close on every database: both submissions saw no post
    with the key. The second insert hits the unique constraint and answers with the first."""
    first = services.post_create(
        thread=coffee_cart, writer=writer_a, muse=ivy, body="made", submission_key="raced"
    )
    coffee_cart.turn_mode = TurnMode.FREE  # so only the key can stop the second post
    coffee_cart.save(update_fields=["turn_mode"])
    real = posts._already_submitted
    calls = []

    def missed_twice(thread, writer, key):
        calls.append(key)
        return None if len(calls) <= 2 else real(thread, writer, key)

    monkeypatch.setattr(posts, "_already_submitted", missed_twice)
    again = services.post_create(
        thread=coffee_cart, writer=writer_a, muse=ivy, body="made", submission_key="raced"
    )
    assert again.pk == first.pk
    assert len(calls) == 3  # before, under the lock, and after the IntegrityError
    assert Post.objects.filter(thread=coffee_cart).count() == 1
