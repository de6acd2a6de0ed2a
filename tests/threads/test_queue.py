"""The writer's queue (home page): grouping, ordering, flags, counts and query budget."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tandem.threads import selectors, services
from tandem.threads.models import Participant, Status, Thread, TurnMode

pytestmark = pytest.mark.django_db


def titles(entries) -> list[str]:
    return [entry.thread.title for entry in entries]


def entry_for(queue, thread):
    for group in ("your_turn", "writing", "waiting", "resting", "muted"):
        for entry in getattr(queue, group):
            if entry.thread.pk == thread.pk:
                return group, entry
    return None, None


def assert_counts_agree(*users) -> None:
    for user in users:
        queue = selectors.writer_queue(user)
        assert selectors.your_turn_count(user) == len(queue.your_turn) + len(queue.writing), user


def post(thread, muse, body="Words words words."):
    thread.refresh_from_db()
    return services.post_create(thread=thread, writer=muse.owner, muse=muse, body=body)


# ---------------------------------------------------------------------------- the user story


def test_user_story_queue_flips_as_writers_take_turns(coffee_cart, writer_a, writer_b, ivy, hale):
    """A starts “Coffee cart”, B accepts with Hale, A posts as Ivy: A's queue shows it under
    waiting with Hale awaited and B's under your turn; when B replies it flips back."""
    # Before the first post it is Ivy's turn (first in the order).
    assert titles(selectors.writer_queue(writer_a).your_turn) == ["Coffee cart"]
    assert titles(selectors.writer_queue(writer_b).waiting) == ["Coffee cart"]

    post(coffee_cart, ivy, "Ivy orders a flat white.")

    queue_a = selectors.writer_queue(writer_a)
    assert queue_a.your_turn == []
    group, entry = entry_for(queue_a, coffee_cart)
    assert group == "waiting"
    assert [p.muse.name for p in entry.awaited] == ["Hale"]
    assert [p.muse.name for p in entry.my_muses] == ["Ivy"]

    queue_b = selectors.writer_queue(writer_b)
    group, entry = entry_for(queue_b, coffee_cart)
    assert group == "your_turn"
    assert [p.muse.name for p in entry.awaited] == ["Hale"]
    assert [p.muse.name for p in entry.my_muses] == ["Hale"]
    assert_counts_agree(writer_a, writer_b)

    post(coffee_cart, hale, "Hale burns the milk.")

    assert entry_for(selectors.writer_queue(writer_a), coffee_cart)[0] == "your_turn"
    group, entry = entry_for(selectors.writer_queue(writer_b), coffee_cart)
    assert group == "waiting"
    assert [p.muse.name for p in entry.awaited] == ["Ivy"]
    assert_counts_agree(writer_a, writer_b)


def test_pending_invitation_is_listed_and_not_a_thread_yet(make_thread, writer_a, writer_b, ivy):
    """An invitation shows in the invitee's queue; the thread itself does not until accepted."""
    thread = make_thread(writer_a, ivy, title="Lighthouse")
    services.invitation_create(thread=thread, actor=writer_a, username="bram")
    queue = selectors.writer_queue(writer_b)
    assert [i.thread.title for i in queue.invitations] == ["Lighthouse"]
    assert entry_for(queue, thread) == (None, None)
    assert not queue.is_empty


# ---------------------------------------------------------------------------- free mode


def test_free_mode_awaits_everyone_but_the_last_poster(
    make_thread, join, make_muse, writer_a, writer_b, ivy, hale
):
    """In a free thread every writer is awaited until someone posts; then everyone except
    the last poster's writer (all their muses listed)."""
    thread = make_thread(writer_a, ivy, title="Open mic", turn_mode=TurnMode.FREE)
    join(thread, hale)
    moss = make_muse(writer_b, "Moss")
    services.participant_add_muse(thread=thread, writer=writer_b, muse=moss)

    for writer in (writer_a, writer_b):
        assert entry_for(selectors.writer_queue(writer), thread)[0] == "your_turn"
    assert_counts_agree(writer_a, writer_b)

    post(thread, ivy)
    group, entry = entry_for(selectors.writer_queue(writer_a), thread)
    assert group == "waiting"
    assert sorted(p.muse.name for p in entry.awaited) == ["Hale", "Moss"]
    assert entry_for(selectors.writer_queue(writer_b), thread)[0] == "your_turn"
    assert_counts_agree(writer_a, writer_b)

    post(thread, moss)
    assert entry_for(selectors.writer_queue(writer_a), thread)[0] == "your_turn"
    group, entry = entry_for(selectors.writer_queue(writer_b), thread)
    assert group == "waiting"
    assert [p.muse.name for p in entry.awaited] == ["Ivy"]
    assert_counts_agree(writer_a, writer_b)


