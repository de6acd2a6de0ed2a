"""/api/v1/ writing (tandem.api.writing): muses, threads, invitations and changing posts, with
the pages' forms and services, on both databases."""

from __future__ import annotations

import pytest
from django.test import Client

from tandem.api import services
from tandem.blocks.services import block_writer
from tandem.muses.models import Muse
from tandem.threads import services as thread_services
from tandem.threads.models import Invitation, Thread

pytestmark = pytest.mark.django_db

JSON = "application/json"


def _client(user, scope="write"):
    raw = services.token_create(user=user, name="script", scope=scope)[1]
    return Client(raise_request_exception=False, HTTP_AUTHORIZATION=f"Bearer {raw}")


def _error(response, status, code=None):
    """The one error shape, with ``status`` (and ``code``, unless None)."""
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"detail", "code", "fields"} and body["detail"]
    assert code is None or body["code"] == code, body
    return body


def _post(thread, writer, muse, body="the kettle sang."):
    return thread_services.post_create(thread=thread, writer=writer, muse=muse, body=body)


# ------------------------------------------------------------------ muses


def test_a_muse_is_created_with_the_pages_form(writer_a):
    alice = _client(writer_a)
    response = alice.post(
        "/api/v1/muses",
        {"name": "  Wren  ", "pronouns": "they/them", "accent_colour": "#123abc"},
        content_type=JSON,
    )
    assert response.status_code == 201, response.content
    muse = Muse.objects.get(owner=writer_a, name="Wren")
    assert response.json()["id"] == muse.pk and muse.accent_colour == "#123abc"
    assert response.json()["url"].endswith(f"/muses/{muse.pk}/")


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "Wren\x00"}, "name"),
        ({"name": "Wren", "accent_colour": "red"}, "accent_colour"),
        ({"name": "Wren", "nicknames": ",".join(f"n{i}" for i in range(21))}, "nicknames"),
        ({"name": "x" * 101}, "name"),
    ],
)
def test_a_bad_muse_is_a_400_naming_the_field(writer_a, payload, field):
    body = _error(_client(writer_a).post("/api/v1/muses", payload, content_type=JSON), 400)
    assert field in body["fields"], body
    assert not Muse.objects.filter(owner=writer_a).exists()


def test_a_read_only_token_may_not_create_or_change_a_muse(writer_a, ivy):
    alice = _client(writer_a, "read")
    _error(alice.post("/api/v1/muses", {"name": "Wren"}, content_type=JSON), 403, "read_only")
    _error(
        alice.patch(f"/api/v1/muses/{ivy.pk}", {"name": "Ivy II"}, content_type=JSON),
        403,
        "read_only",
    )
    ivy.refresh_from_db()
    assert ivy.name == "Ivy" and Muse.objects.filter(owner=writer_a).count() == 1


def test_a_muse_is_changed_field_by_field_and_others_muses_are_404(writer_a, ivy, hale):
    alice = _client(writer_a)
    response = alice.patch(f"/api/v1/muses/{ivy.pk}", {"fandom": "Lanterns"}, content_type=JSON)
    assert response.status_code == 200, response.content
    ivy.refresh_from_db()
    assert (ivy.name, ivy.fandom, ivy.pronouns, ivy.accent_colour) == (
        "Ivy",
        "Lanterns",
        "she/her",
        "#b3261e",
    )
    assert response.json()["fandom"] == "Lanterns"
    _error(
        alice.patch(f"/api/v1/muses/{hale.pk}", {"name": "Mine"}, content_type=JSON),
        404,
        "not_found",
    )
    _error(
        alice.patch("/api/v1/muses/999999999", {"name": "x"}, content_type=JSON), 404, "not_found"
    )
    hale.refresh_from_db()
    assert hale.name == "Hale"
    body = _error(
        alice.patch(f"/api/v1/muses/{ivy.pk}", {"name": ""}, content_type=JSON), 400, "invalid"
    )
    assert "name" in body["fields"]
    body = _error(
        alice.patch(f"/api/v1/muses/{ivy.pk}", {"name": None}, content_type=JSON), 400, "invalid"
    )
    assert "name" in body["fields"]
    _error(alice.patch("/api/v1/muses/ivy", {"name": "x"}, content_type=JSON), 400, "invalid")


