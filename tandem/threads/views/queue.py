"""The writer's queue: the home page, and the flags and reminders it sorts threads by.

``home`` is the landing page for visitors and, for a signed-in writer, the queue of their
threads (whose turn it is, who they are waiting on) beside the threads they keep on other
sites (``tandem.tracking``). ``thread_flag`` sets a writer's own flags on one thread (writing
now, pinned, muted) and ``thread_reminder`` its own nudge; both answer a form on the queue or
the thread page and go back to the page the form came from (``next``).
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from tandem.muses.selectors import muses_of_writer
from tandem.threads import selectors, services
from tandem.threads.permissions import get_readable_thread
from tandem.threads.views._common import _error_text, _safe_next
from tandem.tracking.selectors import elsewhere_queue


def home(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return render(
            request, "threads/landing.html", {"threads": selectors.public_threads(limit=6)}
        )
    # The first threads of each section; "show all" (?all=1) lists every one.
    show_all = request.GET.get("all") == "1"
    queue = selectors.writer_queue(
        request.user, window=None if show_all else settings.TANDEM_QUEUE_WINDOW
    )
    has_muses = muses_of_writer(request.user, include_archived=False).exists()
    # Threads kept on other sites share the queue's sections (tandem.tracking).
    elsewhere = elsewhere_queue(
        request.user, window=None if show_all else settings.TANDEM_QUEUE_WINDOW
    )
    waiting_on_you = queue.your_turn_count + elsewhere.your_turn_total
    # The navigation's badge shows the same count: counted here, it is not counted again
    # (tandem.threads.context_processors).
    request.your_turn_count = waiting_on_you
    return render(
        request,
        "threads/home.html",
        {
            "queue": queue,
            "has_muses": has_muses,
            "elsewhere": elsewhere,
            "waiting_on_you": waiting_on_you,
            # The two sections tracked threads share: (total, shown) over both kinds.
            "your_turn_total": queue.totals["your_turn"] + elsewhere.your_turn_total,
            "your_turn_shown": len(queue.your_turn) + len(elsewhere.your_turn),
            "waiting_total": queue.totals["waiting"] + elsewhere.waiting_total,
            "waiting_shown": len(queue.waiting) + len(elsewhere.waiting),
        },
    )


FLAG_ACTIONS = {
    "writing": {"writing": True},
    "not-writing": {"writing": False},
    "pin": {"pinned": True},
    "unpin": {"pinned": False},
    "mute": {"muted": True},
    "unmute": {"muted": False},
}


@login_required
@require_POST
def thread_flag(request: HttpRequest, public_id: str) -> HttpResponse:
    thread = get_readable_thread(request.user, public_id)
    change = FLAG_ACTIONS.get(request.POST.get("flag", ""))
    if change is None:
        messages.error(request, "Unknown queue action.")
    else:
        try:
            services.writer_state_set(thread=thread, writer=request.user, **change)
        except PermissionDenied as error:
            messages.error(request, _error_text(error))
    return redirect(_safe_next(request, reverse("home")))


@login_required
@require_POST
def thread_reminder(request: HttpRequest, public_id: str) -> HttpResponse:
    """A writer's own nudge setting for one thread: a number of days, or their default."""
    thread = get_readable_thread(request.user, public_id)
    raw = request.POST.get("days", "")
    days = int(raw) if raw.isdigit() else None
    try:
        services.writer_state_set(thread=thread, writer=request.user, remind_after_days=days)
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(
            request,
            f"You will be nudged after {days} day{'s' if days != 1 else ''} of waiting."
            if days
            else "This thread uses your default reminder setting.",
        )
    return redirect(_safe_next(request, thread.get_absolute_url()))
