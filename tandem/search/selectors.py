"""Search: posts through the database's full-text engine, threads, muses and writers by their
names. Every query carries the reader's permission filter in its SQL, before any LIMIT, so a
count or a page can only ever be made of what the searcher may read.

Who may find what (docs/decisions.md, "Search (issue 10)"):

* posts and threads: public threads for everyone, and the threads the searcher writes in
  (owner, or a muse still in it) whatever their visibility. Unlisted threads are "anyone with
  the link", so only "search in this thread" from the thread itself finds their posts;
  private threads of others, threads a writer has left and pending invitations never count;
* removed posts never; OOC talk, drafts and revisions are not indexed at all;
* muses: not placeholders, not archived, of active accounts; writers: active accounts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from django.contrib.postgres.search import (
    SearchHeadline,
    SearchQuery,
    SearchRank,
    SearchVectorField,
)
from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import Case, F, IntegerField, Q, QuerySet, Value, When
from django.db.models.expressions import RawSQL
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from tandem.accounts.models import User
from tandem.blocks.selectors import exclude_hidden_threads, has_blocks, hidden_writer_ids
from tandem.moderation.selectors import muse_is_hidden, post_is_hidden, thread_is_hidden
from tandem.muses.models import Muse
from tandem.search import engines
from tandem.search.query import ParsedQuery, Term
from tandem.threads.directory import tagged, tags_named
from tandem.threads.models import Participant, Post, Thread, Visibility
from tandem.threads.permissions import can_read

PER_PAGE = 20
MAX_PAGE = 50
#: Results stop here (the last reachable page's): counts say "1000+" past it, and "best
#: match" ranks the newest this many posts of a query that matches more.
RESULT_CAP = PER_PAGE * MAX_PAGE
#: The same for posts when the search is filtered by the thread's rating, tag, warning or
#: status. Each keeps a large share of threads, so finding the newest matches walks that
#: many more posts (a third of the threads: three times the posts); stopping sooner keeps
#: a filtered search as cheap as an unfiltered one (docs/benchmarks.md, "Discovery").
FILTERED_POST_CAP = 400
KINDS = ("posts", "threads", "muses", "writers")

# Private-use characters mark the highlights in the engines' snippets; everything else is
# escaped before they become <mark> elements.
_START, _STOP = "\ue000", "\ue001"
_MARKED = re.compile(f"{_START}([^{_START}{_STOP}]*){_STOP}")


@dataclass(frozen=True)
class Filters:
    tag: str = ""
    rating: str = ""
    warning: str = ""
    status: str = ""
    muse: int | None = None
    writer: str = ""
    mine: bool = False
    after: date | None = None
    before: date | None = None
    #: "Search in this thread": the thread itself, already checked with ``can_read``.
    thread: Thread | None = None
    #: "Search in this thread" for a thread the reader may not read (or that does not
    #: exist): nothing, in every kind, so the answer says nothing about it.
    unreadable_thread: bool = False


@dataclass
class Results:
    kind: str
    page: Page
    counts: dict[str, int] = field(default_factory=dict)
    #: The kinds with more than ``RESULT_CAP`` results ("1000+").
    capped: frozenset[str] = frozenset()

    @property
    def count(self) -> int:
        """How many of the shown kind there are (at most ``RESULT_CAP``)."""
        return self.counts.get(self.kind, 0)

    @property
    def is_capped(self) -> bool:
        return self.kind in self.capped


def caps(filters: Filters) -> dict[str, int]:
    """Where each kind's results stop for this search ("N+" past it)."""
    found = dict.fromkeys(KINDS, RESULT_CAP)
    if filters.tag or filters.rating or filters.warning or filters.status:
        found["posts"] = min(FILTERED_POST_CAP, RESULT_CAP)
    return found


# ------------------------------------------------------------------ who may find what


def _my_threads(user: User) -> list[int]:
    """Ids of the threads ``user`` writes in: owned, or with a muse of theirs still in it.

    Taken as a list (two index lookups, a writer has tens or hundreds of threads), so that
    the queries using it see how few they are: as an ``OR``-ed subquery PostgreSQL read
    every thread (40 ms at 125,000 threads), and every post matching a common word.
    """
    owned = Thread.objects.filter(owner=user).order_by().values_list("pk", flat=True)
    active = Participant.objects.filter(writer=user, left_at__isnull=True).order_by()
    return sorted(set(owned.union(active.values_list("thread_id", flat=True))))


def _public_threads(user: User) -> Q:
    """Public threads, less those of writers hidden from ``user`` by a block."""
    # A thread moderators hid is found by nobody but its writers (``_my_threads``).
    public = Q(visibility=Visibility.PUBLIC) & ~thread_is_hidden()
    if not has_blocks(user):
        return public
    listed = exclude_hidden_threads(Thread.objects.filter(public), user)
    return Q(pk__in=listed.values("pk"))


