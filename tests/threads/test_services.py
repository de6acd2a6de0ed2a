"""The thread services: every write on threads, invitations, participants, turns and posts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from tandem.muses.services import muse_archive
from tandem.threads import services
from tandem.threads.models import (
    Invitation,
    InvitationStatus,
    Participant,
    Post,
    PostRevision,
    Status,
    Tag,
    Thread,
    ThreadWriterState,
    TurnEvent,
    TurnEventKind,
    TurnMode,
    Visibility,
)
from tandem.threads.services import NotYourTurn

pytestmark = pytest.mark.django_db


def update_fields(thread, **changes) -> dict:
    fields = dict(
        title=thread.title,
        summary=thread.summary,
        rating=thread.rating,
        warnings=list(thread.warnings),
        tags=[t.name for t in thread.tags.all()],
        visibility=thread.visibility,
        turn_mode=thread.turn_mode,
        status=thread.status,
    )
    fields.update(changes)
    return fields


def post(thread, muse, body="Words.", **kwargs):
    thread.refresh_from_db()
    return services.post_create(thread=thread, writer=muse.owner, muse=muse, body=body, **kwargs)


def messages_of(error: ValidationError) -> str:
    return " ".join(error.messages)


@pytest.fixture
def writer_c(make_writer):
    return make_writer("cass")


@pytest.fixture
def rook(make_muse, writer_c):
    return make_muse(writer_c, "Rook")


# ---------------------------------------------------------------------------- threads


def test_thread_create_puts_the_owners_muse_first(writer_a, ivy):
    """A new thread has the owner's muse as its only participant, holding the turn, with a
    join event in the log; tags are de-duplicated whatever their case."""
    thread = services.thread_create(
        owner=writer_a,
        muse=ivy,
        title="  Coffee cart  ",
        summary="A morning.",
        warnings=["none_apply", "none_apply"],
        tags=["Slow burn", "slow  burn", "AU", ""],
        visibility=Visibility.UNLISTED,
    )
    thread.refresh_from_db()
    assert thread.title == "Coffee cart"
    assert thread.warnings == ["none_apply"]
    assert sorted(t.name for t in thread.tags.all()) == ["AU", "Slow burn"]
    (participant,) = thread.participants.all()
    assert participant.muse == ivy and participant.writer == writer_a
    assert participant.position == 0
    assert thread.next_participant == participant
    assert list(thread.turn_events.values_list("kind", flat=True)) == [TurnEventKind.JOIN]
    assert len(thread.public_id) >= 12


def test_thread_create_reuses_existing_tags_case_insensitively(writer_a, ivy):
    """A tag that exists in another case is reused, not duplicated."""
    services.thread_create(owner=writer_a, muse=ivy, title="One", tags=["Found Family"])
    services.thread_create(owner=writer_a, muse=ivy, title="Two", tags=["found family"])
    assert Tag.objects.filter(name__iexact="found family").count() == 1


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("title", "   "),
        ("rating", "spicy"),
        ("warnings", ["violence", "bees"]),
        ("visibility", "secret"),
        ("turn_mode", "chaos"),
    ],
)
def test_thread_create_validates_metadata(writer_a, ivy, field, value):
    """Bad metadata is refused with an error on the offending field and creates nothing."""
    fields = {"title": "Fine", field: value}
    with pytest.raises(ValidationError) as caught:
        services.thread_create(owner=writer_a, muse=ivy, **fields)
    assert field in caught.value.message_dict
    assert not Thread.objects.exists()


def test_thread_create_with_someone_elses_muse_is_refused(writer_b, ivy):
    """Nobody can start a thread as another writer's muse."""
    with pytest.raises(PermissionDenied):
        services.thread_create(owner=writer_b, muse=ivy, title="Stolen")
    assert not Thread.objects.exists()


def test_thread_create_title_too_long_is_refused(writer_a, ivy):
    """Titles are at most 200 characters."""
    with pytest.raises(ValidationError) as caught:
        services.thread_create(owner=writer_a, muse=ivy, title="x" * 201)
    assert "title" in caught.value.message_dict


