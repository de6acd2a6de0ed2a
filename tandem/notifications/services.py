"""The one place that decides who hears about what, and how.

``handle_event`` turns a thread event into notifications for the right writers; ``notify``
applies each writer's preferences (in-app, email, webhook; digest; quiet hours) and hands
email and webhook delivery to background tasks.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime, time, timedelta

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from tandem.accounts.models import User
from tandem.blocks.selectors import is_blocked_between
from tandem.notifications.models import (
    EMAIL_KINDS,
    PUSH_KINDS,
    Channel,
    Kind,
    Notification,
    NotificationSettings,
)
from tandem.threads.events import ThreadEvent, emit
from tandem.threads.models import (
    Invitation,
    InvitationStatus,
    OocMessage,
    Participant,
    Status,
    Thread,
)
from tandem.threads.permissions import is_writer
from tandem.threads.selectors import awaited_participants

logger = logging.getLogger("tandem.notifications")
UNSUBSCRIBE_SALT = "tandem.notifications.unsubscribe"


def settings_for(writer: User) -> NotificationSettings:
    prefs, _ = NotificationSettings.objects.get_or_create(writer=writer)
    return prefs


def site_url(path: str) -> str:
    return settings.TANDEM_SITE_URL.rstrip("/") + path


# ---------------------------------------------------------------------------- deciding


def _active(thread: Thread) -> list[Participant]:
    return list(
        thread.participants.filter(left_at__isnull=True)
        .select_related("muse", "writer")
        .order_by("position", "pk")
    )


def _writers(participants, *, excluding: int | None) -> dict[int, User]:
    return {p.writer_id: p.writer for p in participants if p.writer_id != excluding}


def handle_event(event: ThreadEvent) -> None:
    """Called after commit for every thread event (see tandem.threads.events)."""
    thread = Thread.objects.filter(pk=event.thread_id).select_related("owner").first()
    if thread is None:
        return
    url = thread.get_absolute_url()
    actor = User.objects.filter(pk=event.actor_id).first() if event.actor_id else None
    actor_name = actor.shown_name if actor else "Someone"

    # A writer who left (or was removed) is no longer awaited: their reminder goes too.
    if event.kind in ("turn_changed", "status_changed", "reminder_changed", "participant_left"):
        from tandem.notifications.reminders import reschedule

        awaited = awaited_participants(thread, _active(thread))
        reschedule(thread, list({p.writer_id: p.writer for p in awaited}.values()))
    # In a free thread every post is news for the others (see _post_created); the turn
    # moving there says nothing more.
    if event.kind == "turn_changed" and thread.status == Status.ACTIVE and thread.is_ordered:
        active = _active(thread)
        for participant in awaited_participants(thread, active):
            if participant.writer_id == event.actor_id:
                continue
            notify(
                recipient=participant.writer,
                kind=Kind.YOUR_TURN,
                thread=thread,
                actor=actor,
                text=f"Your turn as {participant.muse.name} in “{thread.title}”.",
                url=url + "?page=last#reply",
            )
    elif event.kind == "post_created":
        _post_created(thread, event, actor)
    elif event.kind == "invited":
        invitation = Invitation.objects.select_related("invitee", "claim_muse").get(
            pk=event.invitation_id
        )
        text = f"{actor_name} invited you to “{thread.title}”."
        if invitation.claim_muse is not None:
            text = (
                f"{actor_name} imported “{thread.title}” with posts by your muse "
                f"{invitation.claim_muse.name}: accept or decline them."
            )
        notify(
            recipient=invitation.invitee,
            kind=Kind.INVITED,
            thread=thread,
            actor=actor,
            text=text[:300],
            url=invitation.get_absolute_url(),
        )
    elif event.kind == "invitation_answered":
        invitation = Invitation.objects.select_related("invitee", "invited_by").get(
            pk=event.invitation_id
        )
        # Answered: the invitation's own notification has done its job.
        clear(writer=invitation.invitee, thread=thread, kinds=[Kind.INVITED])
        if hasattr(invitation, "join_request"):
            # Made by the owner accepting a starter's join request: the owner answered it
            # themselves, and tandem.starters tells the writer who asked.
            return
        verb = "accepted" if invitation.status == "accepted" else "declined"
        notify(
            recipient=invitation.invited_by,
            kind=Kind.INVITATION_ANSWERED,
            thread=thread,
            actor=actor,
            text=f"{invitation.invitee.shown_name} {verb} your invitation to “{thread.title}”.",
            url=url,
        )
    elif event.kind == "invitation_withdrawn":
        # Nothing left to answer: the invitee's bell stops pointing at it.
        invitation = Invitation.objects.filter(pk=event.invitation_id).first()
        if invitation is not None:
            clear(writer=invitation.invitee_id, thread=thread, kinds=[Kind.INVITED])
    elif event.kind == "participant_left":
        gone = Participant.objects.select_related("muse").get(pk=event.participant_id)
        verb = "was removed from" if event.data.get("removed") else "left"
        _tell_the_others(
            thread,
            event,
            actor,
            Kind.PARTICIPANT_LEFT,
            f"{gone.muse.name} {verb} “{thread.title}”.",
        )
    elif event.kind == "status_changed":
        label = dict(Status.choices).get(event.data.get("to"), thread.get_status_display())
        _tell_the_others(
            thread, event, actor, Kind.STATUS_CHANGED, f"“{thread.title}” is now {label.lower()}."
        )
    elif event.kind == "ooc_posted":
        message = OocMessage.objects.get(pk=event.ooc_id)
        active = _active(thread)
        mentioned = mentioned_participants(message.body, active)
        for participant in mentioned:
            # A writer who blocked the speaker (or was blocked) is not called by name.
            if participant.writer_id == event.actor_id or is_blocked_between(
                participant.writer_id, event.actor_id
            ):
                continue
            notify(
                recipient=participant.writer,
                kind=Kind.OOC_MENTION,
                thread=thread,
                actor=actor,
                text=f"{actor_name} mentioned {participant.muse.name} in OOC talk on “{thread.title}”.",
                url=reverse("thread-ooc", args=[thread.public_id]) + "#ooc-latest",
            )
        _ooc_to_the_others(thread, event, actor, active, {p.writer_id for p in mentioned})


def _post_created(thread: Thread, event: ThreadEvent, actor: User | None) -> None:
    """A post is the writer taking their turn: their own "your turn" and reminder news about
    this thread is settled. In a free thread it is the others' move: each hears of it once,
    until they have seen it (an unread "your turn" for the thread already says so)."""
    if actor is not None:
        clear(writer=actor, thread=thread, kinds=[Kind.YOUR_TURN, Kind.REMINDER])
    if thread.is_ordered or thread.status != Status.ACTIVE:
        return
    poster = Participant.objects.filter(posts__pk=event.post_id).select_related("muse").first()
    if poster is None:
        return
    waiting = set(
        Notification.objects.filter(
            kind=Kind.YOUR_TURN, thread=thread, read_at__isnull=True
        ).values_list("recipient_id", flat=True)
    )
    awaited = awaited_participants(thread, _active(thread))
    for writer in _writers(awaited, excluding=event.actor_id).values():
        if writer.pk in waiting:
            continue
        notify(
            recipient=writer,
            kind=Kind.YOUR_TURN,
            thread=thread,
            actor=actor,
            text=f"{poster.muse.name} posted in “{thread.title}”: your move (free order).",
            url=thread.get_absolute_url() + "?page=last#reply",
        )


def _ooc_to_the_others(
    thread: Thread, event: ThreadEvent, actor: User | None, active, mentioned: set[int]
) -> None:
    """New OOC talk, for the thread's other writers (its owner too, with or without a muse in
    it) who were not called by name already; a block between two writers keeps it quiet."""
    writers = _writers(active, excluding=event.actor_id)
    if thread.owner_id != event.actor_id:
        writers.setdefault(thread.owner_id, thread.owner)
    name = actor.shown_name if actor else "Someone"
    for writer_id, writer in writers.items():
        if writer_id in mentioned or is_blocked_between(writer_id, event.actor_id):
            continue
        notify(
            recipient=writer,
            kind=Kind.OOC_POSTED,
            thread=thread,
            actor=actor,
            text=f"{name} wrote in OOC talk on “{thread.title}”.",
            url=reverse("thread-ooc", args=[thread.public_id]) + "#ooc-latest",
        )


def _tell_the_others(thread: Thread, event: ThreadEvent, actor, kind: str, text: str) -> None:
    """Notify every writer in the thread except the one who acted."""
    for writer in _writers(_active(thread), excluding=event.actor_id).values():
        notify(
            recipient=writer,
            kind=kind,
            thread=thread,
            actor=actor,
            text=text,
            url=thread.get_absolute_url(),
        )


def still_concerns(notification: Notification) -> bool:
    """Whether the recipient may still hear this notification's news as it goes out.

    Emails, digests and webhooks go out later than the notification is made (quiet hours, a
    daily digest, the worker's queue): a writer who left the thread or was removed meanwhile
    hears nothing more about it, nor a writer whose invitation was withdrawn or declined.
    """
    thread = notification.thread
    if thread is None:
        return True
    recipient = notification.recipient
    if notification.kind == Kind.FOLLOWED_POST:
        # A follower: only while the thread is public, nobody is blocked and they follow.
        from tandem.follows.selectors import still_following

        return still_following(recipient, thread, notification.actor_id)
    if is_writer(thread, recipient):
        return True
    return (
        notification.kind == Kind.INVITED
        and thread.invitations.filter(invitee=recipient, status=InvitationStatus.PENDING).exists()
    )


def mentioned_participants(text: str, participants) -> list[Participant]:
    """Muses named in OOC text, as @name or by their name as a whole word (any case)."""
    found, seen_writers = [], set()
    for participant in participants:
        name = re.escape(participant.muse.name.strip())
        if not name:
            continue
        if re.search(rf"(?<![\w@])@?{name}(?!\w)", text, flags=re.IGNORECASE):
            key = (participant.writer_id, participant.muse_id)
            if key not in seen_writers:
                seen_writers.add(key)
                found.append(participant)
    return found


# ---------------------------------------------------------------------------- delivering


def _in_quiet_hours(prefs: NotificationSettings, now: datetime) -> datetime | None:
    """When quiet hours end, if ``now`` falls inside them (in the writer's time zone)."""
    start, end = prefs.quiet_hours_start, prefs.quiet_hours_end
    if start is None or end is None or start == end:
        return None
    zone = prefs.writer.zone
    local = now.astimezone(zone)
    clock = local.time()
    inside = (start <= clock < end) if start < end else (clock >= start or clock < end)
    if not inside:
        return None
    end_today = datetime.combine(local.date(), end, tzinfo=zone)
    if end_today <= local:
        end_today += timedelta(days=1)
    return end_today


def notify(
    *,
    recipient: User,
    kind: str,
    thread: Thread | None,
    actor: User | None,
    text: str,
    url: str,
) -> Notification | None:
    """Record a notification and send it on every channel the writer chose for it."""
    prefs = settings_for(recipient)
    channels = prefs.channels_for(kind)
    if not channels:
        return None
    if (
        thread is not None
        and Notification.objects.filter(
            recipient=recipient, kind=kind, thread=thread, text=text[:300], read_at__isnull=True
        ).exists()
    ):
        return None  # the same news is already waiting, unread
    notification = Notification.objects.create(
        recipient=recipient,
        kind=kind,
        thread=thread,
        actor=actor,
        text=text[:300],
        url=url[:300],
        in_app=Channel.IN_APP in channels,
    )
    from tandem.notifications import tasks

    if Channel.EMAIL in channels and kind in EMAIL_KINDS and not prefs.daily_digest:
        quiet_until = _in_quiet_hours(prefs, timezone.now())
        task = tasks.send_notification_email
        if quiet_until is not None:
            task = task.using(run_after=quiet_until)
        transaction.on_commit(lambda: task.enqueue(notification.pk))
    if Channel.WEBHOOK in channels and recipient.webhooks.filter(disabled_at__isnull=True).exists():
        transaction.on_commit(lambda: tasks.deliver_webhooks.enqueue(notification.pk))
    if Channel.PUSH in channels and kind in PUSH_KINDS:
        _push_on_commit(prefs, notification)
    return notification


def _push_on_commit(prefs: NotificationSettings, notification: Notification) -> None:
    """Push to the writer's devices from the worker once this commits; in quiet hours, when
    they end (the worker then skips it if the writer has seen the news meanwhile)."""
    from tandem.push import selectors as push_selectors
    from tandem.push import tasks as push_tasks

    if not push_selectors.has_devices(prefs.writer):
        return
    task = push_tasks.send_push
    quiet_until = _in_quiet_hours(prefs, timezone.now())
    if quiet_until is not None:
        task = task.using(run_after=quiet_until)
    transaction.on_commit(lambda: task.enqueue(notification.pk))


def unsubscribe_token(writer: User, kind: str) -> str:
    return signing.dumps({"w": writer.pk, "k": kind}, salt=UNSUBSCRIBE_SALT)


def unsubscribe(token: str) -> tuple[User, str] | None:
    """Turn off email for one kind of notification, from a signed link. None if invalid."""
    try:
        payload = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    writer = User.objects.filter(pk=payload.get("w")).first()
    kind = payload.get("k")
    if writer is None or kind not in Kind.values:
        return None
    prefs = settings_for(writer)
    channels = [c for c in prefs.channels_for(kind) if c != Channel.EMAIL]
    prefs.channels = {**prefs.channels, kind: channels}
    prefs.save(update_fields=["channels"])
    return writer, kind


def _build_email(notification: Notification, *, subject: str, template: str, context: dict):
    recipient = notification.recipient
    token = unsubscribe_token(recipient, notification.kind)
    unsubscribe_url = site_url(reverse("notifications-unsubscribe", args=[token]))
    context = {
        **context,
        "recipient": recipient,
        "unsubscribe_url": unsubscribe_url,
        "preferences_url": site_url(reverse("notification-preferences")),
        "kind_label": notification.get_kind_display(),
    }
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string(f"notifications/email/{template}.txt", context),
        to=[recipient.email],
        headers={
            # RFC 8058 one-click unsubscribe (RFC 2369 List-Unsubscribe).
            "List-Unsubscribe": f"<{unsubscribe_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
    message.attach_alternative(
        render_to_string(f"notifications/email/{template}.html", context), "text/html"
    )
    return message


@transaction.atomic
def email_send(notification_id: int) -> str:
    """Send one notification's email, at most once; returns what happened (for logs/tests)."""
    notification = (
        Notification.objects.select_for_update(of=("self",))
        .select_related("recipient", "thread")
        .filter(pk=notification_id)
        .first()
    )
    if notification is None:
        return "gone"
    if notification.emailed_at is not None:
        return "already sent"
    if notification.read_at is not None:
        return "already read"  # seen in Tandem, or settled by acting on it, meanwhile
    recipient = notification.recipient
    if not recipient.email or not recipient.is_active:
        return "no address"
    if not still_concerns(notification):
        return "no longer in the thread"
    if notification.kind == Kind.YOUR_TURN and notification.thread_id:
        window = timedelta(hours=settings.TANDEM_TURN_EMAIL_HOURS)
        recent = Notification.objects.filter(
            recipient=recipient,
            kind=Kind.YOUR_TURN,
            thread_id=notification.thread_id,
            emailed_at__gte=timezone.now() - window,
        ).exists()
        if recent:
            return "throttled"
    message = _build_email(
        notification,
        subject=notification.text,
        template="notification",
        context={"notification": notification, "url": site_url(notification.url)},
    )
    message.send()
    notification.emailed_at = timezone.now()
    notification.save(update_fields=["emailed_at"])
    return "sent"


def digest_send(writer: User, *, now: datetime | None = None) -> str:
    """One email with every emailable notification since the last digest."""
    now = now or timezone.now()
    prefs = settings_for(writer)
    if not prefs.daily_digest or not writer.email:
        return "off"
    if prefs.last_digest_at and now - prefs.last_digest_at < timedelta(hours=23):
        return "not due"
    with transaction.atomic():
        pending = list(
            Notification.objects.select_for_update(of=("self",))
            .filter(
                recipient=writer,
                kind__in=list(EMAIL_KINDS),
                emailed_at__isnull=True,
                read_at__isnull=True,  # what the writer has seen or settled needs no e-mail
            )
            .select_related("thread")
            .order_by("created_at")
        )
        pending = [
            n for n in pending if Channel.EMAIL in prefs.channels_for(n.kind) and still_concerns(n)
        ]
        prefs.last_digest_at = now
        prefs.save(update_fields=["last_digest_at"])
        if not pending:
            return "nothing new"
        first = pending[0]
        message = _build_email(
            first,
            subject=f"Tandem: {len(pending)} update{'s' if len(pending) != 1 else ''} for you",
            template="digest",
            context={"items": [(n, site_url(n.url)) for n in pending]},
        )
        message.send()
        Notification.objects.filter(pk__in=[n.pk for n in pending]).update(emailed_at=now)
    return "sent"


# ---------------------------------------------------------------------------- reading


# What each page settles by being opened: the news it shows by itself. An invitation is
# settled by answering it, OOC talk on the OOC page, and nothing else by the story's page.
STORY_PAGE_KINDS = (
    Kind.YOUR_TURN,
    Kind.REMINDER,
    Kind.INVITATION_ANSWERED,
    Kind.PARTICIPANT_LEFT,
    Kind.STATUS_CHANGED,
)
OOC_PAGE_KINDS = (Kind.OOC_MENTION, Kind.OOC_POSTED)


def clear(*, writer: User | int, thread: Thread, kinds) -> int:
    """Mark a writer's unread notifications of these kinds about one thread read: they did
    what it asked (took the turn, answered the invitation) or saw what it told. An e-mail
    still waiting for it (quiet hours, the digest) is not sent any more."""
    unread = Notification.objects.filter(
        recipient_id=getattr(writer, "pk", writer),
        thread=thread,
        kind__in=list(kinds),
        read_at__isnull=True,
    )
    # Read first: most page views have nothing to clear, and need not write.
    ids = list(unread.values_list("pk", flat=True))
    if not ids:
        return 0
    return unread.filter(pk__in=ids).update(read_at=timezone.now())


def thread_seen(*, writer: User, thread: Thread, ooc: bool = False) -> int:
    """A writer opened a thread's story page (or, with ``ooc``, its OOC talk): its news of
    that kind is read. Their other open pages hear the bell's new count."""
    if not writer.is_authenticated:
        return 0
    cleared = clear(writer=writer, thread=thread, kinds=OOC_PAGE_KINDS if ooc else STORY_PAGE_KINDS)
    if cleared:
        emit(ThreadEvent("notifications_read", thread.pk, actor_id=writer.pk))
    return cleared


def mark_read(*, writer: User, notification_ids: list[int] | None = None) -> int:
    """Mark some (or, with None, all) of a writer's notifications read; returns how many."""
    unread = Notification.objects.filter(recipient=writer, read_at__isnull=True)
    if notification_ids is not None:
        unread = unread.filter(pk__in=notification_ids)
    return unread.update(read_at=timezone.now())


def preferences_update(
    *,
    writer: User,
    channels: dict[str, list[str]],
    daily_digest: bool,
    quiet_hours_start: time | None,
    quiet_hours_end: time | None,
    reminder_days: int | None = None,
) -> NotificationSettings:
    prefs = settings_for(writer)
    prefs.channels = {
        kind: [c for c in chosen if c in Channel.values]
        for kind, chosen in channels.items()
        if kind in Kind.values
    }
    prefs.daily_digest = daily_digest
    prefs.quiet_hours_start, prefs.quiet_hours_end = quiet_hours_start, quiet_hours_end
    prefs.reminder_days = reminder_days
    prefs.save()
    from tandem.tracking.services import reschedule_reminders

    # Threads kept elsewhere without a reminder of their own follow the usual one.
    reschedule_reminders(writer)
    return prefs
