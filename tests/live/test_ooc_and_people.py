"""OOC talk live for the thread's writers only, and the people in a thread live for its readers.

In process, over the in-memory channel layer, with events delivered on real commits: the OOC
socket (``/ws/threads/<id>/ooc/``) is for the owner and the current participants, hears each
new message by its id, and lets a writer who leaves go; the thread's own socket never hears
of OOC talk. Joining, leaving and reordering tell open thread pages to fetch the turn
fragment, which now carries the people and their order.
"""

from __future__ import annotations

import json

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from django.urls import reverse

from tandem.asgi import application
from tandem.live import publish
from tandem.notifications.models import Kind, Notification
from tandem.notifications.selectors import unread_count
from tandem.threads import services
from tandem.threads.events import ThreadEvent
from tandem.threads.models import Visibility
from tests.live.sockets import WebSocket, session_headers

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("in_memory_layer"),
]


def run(scenario):
    async_to_sync(scenario)()


def ooc_socket(thread, headers) -> WebSocket:
    return WebSocket(application, f"/ws/threads/{thread.public_id}/ooc/", headers)


def thread_socket(thread, headers) -> WebSocket:
    return WebSocket(application, f"/ws/threads/{thread.public_id}/", headers)


async def messages_on(socket: WebSocket, wait: float = 0.3) -> list[dict]:
    """Every message waiting on a socket (and a close, as {"close": code})."""
    received = []
    while not await socket.receive_nothing(wait):
        output = await socket.receive_output()
        if output["type"] == "websocket.close":
            received.append({"close": output.get("code", 1000)})
            break
        received.append(json.loads(output["text"]))
    return received


async def refused(socket: WebSocket) -> int | None:
    """The close code of a socket turned away (accepted, then closed), or None if it stays."""
    await socket.connect()
    if await socket.receive_nothing(0.3):
        return None
    output = await socket.receive_output()
    return output.get("code") if output["type"] == "websocket.close" else None


@pytest.fixture
def public_cart(make_thread, join, writer_a, ivy, hale):
    """A public thread: anyone may read the story; OOC stays its writers'."""
    thread = make_thread(writer_a, ivy, title="Open cart", visibility=Visibility.PUBLIC)
    join(thread, hale)
    thread.refresh_from_db()
    return thread


def test_only_the_threads_writers_open_its_ooc_socket(
    public_cart, writer_a, writer_b, make_writer, make_muse, join
):
    former = make_writer("fern")
    gone = join(public_cart, make_muse(former, "Moth"))
    services.participant_leave(participant=gone, actor=former)
    headers = {
        name: session_headers(user)
        for name, user in (
            ("alice", writer_a),
            ("bram", writer_b),
            ("stranger", make_writer("stan")),
            ("former", former),
            ("anonymous", None),
        )
    }

    async def scenario():
        for name in ("alice", "bram"):
            mine = ooc_socket(public_cart, headers[name])
            assert await refused(mine) is None, name
            await mine.disconnect()
        # Every one of them may read the public story, and none of them its OOC talk.
        for name in ("stranger", "former", "anonymous"):
            assert await refused(ooc_socket(public_cart, headers[name])) == 4403, name
            story = thread_socket(public_cart, headers[name])
            assert await refused(story) is None, name
            await story.disconnect()
        missing = WebSocket(application, "/ws/threads/nope/ooc/", headers["alice"])
        assert await refused(missing) == 4403

    run(scenario)


def test_new_ooc_talk_reaches_the_writers_and_no_reader_of_the_story(
    public_cart, writer_a, writer_b, make_writer
):
    as_alice, as_bram = session_headers(writer_a), session_headers(writer_b)
    as_stranger, as_nobody = session_headers(make_writer("stan")), session_headers()

    async def scenario():
        bram_ooc = ooc_socket(public_cart, as_bram)
        await bram_ooc.connect()
        alice_ooc = ooc_socket(public_cart, as_alice)
        await alice_ooc.connect()
        stories = {
            "bram": thread_socket(public_cart, as_bram),
            "stranger": thread_socket(public_cart, as_stranger),
            "anonymous": thread_socket(public_cart, as_nobody),
        }
        for story in stories.values():
            await story.connect()
        message = await sync_to_async(services.ooc_post)(
            thread=public_cart, writer=writer_a, body="shall we skip to the market? SECRET-PLAN"
        )
        heard = await messages_on(bram_ooc)
        assert heard == [{"type": "ooc", "op": "created", "id": message.pk}]
        # The writer's own other pages hear it too (a second tab shows it).
        assert await messages_on(alice_ooc) == heard
        for name, story in stories.items():
            got = await messages_on(story)
            assert not [m for m in got if m.get("type") == "ooc"], name
            assert "SECRET-PLAN" not in json.dumps(got), name
            await story.disconnect()
        await bram_ooc.disconnect()
        await alice_ooc.disconnect()

    run(scenario)