def test_thread_update_changes_details(coffee_cart, writer_a):
    """The owner can change every detail, tags included."""
    services.thread_update(
        thread=coffee_cart,
        actor=writer_a,
        **update_fields(
            coffee_cart,
            title="Tea cart",
            tags=["cosy"],
            status=Status.PAUSED,
            visibility=Visibility.PUBLIC,
        ),
    )
    coffee_cart.refresh_from_db()
    assert coffee_cart.title == "Tea cart"
    assert coffee_cart.status == Status.PAUSED
    assert coffee_cart.visibility == Visibility.PUBLIC
    assert [t.name for t in coffee_cart.tags.all()] == ["cosy"]


def test_thread_update_by_a_partner_is_refused(coffee_cart, writer_b):
    """Only the owner may edit the thread's details."""
    with pytest.raises(PermissionDenied):
        services.thread_update(
            thread=coffee_cart, actor=writer_b, **update_fields(coffee_cart, title="Mine now")
        )
    coffee_cart.refresh_from_db()
    assert coffee_cart.title == "Coffee cart"


@pytest.mark.parametrize(("field", "value"), [("title", ""), ("status", "finished")])
def test_thread_update_validates(coffee_cart, writer_a, field, value):
    """An empty title or unknown status is refused and nothing changes."""
    with pytest.raises(ValidationError) as caught:
        services.thread_update(
            thread=coffee_cart, actor=writer_a, **update_fields(coffee_cart, **{field: value})
        )
    assert field in caught.value.message_dict
    coffee_cart.refresh_from_db()
    assert coffee_cart.title == "Coffee cart" and coffee_cart.status == Status.ACTIVE


# ---------------------------------------------------------------------------- invitations


def test_invite_unknown_writer_says_so(coffee_cart, writer_a):
    """Inviting a username nobody has is refused with a message naming it."""
    with pytest.raises(ValidationError) as caught:
        services.invitation_create(thread=coffee_cart, actor=writer_a, username="nobody")
    assert caught.value.message_dict["username"] == ["There is no writer called “nobody”."]
    assert not Invitation.objects.filter(thread=coffee_cart, invitee__username="nobody").exists()


def test_invite_ignores_case_and_at_sign(make_thread, writer_a, writer_b, ivy):
    """“@BRAM” finds the writer bram."""
    thread = make_thread(writer_a, ivy)
    invitation = services.invitation_create(thread=thread, actor=writer_a, username=" @BRAM ")
    assert invitation.invitee == writer_b
    assert invitation.status == InvitationStatus.PENDING


def test_duplicate_pending_invitation_is_refused(make_thread, writer_a, writer_b, ivy):
    """A writer with a pending invitation cannot be invited again."""
    thread = make_thread(writer_a, ivy)
    services.invitation_create(thread=thread, actor=writer_a, username="bram")
    with pytest.raises(ValidationError, match="already has an invitation"):
        services.invitation_create(thread=thread, actor=writer_a, username="Bram")
    assert Invitation.objects.filter(thread=thread).count() == 1


def test_inviting_yourself_is_refused(make_thread, writer_a, ivy):
    """The owner cannot invite themselves."""
    thread = make_thread(writer_a, ivy)
    with pytest.raises(ValidationError, match="already in this thread"):
        services.invitation_create(thread=thread, actor=writer_a, username="alice")


def test_inviting_a_writer_already_in_the_thread_is_refused(coffee_cart, writer_a):
    """A writer who already writes here needs no invitation."""
    with pytest.raises(ValidationError, match="already writing here"):
        services.invitation_create(thread=coffee_cart, actor=writer_a, username="bram")


def test_only_the_owner_invites(coffee_cart, writer_b, writer_c):
    """A partner cannot send invitations."""
    with pytest.raises(PermissionDenied):
        services.invitation_create(thread=coffee_cart, actor=writer_b, username=writer_c.username)


def test_accept_brings_the_muse_in_at_the_end(make_thread, writer_a, writer_b, ivy, hale):
    """Accepting adds the chosen muse at the end of the order and marks the invitation."""
    thread = make_thread(writer_a, ivy)
    invitation = services.invitation_create(thread=thread, actor=writer_a, username="bram")
    participant = services.invitation_accept(invitation=invitation, writer=writer_b, muse=hale)
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.ACCEPTED
    assert invitation.answered_at is not None
    assert participant.muse == hale and participant.writer == writer_b
    assert services.cached_turn_state(thread).order == (
        Participant.objects.get(thread=thread, muse=ivy).pk,
        participant.pk,
    )