def _png() -> bytes:
    from io import BytesIO

    from PIL import Image

    buffer = BytesIO()
    Image.new("RGB", (120, 90), "#1d5c8c").save(buffer, "PNG")
    return buffer.getvalue()


def test_a_muses_icons_are_added_listed_and_removed(writer_a, ivy):
    from django.core.files.uploadedfile import SimpleUploadedFile

    alice = _client(writer_a)
    path = f"/api/v1/muses/{ivy.pk}/icons"
    image = SimpleUploadedFile("winter.png", _png(), content_type="image/png")
    response = alice.post(path, {"keywords": "winter coat", "image": image})
    assert response.status_code == 201, response.content
    icon = response.json()
    assert icon["keywords"] == "winter coat" and icon["image_url"].startswith("http")
    assert [i["id"] for i in alice.get(path).json()["items"]] == [icon["id"]]
    assert ivy.icons.count() == 1

    not_an_image = SimpleUploadedFile("x.png", b"GIF89a nonsense", content_type="image/png")
    body = _error(alice.post(path, {"keywords": "broken", "image": not_an_image}), 400)
    assert body["fields"], body
    assert ivy.icons.count() == 1

    assert alice.delete(f"{path}/{icon['id']}").status_code == 204
    assert ivy.icons.count() == 0


def test_another_writers_muse_icons_are_404(writer_a, writer_b, ivy):
    from django.core.files.uploadedfile import SimpleUploadedFile

    bram = _client(writer_b)
    path = f"/api/v1/muses/{ivy.pk}/icons"
    _error(bram.get(path), 404, "not_found")
    image = SimpleUploadedFile("w.png", _png(), content_type="image/png")
    _error(bram.post(path, {"keywords": "mine now", "image": image}), 404, "not_found")
    assert ivy.icons.count() == 0
    image = SimpleUploadedFile("w.png", _png(), content_type="image/png")
    _error(_client(writer_a, "read").post(path, {"keywords": "k", "image": image}), 403)


# ------------------------------------------------------------------ threads


def test_threads_lists_the_writers_own_with_filters_and_pages(
    coffee_cart, lighthouse, make_thread, make_writer, make_muse, writer_a, writer_b, ivy
):
    carol = make_writer("carol")
    make_thread(carol, make_muse(carol, "Cass"), title="Not hers", visibility="public")
    paused = make_thread(writer_a, ivy, title="Paused")
    Thread.objects.filter(pk=paused.pk).update(status="paused")
    alice = _client(writer_a, "read")
    everything = alice.get("/api/v1/threads").json()
    assert [t["title"] for t in everything["items"]] == ["Paused", "The lighthouse", "Coffee cart"]
    assert everything["next_cursor"] is None
    first = alice.get("/api/v1/threads", {"limit": 2}).json()
    assert [t["title"] for t in first["items"]] == ["Paused", "The lighthouse"]
    rest = alice.get("/api/v1/threads", {"limit": 2, "cursor": first["next_cursor"]}).json()
    assert [t["title"] for t in rest["items"]] == ["Coffee cart"] and rest["next_cursor"] is None
    public = alice.get("/api/v1/threads", {"visibility": "public"}).json()["items"]
    assert [t["title"] for t in public] == ["The lighthouse"]
    assert public[0]["post_count"] == 1 and public[0]["turn_mode"] == "free"
    assert [
        t["title"] for t in alice.get("/api/v1/threads", {"status": "paused"}).json()["items"]
    ] == ["Paused"]
    # Bram's list has the two he writes in, not Alice's own paused one.
    bram = _client(writer_b, "read").get("/api/v1/threads").json()["items"]
    assert {t["title"] for t in bram} == {"The lighthouse", "Coffee cart"}
    for bad in ({"limit": 0}, {"limit": 101}, {"status": "asleep"}, {"cursor": "x"}, {"cursor": 0}):
        _error(alice.get("/api/v1/threads", bad), 400, "invalid")


