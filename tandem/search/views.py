from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from tandem.core import limits
from tandem.search import selectors
from tandem.search.forms import SearchForm


@require_GET
@limits.limit("search", methods=("GET",))
def search(request: HttpRequest) -> HttpResponse:
    scope = selectors.search_scope(request.user, request.GET)
    if "q" not in request.GET:
        # The page itself, before anything was asked: nothing to validate or count.
        form = SearchForm(initial=request.GET.dict())
        return render(request, "search/search.html", {"form": form, "scope": scope})
    form = SearchForm(request.GET)
    results = None
    if form.is_valid():
        data = form.cleaned_data
        filters = form.filters(scope["thread"])
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
        "scope": scope,
        "max_page": selectors.MAX_PAGE,
    }
    # A refused query re-shows the form with its sentence, as every form here does (200).
    return render(request, "search/search.html", context)
