"""Series: who sees which part, and the owner's management (add, reorder, remove)."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from tandem.blocks.services import block_writer
from tandem.series import services
from tandem.series.models import Series, SeriesEntry
from tandem.series.selectors import readable_entries


def _titles(series, user):
    return [entry.thread.title for entry in readable_entries(series, user)]


def test_the_owner_sees_every_part_in_order(saga, writer_a):
    series, _ = saga
    assert _titles(series, writer_a) == ["Departure", "Secret Crossing", "The Inn"]


def test_a_stranger_never_sees_a_private_part_not_even_as_a_count(saga, as_carol):
    series, threads = saga
    page = as_carol.get(series.get_absolute_url()).content.decode()
    assert "Departure" in page and "The Inn" in page
    assert "Secret Crossing" not in page and threads[1].public_id not in page
    # The parts are numbered among the ones this reader sees: no gap gives the secret away.
    assert "Part 2." in page and "Part 3." not in page


def test_anonymous_readers_see_the_same_as_a_stranger(saga, client):
    series, _ = saga
    page = client.get(series.get_absolute_url()).content.decode()
    assert "Departure" in page and "Secret Crossing" not in page


def test_a_participant_of_the_private_part_sees_it(saga, writer_b, hale, join, client):
    series, threads = saga
    join(threads[1], hale)
    client.force_login(writer_b)
    assert "Secret Crossing" in client.get(series.get_absolute_url()).content.decode()


def test_a_series_with_nothing_readable_is_a_404(make_thread, writer_a, ivy, as_carol):
    series = services.series_create(owner=writer_a, title="Only secrets")
    thread = make_thread(writer_a, ivy, title="Hidden", visibility="private")
    services.series_add_thread(series=series, thread=thread, actor=writer_a)
    assert as_carol.get(series.get_absolute_url()).status_code == 404
    # …the same answer as for an id that never existed.
    assert as_carol.get(reverse("series-detail", args=["nope"])).status_code == 404


def test_an_empty_series_is_shown_to_its_owner_only(writer_a, as_alice, as_carol):
    series = services.series_create(owner=writer_a, title="Empty for now")
    assert as_alice.get(series.get_absolute_url()).status_code == 200
    assert as_carol.get(series.get_absolute_url()).status_code == 404


def test_a_blocked_writer_does_not_see_the_series(saga, writer_a, carol, as_carol):
    series, threads = saga
    block_writer(blocker=writer_a, blocked=carol)
    assert as_carol.get(series.get_absolute_url()).status_code == 404
    # …nor its box on a thread they may still read by its link.
    page = as_carol.get(threads[0].get_absolute_url()).content.decode()
    assert "The Long Road" not in page


def test_a_thread_in_someone_elses_series_cannot_be_added(saga, writer_b, hale, make_thread):
    series, _ = saga
    thread = make_thread(writer_b, hale, title="Bram's", visibility="public")
    with pytest.raises(PermissionDenied):
        services.series_add_thread(series=series, thread=thread, actor=writer_b)
    own = services.series_create(owner=writer_b, title="Bram's series")
    # Nor may anyone put a thread they do not own into their own series.
    _, threads = saga
    with pytest.raises(PermissionDenied):
        services.series_add_thread(series=own, thread=threads[0], actor=writer_b)


def test_a_thread_is_in_one_series_at_most(saga, writer_a):
    _, threads = saga
    other = services.series_create(owner=writer_a, title="Another")
    with pytest.raises(ValidationError):
        services.series_add_thread(series=other, thread=threads[0], actor=writer_a)


def test_adding_from_the_thread_page(make_thread, writer_a, ivy, as_alice):
    series = services.series_create(owner=writer_a, title="Saga")
    thread = make_thread(writer_a, ivy, title="Opening", visibility="public")
    response = as_alice.post(
        reverse("series-thread-add", args=[thread.public_id]), {"series": series.public_id}
    )
    assert response.status_code == 302
    assert SeriesEntry.objects.get(thread=thread).series == series


def test_adding_to_someone_elses_series_by_its_id_is_refused(saga, make_thread, writer_b, hale):
    from django.test import Client

    series, _ = saga
    thread = make_thread(writer_b, hale, title="Bram's", visibility="public")
    client = Client()
    client.force_login(writer_b)
    response = client.post(
        reverse("series-thread-add", args=[thread.public_id]), {"series": series.public_id}
    )
    assert response.status_code == 302
    assert not SeriesEntry.objects.filter(thread=thread).exists()


def test_reorder_up_and_down(saga, writer_a, as_alice):
    series, threads = saga
    inn = SeriesEntry.objects.get(thread=threads[2])
    url = reverse("series-entry-move", args=[series.public_id, inn.pk])
    assert as_alice.post(url, {"direction": "up"}).status_code == 302
    assert _titles(series, writer_a) == ["Departure", "The Inn", "Secret Crossing"]
    as_alice.post(url, {"direction": "up"})
    assert _titles(series, writer_a) == ["The Inn", "Departure", "Secret Crossing"]
    # At the top already: nothing moves, nothing breaks.
    as_alice.post(url, {"direction": "up"})
    assert _titles(series, writer_a) == ["The Inn", "Departure", "Secret Crossing"]
    as_alice.post(url, {"direction": "down"})
    assert _titles(series, writer_a) == ["Departure", "The Inn", "Secret Crossing"]
    # A direction that is neither: a message, not an error page.
    assert as_alice.post(url, {"direction": "sideways"}).status_code == 302


def test_remove_an_entry_and_add_it_again_at_the_end(saga, writer_a, as_alice):
    series, threads = saga
    first = SeriesEntry.objects.get(thread=threads[0])
    as_alice.post(reverse("series-entry-remove", args=[series.public_id, first.pk]))
    assert _titles(series, writer_a) == ["Secret Crossing", "The Inn"]
    services.series_add_thread(series=series, thread=threads[0], actor=writer_a)
    assert _titles(series, writer_a) == ["Secret Crossing", "The Inn", "Departure"]


def test_only_the_owner_manages(saga, as_carol):
    series, threads = saga
    entry = SeriesEntry.objects.get(thread=threads[0])
    for name, args, data in (
        ("series-entry-move", [series.public_id, entry.pk], {"direction": "down"}),
        ("series-entry-remove", [series.public_id, entry.pk], {}),
        ("series-edit", [series.public_id], {"title": "Mine now"}),
        ("series-delete", [series.public_id], {}),
    ):
        assert as_carol.post(reverse(name, args=args), data).status_code == 404
    assert SeriesEntry.objects.filter(pk=entry.pk).exists()
    assert Series.objects.get(pk=series.pk).title == "The Long Road"


def test_bad_ids_are_404(saga, as_alice):
    series, _threads = saga
    for url in (
        reverse("series-detail", args=["no-such-series"]),
        reverse("series-entry-move", args=[series.public_id, 999_999]),
        reverse("series-entry-remove", args=[series.public_id, 999_999]),
        reverse("series-edit", args=["no-such-series"]),
        reverse("series-export", args=["no-such-series"]),
        reverse("series-thread-add", args=["no-such-thread"]),
        reverse("thread-link-add", args=["no-such-thread"]),
        reverse("thread-link-remove", args=[999_999]),
    ):
        method = as_alice.get if url.endswith(("series/", "-series/")) else as_alice.post
        assert method(url).status_code == 404, url


def test_an_entry_of_another_series_is_404_under_this_one(saga, make_thread, writer_a, ivy):
    series, _ = saga
    other = services.series_create(owner=writer_a, title="Other")
    thread = make_thread(writer_a, ivy, title="Elsewhere")
    entry = services.series_add_thread(series=other, thread=thread, actor=writer_a)
    from django.test import Client

    client = Client()
    client.force_login(writer_a)
    url = reverse("series-entry-remove", args=[series.public_id, entry.pk])
    assert client.post(url).status_code == 404


def test_create_edit_and_delete(writer_a, as_alice):
    response = as_alice.post(reverse("series-list"), {"title": "  New saga ", "description": ""})
    series = Series.objects.get(owner=writer_a)
    assert response["Location"] == series.get_absolute_url() and series.title == "New saga"
    as_alice.post(reverse("series-edit", args=[series.public_id]), {"title": "Renamed"})
    assert Series.objects.get(pk=series.pk).title == "Renamed"
    # A blank title is refused with a message.
    as_alice.post(reverse("series-edit", args=[series.public_id]), {"title": ""})
    assert Series.objects.get(pk=series.pk).title == "Renamed"
    as_alice.post(reverse("series-delete", args=[series.public_id]))
    assert not Series.objects.filter(pk=series.pk).exists()
    assert series.get_absolute_url() not in as_alice.get(reverse("series-list")).content.decode()


def test_writes_are_post_only(saga, as_alice):
    series, _ = saga
    assert as_alice.get(reverse("series-delete", args=[series.public_id])).status_code == 405


def test_the_thread_page_shows_part_n_of_the_series(saga, as_carol):
    _series, threads = saga
    page = as_carol.get(threads[2].get_absolute_url()).content.decode()
    # carol sees two parts: the Inn is the second, after Departure.
    assert "Part 2 of" in page and "The Long Road" in page
    assert threads[0].get_absolute_url() in page and 'rel="prev"' in page
    assert "Secret Crossing" not in page and 'rel="next"' not in page


def test_the_owner_sees_the_whole_order_on_the_thread_page(saga, as_alice):
    _, threads = saga
    page = as_alice.get(threads[2].get_absolute_url()).content.decode()
    assert "Part 3 of" in page and "Secret Crossing" in page


def test_the_series_page_asks_the_thread_rule_once_per_part_at_most(
    saga, make_thread, writer_a, ivy, as_carol, django_assert_max_num_queries
):
    """Each part goes through ``can_read`` (the one rule), so the page costs a few queries
    per part at most; MAX_ENTRIES caps the parts."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    series, _ = saga
    with CaptureQueriesContext(connection) as before:
        as_carol.get(series.get_absolute_url())
    for n in range(5):
        thread = make_thread(writer_a, ivy, title=f"Extra {n}", visibility="public")
        services.series_add_thread(series=series, thread=thread, actor=writer_a)
    with django_assert_max_num_queries(len(before) + 2 * 5):
        page = as_carol.get(series.get_absolute_url()).content.decode()
    assert "Extra 4" in page
