"""A public thread by alice (Ivy) and bram (Hale) with a post each, a reader (carol) and a
moderator (mod), all built through the real services."""

from __future__ import annotations

import pytest

from tandem.threads import services as thread_services


@pytest.fixture
def staff(make_writer):
    user = make_writer("mod")
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    return user


@pytest.fixture
def carol(make_writer):
    return make_writer("carol")


@pytest.fixture
def lamps(make_thread, join, writer_a, ivy, hale):
    """A public ordered thread: Ivy's opening post, then Hale's (post #2)."""
    thread = make_thread(writer_a, ivy, title="Lamps", visibility="public")
    join(thread, hale)
    thread.refresh_from_db()
    thread_services.post_create(
        thread=thread, writer=writer_a, muse=ivy, body="The lamps went out along the quay."
    )
    thread.refresh_from_db()
    thread_services.post_create(
        thread=thread,
        writer=hale.owner,
        muse=hale,
        body="Buy cheap lampoil zanzibarcoin now, a spammy line.",
    )
    thread.refresh_from_db()
    return thread


@pytest.fixture
def spam_post(lamps):
    return lamps.posts.get(number=2)


def login(client, user):
    client.force_login(user)
    return client
