"""Delivering notifications to writers' webhooks (Discord-compatible JSON, HMAC-signed)."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import secrets
import socket
import urllib.error
import urllib.request
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from tandem.accounts.models import User
from tandem.notifications.models import (
    DeliveryStatus,
    Kind,
    Notification,
    Webhook,
    WebhookDelivery,
)

SIGNATURE_HEADER = "X-Tandem-Signature"
MAX_WEBHOOKS = 10


def check_url(url: str) -> None:
    """http(s) only, and — unless tests allow it — no loopback, private or link-local hosts."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationError({"url": "Use an http:// or https:// address."})
    if settings.TANDEM_WEBHOOK_ALLOW_PRIVATE:
        return
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 443, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError):
        raise ValidationError({"url": f"Cannot find the host “{parts.hostname}”."}) from None
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not address.is_global:
            raise ValidationError(
                {"url": "That address points into a private network; webhooks must be public."}
            )


def webhook_add(*, writer: User, url: str, kinds: list[str]) -> Webhook:
    url = url.strip()
    check_url(url)
    kinds = [k for k in kinds if k in Kind.values]
    if not kinds:
        raise ValidationError({"kinds": "Choose at least one event to send."})
    if writer.webhooks.count() >= MAX_WEBHOOKS:
        raise ValidationError(f"You already have {MAX_WEBHOOKS} webhooks.")
    return Webhook.objects.create(writer=writer, url=url, kinds=kinds, secret=secrets.token_hex(32))


def webhook_remove(*, webhook: Webhook, writer: User) -> None:
    if webhook.writer_id != writer.pk:
        raise PermissionDenied("That webhook is not yours.")
    webhook.delete()


def webhook_enable(*, webhook: Webhook, writer: User) -> Webhook:
    if webhook.writer_id != writer.pk:
        raise PermissionDenied("That webhook is not yours.")
    webhook.disabled_at = None
    webhook.consecutive_failures = 0
    webhook.save(update_fields=["disabled_at", "consecutive_failures"])
    return webhook


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def payload(notification: Notification) -> dict:
    """Discord's webhook format (content, username, embeds); other receivers read it as JSON."""
    from tandem.notifications.services import site_url

    url = site_url(notification.url)
    embed = {
        "title": notification.thread.title[:256] if notification.thread else "Tandem",
        "url": url,
        "description": notification.text,
        "timestamp": notification.created_at.isoformat(),
        "footer": {"text": notification.get_kind_display()},
    }
    return {
        "content": f"{notification.text} {url}",
        "username": "Tandem",
        "embeds": [embed],
        "tandem": {"event": notification.kind, "notification_id": notification.pk},
    }


def fan_out(notification_id: int) -> list[int]:
    """One delivery per active webhook of the recipient that wants this event."""
    notification = Notification.objects.filter(pk=notification_id).first()
    if notification is None:
        return []
    created = []
    for hook in Webhook.objects.filter(
        writer_id=notification.recipient_id, disabled_at__isnull=True
    ):
        if notification.kind not in hook.kinds:
            continue
        delivery, is_new = WebhookDelivery.objects.get_or_create(
            webhook=hook, notification=notification
        )
        if is_new:
            created.append(delivery.pk)
    return created


def _retry_delay(attempts: int) -> timedelta:
    return timedelta(seconds=settings.TANDEM_WEBHOOK_RETRY_BASE_SECONDS * 2 ** (attempts - 1))


def attempt(delivery_id: int) -> str:
    """POST one delivery once. Returns "sent", "retry", "failed" or why nothing was done;
    the caller schedules the retry."""
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update(of=("self",))
            .select_related("webhook", "notification__thread")
            .filter(pk=delivery_id)
            .first()
        )
        if delivery is None or delivery.status != DeliveryStatus.PENDING:
            return "done"
        hook = delivery.webhook
        if not hook.is_active:
            delivery.status = DeliveryStatus.FAILED
            delivery.last_error = "webhook switched off"
            delivery.save(update_fields=["status", "last_error"])
            return "failed"
        delivery.attempts += 1
        delivery.save(update_fields=["attempts"])
    body = json.dumps(payload(delivery.notification), ensure_ascii=False).encode()
    request = urllib.request.Request(
        hook.url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": "Tandem-Webhook/1",
            SIGNATURE_HEADER: sign(hook.secret, body),
            "X-Tandem-Event": delivery.notification.kind,
            "X-Tandem-Delivery": str(delivery.pk),
        },
    )
    status_code, error = None, ""
    try:
        check_url(hook.url)  # again at send time: the name may point elsewhere now
        with urllib.request.urlopen(request, timeout=settings.TANDEM_WEBHOOK_TIMEOUT) as response:
            status_code = response.status
    except urllib.error.HTTPError as failure:
        status_code, error = failure.code, f"HTTP {failure.code}"
    except ValidationError as failure:
        error = " ".join(failure.messages)
    except (urllib.error.URLError, OSError, ValueError) as failure:
        error = str(getattr(failure, "reason", failure))[:300]
    return _record_attempt(delivery.pk, status_code, error)


@transaction.atomic
def _record_attempt(delivery_id: int, status_code: int | None, error: str) -> str:
    delivery = (
        WebhookDelivery.objects.select_for_update(of=("self",))
        .select_related("webhook")
        .get(pk=delivery_id)
    )
    hook = Webhook.objects.select_for_update().get(pk=delivery.webhook_id)
    now = timezone.now()
    delivery.last_status_code = status_code
    if status_code is not None and 200 <= status_code < 300:
        delivery.status, delivery.sent_at, delivery.last_error = DeliveryStatus.SENT, now, ""
        delivery.save(update_fields=["status", "sent_at", "last_error", "last_status_code"])
        hook.consecutive_failures, hook.last_success_at, hook.last_error = 0, now, ""
        hook.save(update_fields=["consecutive_failures", "last_success_at", "last_error"])
        return "sent"
    delivery.last_error = error or f"HTTP {status_code}"
    if delivery.attempts < settings.TANDEM_WEBHOOK_MAX_ATTEMPTS:
        delivery.save(update_fields=["last_error", "last_status_code"])
        return "retry"
    delivery.status = DeliveryStatus.FAILED
    delivery.save(update_fields=["status", "last_error", "last_status_code"])
    hook.consecutive_failures += 1
    hook.last_error = delivery.last_error
    fields = ["consecutive_failures", "last_error"]
    if (
        hook.consecutive_failures >= settings.TANDEM_WEBHOOK_DISABLE_AFTER
        and hook.disabled_at is None
    ):
        hook.disabled_at = now
        fields.append("disabled_at")
        transaction.on_commit(lambda: _tell_writer_disabled(hook.pk))
    hook.save(update_fields=fields)
    return "failed"


def _tell_writer_disabled(webhook_id: int) -> None:
    from django.urls import reverse

    from tandem.notifications.services import notify

    hook = Webhook.objects.select_related("writer").get(pk=webhook_id)
    notify(
        recipient=hook.writer,
        kind=Kind.WEBHOOK_DISABLED,
        thread=None,
        actor=None,
        text=f"Your webhook {hook.url[:80]} failed {hook.consecutive_failures} deliveries in a row "
        "and was switched off.",
        url=reverse("webhooks"),
    )


def retry_after(delivery_id: int) -> timedelta:
    attempts = (
        WebhookDelivery.objects.filter(pk=delivery_id).values_list("attempts", flat=True).first()
    )
    return _retry_delay(attempts or 1)
