"""The thread's own pages: the story with its reply box, a post's address, the OOC talk.

``thread_detail`` shows one page of posts and takes a reply (in turn, under the posting rate
limit, with the no-script Preview); reading a page moves the reader's read position and
settles the thread's notifications. ``post_permalink`` sends a post's address on to the page
that holds it. ``thread_ooc`` is the out-of-character talk beside the story, for the thread's
writers only. The fragments live updates fetch of these pages are in ``live``.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from tandem.accounts.models import ReadingFont, ReadingSize, Theme
from tandem.core import limits
from tandem.exports.forms import ThreadExportForm
from tandem.moderation.selectors import mark_hidden_posts
from tandem.notifications import services as notifications
from tandem.threads import selectors, services
from tandem.threads.forms import OocForm
from tandem.threads.models import Post
from tandem.threads.permissions import get_readable_thread, is_owner, is_participant
from tandem.threads.views._common import (
    REMINDER_CHOICES,
    _error_text,
    _no_script_preview,
    _ooc_count,
    _own_muses,
    _reply_form,
    _turn_context,
)
from tandem.writing import services as writing
from tandem.writing.selectors import draft_for


@require_http_methods(["GET", "POST"])
def thread_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    thread = get_readable_thread(request.user, public_id)
    # Read once: the writer's own muses here, the turn banner and the people list.
    participants = selectors.thread_participants(thread)
    my_muses = _own_muses(request, participants)
    draft = draft_for(request.user, thread) if my_muses else None
    form = _reply_form(
        request, thread, my_muses, request.POST if request.method == "POST" else None, draft
    )
    no_script_preview: dict = {}
    if request.method == "POST":
        if form is None:
            raise PermissionDenied("Only writers in this thread can post here.")
        if request.POST.get("preview"):
            # The composer's Preview button (no JavaScript): show the text, post nothing.
            no_script_preview = _no_script_preview(request, form)
        elif limited := limits.refusal(request, "post"):  # the page answers 429, text stays
            form.add_error(None, limited)
        elif form.is_valid():
            try:
                post = services.post_create(
                    thread=thread,
                    writer=request.user,
                    muse=form.cleaned_data["muse"],
                    body=form.cleaned_data["body"],
                    seen_post_count=form.cleaned_data.get("seen_post_count"),
                    icon=form.cleaned_data.get("icon"),
                    # A resent form returns the post it already made: success, same redirect.
                    submission_key=form.cleaned_data.get("submission_key") or "",
                )
            except (ValidationError, PermissionDenied) as error:
                # The writer's text stays in the form: nothing typed is lost.
                form.add_error(None, _error_text(error))
                thread.refresh_from_db()
            else:
                messages.success(request, f"Posted as {post.muse.name}.")
                return redirect(post)
    posts = selectors.thread_posts(thread)
    paginator = Paginator(posts, settings.TANDEM_POSTS_PER_PAGE)
    page_number = request.GET.get("page")
    if page_number == "last" or (page_number is None and request.method == "POST"):
        page_number = paginator.num_pages
    page = paginator.get_page(page_number)
    # Evaluate the page once: the posts re-rendered here are the ones the template shows.
    page.object_list = list(page.object_list)
    writing.refresh_rendered(page.object_list)
    selectors.mark_claims(thread, page.object_list)
    mark_hidden_posts(page.object_list, request.user)  # moderators' removals
    state = selectors.writer_state(thread, request.user)
    first_unread = selectors.first_unread_number(thread, state)
    if page.object_list and request.method == "GET":
        services.read_position_advance(
            thread=thread, writer=request.user, number=page.object_list[-1].number, state=state
        )
    if request.method == "GET":
        # Before rendering: the header's bell shows the count without what this page settles.
        notifications.thread_seen(writer=request.user, thread=thread)
    return render(
        request,
        "threads/thread_detail.html",
        {
            **_turn_context(request, thread, form, participants),
            "page": page,
            "is_last_page": page.number == paginator.num_pages,
            "state": state,
            "first_unread": first_unread,
            "reminder_choices": REMINDER_CHOICES,
            "theme_choices": Theme.choices,
            "font_choices": ReadingFont.choices,
            "size_choices": ReadingSize.choices,
            "draft": draft,
            "ooc_count": _ooc_count(request, thread),
            "my_muses": my_muses,
            "export_form": ThreadExportForm(auto_id="dl-%s"),
            **no_script_preview,
        },
    )


def post_permalink(request: HttpRequest, public_id: str, number: int) -> HttpResponse:
    thread = get_readable_thread(request.user, public_id)
    post = get_object_or_404(Post, thread=thread, number=number)
    page = (post.number - 1) // settings.TANDEM_POSTS_PER_PAGE + 1
    return redirect(f"{reverse('thread-detail', args=[public_id])}?page={page}#{post.anchor}")


@login_required
@require_http_methods(["GET", "POST"])
def thread_ooc(request: HttpRequest, public_id: str) -> HttpResponse:
    """Out-of-character talk beside the story, for the writers in the thread."""
    thread = get_readable_thread(request.user, public_id)
    if not is_participant(thread, request.user) and not is_owner(thread, request.user):
        raise PermissionDenied("Only writers in this thread can see its OOC talk.")
    form = OocForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.ooc_post(thread=thread, writer=request.user, body=form.cleaned_data["body"])
        except (ValidationError, PermissionDenied) as error:
            form.add_error(None, _error_text(error))
        else:
            return redirect(reverse("thread-ooc", args=[public_id]) + "#ooc-latest")
    if request.method == "GET":
        notifications.thread_seen(writer=request.user, thread=thread, ooc=True)
    return render(
        request,
        "threads/thread_ooc.html",
        {"thread": thread, "form": form, "ooc_messages": selectors.thread_ooc(thread)},
    )
