"""Issue 9: leaving ends reading (item 2), removed means removed (item 3) and revisions are
for the thread's writers (item 8), in thread downloads, background jobs and backups.

Every check looks for a distinctive marker in the bytes a reader actually gets.
"""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from django.urls import reverse

from tandem.accounts.models import User
from tandem.exports.archive import PRIVATE_TITLE, dump_json, thread_to_json
from tandem.exports.backup import write_account_backup
from tandem.exports.models import ExportJob, ExportStatus
from tandem.exports.restore import restore
from tandem.exports.services import thread_export, thread_export_request
from tandem.exports.tasks import run_export
from tandem.threads import services
from tandem.threads.models import Thread
from tandem.threads.services import cached_turn_state, replayed_turn_state
from tests.exports.conftest import say
from tests.fast_hashing import FAST_HASHERS

pytestmark = pytest.mark.django_db

READING_FORMATS = ["md", "txt", "html", "archive", "epub"]


@pytest.fixture(autouse=True)
def _isolated(settings, tmp_path):
    settings.PASSWORD_HASHERS = FAST_HASHERS
    settings.MEDIA_ROOT = tmp_path / "media"


def backup_text(user: User) -> str:
    """Every file of ``user``'s backup zip, as one text to search."""
    buffer = io.BytesIO()
    write_account_backup(user, buffer)
    with zipfile.ZipFile(buffer) as archive:
        return "\n".join(archive.read(name).decode() for name in archive.namelist())


def backup_threads(user: User) -> list[dict]:
    buffer = io.BytesIO()
    write_account_backup(user, buffer)
    with zipfile.ZipFile(buffer) as archive:
        return [
            json.loads(archive.read(name))
            for name in archive.namelist()
            if name.startswith("threads/")
        ]


def epub_text(raw: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(raw)) as archive:
        return "\n".join(archive.read(name).decode(errors="replace") for name in archive.namelist())


def file_text(raw: bytes, fmt: str) -> str:
    return epub_text(raw) if fmt == "epub" else raw.decode()


def participant(thread: Thread, muse):
    return thread.participants.get(muse=muse)


@pytest.fixture
def left_story(make_thread, join, writer_a, writer_b, ivy, hale):
    """An unlisted thread bram (Hale) wrote in, then left; alice went on without him."""

    def build(visibility: str = "unlisted", removed_by_owner: bool = False) -> Thread:
        thread = make_thread(writer_a, ivy, title="Harbour lights", visibility=visibility)
        join(thread, hale)
        first = say(thread, ivy, "The ferry was late. MARKER-IVY-ORIGINAL")
        say(thread, hale, "Hale counted the gulls. MARKER-OWN-HALE")
        services.post_edit(
            post=first, writer=writer_a, body="The ferry was late. MARKER-EDIT-BEFORE"
        )
        services.ooc_post(thread=thread, writer=writer_b, body="Loving this! MARKER-OOC-BEFORE")
        actor = writer_a if removed_by_owner else writer_b
        services.participant_leave(participant=participant(thread, hale), actor=actor)
        # Everything below was written after bram left.
        say(thread, ivy, "Ivy walked on alone. MARKER-AFTER-LEAVE")
        services.post_edit(post=first, writer=writer_a, body="Rewritten. MARKER-EDIT-AFTER-LEAVE")
        services.ooc_post(thread=thread, writer=writer_a, body="Plotting MARKER-OOC-AFTER-LEAVE")
        thread.refresh_from_db()
        return thread

    return build


AFTER = ("MARKER-AFTER-LEAVE", "MARKER-EDIT-AFTER-LEAVE", "MARKER-OOC-AFTER-LEAVE")


# ---------------------------------------------------------------------------- item 2: backups


def test_a_former_participants_backup_keeps_the_thread_as_it_was_when_they_left(
    left_story, writer_a, writer_b
):
    thread = left_story("unlisted")
    text = backup_text(writer_b)
    for marker in AFTER:
        assert marker not in text
    # Their own post always; the rest as it stood then, OOC talk up to then.
    for marker in ("MARKER-OWN-HALE", "MARKER-EDIT-BEFORE", "MARKER-OOC-BEFORE"):
        assert marker in text
    # Revisions are for the thread's writers: other writers' posts come as they read then.
    assert "MARKER-IVY-ORIGINAL" not in text

    (document,) = backup_threads(writer_b)
    assert [post["number"] for post in document["posts"]] == [1, 2]
    ivy_post = document["posts"][0]
    assert ivy_post["body"] == "The ferry was late. MARKER-EDIT-BEFORE"
    assert [(r["number"], r["body"]) for r in ivy_post["revisions"]] == [(1, ivy_post["body"])]
    assert [e["kind"] for e in document["turn_events"]] == ["join", "join", "post", "post", "leave"]
    # The owner still gets everything.
    owners = backup_text(writer_a)
    assert all(marker in owners for marker in AFTER)
    assert thread.post_count == 3