def findable_threads(user: User) -> QuerySet[Thread]:
    visible = _public_threads(user)
    if user.is_authenticated:
        visible |= Q(pk__in=_my_threads(user))
    return Thread.objects.filter(visible)


def _findable_parts(user: User, thread: Thread | None = None) -> list[QuerySet[Post]]:
    """The posts ``user`` may find, as one or two querysets whose union is all of them.

    A signed-in writer without blocks gets two: public posts, and posts in their own
    threads. Each is served by its own index (newest posts; the writer's threads), where
    one query with ``OR`` between them makes PostgreSQL read every match of a common word
    (2.5 s for a phrase at 1M posts, against 20 ms and 5 ms for the two halves).
    """
    # Posts moderators hid are left out like removed ones, for everyone.
    posts = Post.objects.filter(deleted_at__isnull=True).exclude(post_is_hidden())
    if thread is not None:
        # The caller checked can_read for this one thread; its posts are what its page shows.
        if not can_read(thread, user):
            return [posts.none()]
        return [posts.filter(thread=thread)]
    if has_blocks(user):
        # Nothing written by a writer hidden by a block, even in a thread of the searcher's.
        posts = posts.exclude(author_id__in=hidden_writer_ids(user))
        return [posts.filter(thread_id__in=findable_threads(user).values("pk"))]
    public = posts.filter(thread__visibility=Visibility.PUBLIC).exclude(
        thread_is_hidden("thread_id")
    )
    if not user.is_authenticated:
        return [public]
    mine = _my_threads(user)
    return [public, posts.filter(thread_id__in=mine)] if mine else [public]


def findable_posts(user: User, thread: Thread | None = None) -> QuerySet[Post]:
    parts = _findable_parts(user, thread)
    return parts[0] if len(parts) == 1 else parts[0] | parts[1]


# ------------------------------------------------------------------ filters


def _thread_filter(user: User, filters: Filters, prefix: str = "") -> Q:
    """The thread filters, on threads (``prefix=""``) or on posts (``prefix="thread__"``)."""
    thread_key = "thread_id__in" if prefix else "pk__in"
    q = Q()
    if filters.tag:
        # A synonym staff merged away finds the threads of the tag it stands for.
        q &= Q(tagged(tags_named(filters.tag), "thread_id" if prefix else "pk"))
    if filters.rating:
        q &= Q(**{f"{prefix}rating": filters.rating})
    if filters.warning:
        # Warnings are a JSON list of codes; the quoted code matches one whole element on
        # both engines (a containment lookup is not available on SQLite).
        q &= Q(**{f"{prefix}warnings__icontains": f'"{filters.warning}"'})
    if filters.status:
        q &= Q(**{f"{prefix}status": filters.status})
    if filters.mine:
        if not user.is_authenticated:
            return Q(pk__in=[])
        q &= Q(**{thread_key: _my_threads(user)})
    return q


def _post_filter(user: User, filters: Filters) -> Q:
    q = _thread_filter(user, filters, prefix="thread__")
    if filters.muse:
        q &= Q(muse_id=filters.muse)
    if filters.writer:
        q &= Q(author__username__iexact=filters.writer)
    if filters.after:
        q &= Q(created_at__date__gte=filters.after)
    if filters.before:
        q &= Q(created_at__date__lte=filters.before)
    return q


# ------------------------------------------------------------------ posts

#: Newest first; ``threads_post_newest_idx`` serves it, so taking the newest matches stops
#: early however many posts match.
NEWEST = ("-created_at", "-pk")


def matching_posts(user: User, query: ParsedQuery, filters: Filters) -> QuerySet[Post]:
    """The posts ``user`` may find that match ``query`` and ``filters``, in no order."""
    return _matching(
        findable_posts(user, filters.thread).filter(_post_filter(user, filters)), query
    )


def _newest_matching_ids(user: User, query: ParsedQuery, filters: Filters, limit: int) -> list[int]:
    """The ids of the newest ``limit`` posts ``matching_posts`` would give, newest first."""
    rows: set[tuple] = set()
    for part in _findable_parts(user, filters.thread):
        found = _matching(part.filter(_post_filter(user, filters)), query).order_by(*NEWEST)
        rows.update(found.values_list("created_at", "pk")[:limit])
    return [pk for _, pk in sorted(rows, reverse=True)[:limit]]


def _matching(posts: QuerySet[Post], query: ParsedQuery) -> QuerySet[Post]:
    if engines.vendor(connection) == "postgresql":
        vector = RawSQL(f'"{engines.POSTS}"."search_vector"', [], output_field=SearchVectorField())
        return posts.annotate(vector=vector).filter(vector=_pg_query(query))
    return _sqlite(posts, query)


