"""Open starters: posting one, asking to join, the owner's answers, and who may do what."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from tandem.blocks.services import block_writer
from tandem.muses.services import muse_archive
from tandem.notifications.models import Kind, Notification
from tandem.starters import selectors, services
from tandem.starters.models import JoinRequest, RequestStatus
from tandem.threads import services as thread_services
from tandem.threads.models import InvitationStatus, TurnEvent, TurnEventKind, Visibility
from tandem.threads.permissions import is_participant

pytestmark = pytest.mark.django_db


def _update(thread, actor, **changes):
    """Change some of a thread's details, keeping the rest as they are."""
    fields = dict(
        title=thread.title,
        summary=thread.summary,
        rating=thread.rating,
        warnings=thread.warnings,
        tags=[t.name for t in thread.tags.all()],
        visibility=thread.visibility,
        turn_mode=thread.turn_mode,
        status=thread.status,
    )
    thread_services.thread_update(thread=thread, actor=actor, **{**fields, **changes})


def test_a_new_starter_is_a_public_thread_with_its_opening_post_on_the_board(starter, writer_b):
    thread = starter.thread
    assert thread.visibility == Visibility.PUBLIC
    assert thread.post_count == 1
    assert starter.is_open and starter.open_slots == 2
    assert sorted(t.name for t in thread.tags.all()) == ["Lighthouse AU", "slow burn"]
    assert list(selectors.board(writer_b)) == [starter]


def test_a_bad_starter_writes_nothing(writer_a, ivy):
    with pytest.raises(ValidationError):
        services.starter_create(
            owner=writer_a, muse=ivy, title="Too many", opening="Hello.", open_slots=11
        )
    with pytest.raises(ValidationError):
        services.starter_create(owner=writer_a, muse=ivy, title="Empty", opening="", open_slots=1)
    assert not writer_a.owned_threads.exists()


def test_only_the_owner_opens_a_public_thread_with_a_post_as_a_starter(
    make_thread, writer_a, writer_b, ivy
):
    thread = make_thread(writer_a, ivy, title="Quiet", visibility=Visibility.PRIVATE)
    with pytest.raises(PermissionDenied):
        services.starter_open(thread=thread, actor=writer_b, open_slots=1)
    with pytest.raises(ValidationError, match="make the thread public"):
        services.starter_open(thread=thread, actor=writer_a, open_slots=1)
    _update(thread, writer_a, visibility=Visibility.PUBLIC)
    with pytest.raises(ValidationError, match="opening post"):
        services.starter_open(thread=thread, actor=writer_a, open_slots=1)
    thread_services.post_create(thread=thread, writer=writer_a, muse=ivy, body="It begins.")
    opened = services.starter_open(thread=thread, actor=writer_a, open_slots=3, looking_for="x")
    assert opened.is_open and opened.open_slots == 3
    with pytest.raises(ValidationError, match="already an open starter"):
        services.starter_open(thread=thread, actor=writer_a, open_slots=1)


