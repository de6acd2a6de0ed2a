"""Fixtures for the thread JSON and backup tests: a rich story built through the services."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from tandem.accounts.models import User
from tandem.muses.models import Muse
from tandem.threads import services
from tandem.threads.models import Post, Thread
from tandem.writing.models import Draft

#: Values a hostile or damaged file might hold anywhere.
ODD_VALUES = [
    None,
    True,
    0,
    -1,
    1.5,
    2**40,
    "",
    " ",
    "x" * 300,
    "m9",
    "p9",
    "m1",
    "p1",
    "alice",
    "reorder",
    "\ud800",
    "a\x00b",
    "2025-13-01T00:00:00Z",
    "0001-01-01T00:00:00+01:00",
    "2025-01-01T00:00:00",
    [],
    ["p1", "p1"],
    ["p1", "p2", "p3"],
    {},
    {"a": float("nan")},
]


def json_paths(value, prefix=()):
    """Every path into a JSON value, as tuples of keys and indexes."""
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from json_paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from json_paths(item, (*prefix, index))


def png(colour: str = "#7a3e9d", size: int = 48) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (size, size), colour).save(buffer, format="PNG")
    return SimpleUploadedFile("picture.png", buffer.getvalue(), content_type="image/png")


def say(thread: Thread, muse: Muse, body: str, **kwargs) -> Post:
    thread.refresh_from_db()
    return services.post_create(thread=thread, writer=muse.owner, muse=muse, body=body, **kwargs)


def wipe_everything() -> None:
    """Delete every thread, muse and writer, in the order the PROTECT rules allow."""
    Draft.objects.all().delete()
    Post.objects.all().delete()
    Thread.objects.all().delete()
    Muse.objects.all().delete()
    User.objects.all().delete()


@pytest.fixture
def cleo(make_writer):
    return make_writer("cleo")


@pytest.fixture
def wren(make_muse, cleo):
    muse = make_muse(
        cleo,
        "Wren",
        pronouns="they/them",
        fandom="Original — 🌙 Nachtmusik",
        nicknames="Wrennie, the Cartographer",
        bio="Draws maps of places that do not exist *yet*.",
        accent_colour="#2e7d32",
    )
    # What an imported character card carried that Tandem has no field for.
    muse.card_data = {"personality": "curious", "extensions": {"depth": 2, "ünï": ["a", "ß"]}}
    muse.save()
    return muse


@pytest.fixture
def rich_story(make_thread, join, writer_a, writer_b, cleo, ivy, hale, wren):
    """Three writers and muses: edits with several revisions, a deleted post, a skip, a
    reorder, a muse that left, OOC talk, tags, warnings and unicode everywhere."""
    writer_a.display_name = "Alice Ångström"
    writer_a.save()
    writer_b.display_name = "Bram 🐻"
    writer_b.save()
    thread = make_thread(
        writer_a,
        ivy,
        title="Café at the edge of the map ☕",
        summary="Three strangers, one kettle.\n\nA second paragraph with «guillemets».",
        rating="teen",
        warnings=["violence", "chose_not_to_warn"],
        tags=["slow burn", "Café AU", "Fluff"],
        visibility="unlisted",
    )
    join(thread, hale)
    join(thread, wren)
    first = say(thread, ivy, "“Tea?” she asked — naïvely.\n\n*The kettle hummed.*")
    second = say(thread, hale, "He shook his head. 「いいえ」\n\n***\n\nLater: <b>no</b>.")
    say(thread, wren, "Wren unrolled a map. 🗺️ “Here,” they said.")
    services.post_edit(post=first, writer=writer_a, body="“Tea?” she asked — naïvely, again.")
    services.post_edit(post=first, writer=writer_a, body="“Coffee?” she asked instead.")
    services.post_restore_revision(post=first, writer=writer_a, number=2)
    services.post_delete(post=second, writer=writer_b)
    thread.refresh_from_db()
    services.turn_skip(thread=thread, actor=writer_a)
    thread.refresh_from_db()
    order = services._active_order(thread)
    services.participants_reorder(thread=thread, actor=writer_a, order=list(reversed(order)))
    thread.refresh_from_db()
    services.ooc_post(thread=thread, writer=writer_b, body="Sorry for the wait! 🙏 Work ate me.")
    services.ooc_post(thread=thread, writer=cleo, body="No worries — *plotting* Wren's exit.")
    wren_in = thread.participants.get(muse=wren)
    services.participant_leave(participant=wren_in, actor=cleo)
    thread.refresh_from_db()
    nxt = thread.participants.get(pk=thread.next_participant_id).muse
    say(thread, nxt, f"{nxt.name} carried on alone.\n\n> a quote\n\n`code`")
    thread.refresh_from_db()
    return thread