def test_accept_with_someone_elses_muse_is_refused(make_thread, writer_a, writer_b, ivy, rook):
    """The invitee can only bring one of their own muses; nothing changes otherwise."""
    thread = make_thread(writer_a, ivy)
    invitation = services.invitation_create(thread=thread, actor=writer_a, username="bram")
    with pytest.raises(PermissionDenied):
        services.invitation_accept(invitation=invitation, writer=writer_b, muse=rook)
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.PENDING
    assert not thread.participants.filter(muse=rook).exists()


def test_accept_by_another_writer_is_refused(make_thread, writer_a, writer_b, writer_c, ivy, rook):
    """An invitation can only be answered by its invitee."""
    thread = make_thread(writer_a, ivy)
    invitation = services.invitation_create(thread=thread, actor=writer_a, username="bram")
    with pytest.raises(PermissionDenied):
        services.invitation_accept(invitation=invitation, writer=writer_c, muse=rook)
    with pytest.raises(PermissionDenied):
        services.invitation_decline(invitation=invitation, writer=writer_c)


def test_accept_with_an_archived_muse_is_refused(make_thread, writer_a, writer_b, ivy, hale):
    """An archived muse must be unarchived before joining a thread."""
    thread = make_thread(writer_a, ivy)
    invitation = services.invitation_create(thread=thread, actor=writer_a, username="bram")
    muse_archive(muse=hale, writer=writer_b)
    with pytest.raises(ValidationError, match="archived"):
        services.invitation_accept(invitation=invitation, writer=writer_b, muse=hale)


def test_decline_then_accept_is_refused_and_a_new_invite_is_possible(
    make_thread, writer_a, writer_b, ivy, hale
):
    """A declined invitation cannot be accepted later, but the owner may invite again."""
    thread = make_thread(writer_a, ivy)
    invitation = services.invitation_create(thread=thread, actor=writer_a, username="bram")
    services.invitation_decline(invitation=invitation, writer=writer_b)
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.DECLINED
    with pytest.raises(ValidationError, match="already declined"):
        services.invitation_accept(invitation=invitation, writer=writer_b, muse=hale)
    assert not thread.participants.filter(muse=hale).exists()
    again = services.invitation_create(thread=thread, actor=writer_a, username="bram")
    assert again.pk != invitation.pk


def test_accepting_twice_is_refused(make_thread, make_muse, writer_a, writer_b, ivy, hale):
    """The second accept of the same invitation is refused; no second muse joins."""
    thread = make_thread(writer_a, ivy)
    invitation = services.invitation_create(thread=thread, actor=writer_a, username="bram")
    services.invitation_accept(invitation=invitation, writer=writer_b, muse=hale)
    moss = make_muse(writer_b, "Moss")
    with pytest.raises(ValidationError, match="already accepted"):
        services.invitation_accept(invitation=invitation, writer=writer_b, muse=moss)
    assert thread.participants.filter(writer=writer_b).count() == 1


def test_withdrawn_invitation_cannot_be_accepted(make_thread, writer_a, writer_b, ivy, hale):
    """Once the owner withdraws it, the invitation is closed."""
    thread = make_thread(writer_a, ivy)
    invitation = services.invitation_create(thread=thread, actor=writer_a, username="bram")
    with pytest.raises(PermissionDenied):
        services.invitation_withdraw(invitation=invitation, actor=writer_b)
    services.invitation_withdraw(invitation=invitation, actor=writer_a)
    with pytest.raises(ValidationError, match="already withdrawn"):
        services.invitation_accept(invitation=invitation, writer=writer_b, muse=hale)


# ---------------------------------------------------------------------------- people


def test_a_writer_can_bring_several_muses(coffee_cart, make_muse, writer_a, writer_b, ivy, hale):
    """A writer in the thread brings a second muse; in an ordered thread each muse takes its
    own turn."""
    moss = make_muse(writer_b, "Moss")
    services.participant_add_muse(thread=coffee_cart, writer=writer_b, muse=moss)
    names = [
        p.muse.name
        for p in coffee_cart.participants.filter(left_at__isnull=True).order_by("position")
    ]
    assert names == ["Ivy", "Hale", "Moss"]
    post(coffee_cart, ivy)
    post(coffee_cart, hale)
    with pytest.raises(NotYourTurn):
        post(coffee_cart, hale)
    post(coffee_cart, moss)
    coffee_cart.refresh_from_db()
    assert coffee_cart.next_participant.muse == ivy


