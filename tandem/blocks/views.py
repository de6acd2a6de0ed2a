from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from tandem.accounts.models import User
from tandem.blocks import selectors
from tandem.blocks.services import BlockError, block_writer, unblock_writer
from tandem.core.limits import limit

BLOCKS_PER_PAGE = 50


@login_required
@require_http_methods(["GET"])
def block_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.blocks_made_by(request.user), BLOCKS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    for block in page.object_list:
        block.shared = selectors.shared_threads(request.user, block.blocked)
    return render(request, "blocks/block_list.html", {"page": page})


@login_required
@require_http_methods(["GET", "POST"])
@limit("block")
def block_confirm(request: HttpRequest, username: str) -> HttpResponse:
    """GET: what blocking does, and the threads the two share. POST: block."""
    other = get_object_or_404(User, username__iexact=username, is_active=True)
    if request.method == "POST":
        try:
            block_writer(blocker=request.user, blocked=other)
        except BlockError as error:
            messages.error(request, str(error))
            return redirect("block-list")
        messages.success(
            request,
            f"You blocked {other.shown_name}. Threads you share stay; leave them below if "
            "you wish.",
        )
        return redirect("block-list")
    already = selectors.blocks_made_by(request.user).filter(blocked=other).exists()
    return render(
        request,
        "blocks/block_confirm.html",
        {
            "other": other,
            "already": already,
            "is_self": other.pk == request.user.pk,
            "shared": selectors.shared_threads(request.user, other),
        },
    )


@login_required
@require_POST
def unblock(request: HttpRequest, username: str) -> HttpResponse:
    other = get_object_or_404(User, username__iexact=username)
    unblock_writer(blocker=request.user, blocked=other)
    messages.success(request, f"You unblocked {other.shown_name}.")
    return redirect("block-list")