def test_free_mode_last_poster_who_left_with_one_muse_is_still_not_awaited(
    make_thread, join, make_muse, writer_a, writer_b, ivy, hale
):
    """If a writer posts with one muse and that muse then leaves, the writer (still present
    with another muse) wrote the latest post: the queue must not say it is their move, and
    the navigation count must agree with the queue."""
    fern = make_muse(writer_a, "Fern")
    thread = make_thread(writer_a, ivy, title="Masquerade", turn_mode=TurnMode.FREE)
    join(thread, hale)
    services.participant_add_muse(thread=thread, writer=writer_a, muse=fern)
    post(thread, ivy)
    ivy_participant = Participant.objects.get(thread=thread, muse=ivy)
    services.participant_leave(participant=ivy_participant, actor=writer_a)

    group, entry = entry_for(selectors.writer_queue(writer_a), thread)
    assert group == "waiting"
    assert [p.muse.name for p in entry.awaited] == ["Hale"]
    assert entry_for(selectors.writer_queue(writer_b), thread)[0] == "your_turn"
    assert_counts_agree(writer_a, writer_b)


# ---------------------------------------------------------------------------- flags


def test_writing_flag_moves_a_your_turn_thread_to_writing(coffee_cart, writer_a, ivy):
    """Marking “I'm writing” moves the thread from your turn to writing; it still counts as
    waiting on you; posting clears the flag."""
    services.writer_state_set(thread=coffee_cart, writer=writer_a, writing=True)
    queue = selectors.writer_queue(writer_a)
    assert queue.your_turn == []
    assert titles(queue.writing) == ["Coffee cart"]
    assert queue.your_turn_count == 1
    assert selectors.your_turn_count(writer_a) == 1

    post(coffee_cart, ivy)
    queue = selectors.writer_queue(writer_a)
    assert queue.writing == []
    assert titles(queue.waiting) == ["Coffee cart"]
    assert queue.waiting[0].is_writing is False


def test_writing_flag_when_it_is_not_your_turn_keeps_the_thread_waiting(coffee_cart, writer_b):
    """“Writing” only matters when the move is yours: a waiting thread stays under waiting."""
    services.writer_state_set(thread=coffee_cart, writer=writer_b, writing=True)
    queue = selectors.writer_queue(writer_b)
    assert queue.writing == []
    assert titles(queue.waiting) == ["Coffee cart"]
    assert_counts_agree(writer_b)


def test_pinned_threads_come_first(make_thread, writer_a, make_muse):
    """Within a group, pinned threads come before the others, whatever their age."""
    muse = make_muse(writer_a, "Solo")
    old = make_thread(writer_a, muse, title="Old")
    new = make_thread(writer_a, muse, title="New")
    Thread.objects.filter(pk=old.pk).update(turn_since=timezone.now() - timedelta(days=5))
    assert titles(selectors.writer_queue(writer_a).your_turn) == ["Old", "New"]

    services.writer_state_set(thread=new, writer=writer_a, pinned=True)
    queue = selectors.writer_queue(writer_a)
    assert titles(queue.your_turn) == ["New", "Old"]
    assert queue.your_turn[0].is_pinned is True


def test_muted_threads_are_kept_apart_and_not_counted(coffee_cart, writer_a):
    """A muted thread leaves your turn for the muted group and is not counted as waiting on
    you; unmuting brings it back."""
    services.writer_state_set(thread=coffee_cart, writer=writer_a, muted=True)
    queue = selectors.writer_queue(writer_a)
    assert queue.your_turn == []
    assert titles(queue.muted) == ["Coffee cart"]
    assert queue.your_turn_count == 0
    assert selectors.your_turn_count(writer_a) == 0

    services.writer_state_set(thread=coffee_cart, writer=writer_a, muted=False)
    assert titles(selectors.writer_queue(writer_a).your_turn) == ["Coffee cart"]
    assert selectors.your_turn_count(writer_a) == 1


@pytest.mark.parametrize("status", [Status.PAUSED, Status.COMPLETE, Status.ABANDONED])
def test_paused_and_finished_threads_rest(coffee_cart, writer_a, writer_b, status):
    """A thread that is not active is listed under paused/complete for everyone, awaits
    nobody and counts for nobody."""
    Thread.objects.filter(pk=coffee_cart.pk).update(status=status)
    for writer in (writer_a, writer_b):
        queue = selectors.writer_queue(writer)
        assert titles(queue.resting) == ["Coffee cart"]
        assert queue.resting[0].awaited == []
        assert queue.your_turn == [] and queue.waiting == []
        assert selectors.your_turn_count(writer) == 0