def test_a_thread_is_started_as_the_new_thread_page_does(writer_a, ivy, hale):
    alice = _client(writer_a)
    response = alice.post(
        "/api/v1/threads",
        {
            "title": "Salt roads",
            "muse": ivy.pk,
            "visibility": "unlisted",
            "turn_mode": "free",
            "rating": "teen",
            "warnings": ["none_apply"],
            "fandoms": ["Lanterns"],
            "tags": ["slow burn", "Slow  Burn", "angst"],
        },
        content_type=JSON,
    )
    assert response.status_code == 201, response.content
    body = response.json()
    thread = Thread.objects.get(public_id=body["id"])
    assert (thread.title, thread.visibility, thread.turn_mode, thread.owner) == (
        "Salt roads",
        "unlisted",
        "free",
        writer_a,
    )
    assert sorted(thread.tags.values_list("name", flat=True)) == ["Lanterns", "angst", "slow burn"]
    assert [p["name"] for p in body["participants"]] == ["Ivy"]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"muse": 0}, "title"),
        ({"title": "   "}, "title"),
        ({"title": "A\x00B"}, "title"),
        ({"title": "T", "visibility": "secret"}, "visibility"),
        ({"title": "T", "warnings": ["gore"]}, "warnings"),
        ({"title": "T", "tags": ["a\x00b"]}, "tags"),
        ({"title": "T", "tags": [f"t{i}" for i in range(80)]}, "tags"),
    ],
)
def test_a_bad_thread_is_a_400_naming_the_field(writer_a, ivy, payload, field):
    payload = {"muse": ivy.pk, **payload}
    response = _client(writer_a).post("/api/v1/threads", payload, content_type=JSON)
    body = _error(response, 400, "invalid")
    assert any(field in name for name in body["fields"]), body
    assert not Thread.objects.exists()


def test_a_thread_is_started_only_with_ones_own_muse_and_a_write_token(writer_a, hale, ivy):
    body = _error(
        _client(writer_a).post(
            "/api/v1/threads", {"title": "T", "muse": hale.pk}, content_type=JSON
        ),
        400,
        "invalid",
    )
    assert "muse" in body["fields"]
    _error(
        _client(writer_a, "read").post(
            "/api/v1/threads", {"title": "T", "muse": ivy.pk}, content_type=JSON
        ),
        403,
        "read_only",
    )
    assert not Thread.objects.exists()


def test_participants_in_posting_order_and_private_threads_are_404_to_strangers(
    coffee_cart, make_writer, writer_a
):
    path = f"/api/v1/threads/{coffee_cart.public_id}/participants"
    items = _client(writer_a, "read").get(path).json()["items"]
    assert [(p["muse"]["name"], p["awaited"]) for p in items] == [("Ivy", True), ("Hale", False)]
    stranger = _client(make_writer("carol"), "read")
    _error(stranger.get(path), 404, "not_found")
    _error(stranger.get("/api/v1/threads/nosuchthread/participants"), 404, "not_found")


