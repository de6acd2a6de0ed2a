"""What the thread page asks the database for, in one reading."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

pytestmark = pytest.mark.django_db


def test_the_composer_reads_the_writers_muses_and_icons_once(as_alice, story):
    with CaptureQueriesContext(connection) as queries:
        response = as_alice.get(story.get_absolute_url())
    assert response.status_code == 200
    assert 'name="muse"' in response.content.decode()
    statements = [q["sql"] for q in queries.captured_queries]
    icon_reads = [s for s in statements if 'FROM "muses_museicon"' in s]
    # The composer offers the writer's own muses in the thread, never an import's placeholder.
    composer_muse_reads = [
        s
        for s in statements
        if s.startswith('SELECT "muses_muse"."id"') and 'NOT "muses_muse"."is_placeholder"' in s
    ]
    assert len(icon_reads) == 1
    assert len(composer_muse_reads) == 1
    # Django draws model choices through server-side cursors on PostgreSQL: none here.
    assert not [s for s in statements if "DECLARE" in s]
