"""Issue 9, item 1: consent before anyone's muse joins anything.

An import that names another writer's muse puts nothing in that writer's account, queue or
pages: the posts wait under a placeholder muse of the importer's, and the writer gets a claim
(an invitation) to take them.
"""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from tandem.cli import main
from tandem.imports import services
from tandem.imports.models import PendingImport
from tandem.muses.models import Muse
from tandem.notifications.models import Kind, Notification
from tandem.threads import selectors
from tandem.threads import services as thread_services
from tandem.threads.models import (
    Invitation,
    InvitationStatus,
    Participant,
    Thread,
    ThreadWriterState,
    TurnEvent,
    Visibility,
)
from tandem.threads.services import cached_turn_state, replayed_turn_state

PASTE = """ivy set the lantern down between them & waited for him to say something first.

---

hale said nothing for a long while. FORGEDLINE he reached for the lantern and turned it down.

---

ivy laughed, low, and let the dark settle.
"""


def _web_import(client, ivy, hale) -> Thread:
    """Alice imports on the web, naming bram's Hale as Hale=bram, and starts it."""
    client.post(
        reverse("import-new"),
        {
            "title": "Lantern",
            "text": PASTE,
            "format": "auto",
            "muses": [ivy.pk],
            "other_muses": "Hale=bram",
        },
    )
    pending = PendingImport.objects.get()
    form = {f"text-{i}": p["text"] for i, p in enumerate(pending.posts)}
    form.update({f"muse-{i}": p["muse"] for i, p in enumerate(pending.posts)})
    client.post(pending.get_absolute_url(), {**form, "title": "Lantern", "action": "import"})
    pending.refresh_from_db()
    assert pending.thread is not None, pending.error
    return pending.thread


def _imported(writer_a, ivy, hale, **kwargs) -> Thread:
    posts = [
        services.ImportedPost(muse=ivy, body="ivy speaks first."),
        services.ImportedPost(muse=hale, body="hale answers. FORGEDLINE"),
        services.ImportedPost(muse=ivy, body="ivy again."),
    ]
    return services.thread_import(
        owner=writer_a, title="Bakery", posts=posts, muses=[ivy, hale], **kwargs
    )


def test_web_import_of_a_partners_muse_shows_nothing_of_theirs_but_an_invitation(
    client, django_capture_on_commit_callbacks, writer_a, writer_b, ivy, hale
):
    client.force_login(writer_a)
    with django_capture_on_commit_callbacks(execute=True):
        thread = _web_import(client, ivy, hale)

    # Nothing in the thread is bram's or Hale's.
    assert not thread.posts.filter(author=writer_b).exists()
    assert not thread.posts.filter(muse=hale).exists()
    assert not Participant.objects.filter(thread=thread, writer=writer_b).exists()
    held = thread.posts.get(number=2)
    assert held.muse.is_placeholder and held.muse.owner == writer_a and held.author == writer_a
    assert held.muse.name == "Hale"
    # The one thing bram gets is a claim, and a notification pointing at it.
    claim = Invitation.objects.get(thread=thread, invitee=writer_b)
    assert claim.is_claim and claim.claim_muse == hale and claim.invited_by == writer_a
    assert claim.claim_participant.muse == held.muse
    note = Notification.objects.get(recipient=writer_b, kind=Kind.INVITED)
    assert note.url == claim.get_absolute_url() and "Hale" in note.text

    # The thread page says whose posts wait for whom.
    page = client.get(thread.get_absolute_url()).content.decode()
    assert "Imported by alice, awaiting bram" in page

    # Bram: his queue has only the invitation, Hale's page lists nothing, the thread is 404.
    client.force_login(writer_b)
    queue = selectors.writer_queue(writer_b)
    assert [i.pk for i in queue.invitations] == [claim.pk]
    assert not (queue.your_turn or queue.writing or queue.waiting or queue.resting)
    assert not selectors.public_threads_of_muse(hale).exists()
    muse_page = client.get(hale.get_absolute_url()).content.decode()
    assert "Lantern" not in muse_page
    assert client.get(thread.get_absolute_url()).status_code == 404
    # …and the placeholder is not offered to alice anywhere she picks a muse.
    client.force_login(writer_a)
    offered = client.get(reverse("thread-new")).context["form"].fields["muse"].queryset
    assert list(offered) == [ivy]


