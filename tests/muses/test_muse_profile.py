"""A muse's page lists its PUBLIC threads with word counts (issue 10, item 6)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tandem.muses.models import Muse
from tandem.threads.models import Participant, Visibility
from tandem.threads.services.people import participant_leave
from tandem.threads.services.posts import post_create, post_delete


@pytest.fixture
def shelf(make_thread, join, writer_a, ivy, hale):
    made = {}
    for visibility in Visibility.values:
        thread = make_thread(
            writer_a, ivy, title=f"Marker-{visibility}-title", visibility=visibility
        )
        join(thread, hale)
        made[visibility] = thread
    return made


@pytest.mark.parametrize("viewer", ["anonymous", "stranger", "writer"])
@pytest.mark.parametrize("muse_name", ["ivy", "hale"])
def test_only_public_threads_are_listed_for_every_viewer(
    client, request, make_writer, writer_a, writer_b, shelf, viewer, muse_name
):
    muse = request.getfixturevalue(muse_name)
    if viewer == "stranger":
        client.force_login(make_writer("stranger"))
    elif viewer == "writer":
        client.force_login(muse.owner)
    response = client.get(muse.get_absolute_url())
    assert response.status_code == 200
    page = response.content.decode()
    assert "Marker-public-title" in page
    assert "Marker-unlisted-title" not in page
    assert "Marker-private-title" not in page
    assert ("Only public threads are listed here." in page) is (viewer == "writer")


def test_word_count_leaves_out_removed_posts(client, writer_a, writer_b, ivy, hale, shelf):
    thread = shelf[Visibility.PUBLIC]
    post_create(thread=thread, writer=writer_a, muse=ivy, body="rain on the awning today")
    gone = post_create(thread=thread, writer=writer_b, muse=hale, body="three more words")
    post_delete(post=gone, writer=writer_b)
    page = client.get(ivy.get_absolute_url()).content.decode()
    assert "5 words" in page and "8 words" not in page


def test_placeholder_in_the_cast_is_not_shown(client, writer_a, ivy, shelf):
    stand_in = Muse.objects.create(owner=writer_a, name="Stand-in Zed", is_placeholder=True)
    Participant.objects.create(thread=shelf[Visibility.PUBLIC], muse=stand_in, writer=writer_a)
    page = client.get(ivy.get_absolute_url()).content.decode()
    assert "Marker-public-title" in page and "Stand-in Zed" not in page


def test_a_muse_that_left_still_lists_the_thread(client, writer_b, hale, shelf):
    thread = shelf[Visibility.PUBLIC]
    participant_leave(participant=thread.participants.get(muse=hale), actor=writer_b)
    assert "Marker-public-title" in client.get(hale.get_absolute_url()).content.decode()


@pytest.mark.parametrize("bad", ["abc", "99999", "-3", ""])
def test_bad_page_numbers_give_a_page(client, ivy, shelf, bad):
    response = client.get(ivy.get_absolute_url(), {"page": bad})
    assert response.status_code == 200
    assert "Marker-public-title" in response.content.decode()


def test_constant_queries_whatever_the_number_of_threads(
    client, make_thread, join, writer_a, ivy, hale
):
    def fill(count):
        for n in range(count):
            thread = make_thread(writer_a, ivy, title=f"T{n}", visibility=Visibility.PUBLIC)
            join(thread, hale)
            post_create(thread=thread, writer=writer_a, muse=ivy, body="some words here")

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(ivy.get_absolute_url()).status_code == 200
        return len(queries)

    fill(2)
    few = count()
    fill(23)
    assert count() == few