def test_a_writer_who_leaves_loses_the_ooc_socket_but_keeps_reading_the_story(
    public_cart, writer_a, writer_b
):
    participant = public_cart.participants.get(writer=writer_b)
    as_bram = session_headers(writer_b)

    async def scenario():
        ooc = ooc_socket(public_cart, as_bram)
        await ooc.connect()
        story = thread_socket(public_cart, as_bram)
        await story.connect()
        await sync_to_async(services.participant_leave)(participant=participant, actor=writer_b)
        assert (await messages_on(ooc))[-1] == {"close": 4403}
        on_story = await messages_on(story)
        assert {"close": 4403} not in on_story  # a public story stays readable
        assert any(m.get("type") == "turn" for m in on_story)  # the people changed
        await sync_to_async(services.ooc_post)(
            thread=public_cart, writer=writer_a, body="bram has gone quiet."
        )
        assert not [m for m in await messages_on(story) if m.get("type") == "ooc"]
        await story.disconnect()

    run(scenario)


def test_the_owner_without_a_muse_in_the_thread_still_hears_ooc(
    coffee_cart, writer_a, writer_b, ivy
):
    services.participant_leave(participant=coffee_cart.participants.get(muse=ivy), actor=writer_a)
    as_alice = session_headers(writer_a)

    async def scenario():
        owner = ooc_socket(coffee_cart, as_alice)
        assert await refused(owner) is None
        message = await sync_to_async(services.ooc_post)(
            thread=coffee_cart, writer=writer_b, body="are you coming back?"
        )
        assert await messages_on(owner) == [{"type": "ooc", "op": "created", "id": message.pk}]
        await owner.disconnect()

    run(scenario)


@pytest.mark.parametrize("change", ["join", "reorder", "leave", "remove"])
def test_joining_leaving_and_reordering_reach_open_thread_pages(
    change, coffee_cart, writer_a, writer_b, make_writer, make_muse, join
):
    cleo = make_writer("cleo")
    wren = make_muse(cleo, "Wren")
    if change != "join":
        join(coffee_cart, wren)
    reader = session_headers(writer_b)

    def act():
        if change == "join":
            join(coffee_cart, wren)
        elif change == "reorder":
            order = list(
                coffee_cart.participants.filter(left_at__isnull=True)
                .order_by("-position")
                .values_list("pk", flat=True)
            )
            services.participants_reorder(thread=coffee_cart, actor=writer_a, order=order)
        else:
            wren_row = coffee_cart.participants.get(muse=wren)
            actor = cleo if change == "leave" else writer_a
            services.participant_leave(participant=wren_row, actor=actor)

    async def scenario():
        page = thread_socket(coffee_cart, reader)
        await page.connect()
        await sync_to_async(act)()
        heard = await messages_on(page)
        assert any(m.get("type") == "turn" for m in heard), heard
        assert {"close": 4403} not in heard
        await page.disconnect()

    run(scenario)


def test_the_turn_fragment_carries_the_people_in_their_order(
    client, coffee_cart, writer_a, writer_b, make_writer, make_muse, join
):
    wren = make_muse(make_writer("cleo"), "Wren")
    join(coffee_cart, wren)
    client.force_login(writer_b)
    url = reverse("turn-fragment", args=[coffee_cart.public_id])

    def people() -> str:
        html = client.get(url).content.decode()
        return html[html.index("data-live-people") : html.index("turn-banner")]

    shown = people()
    assert shown.index("Ivy") < shown.index("Hale") < shown.index("Wren")
    assert "OOC talk" in shown
    rows = coffee_cart.participants.filter(left_at__isnull=True).order_by("position")
    order = list(rows.values_list("pk", flat=True))
    services.participants_reorder(thread=coffee_cart, actor=writer_a, order=order[::-1])
    shown = people()
    assert shown.index("Wren") < shown.index("Hale") < shown.index("Ivy")
    services.participant_leave(participant=coffee_cart.participants.get(muse=wren), actor=writer_a)
    assert "Wren" not in people()


