"""schemathesis against the live OpenAPI document: every answer is one the schema declares.

The schema is read from ``/api/v1/openapi.json`` as served, and each operation is called
in-process through Django's WSGI application: no server to start, and every call runs in
the test's own transaction, so the suite's SQLite and PostgreSQL runs both cover it.

The caller is a writer with a read-and-write token, muses and threads: one where it is their
turn, a free-for-all one, a public one of someone else's they may only read, and a private
one of someone else's. Valid generated thread and muse ids are swapped for those real ones
(most of the time, chosen by a hash of the case so a run is the same every time), so the
checks reach posting, turns and permissions rather than stopping at 404s.

Checked: no 5xx; every status code, content type, header and body declared (errors as
``schemas.Error``); every error, declared or not, in that one JSON shape; invalid input
refused with a 4xx; valid input accepted. Generation is derandomized with a fixed seed and
bounded, so CI sees the same cases every run, in seconds per database.
"""

from __future__ import annotations

import os
import zlib

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from schemathesis.config import SchemathesisConfig

from tandem.api import services
from tests.fast_hashing import FAST_HASHERS

pytestmark = pytest.mark.django_db

#: Per operation, for the fuzzing phase (the examples and coverage phases add their own):
#: CI's budget. TANDEM_SCHEMATHESIS_EXAMPLES=500 digs deeper on a developer's machine.
MAX_EXAMPLES = int(os.environ.get("TANDEM_SCHEMATHESIS_EXAMPLES", "40"))

CONFIG = SchemathesisConfig.from_dict(
    {
        "seed": 20251111,
        "operations": [
            {
                # A reply the schema allows can still be refused with a 400 naming the field:
                # a muse that is not the writer's in this thread, a body of NUL characters.
                "include-method": "POST",
                "include-path": "/api/v1/threads/{thread_id}/posts",
                "checks": {
                    "positive_data_acceptance": {
                        "expected-statuses": ["2xx", "400", "401", "403", "404", "409", "429"]
                    }
                },
            },
            # Writing (tandem.api.writing): input the schema allows goes on to the page's form
            # and service, which refuse some of it with a 400 naming the field (a blank or
            # NUL-bearing name, a colour that is not #rrggbb, a writer nobody is called).
            *(
                {
                    "include-method": method,
                    "include-path": path,
                    "checks": {
                        "positive_data_acceptance": {
                            "expected-statuses": ["2xx", "400", "401", "403", "404", "429"]
                        }
                    },
                }
                for method, path in (
                    ("POST", "/api/v1/muses"),
                    ("PATCH", "/api/v1/muses/{muse_id}"),
                    ("POST", "/api/v1/muses/{muse_id}/icons"),
                    ("POST", "/api/v1/threads"),
                    ("PATCH", "/api/v1/threads/{thread_id}"),
                    ("POST", "/api/v1/threads/{thread_id}/invitations"),
                    ("PATCH", "/api/v1/threads/{thread_id}/posts/{number}"),
                )
            ),
            # Reading (tandem.api.reading): the search page's form refuses what no schema can
            # say (an empty query, excluded words only, a page past the last) with a 400
            # naming the field; the export form, a format it does not make.
            *(
                {
                    "include-method": method,
                    "include-path": path,
                    "checks": {
                        "positive_data_acceptance": {
                            "expected-statuses": ["2xx", "400", "401", "403", "404", "429"]
                        }
                    },
                }
                for method, path in (("GET", "/api/v1/search"), ("POST", "/api/v1/exports"))
            ),
        ],
    }
)

# Loaded when the module is imported, before any test database exists: the schema view
# reads nothing from the database (pytest-django would refuse it if it did). Loading it in a
# fixture instead (schemathesis.pytest.from_fixture) fails on pytest 9.2, which no longer
# has the node attribute schemathesis rewrites to name each operation's subtest.
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", WSGIHandler(), config=CONFIG)


@pytest.fixture(autouse=True)
def _settings_for_many_requests(settings):
    # Every case is a request: the limits (tested in test_api.py) would soon answer only 429.
    settings.TANDEM_RATE_LIMIT_SCALE = 1000
    # Three writers for each operation's test, whose passwords nothing here checks.
    settings.PASSWORD_HASHERS = FAST_HASHERS


@pytest.fixture
def api_world(coffee_cart, make_thread, make_writer, make_muse, join, writer_a, ivy, hale):
    """Alice's token, and the real thread and muse ids that generated ones are swapped for."""
    carol = make_writer("carol")
    cass = make_muse(carol, "Cass")
    wren = make_muse(writer_a, "Wren")
    free = make_thread(writer_a, wren, title="Free for all", turn_mode="free")
    join(free, hale)
    readable = make_thread(carol, cass, title="Open to read", visibility="public")
    private = make_thread(carol, cass, title="Carol's own")
    # As Django's test client does: a request must not close the connection that holds
    # the test's transaction (Django closes it when a request finishes).
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield {
        "token": services.token_create(user=writer_a, name="schemathesis", scope="write")[1],
        # (thread, muse to post as): her turn; any turn; only a reader; a stranger.
        "targets": [
            (coffee_cart.public_id, ivy.pk),
            (free.public_id, wren.pk),
            (readable.public_id, cass.pk),
            (private.public_id, cass.pk),
        ],
    }
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def _aim_at_real_objects(case, world: dict) -> None:
    """Swap a valid case's thread id (and the muse it posts as) for one of the world's, or
    keep the generated one, chosen by a hash of the generated id."""
    if case.meta is not None and case.meta.generation.mode.is_negative:
        return  # a swap could make an invalid case valid, and its check expects a 4xx
    generated = (case.path_parameters or {}).get("thread_id")
    if generated is None:
        # Starting a thread or changing a muse: with one of hers, so they get past the form.
        muse_id = world["targets"][0][1]
        if case.operation.path == "/api/v1/threads" and isinstance(case.body, dict):
            case.body["muse"] = muse_id
        if "muse_id" in (case.path_parameters or {}):
            case.path_parameters["muse_id"] = muse_id
        return
    targets = world["targets"]
    choice = zlib.crc32(repr(generated).encode()) % (len(targets) + 1)
    if choice == len(targets):
        return
    thread_id, muse_id = targets[choice]
    case.path_parameters["thread_id"] = thread_id
    if isinstance(case.body, dict) and "muse" in case.body:
        case.body["muse"] = muse_id


def errors_have_one_shape(ctx, response, case) -> None:
    """Every error is ``{"detail", "code", "fields"}`` in JSON, declared or not (a 405 for a
    method an address does not take, a body Django could not parse)."""
    if response.status_code < 400:
        return
    assert response.headers.get("content-type", [""])[0].startswith("application/json"), (
        f"{response.status_code} answered as {response.headers.get('content-type')}"
    )
    body = response.json()
    assert set(body) == {"detail", "code", "fields"} and body["detail"], body


@schema.parametrize()
@hypothesis_settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    deadline=None,
    # The database fixtures are per test, not per example, on purpose: the examples build
    # on each other (a reply makes it the next muse's turn).
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_every_answer_is_declared_in_the_schema(case, api_world):
    _aim_at_real_objects(case, api_world)
    case.call_and_validate(
        headers={"Authorization": f"Bearer {api_world['token']}"},
        additional_checks=[errors_have_one_shape],
    )
