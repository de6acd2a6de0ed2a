"""The WebSocket consumers, in process: the real ASGI application (origin check, session
auth, routing) over the in-memory channel layer, and events delivered on real commits."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync, sync_to_async

from tandem.asgi import application
from tandem.notifications.selectors import unread_count
from tandem.threads import services
from tandem.threads.models import Visibility
from tests.live.sockets import WebSocket, session_headers

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("in_memory_layer"),
]


def run(scenario):
    """Run an async scenario from a sync test; the ORM calls inside go through
    sync_to_async, to this thread and its database connection."""
    async_to_sync(scenario)()


def thread_socket(thread, headers) -> WebSocket:
    return WebSocket(application, f"/ws/threads/{thread.public_id}/", headers)


def test_participants_connect_and_strangers_are_refused_with_4403(
    coffee_cart, writer_a, make_writer
):
    as_alice, as_nobody = session_headers(writer_a), session_headers()
    as_stranger = session_headers(make_writer("stranger"))

    async def scenario():
        mine = thread_socket(coffee_cart, as_alice)
        assert await mine.connect() == (True, None)
        await mine.receive_nothing()

        # Accepted and then closed with 4403, so the page knows not to retry.
        theirs = thread_socket(coffee_cart, as_stranger)
        assert await theirs.connect() == (True, None)
        assert await theirs.receive_close() == 4403

        anonymous = thread_socket(coffee_cart, as_nobody)
        await anonymous.connect()
        assert await anonymous.receive_close() == 4403

        missing = WebSocket(application, "/ws/threads/no-such-thread/", as_alice)
        await missing.connect()
        assert await missing.receive_close() == 4403
        await mine.disconnect()

    run(scenario)


def test_public_threads_are_open_to_anonymous_readers(make_thread, writer_a, ivy):
    thread = make_thread(writer_a, ivy, visibility=Visibility.PUBLIC)
    as_nobody = session_headers()

    async def scenario():
        reader = thread_socket(thread, as_nobody)
        assert await reader.connect() == (True, None)
        await reader.receive_nothing()
        await reader.disconnect()

    run(scenario)


def test_sockets_from_other_sites_are_refused(coffee_cart, writer_a):
    from_elsewhere = session_headers(writer_a, origin=b"https://evil.example")
    no_origin = session_headers(writer_a, origin=None)

    async def scenario():
        foreign = thread_socket(coffee_cart, from_elsewhere)
        assert await foreign.connect() == (False, 1000)
        unknown = thread_socket(coffee_cart, no_origin)
        assert (await unknown.connect())[0] is False

    run(scenario)


def test_a_new_post_reaches_the_thread_and_the_next_writers_queue(
    coffee_cart, writer_a, writer_b, ivy
):
    as_bram = session_headers(writer_b)

    async def scenario():
        reader = thread_socket(coffee_cart, as_bram)
        assert await reader.connect() == (True, None)
        queue = WebSocket(application, "/ws/me/", as_bram)
        assert await queue.connect() == (True, None)
        # The queue socket starts with the current count, for pages that reconnect.
        unread = await sync_to_async(unread_count)(writer_b)  # bram's invitation
        assert await queue.receive_json() == {
            "type": "queue",
            "your_turn": 0,
            "unread": unread,
            "initial": True,
        }

        post = await sync_to_async(services.post_create)(
            thread=coffee_cart, writer=writer_a, muse=ivy, body="the cart rattles."
        )

        message, before = await reader.receive_until("post")
        assert message["op"] == "created"
        assert message["number"] == post.number == 1
        assert isinstance(message["committed_at"], float)
        assert [m["type"] for m in before] == ["turn"]  # the turn moved to Hale first
        assert "html" not in message  # each page fetches the post as its reader sees it
        # The bell counts the "your turn" notification too.
        assert await queue.receive_json() == {
            "type": "queue",
            "your_turn": 1,
            "unread": unread + 1,
        }

        await sync_to_async(services.post_edit)(post=post, writer=writer_a, body="it rattles.")
        assert await reader.receive_json() == {
            "type": "post",
            "op": "changed",
            "number": 1,
            "committed_at": pytest.approx(message["committed_at"], abs=60),
        }
        await reader.disconnect()
        await queue.disconnect()

    run(scenario)


def test_nothing_is_sent_for_a_post_that_rolls_back(coffee_cart, writer_a, writer_b, hale):
    as_alice = session_headers(writer_a)

    async def scenario():
        reader = thread_socket(coffee_cart, as_alice)
        await reader.connect()
        with pytest.raises(services.NotYourTurn):  # Ivy holds the turn, not Hale
            await sync_to_async(services.post_create)(
                thread=coffee_cart, writer=writer_b, muse=hale, body="too soon"
            )
        await reader.receive_nothing(0.2)
        await reader.disconnect()

    run(scenario)


def test_presence_reaches_the_others_but_not_the_writer_typing(
    coffee_cart, writer_a, writer_b, hale
):
    as_alice, as_bram = session_headers(writer_a), session_headers(writer_b)

    async def scenario():
        alice = thread_socket(coffee_cart, as_alice)
        bram = thread_socket(coffee_cart, as_bram)
        bram_other_tab = thread_socket(coffee_cart, as_bram)
        for socket in (alice, bram, bram_other_tab):
            assert await socket.connect() == (True, None)

        await bram.send_json({"type": "typing", "muse": hale.pk})
        assert await alice.receive_json() == {
            "type": "presence",
            "muse": "Hale",
            "writer": writer_b.username,
            "expires_in": 8,
        }
        await bram.receive_nothing(0.2)
        await bram_other_tab.receive_nothing(0.1)

        # Typing signals faster than the page sends them are dropped.
        await bram.send_json({"type": "typing", "muse": hale.pk})
        await alice.receive_nothing(0.2)

        # Nonsense is ignored, and the socket stays open.
        await bram.send_text("not json")
        await bram.send_json(["a", "list"])
        await bram.send_json({"type": "unknown"})
        await alice.receive_nothing(0.2)
        for socket in (alice, bram, bram_other_tab):
            await socket.disconnect()

    run(scenario)


def test_readers_who_are_not_writers_here_cannot_announce_typing(
    make_thread, writer_a, ivy, make_writer
):
    thread = make_thread(writer_a, ivy, visibility=Visibility.PUBLIC)
    as_alice, as_reader = session_headers(writer_a), session_headers(make_writer("reader"))

    async def scenario():
        alice = thread_socket(thread, as_alice)
        stranger = thread_socket(thread, as_reader)
        await alice.connect()
        await stranger.connect()
        await stranger.send_json({"type": "typing"})
        await alice.receive_nothing(0.2)
        await alice.disconnect()
        await stranger.disconnect()

    run(scenario)


def test_a_writer_who_leaves_a_private_thread_is_let_go(coffee_cart, writer_b):
    participant = coffee_cart.participants.get(writer=writer_b)
    as_bram = session_headers(writer_b)

    async def scenario():
        bram = thread_socket(coffee_cart, as_bram)
        assert await bram.connect() == (True, None)
        await sync_to_async(services.participant_leave)(participant=participant, actor=writer_b)
        messages = []
        while True:
            output = await bram.receive_output(2)
            if output["type"] == "websocket.close":
                assert output["code"] == 4403
                break
            messages.append(output)
        assert all(m["type"] == "websocket.send" for m in messages)
        await bram.wait(2)

    run(scenario)


def test_the_queue_socket_is_for_signed_in_writers_only():
    as_nobody = session_headers()

    async def scenario():
        anonymous = WebSocket(application, "/ws/me/", as_nobody)
        await anonymous.connect()
        assert await anonymous.receive_close() == 4403

    run(scenario)
