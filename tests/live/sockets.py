"""An in-process WebSocket client for the ASGI application.

This is what channels' ``WebsocketCommunicator`` does (both drive the app through asgiref's
``ApplicationCommunicator``); that one cannot be imported without daphne, which this
project does not install.
"""

from __future__ import annotations

import json

from asgiref.testing import ApplicationCommunicator
from django.test import Client

ORIGIN = b"http://localhost"


def session_headers(user=None, *, origin: bytes | None = ORIGIN) -> list[tuple[bytes, bytes]]:
    """Headers of a browser on this site: its Origin and, for a user, a session cookie."""
    headers = []
    if origin is not None:
        headers.append((b"origin", origin))
    if user is not None:
        client = Client()
        client.force_login(user)
        cookie = client.cookies["sessionid"].value
        headers.append((b"cookie", f"sessionid={cookie}".encode()))
    return headers


class WebSocket(ApplicationCommunicator):
    def __init__(self, application, path: str, headers=None):
        super().__init__(
            application,
            {
                "type": "websocket",
                "path": path,
                "raw_path": path.encode(),
                "query_string": b"",
                "headers": headers or [],
                "subprotocols": [],
                "client": ("127.0.0.1", 50000),
                "server": ("localhost", 80),
            },
        )

    async def connect(self, timeout: float = 2) -> tuple[bool, int | None]:
        """(True, None) once accepted; (False, code) if refused during the handshake."""
        await self.send_input({"type": "websocket.connect"})
        response = await self.receive_output(timeout)
        if response["type"] == "websocket.close":
            return False, response.get("code", 1000)
        assert response["type"] == "websocket.accept", response
        return True, None

    async def send_json(self, data) -> None:
        await self.send_input({"type": "websocket.receive", "text": json.dumps(data)})

    async def send_text(self, text: str) -> None:
        await self.send_input({"type": "websocket.receive", "text": text})

    async def receive_json(self, timeout: float = 2) -> dict:
        response = await self.receive_output(timeout)
        assert response["type"] == "websocket.send", response
        return json.loads(response["text"])

    async def receive_until(self, wanted: str, timeout: float = 2) -> tuple[dict, list[dict]]:
        """The first message of type ``wanted``, and every message before it."""
        before = []
        while True:
            message = await self.receive_json(timeout)
            if message["type"] == wanted:
                return message, before
            before.append(message)

    async def receive_close(self, timeout: float = 2) -> int:
        response = await self.receive_output(timeout)
        assert response["type"] == "websocket.close", response
        return response.get("code", 1000)

    async def disconnect(self, code: int = 1000, timeout: float = 2) -> None:
        await self.send_input({"type": "websocket.disconnect", "code": code})
        await self.wait(timeout)
