"""A small saga: alice's series of three threads (public, private, unlisted), and carol."""

from __future__ import annotations

import pytest
from django.test import Client

from tandem.series import services
from tandem.threads import services as thread_services


@pytest.fixture
def carol(make_writer):
    return make_writer("carol")


@pytest.fixture
def saga(make_thread, writer_a, ivy):
    """alice's series "The Long Road": a public, a private and an unlisted thread, in order,
    each with one post."""
    series = services.series_create(
        owner=writer_a, title="The Long Road", description="Three winters.\n\nOne road."
    )
    threads = []
    for title, visibility in (
        ("Departure", "public"),
        ("Secret Crossing", "private"),
        ("The Inn", "unlisted"),
    ):
        thread = make_thread(writer_a, ivy, title=title, visibility=visibility)
        thread_services.post_create(
            thread=thread, writer=writer_a, muse=ivy, body=f"words of {title.lower()}"
        )
        thread.refresh_from_db()
        services.series_add_thread(series=series, thread=thread, actor=writer_a)
        threads.append(thread)
    return series, threads


@pytest.fixture
def as_carol(carol):
    client = Client()
    client.force_login(carol)
    return client