def test_a_former_participants_cut_backup_restores(left_story, writer_b):
    left_story("unlisted")
    buffer = io.BytesIO()
    write_account_backup(writer_b, buffer)
    report = restore(
        buffer.getvalue(), actor=None, username_map={"alice": "alice_r", "bram": "bram_r"}
    )
    restored = Thread.objects.get(public_id=report.threads[0])
    assert restored.posts.count() == 2
    assert cached_turn_state(restored) == replayed_turn_state(restored)
    assert not restored.participants.filter(writer__username="bram_r", left_at=None).exists()


def test_a_removed_writers_backup_of_a_private_thread_keeps_only_their_own_posts(
    left_story, writer_a, writer_b
):
    thread = left_story("private", removed_by_owner=True)
    services.thread_update(
        thread=thread,
        actor=writer_a,
        title="MARKER-TITLE-AFTER-LEAVE",
        summary="MARKER-SUMMARY-AFTER-LEAVE",
        rating="teen",
        warnings=[],
        tags=["MARKER-TAG-AFTER-LEAVE"],
        visibility="private",
        turn_mode="ordered",
        status="active",
    )
    text = backup_text(writer_b)
    assert "MARKER-OWN-HALE" in text
    for marker in (
        *AFTER,
        "MARKER-IVY-ORIGINAL",
        "MARKER-EDIT-BEFORE",
        "MARKER-OOC-BEFORE",
        "MARKER-TITLE-AFTER-LEAVE",
        "MARKER-SUMMARY-AFTER-LEAVE",
        "MARKER-TAG-AFTER-LEAVE",
    ):
        assert marker not in text, marker
    (document,) = backup_threads(writer_b)
    assert document["thread"]["title"] == PRIVATE_TITLE
    assert "ooc" not in document
    assert [p["number"] for p in document["posts"]] == [1]
    assert [e["kind"] for e in document["turn_events"]] == ["join", "post", "remove"]

    buffer = io.BytesIO()
    write_account_backup(writer_b, buffer)
    report = restore(
        buffer.getvalue(), actor=None, username_map={"alice": "alice_r", "bram": "bram_r"}
    )
    restored = Thread.objects.get(public_id=report.threads[0])
    assert list(restored.posts.values_list("body", flat=True)) == [
        "Hale counted the gulls. MARKER-OWN-HALE"
    ]
    assert cached_turn_state(restored) == replayed_turn_state(restored)


def test_a_writer_with_a_muse_still_in_the_thread_has_not_left(
    left_story, make_muse, writer_b, join
):
    thread = left_story("private")
    quill = make_muse(writer_b, "Quill")
    join(thread, quill)  # bram is back, with another muse: a writer of the thread again
    text = backup_text(writer_b)
    assert "MARKER-AFTER-LEAVE" in text and "MARKER-OOC-AFTER-LEAVE" in text


def test_a_second_muse_leaving_later_sets_when_the_writer_left(
    make_thread, join, make_muse, writer_a, writer_b, ivy, hale
):
    thread = make_thread(writer_a, ivy, visibility="unlisted")
    join(thread, hale)
    quill = make_muse(writer_b, "Quill")
    services.participant_add_muse(thread=thread, writer=writer_b, muse=quill)
    services.participant_leave(participant=participant(thread, hale), actor=writer_b)
    say(thread, ivy, "While Quill stayed: MARKER-WHILE-QUILL")
    services.participant_leave(participant=participant(thread, quill), actor=writer_b)
    say(thread, ivy, "MARKER-AFTER-LEAVE")
    text = backup_text(writer_b)
    assert "MARKER-WHILE-QUILL" in text
    assert "MARKER-AFTER-LEAVE" not in text


# ---------------------------------------------------------------------------- item 2: downloads


def test_a_former_participant_downloads_no_ooc_and_no_revisions(client, left_story, writer_b):
    thread = left_story("unlisted")
    client.force_login(writer_b)
    response = client.post(
        reverse("thread-export", args=[thread.public_id]), {"format": "json", "include_ooc": "on"}
    )
    assert response.status_code == 200
    document = json.loads(response.content)
    assert "ooc" not in document
    text = response.content.decode()
    for marker in ("MARKER-OOC-BEFORE", "MARKER-OOC-AFTER-LEAVE", "MARKER-EDIT-BEFORE"):
        assert marker not in text
    # What any reader of an unlisted thread sees: each post's current text.
    assert [len(post["revisions"]) for post in document["posts"]] == [1, 1, 1]
    assert "MARKER-EDIT-AFTER-LEAVE" in text


def test_a_former_participant_cannot_download_a_private_thread(client, left_story, writer_b):
    thread = left_story("private")
    client.force_login(writer_b)
    response = client.post(reverse("thread-export", args=[thread.public_id]), {"format": "json"})
    assert response.status_code == 404


