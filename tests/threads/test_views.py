"""The thread pages through the Django test client: posting, privacy, skip, invites, flags."""

from __future__ import annotations

import html

import pytest
from django.urls import reverse

from tandem.threads import services
from tandem.threads.models import (
    Invitation,
    InvitationStatus,
    Participant,
    Post,
    Thread,
    ThreadWriterState,
    TurnMode,
    Visibility,
)

pytestmark = pytest.mark.django_db


def detail_url(thread) -> str:
    return reverse("thread-detail", args=[thread.public_id])


def text_of(response) -> str:
    return html.unescape(response.content.decode())


def reply(client, thread, muse, body, seen=None):
    thread.refresh_from_db()
    data = {
        "muse": muse.pk,
        "body": body,
        "seen_post_count": thread.post_count if seen is None else seen,
    }
    return client.post(detail_url(thread), data)


@pytest.fixture
def writer_c(make_writer):
    return make_writer("cass")


@pytest.fixture
def rook(make_muse, writer_c):
    return make_muse(writer_c, "Rook")


@pytest.fixture
def as_cass(client, writer_c):
    client.force_login(writer_c)
    return client


# ---------------------------------------------------------------------------- posting


def test_posting_on_the_thread_page_redirects_to_the_new_post(as_alice, coffee_cart, ivy):
    """A valid reply creates the post and redirects to its permalink."""
    response = reply(as_alice, coffee_cart, ivy, "Ivy orders a flat white.")
    assert response.status_code == 302
    created = Post.objects.get(thread=coffee_cart)
    assert response["Location"] == created.get_absolute_url()
    assert created.body == "Ivy orders a flat white."
    assert created.muse == ivy
    page = as_alice.get(response["Location"], follow=True)
    assert "Posted as Ivy." in text_of(page)
    assert "Ivy orders a flat white." in text_of(page)


def test_posting_out_of_turn_keeps_the_text_and_says_whose_turn(as_bram, coffee_cart, hale):
    """Replying when it is not your turn re-renders the page (200) with a clear message and
    the typed text still in the textarea; nothing is posted."""
    typed = "Hale had been rehearsing this line all morning."
    response = reply(as_bram, coffee_cart, hale, typed)
    assert response.status_code == 200
    page = text_of(response)
    assert "It is Ivy's turn, not Hale's." in page
    assert f"{typed}</textarea>" in page
    assert not Post.objects.exists()


def test_turn_taken_while_writing_names_who_posted(as_bram, coffee_cart, join, ivy, hale, rook):
    """If a partner posted since the page was loaded and the turn moved on, the message names
    who just posted and the text is kept."""
    join(coffee_cart, rook)
    services.post_create(thread=coffee_cart, writer=ivy.owner, muse=ivy, body="One.")
    services.post_create(thread=coffee_cart, writer=hale.owner, muse=hale, body="Two.")
    typed = "Hale, again, from a second tab."
    response = reply(as_bram, coffee_cart, hale, typed, seen=1)
    assert response.status_code == 200
    page = text_of(response)
    assert "Hale has just posted, so it is now Rook's turn." in page
    assert typed in page
    assert Post.objects.filter(thread=coffee_cart).count() == 2


def test_empty_post_is_refused_with_a_message(as_alice, coffee_cart, ivy):
    """An empty reply re-renders with an error on the reply field; nothing is posted."""
    response = reply(as_alice, coffee_cart, ivy, "")
    assert response.status_code == 200
    assert response.context["form"].errors["body"] == ["A post needs some words."]
    assert "field--error" in text_of(response)
    assert not Post.objects.exists()


def test_whitespace_post_is_refused_with_a_message(as_alice, coffee_cart, ivy):
    """A whitespace-only reply is refused: “A post needs some words.”"""
    response = reply(as_alice, coffee_cart, ivy, "   \n  ")
    assert response.status_code == 200
    assert "A post needs some words." in text_of(response)
    assert not Post.objects.exists()


def test_too_long_post_is_refused_and_the_text_kept(as_alice, coffee_cart, ivy):
    """A 100,001-character reply is refused with a message giving the limit, and the whole
    text is still in the textarea."""
    typed = "x" * 100_000 + "y"
    response = reply(as_alice, coffee_cart, ivy, typed)
    assert response.status_code == 200
    page = text_of(response)
    assert "the limit is 100000" in page.replace(",", "")
    assert "Split it into two posts." in page
    assert typed in page
    assert not Post.objects.exists()


def test_posting_in_a_thread_you_are_not_in_is_forbidden(as_cass, make_thread, writer_a, ivy, rook):
    """A logged-in reader of an unlisted thread who is not writing in it gets 403 on POST."""
    thread = make_thread(writer_a, ivy, visibility=Visibility.UNLISTED)
    response = reply(as_cass, thread, rook, "Let me in!")
    assert response.status_code == 403
    assert not Post.objects.exists()