def test_bringing_a_muse_requires_being_in_the_thread(coffee_cart, writer_c, rook):
    """Only writers already in the thread can bring another muse."""
    with pytest.raises(PermissionDenied):
        services.participant_add_muse(thread=coffee_cart, writer=writer_c, muse=rook)


def test_bringing_someone_elses_or_the_same_muse_is_refused(coffee_cart, writer_b, ivy, hale):
    """A writer can only bring their own muses, and each muse once."""
    with pytest.raises(PermissionDenied):
        services.participant_add_muse(thread=coffee_cart, writer=writer_b, muse=ivy)
    with pytest.raises(ValidationError, match="already in this thread"):
        services.participant_add_muse(thread=coffee_cart, writer=writer_b, muse=hale)


def test_writer_leaves_with_their_muse(coffee_cart, writer_b, hale):
    """A writer can take their muse out: the row stays (with left_at), it leaves the order
    and a leave event is logged."""
    participant = Participant.objects.get(thread=coffee_cart, muse=hale)
    services.participant_leave(participant=participant, actor=writer_b)
    participant.refresh_from_db()
    assert participant.left_at is not None
    assert participant.position is None
    assert TurnEvent.objects.filter(thread=coffee_cart).last().kind == TurnEventKind.LEAVE
    assert hale.pk not in [p.muse_id for p in coffee_cart.participants.filter(left_at__isnull=True)]
    with pytest.raises(ValidationError, match="already left"):
        services.participant_leave(participant=participant, actor=writer_b)


def test_owner_removes_a_muse(coffee_cart, writer_a, hale):
    """The owner can remove a partner's muse; that is logged as a removal."""
    participant = Participant.objects.get(thread=coffee_cart, muse=hale)
    services.participant_leave(participant=participant, actor=writer_a)
    assert TurnEvent.objects.filter(thread=coffee_cart).last().kind == TurnEventKind.REMOVE


def test_a_partner_cannot_remove_another_partners_muse(coffee_cart, join, writer_c, rook, ivy):
    """Only the muse's writer or the thread's owner can take a muse out."""
    join(coffee_cart, rook)
    participant = Participant.objects.get(thread=coffee_cart, muse=ivy)
    with pytest.raises(PermissionDenied):
        services.participant_leave(participant=participant, actor=writer_c)
    participant.refresh_from_db()
    assert participant.left_at is None


def test_leaving_while_holding_the_turn_passes_it_on(coffee_cart, join, writer_b, ivy, hale, rook):
    """When the muse whose turn it is leaves, the turn goes to the muse after it."""
    join(coffee_cart, rook)
    post(coffee_cart, ivy)
    coffee_cart.refresh_from_db()
    assert coffee_cart.next_participant.muse == hale
    services.participant_leave(
        participant=Participant.objects.get(thread=coffee_cart, muse=hale), actor=writer_b
    )
    coffee_cart.refresh_from_db()
    assert coffee_cart.next_participant.muse == rook


def test_a_muse_that_left_can_rejoin_at_the_end(coffee_cart, join, writer_a, writer_b, hale, rook):
    """A muse that left can be invited back; it reuses its row and goes to the end."""
    join(coffee_cart, rook)
    participant = Participant.objects.get(thread=coffee_cart, muse=hale)
    services.participant_leave(participant=participant, actor=writer_b)
    rejoined = join(coffee_cart, hale)
    assert rejoined.pk == participant.pk
    assert rejoined.left_at is None
    order = [
        p.muse.name
        for p in coffee_cart.participants.filter(left_at__isnull=True).order_by("position")
    ]
    assert order == ["Ivy", "Rook", "Hale"]


def test_opening_post_then_invite_gives_the_newcomer_the_turn(
    make_thread, join, writer_a, ivy, hale
):
    """Writing the opening post before anyone joined does not leave the turn with the opener:
    the first partner to join replies next."""
    thread = make_thread(writer_a, ivy)
    post(thread, ivy, "It begins.")
    join(thread, hale)
    thread.refresh_from_db()
    assert thread.next_participant.muse == hale


