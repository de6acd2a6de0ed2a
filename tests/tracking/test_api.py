"""The API's tracked-thread operations: the same services, the API's error shape."""

from __future__ import annotations

import pytest
from django.test import Client

from tandem.api.services import token_create
from tandem.tracking import services
from tandem.tracking.models import TrackedThread

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    raw = token_create(user=user, name="t", scope="write")[1]
    return Client(headers={"Authorization": f"Bearer {raw}"})


def test_create_list_flip_and_queue(writer, make_muse):
    muse = make_muse(writer, "Ines")
    api = _client(writer)
    made = api.post(
        "/api/v1/tracked",
        {"title": "Rain", "url": "https://x.example/1", "muse": muse.pk, "turn": "mine"},
        content_type="application/json",
    )
    assert made.status_code == 201
    body = made.json()
    assert (body["site"], body["muse"]["name"], body["turn"]) == ("x.example", "Ines", "mine")
    items = api.get("/api/v1/tracked").json()["items"]
    assert [i["title"] for i in items] == ["Rain"]
    flipped = api.post(
        f"/api/v1/tracked/{body['id']}/turn", {"turn": "theirs"}, content_type="application/json"
    )
    assert flipped.status_code == 200 and flipped.json()["turn"] == "theirs"
    assert TrackedThread.objects.get().turn == "theirs"
    queue = api.get("/api/v1/queue").json()
    assert [e["title"] for e in queue["elsewhere"]] == ["Rain"]


def test_bad_input_in_the_error_shape(writer, other, make_muse):
    api = _client(writer)
    bad = api.post(
        "/api/v1/tracked", {"title": "x", "url": "nope"}, content_type="application/json"
    )
    assert bad.status_code == 400
    assert bad.json()["code"] == "refused" and "url" in bad.json()["fields"]
    theirs = make_muse(other, "Theirs")
    bad = api.post(
        "/api/v1/tracked", {"title": "x", "muse": theirs.pk}, content_type="application/json"
    )
    assert bad.status_code == 400 and "muse" in bad.json()["fields"]
    assert not TrackedThread.objects.exists()


def test_another_writers_tracked_thread_is_a_404(writer, other):
    tracked = services.tracked_create(writer=other, title="Private")
    api = _client(writer)
    response = api.post(
        f"/api/v1/tracked/{tracked.pk}/turn", {"turn": "theirs"}, content_type="application/json"
    )
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert api.get("/api/v1/tracked").json()["items"] == []
    assert api.get("/api/v1/queue").json()["elsewhere"] == []
    tracked.refresh_from_db()
    assert tracked.turn == "mine"
