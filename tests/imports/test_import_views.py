"""The import pages: paste or upload, check the proposal, correct it, import."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tandem.imports.models import ImportStatus, PendingImport

PASTE = """ivy set the lantern down between them & waited for him to say something first.

---

hale said nothing for a long while. then he reached for the lantern and turned it down.

---

ivy laughed, low, and let the dark settle.
"""


def _propose(client, ivy, hale, **extra):
    data = {
        "title": "Lantern",
        "text": PASTE,
        "format": "auto",
        "muses": [ivy.pk],
        "other_muses": f"{hale.name}={hale.owner.username}",
        **extra,
    }
    return client.post(reverse("import-new"), data)


def test_the_import_page_needs_a_login(client):
    response = client.get(reverse("import-new"))
    assert response.status_code == 302 and "/login" in response["Location"]


def test_paste_propose_review_import(as_alice, writer_a, ivy, hale):
    page = as_alice.get(reverse("import-new"))
    assert page.status_code == 200
    assert b"Paste the thread" in page.content

    response = _propose(as_alice, ivy, hale)
    pending = PendingImport.objects.get()
    assert response.status_code == 302 and response["Location"] == pending.get_absolute_url()

    review = as_alice.get(pending.get_absolute_url())
    assert review.status_code == 200
    assert review.content.count(b'class="card import-post') == 3
    assert b"Hale (bram)" in review.content

    form = {f"text-{i}": p["text"] for i, p in enumerate(pending.posts)}
    form.update({f"muse-{i}": p["muse"] for i, p in enumerate(pending.posts)})
    form["muse-2"] = hale.pk  # the writer corrects the last attribution
    response = as_alice.post(
        pending.get_absolute_url(), {**form, "title": "Lantern", "action": "import"}
    )
    pending.refresh_from_db()
    assert pending.status == ImportStatus.DONE
    assert response.status_code == 302 and response["Location"] == pending.thread.get_absolute_url()
    # Hale is bram's: his posts wait for bram under alice's placeholder (a claim).
    posts = list(pending.thread.posts.order_by("number"))
    assert posts[0].muse == ivy
    assert [p.muse.name for p in posts[1:]] == ["Hale", "Hale"]
    assert all(p.muse.is_placeholder and p.author == writer_a for p in posts[1:])
    assert pending.thread.invitations.get().claim_muse == hale


def test_htmx_actions_return_the_proposal_fragment(as_alice, ivy, hale):
    _propose(as_alice, ivy, hale)
    pending = PendingImport.objects.get()
    response = as_alice.post(
        pending.get_absolute_url(), {"action": "merge:2"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert response.content.lstrip().startswith(b'<form method="post" id="proposal"')
    assert b"<html" not in response.content
    # The page head's count is swapped in beside the form, out of band.
    assert b'<span id="proposed-count" hx-swap-oob="true">2 posts</span>' in response.content
    pending.refresh_from_db()
    assert len(pending.posts) == 2

    # Split the merged post back before its second paragraph.
    response = as_alice.post(
        pending.get_absolute_url(),
        {"action": "split:1", "split-at-1": "1"},
        HTTP_HX_REQUEST="true",
    )
    pending.refresh_from_db()
    assert len(pending.posts) == 3
    assert pending.posts[2]["text"].startswith("ivy laughed")
    assert b'<span id="proposed-count" hx-swap-oob="true">3 posts</span>' in response.content
    # A whole page has the count without the out-of-band mark.
    page = as_alice.get(pending.get_absolute_url()).content
    assert b'<span id="proposed-count">3 posts</span>' in page


def test_a_bad_action_is_a_message_not_an_error(as_alice, ivy, hale):
    _propose(as_alice, ivy, hale)
    pending = PendingImport.objects.get()
    response = as_alice.post(pending.get_absolute_url(), {"action": "split:0:99"})
    assert response.status_code == 200
    assert "cannot be split there" in response.content.decode()
    response = as_alice.post(pending.get_absolute_url(), {"action": "explode"})
    assert "not understood" in response.content.decode()
    response = as_alice.post(pending.get_absolute_url(), {"muse-0": "abc"})
    assert "thread’s muses" in response.content.decode()


def test_other_writers_imports_are_hidden(as_bram, writer_a, ivy):
    pending = PendingImport.objects.create(owner=writer_a, title="x", muses=[], posts=[])
    assert as_bram.get(pending.get_absolute_url()).status_code == 404
    assert as_bram.post(reverse("import-discard", args=[pending.pk])).status_code == 404


def test_discard_creates_nothing(as_alice, ivy, hale):
    _propose(as_alice, ivy, hale)
    pending = PendingImport.objects.get()
    response = as_alice.post(reverse("import-discard", args=[pending.pk]))
    assert response.status_code == 302
    assert not PendingImport.objects.exists()
    assert not ivy.owner.owned_threads.exists()


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (SimpleUploadedFile("empty.txt", b""), "empty"),
        (SimpleUploadedFile("photo.txt", b"%PDF-1.7\n" + bytes(range(256)) * 4), "PDF"),
        (SimpleUploadedFile("odd.txt", b"caf\xe9 \x81 \x8d"), "not valid UTF-8"),
    ],
)
def test_bad_uploads_get_a_clear_message(as_alice, ivy, upload, message):
    response = as_alice.post(
        reverse("import-new"),
        {"title": "Bad", "text": "", "format": "auto", "muses": [ivy.pk], "file": upload},
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not PendingImport.objects.exists()


def test_a_50_mb_upload_is_refused_with_its_size(as_alice, ivy):
    """Issue 9: over the 12 MB request limit the body is not read at all (413)."""
    big = SimpleUploadedFile("big.txt", b"a" * (50 * 1024 * 1024))
    response = as_alice.post(
        reverse("import-new"),
        {"title": "Big", "text": "", "format": "auto", "muses": [ivy.pk], "file": big},
    )
    assert response.status_code == 413
    assert "50.0 MB" in response.content.decode()
    assert "Imports may be at most 10 MB" in response.content.decode()
    assert not PendingImport.objects.exists()


def test_form_needs_text_and_a_muse(as_alice, ivy):
    response = as_alice.post(reverse("import-new"), {"title": "x", "text": "", "format": "auto"})
    body = response.content.decode()
    assert "Paste the thread or choose a file." in body
    assert "Name at least one muse" in body


def test_queued_import_shows_progress(as_alice, ivy, hale, settings):
    settings.TANDEM_IMPORT_BACKGROUND_POSTS = 1
    _propose(as_alice, ivy, hale)
    pending = PendingImport.objects.get()
    as_alice.post(pending.get_absolute_url(), {"action": "import"})
    pending.refresh_from_db()
    assert pending.status == ImportStatus.QUEUED
    page = as_alice.get(pending.get_absolute_url())
    assert b"<progress" in page.content and b"Waiting for the background worker" in page.content
    fragment = as_alice.get(reverse("import-progress", args=[pending.pk]), HTTP_HX_REQUEST="true")
    assert b'hx-trigger="every 1s"' in fragment.content


def test_a_post_over_the_limit_is_named_and_the_review_kept(as_alice, ivy, hale, settings):
    _propose(as_alice, ivy, hale)
    settings.TANDEM_POST_MAX_CHARS = 60
    pending = PendingImport.objects.get()
    response = as_alice.post(pending.get_absolute_url(), {"action": "import"}, follow=True)
    assert "Post 1: This post is" in response.content.decode()  # shown on the review
    pending.refresh_from_db()
    assert pending.status == ImportStatus.FAILED and pending.thread is None
    assert not ivy.owner.owned_threads.exists()
    # The writer shortens the post and imports again.
    settings.TANDEM_POST_MAX_CHARS = 100_000
    response = as_alice.post(pending.get_absolute_url(), {"action": "import"})
    pending.refresh_from_db()
    assert pending.status == ImportStatus.DONE and pending.error == ""


def test_one_line_paragraphs_can_be_split_apart_in_the_review(as_alice, ivy, hale):
    """A paste whose paragraphs are one line each (a single line break between them) offers
    each paragraph as a split point, as the reading page will show them."""
    first = (
        "ivy set the lantern down between them & waited for him to say something first, "
        "because she was done going first."
    )
    second = (
        "hale said nothing for a long while. then he reached for the lantern and turned it "
        "down until only a bead of flame was left."
    )
    _propose(as_alice, ivy, hale, text=f"{first}\n{second}", format="auto")
    pending = PendingImport.objects.get()
    merged = "\n".join(post["text"] for post in pending.posts)
    pending.posts = [{**pending.posts[0], "text": merged}]
    pending.save()
    page = as_alice.get(pending.get_absolute_url()).content.decode()
    assert "¶2: hale said nothing for a long while. then…" in page
    as_alice.post(pending.get_absolute_url(), {"action": "split:0", "split-at-0": "1"})
    pending.refresh_from_db()
    assert [post["text"] for post in pending.posts] == [first, second]