def test_reorder_by_owner_only_and_with_the_same_muses(coffee_cart, join, writer_a, writer_b, rook):
    """Only the owner reorders, and the new order must list exactly the muses in the thread."""
    join(coffee_cart, rook)
    order = list(services.cached_turn_state(coffee_cart).order)
    with pytest.raises(PermissionDenied):
        services.participants_reorder(thread=coffee_cart, actor=writer_b, order=order[::-1])
    for bad in (order[:2], [*order, order[0]], [*order[:2], 999_999]):
        with pytest.raises(ValidationError, match="every muse"):
            services.participants_reorder(thread=coffee_cart, actor=writer_a, order=bad)
    services.participants_reorder(thread=coffee_cart, actor=writer_a, order=order[::-1])
    assert list(services.cached_turn_state(coffee_cart).order) == order[::-1]
    assert TurnEvent.objects.filter(thread=coffee_cart).last().kind == TurnEventKind.REORDER


def test_move_up_and_down(coffee_cart, join, writer_a, rook):
    """Moving a muse up swaps it with the one before; moving the first up changes nothing."""
    join(coffee_cart, rook)
    ivy_p, hale_p, rook_p = services.cached_turn_state(coffee_cart).order
    services.participant_move(thread=coffee_cart, actor=writer_a, participant_id=rook_p, offset=-1)
    assert services.cached_turn_state(coffee_cart).order == (ivy_p, rook_p, hale_p)
    services.participant_move(thread=coffee_cart, actor=writer_a, participant_id=ivy_p, offset=-1)
    assert services.cached_turn_state(coffee_cart).order == (ivy_p, rook_p, hale_p)


# ---------------------------------------------------------------------------- skip


def test_owner_skip_passes_the_turn_and_is_logged_not_posted(coffee_cart, writer_a, hale):
    """Skipping passes the turn on, is recorded as a skip event and creates no post."""
    services.turn_skip(thread=coffee_cart, actor=writer_a)
    coffee_cart.refresh_from_db()
    assert coffee_cart.next_participant.muse == hale
    assert coffee_cart.post_count == 0
    assert not Post.objects.filter(thread=coffee_cart).exists()
    skip = TurnEvent.objects.filter(thread=coffee_cart).last()
    assert skip.kind == TurnEventKind.SKIP
    assert skip.participant.muse.name == "Ivy"
    assert skip.actor == writer_a


def test_only_the_owner_can_skip(coffee_cart, writer_b):
    """A partner cannot skip the turn, even one that is not theirs."""
    with pytest.raises(PermissionDenied):
        services.turn_skip(thread=coffee_cart, actor=writer_b)
    coffee_cart.refresh_from_db()
    assert coffee_cart.next_participant.muse.name == "Ivy"


def test_free_threads_have_no_turn_to_skip(make_thread, writer_a, ivy):
    """Skipping in a free thread is refused."""
    thread = make_thread(writer_a, ivy, turn_mode=TurnMode.FREE)
    with pytest.raises(ValidationError, match="no turn to skip"):
        services.turn_skip(thread=thread, actor=writer_a)


# ---------------------------------------------------------------------------- posts


@pytest.mark.parametrize("body", ["", "   ", "\n\n\t \r\n"])
def test_post_needs_words(coffee_cart, ivy, body):
    """Empty or whitespace-only posts are refused with a message on the body."""
    with pytest.raises(ValidationError) as caught:
        post(coffee_cart, ivy, body)
    assert caught.value.message_dict["body"] == ["A post needs some words."]
    assert not Post.objects.exists()


def test_post_length_limit(coffee_cart, ivy, hale):
    """100,000 characters is fine; one more is refused with a message giving both numbers."""
    post(coffee_cart, ivy, "a" * 100_000)
    with pytest.raises(ValidationError) as caught:
        post(coffee_cart, hale, "b" * 100_001)
    message = caught.value.message_dict["body"][0]
    assert "100,001" in message and "100,000" in message
    assert Post.objects.count() == 1


@pytest.mark.parametrize("status", [Status.PAUSED, Status.COMPLETE, Status.ABANDONED])
def test_no_posts_in_a_thread_that_is_not_active(coffee_cart, ivy, status):
    """Paused, complete and abandoned threads take no posts."""
    Thread.objects.filter(pk=coffee_cart.pk).update(status=status)
    with pytest.raises(ValidationError, match="takes no new posts"):
        post(coffee_cart, ivy)
    assert not Post.objects.exists()


def test_not_your_turn(coffee_cart, hale):
    """In an ordered thread only the muse whose turn it is may post."""
    with pytest.raises(NotYourTurn, match="It is Ivy's turn"):
        post(coffee_cart, hale)
    assert not Post.objects.exists()