def test_anonymous_post_is_refused(client, make_thread, writer_a, ivy):
    """Anonymous visitors can read a public thread but not post in it."""
    thread = make_thread(writer_a, ivy, visibility=Visibility.PUBLIC)
    response = client.post(detail_url(thread), {"muse": ivy.pk, "body": "Hi", "seen_post_count": 0})
    assert response.status_code in (302, 403)
    assert not Post.objects.exists()


def test_posting_as_someone_elses_muse_is_refused(as_bram, coffee_cart, ivy):
    """Choosing a muse that is not yours gives a form error, not a 500, and posts nothing."""
    response = reply(as_bram, coffee_cart, ivy, "Pretending to be Ivy.")
    assert response.status_code in (200, 403)
    if response.status_code == 200:
        assert response.context["form"].errors["muse"]
    assert not Post.objects.exists()


def test_posting_in_a_thread_paused_meanwhile_explains_and_keeps_the_text(
    as_alice, coffee_cart, ivy
):
    """If the thread was paused while the writer was typing, the reply is refused with a
    message (not a 500) and the typed text is still on the page."""
    Thread.objects.filter(pk=coffee_cart.pk).update(status="paused")
    response = reply(as_alice, coffee_cart, ivy, "Anyone there?")
    assert response.status_code == 200
    assert "takes no new posts" in text_of(response)
    assert "Anyone there?</textarea>" in text_of(response)
    assert not Post.objects.exists()


# ---------------------------------------------------------------------------- privacy


def test_guessing_a_private_thread_url_gives_404_without_the_title(
    as_cass, make_thread, writer_a, ivy
):
    """A private thread you are not part of is a plain 404 that does not reveal its title."""
    thread = make_thread(writer_a, ivy, title="Secret garden")
    response = as_cass.get(detail_url(thread))
    assert response.status_code == 404
    assert "Secret garden" not in text_of(response)
    assert as_cass.get(reverse("thread-settings", args=[thread.public_id])).status_code == 404
    missing = as_cass.get(reverse("thread-detail", args=["doesnotexist"]))
    assert missing.status_code == 404


def test_private_thread_is_404_for_anonymous_visitors(client, coffee_cart, ivy):
    """Logged-out visitors cannot read a private thread or its posts."""
    services.post_create(thread=coffee_cart, writer=ivy.owner, muse=ivy, body="Hidden words.")
    response = client.get(detail_url(coffee_cart))
    assert response.status_code == 404
    assert "Coffee cart" not in text_of(response)
    permalink = client.get(reverse("post-permalink", args=[coffee_cart.public_id, 1]))
    assert permalink.status_code == 404
    revisions = client.get(reverse("post-revisions", args=[coffee_cart.public_id, 1]))
    assert revisions.status_code == 404


def test_unlisted_thread_is_readable_anonymously(client, make_thread, writer_a, ivy):
    """Anyone with the link can read an unlisted thread."""
    thread = make_thread(writer_a, ivy, title="Night train", visibility=Visibility.UNLISTED)
    services.post_create(thread=thread, writer=writer_a, muse=ivy, body="The train was late.")
    response = client.get(detail_url(thread))
    assert response.status_code == 200
    page = text_of(response)
    assert "Night train" in page and "The train was late." in page
    assert "Write your reply" not in page


def test_private_thread_is_not_readable_by_a_pending_invitee(as_bram, make_thread, writer_a, ivy):
    """Issue 9: a writer invited (not yet answered) gets the stranger's 404 on the private
    thread; the invitation page shows what they may see before deciding."""
    thread = make_thread(writer_a, ivy, title="Lighthouse")
    services.invitation_create(thread=thread, actor=writer_a, username="bram")
    response = as_bram.get(detail_url(thread))
    assert response.status_code == 404
    assert "Lighthouse" not in text_of(response)


def test_declined_invitee_can_no_longer_read_a_private_thread(as_bram, make_thread, writer_a, ivy):
    """Declining ends the invitee's access to the private thread."""
    thread = make_thread(writer_a, ivy, title="Lighthouse")
    invitation = services.invitation_create(thread=thread, actor=writer_a, username="bram")
    services.invitation_decline(invitation=invitation, writer=invitation.invitee)
    assert as_bram.get(detail_url(thread)).status_code == 404


def test_private_thread_stays_out_of_explore(client, coffee_cart, make_thread, writer_a, ivy):
    """Only public threads are listed on the explore page."""
    make_thread(writer_a, ivy, title="Open to all", visibility=Visibility.PUBLIC)
    page = text_of(client.get(reverse("explore")))
    assert "Open to all" in page
    assert "Coffee cart" not in page


