"""/api/v1/ notifications, search and exports: the pages' rules, a writer's own things only,
errors in the one shape, and rate limits counted per token."""

from __future__ import annotations

import pytest

from tandem.core import limits
from tandem.exports import services as export_services
from tandem.exports.models import ExportJob
from tandem.notifications.models import Kind, Notification
from tandem.threads import services as thread_services
from tests.api.test_api import _api, _error_shape, _token

pytestmark = pytest.mark.django_db


def _notify(writer, text, thread=None) -> Notification:
    return Notification.objects.create(
        recipient=writer, kind=Kind.YOUR_TURN, text=text, url="/queue/", thread=thread
    )


# ------------------------------------------------------------------ notifications


def test_notifications_are_the_writers_own_newest_first_a_page_at_a_time(
    writer_a, writer_b, coffee_cart
):
    mine = [_notify(writer_a, f"note {n}", thread=coffee_cart) for n in range(5)]
    _notify(writer_b, "bram's own")
    alice = _api(_token(writer_a))
    first = alice.get("/api/v1/notifications", {"limit": 2}).json()
    assert [n["text"] for n in first["items"]] == ["note 4", "note 3"]
    assert first["unread"] == 5 and first["next_before"] == mine[3].pk
    item = first["items"][0]
    assert item["thread"]["id"] == coffee_cart.public_id and item["read"] is False
    assert item["kind"] == "your_turn" and item["url"].endswith("/queue/")
    rest = alice.get("/api/v1/notifications", {"before": first["next_before"]}).json()
    assert [n["text"] for n in rest["items"]] == ["note 2", "note 1", "note 0"]
    assert rest["next_before"] is None
    assert "bram's own" not in str(first) + str(rest)


def test_notifications_filter_unread_and_refuse_bad_paging(writer_a, writer_b):
    read, unread = _notify(writer_a, "seen"), _notify(writer_a, "new")
    theirs = _notify(writer_b, "bram's")
    Notification.objects.filter(pk=read.pk).update(read_at=read.created_at)
    alice = _api(_token(writer_a))
    only = alice.get("/api/v1/notifications", {"unread": "true"}).json()
    assert [n["id"] for n in only["items"]] == [unread.pk] and only["unread"] == 1
    for bad in ({"limit": 0}, {"limit": 101}, {"before": 0}, {"unread": "maybe"}):
        _error_shape(alice.get("/api/v1/notifications", bad), 400, "invalid")
    # Another writer's notification is no cursor: it says nothing of theirs.
    _error_shape(alice.get("/api/v1/notifications", {"before": theirs.pk}), 404, "not_found")
    _error_shape(_api().get("/api/v1/notifications"), 401, "unauthenticated")


def test_marking_read_touches_only_the_writers_own(writer_a, writer_b):
    one = _notify(writer_a, "n0")
    _notify(writer_a, "n1"), _notify(writer_a, "n2")
    theirs = _notify(writer_b, "bram's")
    alice = _api(_token(writer_a, "write"))
    path = "/api/v1/notifications/read"
    some = alice.post(path, {"ids": [one.pk, theirs.pk]}, content_type="application/json")
    assert some.status_code == 200 and some.json() == {"marked": 1, "unread": 2}
    theirs.refresh_from_db()
    assert theirs.read_at is None
    everything = alice.post(path, {}, content_type="application/json")
    assert everything.json() == {"marked": 2, "unread": 0}
    assert alice.generic("POST", path).json() == {"marked": 0, "unread": 0}  # no body: all
    assert not Notification.objects.filter(recipient=writer_a, read_at__isnull=True).exists()
    for bad in ({"ids": ["x"]}, {"ids": [0]}, {"ids": "all"}):
        _error_shape(alice.post(path, bad, content_type="application/json"), 400, "invalid")


