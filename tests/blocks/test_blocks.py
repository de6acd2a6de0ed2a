"""Blocking (issue 10, item 10): two writers who blocked one another (either way) vanish from
each other's lists and pages and cannot bring each other into threads; what they already
share stays, with a way out."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from tandem.blocks.models import Block
from tandem.blocks.selectors import (
    exclude_hidden_threads,
    hidden_writer_ids,
    is_blocked_between,
    shared_threads,
)
from tandem.blocks.services import BlockError, block_writer, unblock_writer
from tandem.notifications.models import Kind, Notification
from tandem.threads import services
from tandem.threads.models import Thread, Visibility


@pytest.fixture
def carol(make_writer):
    return make_writer("carol")


@pytest.fixture
def wren(make_muse, carol):
    return make_muse(carol, "Wren")


# ---------------------------------------------------------------------------- the block


def test_a_block_works_both_ways_and_unblocking_ends_it(writer_a, writer_b, carol):
    block_writer(blocker=writer_a, blocked=writer_b)
    assert is_blocked_between(writer_a, writer_b)
    assert is_blocked_between(writer_b.pk, writer_a.pk)
    assert not is_blocked_between(writer_a, carol)
    assert set(hidden_writer_ids(writer_b)) == {writer_a.pk}
    assert set(hidden_writer_ids(writer_a)) == {writer_b.pk}
    unblock_writer(blocker=writer_a, blocked=writer_b)
    assert not is_blocked_between(writer_a, writer_b)


def test_blocking_twice_keeps_one_block(writer_a, writer_b):
    block_writer(blocker=writer_a, blocked=writer_b)
    block_writer(blocker=writer_a, blocked=writer_b)
    assert Block.objects.count() == 1


def test_nobody_blocks_themself_or_staff(writer_a, make_writer):
    with pytest.raises(BlockError, match="yourself"):
        block_writer(blocker=writer_a, blocked=writer_a)
    moderator = make_writer("moderator")
    moderator.is_staff = True
    moderator.save()
    with pytest.raises(BlockError, match="Staff"):
        block_writer(blocker=writer_a, blocked=moderator)
    assert not Block.objects.exists()


def test_anonymous_visitors_are_blocked_by_nobody(writer_a):
    from django.contrib.auth.models import AnonymousUser

    assert not is_blocked_between(AnonymousUser(), writer_a)
    assert list(hidden_writer_ids(AnonymousUser())) == []


# ---------------------------------------------------------------------------- invitations


@pytest.mark.parametrize("direction", ["owner blocked them", "they blocked the owner"])
def test_a_blocked_writer_cannot_be_invited(make_thread, writer_a, writer_b, ivy, direction):
    if direction == "owner blocked them":
        block_writer(blocker=writer_a, blocked=writer_b)
    else:
        block_writer(blocker=writer_b, blocked=writer_a)
    thread = make_thread(writer_a, ivy)
    with pytest.raises(ValidationError) as error:
        services.invitation_create(thread=thread, actor=writer_a, username="bram")
    # The same sentence as for a name nobody has: the block is not announced.
    assert "There is no writer called “bram”" in str(error.value)
    assert not thread.invitations.exists()


def test_a_writer_in_the_thread_who_blocked_the_invitee_keeps_them_out(
    make_thread, join, writer_a, writer_b, carol, ivy, hale
):
    thread = make_thread(writer_a, ivy)
    join(thread, hale)
    block_writer(blocker=writer_b, blocked=carol)
    with pytest.raises(ValidationError):
        services.invitation_create(thread=thread, actor=writer_a, username="carol")


def test_an_invitation_cannot_be_accepted_after_a_block(make_thread, writer_a, writer_b, ivy, hale):
    thread = make_thread(writer_a, ivy)
    invitation = services.invitation_create(thread=thread, actor=writer_a, username="bram")
    block_writer(blocker=writer_b, blocked=writer_a)
    with pytest.raises(ValidationError, match="blocked one another"):
        services.invitation_accept(invitation=invitation, writer=writer_b, muse=hale)
    assert not thread.participants.filter(writer=writer_b).exists()


def test_the_invite_form_answers_a_blocked_name_like_an_unknown_one(
    client, make_thread, writer_a, writer_b, ivy
):
    block_writer(blocker=writer_b, blocked=writer_a)
    thread = make_thread(writer_a, ivy)
    client.force_login(writer_a)
    response = client.post(
        reverse("thread-invite", args=[thread.public_id]), {"username": "bram"}, follow=True
    )
    assert response.status_code == 200
    assert "There is no writer called" in response.content.decode()
    assert not thread.invitations.exists()


# ---------------------------------------------------------------------------- pages and lists


@pytest.mark.parametrize("direction", ["viewer blocked them", "they blocked the viewer"])
def test_profile_and_muse_pages_vanish(client, writer_a, writer_b, ivy, direction):
    if direction == "viewer blocked them":
        block_writer(blocker=writer_b, blocked=writer_a)
    else:
        block_writer(blocker=writer_a, blocked=writer_b)
    client.force_login(writer_b)
    assert client.get(reverse("writer-profile", args=["alice"])).status_code == 404
    assert client.get(ivy.get_absolute_url()).status_code == 404
    client.logout()
    assert client.get(reverse("writer-profile", args=["alice"])).status_code == 200


def test_a_third_writers_profile_leaves_out_threads_shared_with_a_blocked_writer(
    client, make_thread, join, writer_a, writer_b, carol, ivy, wren
):
    shared = make_thread(writer_a, ivy, title="Alice and Carol", visibility=Visibility.PUBLIC)
    join(shared, wren)
    alone = make_thread(carol, wren, title="Carol alone", visibility=Visibility.PUBLIC)
    block_writer(blocker=writer_a, blocked=writer_b)
    client.force_login(writer_b)
    body = client.get(reverse("writer-profile", args=["carol"])).content.decode()
    assert alone.title in body
    assert shared.title not in body
    client.force_login(carol)
    assert shared.title in client.get(reverse("writer-profile", args=["carol"])).content.decode()


def test_exclude_hidden_threads_drops_owned_and_shared_threads(
    make_thread, join, writer_a, writer_b, carol, ivy, hale, wren
):
    owned = make_thread(writer_a, ivy, visibility=Visibility.PUBLIC)
    shared = make_thread(carol, wren, visibility=Visibility.PUBLIC)
    join(shared, ivy)
    other = make_thread(carol, wren, visibility=Visibility.PUBLIC)
    block_writer(blocker=writer_b, blocked=writer_a)
    listed = set(exclude_hidden_threads(Thread.objects.all(), writer_b))
    assert listed == {other} and owned not in listed
    # After alice's muse leaves the shared thread, it is listed again.
    services.participant_leave(participant=shared.participants.get(muse=ivy), actor=writer_a)
    assert set(exclude_hidden_threads(Thread.objects.all(), writer_b)) == {shared, other}


def test_search_finds_nothing_of_a_blocked_writer(
    client, make_thread, writer_a, writer_b, ivy, hale
):
    thread = make_thread(writer_a, ivy, title="Lighthouse keeper", visibility=Visibility.PUBLIC)
    services.post_create(thread=thread, writer=writer_a, muse=ivy, body="the quokka slept.")
    mine = make_thread(writer_b, hale, title="Lighthouse ghost", visibility=Visibility.PUBLIC)
    services.post_create(thread=mine, writer=writer_b, muse=hale, body="the quokka woke.")
    block_writer(blocker=writer_a, blocked=writer_b)
    client.force_login(writer_b)
    for kind, hidden in (
        ("posts", "slept"),
        ("threads", "Lighthouse keeper"),
        ("muses", "Ivy"),
        ("writers", "/writers/alice/"),
    ):
        query = {"posts": "quokka", "threads": "lighthouse", "muses": "ivy", "writers": "alice"}
        body = client.get(reverse("search"), {"q": query[kind], "kind": kind}).content.decode()
        assert hidden not in body, kind
    body = client.get(reverse("search"), {"q": "quokka", "kind": "posts"}).content.decode()
    assert "woke" in body  # their own post is still found


def test_ooc_mentions_do_not_reach_across_a_block(
    django_capture_on_commit_callbacks, coffee_cart, writer_a, writer_b
):
    def mentioned() -> bool:
        return Notification.objects.filter(recipient=writer_b, kind=Kind.OOC_MENTION).exists()

    block_writer(blocker=writer_b, blocked=writer_a)
    with django_capture_on_commit_callbacks(execute=True):
        services.ooc_post(thread=coffee_cart, writer=writer_a, body="@hale, free on friday?")
    assert not mentioned()
    unblock_writer(blocker=writer_b, blocked=writer_a)
    with django_capture_on_commit_callbacks(execute=True):
        services.ooc_post(thread=coffee_cart, writer=writer_a, body="@hale? still there?")
    assert mentioned()


# ---------------------------------------------------------------------------- what they share


def test_shared_threads_offer_leaving_or_removing(
    make_thread, join, coffee_cart, writer_a, writer_b, ivy, hale
):
    theirs = make_thread(writer_b, hale, title="Bram's")
    join(theirs, ivy)
    by_title = {thread.title: thread for thread in shared_threads(writer_a, writer_b)}
    assert set(by_title) == {"Coffee cart", "Bram's"}
    # In her own thread alice can remove bram's muse; in his she can take hers out.
    assert [row.muse for row in by_title["Coffee cart"].to_remove] == [hale]
    assert [row.muse for row in by_title["Bram's"].to_leave] == [ivy]


def test_blocking_keeps_shared_threads_and_the_page_offers_the_way_out(
    client, coffee_cart, writer_a, writer_b, hale
):
    client.force_login(writer_a)
    confirm = client.get(reverse("block-writer", args=["bram"]))
    assert confirm.status_code == 200
    assert "Coffee cart" in confirm.content.decode()
    response = client.post(reverse("block-writer", args=["bram"]), follow=True)
    assert is_blocked_between(writer_a, writer_b)
    body = response.content.decode()
    assert "You blocked" in body and "Remove Hale from your thread" in body
    # The thread and bram's place in it stay until alice chooses.
    assert coffee_cart.participants.filter(writer=writer_b, left_at__isnull=True).exists()
    row = coffee_cart.participants.get(muse=hale)
    client.post(
        reverse("participant-action", args=[coffee_cart.public_id, row.pk]), {"action": "remove"}
    )
    row.refresh_from_db()
    assert row.left_at is not None


def test_block_views_refuse_bad_input_with_a_message(client, writer_a, make_writer):
    client.force_login(writer_a)
    assert client.get(reverse("block-writer", args=["nobody-here"])).status_code == 404
    response = client.post(reverse("block-writer", args=["alice"]), follow=True)
    assert "cannot block yourself" in response.content.decode()
    assert not Block.objects.exists()
    assert client.post(reverse("unblock-writer", args=["nobody-here"])).status_code == 404


def test_the_list_shows_blocks_and_unblocks(client, writer_a, writer_b):
    block_writer(blocker=writer_a, blocked=writer_b)
    client.force_login(writer_a)
    assert "bram" in client.get(reverse("block-list")).content.decode()
    client.post(reverse("unblock-writer", args=["bram"]))
    assert not Block.objects.exists()
    assert "not blocked anyone" in client.get(reverse("block-list")).content.decode()


def test_block_pages_need_an_account(client):
    response = client.get(reverse("block-list"))
    assert response.status_code == 302 and "login" in response["Location"]
