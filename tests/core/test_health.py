from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.db import connection, connections
from django.test import Client


@pytest.mark.django_db
def test_healthz_reports_database_ok(client):
    """/healthz answers 200 with the documented body when the database answers."""
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


@contextmanager
def database_unreachable(tmp_path) -> Iterator[None]:
    """The database gone for the requests made inside (a missing SQLite file, a PostgreSQL
    port nobody listens on), and back afterwards."""
    original = dict(connection.settings_dict)
    connection.close()
    # A pool (PostgreSQL) goes on connecting to the server it was made for: drop it now, so
    # the next connection follows the settings below, and again after, for the rest of the run.
    close_pool = getattr(connection, "close_pool", lambda: None)
    close_pool()
    if connection.vendor == "sqlite":
        connection.settings_dict["NAME"] = str(tmp_path / "missing-dir" / "db.sqlite3")
    else:
        connection.settings_dict["PORT"] = "1"
        options = connection.settings_dict["OPTIONS"]
        if "pool" in options:
            # The pool waits this long for a connection before giving up.
            connection.settings_dict["OPTIONS"] = {
                **options,
                "pool": {**options["pool"], "timeout": 1},
            }
    try:
        yield
    finally:
        connection.close()
        close_pool()
        connection.settings_dict.clear()
        connection.settings_dict.update(original)


@pytest.mark.django_db(transaction=True)
def test_healthz_is_503_with_the_reason_when_the_database_is_unreachable(client, tmp_path):
    """With the database gone, /healthz answers 503 and says why, instead of a 500."""
    with database_unreachable(tmp_path):
        response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert body["database"] and body["database"] != "ok"


@pytest.mark.django_db(transaction=True)
def test_pages_and_the_api_answer_503_while_the_database_is_unreachable(tmp_path):
    """A page is a 503 that says the database is away and when to retry (not "something
    broke"); the API says the same in its JSON shape. Both recover by themselves."""
    client = Client(raise_request_exception=False)
    with database_unreachable(tmp_path):
        page = client.get("/")
        api = client.get("/api/v1/me", HTTP_AUTHORIZATION="Bearer tdm_not-a-real-token")
    assert page.status_code == 503 and page["Retry-After"] == "30"
    assert "cannot reach its database" in page.content.decode()
    assert api.status_code == 503 and api["Retry-After"] == "30"
    assert api.json()["code"] == "unavailable"
    assert client.get("/").status_code == 200


def test_any_other_error_is_still_a_500(rf):
    """Only a database that cannot be reached is a 503."""
    from tandem.core.views import server_error

    try:
        raise ValueError("a bug")
    except ValueError:
        response = server_error(rf.get("/"))
    assert response.status_code == 500
    assert "Retry-After" not in response


@pytest.mark.django_db(transaction=True)
def test_a_page_tries_the_database_once_while_it_is_away(tmp_path, make_writer, monkeypatch):
    """A signed-in page during an outage gives up after one attempt to connect (one pool
    timeout on PostgreSQL), not one more for the headers on the way out."""
    client = Client(raise_request_exception=False)
    client.force_login(make_writer())
    attempts: list[int] = []
    wrapper = type(connections["default"])
    connect = wrapper.get_new_connection

    def counted(self, params):
        attempts.append(1)
        return connect(self, params)

    monkeypatch.setattr(wrapper, "get_new_connection", counted)
    with database_unreachable(tmp_path):
        response = client.get("/")
    assert response.status_code == 503
    assert "private" in response["Cache-Control"]
    assert len(attempts) == 1
