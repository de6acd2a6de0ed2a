"""The starter pages: the board, posting, asking, answering, and what each visitor sees."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tandem.blocks.services import block_writer
from tandem.starters.models import JoinRequest, RequestStatus, Starter
from tandem.threads.permissions import is_participant

pytestmark = pytest.mark.django_db


def test_anyone_browses_the_board_and_filters_it_by_tag(client, starter):
    page = client.get(reverse("starter-board"))
    assert page.status_code == 200
    assert starter.thread.title in page.content.decode()
    tagged = client.get(reverse("starter-board"), {"tag": "lighthouse au"})
    assert starter.thread.title in tagged.content.decode()
    other = client.get(reverse("starter-board"), {"tag": "space opera", "rating": "teen"})
    assert starter.thread.title not in other.content.decode()
    assert "No open starter matches" in other.content.decode()
    # Nonsense in the query is a filter that matches nothing, never an error.
    odd = client.get(reverse("starter-board"), {"rating": "nope", "page": "x" * 50})
    assert odd.status_code == 200


def test_the_board_is_a_fixed_number_of_queries(
    client, writer_a, ivy, django_assert_max_num_queries
):
    from tandem.starters import services

    for n in range(6):
        services.starter_create(
            owner=writer_a,
            muse=ivy,
            title=f"Starter {n}",
            opening="Hello.",
            open_slots=1,
            tags=[f"tag {n}", "shared"],
        )
    with django_assert_max_num_queries(8):
        page = client.get(reverse("starter-board"))
    assert page.content.decode().count("starter-card") == 6


def test_anonymous_visitors_read_a_starter_and_are_asked_to_log_in(client, starter):
    page = client.get(reverse("starter-detail", args=[starter.pk]))
    body = page.content.decode()
    assert page.status_code == 200
    assert "The lamp had not been lit" in body and "Slow burn, weekly replies" in body
    assert "Log in" in body
    asked = client.post(reverse("starter-request", args=[starter.pk]), {"muse": 1})
    assert asked.status_code == 302 and "/login/" in asked["Location"]


def test_a_blocked_writer_gets_a_404_for_the_starter(client, starter, writer_a, writer_b):
    block_writer(blocker=writer_a, blocked=writer_b)
    client.force_login(writer_b)
    assert client.get(reverse("starter-detail", args=[starter.pk])).status_code == 404
    assert starter.thread.title not in client.get(reverse("starter-board")).content.decode()


def test_asking_with_someone_elses_muse_is_refused(client, starter, writer_b, ivy, hale):
    client.force_login(writer_b)
    url = reverse("starter-request", args=[starter.pk])
    response = client.post(url, {"muse": ivy.pk}, follow=True)
    assert "Select a valid choice" in response.content.decode()
    assert not JoinRequest.objects.exists()
    response = client.post(url, {"muse": hale.pk, "message": "Hale rows."}, follow=True)
    assert "You asked to join with Hale" in response.content.decode()
    assert "Withdraw my request" in response.content.decode()


def test_the_owner_accepts_on_their_page_and_strangers_get_404(
    client, starter, ask, hale, writer_a, writer_b, make_writer
):
    request = ask(hale, "Weekly is fine.")
    answer = reverse("join-request-answer", args=[request.pk])
    manage = reverse("starter-manage", args=[starter.pk])
    client.force_login(make_writer("nosy"))
    assert client.get(manage).status_code == 404
    assert client.post(answer, {"answer": "accept"}).status_code == 404
    client.force_login(writer_b)
    assert client.post(answer, {"answer": "accept"}).status_code == 404
    assert not is_participant(starter.thread, writer_b)

    client.force_login(writer_a)
    page = client.get(manage)
    assert "Weekly is fine." in page.content.decode()
    response = client.post(answer, {"answer": "accept"}, follow=True)
    assert "Hale (bram) joined" in response.content.decode()
    assert is_participant(starter.thread, writer_b)
    starter.refresh_from_db()
    assert starter.open_slots == 1


def test_posting_a_starter_from_the_form(client, writer_a, ivy):
    client.force_login(writer_a)
    response = client.post(
        reverse("starter-new"),
        {
            "title": "Tea at the edge",
            "muse": ivy.pk,
            "opening": "The kettle sang.",
            "open_slots": "2",
            "looking_for": "Cosy, 300+ words",
            "rating": "general",
            "tags": "cosy, tea",
            "turn_mode": "ordered",
        },
    )
    starter = Starter.objects.get()
    assert response.status_code == 302 and response["Location"] == starter.get_absolute_url()
    assert starter.thread.visibility == "public" and starter.thread.post_count == 1
    refused = client.post(reverse("starter-new"), {"title": "x", "muse": ivy.pk, "open_slots": "0"})
    assert refused.status_code == 200 and Starter.objects.count() == 1


def test_opening_a_thread_from_its_page(client, make_thread, writer_a, ivy):
    from tandem.threads import services as thread_services

    thread = make_thread(writer_a, ivy, title="Old road", visibility="public")
    thread_services.post_create(thread=thread, writer=writer_a, muse=ivy, body="Dust.")
    client.force_login(writer_a)
    page = client.get(thread.get_absolute_url())
    assert "Open this thread as a starter" in page.content.decode()
    response = client.post(
        reverse("starter-open", args=[thread.public_id]), {"open_slots": "1", "looking_for": ""}
    )
    starter = Starter.objects.get(thread=thread)
    assert response["Location"] == starter.get_absolute_url()


def test_my_requests_hide_a_thread_that_is_no_longer_public(client, starter, ask, hale, writer_b):
    ask(hale)
    client.force_login(writer_b)
    assert starter.thread.title in client.get(reverse("starter-mine")).content.decode()
    starter.thread.visibility = "private"
    starter.thread.save(update_fields=["visibility"])
    page = client.get(reverse("starter-mine")).content.decode()
    assert starter.thread.title not in page and "no longer public" in page
    assert JoinRequest.objects.get().status == RequestStatus.PENDING