def test_dormant_after_the_configured_days(settings, coffee_cart, writer_a, ivy):
    """A thread shows as dormant once nothing was posted for TANDEM_DORMANT_DAYS days."""
    settings.TANDEM_DORMANT_DAYS = 3
    post(coffee_cart, ivy)
    now = timezone.now()

    Thread.objects.filter(pk=coffee_cart.pk).update(last_post_at=now - timedelta(days=2))
    assert entry_for(selectors.writer_queue(writer_a), coffee_cart)[1].is_dormant is False

    Thread.objects.filter(pk=coffee_cart.pk).update(last_post_at=now - timedelta(days=4))
    assert entry_for(selectors.writer_queue(writer_a), coffee_cart)[1].is_dormant is True

    settings.TANDEM_DORMANT_DAYS = 30
    assert entry_for(selectors.writer_queue(writer_a), coffee_cart)[1].is_dormant is False


def test_thread_without_posts_is_dormant_by_its_creation_date(settings, coffee_cart, writer_a):
    """With no post at all, the thread's age counts."""
    settings.TANDEM_DORMANT_DAYS = 3
    assert entry_for(selectors.writer_queue(writer_a), coffee_cart)[1].is_dormant is False
    Thread.objects.filter(pk=coffee_cart.pk).update(created_at=timezone.now() - timedelta(days=10))
    assert entry_for(selectors.writer_queue(writer_a), coffee_cart)[1].is_dormant is True


def test_oldest_wait_first(make_thread, writer_a, make_muse):
    """Threads waiting on you are listed longest-waiting first."""
    muse = make_muse(writer_a, "Solo")
    now = timezone.now()
    for title, days in [("Two days", 2), ("Ten days", 10), ("Today", 0), ("Five days", 5)]:
        thread = make_thread(writer_a, muse, title=title)
        Thread.objects.filter(pk=thread.pk).update(turn_since=now - timedelta(days=days))
    assert titles(selectors.writer_queue(writer_a).your_turn) == [
        "Ten days",
        "Five days",
        "Two days",
        "Today",
    ]


def test_left_threads_leave_the_queue(coffee_cart, writer_b, hale):
    """Once a writer's last muse leaves, the thread is no longer in their queue."""
    participant = Participant.objects.get(thread=coffee_cart, muse=hale)
    services.participant_leave(participant=participant, actor=writer_b)
    assert entry_for(selectors.writer_queue(writer_b), coffee_cart) == (None, None)
    assert selectors.writer_queue(writer_b).is_empty


# ---------------------------------------------------------------------------- counts


def test_your_turn_count_matches_the_queue_across_states(
    coffee_cart, make_thread, join, make_muse, writer_a, writer_b, ivy, hale
):
    """The navigation count always equals your turn + writing in the queue."""
    free = make_thread(writer_a, ivy, title="Free", turn_mode=TurnMode.FREE)
    join(free, hale)
    assert_counts_agree(writer_a, writer_b)
    post(coffee_cart, ivy)
    assert_counts_agree(writer_a, writer_b)
    post(free, hale)
    assert_counts_agree(writer_a, writer_b)
    services.writer_state_set(thread=coffee_cart, writer=writer_b, writing=True)
    assert_counts_agree(writer_a, writer_b)
    services.writer_state_set(thread=free, writer=writer_a, muted=True)
    assert_counts_agree(writer_a, writer_b)
    services.thread_update(
        thread=coffee_cart,
        actor=writer_a,
        title="Coffee cart",
        summary="",
        rating="not_rated",
        warnings=[],
        tags=[],
        visibility="private",
        turn_mode=TurnMode.ORDERED,
        status=Status.PAUSED,
    )
    assert_counts_agree(writer_a, writer_b)
    services.participant_leave(
        participant=Participant.objects.get(thread=free, muse=hale), actor=writer_a
    )
    assert_counts_agree(writer_a, writer_b)


# ---------------------------------------------------------------------------- query budget


