"""A starter by alice (Ivy opens a public thread with one post), and bram with Hale."""

from __future__ import annotations

import pytest

from tandem.starters import services


@pytest.fixture
def starter(writer_a, ivy):
    return services.starter_create(
        owner=writer_a,
        muse=ivy,
        title="Lighthouse at the end of the world",
        opening="The lamp had not been lit in a year when the boat came in.",
        open_slots=2,
        looking_for="Slow burn, weekly replies, 500+ words.",
        tags=["slow burn", "Lighthouse AU"],
        rating="teen",
    )


@pytest.fixture
def ask(starter):
    """A join request from a muse's writer to the starter."""

    def do(muse, message: str = ""):
        return services.join_request_create(
            starter=starter, writer=muse.owner, muse=muse, message=message
        )

    return do
