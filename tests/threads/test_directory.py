"""The directory of public threads: filters, sorts, pages, blocks, and a flat query count."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tandem.blocks.services import block_writer
from tandem.threads import directory, services
from tandem.threads.models import Tag, Thread, Visibility

pytestmark = pytest.mark.django_db

URL = reverse("explore")


@pytest.fixture
def public(make_thread, writer_a, ivy):
    def make(**fields):
        fields.setdefault("visibility", Visibility.PUBLIC)
        return make_thread(writer_a, ivy, **fields)

    return make


def titles(response) -> list[str]:
    assert response.status_code == 200
    return [thread.title for thread in response.context["page"].object_list]


def test_only_public_threads_are_listed(client, public, make_thread, writer_a, ivy):
    public(title="Open book")
    make_thread(writer_a, ivy, title="Diary")
    make_thread(writer_a, ivy, title="By link", visibility=Visibility.UNLISTED)
    assert titles(client.get(URL)) == ["Open book"]


def test_filter_by_any_tag_of_any_kind_ignoring_case_and_synonyms(client, public):
    public(title="Fandom one", fandoms=["Sherlock (TV)"])
    public(title="Character one", characters=["sherlock (tv)"])
    public(title="Synonym one", fandoms=["BBC Sherlock"])
    public(title="Untagged")
    services.tag_merge(
        source=Tag.objects.get(name="BBC Sherlock"), target=Tag.objects.get(name="Sherlock (TV)")
    )
    found = titles(client.get(URL, {"tag": "  SHERLOCK   (tv) "}))
    assert sorted(found) == ["Character one", "Fandom one", "Synonym one"]
    # Typing the synonym finds the canonical tag's threads (and not the character's).
    assert sorted(titles(client.get(URL, {"tag": "bbc sherlock"}))) == [
        "Fandom one",
        "Synonym one",
    ]
    assert titles(client.get(URL, {"tag": "no such tag"})) == []


def test_filter_by_rating_status_and_turn_mode(client, public, writer_a):
    teen = public(title="Teen free", rating="teen", turn_mode="free")
    public(title="General ordered", rating="general")
    paused = public(title="Paused", rating="general")
    paused.status = "paused"
    paused.save(update_fields=["status"])
    assert titles(client.get(URL, {"rating": "teen"})) == [teen.title]
    assert titles(client.get(URL, {"turn_mode": "free"})) == [teen.title]
    assert titles(client.get(URL, {"status": "paused"})) == ["Paused"]
    assert sorted(titles(client.get(URL, {"status": "active", "rating": "general"}))) == [
        "General ordered"
    ]


def test_filter_has_open_slot(client, public, writer_a, ivy):
    from tandem.starters.models import Starter

    with_slot = public(title="Looking for a partner")
    services.post_create(thread=with_slot, writer=writer_a, muse=ivy, body="Once upon a time.")
    full = public(title="Full up")
    services.post_create(thread=full, writer=writer_a, muse=ivy, body="Once.")
    Starter.objects.create(thread=with_slot, open_slots=2)
    Starter.objects.create(thread=full, open_slots=0)
    public(title="No starter")
    assert titles(client.get(URL, {"open_slot": "on"})) == ["Looking for a partner"]
    assert len(titles(client.get(URL))) == 3


def test_sorts_each_order_the_threads(client, public, writer_a, ivy):
    now = timezone.now()
    old = public(title="Old but long", turn_mode="free")
    mid = public(title="Middle, busy", turn_mode="free")
    new = public(title="New and quiet")
    Thread.objects.filter(pk=old.pk).update(created_at=now - timedelta(days=30))
    Thread.objects.filter(pk=mid.pk).update(created_at=now - timedelta(days=10))
    services.post_create(thread=old, writer=writer_a, muse=ivy, body="word " * 500)
    services.post_create(thread=mid, writer=writer_a, muse=ivy, body="a few words")
    Thread.objects.filter(pk=old.pk).update(last_post_at=now - timedelta(days=20))
    Thread.objects.filter(pk=new.pk).update(created_at=now - timedelta(days=1))
    assert titles(client.get(URL, {"sort": "newest"})) == [new.title, mid.title, old.title]
    assert titles(client.get(URL, {"sort": "words"})) == [old.title, mid.title, new.title]
    # Recently active: the last post, or the start for a thread without posts.
    assert titles(client.get(URL, {"sort": "active"})) == [mid.title, new.title, old.title]


@pytest.mark.parametrize(
    "query",
    [
        {"sort": "bogus"},
        {"sort": "-created_at; drop table"},
        {"rating": "adults-only"},
        {"status": "everything"},
        {"turn_mode": "x" * 5000},
        {"tag": "x" * 500},
        {"page": "999999999999999999999"},
        {"page": "-3"},
        {"page": "two"},
        {"open_slot": "maybe"},
    ],
)
def test_bad_input_still_gives_a_page(client, public, query):
    public(title="Only one")
    response = client.get(URL, query)
    assert response.status_code == 200
    if "tag" not in query and "open_slot" not in query:  # "maybe" ticks the box
        assert titles(response) == ["Only one"]


def test_bad_sort_falls_back_to_recently_active(client, public, writer_a, ivy):
    quiet = public(title="Quiet")
    busy = public(title="Busy", turn_mode="free")
    Thread.objects.filter(pk=busy.pk).update(created_at=timezone.now() - timedelta(days=9))
    services.post_create(thread=busy, writer=writer_a, muse=ivy, body="hello")
    assert titles(client.get(URL, {"sort": "bogus"})) == [busy.title, quiet.title]


def test_pages_and_a_huge_page_number_gives_the_last(client, public, monkeypatch):
    monkeypatch.setattr(directory, "PER_PAGE", 2)
    for n in range(5):
        public(title=f"T{n}")
    first = client.get(URL, {"sort": "newest"})
    assert titles(first) == ["T4", "T3"]
    assert 'rel="next"' in first.content.decode()
    last = client.get(URL, {"sort": "newest", "page": "10**9"})
    assert titles(last) == ["T4", "T3"]  # not a number: the first page
    last = client.get(URL, {"sort": "newest", "page": "1000000"})
    assert titles(last) == ["T0"]
    # The pager keeps the filters.
    assert "sort=newest" in client.get(URL, {"sort": "newest"}).content.decode()


def test_the_count_stops_at_max_pages(client, public, monkeypatch):
    monkeypatch.setattr(directory, "PER_PAGE", 1)
    monkeypatch.setattr(directory, "MAX_PAGES", 3)
    for n in range(5):
        public(title=f"T{n}")
    response = client.get(URL, {"page": "99"})
    page = response.context["page"]
    assert page.paginator.num_pages == 3 and page.paginator.is_capped
    assert "More than 3 threads" in response.content.decode()


def test_blocked_writers_threads_are_hidden_both_ways(
    client, public, make_writer, make_muse, make_thread, join, writer_a, writer_b, hale
):
    public(title="Alice writes")
    shared = make_thread(writer_b, hale, title="Bram hosts", visibility=Visibility.PUBLIC)
    carol = make_writer("carol")
    make_thread(carol, make_muse(carol, "Cy"), title="Carol writes", visibility="public")
    block_writer(blocker=writer_b, blocked=carol)
    client.force_login(carol)
    assert titles(client.get(URL)) == ["Alice writes"] or sorted(titles(client.get(URL))) == [
        "Alice writes",
        "Carol writes",
    ]
    assert "Bram hosts" not in titles(client.get(URL))
    # A thread bram only writes in (with a muse) is hidden from carol too.
    alice_thread = Thread.objects.get(title="Alice writes")
    join(alice_thread, hale)
    assert "Alice writes" not in titles(client.get(URL))
    # And the other way round.
    client.force_login(writer_b)
    assert "Carol writes" not in titles(client.get(URL))
    assert shared.title in titles(client.get(URL))


def test_cards_are_h2_under_the_h1_with_tag_links(client, public):
    thread = public(title="Heading check", fandoms=["Dune"], tags=["sand"])
    text = client.get(URL).content.decode()
    assert text.count("<h1>") == 1
    assert f'<h2 class="h3"><a href="{thread.get_absolute_url()}">Heading check</a></h2>' in text
    assert "<h3" not in text.split("<main", 1)[-1].split("</main>")[0]
    assert 'href="/tags/fandom/Dune/"' in text and 'href="/tags/freeform/sand/"' in text


def _count_queries(client, query) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(URL, query).status_code == 200
    return len(queries)


@pytest.mark.parametrize("signed_in", [False, True])
@pytest.mark.parametrize(
    "query", [{}, {"tag": "fog", "sort": "words"}, {"open_slot": "on", "rating": "teen"}]
)
def test_query_count_does_not_grow_with_threads(
    client,
    public,
    writer_a,
    writer_b,
    make_writer,
    make_muse,
    make_thread,
    join,
    signed_in,
    query,
):
    if signed_in:
        block_writer(blocker=writer_b, blocked=make_writer("someone"))
        client.force_login(writer_b)

    def add(n: int) -> None:
        for _ in range(n):
            thread = public(fandoms=["Dune"], tags=["fog"], rating="teen")
            join(thread, make_muse(writer_b))

    add(2)
    few = _count_queries(client, query)
    add(8)
    assert _count_queries(client, query) == few


def test_the_page_is_a_fixed_number_of_queries(client, public, django_assert_num_queries):
    for _ in range(3):
        public(tags=["fog"])
    # The count, the page, its muses, its tags; two more to resolve the tag filter (the
    # tags of that name, and their synonyms).
    with django_assert_num_queries(4):
        client.get(URL)
    with django_assert_num_queries(6):
        client.get(URL, {"tag": "fog"})
