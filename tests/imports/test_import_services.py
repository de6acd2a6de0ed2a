"""Creating threads from pasted text: the services the web page, the worker and the CLI share."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from tandem.imports import services
from tandem.imports.models import ImportStatus, PendingImport
from tandem.imports.tasks import run_import
from tandem.notifications.models import Notification
from tandem.threads.models import TurnEvent, Visibility
from tandem.threads.services import cached_turn_state, replayed_turn_state

THREE_POSTS = """Ivy pushed the door of the bakery open with her shoulder & shook the snow from her
scarf. She had promised herself she would not come back here.

❛ we're closed, ❜ she said anyway, to nobody.

---

Hale looked up from the ovens, flour to the elbows. He did not smile, but he set a second cup
on the counter all the same.

---

Ivy took the cup. She drank it too fast and burnt her tongue, which served her right.
"""


@pytest.fixture
def paste():
    return THREE_POSTS.encode()


def test_thread_import_keeps_order_dates_and_a_consistent_turn(writer_a, ivy, hale):
    dated = datetime(2019, 3, 4, 18, 22, tzinfo=UTC)
    posts = [
        services.ImportedPost(muse=ivy, body="ivy speaks first.", created_at=dated),
        services.ImportedPost(muse=hale, body="hale answers."),
        services.ImportedPost(muse=ivy, body="ivy again, **bold**."),
    ]
    # Trusted (the admin's --trust-owners): bram's Hale goes in as itself, no claim.
    thread = services.thread_import(
        owner=writer_a, title=" Bakery ", posts=posts, muses=[ivy, hale], trust_owners=True
    )

    assert thread.title == "Bakery"
    assert thread.visibility == Visibility.PRIVATE
    assert thread.owner == writer_a
    stored = list(thread.posts.order_by("number"))
    assert [p.muse for p in stored] == [ivy, hale, ivy]
    assert [p.author_id for p in stored] == [ivy.owner_id, hale.owner_id, ivy.owner_id]
    assert stored[0].created_at == dated
    # Undated posts follow the dated one, in order.
    assert stored[0].created_at < stored[1].created_at < stored[2].created_at
    assert "<strong>bold</strong>" in stored[2].body_html
    assert all(p.revisions.count() == 1 for p in stored)
    thread.refresh_from_db()
    assert thread.created_at == dated
    assert thread.post_count == 3
    assert cached_turn_state(thread) == replayed_turn_state(thread)
    # Ivy posted last, so it is Hale's turn.
    assert thread.next_participant.muse == hale
    assert TurnEvent.objects.filter(thread=thread, kind="post").count() == 3
    # History announces nothing: nobody is notified of posts written long ago.
    assert not Notification.objects.exists()
    # The writers have read their own history.
    assert set(thread.writer_states.values_list("last_read_number", flat=True)) == {3}


def test_thread_import_refuses_an_overlong_post_by_number(writer_a, ivy, settings):
    settings.TANDEM_POST_MAX_CHARS = 50
    posts = [
        services.ImportedPost(muse=ivy, body="short."),
        services.ImportedPost(muse=ivy, body="x" * 60),
    ]
    with pytest.raises(ValidationError, match="Post 2"):
        services.thread_import(owner=writer_a, title="Too long", posts=posts)
    assert not writer_a.owned_threads.exists()


def test_resolve_muses_by_name_nickname_and_case(writer_a, writer_b, ivy, hale):
    ivy.nicknames = "ives, Marsh"
    ivy.save()
    found = services.resolve_muses(
        writer_a,
        [services.MuseSpec.parse("MARSH"), services.MuseSpec.parse("hale=Bram")],
    )
    assert found == [ivy, hale]


def test_resolve_muses_creates_only_the_importers_own_on_the_web(writer_a, writer_b):
    [new] = services.resolve_muses(writer_a, [services.MuseSpec.parse("corwin")])
    assert new.owner == writer_a and new.name == "corwin"
    with pytest.raises(ValidationError, match="bram has no muse called “wren”"):
        services.resolve_muses(writer_a, [services.MuseSpec.parse("wren=bram")])
    [created] = services.resolve_muses(
        writer_a, [services.MuseSpec.parse("wren=bram")], may_create_for_others=True
    )
    assert created.owner == writer_b
    with pytest.raises(ValidationError, match="no writer called “nobody”"):
        services.resolve_muses(writer_a, [services.MuseSpec.parse("x=nobody")])


def test_muse_spec_needs_a_name():
    with pytest.raises(ValidationError, match="names no muse"):
        services.MuseSpec.parse(" =alice")


def test_propose_review_and_import(writer_a, ivy, hale, paste):
    pending = services.import_propose(owner=writer_a, title="Snow", data=paste, muses=[ivy, hale])
    assert [p["muse"] for p in pending.posts] == [ivy.pk, hale.pk, ivy.pk]
    assert pending.posts[0]["split_reason"] == "start"

    # The writer reassigns the last post, merges the second into the first, then moves on.
    edits = [{"muse": p["muse"], "text": p["text"]} for p in pending.posts]
    edits[2]["muse"] = hale.pk
    services.import_revise(pending=pending, actor=writer_a, edits=edits, action="merge:1")
    pending.refresh_from_db()
    assert len(pending.posts) == 2
    assert "Hale looked up" in pending.posts[0]["text"]
    assert pending.posts[1]["muse"] == hale.pk and pending.posts[1]["confidence"] == 1.0

    pending = services.import_start(pending=pending, actor=writer_a)
    assert pending.status == ImportStatus.DONE
    thread = pending.thread
    # Bram's Hale is not put in without bram: alice's placeholder holds post 2 meanwhile.
    first, second = thread.posts.order_by("number")
    assert first.muse == ivy
    assert second.muse.is_placeholder and second.muse.name == "Hale"
    assert second.muse.owner == writer_a and second.author == writer_a
    assert thread.invitations.get().claim_muse == hale
    assert "Hale looked up" in thread.posts.get(number=1).body


def test_revise_refuses_a_stranger_and_a_foreign_muse(writer_a, writer_b, ivy, hale, paste):
    pending = services.import_propose(owner=writer_a, title="Snow", data=paste, muses=[ivy])
    with pytest.raises(PermissionDenied, match="not yours"):
        services.import_revise(pending=pending, actor=writer_b, action="up:1")
    edits = [{"muse": hale.pk} for _ in pending.posts]
    with pytest.raises(ValidationError, match="thread’s muses"):
        services.import_revise(pending=pending, actor=writer_a, edits=edits)
    with pytest.raises(ValidationError, match="nothing before it"):
        services.import_revise(pending=pending, actor=writer_a, action="merge:0")


def test_start_refuses_posts_without_a_muse(writer_a, ivy, paste):
    pending = services.import_propose(owner=writer_a, title="Snow", data=paste, muses=[ivy])
    edits = [{"muse": None} for _ in pending.posts]
    services.import_revise(pending=pending, actor=writer_a, edits=edits)
    with pytest.raises(ValidationError, match=r"post\(s\) 1, 2, 3"):
        services.import_start(pending=pending, actor=writer_a)
    pending.refresh_from_db()
    assert pending.status == ImportStatus.REVIEWING


def test_a_large_import_runs_on_the_worker_with_progress(writer_a, ivy, hale, paste, settings):
    settings.TANDEM_IMPORT_BACKGROUND_POSTS = 2
    pending = services.import_propose(owner=writer_a, title="Snow", data=paste, muses=[ivy, hale])
    pending = services.import_start(pending=pending, actor=writer_a)
    assert pending.status == ImportStatus.QUEUED
    assert not writer_a.owned_threads.exists()

    assert run_import.call(pending.pk) == ImportStatus.DONE
    pending.refresh_from_db()
    assert (pending.done, pending.total) == (3, 3)
    assert pending.thread.post_count == 3
    # A second delivery of the same task finds the work taken.
    assert run_import.call(pending.pk) == "already taken"
    assert writer_a.owned_threads.count() == 1


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"   \n\n  ", "empty"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "binary"),
        (b"caf\xe9 \x81\x8d", "not valid UTF-8"),
    ],
)
def test_bad_files_are_refused_with_a_reason(writer_a, ivy, data, message):
    with pytest.raises(ValidationError, match=message):
        services.import_propose(owner=writer_a, title="Bad", data=data, muses=[ivy])
    assert not PendingImport.objects.exists()


def test_html_is_sanitised_like_posts(writer_a, ivy):
    html = (
        b"<html><body><p>ivy laughed.</p><script>alert(1)</script>"
        b"<p onclick='x()'>she <b>ran</b>.</p></body></html>"
    )
    pending = services.import_propose(
        owner=writer_a, title="Html", data=html, muses=[ivy], filename="thread.html"
    )
    text = "\n".join(p["text"] for p in pending.posts)
    assert "alert" not in text and "onclick" not in text
    assert "**ran**" in text
    pending = services.import_start(pending=pending, actor=writer_a)
    body_html = pending.thread.posts.get(number=1).body_html
    assert "<script" not in body_html and "<strong>ran</strong>" in body_html