def _pg_query(query: ParsedQuery) -> SearchQuery:
    found = SearchQuery(query.websearch(), search_type="websearch", config=engines.PG_CONFIG)
    for term in query.excluded:
        found &= ~SearchQuery(f'"{term.text}"', search_type="websearch", config=engines.PG_CONFIG)
    return found


def _ranked(post_ids: list[int], query: ParsedQuery, *, shown: bool) -> QuerySet[Post]:
    """The posts ``post_ids`` (already found, so already allowed) with their rank; ``shown``
    adds what a result shows (snippet, thread, muse, writer), for a page of them only."""
    # Removed since the ids were taken: left out, as they would have been a moment earlier.
    posts = Post.objects.filter(pk__in=post_ids, deleted_at__isnull=True)
    if shown:
        posts = posts.select_related("thread", "muse", "author")
    if engines.vendor(connection) == "sqlite":
        return _sqlite(posts, query, snippets=shown)
    found = _pg_query(query)
    vector = RawSQL(f'"{engines.POSTS}"."search_vector"', [], output_field=SearchVectorField())
    posts = posts.annotate(rank=SearchRank(vector, found, cover_density=True))
    if not shown:
        return posts
    return posts.annotate(
        snippet_raw=SearchHeadline(
            "body",
            found,
            config=engines.PG_CONFIG,
            start_sel=_START,
            stop_sel=_STOP,
            max_words=30,
            min_words=12,
            max_fragments=2,
            fragment_delimiter=" … ",
        ),
    )


def _sqlite(posts: QuerySet[Post], query: ParsedQuery, *, snippets: bool = False):
    fts = engines.FTS
    # The ORM cannot name a virtual table, so the FTS5 table joins through ``extra``; the
    # MATCH and the rowid join stay in the one query that the permission filter is in.
    # bm25 is smaller for better matches; negated so that larger is better, as on PostgreSQL.
    select, select_params = {"rank": f"-bm25({fts})"}, []
    if snippets:
        select["snippet_raw"] = f"snippet({fts}, 0, %s, %s, ' … ', 24)"
        select_params = [_START, _STOP]
    return posts.extra(
        tables=[fts],
        where=[f"{fts}.rowid = {engines.POSTS}.id", f"{fts} MATCH %s"],
        params=[query.fts5()],
        select=select,
        select_params=select_params,
    )


def _post_page(user: User, query: ParsedQuery, filters: Filters, sort: str, page: int):
    """How many posts match (at most the posts' cap + 1, see ``caps``) and the requested
    page of them.

    The cost is bounded whatever the query: the newest cap + 1 matches are
    taken by an index in date order and counted, and "best match" ranks only those (the
    engines would otherwise score every match before keeping 20). A query matching more
    is told so ("1000+") and can be narrowed; one matching fewer is ranked whole. Only the
    page's 20 posts get a snippet and their thread, muse and writer.
    """
    cap = caps(filters)["posts"]
    found = _newest_matching_ids(user, query, filters, cap + 1)
    ids = found[:cap]
    current = Paginator(ids, PER_PAGE).get_page(page)
    on_page = list(current.object_list)
    if sort != "date" and ids:
        best = _ranked(ids, query, shown=False).order_by("-rank", *NEWEST)
        best = best.values_list("pk", flat=True)
        on_page = list(best[current.start_index() - 1 : current.end_index()])
    rows = {post.pk: post for post in _ranked(on_page, query, shown=True)}
    current.object_list = [rows[pk] for pk in on_page if pk in rows]
    for post in current.object_list:
        post.snippet = highlighted(post.snippet_raw)
    return len(found), current


def highlighted(raw: str | None) -> SafeString:
    """An engine's snippet as HTML: every character escaped, the matches in <mark>."""
    text = escape(raw or "")
    text = _MARKED.sub(r"<mark>\1</mark>", text)
    return mark_safe(text.replace(_START, "").replace(_STOP, ""))


# ------------------------------------------------------------------ threads, muses, writers


def _matches(fields: list[str], term: Term, extra: Q | None = None) -> Q:
    q = Q()
    for name in fields:
        q |= Q(**{f"{name}__icontains": term.raw})
    return q | extra if extra is not None else q


def _text_filter(query: ParsedQuery, match) -> Q:
    found = Q()
    for group in query.groups:
        every = Q()
        for term in group:
            every &= match(term)
        found |= every
    for term in query.excluded:
        found &= ~match(term)
    return found


