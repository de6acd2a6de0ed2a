from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tandem.accounts.models import ReadingFont, ReadingSize, Theme
from tandem.core import limits
from tandem.exports.forms import ThreadExportForm
from tandem.moderation.selectors import mark_hidden_posts
from tandem.muses.selectors import muses_of_writer
from tandem.notifications import services as notifications
from tandem.threads import selectors, services
from tandem.threads.forms import (
    InviteForm,
    MuseChoiceForm,
    OocForm,
    PostEditForm,
    PostForm,
    PreviewForm,
    ThreadCreateForm,
    ThreadEditForm,
    thread_edit_values,
)
from tandem.threads.models import Invitation, Participant, Post
from tandem.threads.permissions import (
    can_read,
    get_readable_thread,
    is_owner,
    is_participant,
    is_writer,
)
from tandem.tracking.selectors import elsewhere_queue
from tandem.writing import services as writing
from tandem.writing.diff import word_diff
from tandem.writing.selectors import draft_for
from tandem.writing.wordcount import count_words


def _safe_next(request: HttpRequest, default: str) -> str:
    """The ``next`` field if it points back into this site, else ``default``."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def _error_text(error: ValidationError | PermissionDenied) -> str:
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return str(error) or "You are not allowed to do that."


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
    return render(
        request,
        "threads/home.html",
        {
            "queue": queue,
            "has_muses": has_muses,
            "elsewhere": elsewhere,
            "waiting_on_you": queue.your_turn_count + elsewhere.your_turn_total,
            # The two sections tracked threads share: (total, shown) over both kinds.
            "your_turn_total": queue.totals["your_turn"] + elsewhere.your_turn_total,
            "your_turn_shown": len(queue.your_turn) + len(elsewhere.your_turn),
            "waiting_total": queue.totals["waiting"] + elsewhere.waiting_total,
            "waiting_shown": len(queue.waiting) + len(elsewhere.waiting),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
@limits.limit("thread-create")
def thread_new(request: HttpRequest) -> HttpResponse:
    muses = muses_of_writer(request.user, include_archived=False)
    if not muses.exists():
        messages.info(request, "Create a muse first: every thread is written in character.")
        return redirect("muse-create")
    form = ThreadCreateForm(request.POST or None, muses=muses)
    if request.method == "POST" and form.is_valid():
        try:
            thread = services.thread_create(owner=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "Thread started. Invite your partners below.")
            return redirect("thread-settings", public_id=thread.public_id)
    return render(request, "threads/thread_new.html", {"form": form})


def _reply_form(request, thread, my_muses, data=None, draft=None):
    # An import's placeholder muse holds posts for another writer; nobody writes as it.
    my_muses = [m for m in my_muses if not m.is_placeholder]
    if not my_muses:
        return None
    muses = muses_of_writer(request.user).filter(pk__in=[m.pk for m in my_muses])
    initial = {"seen_post_count": thread.post_count}
    if (
        thread.is_ordered
        and thread.next_participant
        and thread.next_participant.writer_id == request.user.pk
    ):
        initial["muse"] = thread.next_participant.muse_id
    if draft is not None:
        # A saved draft comes back exactly as it was left, on any device.
        initial["body"] = draft.body
        if draft.muse_id and draft.muse_id in {m.pk for m in my_muses}:
            initial["muse"] = draft.muse_id
        initial["icon"] = draft.icon_id
    return PostForm(data, muses=muses, initial=initial)


@require_http_methods(["GET", "POST"])
def thread_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    thread = get_readable_thread(request.user, public_id)
    # Read once: the writer's own muses here, the turn banner and the people list.
    participants = selectors.thread_participants(thread)
    my_muses = (
        [p.muse for p in participants if p.writer_id == request.user.pk]
        if request.user.is_authenticated
        else []
    )
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


def _no_script_preview(request: HttpRequest, form) -> dict:
    """The preview the composer's Preview button asks for, where JavaScript does not run.

    Rendered by the same code (and under the same rate limit) as the live preview; the
    form goes back to the page bound, so the text stays in the box.
    """
    body = form.data.get("body", "")
    refused = limits.refusal(request, "preview")
    if refused:
        return {"preview_refused": refused}
    if len(body) > settings.TANDEM_POST_MAX_CHARS:
        return {
            "preview_refused": f"This post is {len(body):,} characters; posts may be at most "
            f"{settings.TANDEM_POST_MAX_CHARS:,}, so there is no preview. Split it into two posts."
        }
    html = writing.render_body(body) if body.strip() else ""
    return {
        "preview_html": html or '<p class="muted">Nothing to preview yet.</p>',
        "initial_words": count_words(html),
    }


def _ooc_count(request: HttpRequest, thread) -> int:
    """How many OOC messages the thread has, for its writers (nobody else learns of them)."""
    return thread.ooc_messages.count() if is_writer(thread, request.user) else 0


def _turn_context(request: HttpRequest, thread, form, participants=None) -> dict:
    """What the turn banner and the reply box need, on the page and in its live fragment
    (``participants``: the thread's active ones, when the caller has read them already)."""
    if participants is None:
        participants = selectors.thread_participants(thread)
    awaited = selectors.awaited_participants(thread, participants)
    can_post_now = bool(
        form is not None
        and thread.is_open_for_posts
        and (not thread.is_ordered or any(p.writer_id == request.user.pk for p in awaited))
    )
    return {
        "thread": thread,
        "participants": participants,
        "awaited": awaited,
        "form": form,
        "can_post_now": can_post_now,
        "is_owner": is_owner(thread, request.user),
        # The preview can show dialogue in the colour of any muse the writer may post as.
        "composer_muses": list(form.fields["muse"].queryset) if form is not None else [],
        # Revisions and the Edit/Remove controls are for the thread's writers only.
        "is_writer": is_writer(thread, request.user),
    }


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
    my_muses = (
        [p.muse for p in participants if p.writer_id == request.user.pk]
        if request.user.is_authenticated
        else []
    )
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


def post_permalink(request: HttpRequest, public_id: str, number: int) -> HttpResponse:
    thread = get_readable_thread(request.user, public_id)
    post = get_object_or_404(Post, thread=thread, number=number)
    page = (post.number - 1) // settings.TANDEM_POSTS_PER_PAGE + 1
    return redirect(f"{reverse('thread-detail', args=[public_id])}?page={page}#{post.anchor}")


@login_required
@require_http_methods(["GET", "POST"])
def thread_settings(request: HttpRequest, public_id: str) -> HttpResponse:
    thread = get_readable_thread(request.user, public_id)
    my_muses = selectors.writer_muses_in_thread(thread, request.user)
    owner = is_owner(thread, request.user)
    if not owner and not my_muses:
        raise PermissionDenied("Only writers in this thread can manage it.")
    form = _thread_edit_form(thread, request.POST or None) if owner else None
    if request.method == "POST":
        if form is None:
            raise PermissionDenied("Only the thread's owner can change its details.")
        if form.is_valid():
            try:
                services.thread_update(thread=thread, actor=request.user, **form.cleaned_data)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, "Thread details saved.")
                return redirect("thread-settings", public_id=public_id)
    return _settings_page(request, thread, form=form, my_muses=my_muses, owner=owner)