# ---------------------------------------------------------------------------- skip


def test_owner_skips_the_turn_from_the_page(as_alice, coffee_cart, hale):
    """The owner's skip button passes the turn on and redirects back to the thread."""
    response = as_alice.post(reverse("turn-skip", args=[coffee_cart.public_id]))
    assert response.status_code == 302
    assert response["Location"] == coffee_cart.get_absolute_url()
    coffee_cart.refresh_from_db()
    assert coffee_cart.next_participant.muse == hale
    assert not Post.objects.exists()


def test_partner_cannot_skip_from_the_page(as_bram, coffee_cart, ivy):
    """A partner's skip is refused with a message and the turn stays put."""
    response = as_bram.post(reverse("turn-skip", args=[coffee_cart.public_id]), follow=True)
    assert response.status_code == 200
    assert "Only the thread's owner can do that." in text_of(response)
    coffee_cart.refresh_from_db()
    assert coffee_cart.next_participant.muse == ivy


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/\\evil.example"])
def test_skip_never_redirects_off_site(as_alice, coffee_cart, target):
    """The skip form's “next” can only send the writer back into the site."""
    response = as_alice.post(reverse("turn-skip", args=[coffee_cart.public_id]), {"next": target})
    assert response.status_code == 302
    assert response["Location"] == coffee_cart.get_absolute_url()


def test_skip_returns_to_the_given_page(as_alice, coffee_cart):
    """A local “next” (e.g. the settings page) is honoured."""
    settings_url = reverse("thread-settings", args=[coffee_cart.public_id])
    response = as_alice.post(
        reverse("turn-skip", args=[coffee_cart.public_id]), {"next": settings_url}
    )
    assert response["Location"] == settings_url


# ---------------------------------------------------------------------------- invitations


def test_inviting_an_unknown_username_shows_a_clear_message(as_alice, coffee_cart):
    """Inviting a username nobody has says so on the settings page."""
    response = as_alice.post(
        reverse("thread-invite", args=[coffee_cart.public_id]), {"username": "ghost"}, follow=True
    )
    assert response.status_code == 200
    assert "There is no writer called “ghost”." in text_of(response)
    assert not Invitation.objects.filter(invitee__username="ghost").exists()


def test_invite_accept_and_decline_through_the_pages(
    as_bram, make_thread, writer_a, writer_b, ivy, hale
):
    """The invitee sees the invitation, accepts it with their muse and lands in the thread."""
    thread = make_thread(writer_a, ivy, title="Lighthouse")
    invitation = services.invitation_create(thread=thread, actor=writer_a, username="bram")
    url = reverse("invitation-respond", args=[invitation.pk])
    assert "Lighthouse" in text_of(as_bram.get(url))
    response = as_bram.post(url, {"answer": "accept", "muse": hale.pk})
    assert response.status_code == 302
    assert response["Location"] == thread.get_absolute_url()
    assert thread.participants.filter(muse=hale, left_at__isnull=True).exists()

    other = make_thread(writer_a, ivy, title="Shipwreck")
    declined = services.invitation_create(thread=other, actor=writer_a, username="bram")
    response = as_bram.post(
        reverse("invitation-respond", args=[declined.pk]), {"answer": "decline"}
    )
    assert response.status_code == 302
    declined.refresh_from_db()
    assert declined.status == InvitationStatus.DECLINED


def test_someone_elses_invitation_is_404(as_cass, make_thread, writer_a, writer_b, ivy):
    """An invitation page exists only for its invitee."""
    thread = make_thread(writer_a, ivy)
    invitation = services.invitation_create(thread=thread, actor=writer_a, username="bram")
    assert as_cass.get(reverse("invitation-respond", args=[invitation.pk])).status_code == 404


# ---------------------------------------------------------------------------- participants


