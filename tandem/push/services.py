"""Web Push: keeping a writer's device subscriptions and delivering notifications to them.

How it works, in order:

1. The devices page's script (``tandem/pwa.js``) asks the browser for a push subscription
   with our VAPID public key and posts it here (``subscription_save``). The endpoint must be
   https (plain http only for a local test endpoint, when ``settings.DEBUG`` or
   ``TANDEM_PUSH_ALLOW_INSECURE`` says so); a writer keeps at most
   ``TANDEM_PUSH_MAX_DEVICES`` subscriptions.
2. ``tandem.notifications.services.notify`` decides *whether* a notification goes out by
   push (the writer's channel preferences, quiet hours) and enqueues ``tasks.send_push``
   on commit, so a rolled-back request pushes nothing and no request waits on a push service.
3. ``deliver`` (in the worker) re-checks that the news still concerns the writer and is
   unread, then encrypts one small JSON payload per device with pywebpush (RFC 8291,
   aes128gcm), signs a VAPID JWT (RFC 8292) with the key in the data dir, and POSTs it
   through the webhooks' guarded connection (every resolved address checked, no redirects).
4. A 404 or 410 from the push service means the subscription is gone for good: its row is
   deleted. Other failures are recorded on the row and shown on the devices page.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
from urllib.parse import urlsplit

import urllib3
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from py_vapid import Vapid
from pywebpush import WebPusher

from tandem.accounts.models import User
from tandem.notifications.models import Notification
from tandem.push.models import PushSubscription

logger = logging.getLogger("tandem.push")

# Push services accept 4096 bytes of encrypted body; aes128gcm adds 86 bytes of header and
# 17 of padding and tag. Staying well under leaves room for a longer URL.
MAX_PAYLOAD_BYTES = 3000
# A phone that stays offline longer than this would get stale news: let it drop.
TTL_SECONDS = 24 * 3600
GONE_STATUSES = (404, 410)


def _b64url_decode(value: str) -> bytes:
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


def _check_endpoint(endpoint: str) -> None:
    parts = urlsplit(endpoint)
    if parts.scheme == "https" and parts.hostname:
        return
    allow_insecure = settings.DEBUG or settings.TANDEM_PUSH_ALLOW_INSECURE
    if allow_insecure and parts.scheme == "http" and parts.hostname in ("127.0.0.1", "localhost"):
        return
    raise ValidationError({"endpoint": "A push endpoint must be an https:// address."})


def _check_keys(p256dh: str, auth: str) -> None:
    """The browser's P-256 public key (65 bytes, uncompressed) and 16-byte auth secret."""
    try:
        if len(_b64url_decode(p256dh)) != 65 or len(_b64url_decode(auth)) != 16:
            raise ValueError
    except (ValueError, binascii.Error):
        raise ValidationError({"keys": "The subscription's keys are not valid."}) from None


# (token in the User-Agent, name shown), first match wins: Edge and Opera also say Chrome,
# Chrome also says Safari, Android also says Linux.
BROWSERS = (
    ("Edg/", "Edge"),
    ("OPR/", "Opera"),
    ("SamsungBrowser", "Samsung Internet"),
    ("Firefox/", "Firefox"),
    ("Chrome/", "Chrome"),
    ("Chromium/", "Chromium"),
    ("Safari/", "Safari"),
)
SYSTEMS = (
    ("Android", "Android"),
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Windows", "Windows"),
    ("Mac OS X", "macOS"),
    ("CrOS", "ChromeOS"),
    ("Linux", "Linux"),
)


def _first_named(agent: str, table: tuple[tuple[str, str], ...]) -> str | None:
    return next((name for token, name in table if token in agent), None)


def device_label(user_agent: str) -> str:
    """'Firefox on Android' from a User-Agent header: enough to tell devices apart."""
    browser = _first_named(user_agent or "", BROWSERS) or "A browser"
    system = _first_named(user_agent or "", SYSTEMS)
    return f"{browser} on {system}" if system else browser


@transaction.atomic
def subscription_save(
    *, writer: User, endpoint: str, p256dh: str, auth: str, user_agent: str = ""
) -> PushSubscription:
    """Keep (or refresh) one browser's subscription for this writer."""
    endpoint = endpoint.strip()
    _check_endpoint(endpoint)
    _check_keys(p256dh, auth)
    existing = PushSubscription.objects.select_for_update().filter(endpoint=endpoint).first()
    if existing is None or existing.writer_id != writer.pk:
        # Lock the writer's row so two devices subscribing at once cannot both pass the cap.
        User.objects.select_for_update().filter(pk=writer.pk).first()
        if writer.push_subscriptions.count() >= settings.TANDEM_PUSH_MAX_DEVICES:
            raise ValidationError(
                f"You already receive notifications on {settings.TANDEM_PUSH_MAX_DEVICES} "
                "devices: remove one first."
            )
    subscription = existing or PushSubscription(endpoint=endpoint)
    subscription.writer = writer
    subscription.p256dh, subscription.auth = p256dh, auth
    subscription.label = device_label(user_agent)[:100]
    subscription.last_error = ""
    subscription.full_clean()
    subscription.save()
    return subscription


