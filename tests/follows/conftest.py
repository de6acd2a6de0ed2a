"""A public thread between alice (Ivy) and bram (Hale), and a reader, carol."""

from __future__ import annotations

import pytest

from tandem.threads import services as threads


@pytest.fixture
def carol(make_writer):
    return make_writer("carol")


@pytest.fixture
def lighthouse(make_thread, join, writer_a, ivy, hale):
    """A public free thread: Ivy (alice) and Hale (bram), one post by Ivy."""
    thread = make_thread(
        writer_a, ivy, title="The lighthouse", visibility="public", turn_mode="free"
    )
    join(thread, hale)
    threads.post_create(thread=thread, writer=writer_a, muse=ivy, body="The lamp was lit.")
    thread.refresh_from_db()
    return thread


def set_visibility(thread, visibility: str) -> None:
    type(thread).objects.filter(pk=thread.pk).update(visibility=visibility)
    thread.refresh_from_db()