def _thread_edit_form(thread, data=None) -> ThreadEditForm:
    return ThreadEditForm(data, initial=thread_edit_values(thread))


def _invite_form(thread, data=None) -> InviteForm:
    """The invite box: suggests writers as the owner types (HTMX fills its datalist)."""
    form = InviteForm(data)
    form.fields["username"].widget.attrs.update(
        {
            "list": "invite-suggestions",
            "autocomplete": "off",
            "hx-get": reverse("thread-invite-suggestions", args=[thread.public_id]),
            "hx-trigger": "input changed delay:250ms",
            "hx-target": "#invite-suggestions",
            "hx-swap": "innerHTML",
        }
    )
    return form


def _settings_page(
    request: HttpRequest,
    thread,
    *,
    form,
    my_muses,
    owner: bool,
    invite_form: InviteForm | None = None,
    invite_suggestions: list | None = None,
) -> HttpResponse:
    other_muses = muses_of_writer(request.user, include_archived=False).exclude(
        pk__in=[m.pk for m in my_muses]
    )
    return render(
        request,
        "threads/thread_settings.html",
        {
            "thread": thread,
            "form": form,
            "is_owner": owner,
            "participants": selectors.thread_participants(thread),
            "invitations": selectors.thread_pending_invitations(thread),
            "invite_form": invite_form or _invite_form(thread),
            "invite_suggestions": invite_suggestions or [],
            "add_muse_form": MuseChoiceForm(muses=other_muses)
            if (my_muses or owner) and other_muses
            else None,
        },
    )