def test_accepting_a_claim_makes_the_posts_theirs_and_keeps_the_turn_log_valid(
    django_capture_on_commit_callbacks, writer_a, writer_b, ivy, hale
):
    thread = _imported(writer_a, ivy, hale)
    claim = thread.invitations.get()
    placeholder = claim.claim_participant.muse
    participant_ids = set(thread.participants.values_list("pk", flat=True))
    # The placeholder cannot write, so it waits outside the posting order: hale's turn
    # (after ivy's last post) passed on, and nobody is asked to write as hale.
    assert claim.claim_participant.left_at is not None
    assert thread.next_participant.muse == ivy
    assert cached_turn_state(thread) == replayed_turn_state(thread)

    with django_capture_on_commit_callbacks(execute=True):
        participant = thread_services.invitation_accept(invitation=claim, writer=writer_b)

    thread.refresh_from_db()
    assert participant.pk == claim.claim_participant_id
    assert (participant.muse, participant.writer) == (hale, writer_b)
    post = thread.posts.get(number=2)
    assert (post.muse, post.author) == (hale, writer_b)
    assert TurnEvent.objects.get(participant=participant, kind="post").actor == writer_b
    # Same participants; the muse joined the order: the cached state still matches a replay.
    assert set(thread.participants.values_list("pk", flat=True)) == participant_ids
    assert participant.left_at is None
    assert cached_turn_state(thread) == replayed_turn_state(thread)
    assert thread.next_participant.muse == hale  # ivy posted last, so the newcomer answers
    # The placeholder had nothing else to hold, so it is gone.
    assert not Muse.objects.filter(pk=placeholder.pk).exists()
    state = ThreadWriterState.objects.get(thread=thread, writer=writer_b)
    assert state.last_read_number == 3
    claim.refresh_from_db()
    assert claim.status == InvitationStatus.ACCEPTED
    assert Notification.objects.filter(recipient=writer_a, kind=Kind.INVITATION_ANSWERED).exists()
    # Now it is bram's thread too, and it may go public.
    assert thread in [e.thread for e in selectors.writer_queue(writer_b).your_turn]
    thread_services.thread_update(
        thread=thread,
        actor=writer_a,
        title=thread.title,
        summary="",
        rating=thread.rating,
        warnings=[],
        tags=[],
        visibility=Visibility.PUBLIC,
        turn_mode=thread.turn_mode,
        status=thread.status,
    )
    assert selectors.public_threads_of_muse(hale).get() == thread


def _make_public(thread, actor):
    return thread_services.thread_update(
        thread=thread,
        actor=actor,
        title=thread.title,
        summary="",
        rating=thread.rating,
        warnings=[],
        tags=[],
        visibility=Visibility.PUBLIC,
        turn_mode=thread.turn_mode,
        status=thread.status,
    )


def test_thread_cannot_go_public_while_a_claim_is_pending(as_alice, writer_a, ivy, hale):
    thread = _imported(writer_a, ivy, hale)
    with pytest.raises(ValidationError, match="stays private until every imported muse"):
        _make_public(thread, writer_a)
    response = as_alice.post(
        reverse("thread-settings", args=[thread.public_id]),
        {
            "title": thread.title,
            "rating": thread.rating,
            "visibility": Visibility.UNLISTED,
            "turn_mode": thread.turn_mode,
            "status": thread.status,
        },
    )
    assert response.status_code == 200
    assert "waiting on bram" in response.content.decode()
    thread.refresh_from_db()
    assert thread.visibility == Visibility.PRIVATE


