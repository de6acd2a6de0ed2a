"""A writer's private "your turn" feed, and the page that hands out and resets their private
addresses."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tandem.feeds import selectors
from tandem.feeds.models import FeedKey, FeedKind
from tandem.feeds.selectors import feed_token
from tandem.threads import services as threads
from tests.feeds.conftest import NS, atom, entry_titles

pytestmark = pytest.mark.django_db


def turns_url(writer) -> str:
    return reverse("turns-feed", args=[feed_token(writer, FeedKind.TURNS)])


def calendar_url(writer) -> str:
    return reverse("calendar-feed", args=[feed_token(writer, FeedKind.CALENDAR)])


def follows_url(writer) -> str:
    return reverse("follows-feed", args=[feed_token(writer, FeedKind.FOLLOWS)])


def entry_ids(client, writer) -> list[str]:
    return atom(client.get(turns_url(writer))).xpath("a:entry/a:id/text()", namespaces=NS)


def test_the_feed_lists_the_threads_waiting_on_the_writer(
    client, writer_a, writer_b, ivy, coffee_cart
):
    threads.post_create(thread=coffee_cart, writer=writer_a, muse=ivy, body="SECRET-WORDS")
    response = client.get(turns_url(writer_b))
    root = atom(response)
    assert entry_titles(root) == ["Your turn in “Coffee cart”"]
    entry = root.find("a:entry", NS)
    reply = "http://testserver" + coffee_cart.get_absolute_url() + "?page=last#reply"
    assert entry.find("a:link", NS).get("href") == reply
    summary = entry.findtext("a:summary", namespaces=NS)
    assert "Waiting on Hale since" in summary and "The last post is Ivy’s." in summary
    # Titles and names travel to the feed reader; the story's text never does.
    assert "SECRET-WORDS" not in response.content.decode()
    assert entry_titles(atom(client.get(turns_url(writer_a)))) == []


def test_a_new_turn_in_the_same_thread_is_a_new_entry(
    client, writer_a, writer_b, ivy, hale, coffee_cart
):
    threads.post_create(thread=coffee_cart, writer=writer_a, muse=ivy, body="One.")
    (first,) = entry_ids(client, writer_b)
    assert entry_ids(client, writer_b) == [first]  # the same turn keeps its id
    threads.post_create(thread=coffee_cart, writer=writer_b, muse=hale, body="Two.")
    assert entry_ids(client, writer_b) == []
    threads.post_create(thread=coffee_cart, writer=writer_a, muse=ivy, body="Three.")
    (second,) = entry_ids(client, writer_b)
    assert second != first and second.startswith(first.split("#")[0])


def test_muted_threads_stay_out_and_the_feed_is_capped(
    client, make_thread, join, writer_a, writer_b, ivy, hale, coffee_cart, monkeypatch
):
    other = make_thread(writer_a, ivy, title="Night market")
    join(other, hale)
    for thread in (coffee_cart, other):
        threads.post_create(thread=thread, writer=writer_a, muse=ivy, body="Over to you.")
    assert sorted(entry_titles(atom(client.get(turns_url(writer_b))))) == [
        "Your turn in “Coffee cart”",
        "Your turn in “Night market”",
    ]
    monkeypatch.setattr(selectors, "FEED_LENGTH", 1)
    assert entry_titles(atom(client.get(turns_url(writer_b)))) == ["Your turn in “Coffee cart”"]
    threads.writer_state_set(thread=coffee_cart, writer=writer_b, muted=True)
    assert entry_titles(atom(client.get(turns_url(writer_b)))) == ["Your turn in “Night market”"]


def test_a_private_feed_stays_out_of_shared_caches_and_search_engines(client, writer_b):
    response = client.get(turns_url(writer_b))
    assert response["Cache-Control"] == "private, max-age=300"
    assert response["X-Robots-Tag"] == "noindex"
    assert response["Referrer-Policy"] == "no-referrer"


def test_only_a_good_token_of_the_right_kind_opens_the_feed(client, writer_b):
    good = feed_token(writer_b, FeedKind.TURNS)
    nonce = good.rsplit(".", 1)[0]
    for token in (
        "nope",
        nonce,  # the database's half alone
        f"{nonce}.AAAA",
        f"x{good}",
        "." * 3,
        "é" * 300,
        feed_token(writer_b, FeedKind.FOLLOWS),  # good, but for another address
        feed_token(writer_b, FeedKind.CALENDAR),
    ):
        assert client.get(reverse("turns-feed", args=[token])).status_code == 404, token
    assert client.get(reverse("turns-feed", args=[good])).status_code == 200
    assert client.post(reverse("turns-feed", args=[good])).status_code == 405


def test_an_inactive_writers_feeds_are_gone(client, writer_b):
    urls = [turns_url(writer_b), calendar_url(writer_b)]
    type(writer_b).objects.filter(pk=writer_b.pk).update(is_active=False)
    for url in urls:
        assert client.get(url).status_code == 404


# ---------------------------------------------------------------------------- the page


def test_the_page_shows_the_writers_own_addresses(client, writer_a, writer_b):
    page_url = reverse("private-feeds")
    assert client.get(page_url).url.startswith(reverse("login"))
    client.force_login(writer_b)
    response = client.get(page_url)
    assert "no-store" in response["Cache-Control"]
    page = response.content.decode()
    assert f'value="http://testserver{turns_url(writer_b)}"' in page
    assert f'value="http://testserver{calendar_url(writer_b)}"' in page
    assert f'href="webcal://testserver{calendar_url(writer_b)}"' in page
    assert turns_url(writer_a) not in page


def test_resetting_one_address_ends_it_and_leaves_the_others(client, writer_b):
    old_turns, old_calendar, old_follows = (
        turns_url(writer_b),
        calendar_url(writer_b),
        follows_url(writer_b),
    )
    client.force_login(writer_b)
    response = client.post(reverse("feed-reset", args=["turns"]))
    assert response.status_code == 302 and response.url == reverse("private-feeds")
    new_turns = turns_url(writer_b)
    assert new_turns != old_turns
    client.logout()
    assert client.get(old_turns).status_code == 404
    assert client.get(new_turns).status_code == 200
    assert client.get(old_calendar).status_code == 200
    assert client.get(old_follows).status_code == 200
    assert FeedKey.objects.filter(owner=writer_b).count() == 3


def test_resetting_needs_a_signed_in_post_and_a_real_kind(client, writer_b):
    url = reverse("feed-reset", args=["calendar"])
    assert client.post(url).url.startswith(reverse("login"))
    client.force_login(writer_b)
    assert client.get(url).status_code == 405
    assert client.post(reverse("feed-reset", args=["secrets"])).status_code == 404
    assert not FeedKey.objects.exists()


def test_the_queue_links_to_the_page(client, writer_b):
    client.force_login(writer_b)
    assert reverse("private-feeds") in client.get(reverse("home")).content.decode()


def test_control_characters_in_a_title_are_dropped(client, make_thread, join, writer_a, ivy, hale):
    thread = make_thread(writer_a, ivy, title="Bell\x07 tower\x1b")
    join(thread, hale)
    assert entry_titles(atom(client.get(turns_url(writer_a)))) == ["Your turn in “Bell tower”"]
