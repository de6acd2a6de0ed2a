"""The starter note on a thread's page: "open starter, ask to join" for readers, and for
its owner the way to open the thread as a starter or to its requests."""

from django import template

from tandem.blocks.selectors import is_blocked_from_thread
from tandem.starters.models import RequestStatus, Starter
from tandem.threads.models import Thread

register = template.Library()


@register.simple_tag(takes_context=True)
def thread_starter(context, thread: Thread) -> dict | None:
    user = context["request"].user
    owner = user.is_authenticated and thread.owner_id == user.pk
    starter = Starter.objects.filter(thread=thread).first()
    if owner:
        pending = starter.requests.filter(status=RequestStatus.PENDING).count() if starter else 0
        return {"starter": starter, "owner": True, "pending": pending}
    if starter is None or not starter.is_open or is_blocked_from_thread(user, thread):
        return None
    return {"starter": starter, "owner": False, "pending": 0}
