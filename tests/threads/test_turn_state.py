"""The cached turn state against a full replay and an independent oracle, and concurrent posts.

The property test drives the real services with random sequences of posts, skips, leaves,
(re)joins and reorders. After every step the turn state cached on the thread must equal a
replay of the turn-event log, and in ordered threads the muse whose turn it is must be the
one the oracle below predicts.
"""

from __future__ import annotations

import threading
import time

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tandem.threads import services
from tandem.threads.models import Participant, Post, Thread, TurnEvent, TurnMode
from tandem.threads.services import NotYourTurn, TurnTaken, posts

# ---------------------------------------------------------------------------- the oracle


class TurnOracle:
    """Who should post next in an ordered thread, written from the rules, not from turns.py.

    The rule: the next muse is the one after the author of the latest post or skip in the
    current posting order (wrapping); before any post or skip, the first muse in the order.
    The oracle keeps that author as its *reference* and counts one on from it. Where the
    reference cannot simply stay the author, the documented exceptions move it:

    * leaving: a muse who leaves is taken out of the order. If it was the reference, the
      reference becomes the muse before it, so the turn still goes to whoever followed it.
      (So if the muse holding the turn leaves, the one after it is next; anybody else
      leaving changes nothing.) Once everybody has left, the first muse to join is next.
    * reorder after the first post/skip: whoever held the turn keeps it — the reference
      becomes the muse before them in the new order. Before it, the new first muse is next.
    * join after the first post/skip: the newcomer goes to the end and whoever held the turn
      keeps it — except when the turn had come back round to the muse that wrote the
      latest post (nobody answers their own post when a newcomer can); then the newcomer is
      next.
    """

    def __init__(self) -> None:
        self.order: list[int] = []
        self.reference: int | None = None  # None: count from the start of the order
        self.started = False
        self.last_poster: int | None = None

    def next(self) -> int | None:
        if not self.order:
            return None
        if self.reference is None:
            return self.order[0]
        return self.order[(self.order.index(self.reference) + 1) % len(self.order)]

    def _count_so_that_next_is(self, holder: int) -> None:
        self.reference = self.order[self.order.index(holder) - 1]

    def post(self, who: int) -> None:
        self.reference, self.started, self.last_poster = who, True, who

    def skip(self, who: int) -> None:
        self.reference, self.started = who, True

    def leave(self, who: int) -> None:
        if self.reference == who:
            before = self.order[self.order.index(who) - 1]
            self.reference = None if before == who else before
        self.order.remove(who)
        if not self.order:
            self.reference = None

    def join(self, who: int) -> None:
        holder = self.next()
        self.order.append(who)
        if not self.started or holder is None:
            return
        if holder == self.last_poster:
            self._count_so_that_next_is(who)
        else:
            self._count_so_that_next_is(holder)

    def reorder(self, order: list[int]) -> None:
        holder = self.next()
        self.order = list(order)
        if self.started and holder is not None:
            self._count_so_that_next_is(holder)


# ---------------------------------------------------------------------------- helpers


def assert_cached_equals_replay(thread: Thread) -> None:
    thread.refresh_from_db()
    cached = services.cached_turn_state(thread)
    replayed = services.replayed_turn_state(thread)
    assert cached.order == replayed.order
    assert cached.next_id == replayed.next_id
    assert cached.last_poster_id == replayed.last_poster_id
    assert cached.post_count == replayed.post_count
    assert cached.since == replayed.since
    assert cached.started == replayed.started
    # And the cache agrees with the rows it summarises.
    numbers = list(thread.posts.order_by("number").values_list("number", flat=True))
    assert numbers == list(range(1, len(numbers) + 1))
    assert thread.post_count == len(numbers)


@pytest.fixture
def cast(make_writer, make_muse):
    """Three writers; the owner and the second writer have two muses each."""
    owner, second, third = make_writer(), make_writer(), make_writer()
    muses = [
        make_muse(owner, "Ivy"),
        make_muse(owner, "Fern"),
        make_muse(second, "Hale"),
        make_muse(second, "Moss"),
        make_muse(third, "Rook"),
    ]
    return owner, muses


