"""Table tests of the pure turn model in tandem.threads.turns (no database).

Participants are plain integers; each case is a list of events and the expected
posting order and turn holder afterwards.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tandem.threads import turns
from tandem.threads.turns import Event, TurnError, TurnState, apply, awaited_writer_ids, replay

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def events(*specs) -> list[Event]:
    """("post", 1) / ("reorder", (3, 1, 2)) / ... -> Events one minute apart."""
    out = []
    for minute, spec in enumerate(specs, start=1):
        kind, arg = spec
        at = T0 + timedelta(minutes=minute)
        if kind == "reorder":
            out.append(Event(kind, None, at, order=tuple(arg)))
        else:
            out.append(Event(kind, arg, at))
    return out


def joined(*ids) -> list[tuple[str, int]]:
    return [("join", i) for i in ids]


CASES = [
    # (id, event specs, expected order, expected next)
    ("nobody", [], (), None),
    ("first join holds the turn", joined(1), (1,), 1),
    ("joins go to the end, first muse holds the turn", joined(1, 2, 3), (1, 2, 3), 1),
    ("post passes to the next muse", [*joined(1, 2, 3), ("post", 1)], (1, 2, 3), 2),
    ("posts go round in order", [*joined(1, 2, 3), ("post", 1), ("post", 2)], (1, 2, 3), 3),
    (
        "the last muse's post wraps to the first",
        [*joined(1, 2, 3), ("post", 1), ("post", 2), ("post", 3)],
        (1, 2, 3),
        1,
    ),
    ("a lone muse keeps the turn after posting", [*joined(1), ("post", 1)], (1,), 1),
    ("skip passes the turn on like a post", [*joined(1, 2, 3), ("skip", 1)], (1, 2, 3), 2),
    (
        "skipping the last muse wraps",
        [*joined(1, 2, 3), ("post", 1), ("post", 2), ("skip", 3)],
        (1, 2, 3),
        1,
    ),
    (
        "a join after the first post does not take the turn",
        [*joined(1, 2), ("post", 1), ("join", 3)],
        (1, 2, 3),
        2,
    ),
    (
        "a join does not take the turn from the first muse after a wrap",
        [*joined(1, 2), ("post", 1), ("post", 2), ("join", 3)],
        (1, 2, 3),
        1,
    ),
    (
        "a newcomer answers an opening post written alone",
        [*joined(1), ("post", 1), ("join", 2)],
        (1, 2),
        2,
    ),
    (
        "a newcomer answers when everyone else was skipped back to the last poster",
        [*joined(1, 2), ("post", 1), ("skip", 2), ("join", 3)],
        (1, 2, 3),
        3,
    ),
    (
        "leaving before the first post: the new first muse holds the turn",
        [*joined(1, 2, 3), ("leave", 1)],
        (2, 3),
        2,
    ),
    (
        "leaving while not holding the turn changes nothing",
        [*joined(1, 2, 3), ("post", 1), ("leave", 3)],
        (1, 2),
        2,
    ),
    (
        "the holder leaving passes the turn to the muse after them",
        [*joined(1, 2, 3), ("post", 1), ("leave", 2)],
        (1, 3),
        3,
    ),
    (
        "the last muse leaving while holding the turn wraps to the first",
        [*joined(1, 2, 3), ("post", 1), ("post", 2), ("leave", 3)],
        (1, 2),
        1,
    ),
    (
        "removal by the owner works like leaving",
        [*joined(1, 2, 3), ("post", 1), ("remove", 2)],
        (1, 3),
        3,
    ),
    (
        "the last poster leaving keeps the turn with the next muse",
        [*joined(1, 2, 3), ("post", 1), ("leave", 1)],
        (2, 3),
        2,
    ),
    ("everyone leaving leaves nobody holding the turn", [*joined(1), ("leave", 1)], (), None),
    (
        "joining an emptied thread takes the turn",
        [*joined(1), ("post", 1), ("leave", 1), ("join", 2)],
        (2,),
        2,
    ),
    (
        "rejoining goes to the end of the order",
        [*joined(1, 2, 3), ("post", 1), ("leave", 1), ("join", 1)],
        (2, 3, 1),
        2,
    ),
    (
        "reorder before the first post: the new first muse holds the turn",
        [*joined(1, 2, 3), ("reorder", (3, 1, 2))],
        (3, 1, 2),
        3,
    ),
    (
        "reorder after the first post: whoever held the turn keeps it",
        [*joined(1, 2, 3), ("post", 1), ("reorder", (3, 1, 2))],
        (3, 1, 2),
        2,
    ),
    (
        "after a reorder, posts follow the new order",
        [*joined(1, 2, 3), ("post", 1), ("reorder", (1, 3, 2)), ("post", 2)],
        (1, 3, 2),
        1,
    ),
    (
        "after a skip, a reorder keeps the turn too",
        [*joined(1, 2, 3), ("skip", 1), ("reorder", (2, 3, 1))],
        (2, 3, 1),
        2,
    ),
]


@pytest.mark.parametrize(
    ("specs", "order", "next_id"),
    [pytest.param(specs, order, next_id, id=name) for name, specs, order, next_id in CASES],
)
def test_turn_table(specs, order, next_id):
    """Replaying the events gives the documented posting order and turn holder."""
    state = replay(events(*specs), created_at=T0)
    assert state.order == order
    assert state.next_id == next_id


def test_post_records_last_poster_and_count_but_skip_does_not():
    """A post moves the turn, sets the last poster and counts; a skip only moves the turn."""
    state = replay(events(*joined(1, 2, 3), ("post", 1), ("post", 2), ("skip", 3)))
    assert state.last_poster_id == 2
    assert state.post_count == 2
    assert state.started is True
    assert state.next_id == 1


def test_not_started_until_first_post_or_skip():
    """Joins, leaves and reorders alone do not start the thread."""
    state = replay(events(*joined(1, 2, 3), ("leave", 2), ("reorder", (3, 1))))
    assert state.started is False
    assert state.next_id == 3
    assert replay(events(*joined(1), ("skip", 1))).started is True


def test_since_moves_only_when_the_holder_changes():
    """turn_since is the moment the current holder got the turn."""
    evs = events(*joined(1, 2, 3), ("post", 1), ("leave", 3), ("reorder", (2, 1)), ("post", 2))
    state = TurnState(since=T0)
    seen = []
    for event in evs:
        state = apply(state, event)
        seen.append(state.since)
    at = [e.at for e in evs]
    assert seen[0] == at[0]  # first join: muse 1 gets the turn
    assert seen[1] == at[0] and seen[2] == at[0]  # later joins: holder unchanged
    assert seen[3] == at[3]  # post: muse 2 gets the turn
    assert seen[4] == at[3]  # muse 3 leaving does not touch muse 2's wait
    assert seen[5] == at[3]  # reorder keeps the holder and the moment
    assert seen[6] == at[6]  # post: turn back to muse 1


def test_holder_leaving_restarts_the_wait():
    """When the turn passes because its holder left, the next muse's wait starts then."""
    evs = events(*joined(1, 2, 3), ("post", 1), ("leave", 2))
    state = replay(evs)
    assert state.next_id == 3
    assert state.since == evs[-1].at