def test_a_job_queued_before_leaving_is_built_for_who_they_are_when_it_runs(
    settings, left_story, writer_a, writer_b, ivy, make_thread, join, hale
):
    settings.TANDEM_EXPORT_BACKGROUND_POSTS = 0
    for visibility in ("unlisted", "private"):
        thread = make_thread(writer_a, ivy, visibility=visibility)
        join(thread, hale)
        say(thread, ivy, "First.")
        services.ooc_post(thread=thread, writer=writer_a, body="MARKER-OOC-SECRET")
        thread.refresh_from_db()
        job = thread_export_request(thread=thread, reader=writer_b, fmt="json", include_ooc=True)
        assert isinstance(job, ExportJob) and job.include_ooc
        services.participant_leave(participant=participant(thread, hale), actor=writer_a)
        status = run_export.call(job.pk)
        job.refresh_from_db()
        if visibility == "private":
            assert status == ExportStatus.FAILED and "no longer read" in job.error
        else:
            assert status == ExportStatus.DONE
            path = settings.DATA_DIR / "exports" / job.file_path
            assert "MARKER-OOC-SECRET" not in path.read_text()


# ---------------------------------------------------------------------------- item 3: removed posts


@pytest.fixture
def removed_story(make_thread, join, writer_a, writer_b, ivy, hale):
    thread = make_thread(writer_a, ivy, visibility="public")
    join(thread, hale)
    say(thread, ivy, "Ivy opened the shop. MARKER-KEPT")
    post = say(thread, hale, "First draft MARKER-REMOVED-REVISION")
    services.post_edit(post=post, writer=writer_b, body="Regret it. MARKER-REMOVED-BODY")
    services.post_delete(post=post, writer=writer_b)
    say(thread, ivy, "Ivy carried on.")
    thread.refresh_from_db()
    return thread


REMOVED = ("MARKER-REMOVED-BODY", "MARKER-REMOVED-REVISION")


@pytest.mark.parametrize("fmt", [*READING_FORMATS, "json"])
def test_removed_posts_are_in_no_download(client, removed_story, writer_a, writer_b, fmt):
    url = reverse("thread-export", args=[removed_story.public_id])
    for reader in (None, writer_a, writer_b):  # anonymous, another writer, the author
        client.logout()
        if reader is not None:
            client.force_login(reader)
        response = client.post(url, {"format": fmt, "include_ooc": "on"})
        assert response.status_code == 200
        text = file_text(response.content, fmt)
        assert "MARKER-KEPT" in text
        for marker in REMOVED:
            assert marker not in text, (reader, fmt)
    operator = thread_export(removed_story, fmt).content
    assert not any(marker in file_text(operator, fmt) for marker in REMOVED)


def test_a_removed_post_keeps_its_place_in_thread_json(removed_story):
    document = thread_to_json(removed_story)
    removed = document["posts"][1]
    assert [post["number"] for post in document["posts"]] == [1, 2, 3]
    assert removed["deleted_at"] is not None
    assert (removed["body"], removed["revisions"], removed["word_count"]) == ("", [], 0)


def test_only_the_authors_backup_keeps_a_removed_post(removed_story, writer_a, writer_b):
    others = backup_text(writer_a)
    assert "MARKER-KEPT" in others
    assert not any(marker in others for marker in REMOVED)
    own = backup_text(writer_b)
    assert all(marker in own for marker in REMOVED)


def test_round_trip_without_removed_posts_is_byte_identical(
    make_thread, join, writer_a, writer_b, ivy, hale
):
    thread = make_thread(writer_a, ivy, visibility="public")
    join(thread, hale)
    post = say(thread, ivy, "One.")
    say(thread, hale, "Two.")
    services.post_edit(post=post, writer=writer_a, body="One, again.")
    thread.refresh_from_db()
    before = dump_json(thread_to_json(thread, exported_at=None) | {"exported_at": "x"})
    report = restore(
        dump_json(thread_to_json(thread)),
        actor=None,
        username_map={"alice": "alice_r", "bram": "bram_r"},
    )
    copy = Thread.objects.get(public_id=report.threads[0])
    after = dump_json(thread_to_json(copy) | {"exported_at": "x"}).decode()
    after = after.replace('"alice_r"', '"alice"').replace('"bram_r"', '"bram"')
    after = after.replace(copy.public_id, thread.public_id)
    assert after.encode() == before


# ---------------------------------------------------------------------------- item 8: revisions


def test_thread_json_for_a_reader_who_is_not_a_writer_has_only_the_current_text(
    client, make_thread, join, writer_a, ivy, hale
):
    thread = make_thread(writer_a, ivy, visibility="public")
    join(thread, hale)
    post = say(thread, ivy, "MARKER-OLD-REVISION")
    services.post_edit(post=post, writer=writer_a, body="The current text.")
    response = client.post(reverse("thread-export", args=[thread.public_id]), {"format": "json"})
    text = response.content.decode()
    assert "MARKER-OLD-REVISION" not in text
    revisions = json.loads(text)["posts"][0]["revisions"]
    assert [(r["number"], r["body"]) for r in revisions] == [(1, "The current text.")]
    client.force_login(writer_a)
    mine = client.post(reverse("thread-export", args=[thread.public_id]), {"format": "json"})
    assert "MARKER-OLD-REVISION" in mine.content.decode()
