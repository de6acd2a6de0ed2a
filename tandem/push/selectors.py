from django.db.models import QuerySet

from tandem.accounts.models import User
from tandem.push.models import PushSubscription


def devices_of(writer: User) -> QuerySet[PushSubscription]:
    return PushSubscription.objects.filter(writer=writer).order_by("created_at", "pk")


def has_devices(writer: User) -> bool:
    return PushSubscription.objects.filter(writer=writer).exists()