def test_the_owner_changes_a_threads_details_field_by_field(coffee_cart, writer_a):
    path = f"/api/v1/threads/{coffee_cart.public_id}"
    response = _client(writer_a).patch(
        path,
        {"title": "Coffee cart, later", "tags": ["slow burn", "Rain"], "status": "paused"},
        content_type=JSON,
    )
    assert response.status_code == 200, response.content
    assert response.json()["title"] == "Coffee cart, later"
    coffee_cart.refresh_from_db()
    assert (coffee_cart.title, coffee_cart.status) == ("Coffee cart, later", "paused")
    # What was not sent stays as it was.
    assert (coffee_cart.visibility, coffee_cart.turn_mode) == ("private", "ordered")
    assert sorted(coffee_cart.tags.values_list("name", flat=True)) == ["Rain", "slow burn"]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"title": "  "}, "title"),
        ({"rating": "gory"}, "rating"),
        ({"status": "gone"}, "status"),
        ({"tags": [f"t{i}" for i in range(80)]}, "tags"),
    ],
)
def test_a_bad_change_is_a_400_naming_the_field_and_changes_nothing(
    coffee_cart, writer_a, payload, field
):
    path = f"/api/v1/threads/{coffee_cart.public_id}"
    body = _error(_client(writer_a).patch(path, payload, content_type=JSON), 400)
    assert field in body["fields"], body
    coffee_cart.refresh_from_db()
    assert (coffee_cart.title, coffee_cart.status) == ("Coffee cart", "active")


def test_only_the_owner_changes_a_thread_and_strangers_get_404(
    coffee_cart, make_writer, writer_a, writer_b
):
    path = f"/api/v1/threads/{coffee_cart.public_id}"
    change = {"title": "Mine now"}
    _error(_client(writer_b).patch(path, change, content_type=JSON), 403, "forbidden")
    _error(_client(make_writer("carol")).patch(path, change, content_type=JSON), 404)
    _error(_client(writer_a, "read").patch(path, change, content_type=JSON), 403, "read_only")
    coffee_cart.refresh_from_db()
    assert coffee_cart.title == "Coffee cart"


# ------------------------------------------------------------------ invitations


def test_the_owner_invites_by_username(coffee_cart, make_writer, writer_a):
    make_writer("carol")
    response = _client(writer_a).post(
        f"/api/v1/threads/{coffee_cart.public_id}/invitations",
        {"username": "@Carol"},
        content_type=JSON,
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["invitee"], body["invited_by"], body["status"]) == ("carol", "alice", "pending")
    assert Invitation.objects.filter(thread=coffee_cart, invitee__username="carol").exists()


def test_invitations_honour_owners_blocks_and_strangers(
    coffee_cart, lighthouse, make_writer, writer_a, writer_b
):
    carol, dora = make_writer("carol"), make_writer("dora")
    block_writer(blocker=carol, blocked=writer_a)
    path = f"/api/v1/threads/{coffee_cart.public_id}/invitations"
    alice = _client(writer_a)
    blocked = _error(alice.post(path, {"username": "carol"}, content_type=JSON), 400, "refused")
    nobody = _error(alice.post(path, {"username": "nobody"}, content_type=JSON), 400, "refused")
    # A block is not announced: the same answer as a name nobody has.
    assert blocked["detail"] == nobody["detail"].replace("nobody", "carol")
    assert "username" in blocked["fields"]
    # A writer in the thread who is not its owner: 403; a stranger to a private thread: 404.
    _error(_client(writer_b).post(path, {"username": "dora"}, content_type=JSON), 403, "forbidden")
    _error(_client(dora).post(path, {"username": "carol"}, content_type=JSON), 404, "not_found")
    public = f"/api/v1/threads/{lighthouse.public_id}/invitations"
    _error(_client(dora).post(public, {"username": "carol"}, content_type=JSON), 403, "forbidden")
    _error(
        _client(writer_a, "read").post(path, {"username": "dora"}, content_type=JSON),
        403,
        "read_only",
    )
    for bad in ({}, {"username": ""}, {"username": "a\x00b"}, {"username": 5}):
        _error(alice.post(path, bad, content_type=JSON), 400, "invalid")
    assert not Invitation.objects.filter(invitee__in=[carol, dora]).exists()


# ------------------------------------------------------------------ posts