def _back_to_settings(public_id: str) -> HttpResponse:
    return redirect("thread-settings", public_id=public_id)


@login_required
@require_POST
@limits.limit("invite")
def thread_invite(request: HttpRequest, public_id: str) -> HttpResponse:
    thread = get_readable_thread(request.user, public_id)
    form = _invite_form(thread, request.POST)
    if form.is_valid():
        try:
            invitation = services.invitation_create(
                thread=thread, actor=request.user, username=form.cleaned_data["username"]
            )
        except PermissionDenied as error:
            messages.error(request, _error_text(error))
        except ValidationError as error:
            # A mistyped name stays in the box, with the writers it might have meant.
            typed = form.cleaned_data["username"]
            form.add_error("username", _error_text(error))
            return _settings_page(
                request,
                thread,
                form=_thread_edit_form(thread),
                my_muses=selectors.writer_muses_in_thread(thread, request.user),
                owner=True,
                invite_form=form,
                invite_suggestions=selectors.invite_suggestions(thread, request.user, typed),
            )
        else:
            messages.success(request, f"Invited {invitation.invitee.username}.")
            return _back_to_settings(public_id)
    else:
        messages.error(request, "Enter the username of the writer to invite.")
    return _back_to_settings(public_id)


@login_required
@require_GET
@limits.limit("search", methods=("GET",))
def thread_invite_suggestions(request: HttpRequest, public_id: str) -> HttpResponse:
    """The writers the owner may mean by what they typed so far, as <option>s."""
    thread = get_readable_thread(request.user, public_id)
    if not is_owner(thread, request.user):
        raise PermissionDenied("Only the thread's owner invites writers.")
    typed = request.GET.get("username", "")
    return render(
        request,
        "threads/_invite_suggestions.html",
        {"suggestions": selectors.invite_suggestions(thread, request.user, typed)},
    )


@login_required
@require_POST
def invitation_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    invitation = get_object_or_404(
        Invitation.objects.select_related("thread"), pk=pk, thread__owner=request.user
    )
    services.invitation_withdraw(invitation=invitation, actor=request.user)
    messages.success(request, f"Invitation to {invitation.invitee.username} withdrawn.")
    return _back_to_settings(invitation.thread.public_id)


@login_required
@require_http_methods(["GET", "POST"])
def invitation_respond(request: HttpRequest, pk: int) -> HttpResponse:
    invitation = get_object_or_404(
        Invitation.objects.select_related("thread", "invited_by", "claim_muse"),
        pk=pk,
        invitee=request.user,
    )
    muses = muses_of_writer(request.user, include_archived=False)
    # A claim names the muse the imported posts are for; the writer only picks one if
    # that muse has been deleted since.
    picks_muse = not (invitation.is_claim and invitation.claim_muse_id)
    form = MuseChoiceForm(request.POST or None, muses=muses) if picks_muse else None
    if request.method == "POST":
        try:
            if request.POST.get("answer") == "decline":
                services.invitation_decline(invitation=invitation, writer=request.user)
                messages.success(request, f"You declined “{invitation.thread.title}”.")
                return redirect("home")
            if form is None or form.is_valid():
                participant = services.invitation_accept(
                    invitation=invitation,
                    writer=request.user,
                    muse=form.cleaned_data["muse"] if form is not None else None,
                )
                messages.success(
                    request, f"{participant.muse.name} joined “{invitation.thread.title}”."
                )
                return redirect(invitation.thread)
        except (ValidationError, PermissionDenied) as error:
            messages.error(request, _error_text(error))
        invitation.refresh_from_db()
    context = {"invitation": invitation, "form": form, "has_muses": muses.exists()}
    if invitation.is_pending:
        preview = selectors.invitation_preview(invitation)
        if preview.first_post is not None:
            writing.refresh_rendered([preview.first_post])
        context["preview"] = preview
    else:
        # Once answered or withdrawn the invitation shows no more of the thread than the
        # writer may now read: its current title only if they can read it.
        context["thread_readable"] = can_read(invitation.thread, request.user)
    return render(request, "threads/invitation_respond.html", context)


