"""/api/v1/: tokens, the queue, threads and posts, errors in one shape, on both databases."""

from __future__ import annotations

import json
import re

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from tandem.api import services
from tandem.api.models import AccessToken
from tandem.core import limits
from tandem.threads import services as thread_services

pytestmark = pytest.mark.django_db


def _token(user, scope="read"):
    return services.token_create(user=user, name="script", scope=scope)[1]


def _api(token=None) -> Client:
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    return Client(raise_request_exception=False, **headers)


def _error_shape(response, status, code):
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"detail", "code", "fields"}
    assert body["code"] == code and body["detail"]
    return body


def test_a_token_is_shown_once_and_only_its_digest_is_kept(writer_a):
    token, raw = services.token_create(user=writer_a, name="  my   bot ", scope="write")
    assert raw.startswith("tdm_") and len(raw) > 40
    assert token.name == "my bot" and token.prefix == raw[:12]
    stored = AccessToken.objects.get(pk=token.pk)
    assert raw not in (stored.digest, stored.prefix) and len(stored.digest) == 64
    assert _api(raw).get("/api/v1/me").json() == {
        "username": "alice",
        "display_name": writer_a.display_name,
        "token_scope": "write",
    }


def test_token_names_scopes_and_the_cap_are_checked(writer_a):
    with pytest.raises(ValidationError, match="name"):
        services.token_create(user=writer_a, name="   ")
    with pytest.raises(ValidationError, match="80 characters"):
        services.token_create(user=writer_a, name="x" * 81)
    with pytest.raises(ValidationError, match="read only or read and write"):
        services.token_create(user=writer_a, name="x", scope="admin")
    for number in range(services.MAX_TOKENS):
        services.token_create(user=writer_a, name=f"t{number}")
    with pytest.raises(ValidationError, match="Revoke one"):
        services.token_create(user=writer_a, name="one more")


@pytest.mark.parametrize(
    "header",
    [
        "",
        "Bearer nonsense",
        "Bearer tdm_" + "x" * 43,
        "Basic YWxpY2U6cGFzcw==",
        "Bearer " + "y" * 5000,
    ],
)
def test_no_or_bad_credentials_are_a_json_401(header):
    client = Client(raise_request_exception=False)
    response = client.get("/api/v1/queue", HTTP_AUTHORIZATION=header)
    _error_shape(response, 401, "unauthenticated")


def test_a_revoked_token_or_a_deactivated_writer_stops_working(writer_a):
    token, raw = services.token_create(user=writer_a, name="bot")
    assert _api(raw).get("/api/v1/me").status_code == 200
    services.token_revoke(token=token, user=writer_a)
    _error_shape(_api(raw).get("/api/v1/me"), 401, "unauthenticated")
    raw = _token(writer_a)
    writer_a.is_active = False
    writer_a.save()
    _error_shape(_api(raw).get("/api/v1/me"), 401, "unauthenticated")


def test_last_used_is_noted(writer_a):
    token, raw = services.token_create(user=writer_a, name="bot")
    assert token.last_used_at is None
    _api(raw).get("/api/v1/me")
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_the_queue_says_whose_turn_it_is(coffee_cart, writer_a, writer_b, ivy):
    alice, bram = _api(_token(writer_a)), _api(_token(writer_b))
    queue = alice.get("/api/v1/queue").json()
    assert [e["thread"]["id"] for e in queue["your_turn"]] == [coffee_cart.public_id]
    entry = queue["your_turn"][0]
    assert entry["awaited"][0]["name"] == ivy.name and entry["waiting_seconds"] >= 0
    assert entry["thread"]["url"].endswith(f"/t/{coffee_cart.public_id}/")
    assert [e["thread"]["id"] for e in bram.get("/api/v1/queue").json()["waiting"]] == [
        coffee_cart.public_id
    ]


def test_a_private_thread_is_a_404_to_strangers_as_on_its_page(coffee_cart, make_writer, writer_a):
    stranger = _api(_token(make_writer("carol")))
    for path in (
        f"/api/v1/threads/{coffee_cart.public_id}",
        f"/api/v1/threads/{coffee_cart.public_id}/posts",
    ):
        _error_shape(stranger.get(path), 404, "not_found")
        _error_shape(
            stranger.get(path.replace(coffee_cart.public_id, "nosuchthread")), 404, "not_found"
        )
    thread = _api(_token(writer_a)).get(f"/api/v1/threads/{coffee_cart.public_id}").json()
    assert thread["title"] == "Coffee cart" and len(thread["participants"]) == 2


