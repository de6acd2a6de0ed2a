"""The authorization matrix beyond HTTP pages: WebSockets, notifications, e-mails, webhooks.

The same world as the HTTP matrix (tests/security/world.py) is built with every event
delivered on real commits, so the notification handlers, the live publisher, the e-mail
worker and webhook deliveries all run as in production. Then each role's channels are
checked: who may open a thread's socket, that sockets close (4403) when access ends, that
no socket message carries text, and that nobody outside a thread hears about it — above all
a former participant, about anything after they left.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from django.core.management import call_command

from tandem.asgi import application
from tandem.notifications.models import Kind, Notification
from tandem.threads import services
from tests.live.sockets import WebSocket, session_headers
from tests.notifications.test_email import inbox  # noqa: F401 (fixture: a real SMTP server)
from tests.security import matrix
from tests.security.world import MARKER_KINDS, ROLES, build_world, marker

pytestmark = pytest.mark.django_db(transaction=True)

READERS = {
    "private": {"owner", "participant"},
    "unlisted": set(ROLES),
    "public": set(ROLES),
}


@pytest.fixture
def in_memory_layer(settings):
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}


def _all_markers(visibility: str) -> list[str]:
    return [marker(kind, visibility) for kind in MARKER_KINDS]


async def _open(role_headers: dict, path: str) -> dict:
    """Open one socket per role; return those still open, and the refusal codes."""
    sockets, refused = {}, {}
    for role, headers in role_headers.items():
        ws = WebSocket(application, path, headers)
        accepted, code = await ws.connect()
        if not accepted:
            refused[role] = code
            continue
        # A refused reader is accepted and then closed at once with 4403.
        if await ws.receive_nothing(0.3):
            sockets[role] = ws
            continue
        first = await ws.receive_output()
        if first["type"] == "websocket.close":
            refused[role] = first.get("code", 1000)
        else:
            sockets[role] = ws
    return {"open": sockets, "refused": refused}


async def _drain(ws: WebSocket) -> list[dict]:
    """Every message waiting on a socket, and a close if one came."""
    received = []
    # Waiting with receive_output's own timeout would cancel the application.
    while not await ws.receive_nothing(0.3):
        message = await ws.receive_output()
        received.append(message)
        if message["type"] == "websocket.close":
            break
    return received


@pytest.mark.usefixtures("in_memory_layer")
@pytest.mark.parametrize("visibility", ["private", "public"])
def test_thread_sockets_follow_read_access_and_carry_no_text(visibility):
    world = build_world(visibility)
    headers = {role: session_headers(world.users[role]) for role in ROLES}
    path = f"/ws/threads/{world.thread.public_id}/"
    owner, participant = world.users["owner"], world.users["participant"]
    live_marker = f"MK-LIVE-{visibility}"

    async def scenario():
        opened = await _open(headers, path)
        assert set(opened["open"]) == READERS[visibility]
        assert all(code == 4403 for code in opened["refused"].values()), opened["refused"]

        await sync_to_async(services.post_create)(
            thread=world.thread,
            writer=owner,
            muse=world.muses["owner"],
            body=f"the lamps caught, one after another. {live_marker}",
        )
        for role, ws in opened["open"].items():
            messages = await _drain(ws)
            assert any(m.get("type") == "websocket.send" for m in messages), role
            text = json.dumps(messages)
            leaked = [m for m in [*_all_markers(visibility), live_marker] if m in text]
            assert not leaked, f"socket of {role} carried {leaked}"

        # Access ends: a public thread goes private; in a private one the participant leaves.
        if visibility == "public":
            thread = world.thread
            await sync_to_async(services.thread_update)(
                thread=thread,
                actor=owner,
                title=thread.title,
                summary=thread.summary,
                rating=thread.rating,
                warnings=thread.warnings,
                tags=[],
                visibility="private",
                turn_mode=thread.turn_mode,
                status=thread.status,
            )
            losing = set(ROLES) - {"owner", "participant"}
        else:
            await sync_to_async(services.participant_leave)(
                participant=world.participant_row, actor=participant
            )
            losing = {"participant"}
        for role, ws in opened["open"].items():
            messages = await _drain(ws)
            closes = [m for m in messages if m["type"] == "websocket.close"]
            if role in losing:
                assert closes and closes[0].get("code") == 4403, f"{role} kept its socket"
            else:
                assert not closes, f"{role} lost a socket it may keep"
                await ws.disconnect()

    async_to_sync(scenario)()


WRITERS = {"owner", "participant"}


@pytest.mark.usefixtures("in_memory_layer")
@pytest.mark.parametrize("visibility", ["private", "public"])
def test_ooc_talk_reaches_the_threads_writers_and_nobody_else(visibility):
    """OOC is for the owner and the current participants: its socket refuses every other
    role (a former participant, a reader of a public story, a stranger, staff), no story
    socket ever hears of it, and a writer who leaves is let go."""
    world = build_world(visibility)
    headers = {role: session_headers(world.users[role]) for role in ROLES}
    thread, participant = world.thread, world.users["participant"]
    ooc_marker = f"MK-LIVEOOC-{visibility}"

    async def scenario():
        ooc = await _open(headers, f"/ws/threads/{thread.public_id}/ooc/")
        assert set(ooc["open"]) == WRITERS
        assert all(code == 4403 for code in ooc["refused"].values()), ooc["refused"]
        stories = (await _open(headers, f"/ws/threads/{thread.public_id}/"))["open"]
        assert set(stories) == READERS[visibility]

        message = await sync_to_async(services.ooc_post)(
            thread=thread, writer=participant, body=f"plot: the debt is real {ooc_marker}"
        )
        for role, ws in ooc["open"].items():
            received = [json.loads(m["text"]) for m in await _drain(ws) if "text" in m]
            assert received == [{"type": "ooc", "op": "created", "id": message.pk}], role
        for role, ws in stories.items():
            messages = await _drain(ws)
            kinds = [json.loads(m["text"])["type"] for m in messages if "text" in m]
            assert "ooc" not in kinds, f"the story socket of {role} heard of OOC talk"
            text = json.dumps(messages)
            assert ooc_marker not in text, role
            assert not [m for m in _all_markers(visibility) if m in text], role
            await ws.disconnect()

        # The participant leaves: their OOC socket goes; the owner's stays.
        await sync_to_async(services.participant_leave)(
            participant=world.participant_row, actor=participant
        )
        closes = {
            role: [m.get("code") for m in await _drain(ws) if m["type"] == "websocket.close"]
            for role, ws in ooc["open"].items()
        }
        assert closes == {"owner": [], "participant": [4403]}
        await ooc["open"]["owner"].disconnect()

    async_to_sync(scenario)()


@pytest.mark.usefixtures("in_memory_layer")
def test_the_personal_socket_is_for_signed_in_writers_only():
    world = build_world("private")
    headers = {role: session_headers(world.users[role]) for role in ROLES}

    async def scenario():
        opened = await _open(headers, "/ws/me/")
        assert set(opened["refused"]) == {"anonymous"}
        for role, ws in opened["open"].items():
            text = json.dumps(await _drain(ws))
            assert not [m for m in _all_markers("private") if m in text], role
            await ws.disconnect()

    async_to_sync(scenario)()


# ---------------------------------------------------------------------------- mail, hooks


class _Receiver:
    """Webhook target on loopback; records each body by the path it was sent to."""

    def __init__(self) -> None:
        self.bodies: list[tuple[str, bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # the stdlib calls this by name
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.bodies.append((self.path, body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver(settings):
    settings.TANDEM_WEBHOOK_ALLOW_PRIVATE = True
    settings.TANDEM_WEBHOOK_RETRY_BASE_SECONDS = 0
    hooks = _Receiver()
    yield hooks
    hooks.close()


@pytest.mark.usefixtures("in_memory_layer")
@pytest.mark.parametrize("visibility", ["private", "public"])
def test_nobody_outside_the_thread_hears_of_it(visibility, inbox, receiver):  # noqa: F811
    world = build_world(visibility, webhooks_to=receiver.base)
    world.webhook.delete()
    former = world.users["former"]
    left_at = world.thread.participants.get(writer=former).left_at
    # After the former participant left: a status change, a mention of every muse in OOC.
    thread = world.thread
    services.ooc_post(
        thread=thread,
        writer=world.users["participant"],
        body=" ".join(f"@{muse.name}" for muse in world.muses.values()),
    )
    services.thread_update(
        thread=thread,
        actor=world.users["owner"],
        title=thread.title,
        summary=thread.summary,
        rating=thread.rating,
        warnings=thread.warnings,
        tags=[],
        visibility=thread.visibility,
        turn_mode=thread.turn_mode,
        status="paused",
    )
    call_command("db_worker", batch=True, no_startup_delay=True, verbosity=0)

    names = {world.users[role].username: role for role in ROLES if world.users[role]}
    emails = {world.users[role].email: role for role in ROLES if world.users[role]}
    heard: dict[str, list[str]] = {role: [] for role in ROLES}
    for note in Notification.objects.filter(thread=thread).select_related("recipient"):
        role = names[note.recipient.username]
        if role == "former" and note.created_at > left_at:
            heard[role].append(f"notification after leaving: {note.text}")
        elif role in ("stranger", "staff") or (role == "invited" and note.kind != Kind.INVITED):
            heard[role].append(f"notification: {note.text}")
        heard[role] += _leaked(note.text, role, visibility)
    for message in inbox.messages:
        role = emails[message["To"].addresses[0].addr_spec]
        body = message.get_body(("plain",)).get_content()
        if role in ("former", "stranger", "staff") or (
            role == "invited" and "invited" not in message["Subject"].lower()
        ):
            heard[role].append(f"e-mail: {message['Subject']}")
        heard[role] += _leaked(body, role, visibility)
    for path, body in receiver.bodies:
        role = names[path.strip("/")]
        if role in ("former", "stranger", "staff"):
            heard[role].append(f"webhook: {body[:80]!r}")
        heard[role] += _leaked(body.decode(), role, visibility)
    assert not any(heard.values()), {role: items for role, items in heard.items() if items}
    # The writers did hear: the matrix is not passing because nothing was sent.
    assert any(names[p.strip("/")] == "participant" for p, _ in receiver.bodies)
    assert any(emails[m["To"].addresses[0].addr_spec] == "invited" for m in inbox.messages)


def _leaked(text: str, role: str, visibility: str) -> list[str]:
    return [
        f"{marker(kind, visibility)} in something sent to {role}"
        for kind in MARKER_KINDS
        if marker(kind, visibility) in text
        # Sent while the writer was in the thread, news may name it (as a page would).
        and not matrix.may_see(kind, role, visibility, "page")
    ]
