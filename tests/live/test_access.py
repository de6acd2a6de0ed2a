"""Sockets follow access: when a reader may no longer read a thread — it was made private, they
left or were removed, their invitation was withdrawn or declined — their open sockets on
the thread are closed at once with 4403, and nothing else reaches them. The real ASGI
application over the in-memory channel layer, with events delivered on real commits."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async

from tandem.asgi import application
from tandem.live import publish
from tandem.threads import events, services
from tandem.threads.events import ThreadEvent
from tandem.threads.models import Invitation, Visibility
from tests.live.sockets import WebSocket, session_headers
from tests.live.test_consumers import run, thread_socket

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("in_memory_layer"),
]


def set_visibility(thread, visibility: str) -> None:
    thread.refresh_from_db()
    services.thread_update(
        thread=thread,
        actor=thread.owner,
        title=thread.title,
        summary=thread.summary,
        rating=thread.rating,
        warnings=list(thread.warnings),
        tags=[t.name for t in thread.tags.all()],
        visibility=visibility,
        turn_mode=thread.turn_mode,
        status=thread.status,
    )


async def closed_with(socket: WebSocket, timeout: float = 2) -> int:
    """Read until the socket closes (skipping any message sent before) and return its code."""
    while True:
        output = await socket.receive_output(timeout)
        if output["type"] == "websocket.close":
            return output.get("code", 1000)
        assert output["type"] == "websocket.send", output


def test_a_public_thread_made_private_lets_anonymous_readers_go(
    make_thread, join, writer_a, writer_b, ivy, hale
):
    thread = make_thread(writer_a, ivy, visibility=Visibility.PUBLIC)
    join(thread, hale)

    as_nobody, as_bram = session_headers(), session_headers(writer_b)

    async def scenario():
        anonymous = thread_socket(thread, as_nobody)
        bram = thread_socket(thread, as_bram)
        assert await anonymous.connect() == (True, None)
        assert await bram.connect() == (True, None)

        await sync_to_async(set_visibility)(thread, Visibility.PRIVATE)
        assert await closed_with(anonymous) == 4403
        await bram.receive_nothing(0.3)  # a writer of the thread stays

        # Nothing said in the thread afterwards reaches the closed socket.
        await sync_to_async(services.post_create)(
            thread=thread, writer=writer_a, muse=ivy, body="the door is locked now."
        )
        message, _ = await bram.receive_until("post")
        assert message["number"] == 1
        await anonymous.receive_nothing(0.2)
        await bram.disconnect()

    run(scenario)


def test_an_unlisted_thread_made_private_lets_strangers_go(make_thread, make_writer, writer_a, ivy):
    thread = make_thread(writer_a, ivy, visibility=Visibility.UNLISTED)
    stranger = make_writer("passerby")

    as_stranger, as_alice = session_headers(stranger), session_headers(writer_a)

    async def scenario():
        theirs = thread_socket(thread, as_stranger)
        owners = thread_socket(thread, as_alice)
        assert await theirs.connect() == (True, None)
        assert await owners.connect() == (True, None)
        await sync_to_async(set_visibility)(thread, Visibility.PRIVATE)
        assert await closed_with(theirs) == 4403
        await owners.receive_nothing(0.3)

        # And the stranger cannot come back in.
        again = thread_socket(thread, as_stranger)
        await again.connect()
        assert await again.receive_close() == 4403
        await owners.disconnect()

    run(scenario)


def test_a_removed_participant_is_let_go_and_hears_nothing_more(
    coffee_cart, writer_a, writer_b, ivy
):
    participant = coffee_cart.participants.get(writer=writer_b)

    as_bram = session_headers(writer_b)

    async def scenario():
        bram = thread_socket(coffee_cart, as_bram)
        assert await bram.connect() == (True, None)
        await sync_to_async(services.participant_leave)(participant=participant, actor=writer_a)
        assert await closed_with(bram) == 4403
        await sync_to_async(services.post_create)(
            thread=coffee_cart, writer=writer_a, muse=ivy, body="ivy counts the till alone."
        )
        await bram.receive_nothing(0.2)

    run(scenario)


def test_a_writer_with_another_muse_still_in_the_thread_stays(coffee_cart, writer_b, make_muse):
    second = make_muse(writer_b, "Wren")
    services.participant_add_muse(thread=coffee_cart, writer=writer_b, muse=second)
    first = coffee_cart.participants.get(writer=writer_b, muse__name="Hale")

    as_bram = session_headers(writer_b)

    async def scenario():
        bram = thread_socket(coffee_cart, as_bram)
        assert await bram.connect() == (True, None)
        await sync_to_async(services.participant_leave)(participant=first, actor=writer_b)
        await bram.receive_until("turn")  # still hears the thread
        await bram.receive_nothing(0.3)
        await bram.disconnect()

    run(scenario)


@pytest.mark.parametrize("answer", ["withdraw", "decline"])
def test_a_withdrawn_or_declined_invitee_has_no_socket_on_a_private_thread(
    make_thread, make_writer, writer_a, ivy, answer
):
    """Whether a pending invitee may open the socket at all is the invitation rules' call
    (today: not before accepting). Either way, once the invitation is withdrawn or declined,
    their socket ends with 4403 and does not hear the thread."""
    thread = make_thread(writer_a, ivy)  # private
    invitee = make_writer("guest")
    invitation = services.invitation_create(thread=thread, actor=writer_a, username="guest")

    def answer_it():
        if answer == "withdraw":
            services.invitation_withdraw(invitation=invitation, actor=writer_a)
        else:
            services.invitation_decline(invitation=invitation, writer=invitee)

    as_invitee = session_headers(invitee)

    async def scenario():
        socket = thread_socket(thread, as_invitee)
        assert (await socket.connect())[0] is True
        await sync_to_async(answer_it)()
        assert await closed_with(socket) == 4403
        await sync_to_async(services.post_create)(
            thread=thread, writer=writer_a, muse=ivy, body="ivy writes alone."
        )
        await socket.receive_nothing(0.2)

    run(scenario)


def test_withdrawing_and_changing_visibility_tell_open_sockets_to_recheck(
    coffee_cart, make_writer, writer_a, monkeypatch
):
    invitee = make_writer("guest")
    invitation = services.invitation_create(thread=coffee_cart, actor=writer_a, username="guest")
    group = f"thread.{coffee_cart.pk}"
    withdrawn = list(
        publish.messages_for(
            ThreadEvent("invitation_withdrawn", coffee_cart.pk, invitation_id=invitation.pk)
        )
    )
    assert (group, {"type": "access"}) in withdrawn
    assert f"writer.{invitee.pk}" in [g for g, _ in withdrawn]  # their queue count changes
    made_private = list(publish.messages_for(ThreadEvent("visibility_changed", coffee_cart.pk)))
    assert made_private == [(group, {"type": "access"})]

    # And the services emit those events, on commit.
    recorded.clear()
    monkeypatch.setattr(events, "HANDLERS", [*events.HANDLERS, f"{__name__}.record"])
    services.invitation_withdraw(invitation=invitation, actor=writer_a)
    set_visibility(coffee_cart, Visibility.PUBLIC)
    set_visibility(coffee_cart, Visibility.PUBLIC)  # no change, no event
    kinds = [event.kind for event in recorded]
    assert kinds.count("invitation_withdrawn") == 1
    assert kinds.count("visibility_changed") == 1
    assert Invitation.objects.get(pk=invitation.pk).status == "withdrawn"


recorded: list[ThreadEvent] = []


def record(event: ThreadEvent) -> None:
    recorded.append(event)


def test_the_queue_socket_carries_only_the_writers_own_counts(
    coffee_cart, make_thread, make_writer, writer_a, writer_b, ivy
):
    """/ws/me/ never carries a thread's data: only counts, only to that writer, and nothing
    more about a private thread once they have left it."""
    stranger = make_writer("onlooker")
    participant = coffee_cart.participants.get(writer=writer_b)

    as_bram, as_onlooker = session_headers(writer_b), session_headers(stranger)

    async def scenario():
        bram = WebSocket(application, "/ws/me/", as_bram)
        onlooker = WebSocket(application, "/ws/me/", as_onlooker)
        assert await bram.connect() == (True, None)
        assert await onlooker.connect() == (True, None)
        for socket in (bram, onlooker):
            initial = await socket.receive_json()
            assert set(initial) == {"type", "your_turn", "unread", "initial"}

        await sync_to_async(services.post_create)(
            thread=coffee_cart, writer=writer_a, muse=ivy, body="a secret recipe."
        )
        message = await bram.receive_json()
        assert set(message) == {"type", "your_turn", "unread"}
        assert all(isinstance(message[k], int) for k in ("your_turn", "unread"))
        await onlooker.receive_nothing(0.2)

        await sync_to_async(services.participant_leave)(participant=participant, actor=writer_b)
        left = await bram.receive_json()
        assert set(left) == {"type", "your_turn", "unread"} and left["your_turn"] == 0
        await sync_to_async(services.turn_skip)(thread=coffee_cart, actor=writer_a)
        await bram.receive_nothing(0.3)  # the thread's later turns are not his news
        await onlooker.receive_nothing(0.1)
        await bram.disconnect()
        await onlooker.disconnect()

    run(scenario)