@pytest.mark.parametrize(
    ("state_specs", "bad"),
    [
        pytest.param(joined(1), ("join", 1), id="joining twice"),
        pytest.param(joined(1), ("post", 2), id="a stranger posting"),
        pytest.param(joined(1), ("skip", 2), id="skipping a stranger"),
        pytest.param(joined(1), ("leave", 2), id="a stranger leaving"),
        pytest.param([*joined(1), ("leave", 1)], ("leave", 1), id="leaving twice"),
        pytest.param(joined(1, 2), ("reorder", (1,)), id="reorder dropping a muse"),
        pytest.param(joined(1, 2), ("reorder", (1, 2, 3)), id="reorder adding a muse"),
        pytest.param(joined(1, 2), ("reorder", (1, 1)), id="reorder repeating a muse"),
        pytest.param(joined(1), ("dance", 1), id="unknown kind"),
    ],
)
def test_impossible_events_raise(state_specs, bad):
    """Events that make no sense in the current state raise TurnError."""
    state = replay(events(*state_specs))
    (event,) = events(bad)
    with pytest.raises(TurnError):
        apply(state, event)


def test_apply_does_not_mutate_the_previous_state():
    """States are values: applying an event returns a new state."""
    before = replay(events(*joined(1, 2)))
    (event,) = events(("post", 1))
    after = apply(before, event)
    assert before.next_id == 1 and before.post_count == 0
    assert after.next_id == 2 and after.post_count == 1


@pytest.mark.parametrize(
    ("ordered", "next_writer", "last_writer", "active", "expected"),
    [
        pytest.param(True, 10, 20, [10, 20, 30], {10}, id="ordered: the next muse's writer"),
        pytest.param(True, None, None, [10], set(), id="ordered: nobody holds the turn"),
        pytest.param(
            False, 10, None, [10, 20, 30], {10, 20, 30}, id="free: before any post, everyone"
        ),
        pytest.param(
            False, 10, 20, [10, 20, 30], {10, 30}, id="free: everyone but the last poster"
        ),
        pytest.param(
            False, 10, 20, [10, 20, 20, 30], {10, 30}, id="free: a writer with two muses once"
        ),
        pytest.param(False, 10, 20, [20], set(), id="free: the last poster alone waits on nobody"),
    ],
)
def test_awaited_writer_ids(ordered, next_writer, last_writer, active, expected):
    """Whose move it is: ordered → the next muse's writer; free → all but the last poster."""
    assert (
        awaited_writer_ids(
            ordered=ordered,
            next_writer_id=next_writer,
            last_poster_writer_id=last_writer,
            active_writer_ids=active,
        )
        == expected
    )


def test_replay_is_a_fold_of_apply():
    """The services rely on replay() equalling a fold of apply()."""
    evs = events(*joined(1, 2, 3), ("post", 1), ("reorder", (2, 3, 1)), ("leave", 2))
    folded = TurnState(since=T0)
    for event in evs:
        folded = turns.apply(folded, event)
    assert turns.replay(evs, created_at=T0) == folded