def test_posting_honours_turns_scopes_and_resubmission(coffee_cart, writer_a, writer_b, ivy, hale):
    path = f"/api/v1/threads/{coffee_cart.public_id}/posts"
    reply = {"muse": ivy.pk, "body": "ivy set the cups down — & waited.", "submission_key": "k1"}
    # A read-only token may not write, whatever it sends.
    _error_shape(
        _api(_token(writer_a)).post(path, reply, content_type="application/json"), 403, "read_only"
    )
    alice = _api(_token(writer_a, "write"))
    first = alice.post(path, reply, content_type="application/json")
    assert first.status_code == 201, first.content
    assert first.json()["number"] == 1 and first.json()["muse"]["name"] == ivy.name
    again = alice.post(path, reply, content_type="application/json")
    assert again.status_code == 201 and again.json()["number"] == 1
    assert coffee_cart.posts.count() == 1
    # Hale's turn now: Ivy is refused with whose turn it is, and nothing is posted.
    out_of_turn = alice.post(
        path, {**reply, "submission_key": "k2"}, content_type="application/json"
    )
    body = _error_shape(out_of_turn, 409, "not_your_turn")
    assert hale.name in body["detail"]
    # Alice cannot post as Bram's muse.
    body = _error_shape(
        alice.post(
            path,
            {**reply, "muse": hale.pk, "submission_key": "k3"},
            content_type="application/json",
        ),
        400,
        "invalid",
    )
    assert "muse" in body["fields"]
    assert coffee_cart.posts.count() == 1


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"muse": 1}, "body"),
        ({"body": "words"}, "muse"),
        ({"muse": "ivy", "body": "words"}, "muse"),
        ({"muse": 1, "body": "x", "submission_key": "k" * 65}, "submission_key"),
    ],
)
def test_bad_reply_input_is_a_400_naming_the_field(coffee_cart, writer_a, payload, field):
    alice = _api(_token(writer_a, "write"))
    response = alice.post(
        f"/api/v1/threads/{coffee_cart.public_id}/posts", payload, content_type="application/json"
    )
    body = _error_shape(response, 400, "invalid")
    assert any(field in name for name in body["fields"]), body


def test_a_body_that_is_not_json_is_a_400(coffee_cart, writer_a):
    alice = _api(_token(writer_a, "write"))
    response = alice.post(
        f"/api/v1/threads/{coffee_cart.public_id}/posts",
        "{not json",
        content_type="application/json",
    )
    _error_shape(response, 400, "invalid")
    assert coffee_cart.posts.count() == 0


def test_posts_page_by_number_and_removed_posts_carry_no_text(
    coffee_cart, writer_a, writer_b, ivy, hale
):
    for number in range(5):
        writer, muse = (writer_a, ivy) if number % 2 == 0 else (writer_b, hale)
        post = thread_services.post_create(
            thread=coffee_cart, writer=writer, muse=muse, body=f"post {number + 1} ❛ hush ❜"
        )
    thread_services.post_delete(post=post, writer=writer_a)
    alice = _api(_token(writer_a))
    path = f"/api/v1/threads/{coffee_cart.public_id}/posts"
    first = alice.get(path, {"limit": 2}).json()
    assert [p["number"] for p in first["items"]] == [1, 2] and first["next_after"] == 2
    rest = alice.get(path, {"after": 2, "limit": 10}).json()
    assert [p["number"] for p in rest["items"]] == [3, 4, 5] and rest["next_after"] is None
    removed = rest["items"][-1]
    assert removed["removed"] is True and removed["body"] == "" and removed["body_html"] == ""
    assert rest["items"][0]["body"] == "post 3 ❛ hush ❜"
    for bad in ({"limit": 0}, {"limit": 101}, {"after": -1}, {"after": "x"}):
        _error_shape(alice.get(path, bad), 400, "invalid")


