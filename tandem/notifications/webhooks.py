"""Delivering notifications to writers' webhooks (Discord-compatible JSON, HMAC-signed)."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import logging
import secrets
import socket
from datetime import timedelta
from urllib.parse import SplitResult, urlsplit

import urllib3
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


log = logging.getLogger(__name__)

# What the writer sees about a failed attempt: fixed sentences, never an exception's text
# (which can carry internal host names, addresses or TLS details). Details go to the log.
COULD_NOT_CONNECT = "Could not connect"
NOT_PUBLIC = "Could not deliver: the address is not public"


def could_not_deliver(status_code: int) -> str:
    return f"Could not deliver (status {status_code})"


class Refused(Exception):
    """The host does not resolve, or resolves to an address webhooks may not reach.
    The message is for the log only."""

    def __init__(self, detail: str, *, unknown_host: bool = False):
        super().__init__(detail)
        self.unknown_host = unknown_host


def _is_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    mapped = getattr(address, "ipv4_mapped", None)
    if mapped is not None:  # ::ffff:127.0.0.1 is loopback however it is written
        address = mapped
    return address.is_global and not (
        address.is_multicast
        or address.is_reserved
        or address.is_loopback
        or address.is_link_local
        or address.is_private
        or address.is_unspecified
    )


def _parse(url: str) -> SplitResult:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationError({"url": "Use an http:// or https:// address."})
    try:
        parts.port  # noqa: B018 — raises ValueError on a port out of range
    except ValueError:
        raise ValidationError({"url": "That port is not a valid number."}) from None
    return parts


def _default_port(parts: SplitResult) -> int:
    return parts.port or (443 if parts.scheme == "https" else 80)


def resolve(
    parts: SplitResult,
) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    """Look the host up once and check EVERY address it resolves to (unless private
    addresses are allowed): a name with one public and one private address is refused,
    since we could not promise which one a later connection would use. The caller then
    connects to these exact addresses, so the name cannot be re-pointed in between."""
    try:
        infos = socket.getaddrinfo(parts.hostname, _default_port(parts), type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, OSError) as failure:
        raise Refused(f"cannot resolve {parts.hostname!r}: {failure}", unknown_host=True) from None
    addresses = []
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%", 1)[0])  # drop an IPv6 zone
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise Refused(f"no address for {parts.hostname!r}", unknown_host=True)
    if not settings.TANDEM_WEBHOOK_ALLOW_PRIVATE:
        private = [str(a) for a in addresses if not _is_public(a)]
        if private:
            raise Refused(f"{parts.hostname!r} resolves to non-public {', '.join(private)}")
    return addresses


def check_url(url: str) -> None:
    """http(s) only, and — unless tests allow it — no loopback, private or link-local hosts."""
    parts = _parse(url)
    if settings.TANDEM_WEBHOOK_ALLOW_PRIVATE:
        return
    try:
        resolve(parts)
    except Refused as failure:
        if failure.unknown_host:
            raise ValidationError({"url": f"Cannot find the host “{parts.hostname}”."}) from None
        raise ValidationError(
            {"url": "That address points into a private network; webhooks must be public."}
        ) from None


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
        # A retry can come long after the first try: a writer who has left the thread since
        # hears nothing more about it, not even its current title.
        from tandem.notifications.services import still_concerns

        if not still_concerns(delivery.notification):
            delivery.status = DeliveryStatus.FAILED
            delivery.last_error = "no longer in the thread"
            delivery.save(update_fields=["status", "last_error"])
            return "dropped"
        delivery.attempts += 1
        delivery.save(update_fields=["attempts"])
    body = json.dumps(payload(delivery.notification), ensure_ascii=False).encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Tandem-Webhook/1",
        SIGNATURE_HEADER: sign(hook.secret, body),
        "X-Tandem-Event": delivery.notification.kind,
        "X-Tandem-Delivery": str(delivery.pk),
    }
    status_code, error = None, ""
    try:
        status_code = post(hook.url, body=body, headers=headers)
    except Refused as failure:
        log.warning("webhook %s delivery %s refused: %s", hook.pk, delivery.pk, failure)
        error = COULD_NOT_CONNECT if failure.unknown_host else NOT_PUBLIC
    except (urllib3.exceptions.HTTPError, OSError, ValueError, ValidationError) as failure:
        log.warning("webhook %s delivery %s failed: %r", hook.pk, delivery.pk, failure)
        error = COULD_NOT_CONNECT
    return _record_attempt(delivery.pk, status_code, error)


def post(url: str, *, body: bytes, headers: dict[str, str]) -> int:
    """POST `body` to `url` and return the status code, without following redirects.

    The host is resolved once (`resolve`, which checks every address) and the connection
    goes to one of those checked addresses, with the original name in the Host header and,
    for https, in SNI and the certificate check. So a name re-pointed between the check and
    the connection (DNS rebinding) cannot steer the request inside. A 3xx is returned as
    it is: the caller counts it as a failed delivery, so a redirect cannot lead inside either.
    urllib3 (not urllib.request) also ignores proxy variables from the environment."""
    parts = _parse(url)
    port = _default_port(parts)
    addresses = resolve(parts)
    host = parts.hostname
    host_header = f"[{host}]" if ":" in host else host
    if parts.port:
        host_header += f":{parts.port}"
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    timeout = urllib3.Timeout(total=settings.TANDEM_WEBHOOK_TIMEOUT)
    failure: Exception | None = None
    for address in addresses:
        if parts.scheme == "https":
            pool = urllib3.HTTPSConnectionPool(
                str(address),
                port,
                timeout=timeout,
                retries=False,
                maxsize=1,
                cert_reqs="CERT_REQUIRED",
                server_hostname=host,  # SNI, and the name the certificate must match
            )
        else:
            pool = urllib3.HTTPConnectionPool(
                str(address), port, timeout=timeout, retries=False, maxsize=1
            )
        try:
            response = pool.urlopen(
                "POST",
                target,
                body=body,
                headers={**headers, "Host": host_header},
                redirect=False,
                retries=False,
                assert_same_host=False,
                preload_content=False,  # only the status matters; never read a huge body
            )
            response.release_conn()
            return response.status
        except urllib3.exceptions.NewConnectionError as error:
            # This address did not answer (e.g. IPv6 without a route): try the next checked one.
            failure = error
        finally:
            pool.close()
    assert failure is not None
    raise failure


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
    delivery.last_error = error or could_not_deliver(status_code)
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
