from django.db.models import QuerySet

from tandem.accounts.models import User
from tandem.notifications.models import Notification


def notifications_of(writer: User) -> QuerySet[Notification]:
    return Notification.objects.filter(recipient=writer, in_app=True).select_related(
        "thread", "actor"
    )


def unread_count(writer: User) -> int:
    return Notification.objects.filter(recipient=writer, in_app=True, read_at__isnull=True).count()