def test_declining_leaves_unclaimed_placeholder_posts(writer_a, writer_b, ivy, hale):
    thread = _imported(writer_a, ivy, hale)
    claim = thread.invitations.get()
    thread_services.invitation_decline(invitation=claim, writer=writer_b)

    post = thread.posts.get(number=2)
    assert post.muse.name == "Hale (unclaimed)" and post.muse.is_placeholder
    assert post.muse.owner == writer_a and post.author == writer_a
    assert not thread.posts.filter(muse=hale).exists()
    # Nothing waits any more, so the thread may go public — still without bram's name on it.
    _make_public(thread, writer_a)
    assert not selectors.public_threads_of_muse(hale).exists()


def test_declined_claim_label_on_the_thread_page(as_alice, writer_a, writer_b, ivy, hale):
    thread = _imported(writer_a, ivy, hale)
    thread_services.invitation_decline(invitation=thread.invitations.get(), writer=writer_b)
    page = as_alice.get(thread.get_absolute_url()).content.decode()
    assert "Hale (unclaimed)" in page and "Imported by alice, unclaimed" in page
    assert "awaiting bram" not in page


def test_withdrawing_a_claim_leaves_unclaimed_placeholder_posts(writer_a, writer_b, ivy, hale):
    thread = _imported(writer_a, ivy, hale)
    claim = thread_services.invitation_withdraw(invitation=thread.invitations.get(), actor=writer_a)
    assert claim.status == InvitationStatus.WITHDRAWN
    assert thread.posts.get(number=2).muse.name == "Hale (unclaimed)"
    with pytest.raises(ValidationError, match="already withdrawn"):
        thread_services.invitation_accept(invitation=claim, writer=writer_b)
    assert not thread.posts.filter(author=writer_b).exists()


def test_the_placeholder_cannot_post_or_be_brought_anywhere(
    writer_a, ivy, hale, make_thread, as_alice
):
    thread = _imported(writer_a, ivy, hale)
    placeholder = thread.invitations.get().claim_participant.muse
    thread.refresh_from_db()
    with pytest.raises(PermissionDenied, match="stands in for another writer's muse"):
        thread_services.post_create(
            thread=thread, writer=writer_a, muse=placeholder, body="forged words"
        )
    with pytest.raises(PermissionDenied, match="stands in"):
        thread_services.thread_create(owner=writer_a, muse=placeholder, title="Elsewhere")
    other = make_thread(writer_a, ivy)
    with pytest.raises(PermissionDenied, match="stands in"):
        thread_services.participant_add_muse(thread=other, writer=writer_a, muse=placeholder)
    # Its turn comes up (ivy posted last), yet alice's reply box never offers it.
    response = as_alice.get(thread.get_absolute_url())
    assert list(response.context["form"].fields["muse"].queryset) == [ivy]


def test_two_muses_of_one_writer_make_two_claims(writer_a, writer_b, ivy, hale, make_muse):
    wren = make_muse(writer_b, "Wren")
    posts = [
        services.ImportedPost(muse=ivy, body="one."),
        services.ImportedPost(muse=hale, body="two."),
        services.ImportedPost(muse=wren, body="three."),
    ]
    thread = services.thread_import(owner=writer_a, title="Three", posts=posts)
    claims = list(thread.invitations.order_by("pk"))
    assert [c.claim_muse for c in claims] == [hale, wren]
    for claim in claims:
        thread_services.invitation_accept(invitation=claim, writer=writer_b)
    thread.refresh_from_db()
    assert [p.muse for p in thread.posts.order_by("number")] == [ivy, hale, wren]
    assert cached_turn_state(thread) == replayed_turn_state(thread)


def test_trusted_import_puts_the_writers_own_muses_in_at_once(writer_a, writer_b, ivy, hale):
    thread = _imported(writer_a, ivy, hale, trust_owners=True)
    assert thread.posts.get(number=2).muse == hale
    assert not thread.invitations.exists()
    assert not Muse.objects.filter(is_placeholder=True).exists()


