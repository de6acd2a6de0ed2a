"""Open starters: the board, posting and opening a starter, asking to join, answering."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tandem.core import limits
from tandem.muses.selectors import muses_of_writer
from tandem.starters import selectors, services
from tandem.starters.forms import (
    BoardFilterForm,
    JoinRequestForm,
    StarterCreateForm,
    StarterTermsForm,
)
from tandem.starters.models import JoinRequest, Starter
from tandem.threads.models import Post
from tandem.threads.permissions import get_readable_thread, is_owner
from tandem.writing import services as writing


def _error_text(error: ValidationError | PermissionDenied) -> str:
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return str(error) or "You are not allowed to do that."


@require_GET
def board(request: HttpRequest) -> HttpResponse:
    form = BoardFilterForm(request.GET or None)
    tag = rating = ""
    if form.is_valid():
        tag = " ".join(form.cleaned_data["tag"].split())
        rating = form.cleaned_data["rating"]
    starters = selectors.board(request.user, tag=tag, rating=rating)
    page = Paginator(starters, selectors.STARTERS_PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "starters/board.html",
        {
            "form": form,
            "page": page,
            "tag": tag,
            "filtered": bool(tag or rating),
            "query": query.urlencode(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
@limits.limit("thread-create")
def starter_new(request: HttpRequest) -> HttpResponse:
    muses = muses_of_writer(request.user, include_archived=False)
    if not muses.exists():
        messages.info(request, "Create a muse first: every starter is written in character.")
        return redirect("muse-create")
    form = StarterCreateForm(request.POST or None, muses=muses)
    if request.method == "POST" and form.is_valid():
        try:
            starter = services.starter_create(owner=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "Your starter is on the board.")
            return redirect(starter)
    return render(request, "starters/starter_new.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def starter_open(request: HttpRequest, public_id: str) -> HttpResponse:
    """Open one of your threads as a starter (or open its closed starter again)."""
    thread = get_readable_thread(request.user, public_id)
    if not is_owner(thread, request.user):
        raise PermissionDenied("Only the thread's owner can open it as a starter.")
    existing = Starter.objects.filter(thread=thread).first()
    if existing is not None and existing.closed_at is None:
        return redirect("starter-manage", pk=existing.pk)
    initial = (
        {"open_slots": 1, "looking_for": existing.looking_for} if existing else {"open_slots": 1}
    )
    form = StarterTermsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            starter = services.starter_open(thread=thread, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"“{thread.title}” is on the starters board.")
            return redirect(starter)
    return render(
        request,
        "starters/starter_open.html",
        {"thread": thread, "form": form, "reopening": existing is not None},
    )


def _opening_post(starter: Starter) -> Post | None:
    post = (
        starter.thread.posts.filter(deleted_at__isnull=True)
        .select_related("muse", "icon")
        .order_by("number")
        .first()
    )
    if post is not None:
        writing.refresh_rendered([post])
    return post


@require_GET
def starter_detail(request: HttpRequest, pk: int) -> HttpResponse:
    starter = selectors.get_visible_starter(request.user, pk)
    user = request.user
    refusal = selectors.join_refusal(starter, user) if user.is_authenticated else None
    form = None
    muses = None
    if user.is_authenticated and refusal is None:
        muses = muses_of_writer(user, include_archived=False)
        if muses.exists():
            form = JoinRequestForm(muses=muses)
    return render(
        request,
        "starters/starter_detail.html",
        {
            "starter": starter,
            "thread": starter.thread,
            "opening": _opening_post(starter),
            "cast": starter.thread.participants.filter(
                left_at__isnull=True, muse__is_placeholder=False
            ).select_related("muse", "writer"),
            "tags": starter.thread.tags.all(),
            "is_owner": is_owner(starter.thread, user),
            "listed": selectors.is_listed(starter),
            "refusal": refusal,
            "pending": selectors.pending_request(starter, user),
            "form": form,
            "has_muses": muses is None or muses.exists(),
        },
    )


@login_required
@require_POST
@limits.limit("invite")
def starter_request(request: HttpRequest, pk: int) -> HttpResponse:
    starter = selectors.get_visible_starter(request.user, pk)
    form = JoinRequestForm(
        request.POST, muses=muses_of_writer(request.user, include_archived=False)
    )
    if form.is_valid():
        try:
            join_request = services.join_request_create(
                starter=starter, writer=request.user, **form.cleaned_data
            )
        except (ValidationError, PermissionDenied) as error:
            messages.error(request, _error_text(error))
        else:
            messages.success(
                request,
                f"You asked to join with {join_request.muse.name}. "
                f"{starter.thread.owner.shown_name} will be told.",
            )
    else:
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
    return redirect(starter)


def _own_starter(request: HttpRequest, pk: int) -> Starter:
    return get_object_or_404(
        Starter.objects.select_related("thread__owner"), pk=pk, thread__owner=request.user
    )


@login_required
@require_http_methods(["GET", "POST"])
def starter_manage(request: HttpRequest, pk: int) -> HttpResponse:
    """The owner's page: the requests with accept and decline, the starter's terms."""
    starter = _own_starter(request, pk)
    form = None
    if starter.closed_at is None:
        form = StarterTermsForm(
            request.POST or None,
            initial={"open_slots": starter.open_slots, "looking_for": starter.looking_for},
        )
    if request.method == "POST":
        if form is None:
            messages.error(request, "This starter is closed; open it again to change it.")
            return redirect("starter-manage", pk=pk)
        if form.is_valid():
            try:
                services.starter_update(starter=starter, actor=request.user, **form.cleaned_data)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, "Starter saved.")
                return redirect("starter-manage", pk=pk)
    page = Paginator(selectors.starter_requests(starter), selectors.REQUESTS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "starters/starter_manage.html",
        {
            "starter": starter,
            "thread": starter.thread,
            "form": form,
            "page": page,
            "listed": selectors.is_listed(starter),
        },
    )


@login_required
@require_POST
def starter_close(request: HttpRequest, pk: int) -> HttpResponse:
    starter = _own_starter(request, pk)
    services.starter_close(starter=starter, actor=request.user)
    messages.success(request, "The starter is closed and off the board.")
    return redirect("starter-manage", pk=pk)


@login_required
@require_POST
def join_request_answer(request: HttpRequest, pk: int) -> HttpResponse:
    join_request = get_object_or_404(
        JoinRequest.objects.select_related("starter__thread", "writer", "muse"),
        pk=pk,
        starter__thread__owner=request.user,
    )
    answer = request.POST.get("answer")
    try:
        if answer == "accept":
            participant = services.join_request_accept(
                join_request=join_request, actor=request.user
            )
            messages.success(
                request,
                f"{participant.muse.name} ({join_request.writer.username}) joined "
                f"“{join_request.starter.thread.title}”.",
            )
        elif answer == "decline":
            services.join_request_decline(join_request=join_request, actor=request.user)
            messages.success(request, f"You declined {join_request.writer.username}'s request.")
        else:
            messages.error(request, "Choose accept or decline.")
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, _error_text(error))
    return redirect("starter-manage", pk=join_request.starter_id)


@login_required
@require_POST
def join_request_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    join_request = get_object_or_404(
        JoinRequest.objects.select_related("starter__thread"), pk=pk, writer=request.user
    )
    try:
        services.join_request_withdraw(join_request=join_request, actor=request.user)
    except ValidationError as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(request, "Request withdrawn.")
    return redirect("starter-mine")


@login_required
@require_GET
def starter_mine(request: HttpRequest) -> HttpResponse:
    """A writer's own starters and the requests they sent."""
    requests_page = Paginator(
        selectors.my_requests(request.user), selectors.REQUESTS_PER_PAGE
    ).get_page(request.GET.get("page"))
    sent = list(requests_page.object_list)
    selectors.mark_readable(sent, request.user)
    starters = list(selectors.my_starters(request.user)[: selectors.STARTERS_PER_PAGE * 5])
    return render(
        request,
        "starters/starter_mine.html",
        {"requests_page": requests_page, "sent": sent, "starters": starters},
    )
