"""The fragments live updates fetch: one post, the turn banner, one OOC message.

When a thread's socket announces a change, each open page asks for the part that changed and
swaps it in. A fragment is rendered here for the reader who asks, by the same template
partial as the full page, so the reader's own controls, CSRF tokens, time zone and CSP nonce
are in it, and it is guarded by the same checks as the page it belongs to. ``?read=1`` says
the page is in front of the reader, so what arrived counts as read.
"""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET

from tandem.moderation.selectors import mark_hidden_posts
from tandem.notifications import services as notifications
from tandem.threads import selectors, services
from tandem.threads.permissions import get_readable_thread, is_writer
from tandem.threads.views._common import (
    REMINDER_CHOICES,
    _ooc_count,
    _own_muses,
    _reply_form,
    _turn_context,
)
from tandem.writing import services as writing
from tandem.writing.selectors import draft_for


@require_GET
def post_fragment(request: HttpRequest, public_id: str, number: int) -> HttpResponse:
    """One post's <li> exactly as this reader sees it on the thread page.

    Live updates announce a post's number; each open page fetches the post here, so the
    author's controls, CSRF tokens, time zone and CSP nonce are the reader's own.
    """
    thread = get_readable_thread(request.user, public_id)
    post = get_object_or_404(selectors.thread_posts(thread), number=number)
    writing.refresh_rendered([post])
    selectors.mark_claims(thread, [post])
    mark_hidden_posts([post], request.user)
    if request.GET.get("read") == "1":  # the page is in front of the reader
        services.read_position_advance(thread=thread, writer=request.user, number=post.number)
    return render(
        request,
        "threads/thread_detail.html#post-item",
        {"thread": thread, "post": post, "is_writer": is_writer(thread, request.user)},
    )


class _AsSeenByPage:
    """The request, except that its path is the page a fragment is fetched for.

    Forms in the turn banner send the writer back to ``request.get_full_path``: rendered
    into a page by live updates, that must be the page, not the fragment's own URL.
    """

    def __init__(self, request: HttpRequest, page_path: str):
        self._request = request
        self._page_path = page_path

    def get_full_path(self) -> str:
        return self._page_path

    def __getattr__(self, name):
        return getattr(self._request, name)


@require_GET
def turn_fragment(request: HttpRequest, public_id: str) -> HttpResponse:
    """The turn banner and the reply box, for a page whose thread's turn just moved.

    ``?next=`` is the page's own path (for the banner's forms), ``?last=1`` says the page
    shows the latest posts.
    """
    thread = get_readable_thread(request.user, public_id)
    # Read once: the writer's own muses here, the turn banner and the people list.
    participants = selectors.thread_participants(thread)
    my_muses = _own_muses(request, participants)
    draft = draft_for(request.user, thread) if my_muses else None
    form = _reply_form(request, thread, my_muses, None, draft)
    back = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = thread.get_absolute_url()
    response = render(
        request,
        "threads/_live_turn.html",
        {
            **_turn_context(request, thread, form),
            "state": selectors.writer_state(thread, request.user),
            "draft": draft,
            "my_muses": my_muses,
            "is_last_page": request.GET.get("last") == "1",
            "reminder_choices": REMINDER_CHOICES,
            "ooc_count": _ooc_count(request, thread),
            "request": _AsSeenByPage(request, back),
        },
    )
    # Lets a page that missed messages while disconnected fetch the posts it lacks.
    response["Tandem-Post-Count"] = str(thread.post_count)
    return response


@login_required
@require_GET
def ooc_fragment(request: HttpRequest, public_id: str, pk: int) -> HttpResponse:
    """One OOC message's <li> as the OOC page shows it, fetched by live.js when a writer's
    socket hears of it. The same check as the OOC page: the thread's writers only."""
    thread = get_readable_thread(request.user, public_id)
    if not is_writer(thread, request.user):
        raise PermissionDenied("Only writers in this thread can see its OOC talk.")
    message = get_object_or_404(selectors.thread_ooc(thread), pk=pk)
    if request.GET.get("read") == "1":  # the OOC page is in front of the writer
        notifications.thread_seen(writer=request.user, thread=thread, ooc=True)
    return render(
        request, "threads/thread_ooc.html#ooc-item", {"thread": thread, "message": message}
    )