def test_partner_leaves_from_the_settings_page(as_bram, coffee_cart, hale):
    """A partner's “Leave” takes their muse out and sends them home with a message."""
    participant = Participant.objects.get(thread=coffee_cart, muse=hale)
    url = reverse("participant-action", args=[coffee_cart.public_id, participant.pk])
    response = as_bram.post(url, {"action": "remove"}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("home")
    assert "Hale left the thread." in text_of(response)
    participant.refresh_from_db()
    assert participant.left_at is not None


def test_owner_reorders_from_the_settings_page(as_alice, coffee_cart, hale):
    """Moving a muse up changes the posting order."""
    participant = Participant.objects.get(thread=coffee_cart, muse=hale)
    url = reverse("participant-action", args=[coffee_cart.public_id, participant.pk])
    response = as_alice.post(url, {"action": "up"}, follow=True)
    assert "Posting order changed." in text_of(response)
    assert services.cached_turn_state(coffee_cart).order[0] == participant.pk


# ---------------------------------------------------------------------------- queue flags


@pytest.mark.parametrize(
    ("flag", "field", "value"),
    [
        ("writing", "is_writing", True),
        ("pin", "is_pinned", True),
        ("mute", "is_muted", True),
    ],
)
def test_queue_flag_endpoint_sets_and_clears_flags(
    as_alice, coffee_cart, writer_a, flag, field, value
):
    """Each queue button sets its flag and redirects to the local “next”; its opposite
    clears it."""
    url = reverse("thread-flag", args=[coffee_cart.public_id])
    response = as_alice.post(url, {"flag": flag, "next": "/"})
    assert response.status_code == 302
    assert response["Location"] == "/"
    state = ThreadWriterState.objects.get(thread=coffee_cart, writer=writer_a)
    assert getattr(state, field) is value
    opposite = {"writing": "not-writing", "pin": "unpin", "mute": "unmute"}[flag]
    as_alice.post(url, {"flag": opposite, "next": "/"})
    state.refresh_from_db()
    assert getattr(state, field) is not value


def test_queue_flag_unknown_action_and_off_site_next(as_alice, coffee_cart, writer_a):
    """An unknown flag changes nothing and says so; an off-site “next” goes home instead."""
    url = reverse("thread-flag", args=[coffee_cart.public_id])
    response = as_alice.post(url, {"flag": "explode", "next": "https://evil.example/"})
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert not ThreadWriterState.objects.exists()
    page = as_alice.get(reverse("home"))
    assert "Unknown queue action." in text_of(page)


def test_queue_flag_by_an_outsider_is_refused(as_cass, make_thread, writer_a, ivy):
    """A reader who is not writing in the thread cannot flag it."""
    thread = make_thread(writer_a, ivy, visibility=Visibility.PUBLIC)
    response = as_cass.post(
        reverse("thread-flag", args=[thread.public_id]), {"flag": "pin"}, follow=True
    )
    assert response.status_code == 200
    assert "Only writers in this thread" in text_of(response)
    assert not ThreadWriterState.objects.exists()


def test_flag_endpoints_require_login(client, coffee_cart):
    """Logged-out visitors are sent to the login page."""
    response = client.post(reverse("thread-flag", args=[coffee_cart.public_id]), {"flag": "pin"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


# ---------------------------------------------------------------------------- pages render


def test_home_shows_the_queue(as_bram, coffee_cart, ivy):
    """The home page lists the thread under “Your turn” once it is the writer's move."""
    services.post_create(thread=coffee_cart, writer=ivy.owner, muse=ivy, body="Your move.")
    page = text_of(as_bram.get("/"))
    assert "Coffee cart" in page
    assert "1 thread waiting on you." in page


def test_new_thread_page_creates_a_thread(as_alice, writer_a, ivy):
    """Starting a thread from the form redirects to its settings to invite partners."""
    response = as_alice.post(
        reverse("thread-new"),
        {
            "title": "Harbour lights",
            "rating": "general",
            "visibility": "private",
            "turn_mode": "ordered",
            "muse": ivy.pk,
            "tags": "boats, fog",
        },
    )
    thread = Thread.objects.get(title="Harbour lights")
    assert response.status_code == 302
    assert response["Location"] == reverse("thread-settings", args=[thread.public_id])
    assert thread.owner == writer_a
    assert sorted(t.name for t in thread.tags.all()) == ["boats", "fog"]
    assert thread.turn_mode == TurnMode.ORDERED


def test_post_edit_delete_restore_pages(as_alice, coffee_cart, ivy):
    """The author edits, removes and restores a post through the pages."""
    created = services.post_create(thread=coffee_cart, writer=ivy.owner, muse=ivy, body="Draft.")
    args = [coffee_cart.public_id, created.number]
    response = as_alice.post(reverse("post-edit", args=args), {"body": "Final."})
    assert response.status_code == 302
    created.refresh_from_db()
    assert created.body == "Final."
    as_alice.post(reverse("post-delete", args=args))
    created.refresh_from_db()
    assert created.is_deleted
    as_alice.post(reverse("post-restore", args=args))
    created.refresh_from_db()
    assert not created.is_deleted
    revisions = text_of(as_alice.get(reverse("post-revisions", args=args)))
    assert "Draft." in revisions and "Final." in revisions


def test_partner_cannot_edit_someone_elses_post(as_bram, coffee_cart, ivy):
    """Editing another writer's post is forbidden."""
    created = services.post_create(thread=coffee_cart, writer=ivy.owner, muse=ivy, body="Mine.")
    url = reverse("post-edit", args=[coffee_cart.public_id, created.number])
    assert as_bram.get(url).status_code == 403
    assert as_bram.post(url, {"body": "Yours."}).status_code == 403
    created.refresh_from_db()
    assert created.body == "Mine."
