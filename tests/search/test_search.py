"""The search page and service: snippets, filters, sorting, paging, the index following the
posts, bad input and the rate limit. Runs on SQLite (FTS5) and PostgreSQL alike."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from tandem.muses.models import Muse
from tandem.search import engines, selectors
from tandem.search.query import parse
from tandem.threads import services
from tandem.threads.models import Post, Tag
from tandem.threads.services.tags import tag_merge

pytestmark = pytest.mark.django_db


@pytest.fixture
def story(make_writer, make_muse, make_thread, join):
    """Alice and Bram write a public thread; Alice has a private one of her own."""
    alice, bram = make_writer("alice"), make_writer("bram")
    hale, wren = make_muse(alice, "Hale", nicknames="The Lamplighter"), make_muse(bram, "Wren")
    public = make_thread(
        alice,
        hale,
        title="The salt road",
        visibility="public",
        tags=["Harbour", "slow burn"],
        rating="teen",
        warnings=["violence"],
    )
    join(public, wren)
    first = services.post_create(
        thread=public,
        writer=alice,
        muse=hale,
        body="The lamps went out one by one along the quay, and Hale counted them.",
    )
    second = services.post_create(
        thread=public,
        writer=bram,
        muse=wren,
        body="Wren laughed. *Nobody* counts lamps <script>alert(1)</script> at midnight.",
    )
    private = make_thread(alice, hale, title="Alice's notebook", visibility="private")
    secret = services.post_create(
        thread=private, writer=alice, muse=hale, body="The lamps of the lighthouse were hers alone."
    )
    return {
        "alice": alice,
        "bram": bram,
        "hale": hale,
        "wren": wren,
        "public": public,
        "private": private,
        "first": first,
        "second": second,
        "secret": secret,
    }


def _search(client, **params):
    return client.get(reverse("search"), params)


def _listing(response) -> str:
    match = re.search(r'<ol class="search-results".*?</ol>', response.content.decode(), re.S)
    return match.group(0) if match else ""


def _numbers(response) -> list[str]:
    return re.findall(
        r"/posts/(\d+)/", response.content.decode().split('class="search-results"')[-1]
    )


def test_a_half_remembered_line_finds_the_post_with_a_highlighted_snippet(client, story):
    response = _search(client, q="lamp counted")  # stemmed: "lamps", "counted"
    assert response.status_code == 200
    page = response.content.decode()
    assert story["first"].get_absolute_url() in page
    assert re.search(r"<mark>lamps</mark>", page, re.I)
    assert "Alice&#x27;s notebook" not in page and "lighthouse" not in page


def test_snippets_never_carry_the_posts_html(client, story):
    page = _search(client, q="midnight").content.decode()
    assert "<script>alert" not in page
    # SQLite's snippet keeps the tag as text (escaped here); PostgreSQL's headline parser
    # drops tags from the text it quotes. Either way only the words reach the page.
    assert "alert(1)" in page.split("search-results")[-1]
    assert "&lt;script&gt;" in page or connection.vendor == "postgresql"
    assert "<mark>midnight</mark>" in page


def test_highlighting_escapes_everything_but_its_own_marks():
    raw = "a <b>bold</b> \ue000word\ue001 & \ue000stray"
    assert selectors.highlighted(raw) == "a &lt;b&gt;bold&lt;/b&gt; <mark>word</mark> &amp; stray"


def test_an_edit_and_a_removal_reach_the_index(client, story):
    alice = story["alice"]
    services.post_edit(post=story["first"], writer=alice, body="The lanterns guttered by the sea.")
    assert story["first"].get_absolute_url() not in _search(client, q="quay").content.decode()
    assert story["first"].get_absolute_url() in _search(client, q="lanterns").content.decode()
    services.post_delete(post=story["second"], writer=story["bram"])
    assert "No posts match" in _search(client, q="midnight").content.decode()
    services.post_restore(post=story["second"], writer=story["bram"])
    assert story["second"].get_absolute_url() in _search(client, q="midnight").content.decode()


def test_a_post_deleted_from_the_database_leaves_the_index(story):
    Post.objects.filter(pk=story["secret"].pk).delete()
    results = selectors.search(
        user=story["alice"], query=parse("lighthouse"), filters=selectors.Filters()
    )
    assert results.counts["posts"] == 0


def test_rebuilding_the_index_finds_the_same_posts(story):
    with connection.cursor() as cursor:  # empty the index behind the triggers' back
        if connection.vendor == "postgresql":
            cursor.execute("UPDATE threads_post SET search_vector = NULL")
        else:
            cursor.execute(f"INSERT INTO {engines.FTS}({engines.FTS}) VALUES ('delete-all')")
    query = parse("lamps")
    assert (
        selectors.search(user=story["alice"], query=query, filters=selectors.Filters()).counts[
            "posts"
        ]
        == 0
    )
    out = io.StringIO()
    call_command("rebuild_search_index", "--batch-size", "2", stdout=out, verbosity=0)
    assert "Indexed 3 posts" in out.getvalue()
    assert (
        selectors.search(user=story["alice"], query=query, filters=selectors.Filters()).counts[
            "posts"
        ]
        == 3
    )


def test_threads_muses_and_writers_are_searched_by_name(client, story, make_muse):
    placeholder = Muse.objects.create(
        owner=story["alice"], name="Hale the unclaimed", is_placeholder=True
    )
    archived = make_muse(story["bram"], "Hale's ghost")
    archived.archived_at = timezone.now()
    archived.save(update_fields=["archived_at"])
    muses = _search(client, q="hale", kind="muses").content.decode()
    assert story["hale"].get_absolute_url() in muses
    assert placeholder.get_absolute_url() not in muses and archived.get_absolute_url() not in muses
    assert (
        story["hale"].get_absolute_url()
        in _search(client, q="lamplighter", kind="muses").content.decode()
    )
    threads = _search(client, q="slow burn", kind="threads").content.decode()  # a tag
    assert story["public"].get_absolute_url() in threads
    assert "notebook" not in _listing(_search(client, q="notebook", kind="threads"))
    writers = _search(client, q="bra", kind="writers").content.decode()
    assert story["bram"].get_absolute_url() in writers


def test_my_own_private_thread_is_found_by_me_only(client, story):
    client.force_login(story["alice"])
    assert story["secret"].get_absolute_url() in _search(client, q="lighthouse").content.decode()
    client.force_login(story["bram"])
    page = _search(client, q="lighthouse").content.decode()
    assert story["secret"].get_absolute_url() not in page
    assert re.search(r"Posts <span class=\"badge badge--soft\">0</span>", page)


def test_filters(client, story):
    public = story["public"]
    assert _numbers(_search(client, q="lamps", writer="bram")) == ["2"]
    assert _numbers(_search(client, q="lamps", muse=story["hale"].pk)) == ["1"]
    assert len(_numbers(_search(client, q="lamps", tag="harbour"))) == 2
    assert _numbers(_search(client, q="lamps", tag="nothing")) == []
    # A synonym staff merged into "Harbour" finds the same threads.
    harbour = Tag.objects.get(name="Harbour")
    tag_merge(source=Tag.objects.create(name="Harbor"), target=harbour)
    assert len(_numbers(_search(client, q="lamps", tag="harbor"))) == 2
    assert len(_numbers(_search(client, q="lamps", rating="teen"))) == 2
    assert _numbers(_search(client, q="lamps", rating="explicit")) == []
    assert _numbers(_search(client, q="lamps", status="complete")) == []
    assert len(_numbers(_search(client, q="lamps", warning="violence"))) == 2
    assert _numbers(_search(client, q="lamps", warning="death")) == []
    assert _numbers(_search(client, q="lamps", warning="noncon")) == []
    today = timezone.localdate()
    assert len(_numbers(_search(client, q="lamps", after=today.isoformat()))) == 2
    assert _numbers(_search(client, q="lamps", after=(today + timedelta(days=1)).isoformat())) == []
    assert (
        _numbers(_search(client, q="lamps", before=(today - timedelta(days=1)).isoformat())) == []
    )
    # "My threads only": anonymous visitors have none; Bram's include the public thread.
    assert _numbers(_search(client, q="lamps", mine="on")) == []
    client.force_login(story["bram"])
    assert len(_numbers(_search(client, q="lamps", mine="on"))) == 2
    assert _numbers(_search(client, q="lamps -midnight", thread=public.public_id)) == ["1"]


def test_sort_by_date_and_by_relevance(client, story):
    Post.objects.filter(pk=story["first"].pk).update(created_at=timezone.now() - timedelta(days=3))
    assert _numbers(_search(client, q="lamps", sort="date")) == ["2", "1"]
    # Post 1 says "lamps" and "counted"; post 2 only "lamps" and "counts".
    assert _numbers(_search(client, q="lamps or quay", sort="relevance"))[0] == "1"


def test_pages_of_twenty_and_a_cap(client, make_writer, make_muse, make_thread):
    writer = make_writer()
    muse = make_muse(writer)
    thread = make_thread(writer, muse, visibility="public")
    for n in range(25):
        services.post_create(thread=thread, writer=writer, muse=muse, body=f"tide number {n}")
    first = _search(client, q="tide")
    assert len(_numbers(first)) == 20 and "Page 1 of 2" in first.content.decode()
    second = _search(client, q="tide", page=2)
    assert len(_numbers(second)) == 5
    capped = _search(client, q="tide", page=9999)
    assert capped.status_code == 200 and "Results stop at page 50" in capped.content.decode()


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"q": ""}, "Type a word or two"),
        ({"q": "?!?! ..."}, "at least one word"),
        ({"q": "x" * 10_000}, "at most 200 characters"),
        ({"q": "-quay"}, "not only words to leave out"),
        ({"q": "lamps", "after": "2024-13-45"}, "YYYY-MM-DD"),
        ({"q": "lamps", "after": "2025-02-01", "before": "2025-01-01"}, "before the start date"),
        ({"q": "lamps", "page": "two"}, "not a number"),
        ({"q": "lamps", "kind": "everything"}, "valid choice"),
        ({"q": "lamps", "rating": "spicy"}, "valid choice"),
        ({"q": "lamps", "warning": "gore"}, "valid choice"),
    ],
)
def test_bad_input_gets_a_sentence_never_a_500(client, story, params, message):
    response = _search(client, **params)
    assert response.status_code == 200
    page = response.content.decode()
    assert message in page and 'role="alert"' in page
    assert "search-results" not in page


def test_unbalanced_quotes_and_engine_syntax_are_just_words(client, story):
    for q in [
        '"lamps along',
        'lamps"',
        "lamps NEAR(quay",
        "body:lamps",
        "lamps*",
        "^lamps",
        "lamps AND",
    ]:
        response = _search(client, q=q)
        assert response.status_code == 200, q


def test_the_page_without_a_query_is_an_empty_search_form(client):
    response = client.get(reverse("search"))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'role="search"' in page and "<h1>Search</h1>" in page
    assert "search-results" not in page and "Type a word" not in page


def test_searching_is_rate_limited(client, story, settings):
    settings.TANDEM_RATE_LIMIT_SCALE = 0.05  # 60/min becomes 3/min
    statuses = [_search(client, q="lamps").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]


def test_the_header_and_the_thread_page_carry_search_forms(client, story):
    page = client.get(reverse("explore")).content.decode()
    assert 'action="/search/"' in page and 'aria-label="Site"' in page
    client.force_login(story["alice"])
    detail = client.get(story["public"].get_absolute_url()).content.decode()
    assert "Search in this thread" in detail
    assert f'name="thread" value="{story["public"].public_id}"' in detail


def test_counts_stop_at_the_cap_and_best_match_ranks_the_newest(story, client, monkeypatch):
    """Past ``RESULT_CAP`` matches the count says "N+" and "best match" ranks only the newest
    ``RESULT_CAP`` posts, so neither grows with the archive."""
    monkeypatch.setattr(selectors, "RESULT_CAP", 2)
    alice, hale, public = story["alice"], story["hale"], story["public"]
    # The oldest of three matches is by far the best one; the two newer mention it once.
    oldest = services.post_create(
        thread=public, writer=alice, muse=hale, body="Gulls, gulls, gulls and more gulls."
    )
    Post.objects.filter(pk=oldest.pk).update(created_at=timezone.now() - timedelta(days=3))
    services.post_create(
        thread=public, writer=story["bram"], muse=story["wren"], body="A gull sat on the rail."
    )
    services.post_create(thread=public, writer=alice, muse=hale, body="She fed a gull some bread.")
    results = selectors.search(user=alice, query=parse("gull"), filters=selectors.Filters())
    assert results.counts["posts"] == 2 and results.capped == frozenset({"posts"})
    assert oldest.pk not in [post.pk for post in results.page.object_list]
    assert len(results.page.object_list) == 2
    dated = selectors.search(
        user=alice, query=parse("gull"), filters=selectors.Filters(), sort="date"
    )
    assert [p.body for p in dated.page.object_list] == [
        "She fed a gull some bread.",
        "A gull sat on the rail.",
    ]
    page = client.get(reverse("search"), {"q": "gull"}).content.decode()
    assert re.search(r"Posts <span[^>]*>2\+</span>", page)
    assert "More than 2 match: these are the best among the newest 2." in page
    # Under the cap nothing is capped, and the oldest best match ranks first.
    monkeypatch.setattr(selectors, "RESULT_CAP", 5)
    results = selectors.search(user=alice, query=parse("gull"), filters=selectors.Filters())
    assert results.counts["posts"] == 3 and not results.capped
    assert results.page.object_list[0].pk == oldest.pk


def test_a_search_filtered_by_a_thread_attribute_stops_at_its_own_cap(story, client, monkeypatch):
    """A rating, tag, warning or status filter keeps many threads, so the newest matches are
    further apart: posts stop at ``FILTERED_POST_CAP``, while an unfiltered search (or one
    narrowed by muse or writer) keeps ``RESULT_CAP``."""
    monkeypatch.setattr(selectors, "RESULT_CAP", 5)
    monkeypatch.setattr(selectors, "FILTERED_POST_CAP", 2)
    alice, hale, public = story["alice"], story["hale"], story["public"]
    turns = [(alice, hale), (story["bram"], story["wren"])]
    for n in range(5):
        writer, muse = turns[n % 2]
        services.post_create(thread=public, writer=writer, muse=muse, body=f"A gull, {n}.")
    plain = selectors.search(user=alice, query=parse("gull"), filters=selectors.Filters())
    assert plain.counts["posts"] == 5 and not plain.capped
    rated = selectors.Filters(rating=public.rating)
    filtered = selectors.search(user=alice, query=parse("gull"), filters=rated)
    assert filtered.counts["posts"] == 2 and filtered.capped == frozenset({"posts"})
    assert [p.body for p in filtered.page.object_list] == ["A gull, 4.", "A gull, 3."]
    by_muse = selectors.search(
        user=alice, query=parse("gull"), filters=selectors.Filters(muse=hale.pk)
    )
    assert by_muse.counts["posts"] == 3 and not by_muse.capped  # Hale's three
    page = client.get(reverse("search"), {"q": "gull", "rating": public.rating}).content
    assert re.search(r"Posts <span[^>]*>2\+</span>", page.decode())


def test_a_writers_own_threads_and_public_ones_are_one_list_newest_first(story, monkeypatch):
    """A signed-in writer's matches come from two lookups (public posts, posts in their own
    threads): one list, each post once, newest first, the cap counted over the whole."""
    alice, bram = story["alice"], story["bram"]

    def dated(user):
        found = selectors.search(
            user=user, query=parse("lamps"), filters=selectors.Filters(), sort="date"
        )
        return found.counts["posts"], found.capped, [p.pk for p in found.page.object_list]

    # Alice's public post and Bram's are in both lookups for her; her private one in one.
    everything = [story["secret"].pk, story["second"].pk, story["first"].pk]
    assert dated(alice) == (3, frozenset(), everything)
    assert dated(bram) == (2, frozenset(), everything[1:])
    monkeypatch.setattr(selectors, "RESULT_CAP", 2)
    assert dated(alice) == (2, frozenset({"posts"}), everything[:2])


def test_name_searches_have_trigram_indexes_on_postgresql_only():
    """The name counts (threads, muses, writers) are served by pg_trgm indexes on
    PostgreSQL; SQLite gets none (it scans, and has no such index type)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT indexname FROM pg_indexes WHERE indexname LIKE 'search_%_trgm'")
        else:
            cursor.execute("SELECT name FROM sqlite_master WHERE name LIKE 'search_%_trgm'")
        names = {row[0] for row in cursor.fetchall()}
    if connection.vendor == "postgresql":
        assert names == {f"search_{table}_{column}_trgm" for table, column in engines._PG_NAMES}
    else:
        assert names == set()
