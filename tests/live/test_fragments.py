"""The HTML that live pages fetch: one post, and the turn banner with the reply box.

Each is rendered for the reader who asks, with the page's permission checks."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from tandem.threads import services
from tandem.threads.models import ThreadWriterState, Visibility

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def fragment_url(thread, number: int) -> str:
    return reverse("post-fragment", args=[thread.public_id, number])


def turn_url(thread) -> str:
    return reverse("turn-fragment", args=[thread.public_id])


def without_tokens(html: str) -> str:
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "CSRF", html)
    return re.sub(r'nonce="[^"]+"', "NONCE", html)


@pytest.fixture
def opened(coffee_cart, writer_a, ivy):
    services.post_create(thread=coffee_cart, writer=writer_a, muse=ivy, body="*steam* rises.")
    coffee_cart.refresh_from_db()
    return coffee_cart


def test_a_post_fragment_is_the_posts_item_on_the_page_for_the_same_reader(opened, writer_a):
    client = signed_in(writer_a)
    page = client.get(opened.get_absolute_url()).content.decode()
    response = client.get(fragment_url(opened, 1))
    assert response.status_code == 200
    fragment = response.content.decode().strip()
    assert fragment.startswith('<li id="post-1"')
    # The page emits each muse's colour once; the fragment brings its own.
    on_page = page[page.index('<li id="post-1"') :]
    on_page = on_page[: on_page.index("</li>") + len("</li>")]
    assert without_tokens(re.sub(r"<style nonce=[^<]+</style>", "", fragment)) == without_tokens(
        re.sub(r"<style nonce=[^<]+</style>", "", on_page)
    )


def test_only_the_author_gets_the_edit_controls(opened, writer_a, writer_b):
    mine = signed_in(writer_a).get(fragment_url(opened, 1)).content.decode()
    theirs = signed_in(writer_b).get(fragment_url(opened, 1)).content.decode()
    # Readers get a bookmark button in a reader's foot; only the author gets the controls.
    assert 'class="post__foot"' in mine and "csrfmiddlewaretoken" in mine
    assert 'class="post__foot"' not in theirs and "/edit/" not in theirs
    assert "<em>steam</em> rises." in theirs


def test_times_are_in_each_readers_own_time_zone(opened, writer_a, writer_b):
    writer_b.time_zone = "Pacific/Auckland"
    writer_b.save(update_fields=["time_zone"])
    utc = signed_in(writer_a).get(fragment_url(opened, 1)).content.decode()
    auckland = signed_in(writer_b).get(fragment_url(opened, 1)).content.decode()
    # The machine-readable moment is the same UTC instant; the words are each reader's.
    moment = r'<time datetime="([^"]+)">([^<]+)</time>'
    utc_instant, utc_words = re.search(moment, utc).groups()
    nz_instant, nz_words = re.search(moment, auckland).groups()
    assert utc_instant == nz_instant and utc_instant.endswith("Z")
    assert utc_words != nz_words


def test_private_posts_are_not_found_for_strangers(opened, make_writer):
    assert Client().get(fragment_url(opened, 1)).status_code == 404
    assert signed_in(make_writer("stranger")).get(fragment_url(opened, 1)).status_code == 404


def test_public_posts_are_open_to_anonymous_readers(make_thread, writer_a, ivy):
    thread = make_thread(writer_a, ivy, visibility=Visibility.PUBLIC)
    services.post_create(thread=thread, writer=writer_a, muse=ivy, body="hello")
    response = Client().get(fragment_url(thread, 1))
    assert response.status_code == 200
    assert "post__foot" not in response.content.decode()  # not even a bookmark button
    assert Client().get(fragment_url(thread, 2)).status_code == 404


def test_a_fetched_post_counts_as_read_only_when_the_page_is_in_view(opened, writer_b):
    client = signed_in(writer_b)
    client.get(fragment_url(opened, 1))
    assert not ThreadWriterState.objects.filter(writer=writer_b, last_read_number=1).exists()
    client.get(fragment_url(opened, 1) + "?read=1")
    assert ThreadWriterState.objects.get(writer=writer_b, thread=opened).last_read_number == 1


def test_the_turn_fragment_opens_the_reply_box_for_the_writer_whose_turn_it_is(
    opened, writer_a, writer_b
):
    bram = signed_in(writer_b).get(turn_url(opened) + "?last=1&next=/t/x/?page=2")
    assert bram.status_code == 200
    assert bram["Tandem-Post-Count"] == "1"
    body = bram.content.decode()
    assert "<strong>Your turn</strong> as Hale" in body
    assert 'id="reply"' in body and 'class="composer"' in body
    # The banner's forms (Pin/Mute, reminders) send the writer back to the page.
    assert body.count('name="next" value="/t/x/?page=2"') >= 2
    assert "turn/fragment" not in body
    assert "You are reading an earlier page" not in body

    alice = signed_in(writer_a).get(turn_url(opened) + "?next=https://evil.example/").content
    alice = alice.decode()
    assert "Not your turn yet" in alice and 'class="composer"' not in alice
    assert f'name="next" value="{opened.get_absolute_url()}"' in alice
    assert "You are reading an earlier page" not in alice  # no reply box to read it in


def test_the_turn_fragment_is_not_found_for_strangers(opened, make_writer):
    assert signed_in(make_writer("stranger")).get(turn_url(opened)).status_code == 404


def test_a_background_refresh_leaves_the_flash_messages_for_the_real_page(
    as_alice, coffee_cart, ivy
):
    """The live queue refresh fetches the whole home page (marked Tandem-Live); the
    "Posted as…" message must wait for the page the writer is looking at, which another
    tab may be loading right then."""
    response = as_alice.post(
        coffee_cart.get_absolute_url(),
        {"muse": ivy.pk, "body": "the cart rattles.", "seen_post_count": 0},
    )
    assert response.status_code == 302
    background = as_alice.get("/", HTTP_TANDEM_LIVE="1")
    assert "Posted as Ivy." not in background.content.decode()
    page = as_alice.get(response["Location"], follow=True)
    assert "Posted as Ivy." in page.content.decode()
