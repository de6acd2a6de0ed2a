"""Reads for discovery: the directory of public threads, a tag's page, tag suggestions.

Cost stays flat as the archive grows: each sort is served by an index over public threads
(``Thread.Meta.indexes``), the count behind the pager stops at ``MAX_PAGES`` pages and so
does the deepest offset, and a page is a constant number of queries (the count, the page,
its muses, its tags; plus two to resolve a tag filter and one for the viewer's blocks).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from django.core.paginator import Page, Paginator
from django.db.models import Exists, F, OuterRef, Prefetch, Q, QuerySet
from django.db.models.functions import Coalesce
from django.http import Http404

from tandem.accounts.models import User
from tandem.blocks.selectors import exclude_hidden_threads, has_blocks
from tandem.moderation.selectors import thread_is_hidden
from tandem.threads.models import Rating, Status, Tag, TagCategory, Thread, TurnMode, Visibility
from tandem.threads.selectors import _active_participants, open_slot_thread_ids
from tandem.threads.services.tags import normalise_tag

PER_PAGE = 20
#: The deepest page reachable: past it the pager says "more", like a search engine does.
MAX_PAGES = 250
SUGGESTIONS = 10

#: Sort keys, each matching one index's order (newest first, ties broken by id).
SORTS: dict[str, tuple[str, list]] = {
    "active": (
        "Recently active",
        # Its last post, or its start for a thread nobody has posted in yet.
        [Coalesce("last_post_at", "created_at").desc(), F("id").desc()],
    ),
    "newest": ("Newest", [F("created_at").desc(), F("id").desc()]),
    "words": ("Most words", [F("word_count").desc(), F("id").desc()]),
}
DEFAULT_SORT = "active"


@dataclass(frozen=True)
class DirectoryFilters:
    tag: str = ""
    rating: str = ""
    status: str = ""
    turn_mode: str = ""
    open_slot: bool = False
    sort: str = DEFAULT_SORT


class CappedPaginator(Paginator):
    """Counts at most ``MAX_PAGES`` pages of rows, so neither the count nor the offset of
    the last page grows with the archive."""

    @cached_property
    def count(self) -> int:
        # Unordered: the count needs no sort, and without one the database may find the
        # rows the cheapest way (for a tag, its threads by the tag's index).
        return self.object_list.order_by()[: self.per_page * MAX_PAGES].count()

    @property
    def is_capped(self) -> bool:
        return self.count >= self.per_page * MAX_PAGES


def _public() -> QuerySet[Thread]:
    # Public threads, without those moderators hid (listed to nobody but their writers).
    return Thread.objects.filter(visibility=Visibility.PUBLIC).exclude(thread_is_hidden())


def _listing(threads: QuerySet[Thread]) -> QuerySet[Thread]:
    return threads.prefetch_related(
        Prefetch("participants", queryset=_active_participants(), to_attr="active"),
        Prefetch("tags", queryset=Tag.objects.order_by("category", "name")),
    )


def _for_viewer(threads: QuerySet[Thread], viewer: User | None) -> QuerySet[Thread]:
    # A writer on neither side of any block (most of them) gets the plain, index-only query.
    if viewer is not None and has_blocks(viewer):
        return exclude_hidden_threads(threads, viewer)
    return threads


def tags_named(name: str) -> list[int]:
    """The canonical tag ids a typed name stands for, in any category (a synonym gives its
    canonical tag)."""
    name = normalise_tag(name)
    if not name:
        return []
    return sorted(
        {
            tag.canonical_id or tag.pk
            for tag in Tag.objects.filter(name__iexact=name).only("pk", "canonical_id")
        }
    )


def tagged(tag_ids: list[int], thread_ref: str = "pk") -> Exists:
    """Whether the outer row's thread (at ``thread_ref``) carries one of ``tag_ids`` or a
    synonym of one. Directory, tag pages and search's tag filter share it."""
    # Synonyms still holding threads (merges re-point them, so that is only a safety net)
    # are looked up first: a filter on the tag table inside the subquery would join every
    # row of the through table, where plain ids probe its (thread, tag) index. A
    # correlated EXISTS lets the database walk the listing's index in order and stop at
    # a page, instead of gathering every thread of a tag on a third of them first.
    synonyms = Tag.objects.filter(canonical_id__in=tag_ids).values_list("pk", flat=True)
    every = sorted({*tag_ids, *synonyms})
    through = Thread.tags.through.objects.filter(thread_id=OuterRef(thread_ref), tag_id__in=every)
    return Exists(through)