def test_turn_taken_names_who_just_posted(coffee_cart, ivy, hale, join, rook):
    """If somebody posted since the writer loaded the page and the turn moved away, the
    refusal says who posted."""
    join(coffee_cart, rook)
    post(coffee_cart, ivy)
    post(coffee_cart, hale)
    with pytest.raises(services.TurnTaken, match="Hale has just posted") as caught:
        post(coffee_cart, hale, seen_post_count=1)
    assert "Rook's turn" in str(caught.value)


def test_posting_as_someone_elses_muse_is_permission_denied(coffee_cart, writer_b, ivy):
    """A writer cannot post as a muse that is not theirs."""
    with pytest.raises(PermissionDenied):
        services.post_create(thread=coffee_cart, writer=writer_b, muse=ivy, body="Impostor.")
    assert not Post.objects.exists()


def test_posting_from_outside_the_thread_is_permission_denied(coffee_cart, writer_c, rook):
    """A muse that is not in the thread cannot post there."""
    with pytest.raises(PermissionDenied, match="not taking part"):
        services.post_create(thread=coffee_cart, writer=writer_c, muse=rook, body="Hi!")
    assert not Post.objects.exists()


def test_a_muse_that_left_cannot_post(make_thread, join, writer_a, writer_b, ivy, hale):
    """Leaving ends a muse's posting, even in a free thread."""
    thread = make_thread(writer_a, ivy, turn_mode=TurnMode.FREE)
    join(thread, hale)
    services.participant_leave(
        participant=Participant.objects.get(thread=thread, muse=hale), actor=writer_b
    )
    with pytest.raises(PermissionDenied):
        post(thread, hale)


def test_posts_are_numbered_and_counted(coffee_cart, ivy, hale):
    """Posts are numbered 1, 2, 3… in the thread; word counts and a first revision are
    stored; line endings are normalised."""
    first = post(coffee_cart, ivy, "Ivy orders a flat white —\r\nthen changes her mind.")
    second = post(coffee_cart, hale, "Hale sighs.")
    third = post(coffee_cart, ivy, "„Danke“, sagt sie. 猫が好き")
    assert [first.number, second.number, third.number] == [1, 2, 3]
    assert first.body == "Ivy orders a flat white —\nthen changes her mind."
    assert first.word_count == 9
    assert second.word_count == 2
    assert third.word_count == 3 + 4
    (revision,) = first.revisions.all()
    assert revision.number == 1 and revision.body == first.body and revision.word_count == 9
    coffee_cart.refresh_from_db()
    assert coffee_cart.post_count == 3
    assert coffee_cart.last_post_at == third.created_at


def test_post_edit_keeps_every_revision(coffee_cart, ivy):
    """Editing keeps the earlier texts as revisions and updates the word count; saving the
    same text adds no revision."""
    first = post(coffee_cart, ivy, "One two.")
    services.post_edit(post=first, writer=ivy.owner, body="One two three.")
    services.post_edit(post=first, writer=ivy.owner, body="One two three four.")
    services.post_edit(post=first, writer=ivy.owner, body="One two three four.")
    first.refresh_from_db()
    assert first.body == "One two three four."
    assert first.word_count == 4
    assert first.edited_at is not None
    assert list(first.revisions.order_by("number").values_list("number", "body")) == [
        (1, "One two."),
        (2, "One two three."),
        (3, "One two three four."),
    ]


def test_post_edit_validates_and_checks_the_author(coffee_cart, ivy, writer_b):
    """Only the author edits, and edited text follows the same rules as new posts."""
    first = post(coffee_cart, ivy, "Original.")
    with pytest.raises(PermissionDenied):
        services.post_edit(post=first, writer=writer_b, body="Vandalised.")
    with pytest.raises(ValidationError):
        services.post_edit(post=first, writer=ivy.owner, body="   ")
    with pytest.raises(ValidationError):
        services.post_edit(post=first, writer=ivy.owner, body="x" * 100_001)
    first.refresh_from_db()
    assert first.body == "Original."
    assert PostRevision.objects.filter(post=first).count() == 1


def test_post_delete_is_soft_and_keeps_the_turn_taken(coffee_cart, ivy, hale):
    """Removing a post hides it but keeps the row and its number; the turn does not go back."""
    first = post(coffee_cart, ivy, "Regret.")
    services.post_delete(post=first, writer=ivy.owner)
    first.refresh_from_db()
    assert first.is_deleted
    coffee_cart.refresh_from_db()
    assert coffee_cart.post_count == 1
    assert coffee_cart.next_participant.muse == hale
    assert post(coffee_cart, hale).number == 2
    with pytest.raises(ValidationError, match="Restore"):
        services.post_edit(post=first, writer=ivy.owner, body="New text.")