def subscription_remove(*, writer: User, subscription: PushSubscription) -> None:
    """Forget one device. The view finds it among the writer's own (404 otherwise); this
    check keeps any other caller honest."""
    if subscription.writer_id != writer.pk:
        raise PermissionDenied("Not your device.")
    subscription.delete()


def subscription_remove_endpoint(*, writer: User, endpoint: str) -> int:
    """The page script unsubscribed this browser: forget it (only if it is this writer's)."""
    deleted, _ = PushSubscription.objects.filter(writer=writer, endpoint=endpoint).delete()
    return deleted


# ---------------------------------------------------------------------------- delivering


def vapid() -> Vapid:
    return Vapid.from_file(private_key_file=str(settings.TANDEM_VAPID_KEY_FILE))


def application_server_key() -> str:
    """The VAPID public key as browsers want it: the raw point, base64url without padding."""
    from cryptography.hazmat.primitives import serialization

    raw = vapid().public_key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _contact() -> str:
    """The VAPID 'sub' claim: how a push service's operator can reach this site's admin."""
    if settings.TANDEM_PUSH_CONTACT:
        return settings.TANDEM_PUSH_CONTACT
    site = settings.TANDEM_SITE_URL.rstrip("/")
    return site if site.startswith("https://") else "mailto:tandem@localhost"


def payload(notification: Notification) -> bytes:
    """What the service worker shows: title, body, where a tap goes, and a tag so news of
    one thread replaces the last instead of piling up. Cut to fit the size limit."""
    data = {
        "title": "Tandem",
        "body": notification.text,
        "url": notification.url,
        "tag": f"{notification.kind}-{notification.thread_id or notification.pk}",
    }
    body = json.dumps(data, ensure_ascii=False).encode()
    while len(body) > MAX_PAYLOAD_BYTES and data["body"]:
        data["body"] = data["body"][: len(data["body"]) // 2] + "…"
        body = json.dumps(data, ensure_ascii=False).encode()
    if len(body) > MAX_PAYLOAD_BYTES:
        data["url"] = "/notifications/"
        body = json.dumps(data, ensure_ascii=False).encode()
    return body


def send(subscription: PushSubscription, body: bytes, *, signer: Vapid | None = None) -> str:
    """Encrypt and POST one message to one device; record the outcome on its row."""
    from tandem.notifications import webhooks

    info = {
        "endpoint": subscription.endpoint,
        "keys": {"p256dh": subscription.p256dh, "auth": subscription.auth},
    }
    encoded = WebPusher(info).encode(body, content_encoding="aes128gcm")
    parts = urlsplit(subscription.endpoint)
    claims = {
        "sub": _contact(),
        "aud": f"{parts.scheme}://{parts.netloc}",
        "exp": int(timezone.now().timestamp()) + 12 * 3600,
    }
    headers = {
        **(signer or vapid()).sign(claims),
        "Content-Encoding": "aes128gcm",
        "Content-Type": "application/octet-stream",
        "TTL": str(TTL_SECONDS),
        "Urgency": "normal",
    }
    try:
        status = webhooks.post(subscription.endpoint, body=encoded["body"], headers=headers)
    except (webhooks.Refused, urllib3.exceptions.HTTPError, OSError, ValueError) as error:
        # Unreachable, refused by the network guard or cut off: one failed delivery.
        logger.info("push to %s failed: %s", subscription.pk, error)
        _record(subscription, error=f"Could not reach the push service ({type(error).__name__})")
        return "failed"
    if status in GONE_STATUSES:
        # The browser unsubscribed or the subscription expired: it will never work again.
        PushSubscription.objects.filter(pk=subscription.pk).delete()
        return "expired"
    if 200 <= status < 300:
        _record(subscription, error="")
        return "sent"
    _record(subscription, error=webhooks.could_not_deliver(status))
    return "failed"


def _record(subscription: PushSubscription, *, error: str) -> None:
    fields = {"last_error": error[:300]}
    if not error:
        fields["last_success_at"] = timezone.now()
    PushSubscription.objects.filter(pk=subscription.pk).update(**fields)


def deliver(notification_id: int) -> dict[str, int]:
    """Push one notification to every device of its recipient; counts by outcome.

    Runs in the worker, outside any transaction: a slow push service holds no lock."""
    from tandem.notifications.services import still_concerns

    notification = (
        Notification.objects.select_related("recipient", "thread")
        .filter(pk=notification_id)
        .first()
    )
    outcomes: dict[str, int] = {}
    if notification is None or notification.read_at is not None:
        return outcomes  # gone, or seen or settled meanwhile (e.g. after quiet hours)
    if not notification.recipient.is_active or not still_concerns(notification):
        return outcomes
    body = payload(notification)
    signer = vapid()
    for subscription in PushSubscription.objects.filter(writer=notification.recipient_id):
        outcome = send(subscription, body, signer=signer)
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    return outcomes
