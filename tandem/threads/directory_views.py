"""Discovery pages: the directory of public threads, a tag's page, tag suggestions."""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from tandem.threads import directory
from tandem.threads.forms import DirectoryForm
from tandem.threads.models import TagCategory
from tandem.threads.services import TAG_FIELDS

#: A tag field holds at most this much typed text worth reading for a suggestion.
SUGGEST_INPUT_MAX = 10_000


@require_GET
def explore(request: HttpRequest) -> HttpResponse:
    form = DirectoryForm(request.GET or None)
    filters = form.filters()
    page = directory.directory_page(filters, request.user, request.GET.get("page"))
    sort_label = directory.SORTS.get(filters.sort, directory.SORTS[directory.DEFAULT_SORT])[0]
    return render(
        request,
        "threads/explore.html",
        {"form": form, "filters": filters, "page": page, "sort_label": sort_label},
    )


@require_GET
def tag_detail(request: HttpRequest, category: str, name: str) -> HttpResponse:
    tag = directory.get_shown_tag(category, name)
    if (category, name) != (tag.category, tag.name):
        # One address per tag, in its own spelling; a synonym's page is its canonical tag's.
        return redirect(tag)
    page = directory.tag_page(tag, request.user, request.GET.get("page"))
    return render(request, "threads/tag_detail.html", {"tag": tag, "page": page})


@require_GET
def tag_suggest(request: HttpRequest, category: str) -> HttpResponse:
    """A <datalist> of tags for the tag field of that kind. The field holds several tags,
    comma separated, so each option is the whole field with its last tag completed."""
    if category not in TagCategory.values:
        raise Http404("No such kind of tag.")
    typed = request.GET.get(TAG_FIELDS[category], request.GET.get("q", ""))[:SUGGEST_INPUT_MAX]
    head, _, last = typed.rpartition(",")
    before = [part.strip() for part in head.split(",") if part.strip()]
    prefix = ", ".join(before) + ", " if before else ""
    tags = directory.tag_suggestions(category, last, request.user)
    return render(
        request,
        "threads/_tag_suggestions.html",
        {"list_id": f"tag-suggestions-{category}", "options": [prefix + t.name for t in tags]},
    )
