"""A real push service for the tests: a small HTTP server on loopback, in a thread.

It does what a push service and the browser behind it would: it checks the VAPID
``Authorization: vapid t=…, k=…`` header (an ES256 JWT signed by the key whose public half
is ``k``, for this endpoint's origin, not expired, with a contact), and decrypts the
RFC 8291 (aes128gcm) body with the subscription's private key, the way the browser would.
Nothing of pywebpush is mocked: what arrives here is exactly what Tandem sent.
"""

from __future__ import annotations

import base64
import json
import os
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import http_ece
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class Device:
    """A browser's side of one subscription: its key pair and auth secret."""

    endpoint: str
    private_key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )
    auth_secret: bytes = field(default_factory=lambda: os.urandom(16))

    @property
    def p256dh(self) -> str:
        return b64url(
            self.private_key.public_key().public_bytes(
                serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
            )
        )

    def subscription_json(self) -> dict:
        """What the browser's ``PushSubscription.toJSON()`` gives the page script."""
        return {
            "endpoint": self.endpoint,
            "expirationTime": None,
            "keys": {"p256dh": self.p256dh, "auth": b64url(self.auth_secret)},
        }


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    answered: int


def verify_vapid(authorization: str, *, audience: str) -> tuple[dict, str]:
    """Check a VAPID header as a push service must; the JWT's claims and the public key."""
    scheme, _, params = authorization.partition(" ")
    assert scheme == "vapid", authorization
    values = dict(part.strip().split("=", 1) for part in params.split(","))
    token, public_key_b64 = values["t"], values["k"]
    header_b64, claims_b64, signature_b64 = token.split(".")
    header = json.loads(unb64url(header_b64))
    assert header == {"typ": "JWT", "alg": "ES256"}
    signature = unb64url(signature_b64)
    assert len(signature) == 64  # raw r || s, as JWS ES256 wants
    public_key = ec.EllipticCurvePublicKey.from_encoded_point(
        ec.SECP256R1(), unb64url(public_key_b64)
    )
    der = encode_dss_signature(
        int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
    )
    # Raises InvalidSignature when the token was not signed by the key it names.
    public_key.verify(der, f"{header_b64}.{claims_b64}".encode(), ec.ECDSA(hashes.SHA256()))
    claims = json.loads(unb64url(claims_b64))
    assert claims["aud"] == audience
    assert time.time() < claims["exp"] <= time.time() + 24 * 3600  # RFC 8292: at most a day
    assert claims["sub"].startswith(("mailto:", "https://"))
    return claims, public_key_b64


class PushService:
    """The endpoint's owner: records every POST; ``answer`` sets the status per path."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.answer: dict[str, int] = {}
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                status = service.answer.get(self.path, 201)
                service.received.append(Received(self.path, dict(self.headers), body, status))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format, *args) -> None:  # keep test output quiet
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def device(self, name: str = "phone") -> Device:
        return Device(endpoint=f"{self.origin}/push/{name}")

    def open(self, received: Received, device: Device) -> dict:
        """Verify and decrypt one message as the browser and push service would."""
        headers = {key.lower(): value for key, value in received.headers.items()}
        assert headers["content-encoding"] == "aes128gcm"
        assert int(headers["ttl"]) > 0
        claims, key = verify_vapid(headers["authorization"], audience=self.origin)
        plain = http_ece.decrypt(
            received.body,
            private_key=device.private_key,
            auth_secret=device.auth_secret,
            version="aes128gcm",
        )
        return {"claims": claims, "key": key, "payload": json.loads(plain)}

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def push_service(settings):
    """The local push service, and Tandem allowed to reach it over loopback http."""
    settings.TANDEM_PUSH_ALLOW_INSECURE = True
    settings.TANDEM_WEBHOOK_ALLOW_PRIVATE = True  # push shares the webhooks' network guard
    service = PushService()
    yield service
    service.stop()
