import pytest
from django.db import connection


@pytest.mark.django_db
def test_healthz_reports_database_ok(client):
    """/healthz answers 200 with the documented body when the database answers."""
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


@pytest.mark.django_db(transaction=True)
def test_healthz_is_503_with_the_reason_when_the_database_is_unreachable(client, tmp_path):
    """With the database gone, /healthz answers 503 and says why, instead of a 500."""
    original = dict(connection.settings_dict)
    connection.close()
    if connection.vendor == "sqlite":
        connection.settings_dict["NAME"] = str(tmp_path / "missing-dir" / "db.sqlite3")
    else:
        connection.settings_dict["PORT"] = "1"
    try:
        response = client.get("/healthz")
    finally:
        connection.close()
        connection.settings_dict.clear()
        connection.settings_dict.update(original)
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert body["database"] and body["database"] != "ok"
