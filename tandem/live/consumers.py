"""WebSocket endpoints: a thread's open pages, and a writer's own queue.

Messages only say *that* something changed (a post number, "the turn moved", a count);
pages fetch what they show over HTTP, with the same permission checks as a page load.
"""

from __future__ import annotations

import contextlib
import json
import logging
import time

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from redis.exceptions import RedisError

from tandem.live.groups import ooc_group, thread_group, writer_group

logger = logging.getLogger("tandem.live")

# Close codes the client understands: 4403 means "do not reconnect", 1011 "try later".
CLOSE_FORBIDDEN = 4403
CLOSE_UNAVAILABLE = 1011
# "Hale is writing…" disappears on its own this many seconds after the last keystroke.
PRESENCE_SECONDS = 8
# Pages send a typing signal at most every 3 s; anything faster from one socket is dropped.
TYPING_MIN_INTERVAL = 1.0


def _user(scope):
    user = scope.get("user")
    # AuthMiddleware resolves the lazy user before the consumer runs; unwrap it for the ORM.
    return getattr(user, "_wrapped", user)


@database_sync_to_async
def _readable_thread_id(public_id: str, user) -> int | None:
    from tandem.threads.models import Thread
    from tandem.threads.permissions import can_read

    thread = Thread.objects.filter(public_id=public_id).first()
    if thread is None or user is None or not can_read(thread, user):
        return None
    return thread.pk


@database_sync_to_async
def _still_readable(thread_id: int, user) -> bool:
    from tandem.threads.models import Thread
    from tandem.threads.permissions import can_read

    thread = Thread.objects.filter(pk=thread_id).first()
    return thread is not None and can_read(thread, user)


@database_sync_to_async
def _writer_thread_id(public_id: str, user) -> int | None:
    """The thread's id if ``user`` is one of its writers (owner or current participant)."""
    from tandem.threads.models import Thread
    from tandem.threads.permissions import can_read, is_writer

    thread = Thread.objects.filter(public_id=public_id).first()
    if thread is None or user is None or not (can_read(thread, user) and is_writer(thread, user)):
        return None
    return thread.pk


@database_sync_to_async
def _still_writer(thread_id: int, user) -> bool:
    from tandem.threads.models import Thread
    from tandem.threads.permissions import can_read, is_writer

    thread = Thread.objects.filter(pk=thread_id).first()
    return thread is not None and can_read(thread, user) and is_writer(thread, user)


@database_sync_to_async
def _typing_muse_name(thread_id: int, user, muse_id) -> str | None:
    """The name of the sender's muse in this thread (the one chosen in their composer)."""
    from tandem.threads.models import Participant

    if not user.is_authenticated:
        return None
    mine = list(
        Participant.objects.filter(thread_id=thread_id, writer=user, left_at__isnull=True)
        .select_related("muse")
        .order_by("position", "pk")
    )
    if not mine:
        return None
    for participant in mine:
        if str(participant.muse_id) == str(muse_id):
            return participant.muse.name
    return mine[0].muse.name


@database_sync_to_async
def _queue_message(user) -> dict:
    from tandem.live.publish import queue_message

    return queue_message(user)


class LiveConsumer(AsyncJsonWebsocketConsumer):
    """Shared plumbing: one group per socket, joined after the permission check."""

    group: str | None = None

    async def __call__(self, scope, receive, send) -> None:
        try:
            await super().__call__(scope, receive, send)
        except (RedisError, OSError) as error:
            # The broker went away: the page reconnects later, and keeps working meanwhile.
            logger.warning("live socket dropped, channel layer unavailable: %s", error)
            with contextlib.suppress(Exception):  # unless it is closed already
                await send({"type": "websocket.close", "code": CLOSE_UNAVAILABLE})

    async def join(self, group: str) -> bool:
        try:
            await self.channel_layer.group_add(group, self.channel_name)
        except Exception as error:  # the channel layer (Redis) is unreachable
            logger.warning("live updates unavailable: cannot join %s: %s", group, error)
            await self.accept()
            await self.close(code=CLOSE_UNAVAILABLE)
            return False
        self.group = group
        await self.accept()
        return True

    async def refuse(self) -> None:
        # Accept first: a handshake refused outright reaches the browser without a code,
        # and the page could not tell "not allowed" from "server away".
        await self.accept()
        await self.close(code=CLOSE_FORBIDDEN)

    async def disconnect(self, code) -> None:
        if self.group is None:
            return
        try:
            await self.channel_layer.group_discard(self.group, self.channel_name)
        except Exception as error:
            logger.warning("live updates: cannot leave %s: %s", self.group, error)

    async def receive(self, text_data=None, bytes_data=None, **kwargs) -> None:
        # Ignore what is not a JSON object instead of dropping the connection over it.
        if not text_data:
            return
        try:
            content = json.loads(text_data)
        except ValueError:
            return
        if isinstance(content, dict):
            await self.receive_json(content, **kwargs)

    async def receive_json(self, content, **kwargs) -> None:
        return None

    async def forward(self, event: dict) -> None:
        await self.send_json({k: v for k, v in event.items() if not k.startswith("_")})