@login_required
@require_POST
def participant_add(request: HttpRequest, public_id: str) -> HttpResponse:
    thread = get_readable_thread(request.user, public_id)
    form = MuseChoiceForm(request.POST, muses=muses_of_writer(request.user, include_archived=False))
    if form.is_valid():
        try:
            participant = services.participant_add_muse(
                thread=thread, writer=request.user, muse=form.cleaned_data["muse"]
            )
        except (ValidationError, PermissionDenied) as error:
            messages.error(request, _error_text(error))
        else:
            messages.success(request, f"{participant.muse.name} joined the thread.")
    else:
        messages.error(request, "Choose one of your muses.")
    return _back_to_settings(public_id)


@login_required
@require_POST
def participant_action(request: HttpRequest, public_id: str, participant_id: int) -> HttpResponse:
    thread = get_readable_thread(request.user, public_id)
    participant = get_object_or_404(
        Participant.objects.select_related("muse"), pk=participant_id, thread=thread
    )
    action = request.POST.get("action")
    try:
        if action in ("up", "down"):
            services.participant_move(
                thread=thread,
                actor=request.user,
                participant_id=participant.pk,
                offset=-1 if action == "up" else 1,
            )
            messages.success(request, "Posting order changed.")
        elif action == "remove":
            services.participant_leave(participant=participant, actor=request.user)
            verb = "left" if participant.writer_id == request.user.pk else "was removed from"
            messages.success(request, f"{participant.muse.name} {verb} the thread.")
            if not selectors.writer_muses_in_thread(thread, request.user) and not is_owner(
                thread, request.user
            ):
                return redirect("home")
        else:
            messages.error(request, "Unknown action.")
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, _error_text(error))
    return _back_to_settings(public_id)


@login_required
@require_POST
def turn_skip(request: HttpRequest, public_id: str) -> HttpResponse:
    thread = get_readable_thread(request.user, public_id)
    try:
        services.turn_skip(thread=thread, actor=request.user)
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(request, "Turn skipped.")
    return redirect(_safe_next(request, thread.get_absolute_url()))


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


REMINDER_CHOICES = [1, 2, 3, 5, 7, 14, 30]


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


def _own_post(request, public_id: str, number: int) -> Post:
    thread = get_readable_thread(request.user, public_id)
    post = get_object_or_404(
        Post.objects.select_related("thread", "muse"), thread=thread, number=number
    )
    if post.author_id != request.user.pk:
        raise PermissionDenied("Only the post's writer can change it.")
    if not is_writer(thread, request.user):
        raise PermissionDenied(
            "You are no longer writing in this thread, so your posts in it can no longer be "
            "edited, removed or restored."
        )
    return post


@login_required
@require_http_methods(["GET", "POST"])
def post_edit(request: HttpRequest, public_id: str, number: int) -> HttpResponse:
    post = _own_post(request, public_id, number)
    form = PostEditForm(request.POST or None, initial={"body": post.body})
    form.fields["body"].widget.attrs.update({"data-composer": "body"})
    no_script_preview: dict = {}
    if request.method == "POST" and request.POST.get("preview"):
        no_script_preview = _no_script_preview(request, form)  # the Preview button
    elif request.method == "POST" and form.is_valid():
        try:
            services.post_edit(post=post, writer=request.user, body=form.cleaned_data["body"])
        except ValidationError as error:
            form.add_error(None, _error_text(error))
        else:
            messages.success(request, f"Post #{post.number} saved.")
            return redirect(post)
    return render(
        request,
        "threads/post_edit.html",
        {"post": post, "thread": post.thread, "form": form, **no_script_preview},
    )


@login_required
@require_POST
def post_delete(request: HttpRequest, public_id: str, number: int) -> HttpResponse:
    post = _own_post(request, public_id, number)
    services.post_delete(post=post, writer=request.user)
    messages.success(
        request,
        f"Post #{post.number} removed. You can restore it for {settings.TANDEM_RESTORE_DAYS} days.",
    )
    return redirect(post)


@login_required
@require_POST
def post_restore(request: HttpRequest, public_id: str, number: int) -> HttpResponse:
    post = _own_post(request, public_id, number)
    try:
        services.post_restore(post=post, writer=request.user)
    except ValidationError as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(request, f"Post #{post.number} restored.")
    return redirect(post)


