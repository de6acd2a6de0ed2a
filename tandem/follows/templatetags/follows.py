"""Follow and bookmark buttons for other apps' pages, each a one-line include."""

from __future__ import annotations

from django import template
from django.urls import reverse
from django.utils.html import format_html

from tandem.follows import selectors

register = template.Library()


@register.inclusion_tag("follows/_follow_button.html", takes_context=True)
def follow_button(context, *, thread=None, muse=None, writer=None) -> dict:
    """Follow/Unfollow for a thread, a muse or a writer; nothing when the reader may not
    follow it (signed out, their own, across a block, a thread that is not public)."""
    request = context["request"]
    user = request.user
    shown = {"show": False}
    if not user.is_authenticated:
        return shown
    following = selectors.follow_of(user, thread=thread, muse=muse, writer=writer) is not None
    if thread is not None:
        refusal = selectors.thread_follow_refusal(user, thread)
        url, what = reverse("follow-thread", args=[thread.public_id]), "this thread"
    elif muse is not None:
        refusal = selectors.muse_follow_refusal(user, muse)
        url, what = reverse("follow-muse", args=[muse.pk]), muse.name
    else:
        refusal = selectors.writer_follow_refusal(user, writer)
        url, what = reverse("follow-writer", args=[writer.username]), writer.shown_name
    if refusal is not None and not following:
        return shown
    return {
        "show": True,
        "following": following,
        "url": url,
        "what": what,
        "next": request.get_full_path(),
        "csrf_token": context.get("csrf_token"),
    }


@register.simple_tag(takes_context=True)
def bookmark_button(context, post) -> str:
    """Bookmark/Remove on a post; the thread's bookmarked numbers are read once a request.

    Written here rather than as an included template: a thread page draws one per post."""
    request = context["request"]
    user = request.user
    if not user.is_authenticated or post.is_deleted:
        return ""
    cache = request.__dict__.setdefault("_tandem_bookmarked", {})
    if post.thread_id not in cache:
        cache[post.thread_id] = selectors.bookmarked_numbers(user, post.thread)
    thread = context["thread"]
    if post.number in cache[post.thread_id]:
        action = format_html(
            '<input type="hidden" name="action" value="remove"><a href="{}">Bookmarked</a> · '
            '<button type="submit" class="linklike">Remove bookmark<span '
            'class="visually-hidden"> on post #{}</span></button>',
            reverse("bookmarks"),
            post.number,
        )
    else:
        action = format_html(
            '<button type="submit" class="linklike">Bookmark<span class="visually-hidden"> '
            "post #{}</span></button>",
            post.number,
        )
    return format_html(
        '<div class="post__foot post__foot--reader">\n<form method="post" action="{}" '
        'class="inline"><input type="hidden" name="csrfmiddlewaretoken" value="{}">'
        '<input type="hidden" name="next" value="{}">\n{}\n</form>\n</div>',
        reverse("bookmark", args=[thread.public_id, post.number]),
        context.get("csrf_token", ""),
        # Back to the post by its permalink (which finds its page): the same on the thread
        # page and in the live fragment of one post, whose own URL is no page to go back to.
        f"{thread.get_absolute_url()}posts/{post.number}/",
        action,
    )
