"""Drafts never go backwards: each save carries the composer's revision stamp, and a save
older than the draft held is refused (409 on the autosave endpoint) instead of replacing it."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from tandem.threads import services
from tandem.writing.models import Draft
from tandem.writing.services import DraftConflict, draft_save

pytestmark = pytest.mark.django_db

FULL = "Ivy set the last cup upside down on the rack and listened to the rain."


def autosave(client, thread, body: str, revision=None, **extra):
    data = {"body": body, **extra}
    if revision is not None:
        data["revision"] = str(revision)
    return client.post(reverse("composer-draft", args=[thread.public_id]), data)


def test_an_older_save_arriving_late_does_not_replace_the_newer_draft(writer_a, coffee_cart):
    draft_save(writer=writer_a, thread=coffee_cart, body=FULL, revision=1_700_000_005_000)
    with pytest.raises(DraftConflict) as refused:
        draft_save(writer=writer_a, thread=coffee_cart, body="I", revision=1_700_000_000_100)
    assert refused.value.held == 1_700_000_005_000
    draft = Draft.objects.get(writer=writer_a, thread=coffee_cart)
    assert (draft.body, draft.revision) == (FULL, 1_700_000_005_000)


def test_newer_and_same_revisions_are_saved(writer_a, coffee_cart):
    draft_save(writer=writer_a, thread=coffee_cart, body="Iv", revision=10)
    draft_save(writer=writer_a, thread=coffee_cart, body="Ivy", revision=11)
    again = draft_save(writer=writer_a, thread=coffee_cart, body="Ivy", revision=11)  # resent
    assert (again.body, again.revision) == ("Ivy", 11)


def test_a_save_without_a_revision_counts_as_the_newest(writer_a, coffee_cart):
    """Pages from before revisions (and other callers) still save, and get a stamp above
    the one held, so a late stamped save cannot undo them either."""
    held = 9_000_000_000_000  # a device whose clock runs ahead
    draft_save(writer=writer_a, thread=coffee_cart, body="stamped", revision=held)
    plain = draft_save(writer=writer_a, thread=coffee_cart, body="unstamped")
    assert plain.body == "unstamped" and plain.revision > held


def test_a_late_save_of_the_posted_text_does_not_delete_a_newer_draft(writer_a, coffee_cart, ivy):
    services.post_create(thread=coffee_cart, writer=writer_a, muse=ivy, body="the opening line")
    draft_save(writer=writer_a, thread=coffee_cart, body="the next reply", revision=20)
    with pytest.raises(DraftConflict):
        draft_save(writer=writer_a, thread=coffee_cart, body="the opening line", revision=15)
    assert Draft.objects.get(writer=writer_a, thread=coffee_cart).body == "the next reply"


def test_the_autosave_endpoint_answers_409_with_the_revision_it_holds(as_alice, coffee_cart):
    ok = autosave(as_alice, coffee_cart, FULL, revision=500)
    assert ok.status_code == 200
    assert ok.json()["revision"] == 500
    late = autosave(as_alice, coffee_cart, "I", revision=400)
    assert late.status_code == 409
    assert late.json()["revision"] == 500
    assert "newer" in late.json()["error"]
    assert Draft.objects.get().body == FULL


@pytest.mark.parametrize("revision", ["abc", "-4", "1.5", "²", str(2**63)])
def test_a_malformed_revision_is_a_400_not_a_500(as_alice, coffee_cart, revision):
    response = autosave(as_alice, coffee_cart, FULL, revision=revision)
    assert response.status_code == 400
    assert response.json()["error"]
    assert not Draft.objects.exists()


def test_the_page_carries_the_draft_and_its_revision(as_alice, writer_a, coffee_cart):
    draft_save(writer=writer_a, thread=coffee_cart, body=FULL, revision=1_234_567)
    page = as_alice.get(reverse("thread-detail", args=[coffee_cart.public_id])).content.decode()
    assert re.search(r'data-draft-revision="1234567"', page)
    assert "upside down on the rack" in page


def test_the_autosave_endpoint_answers_the_draft_it_holds_now(as_alice, writer_a, coffee_cart):
    url = reverse("composer-draft", args=[coffee_cart.public_id])
    assert as_alice.get(url).json() == {"body": "", "revision": 0}
    draft_save(writer=writer_a, thread=coffee_cart, body=FULL, revision=777)
    assert as_alice.get(url).json() == {"body": FULL, "revision": 777}


def test_only_the_writer_reads_their_own_draft(client, writer_a, make_writer, coffee_cart):
    draft_save(writer=writer_a, thread=coffee_cart, body=FULL, revision=5)
    url = reverse("composer-draft", args=[coffee_cart.public_id])
    assert client.get(url).status_code == 302  # to the log-in page
    client.force_login(make_writer("outsider"))
    answer = client.get(url)
    assert answer.status_code in (403, 404)
    assert FULL not in answer.content.decode()
