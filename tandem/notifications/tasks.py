"""Background work, run by `tandem worker`. Thin wrappers that call services with ids."""

from django_tasks import task

from tandem.notifications import services


@task()
def send_notification_email(notification_id: int) -> str:
    return services.email_send(notification_id)


@task()
def send_digest(writer_id: int) -> str:
    from tandem.accounts.models import User

    writer = User.objects.filter(pk=writer_id).first()
    return services.digest_send(writer) if writer else "gone"


@task()
def deliver_webhooks(notification_id: int) -> int:
    from tandem.notifications import webhooks
    from tandem.notifications.models import Notification

    notification = Notification.objects.select_related("thread", "recipient").filter(
        pk=notification_id
    )
    if not all(services.still_concerns(n) for n in notification):
        return 0  # the writer left the thread before this went out
    deliveries = webhooks.fan_out(notification_id)
    for delivery_id in deliveries:
        send_webhook.enqueue(delivery_id)
    return len(deliveries)


@task()
def send_webhook(delivery_id: int) -> str:
    """One attempt; a failed attempt schedules the next with exponential backoff."""
    from django.utils import timezone

    from tandem.notifications import webhooks

    outcome = webhooks.attempt(delivery_id)
    if outcome == "retry":
        delay = webhooks.retry_after(delivery_id)
        send_webhook.using(run_after=timezone.now() + delay).enqueue(delivery_id)
    return outcome


@task()
def send_reminder(state_id: int) -> str:
    from tandem.notifications import reminders

    return reminders.send(state_id)


@task()
def send_tracked_reminder(tracked_id: int) -> str:
    from tandem.notifications import reminders

    return reminders.send_tracked(tracked_id)