def test_an_import_names_at_most_twenty_muses(writer_a):
    specs = [services.MuseSpec.parse(f"muse{n}") for n in range(21)]
    with pytest.raises(ValidationError, match="at most 20 muses; this one names 21"):
        services.resolve_muses(writer_a, specs)
    assert not Muse.objects.filter(owner=writer_a).exists()


def test_the_web_form_refuses_more_than_twenty_muses(as_alice, ivy):
    response = as_alice.post(
        reverse("import-new"),
        {
            "title": "Crowd",
            "text": PASTE,
            "format": "auto",
            "muses": [ivy.pk],
            "other_muses": "\n".join(f"extra{n}" for n in range(21)),
        },
    )
    assert response.status_code == 200
    assert "at most 20 muses" in response.content.decode()
    assert not PendingImport.objects.exists()


# ---------------------------------------------------------------------------- the CLI

CLI_PASTE = """**ivy**

ivy counted the coins twice.

**hale**

hale pretended not to notice.
"""


@pytest.fixture
def paste_file(tmp_path):
    path = tmp_path / "coins.txt"
    path.write_text(CLI_PASTE, encoding="utf-8")
    return path


def test_cli_import_without_trust_makes_a_claim(
    transactional_db, paste_file, capsys, writer_a, writer_b, ivy, hale
):
    code = main(
        ["import", str(paste_file), "--owner", "alice", "--muse", "ivy", "--muse", "hale=bram"]
    )
    assert code == 0, capsys.readouterr().err
    assert "Waiting for bram" in capsys.readouterr().out
    thread = Thread.objects.get()
    assert not thread.posts.filter(author=writer_b).exists()
    assert thread.invitations.get().claim_muse == hale


def test_cli_import_without_trust_creates_nothing_in_another_account(
    transactional_db, paste_file, capsys, writer_a, writer_b, ivy
):
    code = main(
        ["import", str(paste_file), "--owner", "alice", "--muse", "ivy", "--muse", "hale=bram"]
    )
    assert code == 1
    assert "bram has no muse called “hale”" in capsys.readouterr().err
    assert not Muse.objects.filter(owner=writer_b).exists()
    assert not Thread.objects.exists()


def test_cli_import_with_trust_owners_skips_consent(
    transactional_db, paste_file, capsys, writer_a, writer_b, ivy
):
    code = main(
        ["import", str(paste_file), "--owner", "alice", "--muse", "ivy", "--muse", "hale=bram",
         "--trust-owners"]
    )  # fmt: skip
    assert code == 0, capsys.readouterr().err
    thread = Thread.objects.get()
    hale = Muse.objects.get(owner=writer_b, name="hale")  # created in bram's account
    assert thread.posts.get(number=2).muse == hale
    assert thread.posts.get(number=2).author == writer_b
    assert not Invitation.objects.exists()


def test_a_post_awaiting_its_claim_cannot_be_changed_until_answered(
    as_alice, writer_a, writer_b, ivy, hale
):
    thread = _imported(writer_a, ivy, hale)
    waiting = thread.posts.get(number=2)
    for change in (
        lambda: thread_services.post_edit(post=waiting, writer=writer_a, body="words for bram"),
        lambda: thread_services.post_delete(post=waiting, writer=writer_a),
    ):
        with pytest.raises(PermissionDenied, match="waits for its writer to accept"):
            change()
    page = as_alice.get(thread.get_absolute_url()).content.decode()
    assert reverse("post-edit", args=[thread.public_id, 2]) not in page
    assert reverse("post-edit", args=[thread.public_id, 1]) in page
    # Declined: the posts are the importer's unclaimed ones, to keep or change.
    thread_services.invitation_decline(invitation=thread.invitations.get(), writer=writer_b)
    waiting.refresh_from_db()
    edited = thread_services.post_edit(post=waiting, writer=writer_a, body="hale, unclaimed.")
    assert edited.body == "hale, unclaimed."