class OneThreadConsumer(LiveConsumer):
    """A socket about one thread, let go (4403) as soon as its user loses access."""

    thread_id: int | None = None
    forbidden = False

    async def let_go(self) -> None:
        self.forbidden = True  # nothing more reaches it, whatever is still queued
        await self.close(code=CLOSE_FORBIDDEN)
        await self.disconnect(CLOSE_FORBIDDEN)  # leave the group now, not when the peer goes
        self.group = None

    async def forward(self, event: dict) -> None:
        if not self.forbidden:
            await super().forward(event)


class ThreadConsumer(OneThreadConsumer):
    """``/ws/threads/<public_id>/``: posts, turn changes and presence for one thread."""

    last_typing = 0.0

    async def connect(self) -> None:
        self.user = _user(self.scope)
        public_id = self.scope["url_route"]["kwargs"]["public_id"]
        self.thread_id = await _readable_thread_id(public_id, self.user)
        if self.thread_id is None:
            await self.refuse()
            return
        if not await self.join(thread_group(self.thread_id)):
            return
        # Access may have been lost between the check and joining the group, and the
        # "access" message sent before this socket could hear it: check once more.
        if not await _still_readable(self.thread_id, self.user):
            await self.let_go()

    async def receive_json(self, content, **kwargs) -> None:
        if content.get("type") != "typing" or self.group is None:
            return
        now = time.monotonic()
        if now - self.last_typing < TYPING_MIN_INTERVAL:
            return
        self.last_typing = now
        muse = await _typing_muse_name(self.thread_id, self.user, content.get("muse"))
        if muse is None:  # only writers in the thread are "writing"
            return
        await self.channel_layer.group_send(
            self.group,
            {
                "type": "presence",
                "muse": muse,
                "writer": self.user.username,
                "expires_in": PRESENCE_SECONDS,
                "_writer_id": self.user.pk,
            },
        )

    # Group messages, by their "type".

    async def post(self, event: dict) -> None:
        await self.forward(event)

    async def turn(self, event: dict) -> None:
        await self.forward(event)

    async def presence(self, event: dict) -> None:
        # Never back to the writer who is typing, in this tab or any other.
        if event.get("_writer_id") == getattr(self.user, "pk", None):
            return
        await self.forward(event)

    async def access(self, event: dict) -> None:
        """Somebody left or was removed, an invitation was declined or withdrawn, or the
        thread was made private: whoever may no longer read the thread is let go. The
        check reads the database as it is now, not what the socket knew when it opened."""
        if not await _still_readable(self.thread_id, self.user):
            await self.let_go()


class OocConsumer(OneThreadConsumer):
    """``/ws/threads/<public_id>/ooc/``: new OOC talk, for the thread's writers only.

    Its own socket and group, so no reader of the story — a stranger on a public thread, a
    writer who left — is ever in a group that hears of OOC talk. The same close-and-let-go
    as the thread's socket, with a stricter rule: being one of the thread's writers.
    """

    async def connect(self) -> None:
        self.user = _user(self.scope)
        public_id = self.scope["url_route"]["kwargs"]["public_id"]
        self.thread_id = await _writer_thread_id(public_id, self.user)
        if self.thread_id is None:
            await self.refuse()
            return
        if not await self.join(ooc_group(self.thread_id)):
            return
        if not await _still_writer(self.thread_id, self.user):
            await self.let_go()

    async def receive_json(self, content, **kwargs) -> None:
        return None  # nothing to say on this socket: OOC is written through its form

    async def ooc(self, event: dict) -> None:
        await self.forward(event)

    async def access(self, event: dict) -> None:
        """A writer left or was removed: whoever is no longer a writer here is let go."""
        if not await _still_writer(self.thread_id, self.user):
            await self.let_go()


class WriterConsumer(LiveConsumer):
    """``/ws/me/``: the signed-in writer's queue count, for the navigation and home page."""

    async def connect(self) -> None:
        self.user = _user(self.scope)
        if self.user is None or not self.user.is_authenticated:
            await self.refuse()
            return
        if await self.join(writer_group(self.user.pk)):
            # A page that reconnects after a gap catches up at once.
            message = await _queue_message(self.user)
            await self.send_json({**message, "initial": True})

    async def queue(self, event: dict) -> None:
        await self.forward(event)