def test_editing_a_post_keeps_revisions(coffee_cart, writer_a, ivy):
    post = _post(coffee_cart, writer_a, ivy, "first words")
    alice = _client(writer_a)
    path = f"/api/v1/threads/{coffee_cart.public_id}/posts/{post.number}"
    response = alice.patch(path, {"body": "second words"}, content_type=JSON)
    assert response.status_code == 200, response.content
    assert response.json()["body"] == "second words" and response.json()["edited_at"]
    revisions = alice.get(path + "/revisions").json()["items"]
    assert [(r["number"], r["body"]) for r in revisions] == [
        (2, "second words"),
        (1, "first words"),
    ]
    body = _error(alice.patch(path, {"body": "  \n "}, content_type=JSON), 400)
    assert "body" in body["fields"]
    _error(alice.patch(path, {"body": "a\x00b"}, content_type=JSON), 400, "invalid")
    _error(alice.patch(path, {}, content_type=JSON), 400, "invalid")
    _error(alice.patch(path + "0", {"body": "x"}, content_type=JSON), 404, "not_found")


def test_only_the_author_edits_or_removes_and_strangers_get_404(
    coffee_cart, lighthouse, make_writer, writer_a, writer_b, ivy
):
    post = _post(coffee_cart, writer_a, ivy)
    path = f"/api/v1/threads/{coffee_cart.public_id}/posts/{post.number}"
    bram, carol = _client(writer_b), _client(make_writer("carol"))
    _error(bram.patch(path, {"body": "mine now"}, content_type=JSON), 403, "forbidden")
    _error(bram.delete(path), 403, "forbidden")
    _error(carol.patch(path, {"body": "mine now"}, content_type=JSON), 404, "not_found")
    _error(carol.delete(path), 404, "not_found")
    _error(carol.get(path + "/revisions"), 404, "not_found")
    read_only = _client(writer_a, "read")
    _error(read_only.patch(path, {"body": "x"}, content_type=JSON), 403, "read_only")
    _error(read_only.delete(path), 403, "read_only")
    post.refresh_from_db()
    assert post.body == "the kettle sang." and post.deleted_at is None
    # A public thread: a reader who is not one of its writers sees no revisions.
    public = f"/api/v1/threads/{lighthouse.public_id}/posts/1/revisions"
    _error(carol.get(public), 403, "forbidden")
    assert len(bram.get(public).json()["items"]) == 1


def test_removing_a_post_as_the_page_does(coffee_cart, writer_a, writer_b, ivy):
    post = _post(coffee_cart, writer_a, ivy)
    alice = _client(writer_a)
    path = f"/api/v1/threads/{coffee_cart.public_id}/posts/{post.number}"
    response = alice.delete(path)
    assert response.status_code == 200, response.content
    assert response.json()["removed"] is True and response.json()["body"] == ""
    assert alice.delete(path).status_code == 200  # again: nothing changes
    post.refresh_from_db()
    assert post.deleted_at is not None
    # A removed post is restored on the page before it is edited; its history is its writer's.
    _error(alice.patch(path, {"body": "new"}, content_type=JSON), 400, "refused")
    assert alice.get(path + "/revisions").status_code == 200
    _error(_client(writer_b).get(path + "/revisions"), 403, "forbidden")


def test_a_writer_who_left_can_no_longer_change_their_posts(coffee_cart, writer_b, hale, ivy):
    _post(coffee_cart, coffee_cart.owner, ivy)
    post = _post(coffee_cart, writer_b, hale)
    thread_services.participant_leave(
        participant=coffee_cart.participants.get(writer=writer_b), actor=writer_b
    )
    path = f"/api/v1/threads/{coffee_cart.public_id}/posts/{post.number}"
    bram = _client(writer_b)
    # The thread is private and he is no longer in it: like any stranger, a 404.
    _error(bram.patch(path, {"body": "x"}, content_type=JSON), 404, "not_found")
    _error(bram.delete(path), 404, "not_found")
