"""The matrix world's starter: the world's thread opened as a starter (whatever its
visibility, so every visibility is asked), and a pending request from the former participant
with their spare muse. Made on first use, by the starter routes' entries in
tests/security/matrix.py, after every other route has been asked."""

from __future__ import annotations

from tandem.starters.models import JoinRequest, Starter


def starter(world) -> Starter:
    found = getattr(world, "starter", None)
    if found is None:
        found = Starter.objects.create(
            thread=world.thread, open_slots=2, looking_for="Weekly replies."
        )
        world.starter = found
        world.join_request = JoinRequest.objects.create(
            starter=found,
            writer=world.users["former"],
            muse=world.spare_muses["former"],
            message="May I come back?",
        )
    return found


def starter_kwargs(world) -> dict:
    return {"pk": starter(world).pk}


def request_kwargs(world) -> dict:
    starter(world)
    return {"pk": world.join_request.pk}


def board_kwargs(world) -> dict:
    starter(world)
    return {}
