"""What the feeds say: Atom documents of posts and of turns, an iCalendar of dates, and the
one way they are served.

Serving: every document goes out with an ETag (a feed reader that sends it back gets a 304)
and a cache lifetime of five minutes. A private one (its address holds a secret) is also
kept out of shared caches, search engines and Referer headers.

Links are absolute, built from the request, as a feed reader needs; an event's UID is built
from ``TANDEM_SITE_URL``'s host instead, so it stays the same whichever address the calendar
was fetched by.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import icalendar
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import feedgenerator
from django.utils.cache import get_conditional_response, set_response_etag
from django.utils.html import escape

from tandem.accounts.models import User
from tandem.feeds.selectors import CalendarDate
from tandem.threads.models import Post, Thread
from tandem.threads.selectors import QueueEntry
from tandem.writing.services import refresh_rendered

# How long a feed reader or a calendar may keep what it fetched before asking again.
MAX_AGE = 300
# How long a reminder event lasts in a calendar (a zero-length event shows badly on phones).
REMINDER_LENGTH = timedelta(minutes=15)


# ---------------------------------------------------------------------------- serving


def serve(request: HttpRequest, body: bytes, *, content_type: str, private: bool) -> HttpResponse:
    response = HttpResponse(body, content_type=content_type)
    if private:
        # A private address: keep it out of shared caches and search engines.
        response["Cache-Control"] = f"private, max-age={MAX_AGE}"
        response["X-Robots-Tag"] = "noindex"
        response["Referrer-Policy"] = "no-referrer"
    else:
        response["Cache-Control"] = f"max-age={MAX_AGE}"
    set_response_etag(response)
    return get_conditional_response(request, etag=response["ETag"], response=response)


# ---------------------------------------------------------------------------- text

# Control characters (but tab and line breaks): XML 1.0 cannot hold them and iCalendar text
# may not, yet a title or an imported post can carry one. They are dropped, not refused: a
# feed that cannot be written would be a 500 for every reader of it.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _text(value: str) -> str:
    return _CONTROL.sub("", value)


def _cleaned(fields: dict) -> dict:
    """``fields`` with every text in it cleaned (categories are a list of texts)."""

    def clean(value):
        if isinstance(value, str):
            return _text(value)
        if isinstance(value, list):
            return [clean(item) for item in value]
        return value

    return {name: clean(value) for name, value in fields.items()}


# ---------------------------------------------------------------------------- Atom


class _Atom1Feed(feedgenerator.Atom1Feed):
    """Django's Atom writer, given only text XML can hold."""

    def __init__(self, **fields) -> None:
        super().__init__(**_cleaned(fields))

    def add_item(self, **fields) -> None:
        super().add_item(**_cleaned(fields))


def _atom(request: HttpRequest, *, title: str, link: str, description: str) -> _Atom1Feed:
    url = request.build_absolute_uri(link)
    return _Atom1Feed(
        title=title,
        link=url,
        description=description,
        language="",
        feed_url=request.build_absolute_uri(),
        feed_guid=url + "#feed",
    )


def _atom_response(request: HttpRequest, feed: _Atom1Feed, *, private: bool) -> HttpResponse:
    body = feed.writeString("utf-8").encode()
    return serve(request, body, content_type="application/atom+xml; charset=utf-8", private=private)


def posts_feed(
    request: HttpRequest,
    posts: list[Post],
    *,
    title: str,
    link: str,
    description: str,
    private: bool,
) -> HttpResponse:
    """An Atom feed with one entry per post, as the thread page shows it."""
    refresh_rendered(posts)  # an older renderer's HTML is rendered again, as on the page
    feed = _atom(request, title=title, link=link, description=description)
    for post in posts:
        thread = post.thread
        url = request.build_absolute_uri(post.get_absolute_url())
        warnings = ", ".join(thread.warning_labels)
        categories = [thread.get_rating_display()] + ([warnings] if warnings else [])
        feed.add_item(
            title=f"{post.muse.name} in “{thread.title}” (#{post.number})",
            link=url,
            unique_id=url,
            # body_html is the post as the thread page shows it (rendered and sanitised).
            description=post.body_html,
            author_name=post.author.shown_name,
            pubdate=post.created_at,
            updateddate=post.edited_at or post.created_at,
            categories=categories,
        )
    return _atom_response(request, feed, private=private)