def test_asking_to_join_tells_the_owner(
    starter, ask, hale, writer_a, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        request = ask(hale, "Hale keeps the ferry. Weekly works!")
    assert request.status == RequestStatus.PENDING and request.muse == hale
    note = Notification.objects.get(recipient=writer_a, kind=Kind.JOIN_REQUESTED)
    assert "Hale" in note.text and note.url.endswith(f"/starters/{starter.pk}/manage/")


def test_one_pending_request_per_writer(ask, hale):
    ask(hale)
    with pytest.raises(ValidationError, match="already asked"):
        ask(hale)


def test_nobody_asks_with_a_muse_that_is_not_theirs(starter, writer_b, ivy, make_writer, make_muse):
    with pytest.raises(PermissionDenied):
        services.join_request_create(starter=starter, writer=writer_b, muse=ivy)
    assert not JoinRequest.objects.exists()


def test_an_archived_muse_cannot_ask(starter, writer_b, hale):
    muse_archive(muse=hale, writer=writer_b)
    hale.refresh_from_db()
    with pytest.raises(ValidationError, match="archived"):
        services.join_request_create(starter=starter, writer=writer_b, muse=hale)


def test_the_owner_cannot_ask_to_join_their_own_starter(starter, writer_a, make_muse):
    other = make_muse(writer_a, "Wren")
    with pytest.raises(ValidationError, match="your own starter"):
        services.join_request_create(starter=starter, writer=writer_a, muse=other)


@pytest.mark.parametrize("direction", ["owner blocks", "asker blocks"])
def test_blocked_writers_neither_ask_nor_see_each_others_starters(
    starter, writer_a, writer_b, hale, direction
):
    if direction == "owner blocks":
        block_writer(blocker=writer_a, blocked=writer_b)
    else:
        block_writer(blocker=writer_b, blocked=writer_a)
    assert list(selectors.board(writer_b)) == []
    assert list(selectors.board(writer_a)) == [starter]  # their own is still theirs
    with pytest.raises(ValidationError, match="cannot join"):
        services.join_request_create(starter=starter, writer=writer_b, muse=hale)


def test_a_block_after_the_request_stops_the_accept(starter, ask, hale, writer_a, writer_b):
    request = ask(hale)
    block_writer(blocker=writer_b, blocked=writer_a)
    with pytest.raises(ValidationError, match="blocked"):
        services.join_request_accept(join_request=request, actor=writer_a)
    assert not is_participant(starter.thread, writer_b)


def test_accepting_makes_the_muse_a_participant_through_the_invitation(
    starter, ask, hale, writer_a, writer_b, django_capture_on_commit_callbacks
):
    request = ask(hale)
    with django_capture_on_commit_callbacks(execute=True):
        participant = services.join_request_accept(join_request=request, actor=writer_a)
    thread = starter.thread
    thread.refresh_from_db()
    assert participant.muse == hale and participant.writer == writer_b
    # The same path as an accepted invitation: an accepted invitation, a join event, and the
    # turn passes to the newcomer after the owner's opening post.
    request.refresh_from_db()
    assert request.status == RequestStatus.ACCEPTED
    assert request.invitation.status == InvitationStatus.ACCEPTED
    assert request.invitation.invited_by == writer_a
    assert TurnEvent.objects.filter(
        thread=thread, kind=TurnEventKind.JOIN, participant=participant
    ).exists()
    assert thread.next_participant == participant
    starter.refresh_from_db()
    assert starter.open_slots == 1 and starter.is_open
    # The writer who asked hears the answer; the owner is not told they "were accepted".
    answered = Notification.objects.get(recipient=writer_b, kind=Kind.JOIN_ANSWERED)
    assert "welcomed Hale" in answered.text
    assert not Notification.objects.filter(
        recipient=writer_a, kind=Kind.INVITATION_ANSWERED
    ).exists()
    # And the newcomer writes the first reply.
    post = thread_services.post_create(thread=thread, writer=writer_b, muse=hale, body="Ahoy.")
    assert post.number == 2


def test_a_stranger_cannot_answer_a_request(starter, ask, hale, writer_b, make_writer):
    request = ask(hale)
    stranger = make_writer("stranger")
    for actor in (stranger, writer_b):
        with pytest.raises(PermissionDenied):
            services.join_request_accept(join_request=request, actor=actor)
        with pytest.raises(PermissionDenied):
            services.join_request_decline(join_request=request, actor=actor)
    request.refresh_from_db()
    assert request.is_pending


def test_the_last_slot_closes_the_starter_and_the_waiting_requests(
    starter, ask, hale, writer_a, make_writer, make_muse, django_capture_on_commit_callbacks
):
    others = [make_muse(make_writer(), f"Guest {n}") for n in range(3)]
    first, second, third = ask(hale), ask(others[0]), ask(others[1])
    services.join_request_accept(join_request=first, actor=writer_a)
    with django_capture_on_commit_callbacks(execute=True):
        services.join_request_accept(join_request=second, actor=writer_a)
    starter.refresh_from_db()
    assert starter.open_slots == 0 and starter.closed_at is not None
    third.refresh_from_db()
    assert third.status == RequestStatus.DECLINED
    assert Notification.objects.filter(
        recipient=others[1].owner, kind=Kind.JOIN_ANSWERED, text__contains="is full"
    ).exists()
    assert list(selectors.board(others[2].owner)) == []
    with pytest.raises(ValidationError, match="closed"):
        ask(others[2])


def test_declining_and_withdrawing(
    starter,
    ask,
    hale,
    writer_a,
    writer_b,
    make_writer,
    make_muse,
    django_capture_on_commit_callbacks,
):
    request = ask(hale)
    with django_capture_on_commit_callbacks(execute=True):
        services.join_request_decline(join_request=request, actor=writer_a)
    assert Notification.objects.filter(
        recipient=writer_b, kind=Kind.JOIN_ANSWERED, text__contains="declined"
    ).exists()
    with pytest.raises(ValidationError, match="already declined"):
        services.join_request_accept(join_request=request, actor=writer_a)
    again = ask(hale)  # a declined writer may ask once more
    with pytest.raises(PermissionDenied):
        services.join_request_withdraw(join_request=again, actor=writer_a)
    services.join_request_withdraw(join_request=again, actor=writer_b)
    again.refresh_from_db()
    assert again.status == RequestStatus.WITHDRAWN
    assert not is_participant(starter.thread, writer_b)


def test_a_participant_or_an_invitee_does_not_ask(starter, writer_a, writer_b, hale, join):
    invitation = thread_services.invitation_create(
        thread=starter.thread, actor=writer_a, username=writer_b.username
    )
    with pytest.raises(ValidationError, match="invitation"):
        services.join_request_create(starter=starter, writer=writer_b, muse=hale)
    thread_services.invitation_accept(invitation=invitation, writer=writer_b, muse=hale)
    with pytest.raises(ValidationError, match="already writing"):
        services.join_request_create(starter=starter, writer=writer_b, muse=hale)


def test_the_board_filters_by_tag_and_rating_and_hides_what_is_not_public(
    starter, writer_a, writer_b
):
    assert list(selectors.board(writer_b, tag="SLOW BURN")) == [starter]
    assert list(selectors.board(writer_b, tag="enemies to lovers")) == []
    assert list(selectors.board(writer_b, rating="teen")) == [starter]
    assert list(selectors.board(writer_b, rating="explicit")) == []
    _update(starter.thread, writer_a, visibility=Visibility.UNLISTED)
    assert list(selectors.board(writer_b)) == []


def test_closing_and_opening_again(starter, ask, hale, writer_a, writer_b):
    request = ask(hale)
    with pytest.raises(PermissionDenied):
        services.starter_close(starter=starter, actor=writer_b)
    services.starter_close(starter=starter, actor=writer_a)
    request.refresh_from_db()
    assert request.status == RequestStatus.DECLINED
    with pytest.raises(ValidationError, match="closed"):
        services.starter_update(starter=starter, actor=writer_a, open_slots=2, looking_for="")
    reopened = services.starter_open(thread=starter.thread, actor=writer_a, open_slots=4)
    assert reopened.pk == starter.pk and reopened.is_open and reopened.open_slots == 4
