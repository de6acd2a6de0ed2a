"""A reader, carol (the public thread she reads, ``lighthouse``, is in tests/conftest.py)."""

from __future__ import annotations

import pytest


@pytest.fixture
def carol(make_writer):
    return make_writer("carol")


def set_visibility(thread, visibility: str) -> None:
    type(thread).objects.filter(pk=thread.pk).update(visibility=visibility)
    thread.refresh_from_db()
