"""The matrix world's thread kept elsewhere: one, the owner's (made on first use, by the
tracking routes' entries in tests/security/matrix.py). Nobody else may see or touch it."""

from __future__ import annotations

from tandem.tracking.models import TrackedThread


def tracked_kwargs(world) -> dict:
    tracked, _ = TrackedThread.objects.get_or_create(
        writer=world.users["owner"],
        title="Owner's thread on another site",
        defaults={"url": "https://example.tumblr.com/post/1", "partner": "someone"},
    )
    return {"pk": tracked.pk}


def api_kwargs(world) -> dict:
    return {"tracked_id": tracked_kwargs(world)["pk"]}


def turn_data(world, role: str) -> dict:
    return {"turn": "theirs", "next": "/"}
