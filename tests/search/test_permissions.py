"""Search × the permission matrix: every role on a private, an unlisted and a public thread.

The world (tests/security/world.py) writes a marker ``MK-<KIND>-<visibility>`` into the
thread's title and summary, each post, a removed post, OOC talk and a draft. Searching for
each marker as each role must find exactly what the role may find (docs/security.md): the
searched text is asked for in lower case, so the page echoing the query is not a find.
Runs on whichever database the suite runs on (SQLite FTS5 or PostgreSQL).
"""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from tandem.search import selectors
from tandem.search.query import parse
from tests.security.world import MARKER_KINDS, ROLES, World, build_world, marker

pytestmark = pytest.mark.django_db

WRITERS = {"owner", "participant"}
POST_KINDS = {"P1", "P2", "FORMER", "AFTER"}  # posts as they read now, not removed
NEVER = {"REMOVED", "OOC", "DRAFT", "P2OLD"}


def _client(world: World, role: str) -> Client:
    client = Client()
    if world.users[role] is not None:
        client.force_login(world.users[role])
    return client


def _results(response) -> str:
    """The results list only (counts and the echoed query left out)."""
    match = re.search(r'<ol class="search-results".*?</ol>', response.content.decode(), re.S)
    # Engines mark a phrase as one run (FTS5) or word by word (PostgreSQL).
    found = match.group(0) if match else ""
    return found.replace("<mark>", "").replace("</mark>", "")


def _findable(role: str, visibility: str) -> set[str]:
    if role == "blocked":
        return set()  # the owner blocked them: nothing of the owner's thread is listed
    if visibility == "public" or role in WRITERS:
        return POST_KINDS | {"TITLE"}
    return set()


@pytest.mark.parametrize("visibility", ["private", "unlisted", "public"])
def test_each_role_finds_exactly_what_it_may_read(visibility):
    world = build_world(visibility)
    failures = []
    for role in ROLES:
        client = _client(world, role)
        expected = (
            _findable(role, visibility) if role != "staff" else _findable("stranger", visibility)
        )
        for kind in MARKER_KINDS:
            text = marker(kind, visibility)
            for results_kind in ("posts", "threads"):
                response = client.get(reverse("search"), {"q": text.lower(), "kind": results_kind})
                assert response.status_code == 200, (role, kind, response.status_code)
                found = text in _results(response)
                should = kind in expected and ((results_kind == "threads") == (kind == "TITLE"))
                if found != should:
                    failures.append(f"{role} {kind} in {results_kind}: found={found}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("visibility", ["private", "unlisted", "public"])
def test_counts_say_nothing_about_what_a_role_may_not_read(visibility):
    world = build_world(visibility)
    for role in ("anonymous", "stranger", "invited", "former", "staff"):
        user = world.users[role] or _anonymous()
        results = selectors.search(
            user=user, query=parse(marker("AFTER", visibility).lower()), filters=selectors.Filters()
        )
        expected = 1 if visibility == "public" else 0
        assert results.counts["posts"] == expected, role
        titles = selectors.search(
            user=user,
            query=parse(marker("TITLE", visibility).lower()),
            filters=selectors.Filters(),
            kind="threads",
        )
        assert titles.counts["threads"] == expected, role


@pytest.mark.parametrize("visibility", ["private", "unlisted", "public"])
def test_search_in_this_thread_follows_who_may_read_the_thread(visibility):
    """From the thread page: an unlisted thread's readers (anyone with its link) search it;
    a private one only its writers; a former participant no more; removed posts never."""
    world = build_world(visibility)
    for role in ROLES:
        client = _client(world, role)
        readable = visibility != "private" or role in WRITERS
        for kind in MARKER_KINDS:
            text = marker(kind, visibility)
            response = client.get(
                reverse("search"), {"q": text.lower(), "thread": world.thread.public_id}
            )
            assert response.status_code == 200
            found = text in _results(response)
            assert found == (readable and kind in POST_KINDS), (role, kind)
        page = client.get(reverse("search"), {"q": "lamps", "thread": world.thread.public_id})
        # A thread the reader may not read is not even named.
        assert (world.thread.title in page.content.decode()) == readable, role


def test_a_removed_post_is_never_found_even_by_its_writer():
    world = build_world("public")
    client = _client(world, "participant")
    response = client.get(reverse("search"), {"q": "wished never written"})
    assert response.status_code == 200
    assert "wished" not in _results(response)
    assert "No posts match" in response.content.decode()


def test_a_former_participant_stops_finding_a_private_thread_they_wrote_in():
    world = build_world("private")
    client = _client(world, "former")
    for text in ("owe me a light", marker("FORMER", "private").lower()):
        response = client.get(reverse("search"), {"q": text})
        assert "owe me a light" not in _results(response)
    still_in = _client(world, "participant").get(reverse("search"), {"q": "owe me a light"})
    assert "owe me a light" in _results(still_in)


def _anonymous():
    from django.contrib.auth.models import AnonymousUser

    return AnonymousUser()