def test_the_session_works_for_the_sites_own_scripts_with_csrf(coffee_cart, writer_a, ivy):
    client = Client(enforce_csrf_checks=True, raise_request_exception=False)
    client.force_login(writer_a)
    assert client.get("/api/v1/queue").status_code == 200
    path = f"/api/v1/threads/{coffee_cart.public_id}/posts"
    refused = client.post(path, {"muse": ivy.pk, "body": "hello"}, content_type="application/json")
    _error_shape(refused, 403, "forbidden")
    assert coffee_cart.posts.count() == 0


def test_the_api_is_rate_limited_per_token_with_retry_after(writer_a, monkeypatch):
    monkeypatch.setitem(limits.LIMITS, "api", ("3/m", limits.LIMITS["api"][1]))
    alice = _api(_token(writer_a))
    assert [alice.get("/api/v1/me").status_code for _ in range(3)] == [200, 200, 200]
    response = alice.get("/api/v1/me")
    _error_shape(response, 429, "rate_limited")
    assert int(response["Retry-After"]) >= 1


def test_the_schema_and_docs_are_served_without_a_cdn(client):
    schema = client.get("/api/v1/openapi.json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert {"/api/v1/queue", "/api/v1/threads/{thread_id}/posts"} <= set(paths)
    docs = client.get("/api/v1/docs")
    assert docs.status_code == 200
    html = docs.content.decode()
    assert not re.search(r"""(src|href)=["']https?://""", html), "no CDN assets"


def test_the_tokens_page_makes_shows_once_and_revokes(as_alice, writer_a, make_writer):
    page = as_alice.post("/accounts/tokens/", {"name": "phone shortcut", "scope": "read"})
    assert page.status_code == 200 and "no-store" in page["Cache-Control"]
    raw = re.search(r'value="(tdm_[^"]+)"', page.content.decode()).group(1)
    assert _api(raw).get("/api/v1/me").status_code == 200
    listing = as_alice.get("/accounts/tokens/").content.decode()
    assert "phone shortcut" in listing and raw not in listing and raw[:12] in listing
    token = AccessToken.objects.get(user=writer_a)
    others = services.token_create(user=make_writer("dora"), name="hers")[0]
    assert as_alice.post(f"/accounts/tokens/{others.pk}/revoke/").status_code == 404
    as_alice.post(f"/accounts/tokens/{token.pk}/revoke/")
    assert _api(raw).get("/api/v1/me").status_code == 401
    empty = as_alice.post("/accounts/tokens/", {"name": "", "scope": "read"}).content.decode()
    assert "Give the token a name" in empty


def test_the_tokens_page_is_for_signed_in_writers(client):
    response = client.get("/accounts/tokens/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_openapi_document_is_valid_json_with_the_error_shape(client):
    schema = json.loads(client.get("/api/v1/openapi.json").content)
    error = schema["components"]["schemas"]["Error"]
    assert set(error["properties"]) == {"detail", "code", "fields"}


def test_a_form_encoded_post_is_a_400_asking_for_json(coffee_cart, writer_a, ivy):
    alice = _api(_token(writer_a, "write"))
    path = f"/api/v1/threads/{coffee_cart.public_id}/posts"
    for response in (
        alice.post(path, {"muse": ivy.pk, "body": "as a form"}),  # multipart
        alice.post(path, "muse=1&body=x", content_type="application/x-www-form-urlencoded"),
    ):
        _error_shape(response, 400, "invalid")
    assert coffee_cart.posts.count() == 0


def test_who_may_post_through_the_api_follows_the_page(
    coffee_cart, make_writer, make_muse, make_thread, writer_a
):
    carol = make_writer("carol")
    stranger = _api(_token(carol, "write"))
    reply = {"muse": make_muse(carol, "Cass").pk, "body": "hello"}
    path = f"/api/v1/threads/{coffee_cart.public_id}/posts"
    _error_shape(stranger.post(path, reply, content_type="application/json"), 404, "not_found")
    public = make_thread(writer_a, coffee_cart.participants.first().muse, visibility="public")
    path = f"/api/v1/threads/{public.public_id}/posts"
    body = _error_shape(
        stranger.post(path, reply, content_type="application/json"), 403, "forbidden"
    )
    assert "Only writers in this thread" in body["detail"]
    assert public.posts.count() == 0


def test_the_cli_prints_a_working_token_once(transactional_db, capsys, writer_a):
    from tandem.cli import main

    assert main(["token", "create", "alice", "--name", "terminal", "--scope", "write"]) == 0
    out, err = capsys.readouterr()
    raw = out.strip()
    assert raw.startswith("tdm_") and "Read and write token “terminal” for alice" in err
    assert _api(raw).get("/api/v1/me").json()["token_scope"] == "write"
    assert main(["token", "create", "nobody"]) == 1
    assert "no writer called 'nobody'" in capsys.readouterr().err
    assert main(["token", "create", "alice", "--name", " "]) == 1
    assert "Give the token a name" in capsys.readouterr().err


def test_muses_lists_the_token_owners_own_muses(writer_a, writer_b, ivy, hale, make_muse):
    from tandem.muses.services import muse_archive

    old = muse_archive(muse=make_muse(writer_a, "Old Ivy", fandom="Lanterns"), writer=writer_a)
    response = _api(_token(writer_a)).get("/api/v1/muses")
    assert response.status_code == 200
    items = response.json()["items"]
    assert [(m["id"], m["name"], m["archived"]) for m in items] == [
        (ivy.pk, "Ivy", False),
        (old.pk, "Old Ivy", True),
    ]
    assert items[0]["pronouns"] == "she/her" and items[0]["url"].endswith(f"/muses/{ivy.pk}/")
    assert hale.name not in response.content.decode()
    _error_shape(_api().get("/api/v1/muses"), 401, "unauthenticated")


def test_errors_django_answers_under_the_api_are_json_too(coffee_cart, writer_a):
    """A method an address does not take, an unknown address, a multipart body Django cannot
    parse: the same JSON shape as the operations' own errors, not an HTML page."""
    alice = _api(_token(writer_a, "write"))
    response = alice.put("/api/v1/queue")
    _error_shape(response, 405, "method_not_allowed")
    assert response["Allow"] == "GET" and "GET" in response.json()["detail"]
    _error_shape(alice.get("/api/v1/no-such-operation"), 404, "not_found")
    path = f"/api/v1/threads/{coffee_cart.public_id}/posts"
    _error_shape(alice.post(path, b"--x\r\n", content_type="multipart/form-data"), 400, "invalid")
    assert coffee_cart.posts.count() == 0


def test_a_nul_in_an_address_is_a_404_on_both_databases(writer_a, as_alice):
    """PostgreSQL refuses NUL in text it compares: the lookup was a 500 there, a 404 on
    SQLite. Now a 404 before any view, pages and API alike."""
    alice = _api(_token(writer_a))
    for path in ("/api/v1/threads/a%00b", "/api/v1/threads/a%00b/posts"):
        _error_shape(alice.get(path), 404, "not_found")
    assert as_alice.get("/t/a%00b/").status_code == 404
    assert as_alice.get("/writers/a%00b/").status_code == 404


def test_a_reply_the_service_refuses_names_the_field(coffee_cart, writer_a, ivy):
    alice = _api(_token(writer_a, "write"))
    response = alice.post(
        f"/api/v1/threads/{coffee_cart.public_id}/posts",
        {"muse": ivy.pk, "body": "   \n  "},
        content_type="application/json",
    )
    body = _error_shape(response, 400, "refused")
    assert body["fields"] == {"body": ["A post needs some words."]}


@pytest.mark.parametrize("body", ['"AAA"', "[]", "5", "null"])
def test_a_body_that_is_json_but_not_an_object_is_a_400(coffee_cart, writer_a, body):
    """ninja's schemas read attributes of what they are given: a string body would fill a
    field called ``title`` with the string's ``.title()`` (schemathesis found it)."""
    alice = _api(_token(writer_a, "write"))
    for path in (f"/api/v1/threads/{coffee_cart.public_id}/posts", "/api/v1/tracked"):
        response = alice.post(path, body, content_type="application/json")
        assert "JSON object" in _error_shape(response, 400, "invalid")["detail"]
    assert coffee_cart.posts.count() == 0
