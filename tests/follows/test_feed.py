"""The reader's private Atom feed: what it holds, and who can open it."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from django.urls import reverse

from tandem.blocks.services import block_writer
from tandem.feeds.models import FeedKind
from tandem.feeds.selectors import feed_token, owner_for_token
from tandem.follows import selectors, services
from tandem.threads import services as threads
from tests.follows.conftest import set_visibility

pytestmark = pytest.mark.django_db
ATOM = "{http://www.w3.org/2005/Atom}"


def feed_url(reader) -> str:
    return reverse("follows-feed", args=[feed_token(reader, FeedKind.FOLLOWS)])


def entries(client, reader) -> list[str]:
    response = client.get(feed_url(reader))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    root = ET.fromstring(response.content)
    return [entry.find(f"{ATOM}title").text for entry in root.iter(f"{ATOM}entry")]


def test_the_feed_holds_posts_from_what_the_reader_follows(
    client, carol, make_muse, make_thread, writer_a, writer_b, ivy, hale, lighthouse
):
    """A followed thread's posts, a followed muse's posts elsewhere (public only), newest
    first; nothing from threads nobody followed."""
    services.thread_follow(follower=carol, thread=lighthouse)
    threads.post_create(thread=lighthouse, writer=writer_b, muse=hale, body="Hale answers.")
    other = make_thread(writer_b, hale, title="Harbour", visibility="public")
    threads.post_create(thread=other, writer=writer_b, muse=hale, body="At the harbour.")
    hidden = make_thread(writer_b, hale, title="Diary")  # private
    threads.post_create(thread=hidden, writer=writer_b, muse=hale, body="Dear diary.")
    assert entries(client, carol) == [
        "Hale in “The lighthouse” (#2)",
        "Ivy in “The lighthouse” (#1)",
    ]
    services.muse_follow(follower=carol, muse=hale)
    assert entries(client, carol)[0] == "Hale in “Harbour” (#1)"
    assert "Dear diary" not in client.get(feed_url(carol)).content.decode()


def test_the_feed_leaves_out_removed_posts_private_threads_and_blocks(
    client, carol, writer_a, writer_b, hale, lighthouse
):
    services.thread_follow(follower=carol, thread=lighthouse)
    second = threads.post_create(thread=lighthouse, writer=writer_b, muse=hale, body="Gone.")
    threads.post_delete(post=second, writer=writer_b)
    body = client.get(feed_url(carol)).content.decode()
    assert "Gone." not in body and "The lamp was lit." in body
    block_writer(blocker=writer_a, blocked=carol)  # the owner and the poster of #1
    assert entries(client, carol) == []
    from tandem.blocks.models import Block

    Block.objects.all().delete()
    set_visibility(lighthouse, "unlisted")
    assert entries(client, carol) == []


def test_the_feed_is_capped(client, carol, writer_a, ivy, lighthouse, monkeypatch):
    monkeypatch.setattr(selectors, "FEED_LENGTH", 2)
    services.thread_follow(follower=carol, thread=lighthouse)
    for n in range(3):
        threads.post_create(thread=lighthouse, writer=writer_a, muse=ivy, body=f"Post {n}.")
    assert len(entries(client, carol)) == 2


def test_the_feed_entry_links_to_the_post_and_shows_its_text(client, carol, lighthouse):
    services.thread_follow(follower=carol, thread=lighthouse)
    root = ET.fromstring(client.get(feed_url(carol)).content)
    entry = next(root.iter(f"{ATOM}entry"))
    link = entry.find(f"{ATOM}link").get("href")
    assert link == "http://testserver" + lighthouse.posts.get(number=1).get_absolute_url()
    assert "The lamp was lit." in entry.find(f"{ATOM}summary").text


def test_a_bad_token_is_a_404(client, carol):
    good = feed_token(carol, FeedKind.FOLLOWS)
    nonce = good.rsplit(".", 1)[0]
    for token in ("nope", f"{nonce}.AAAA", f"{nonce}", f"x{good}", "." * 3):
        assert client.get(reverse("follows-feed", args=[token])).status_code == 404, token
    assert client.get(reverse("follows-feed", args=[good])).status_code == 200


def test_resetting_changes_the_address_and_kills_the_old_one(client, carol):
    old = feed_url(carol)
    client.force_login(carol)
    assert old in client.get(reverse("follows")).content.decode()
    response = client.post(reverse("feed-reset", args=["follows"]))
    assert response.status_code == 302 and response["Location"] == reverse("follows")
    new = feed_url(carol)
    assert new != old
    client.logout()
    assert client.get(old).status_code == 404
    assert client.get(new).status_code == 200


def test_the_token_is_signed_not_stored(carol):
    """The database holds only the nonce; the address needs the site's secret too."""
    from tandem.feeds.models import FeedKey

    token = feed_token(carol, FeedKind.FOLLOWS)
    nonce = FeedKey.objects.get(owner=carol, kind=FeedKind.FOLLOWS).nonce
    assert token.startswith(nonce + ".") and len(token) > len(nonce) + 20
    assert owner_for_token(nonce, FeedKind.FOLLOWS) is None
    assert owner_for_token(token, FeedKind.FOLLOWS) == carol


def test_an_inactive_readers_feed_is_gone(client, carol):
    url = feed_url(carol)
    type(carol).objects.filter(pk=carol.pk).update(is_active=False)
    assert client.get(url).status_code == 404