def test_a_read_only_token_cannot_post(writer_a, coffee_cart):
    note = _notify(writer_a, "keep me unread")
    reader = _api(_token(writer_a, "read"))
    for path, payload in (
        ("/api/v1/notifications/read", {}),
        ("/api/v1/exports", {"thread": coffee_cart.public_id, "format": "md"}),
    ):
        _error_shape(reader.post(path, payload, content_type="application/json"), 403, "read_only")
    note.refresh_from_db()
    assert note.read_at is None


# ------------------------------------------------------------------ search


@pytest.fixture
def posts(coffee_cart, lighthouse, writer_a, writer_b, ivy, hale):
    """A private post in the coffee cart and a public one in the lighthouse, both with
    'lantern' in them."""
    thread_services.post_create(
        thread=coffee_cart, writer=writer_a, muse=ivy, body="The secret lantern under the cart."
    )
    thread_services.post_create(
        thread=lighthouse, writer=writer_b, muse=hale, body="A lantern swung on the stairs."
    )


def test_search_finds_what_the_token_may_read_and_nothing_private(
    posts, coffee_cart, writer_a, make_writer
):
    alice = _api(_token(writer_a))
    found = alice.get("/api/v1/search", {"q": "lantern", "sort": "date"}).json()
    assert found["kind"] == "posts" and found["count"] == 2 and found["page"] == 1
    assert {hit["title"] for hit in found["items"]} == {"Coffee cart", "The lighthouse"}
    assert any("<mark>" in hit["snippet_html"] for hit in found["items"])
    stranger = _api(_token(make_writer("carol")))
    theirs = stranger.get("/api/v1/search", {"q": "lantern"})
    assert theirs.status_code == 200
    assert [hit["title"] for hit in theirs.json()["items"]] == ["The lighthouse"]
    assert "secret" not in theirs.content.decode() and "Coffee cart" not in theirs.content.decode()
    threads = stranger.get("/api/v1/search", {"q": "coffee", "kind": "threads"}).json()
    assert threads["items"] == [] and threads["counts"]["threads"] == 0
    # "In this thread", for a thread the stranger may not read: the same empty answer.
    scoped = stranger.get("/api/v1/search", {"q": "lantern", "thread": coffee_cart.public_id})
    assert scoped.json()["items"] == [] and scoped.json()["counts"]["posts"] == 0


def test_search_kinds_other_than_posts(posts, writer_a):
    alice = _api(_token(writer_a))
    muses = alice.get("/api/v1/search", {"q": "hale", "kind": "muses"}).json()
    assert [(h["title"], h["writer"]) for h in muses["items"]] == [("Hale", "bram")]
    writers = alice.get("/api/v1/search", {"q": "bram", "kind": "writers"}).json()
    assert [h["writer"] for h in writers["items"]] == ["bram"]
    threads = alice.get("/api/v1/search", {"q": "lighthouse", "kind": "threads"}).json()
    assert [h["thread"]["title"] for h in threads["items"]] == ["The lighthouse"]


@pytest.mark.parametrize(
    ("params", "field", "sentence"),
    [
        ({}, "q", "Type a word or two to search for."),
        ({"q": "lantern", "page": "x"}, "page", "That page number is not a number."),
        ({"q": "lantern", "page": "51"}, "page", "Results stop at page 50."),
        ({"q": "lantern", "after": "soon"}, "after", "Enter the date as YYYY-MM-DD."),
        ({"q": "lantern", "kind": "spells"}, "kind", "Select a valid choice."),
        ({"q": "a\x00b"}, "q", "Null characters are not allowed."),
    ],
)
def test_bad_search_input_is_a_400_with_the_pages_sentences(writer_a, params, field, sentence):
    body = _error_shape(_api(_token(writer_a)).get("/api/v1/search", params), 400, "invalid")
    assert sentence in " ".join(body["fields"][field])


def test_search_counts_against_the_search_limit_too(writer_a, monkeypatch):
    monkeypatch.setitem(limits.LIMITS, "search", ("1/m", "user_or_ip"))
    alice = _api(_token(writer_a))
    assert alice.get("/api/v1/search", {"q": "lantern"}).status_code == 200
    response = _api(_token(writer_a)).get("/api/v1/search", {"q": "lantern"})  # the same writer
    _error_shape(response, 429, "rate_limited")
    assert int(response["Retry-After"]) >= 1


