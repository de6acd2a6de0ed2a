"""Starting and running a thread: its settings page, invitations, who writes in it.

``thread_new`` starts a thread and sends the owner on to its settings page, which
``thread_settings`` shows: the details form for the owner, the people and the pending
invitations for every writer in it. The invite and participant views answer that page's
forms and go back to it (``_back_to_settings``); a refused invitation re-renders the page
with the name that was typed and the writers it might have meant. ``invitation_respond`` is
the invited writer's side, and ``turn_skip`` lets the owner pass an ordered thread's turn on.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tandem.core import limits
from tandem.muses.selectors import muses_of_writer
from tandem.threads import selectors, services
from tandem.threads.forms import (
    InviteForm,
    MuseChoiceForm,
    ThreadCreateForm,
    ThreadEditForm,
    thread_edit_values,
)
from tandem.threads.models import Invitation, Participant
from tandem.threads.permissions import can_read, get_readable_thread, is_owner
from tandem.threads.views._common import _error_text, _safe_next
from tandem.writing import services as writing


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
