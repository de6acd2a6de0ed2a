"""A writer's page: bio, muses and PUBLIC threads only, with word counts (issue 10, item 6)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tandem.muses.models import Muse
from tandem.muses.services import muse_archive
from tandem.threads.models import Participant, Visibility
from tandem.threads.selectors import public_threads_of_writer
from tandem.threads.services.posts import post_create, post_delete


def _page(client, writer, **params):
    return client.get(reverse("writer-profile", args=[writer.username]), params)


@pytest.fixture
def shelf(make_thread, join, writer_a, writer_b, ivy, hale):
    """alice's three threads, one of each visibility, each with a marker title."""
    made = {}
    for visibility in Visibility.values:
        thread = make_thread(
            writer_a, ivy, title=f"Marker-{visibility}-title", visibility=visibility
        )
        join(thread, hale)
        made[visibility] = thread
    return made


@pytest.mark.parametrize("viewer", ["anonymous", "stranger", "writer"])
def test_only_public_threads_are_listed_for_every_viewer(
    client, make_writer, writer_a, shelf, viewer
):
    if viewer == "stranger":
        client.force_login(make_writer("stranger"))
    elif viewer == "writer":
        client.force_login(writer_a)
    response = _page(client, writer_a)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Marker-public-title" in page
    assert "Marker-unlisted-title" not in page
    assert "Marker-private-title" not in page
    # The writer is told why their other threads are missing; nobody else needs to be.
    assert ("Only public threads are listed here." in page) is (viewer == "writer")


def test_partner_sees_the_shared_public_thread_on_their_own_page(client, writer_b, shelf):
    page = _page(client, writer_b).content.decode()
    assert "Marker-public-title" in page and "Marker-private-title" not in page


def test_removed_posts_words_are_not_counted(writer_a, writer_b, ivy, hale, shelf):
    thread = shelf[Visibility.PUBLIC]
    post_create(thread=thread, writer=writer_a, muse=ivy, body="one two three four five")
    gone = post_create(thread=thread, writer=writer_b, muse=hale, body="six seven eight")
    post_delete(post=gone, writer=writer_b)
    [listed] = public_threads_of_writer(writer_a)
    assert listed.words == 5


def test_word_count_and_muses_are_shown(client, writer_a, ivy, shelf):
    thread = shelf[Visibility.PUBLIC]
    post_create(thread=thread, writer=writer_a, muse=ivy, body="a quiet morning at the cart")
    page = _page(client, writer_a).content.decode()
    assert "6 words" in page
    assert "Hale" in page and "Ivy" in page


def test_placeholder_and_archived_muses_never_appear(
    client, make_muse, make_thread, writer_a, writer_b, ivy, hale, shelf
):
    # A placeholder is what an import makes (see imports.services): a stand-in alice
    # holds for somebody else's muse, sitting in a public thread.
    stand_in = Muse.objects.create(owner=writer_a, name="Stand-in Zed", is_placeholder=True)
    Participant.objects.create(thread=shelf[Visibility.PUBLIC], muse=stand_in, writer=writer_a)
    # …and the only way alice is in bram's thread: that is not her thread.
    elsewhere = make_thread(writer_b, hale, title="Marker-standin-only", visibility="public")
    Participant.objects.create(thread=elsewhere, muse=stand_in, writer=writer_a)
    retired = make_muse(writer_a, "Retired Quill")
    muse_archive(muse=retired, writer=writer_a)
    page = _page(client, writer_a).content.decode()
    assert "Ivy" in page and "Marker-public-title" in page
    assert "Stand-in Zed" not in page and "Retired Quill" not in page
    assert "Marker-standin-only" not in page


def test_a_muse_that_left_keeps_the_thread_on_the_writers_page(client, writer_b, shelf):
    from tandem.threads.services.people import participant_leave

    thread = shelf[Visibility.PUBLIC]
    participant_leave(participant=thread.participants.get(writer=writer_b), actor=writer_b)
    assert "Marker-public-title" in _page(client, writer_b).content.decode()


@pytest.mark.parametrize("bad", ["abc", "99999", "-1", "0", ""])
def test_bad_page_numbers_give_a_page(client, writer_a, shelf, bad):
    response = _page(client, writer_a, page=bad)
    assert response.status_code == 200
    assert "Marker-public-title" in response.content.decode()


def test_pagination_at_twenty(client, make_thread, writer_a, ivy):
    for n in range(21):
        make_thread(writer_a, ivy, title=f"Story {n:02d}", visibility=Visibility.PUBLIC)
    first = _page(client, writer_a)
    second = _page(client, writer_a, page=2)
    assert len(first.context["page"].object_list) == 20
    assert len(second.context["page"].object_list) == 1
    assert "Page 1 of 2" in first.content.decode()


def _count_queries(client, writer):
    with CaptureQueriesContext(connection) as queries:
        assert _page(client, writer).status_code == 200
    return len(queries)


def test_constant_queries_whatever_the_number_of_threads(
    client, make_writer, make_muse, make_thread, join, writer_a, ivy, hale
):
    def fill(count):
        for n in range(count):
            thread = make_thread(writer_a, ivy, title=f"T{n}", visibility=Visibility.PUBLIC)
            join(thread, hale)
            post_create(thread=thread, writer=writer_a, muse=ivy, body="some words here")

    fill(2)
    few = _count_queries(client, writer_a)
    fill(23)
    assert _count_queries(client, writer_a) == few
