"""A public thread's feed and a tag's feed: what they hold, and that nothing else gets in."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tandem.feeds import selectors
from tandem.moderation.models import HiddenContent
from tandem.threads import services as threads
from tandem.threads.models import Tag
from tandem.threads.services import tag_merge
from tests.feeds.conftest import NS, atom, entry_titles
from tests.follows.conftest import set_visibility

pytestmark = pytest.mark.django_db


def thread_feed(thread) -> str:
    return reverse("thread-feed", args=[thread.public_id])


def tag_feed(tag) -> str:
    return reverse("tag-feed", args=[tag.category, tag.name])


def hide(**target) -> None:
    """Moderators hide a post or a thread."""
    (kind,) = target
    HiddenContent.objects.create(kind=kind, target_label="hidden in a test", **target)


# ---------------------------------------------------------------------------- a thread


def test_a_public_threads_feed_holds_its_posts_last_first(
    client, writer_a, writer_b, ivy, hale, lighthouse
):
    threads.post_create(thread=lighthouse, writer=writer_b, muse=hale, body="Hale *climbs*.")
    root = atom(client.get(thread_feed(lighthouse)))
    assert root.findtext("a:title", namespaces=NS) == "The lighthouse · Tandem"
    assert entry_titles(root) == [
        "Hale in “The lighthouse” (#2)",
        "Ivy in “The lighthouse” (#1)",
    ]
    first = root.find("a:entry", NS)
    permalink = "http://testserver" + lighthouse.posts.get(number=2).get_absolute_url()
    assert first.find("a:link", NS).get("href") == permalink
    assert first.findtext("a:id", namespaces=NS) == permalink
    # The post as the page shows it: rendered, as HTML for the reader to show.
    assert "<em>climbs</em>" in first.findtext("a:summary", namespaces=NS)
    assert first.findtext("a:author/a:name", namespaces=NS) == "bram"
    links = {link.get("rel"): link.get("href") for link in root.findall("a:link", NS)}
    assert links["alternate"] == "http://testserver" + lighthouse.get_absolute_url()
    assert links["self"] == "http://testserver" + thread_feed(lighthouse)


def test_removed_and_hidden_posts_are_left_out(client, writer_a, writer_b, ivy, hale, lighthouse):
    gone = threads.post_create(thread=lighthouse, writer=writer_b, muse=hale, body="Taken back.")
    threads.post_delete(post=gone, writer=writer_b)
    spam = threads.post_create(thread=lighthouse, writer=writer_a, muse=ivy, body="Buy lamps!")
    hide(post=spam)
    response = client.get(thread_feed(lighthouse))
    assert entry_titles(atom(response)) == ["Ivy in “The lighthouse” (#1)"]
    body = response.content.decode()
    assert "Taken back." not in body and "Buy lamps!" not in body


@pytest.mark.parametrize("visibility", ["private", "unlisted"])
def test_a_thread_that_is_not_public_has_no_feed_even_for_its_writers(
    client, writer_a, lighthouse, visibility
):
    set_visibility(lighthouse, visibility)
    assert client.get(thread_feed(lighthouse)).status_code == 404
    client.force_login(writer_a)
    assert client.get(thread_feed(lighthouse)).status_code == 404


def test_a_hidden_thread_and_a_made_up_one_have_no_feed(client, lighthouse):
    assert client.get(reverse("thread-feed", args=["no-such-id"])).status_code == 404
    assert client.get(reverse("thread-feed", args=["x" * 500])).status_code == 404
    hide(thread=lighthouse)
    assert client.get(thread_feed(lighthouse)).status_code == 404


def test_the_feed_stops_at_its_length(client, writer_a, ivy, lighthouse, monkeypatch):
    monkeypatch.setattr(selectors, "FEED_LENGTH", 2)
    for n in range(3):
        threads.post_create(thread=lighthouse, writer=writer_a, muse=ivy, body=f"Lamp {n}.")
    assert entry_titles(atom(client.get(thread_feed(lighthouse)))) == [
        "Ivy in “The lighthouse” (#4)",
        "Ivy in “The lighthouse” (#3)",
    ]


def test_the_thread_page_advertises_the_feed_only_while_there_is_one(client, lighthouse):
    url = thread_feed(lighthouse)
    alternate = (
        f'<link rel="alternate" type="application/atom+xml" title="The lighthouse" href="{url}">'
    )
    page = client.get(lighthouse.get_absolute_url()).content.decode()
    assert alternate in page
    assert f'<a href="{url}" type="application/atom+xml">' in page
    set_visibility(lighthouse, "unlisted")  # readable by its link, but without a feed
    page = client.get(lighthouse.get_absolute_url()).content.decode()
    assert url not in page and "application/atom+xml" not in page


def test_feed_readers_are_told_to_wait_and_may_ask_again_cheaply(client, lighthouse):
    response = client.get(thread_feed(lighthouse))
    assert response["Cache-Control"] == "max-age=300"
    again = client.get(thread_feed(lighthouse), headers={"if-none-match": response["ETag"]})
    assert again.status_code == 304
    assert client.head(thread_feed(lighthouse)).status_code == 200
    assert client.post(thread_feed(lighthouse)).status_code == 405


# ---------------------------------------------------------------------------- a tag


@pytest.fixture
def fog(make_thread, join, writer_a, writer_b, ivy, hale):
    """Public threads tagged "fog" (one under a synonym merged into it), and threads with
    the tag that its feed must not show: a private one, an unlisted one, a hidden one."""

    def tagged(title: str, visibility: str, tag: str = "fog"):
        thread = make_thread(writer_a, ivy, title=title, visibility=visibility, tags=[tag])
        threads.post_create(thread=thread, writer=writer_a, muse=ivy, body=f"In {title}.")
        return thread

    tagged("Harbour", "public")
    tagged("Moor", "public", tag="mist")
    tag_merge(source=Tag.objects.get(name="mist"), target=Tag.objects.get(name="fog"))
    tagged("Diary", "private")
    tagged("By link", "unlisted")
    hide(thread=tagged("Reported", "public"))
    return Tag.objects.get(name="fog")


def test_a_tags_feed_holds_the_posts_of_its_public_threads(client, fog):
    response = client.get(tag_feed(fog))
    root = atom(response)
    assert entry_titles(root) == ["Ivy in “Moor” (#1)", "Ivy in “Harbour” (#1)"]
    assert root.findtext("a:title", namespaces=NS) == "fog (freeform) · Tandem"
    body = response.content.decode()
    for unseen in ("Diary", "By link", "Reported"):
        assert unseen not in body


def test_a_tag_feed_is_addressed_like_its_page(client, fog):
    assert client.get("/feeds/tags/freeform/FOG.atom").url == tag_feed(fog)
    assert client.get("/feeds/tags/freeform/mist.atom").url == tag_feed(fog)
    for url in (
        "/feeds/tags/genre/fog.atom",  # no such kind of tag
        "/feeds/tags/fandom/fog.atom",  # right name, wrong kind
        "/feeds/tags/freeform/nothing-like-it.atom",
        "/feeds/tags/freeform/%20.atom",
    ):
        assert client.get(url).status_code == 404, url


def test_a_tag_only_hidden_threads_use_has_no_feed(client, make_thread, writer_a, ivy):
    make_thread(writer_a, ivy, title="Diary", tags=["my secret plot"])  # private
    unlisted = make_thread(writer_a, ivy, visibility="unlisted", tags=["by the link"])
    assert client.get(tag_feed(Tag.objects.get(name="my secret plot"))).status_code == 404
    assert client.get(tag_feed(unlisted.tags.get())).status_code == 404


@pytest.mark.parametrize("name", ["AC/DC", "a.b", "100% *real*", "日本語 タグ"])
def test_any_tag_name_has_a_working_feed(client, make_thread, writer_a, ivy, name):
    thread = make_thread(writer_a, ivy, visibility="public", tags=[name])
    response = client.get(tag_feed(thread.tags.get()))
    assert atom(response).findtext("a:title", namespaces=NS).startswith(name)


def test_the_tag_page_advertises_its_feed(client, fog):
    page = client.get(fog.get_absolute_url()).content.decode()
    url = tag_feed(fog)
    assert f'<link rel="alternate" type="application/atom+xml" title="fog" href="{url}">' in page
    assert f'<a href="{url}" type="application/atom+xml">' in page


def test_control_characters_are_dropped_not_a_500(client, make_thread, writer_a, ivy):
    """XML cannot hold them, but a title or an imported post may: the feed still answers."""
    thread = make_thread(
        writer_a, ivy, title="Bell\x07 tower\x1b", summary="Rung\x0c twice", visibility="public"
    )
    threads.post_create(thread=thread, writer=writer_a, muse=ivy, body="Ding\x07 dong\x1b[0m")
    root = atom(client.get(thread_feed(thread)))
    assert root.findtext("a:title", namespaces=NS) == "Bell tower · Tandem"
    assert entry_titles(root) == ["Ivy in “Bell tower” (#1)"]
    assert "Ding dong" in root.findtext("a:entry/a:summary", namespaces=NS)