def post_revisions(request: HttpRequest, public_id: str, number: int) -> HttpResponse:
    thread = get_readable_thread(request.user, public_id)
    post = get_object_or_404(Post.objects.select_related("muse"), thread=thread, number=number)
    revisions = selectors.post_revisions_for(post=post, reader=request.user)
    by_number = {r.number: r for r in revisions}

    def chosen(name: str, default: int) -> int:
        value = request.GET.get(name, "")
        return int(value) if value.isdigit() and int(value) in by_number else default

    newest = revisions[0].number
    older = chosen("from", max(1, newest - 1))
    newer = chosen("to", newest)
    diff_html = word_diff(by_number[older].body, by_number[newer].body)
    return render(
        request,
        "threads/post_revisions.html",
        {
            "thread": thread,
            "post": post,
            "revisions": revisions,
            "older": older,
            "newer": newer,
            "diff_html": diff_html,
            "is_author": post.author_id == request.user.pk,
        },
    )


@login_required
@require_POST
def composer_preview(request: HttpRequest, public_id: str) -> HttpResponse:
    """The composer's live preview and word count, rendered by the same code as posts.

    Only the thread's writers have a composer; rendering costs time, so nobody else may ask.
    """
    thread = get_readable_thread(request.user, public_id)
    if not is_participant(thread, request.user) and not is_owner(thread, request.user):
        raise PermissionDenied("Only writers in this thread can preview posts here.")
    limits.hit(request, "preview")
    form = PreviewForm(request.POST)
    body = form.data.get("body", "")
    limit = settings.TANDEM_POST_MAX_CHARS
    if len(body) > limit:
        # Rendering is the costly part: a body the post form would refuse is not rendered.
        return render(
            request,
            "threads/_preview.html",
            {
                "thread": thread,
                "preview_refused": f"This post is {len(body):,} characters; posts may be at "
                f"most {limit:,}, so there is no preview. Split it into two posts.",
                "word_count": 0,
                "chars": len(body),
            },
        )
    html = writing.render_body(body) if body.strip() else ""
    return render(
        request,
        "threads/_preview.html",
        {
            "thread": thread,
            "preview_html": html,
            "word_count": count_words(html),
            "chars": len(body),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def composer_draft(request: HttpRequest, public_id: str) -> HttpResponse:
    """Autosave: keep what the writer has typed. Answers JSON for the composer script.

    GET answers the draft held now, so a page rendered a moment before its last save landed
    can tell "the server has newer text than I was given" from "that text has gone since"."""
    thread = get_readable_thread(request.user, public_id)
    my_muses = selectors.writer_muses_in_thread(thread, request.user)
    data = request.POST if request.method == "POST" else None
    form = _reply_form(request, thread, my_muses, data)
    if form is None:
        return JsonResponse({"error": "Only writers in this thread keep drafts here."}, status=403)
    if request.method == "GET":
        held = draft_for(request.user, thread)
        if held is None:
            return JsonResponse({"body": "", "revision": 0})
        return JsonResponse({"body": held.body, "revision": held.revision})
    form.is_valid()  # muse and icon are optional here; the text is saved whatever it holds
    raw_revision = request.POST.get("revision", "").strip()
    if raw_revision and not (raw_revision.isascii() and raw_revision.isdigit()):
        return JsonResponse({"error": "That draft revision is not a number."}, status=400)
    try:
        draft = writing.draft_save(
            writer=request.user,
            thread=thread,
            body=request.POST.get("body", ""),
            muse=form.cleaned_data.get("muse"),
            icon=form.cleaned_data.get("icon"),
            revision=int(raw_revision) if raw_revision else None,
        )
    except writing.DraftConflict as conflict:
        # An older save arriving late: the newer draft stays, and the page is told which.
        return JsonResponse({"error": str(conflict), "revision": conflict.held}, status=409)
    except ValidationError as error:
        return JsonResponse({"error": _error_text(error)}, status=400)
    if draft is None:  # the text has just been posted
        return JsonResponse({"saved_at": None, "posted": True})
    return JsonResponse({"saved_at": draft.updated_at.isoformat(), "revision": draft.revision})


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


@login_required
@require_POST
def post_revision_restore(
    request: HttpRequest, public_id: str, number: int, revision: int
) -> HttpResponse:
    post = _own_post(request, public_id, number)
    try:
        services.post_restore_revision(post=post, writer=request.user, number=revision)
    except ValidationError as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(request, f"Revision {revision} of post #{post.number} restored.")
    return redirect(post)