# ---------------------------------------------------------------------------- property test


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_cached_turn_state_always_equals_replay_and_oracle(cast, data):
    """Whatever sequence of posts, skips, leaves, joins and reorders happens, the cached turn
    state equals a replay of the turn log after every step, and in ordered threads the muse
    whose turn it is matches the oracle (TurnOracle's docstring states its rules)."""
    owner, muses = cast
    mode = data.draw(st.sampled_from([TurnMode.ORDERED, TurnMode.FREE]), label="mode")
    first = muses[0]
    thread = services.thread_create(owner=owner, muse=first, title="Property", turn_mode=mode)
    oracle = TurnOracle()
    oracle.join(Participant.objects.get(thread=thread, muse=first).pk)
    assert_cached_equals_replay(thread)

    def active_participants() -> list[Participant]:
        return list(
            Participant.objects.filter(thread=thread, left_at__isnull=True)
            .select_related("muse", "writer")
            .order_by("position")
        )

    def bring(muse) -> None:
        if any(p.writer_id == muse.owner_id for p in active_participants()):
            participant = services.participant_add_muse(thread=thread, writer=muse.owner, muse=muse)
        else:
            invitation = services.invitation_create(
                thread=thread, actor=owner, username=muse.owner.username
            )
            participant = services.invitation_accept(
                invitation=invitation, writer=muse.owner, muse=muse
            )
        oracle.join(participant.pk)

    # Start from a random cast so that long posting orders are common.
    for muse in data.draw(st.permutations(muses[1:]), label="cast")[
        : data.draw(st.integers(0, len(muses) - 1), label="cast size")
    ]:
        bring(muse)
        assert_cached_equals_replay(thread)

    for _ in range(data.draw(st.integers(1, 16), label="steps")):
        thread.refresh_from_db()
        active = active_participants()
        active_writers = {p.writer_id for p in active}
        active_muses = {p.muse_id for p in active}
        joinable = [
            m
            for m in muses
            if m.pk not in active_muses
            # The owner can only bring a muse back while they still write here.
            and (m.owner_id != owner.pk or owner.pk in active_writers)
        ]
        actions = ["skip"]  # in a free thread (or an empty one) skipping must be refused
        if active:
            actions += ["post", "post", "leave", "reorder"]
        if joinable:
            actions += ["join"]
        if mode == TurnMode.ORDERED and len(active) > 1:
            actions += ["post out of turn"]
        action = data.draw(st.sampled_from(actions), label="action")

        if action == "post":
            if mode == TurnMode.ORDERED:
                poster = next(p for p in active if p.pk == thread.next_participant_id)
            else:
                poster = data.draw(st.sampled_from(active), label="poster")
            services.post_create(
                thread=thread, writer=poster.writer, muse=poster.muse, body="Words."
            )
            oracle.post(poster.pk)
        elif action == "post out of turn":
            poster = data.draw(
                st.sampled_from([p for p in active if p.pk != thread.next_participant_id]),
                label="impatient poster",
            )
            with pytest.raises(NotYourTurn):
                services.post_create(
                    thread=thread, writer=poster.writer, muse=poster.muse, body="Me next!"
                )
        elif action == "skip":
            if mode == TurnMode.ORDERED and active:
                holder = thread.next_participant_id
                services.turn_skip(thread=thread, actor=owner)
                oracle.skip(holder)
            else:
                events_before = TurnEvent.objects.filter(thread=thread).count()
                with pytest.raises(ValidationError):
                    services.turn_skip(thread=thread, actor=owner)
                assert TurnEvent.objects.filter(thread=thread).count() == events_before
        elif action == "leave":
            # The muse holding the turn leaving is the interesting case: weight it.
            holder = [p for p in active if p.pk == thread.next_participant_id]
            leaver = data.draw(st.sampled_from(active + holder * len(active)), label="leaver")
            actor = data.draw(st.sampled_from([leaver.writer, owner]), label="by")
            services.participant_leave(participant=leaver, actor=actor)
            oracle.leave(leaver.pk)
        elif action == "join":
            bring(data.draw(st.sampled_from(joinable), label="joiner"))
        elif action == "reorder":
            order = data.draw(st.permutations([p.pk for p in active]), label="order")
            services.participants_reorder(thread=thread, actor=owner, order=order)
            oracle.reorder(order)

        assert_cached_equals_replay(thread)
        assert list(services.cached_turn_state(thread).order) == oracle.order
        if mode == TurnMode.ORDERED:
            assert thread.next_participant_id == oracle.next()


def test_oracle_agrees_with_the_plain_rule_in_a_simple_round():
    """Sanity check of the oracle itself: without leaves, joins or reorders it is exactly
    'the one after the latest post/skip author, or the first'."""
    oracle = TurnOracle()
    for pid in (1, 2, 3):
        oracle.join(pid)
    assert oracle.next() == 1
    oracle.post(1)
    assert oracle.next() == 2
    oracle.skip(2)
    assert oracle.next() == 3
    oracle.post(3)
    assert oracle.next() == 1
    oracle.leave(1)  # the holder leaves: the muse after it is next
    assert oracle.next() == 2


# ---------------------------------------------------------------------------- concurrency


