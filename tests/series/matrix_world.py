"""Series objects for the authorization matrix's world, made on first use.

The owner's series "Lamplight saga" holds the world's thread; the owner also has a spare
thread (in no series, as private as the world's thread) and a public thread that the world's
thread links to as its sequel.
"""

from __future__ import annotations

from tandem.series import services
from tandem.series.models import Series, SeriesEntry, ThreadLink
from tandem.threads import services as thread_services
from tandem.threads.models import Thread
from tests.security.world import World

TITLE = "Lamplight saga"


def world_series(world: World) -> Series:
    owner = world.users["owner"]
    series = Series.objects.filter(owner=owner, title=TITLE).first()
    if series is None:
        series = services.series_create(owner=owner, title=TITLE)
        services.series_add_thread(series=series, thread=world.thread, actor=owner)
    return series


def world_entry(world: World) -> SeriesEntry:
    return SeriesEntry.objects.get(series=world_series(world), thread=world.thread)


def _owner_thread(world: World, title: str, visibility: str) -> Thread:
    owner = world.users["owner"]
    thread = Thread.objects.filter(owner=owner, title=title).first()
    return thread or thread_services.thread_create(
        owner=owner, muse=world.muses["owner"], title=title, visibility=visibility
    )


def spare_thread(world: World) -> Thread:
    world_series(world)
    return _owner_thread(world, "Spare lamp", world.visibility)


def world_link(world: World) -> ThreadLink:
    target = _owner_thread(world, "Lamplight, later", "public")
    link = ThreadLink.objects.filter(from_thread=world.thread, to_thread=target).first()
    return link or services.link_create(
        from_thread=world.thread, to_thread=target, kind="sequel", actor=world.users["owner"]
    )
