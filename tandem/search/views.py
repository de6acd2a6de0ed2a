from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from tandem.core import limits
from tandem.muses.models import Muse
from tandem.search import selectors
from tandem.search.forms import SearchForm
from tandem.threads.models import Thread
from tandem.threads.permissions import can_read


@require_GET
@limits.limit("search", methods=("GET",))
def search(request: HttpRequest) -> HttpResponse:
    if "q" not in request.GET:
        # The page itself, before anything was asked: nothing to validate or count.
        form = SearchForm(initial=request.GET.dict())
        return render(request, "search/search.html", {"form": form, "scope": _scope(request)})
    form = SearchForm(request.GET)
    results = None
    if form.is_valid():
        data = form.cleaned_data
        scope = _scope(request)
        filters = selectors.Filters(
            tag=data["tag"].strip(),
            rating=data["rating"],
            warning=data["warning"],
            status=data["status"],
            muse=data["muse"],
            writer=data["writer"].strip(),
            mine=data["mine"],
            after=data["after"],
            before=data["before"],
            thread=scope["thread"],
        )
        if data["thread"] and scope["thread"] is None:
            # A thread this reader may not read, or none at all: the same empty answer.
            filters = selectors.Filters(unreadable_thread=True)
        results = selectors.search(
            user=request.user,
            query=form.parsed,
            filters=filters,
            kind=data["kind"],
            sort=data["sort"],
            page=data["page"],
        )
    context = {
        "form": form,
        "results": results,
        "scope": _scope(request),
        "max_page": selectors.MAX_PAGE,
    }
    # A refused query re-shows the form with its sentence, as every form here does (200).
    return render(request, "search/search.html", context)


def _scope(request: HttpRequest) -> dict:
    """The thread and muse the search is narrowed to, when the reader may see them."""
    thread = None
    public_id = request.GET.get("thread", "")[:16]
    if public_id:
        found = Thread.objects.filter(public_id=public_id).first()
        if found is not None and can_read(found, request.user):
            thread = found
    muse = None
    muse_id = request.GET.get("muse", "")
    if muse_id.isdigit():
        muse = Muse.objects.filter(pk=int(muse_id), is_placeholder=False).first()
    return {"thread": thread, "muse": muse}
