"""Thread cards and post headers, drawn once and then served from the fragment cache.

Each tag first writes what must be fresh on every request (the muses' nonce'd colour
styles), then the cached markup, keyed by every value that markup shows
(``tandem.core.fragments``). The markup itself stays in the templates.
"""

from __future__ import annotations

from django import template
from django.template.loader import get_template
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.safestring import SafeString

from tandem.core.fragments import CSRF_HOLE, fragment
from tandem.core.templatetags.tandem import muse_style, waited

register = template.Library()


def _styles(context, muses) -> SafeString:
    """The colour styles of these muses not yet on the page, written before the cached
    markup (which, drawn after them, never holds a nonce)."""
    return format_html_join("", "{}", ((muse_style(context, muse),) for muse in muses))


def _picture(file) -> str:
    return file.name if file else ""


@register.simple_tag(takes_context=True)
def thread_card(context, thread, heading: str = "h3") -> SafeString:
    """A thread in a list (``threads/_thread_card.html``); ``heading``: its title's level.

    ``thread`` comes with its active participants (``thread.active``) and tags prefetched,
    as the directory's selectors give it."""
    muses = [p.muse for p in thread.active]
    tags = thread.ordered_tags
    parts = (
        heading,
        thread.public_id,
        thread.title,
        thread.rating,
        thread.status,
        thread.visibility,
        thread.post_count,
        thread.word_count,
        thread.summary,
        tuple((m.pk, m.name, _picture(m.avatar)) for m in muses),
        tuple((t.category, t.name) for t in tags),
    )

    def render() -> str:
        return get_template("threads/_thread_card.html").render(
            {"thread": thread, "heading": heading, "request": context.get("request")}
        )

    return _styles(context, muses) + fragment("thread-card", parts, render)


@register.simple_tag(takes_context=True)
def post_head(context, post) -> SafeString:
    """A post's header on the thread page: picture, muse, date, words, its number.

    The "edited" mark links to the revisions for the thread's writers (the remover's own
    removed post included), so that choice is part of the key, as is the reader's zone."""
    user = context["user"]
    show_revisions = bool(
        post.edited_at
        and context.get("is_writer")
        and (not post.is_deleted or post.author_id == user.pk)
    )
    claim = getattr(post, "claim", None)
    muse, icon = post.muse, post.icon
    parts = (
        context["thread"].public_id,
        post.number,
        post.created_at,
        timezone.get_current_timezone_name(),
        post.is_deleted,
        post.word_count,
        bool(post.edited_at),
        show_revisions,
        (muse.pk, muse.name, _picture(muse.avatar), muse.is_placeholder),
        (icon.pk, _picture(icon.image), icon.keywords) if icon else None,
        post.author.username if muse.is_placeholder else "",
        claim.invitee.username if claim else "",
    )

    def render() -> str:
        return get_template("threads/thread_detail.html#post-head").render(
            {
                "thread": context["thread"],
                "post": post,
                "show_revisions": show_revisions,
                "request": context.get("request"),
            }
        )

    return _styles(context, [muse]) + fragment("post-head", parts, render)


@register.simple_tag(takes_context=True)
def queue_item(context, entry, turn: bool) -> SafeString:
    """A thread in the writer's queue (``threads/home.html#queue-item``), with its Pin, Mute
    and "I'm writing" forms, whose CSRF token is the reader's own (filled in when served)."""
    thread, user = entry.thread, context["user"]
    muses = [p.muse for p in entry.my_muses[:3]]
    since = waited(entry.waiting_since)
    parts = (
        turn,
        user.pk,
        thread.public_id,
        thread.title,
        thread.status,
        thread.turn_mode,
        thread.post_count,
        tuple((m.pk, m.name, _picture(m.avatar)) for m in muses),
        tuple((p.writer_id, p.muse.name, p.writer.username) for p in entry.awaited),
        since,
        entry.is_pinned,
        entry.is_writing,
        entry.is_muted,
        entry.is_dormant,
    )
    request = context["request"]

    def render() -> str:
        return get_template("threads/home.html#queue-item").render(
            {
                "entry": entry,
                "turn": turn,
                "user": user,
                "request": request,
                "csrf_token": CSRF_HOLE,
            }
        )

    return _styles(context, muses) + fragment("queue-item", parts, render, request=request)