def _fill_queue(writer, muse, partner_muse, n: int) -> None:
    """n threads in a mix of states, plus some invitations to the writer."""
    partner = partner_muse.owner
    for i in range(n):
        kind = i % 6
        mode = TurnMode.FREE if kind == 2 else TurnMode.ORDERED
        thread = services.thread_create(owner=writer, muse=muse, title=f"T{i}", turn_mode=mode)
        invitation = services.invitation_create(
            thread=thread, actor=writer, username=partner.username
        )
        services.invitation_accept(invitation=invitation, writer=partner, muse=partner_muse)
        if kind in (1, 2):
            services.post_create(thread=thread, writer=writer, muse=muse, body="Hello.")
        if kind == 3:
            Thread.objects.filter(pk=thread.pk).update(status=Status.PAUSED)
        if kind == 4:
            services.writer_state_set(thread=thread, writer=writer, muted=True)
        if kind == 5:
            services.writer_state_set(thread=thread, writer=writer, pinned=True, writing=True)
    for i in range(max(1, n // 5)):
        thread = services.thread_create(owner=partner, muse=partner_muse, title=f"Invite {i}")
        services.invitation_create(thread=thread, actor=partner, username=writer.username)


def _home_queries(client, user) -> int:
    client.force_login(user)
    client.get("/")  # warm up anything cached per process
    with CaptureQueriesContext(connection) as ctx:
        response = client.get("/")
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_home_page_query_count_does_not_grow_with_threads(client, make_writer, make_muse):
    """The home page issues the same number of queries for 2 threads as for 25."""
    few, many, partner = make_writer(), make_writer(), make_writer()
    partner_muse = make_muse(partner, "Partner")
    _fill_queue(few, make_muse(few, "Few"), partner_muse, 2)
    _fill_queue(many, make_muse(many, "Many"), partner_muse, 25)
    assert len(Participant.objects.filter(writer=many, left_at__isnull=True)) == 25

    few_queries = _home_queries(client, few)
    many_queries = _home_queries(client, many)
    assert few_queries == many_queries
    # The page really shows the 25 threads' groups.
    response = client.get("/")
    assert b"T24" in response.content


# ---------------------------------------------------------------------------- the window


def test_a_window_shows_each_sections_first_threads_and_counts_them_all(make_writer, make_muse):
    """Windowed, each section is the start of the whole queue's section, in its order, and
    the totals (and the navigation count) still count every thread."""
    writer, partner = make_writer(), make_writer()
    _fill_queue(writer, make_muse(writer, "Mine"), make_muse(partner, "Theirs"), 24)
    whole = selectors.writer_queue(writer)
    for window in (0, 1, 3):
        part = selectors.writer_queue(writer, window=window)
        for name in selectors.SECTIONS:
            everything = getattr(whole, name)
            assert titles(getattr(part, name)) == titles(everything)[:window], (window, name)
            assert part.totals[name] == len(everything)
        assert part.your_turn_count == selectors.your_turn_count(writer)
        assert part.cut_short == [n for n in selectors.SECTIONS if len(getattr(whole, n)) > window]
    assert whole.cut_short == []
    assert whole.totals["waiting"] == 8 and whole.totals["muted"] == 4


def test_the_home_page_shows_a_window_and_a_link_to_all(client, settings, make_writer, make_muse):
    settings.TANDEM_QUEUE_WINDOW = 3
    writer, partner = make_writer(), make_writer()
    _fill_queue(writer, make_muse(writer, "Mine"), make_muse(partner, "Theirs"), 24)
    client.force_login(writer)
    page = client.get("/").content.decode()
    assert page.count('class="card queue-item') == 3 * 5 + 4  # five sections, 4 invitations
    assert 'href="?all=1#h-waiting">Show all 8 threads waiting on partners</a>' in page
    assert 'Waiting on partners <span class="badge badge--soft">8</span>' in page
    every = client.get("/?all=1").content.decode()
    assert every.count('class="card queue-item') == 24 + 4
    assert "Show all" not in every


def test_the_queue_builds_only_the_threads_it_shows(make_writer, make_muse, monkeypatch):
    """However many threads the writer has, a windowed queue makes models for the window
    only (the others are light rows): its cost does not grow with them."""
    writer, partner = make_writer(), make_writer()
    _fill_queue(writer, make_muse(writer, "Mine"), make_muse(partner, "Theirs"), 30)
    built = []
    original = Thread.from_db.__func__

    def counting(cls, db, field_names, values):
        built.append(values)
        return original(cls, db, field_names, values)

    monkeypatch.setattr(Thread, "from_db", classmethod(counting))
    selectors.writer_queue(writer, window=2)
    assert len(built) == 2 * 5 + 6  # the window of each section; 6 invitations' threads


def test_the_home_page_counts_the_turns_waiting_once(client, coffee_cart, writer_a, monkeypatch):
    """The navigation badge takes the home page's own count instead of asking again, and
    it is the same number the badge shows everywhere else."""
    from tandem.threads import context_processors

    expected = selectors.your_turn_count(writer_a)
    assert expected == 1
    calls = []
    real = context_processors.your_turn_count
    monkeypatch.setattr(
        context_processors, "your_turn_count", lambda user: calls.append(user) or real(user)
    )
    client.force_login(writer_a)
    home = client.get("/")
    assert home.context["nav_your_turn"] == home.context["waiting_on_you"] == expected
    assert calls == []
    other = client.get("/muses/")
    assert other.context["nav_your_turn"] == expected and len(calls) == 1
