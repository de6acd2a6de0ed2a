"""Search in the authorization matrix: every marker searched for as every role, on every
visibility, in every kind of result and from the thread's own "search in this thread".

No answer may hold a marker that ``matrix.may_see`` keeps from the role in a listing (or,
searching in one thread by its id, on the thread's page). The
query is sent in lower case and the markers are looked for as written, so the page echoing
the query is not counted; the highlight marks are taken out first, since an engine may mark
a hyphenated marker word by word.
"""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from tests.security import matrix
from tests.security.world import MARKER_KINDS, ROLES, VISIBILITIES, build_world

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("visibility", VISIBILITIES)
def test_search_never_answers_with_a_marker_the_role_may_not_see(visibility):
    world = build_world(visibility)
    failures: list[str] = []
    for role in ROLES:
        client = Client(raise_request_exception=False)
        if world.users[role] is not None:
            client.force_login(world.users[role])
        for kind in MARKER_KINDS:
            query = world.marker(kind).lower()
            for params in (
                {"q": query, "kind": "posts"},
                {"q": query, "kind": "threads"},
                {"q": query, "kind": "posts", "sort": "date"},
                {"q": query, "thread": world.thread.public_id},
                {"q": f'"{query}" or lamps', "kind": "posts"},
            ):
                cache.clear()
                response = client.get(reverse("search"), params)
                if response.status_code != 200:
                    failures.append(f"{role} {params}: status {response.status_code}")
                    continue
                body = response.content.decode().replace("<mark>", "").replace("</mark>", "")
                # "Search in this thread" names the thread by its id, as its link does: the
                # answer may hold what the thread's page holds, no more.
                content = "page" if "thread" in params else "listing"
                leaked = [
                    world.marker(other)
                    for other in MARKER_KINDS
                    if world.marker(other) in body
                    and not matrix.may_see(other, role, visibility, content)
                ]
                if leaked:
                    failures.append(f"{role} {params}: LEAKS {leaked}")
    assert not failures, "\n".join(failures)
