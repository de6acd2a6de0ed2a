from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST, require_safe

from tandem.accounts.models import User
from tandem.feeds import documents
from tandem.feeds import selectors as feed_selectors
from tandem.feeds.models import FeedKind
from tandem.follows import selectors, services
from tandem.follows.forms import BookmarkForm, FollowForm
from tandem.muses.models import Muse
from tandem.threads.permissions import get_readable_thread


def _back(request: HttpRequest, default: str) -> HttpResponse:
    """Back to the ``next`` field if it points into this site, else to ``default``."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect(default)


def _error_text(error: ValidationError | PermissionDenied) -> str:
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return str(error) or "You are not allowed to do that."


def _follow_action(request: HttpRequest, default: str, follow, **target) -> HttpResponse:
    form = FollowForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest("Say follow or unfollow.")
    try:
        if form.cleaned_data["action"] == "follow":
            follow()
            messages.success(request, "Followed. New posts will reach your notifications.")
        elif services.unfollow(follower=request.user, **target):
            messages.success(request, "Unfollowed.")
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, _error_text(error))
    return _back(request, default)


@login_required
@require_POST
def follow_thread(request: HttpRequest, public_id: str) -> HttpResponse:
    # A thread the writer cannot read is a 404, as on its page.
    thread = get_readable_thread(request.user, public_id)
    return _follow_action(
        request,
        thread.get_absolute_url(),
        lambda: services.thread_follow(follower=request.user, thread=thread),
        thread=thread,
    )


@login_required
@require_POST
def follow_muse(request: HttpRequest, pk: int) -> HttpResponse:
    muse = get_object_or_404(Muse, pk=pk)
    return _follow_action(
        request,
        muse.get_absolute_url(),
        lambda: services.muse_follow(follower=request.user, muse=muse),
        muse=muse,
    )


@login_required
@require_POST
def follow_writer(request: HttpRequest, username: str) -> HttpResponse:
    writer = get_object_or_404(User, username__iexact=username, is_active=True)
    return _follow_action(
        request,
        writer.get_absolute_url(),
        lambda: services.writer_follow(follower=request.user, writer=writer),
        writer=writer,
    )


@login_required
@require_GET
def following(request: HttpRequest) -> HttpResponse:
    # get_page: "?page=abc" is the first page, "?page=99999" the last, never a 500.
    page = Paginator(selectors.shown_follows(request.user), selectors.FOLLOWS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    feed_url = request.build_absolute_uri(
        reverse("follows-feed", args=[feed_selectors.feed_token(request.user, FeedKind.FOLLOWS)])
    )
    return render(
        request,
        "follows/following.html",
        {"page": page, "feed_url": feed_url, "feed_length": selectors.FEED_LENGTH},
    )


@require_safe  # feed readers may ask with HEAD
def feed(request: HttpRequest, token: str) -> HttpResponse:
    # Its address is reset on the Following page, through tandem.feeds (``feed-reset``).
    reader = feed_selectors.get_feed_owner(token, FeedKind.FOLLOWS)
    return documents.posts_feed(
        request,
        selectors.feed_posts(reader),
        title=f"Tandem: what {reader.shown_name} follows",
        link=reverse("follows"),
        description="New posts in the threads, muses and writers you follow.",
        private=True,
    )


@login_required
@require_GET
def bookmarks(request: HttpRequest) -> HttpResponse:
    page = Paginator(
        selectors.shown_bookmarks(request.user), selectors.BOOKMARKS_PER_PAGE
    ).get_page(request.GET.get("page"))
    return render(request, "follows/bookmarks.html", {"page": page})


@login_required
@require_POST
def bookmark(request: HttpRequest, public_id: str, number: int) -> HttpResponse:
    thread = get_readable_thread(request.user, public_id)
    form = BookmarkForm(request.POST)
    default = reverse("post-permalink", args=[thread.public_id, number])
    if not form.is_valid():
        messages.error(request, " ".join(m for e in form.errors.values() for m in e))
        return _back(request, default)
    try:
        if form.cleaned_data["action"] == "remove":
            if services.bookmark_remove(reader=request.user, thread=thread, number=number):
                messages.success(request, f"Bookmark on post #{number} removed.")
        else:
            note = form.cleaned_data["note"] if "note" in request.POST else None
            services.bookmark_save(reader=request.user, thread=thread, number=number, note=note)
            messages.success(
                request, "Note saved." if note is not None else f"Post #{number} bookmarked."
            )
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, _error_text(error))
    return _back(request, default)