def search_threads(user: User, query: ParsedQuery, filters: Filters, sort: str):
    def match(term: Term) -> Q:
        # A union of three index-served lookups (the trigram indexes on PostgreSQL): an OR
        # across the columns and a tag subquery would read every thread.
        titled = Thread.objects.filter(title__icontains=term.raw).values("pk")
        summarised = Thread.objects.filter(summary__icontains=term.raw).values("pk")
        tagged = Thread.tags.through.objects.filter(tag__name__icontains=term.raw)
        return Q(pk__in=titled.union(summarised, tagged.values("thread_id"), all=True))

    threads = findable_threads(user).filter(_thread_filter(user, filters))
    if filters.thread is not None:
        threads = threads.filter(pk=filters.thread.pk)
    if filters.writer:
        threads = threads.filter(
            pk__in=Participant.objects.filter(writer__username__iexact=filters.writer).values(
                "thread_id"
            )
        )
    if filters.muse:
        threads = threads.filter(
            pk__in=Participant.objects.filter(muse_id=filters.muse).values("thread_id")
        )
    if filters.after:
        threads = threads.filter(created_at__date__gte=filters.after)
    if filters.before:
        threads = threads.filter(created_at__date__lte=filters.before)
    threads = threads.filter(_text_filter(query, match)).select_related("owner")
    if sort == "date":
        return threads.order_by(F("last_post_at").desc(nulls_last=True), "-pk")
    title_hit = Q()
    for term in query.positive_terms:
        title_hit &= Q(title__icontains=term.raw)
    return threads.annotate(
        title_rank=Case(
            When(title_hit, then=Value(0)), default=Value(1), output_field=IntegerField()
        )
    ).order_by("title_rank", F("last_post_at").desc(nulls_last=True), "-pk")


def search_muses(user: User, query: ParsedQuery, filters: Filters, sort: str):
    muses = (
        Muse.objects.filter(is_placeholder=False, archived_at__isnull=True, owner__is_active=True)
        .exclude(muse_is_hidden())
        .filter(_text_filter(query, lambda term: _matches(["name", "nicknames"], term)))
    )
    if has_blocks(user):
        muses = muses.exclude(owner_id__in=hidden_writer_ids(user))
    if filters.writer:
        muses = muses.filter(owner__username__iexact=filters.writer)
    return muses.select_related("owner").order_by("name", "pk")


def search_writers(user: User, query: ParsedQuery, filters: Filters, sort: str):
    writers = User.objects.filter(is_active=True).filter(
        _text_filter(query, lambda term: _matches(["username", "display_name"], term))
    )
    if has_blocks(user):
        writers = writers.exclude(pk__in=hidden_writer_ids(user))
    return writers.order_by("username")


def search_scope(user: User, params) -> dict:
    """The thread and muse a search is narrowed to (``thread``, ``muse`` in ``params``), each
    None unless it exists and, for the thread, ``user`` may read it."""
    thread = None
    public_id = str(params.get("thread", "") or "")[:16]
    if public_id:
        found = Thread.objects.filter(public_id=public_id).first()
        if found is not None and can_read(found, user):
            thread = found
    muse = None
    muse_id = str(params.get("muse", "") or "")
    if muse_id.isdigit():
        muse = Muse.objects.filter(pk=int(muse_id), is_placeholder=False).first()
    return {"thread": thread, "muse": muse}


SEARCHES = {
    "threads": search_threads,
    "muses": search_muses,
    "writers": search_writers,
}


def search(
    *,
    user: User,
    query: ParsedQuery,
    filters: Filters,
    kind: str = "posts",
    sort: str = "relevance",
    page: int = 1,
) -> Results:
    """One page of ``kind`` results, and how many of each kind there are for this reader
    (each count stops past its cap, ``caps``: ``Results.capped`` names the kinds that did)."""
    page = min(page, MAX_PAGE)
    if filters.unreadable_thread:
        empty = Paginator([], PER_PAGE).get_page(1)
        return Results(kind=kind, page=empty, counts=dict.fromkeys(KINDS, 0))
    counts: dict[str, int] = {}
    current = None
    for name in KINDS:
        if name == "posts":
            counts[name], found = _post_page(user, query, filters, sort, page)
        else:
            found_qs = SEARCHES[name](user, query, filters, sort)
            # Counted unordered: the sort is for the page, and without it the count stops
            # at the cap instead of sorting every match first.
            counts[name] = found_qs.order_by()[: RESULT_CAP + 1].count()
            if name == kind:
                paginator = Paginator(found_qs, PER_PAGE)
                paginator.count = min(counts[name], RESULT_CAP)  # already counted
                found = paginator.get_page(page)
        if name == kind:
            current = found
    cap = caps(filters)
    capped = frozenset(name for name, count in counts.items() if count > cap[name])
    counts = {name: min(count, cap[name]) for name, count in counts.items()}
    return Results(kind=kind, page=current, counts=counts, capped=capped)


__all__ = [
    "FILTERED_POST_CAP",
    "KINDS",
    "MAX_PAGE",
    "PER_PAGE",
    "RESULT_CAP",
    "Filters",
    "Results",
    "caps",
    "highlighted",
    "matching_posts",
    "search",
    "search_scope",
]
