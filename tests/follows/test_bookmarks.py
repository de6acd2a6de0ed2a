"""Bookmarks: on posts the reader can read, with a private note; hidden, not deleted, when
the post goes out of reach."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from tandem.blocks.services import block_writer
from tandem.follows import selectors, services
from tandem.follows.models import Bookmark
from tandem.threads import services as threads
from tests.follows.conftest import set_visibility

pytestmark = pytest.mark.django_db


def save(reader, thread, number=1, note=None):
    return services.bookmark_save(reader=reader, thread=thread, number=number, note=note)


def test_a_reader_bookmarks_a_post_and_writes_a_note(carol, lighthouse):
    bookmark = save(carol, lighthouse)
    assert bookmark.note == ""
    save(carol, lighthouse, note="  The lamp line — use it later.\r\n")
    save(carol, lighthouse)  # the button again keeps the note
    bookmark.refresh_from_db()
    assert bookmark.note == "The lamp line — use it later."
    assert Bookmark.objects.filter(reader=carol).count() == 1


def test_notes_have_a_limit(carol, lighthouse):
    save(carol, lighthouse, note="x" * services.NOTE_MAX_CHARS)
    with pytest.raises(ValidationError, match="up to 2,000"):
        save(carol, lighthouse, note="x" * (services.NOTE_MAX_CHARS + 1))


def test_bookmarks_are_capped(carol, writer_a, ivy, lighthouse, monkeypatch):
    monkeypatch.setattr(services, "MAX_BOOKMARKS", 1)
    threads.post_create(thread=lighthouse, writer=writer_a, muse=ivy, body="Second.")
    save(carol, lighthouse, 1)
    with pytest.raises(ValidationError, match="remove some"):
        save(carol, lighthouse, 2)


def test_only_posts_the_reader_can_read(carol, writer_a, writer_b, lighthouse):
    """Not in a private thread they are not in, not a removed post, not a missing one."""
    with pytest.raises(PermissionDenied):
        save(carol, lighthouse, 99)
    first = lighthouse.posts.get(number=1)
    threads.post_delete(post=first, writer=writer_a)
    with pytest.raises(PermissionDenied):
        save(carol, lighthouse, 1)
    threads.post_restore(post=first, writer=writer_a)
    set_visibility(lighthouse, "private")
    with pytest.raises(PermissionDenied):
        save(carol, lighthouse, 1)
    assert save(writer_b, lighthouse, 1).post == first  # a writer in it reads it
    set_visibility(lighthouse, "unlisted")
    assert save(carol, lighthouse, 1).post == first  # unlisted: anyone with the link


def test_out_of_reach_bookmarks_are_hidden_not_deleted(
    carol, make_writer, writer_a, writer_b, ivy, hale, lighthouse
):
    """Thread made private, post removed, a block, a writer who left: hidden; back when
    the post is readable again."""
    save(carol, lighthouse)
    save(writer_b, lighthouse)
    assert [b.post.number for b in selectors.shown_bookmarks(carol)] == [1]
    set_visibility(lighthouse, "private")
    assert list(selectors.shown_bookmarks(carol)) == []
    assert len(selectors.shown_bookmarks(writer_b)) == 1
    threads.participant_leave(participant=lighthouse.participants.get(muse=hale), actor=writer_b)
    assert list(selectors.shown_bookmarks(writer_b)) == []
    set_visibility(lighthouse, "public")
    assert len(selectors.shown_bookmarks(carol)) == 1
    first = lighthouse.posts.get(number=1)
    threads.post_delete(post=first, writer=writer_a)
    assert list(selectors.shown_bookmarks(carol)) == []
    threads.post_restore(post=first, writer=writer_a)
    block_writer(blocker=writer_a, blocked=carol)
    assert list(selectors.shown_bookmarks(carol)) == []
    assert Bookmark.objects.filter(reader=carol).count() == 1


def test_the_button_on_a_post_and_the_bookmarks_page(client, carol, lighthouse):
    client.force_login(carol)
    url = reverse("bookmark", args=[lighthouse.public_id, 1])
    page = client.get(lighthouse.get_absolute_url()).content.decode()
    assert url in page and "Bookmark<span" in page
    response = client.post(url, {"next": lighthouse.get_absolute_url() + "#post-1"})
    assert response["Location"] == lighthouse.get_absolute_url() + "#post-1"
    page = client.get(lighthouse.get_absolute_url()).content.decode()
    assert "Remove bookmark" in page
    client.post(url, {"note": "Her best line.", "action": "save"})
    page = client.get(reverse("bookmarks")).content.decode()
    assert "The lamp was lit." in page and "Her best line." in page
    client.post(url, {"action": "remove"})
    assert not Bookmark.objects.exists()


def test_notes_are_private(client, carol, writer_a, lighthouse):
    save(carol, lighthouse, note="carol's secret thought")
    client.force_login(writer_a)
    assert "secret thought" not in client.get(reverse("bookmarks")).content.decode()
    assert "secret thought" not in client.get(lighthouse.get_absolute_url()).content.decode()


def test_bad_input(client, carol, lighthouse):
    client.force_login(carol)
    url = reverse("bookmark", args=[lighthouse.public_id, 1])
    response = client.post(url, {"note": "x" * 2001}, follow=True)
    assert "at most 2000 characters" in response.content.decode()
    assert not Bookmark.objects.exists()
    response = client.post(url, {"action": "shred"}, follow=True)
    assert "not one of the available choices" in response.content.decode()
    response = client.post(reverse("bookmark", args=[lighthouse.public_id, 42]), follow=True)
    assert "That post cannot be bookmarked." in response.content.decode()
    set_visibility(lighthouse, "private")
    assert client.post(url).status_code == 404
    assert client.get(url).status_code == 405


def test_the_bookmarks_page_needs_few_queries(
    client, carol, writer_a, ivy, lighthouse, django_assert_max_num_queries
):
    for n in range(selectors.BOOKMARKS_PER_PAGE + 3):
        threads.post_create(thread=lighthouse, writer=writer_a, muse=ivy, body=f"Post {n}.")
    for number in range(1, selectors.BOOKMARKS_PER_PAGE + 4):
        save(carol, lighthouse, number)
    client.force_login(carol)
    with django_assert_max_num_queries(15):
        page = client.get(reverse("bookmarks")).content.decode()
    assert page.count("Save note") == selectors.BOOKMARKS_PER_PAGE
    assert client.get(reverse("bookmarks") + "?page=2").content.decode().count("Save note") == 3