def _when(moment: datetime, writer: User) -> str:
    """A moment as the writer's clock shows it."""
    zone = writer.zone
    return f"{moment.astimezone(zone):%-d %B %Y, %H:%M} ({zone.key})"


def _reply_url(request: HttpRequest, thread: Thread) -> str:
    return request.build_absolute_uri(thread.get_absolute_url() + "?page=last#reply")


def turns_feed(request: HttpRequest, writer: User, entries: list[QueueEntry]) -> HttpResponse:
    """The writer's "your turn" feed: one entry per turn waiting on them. A new turn in the
    same thread is a new entry (its id holds when the turn came), so a feed reader shows it
    as unread again. Titles, muse names and times only, never post text."""
    feed = _atom(
        request,
        title=f"Tandem: {writer.shown_name}’s turns",
        link="/",
        description="Threads waiting on you.",
    )
    for entry in entries:
        thread = entry.thread
        since = entry.waiting_since or thread.created_at
        mine = [p.muse.name for p in entry.awaited if p.writer_id == writer.pk]
        # The writers' muses are at hand (the queue fetched them); one who left is not named.
        last = next((p for p in thread.active if p.pk == thread.last_poster_id), None)
        about = f"Waiting on {', '.join(mine) or 'you'} since {_when(since, writer)}."
        if last is not None:
            about += f" The last post is {last.muse.name}’s."
        feed.add_item(
            title=f"Your turn in “{thread.title}”",
            link=_reply_url(request, thread),
            unique_id=f"{request.build_absolute_uri(thread.get_absolute_url())}#turn-"
            f"{since.astimezone(UTC):%Y%m%dT%H%M%S.%fZ}",
            # The summary is HTML to a feed reader: the text is escaped to stay text.
            description=escape(about),
            pubdate=since,
            updateddate=since,
        )
    return _atom_response(request, feed, private=True)


# ---------------------------------------------------------------------------- iCalendar


def _uid(date: CalendarDate, writer: User) -> str:
    # Stable for as long as the thread and the writer exist: moving a date changes the
    # event, it does not add one.
    host = urlsplit(settings.TANDEM_SITE_URL).hostname or "tandem"
    return f"{date.kind}-{date.key}-{writer.pk}@{host}"


def _event(request: HttpRequest, writer: User, date: CalendarDate) -> icalendar.Event:
    title = _text(date.title)
    event = icalendar.Event()
    event.add("uid", _uid(date, writer))
    event.add("dtstamp", date.since)
    event.add("url", request.build_absolute_uri(date.link))
    if date.kind == "reminder":
        where = f" on {_text(date.site)}" if date.site else ""
        event.add("summary", f"Your turn in “{title}”{where} (reminder)")
        event.add("dtstart", date.at)
        event.add("dtend", date.at + REMINDER_LENGTH)
        event.add("description", f"It has been your turn since {_when(date.since, writer)}.")
        alarm = icalendar.Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", f"Your turn in “{title}”")
        alarm.add("trigger", timedelta(0))
        event.add_component(alarm)
    else:
        # A whole day in the writer's own time zone: "goes dormant on Tuesday".
        event.add("summary", f"“{title}” goes dormant")
        event.add("dtstart", date.at.astimezone(writer.zone).date())
        days = settings.TANDEM_DORMANT_DAYS
        event.add("description", f"{days} days without a post: the thread is dormant from today.")
    event.add("transp", "TRANSPARENT")  # a reminder, not a busy slot in the diary
    return event


def calendar(request: HttpRequest, writer: User, dates: Iterable[CalendarDate]) -> HttpResponse:
    """The writer's calendar: their reminders and their threads' dormant dates."""
    cal = icalendar.Calendar()
    cal.add("prodid", "-//Tandem//Turns and reminders//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    name = _text(f"Tandem: {writer.shown_name}’s threads")
    cal.add("name", name)
    cal.add("x-wr-calname", name)
    cal.add("refresh-interval", timedelta(hours=1), parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", "PT1H")
    for date in dates:
        cal.add_component(_event(request, writer, date))
    return serve(request, cal.to_ical(), content_type="text/calendar; charset=utf-8", private=True)