def test_the_ooc_count_on_the_story_page_is_for_writers_only(
    client, public_cart, writer_a, writer_b, make_writer
):
    services.ooc_post(thread=public_cart, writer=writer_a, body="one")
    services.ooc_post(thread=public_cart, writer=writer_b, body="two")
    url = reverse("turn-fragment", args=[public_cart.public_id])
    client.force_login(writer_b)
    assert "OOC talk (2)" in client.get(url).content.decode()
    client.force_login(make_writer("stan"))
    fragment = client.get(url).content.decode()
    assert "data-live-people" in fragment and "OOC talk" not in fragment


def test_an_ooc_fragment_is_the_ooc_pages_item_for_writers_only(
    client, public_cart, writer_a, writer_b, make_writer, make_muse, make_thread, join, hale
):
    message = services.ooc_post(thread=public_cart, writer=writer_a, body="*plot* twist")
    url = reverse("ooc-fragment", args=[public_cart.public_id, message.pk])
    client.force_login(writer_b)
    response = client.get(url)
    assert response.status_code == 200
    fragment = response.content.decode()
    assert fragment.lstrip().startswith(f'<li class="ooc card" data-ooc="{message.pk}"')
    assert "<em>plot</em> twist" in fragment
    page = client.get(reverse("thread-ooc", args=[public_cart.public_id])).content.decode()
    assert fragment.strip() in page.replace(' id="ooc-latest"', "")

    former = make_writer("fern")
    gone = join(public_cart, make_muse(former, "Moth"))
    services.participant_leave(participant=gone, actor=former)
    for outsider in (former, make_writer("stan")):
        client.force_login(outsider)
        assert client.get(url).status_code == 403
    client.logout()
    assert client.get(url).status_code == 302  # to the log-in page
    # A message of another thread is not found through this one.
    elsewhere = make_thread(writer_b, hale, title="Elsewhere")
    other = services.ooc_post(thread=elsewhere, writer=writer_b, body="not here")
    client.force_login(writer_b)
    assert (
        client.get(reverse("ooc-fragment", args=[public_cart.public_id, other.pk])).status_code
        == 404
    )


def test_which_messages_ooc_people_and_reading_become(coffee_cart, writer_a, writer_b):
    message = services.ooc_post(thread=coffee_cart, writer=writer_a, body="hello")
    sent = list(
        publish.messages_for(
            ThreadEvent("ooc_posted", coffee_cart.pk, actor_id=writer_a.pk, ooc_id=message.pk)
        )
    )
    assert sent[0] == (f"ooc.{coffee_cart.pk}", {"type": "ooc", "op": "created", "id": message.pk})
    # The other writers' bells; nothing to the thread's readers, nothing to the author.
    assert [group for group, _ in sent[1:]] == [f"writer.{writer_b.pk}"]
    assert not [g for g, _ in sent if g == f"thread.{coffee_cart.pk}"]

    order = list(publish.messages_for(ThreadEvent("order_changed", coffee_cart.pk)))
    assert [(g, m["type"]) for g, m in order] == [(f"thread.{coffee_cart.pk}", "turn")]

    left = list(
        publish.messages_for(
            ThreadEvent(
                "participant_left",
                coffee_cart.pk,
                participant_id=coffee_cart.participants.get(writer=writer_b).pk,
            )
        )
    )
    assert (f"ooc.{coffee_cart.pk}", {"type": "access"}) in left

    read = list(
        publish.messages_for(
            ThreadEvent("notifications_read", coffee_cart.pk, actor_id=writer_b.pk)
        )
    )
    assert read == [
        (
            f"writer.{writer_b.pk}",
            {"type": "queue", "your_turn": 0, "unread": unread_count(writer_b)},
        )
    ]


def test_opening_the_ooc_page_settles_its_news_and_tells_the_other_tabs(
    client, coffee_cart, writer_a, writer_b
):
    services.ooc_post(thread=coffee_cart, writer=writer_a, body="hale? the key.")
    services.ooc_post(thread=coffee_cart, writer=writer_a, body="anyone?")
    assert set(
        Notification.objects.filter(recipient=writer_b, read_at__isnull=True).values_list(
            "kind", flat=True
        )
    ) == {Kind.OOC_MENTION, Kind.OOC_POSTED}
    client.force_login(writer_b)
    as_bram = session_headers(writer_b)

    async def scenario():
        tab = WebSocket(application, "/ws/me/", as_bram)
        await tab.connect()
        first = await tab.receive_json()
        assert first["unread"] == 2
        response = await sync_to_async(client.get)(
            reverse("thread-ooc", args=[coffee_cart.public_id])
        )
        assert response.status_code == 200
        assert "data-unread-count" not in response.content.decode()  # the bell is quiet
        assert await tab.receive_json() == {"type": "queue", "your_turn": 0, "unread": 0}
        await tab.disconnect()

    run(scenario)