# ------------------------------------------------------------------ exports


def test_a_short_threads_export_comes_back_at_once(lighthouse, writer_a, make_writer):
    alice = _api(_token(writer_a, "write"))
    response = alice.post(
        "/api/v1/exports",
        {"thread": lighthouse.public_id, "format": "md"},
        content_type="application/json",
    )
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    assert b"The lamp was lit." in response.content
    assert not ExportJob.objects.exists()


def test_a_long_export_is_a_job_to_poll_and_fetch_by_its_owner_only(
    lighthouse, writer_a, writer_b, settings
):
    settings.TANDEM_EXPORT_BACKGROUND_POSTS = 0
    alice = _api(_token(writer_a, "write"))
    started = alice.post(
        "/api/v1/exports",
        {"thread": lighthouse.public_id, "format": "txt"},
        content_type="application/json",
    )
    assert started.status_code == 202, started.content
    job = started.json()
    assert job["status"] == "queued" and job["download_url"] is None
    path = f"/api/v1/exports/{job['id']}"
    _error_shape(alice.get(f"{path}/download"), 409, "not_ready")
    export_services.export_run(export_services.export_claim(job["id"]))
    done = alice.get(path).json()
    assert done["status"] == "done" and done["download_url"].endswith(f"{path}/download")
    download = alice.get(f"{path}/download")
    assert download.status_code == 200 and download["Content-Type"].startswith("text/plain")
    assert b"The lamp was lit." in b"".join(download.streaming_content)
    # Bram writes in the thread, but the job is Alice's: a 404, as for one that is not there.
    bram = _api(_token(writer_b, "write"))
    for address in (path, f"{path}/download", "/api/v1/exports/999999"):
        _error_shape(bram.get(address), 404, "not_found")


def test_exports_follow_the_pages_rules(coffee_cart, writer_a, make_writer):
    stranger = _api(_token(make_writer("carol"), "write"))
    private = {"thread": coffee_cart.public_id, "format": "md"}
    _error_shape(
        stranger.post("/api/v1/exports", private, content_type="application/json"), 404, "not_found"
    )
    alice = _api(_token(writer_a, "write"))
    for payload, field in (
        ({**private, "format": "doc"}, "format"),
        ({"format": "md"}, "thread"),
        ({**private, "thread": "a\x00b"}, "thread"),
    ):
        body = _error_shape(
            alice.post("/api/v1/exports", payload, content_type="application/json"), 400, "invalid"
        )
        assert field in body["fields"], body


# ------------------------------------------------------------------ limits per token


def test_each_token_has_its_own_budget_whatever_the_address(writer_a, monkeypatch):
    monkeypatch.setitem(limits.LIMITS, "api", ("2/m", limits.LIMITS["api"][1]))
    first, second = _token(writer_a), _token(writer_a)
    for address in ("10.0.0.1", "10.0.0.2"):  # one token, two addresses: one budget
        response = _api(first).get("/api/v1/notifications", REMOTE_ADDR=address)
        assert response.status_code == 200
    limited = _api(first).get("/api/v1/notifications", REMOTE_ADDR="10.0.0.3")
    _error_shape(limited, 429, "rate_limited")
    assert int(limited["Retry-After"]) >= 1
    # The same writer's other token is counted apart.
    assert _api(second).get("/api/v1/notifications").status_code == 200


def test_a_signed_in_session_counts_against_its_writer(client, writer_a, monkeypatch):
    monkeypatch.setitem(limits.LIMITS, "api", ("1/m", limits.LIMITS["api"][1]))
    client.force_login(writer_a)
    assert client.get("/api/v1/me").status_code == 200
    _error_shape(client.get("/api/v1/me", REMOTE_ADDR="10.0.0.9"), 429, "rate_limited")
    assert _api(_token(writer_a)).get("/api/v1/me").status_code == 200