def _race(thread_pk: int, attempts: list[dict], monkeypatch) -> list[object]:
    """Run post_create once per attempt in parallel threads released together by a barrier.

    Each post sleeps briefly while holding the thread's lock (inside count_words), so the
    second writer really arrives while the first is mid-transaction.
    """
    real_count_words = posts.count_words

    def slow_count_words(text):
        time.sleep(0.3)
        return real_count_words(text)

    monkeypatch.setattr(posts, "count_words", slow_count_words)
    barrier = threading.Barrier(len(attempts))
    results: list[object] = [None] * len(attempts)

    def run(index: int, kwargs: dict) -> None:
        try:
            thread = Thread.objects.get(pk=thread_pk)
            barrier.wait(timeout=10)
            results[index] = services.post_create(thread=thread, **kwargs)
        except Exception as error:
            results[index] = error
        finally:
            connection.close()

    workers = [threading.Thread(target=run, args=(i, kwargs)) for i, kwargs in enumerate(attempts)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert not any(worker.is_alive() for worker in workers)
    return results


@pytest.mark.django_db(transaction=True)
def test_same_writer_two_tabs_posting_at_once_creates_one_post(
    coffee_cart, writer_a, ivy, monkeypatch
):
    """Two submits of Ivy's turn at the same moment (two tabs, both having seen 0 posts):
    exactly one post is created; the other is refused with TurnTaken saying Ivy has just
    posted and it is now Hale's turn."""
    attempt = dict(writer=writer_a, muse=ivy, body="Ivy steps up.", seen_post_count=0)
    results = _race(coffee_cart.pk, [attempt, dict(attempt)], monkeypatch)

    posts = [r for r in results if isinstance(r, Post)]
    errors = [r for r in results if isinstance(r, Exception)]
    assert len(posts) == 1, results
    assert len(errors) == 1, results
    assert isinstance(errors[0], TurnTaken), repr(errors[0])
    assert isinstance(errors[0], NotYourTurn)
    assert "Ivy has just posted" in str(errors[0])
    assert "Hale's turn" in str(errors[0])
    assert Post.objects.filter(thread=coffee_cart).count() == 1
    coffee_cart.refresh_from_db()
    assert coffee_cart.post_count == 1
    assert coffee_cart.next_participant.muse.name == "Hale"
    assert_cached_equals_replay(coffee_cart)


@pytest.mark.django_db(transaction=True)
def test_two_writers_in_a_free_thread_posting_at_once_both_succeed_with_unique_numbers(
    make_thread, join, writer_a, writer_b, ivy, hale, monkeypatch
):
    """In a free thread two writers posting at the same moment both get a post, numbered 1
    and 2 (never the same number twice)."""
    thread = make_thread(writer_a, ivy, title="Free for all", turn_mode=TurnMode.FREE)
    join(thread, hale)
    results = _race(
        thread.pk,
        [
            dict(writer=writer_a, muse=ivy, body="Ivy.", seen_post_count=0),
            dict(writer=writer_b, muse=hale, body="Hale.", seen_post_count=0),
        ],
        monkeypatch,
    )
    assert all(isinstance(r, Post) for r in results), results
    assert sorted(r.number for r in results) == [1, 2]
    assert sorted(Post.objects.filter(thread=thread).values_list("number", flat=True)) == [1, 2]
    assert_cached_equals_replay(thread)


@pytest.mark.django_db(transaction=True)
def test_posting_while_the_partner_leaves_keeps_the_state_consistent(
    coffee_cart, writer_a, writer_b, ivy, hale, monkeypatch
):
    """A post and a leave racing on the same thread are serialised: both succeed and the
    cached turn state still equals the replay of the log."""
    hale_participant = Participant.objects.get(thread=coffee_cart, muse=hale)
    barrier = threading.Barrier(2)
    results: list[object] = [None, None]

    def post() -> None:
        try:
            barrier.wait(timeout=10)
            results[0] = services.post_create(
                thread=Thread.objects.get(pk=coffee_cart.pk),
                writer=writer_a,
                muse=ivy,
                body="Before you go —",
            )
        except Exception as error:
            results[0] = error
        finally:
            connection.close()

    def leave() -> None:
        try:
            barrier.wait(timeout=10)
            results[1] = services.participant_leave(participant=hale_participant, actor=writer_b)
        except Exception as error:
            results[1] = error
        finally:
            connection.close()

    workers = [threading.Thread(target=post), threading.Thread(target=leave)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert not isinstance(results[0], Exception), repr(results[0])
    assert not isinstance(results[1], Exception), repr(results[1])
    assert_cached_equals_replay(coffee_cart)
    coffee_cart.refresh_from_db()
    # Hale is gone, so whichever came first, Ivy is alone and holds the turn.
    assert coffee_cart.next_participant.muse_id == ivy.pk


def test_not_your_turn_is_permission_denied(coffee_cart, writer_b, hale):
    """Posting out of turn without a seen count says whose turn it is (NotYourTurn, a
    PermissionDenied) and creates nothing."""
    with pytest.raises(NotYourTurn, match="It is Ivy's turn, not Hale's") as caught:
        services.post_create(thread=coffee_cart, writer=writer_b, muse=hale, body="Too soon.")
    assert not isinstance(caught.value, TurnTaken)
    assert isinstance(caught.value, PermissionDenied)
    assert not Post.objects.exists()
