"""Feed links for other apps' pages."""

from __future__ import annotations

from django import template
from django.urls import reverse

from tandem.feeds import selectors
from tandem.threads.models import Thread

register = template.Library()


@register.simple_tag(takes_context=True)
def thread_feed_url(context, thread: Thread) -> str:
    """The thread's feed address, or "" if it has none (not public, or hidden by
    moderators): the page links only to a feed that answers. Asked once a request."""
    request = context["request"]
    cache = request.__dict__.setdefault("_tandem_thread_feeds", {})
    if thread.pk not in cache:
        has_feed = selectors.has_public_feed(thread)
        cache[thread.pk] = reverse("thread-feed", args=[thread.public_id]) if has_feed else ""
    return cache[thread.pk]