def test_only_the_author_removes_a_post(coffee_cart, ivy, writer_b):
    """A partner cannot remove someone else's post."""
    first = post(coffee_cart, ivy)
    with pytest.raises(PermissionDenied):
        services.post_delete(post=first, writer=writer_b)
    first.refresh_from_db()
    assert not first.is_deleted


def test_restore_within_30_days(coffee_cart, ivy):
    """A removed post can be restored 29 days later."""
    first = post(coffee_cart, ivy)
    services.post_delete(post=first, writer=ivy.owner)
    Post.objects.filter(pk=first.pk).update(deleted_at=timezone.now() - timedelta(days=29))
    first.refresh_from_db()
    services.post_restore(post=first, writer=ivy.owner)
    first.refresh_from_db()
    assert not first.is_deleted


def test_restore_refused_after_30_days(coffee_cart, ivy):
    """After 30 days a removed post stays removed."""
    first = post(coffee_cart, ivy)
    services.post_delete(post=first, writer=ivy.owner)
    Post.objects.filter(pk=first.pk).update(deleted_at=timezone.now() - timedelta(days=31))
    first.refresh_from_db()
    with pytest.raises(ValidationError, match="30 days"):
        services.post_restore(post=first, writer=ivy.owner)
    first.refresh_from_db()
    assert first.is_deleted


# ---------------------------------------------------------------------------- queue flags


def test_writer_state_flags(coffee_cart, writer_a):
    """Each flag is set independently; None leaves a flag as it is."""
    state = services.writer_state_set(thread=coffee_cart, writer=writer_a, pinned=True)
    assert (state.is_writing, state.is_pinned, state.is_muted) == (False, True, False)
    services.writer_state_set(thread=coffee_cart, writer=writer_a, writing=True, muted=True)
    services.writer_state_set(thread=coffee_cart, writer=writer_a, muted=False)
    state = ThreadWriterState.objects.get(thread=coffee_cart, writer=writer_a)
    assert (state.is_writing, state.is_pinned, state.is_muted) == (True, True, False)
    assert ThreadWriterState.objects.filter(thread=coffee_cart).count() == 1


def test_writer_state_only_for_writers_in_the_thread(coffee_cart, writer_c):
    """A writer who is not in the thread has no queue flags on it."""
    with pytest.raises(PermissionDenied):
        services.writer_state_set(thread=coffee_cart, writer=writer_c, pinned=True)
    assert not ThreadWriterState.objects.exists()


def test_posting_clears_only_the_posters_writing_flag(
    make_thread, join, writer_a, writer_b, ivy, hale
):
    """Posting turns off the poster's “writing” flag and leaves their partner's alone."""
    thread = make_thread(writer_a, ivy, turn_mode=TurnMode.FREE)
    join(thread, hale)
    services.writer_state_set(thread=thread, writer=writer_a, writing=True, pinned=True)
    services.writer_state_set(thread=thread, writer=writer_b, writing=True)
    post(thread, ivy)
    mine = ThreadWriterState.objects.get(thread=thread, writer=writer_a)
    assert mine.is_writing is False
    assert mine.is_pinned is True
    assert ThreadWriterState.objects.get(thread=thread, writer=writer_b).is_writing is True


def test_a_thread_cannot_start_with_an_archived_muse(writer_a, ivy):
    """An archived muse is retired: starting a thread with it is refused with a message."""
    muse_archive(muse=ivy, writer=writer_a)
    with pytest.raises(ValidationError) as refused:
        services.thread_create(owner=writer_a, muse=ivy, title="Old flame")
    assert "Ivy is archived" in str(refused.value)


def test_an_owner_who_left_can_bring_a_muse_back(writer_a, ivy, coffee_cart):
    """The owner takes Ivy out, then brings her back: she rejoins at the end of the order."""
    participant = coffee_cart.participants.get(muse=ivy)
    services.participant_leave(participant=participant, actor=writer_a)
    rejoined = services.participant_add_muse(thread=coffee_cart, writer=writer_a, muse=ivy)
    assert rejoined.pk == participant.pk
    assert rejoined.left_at is None
    order = services.cached_turn_state(coffee_cart).order
    assert order[-1] == participant.pk and len(order) == 2