def directory_page(filters: DirectoryFilters, viewer: User | None, page: object) -> Page:
    """One page of public threads matching ``filters``, newest-by-the-sort first, without
    those of writers hidden from ``viewer`` by a block."""
    threads = _public()
    if filters.tag:
        threads = threads.filter(tagged(tags_named(filters.tag)))
    if filters.rating in Rating.values:
        threads = threads.filter(rating=filters.rating)
    if filters.status in Status.values:
        threads = threads.filter(status=filters.status)
    if filters.turn_mode in TurnMode.values:
        threads = threads.filter(turn_mode=filters.turn_mode)
    if filters.open_slot:
        threads = threads.filter(pk__in=open_slot_thread_ids())
    _, order = SORTS.get(filters.sort, SORTS[DEFAULT_SORT])
    threads = _listing(_for_viewer(threads, viewer).order_by(*order))
    return CappedPaginator(threads, PER_PAGE).get_page(page)


def get_tag(category: str, name: str) -> Tag | None:
    """The tag of that kind with that name (ignoring case and extra spaces), or None."""
    name = normalise_tag(name)
    if category not in TagCategory.values or not name:
        return None
    return (
        Tag.objects.filter(category=category, name__iexact=name)
        .select_related("canonical")
        .order_by("pk")
        .first()
    )


def tag_threads(tag: Tag) -> QuerySet[Thread]:
    """The public threads carrying ``tag`` (a canonical tag) or one of its synonyms, less
    those moderators hid: what its page and its feed may show to anyone."""
    return _public().filter(tagged([tag.pk]))


def tag_is_public(tag: Tag) -> bool:
    """Whether any public thread carries the tag: a tag only private threads use is not
    shown anywhere, its page included (its name could tell what a private story is about)."""
    return tag_threads(tag).exists()


def get_shown_tag(category: str, name: str) -> Tag:
    """The tag a tag address stands for, as its page and its feed show it: the canonical
    tag (a synonym stands for it). A 404 if there is none or no public thread carries it."""
    tag = get_tag(category, name)
    tag = tag and (tag.canonical or tag)
    if tag is None or not tag_is_public(tag):
        raise Http404("No such tag.")
    return tag


def tag_page(tag: Tag, viewer: User | None, page: object) -> Page:
    """The public threads carrying ``tag`` (a canonical tag) or one of its synonyms."""
    threads = tag_threads(tag)
    threads = _listing(_for_viewer(threads, viewer).order_by(*SORTS[DEFAULT_SORT][1]))
    return CappedPaginator(threads, PER_PAGE).get_page(page)


def tag_suggestions(category: str, typed: str, viewer: User | None) -> list[Tag]:
    """Up to ``SUGGESTIONS`` canonical tags of that kind whose name (or one of its words)
    starts with ``typed``, among tags on public threads or on the viewer's own threads."""
    typed = normalise_tag(typed)
    if category not in TagCategory.values or not typed:
        return []
    seen = Q(thread__in=_public())
    if viewer is not None and viewer.is_authenticated:
        seen |= Q(thread__owner=viewer)
    used = Thread.tags.through.objects.filter(seen).values("tag_id")
    return list(
        Tag.objects.filter(
            Q(name__istartswith=typed) | Q(name__icontains=" " + typed),
            category=category,
            canonical__isnull=True,
            pk__in=used,
        ).order_by("name")[:SUGGESTIONS]
    )
