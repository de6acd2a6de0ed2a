"""Feeds and calendars. The feeds themselves answer anyone holding their address (feed
readers and phone calendars have no session); the page that shows the private addresses and
resetting one are for their signed-in writer."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST, require_safe

from tandem.feeds import documents, selectors, services
from tandem.feeds.models import FeedKind
from tandem.threads import directory

# Where each private address is shown, to go back to after resetting it.
ADDRESS_PAGES = {
    FeedKind.FOLLOWS: "follows",
    FeedKind.TURNS: "private-feeds",
    FeedKind.CALENDAR: "private-feeds",
}


@require_safe  # feed readers may ask with HEAD
def thread_feed(request: HttpRequest, public_id: str) -> HttpResponse:
    thread = selectors.feed_thread(public_id)
    if thread is None:
        raise Http404("No such feed.")
    return documents.posts_feed(
        request,
        selectors.thread_feed_posts(thread),
        title=f"{thread.title} · Tandem",
        link=thread.get_absolute_url(),
        description=thread.summary or "New posts in this thread.",
        private=False,
    )


@require_safe  # feed readers may ask with HEAD
def tag_feed(request: HttpRequest, category: str, name: str) -> HttpResponse:
    tag = directory.get_shown_tag(category, name)
    if (category, name) != (tag.category, tag.name):
        # One address per tag, as for its page; a synonym's feed is its canonical tag's.
        return redirect("tag-feed", tag.category, tag.name)
    return documents.posts_feed(
        request,
        selectors.tag_feed_posts(tag),
        title=f"{tag.name} ({tag.get_category_display().lower()}) · Tandem",
        link=tag.get_absolute_url(),
        description=f"New posts in public threads tagged “{tag.name}”.",
        private=False,
    )


@require_safe  # feed readers may ask with HEAD
def turns_feed(request: HttpRequest, token: str) -> HttpResponse:
    writer = selectors.get_feed_owner(token, FeedKind.TURNS)
    return documents.turns_feed(request, writer, selectors.turn_entries(writer))


@require_safe  # feed readers may ask with HEAD
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    writer = selectors.get_feed_owner(token, FeedKind.CALENDAR)
    return documents.calendar(request, writer, selectors.calendar_dates(writer))


def _address(request: HttpRequest, route: str, kind: FeedKind) -> str:
    token = selectors.feed_token(request.user, kind)
    return request.build_absolute_uri(reverse(route, args=[token]))


@login_required
@require_GET
def private_feeds(request: HttpRequest) -> HttpResponse:
    calendar_url = _address(request, "calendar-feed", FeedKind.CALENDAR)
    response = render(
        request,
        "feeds/private_feeds.html",
        {
            "turns_url": _address(request, "turns-feed", FeedKind.TURNS),
            "calendar_url": calendar_url,
            # Phones subscribe to a webcal: link in one tap (the same address, over HTTP(S)).
            "webcal_url": "webcal://" + calendar_url.split("://", 1)[1],
            "feed_length": selectors.FEED_LENGTH,
        },
    )
    response["Cache-Control"] = "no-store"  # the page holds secret addresses
    return response


@login_required
@require_POST
def feed_reset(request: HttpRequest, kind: str) -> HttpResponse:
    if kind not in FeedKind.values:
        raise Http404("No such feed.")
    kind = FeedKind(kind)
    services.feed_key_reset(owner=request.user, kind=kind)
    messages.success(request, f"“{kind.label}” has a new address; the old one no longer works.")
    return redirect(ADDRESS_PAGES[kind])
