"""The review can repair any proposal: cut before any paragraph or line, reassign a run of
posts at once, and add a muse without starting over."""

from __future__ import annotations

import pytest
from django.test import Client

from tandem.imports import review
from tandem.imports.models import PendingImport
from tests.imports.test_import_views import _propose

pytestmark = pytest.mark.django_db

LONG_A = (
    "ivy set the lantern down between them & waited for him to say something first, because "
    "she was done going first."
)
MESSAGES = "hale: you there?\nhale: ivy.\nhale: the lantern's out again"
LONG_B = (
    "Hale put the phone away and stood in the dark of the shop for a while, listening to the "
    "rain find its way in through the skylight."
)
TEXT = f"{LONG_A}\n{MESSAGES}\n\n{LONG_B}"


def test_split_points_are_every_paragraph_and_every_line_inside_one():
    points = review.split_points(TEXT)
    labels = [(p.paragraph, p.line, p.opening) for p in points]
    assert labels == [
        (2, 1, "hale: you there?"),
        (2, 2, "hale: ivy."),
        (2, 3, "hale: the lantern's out again"),
        (3, 1, " ".join(LONG_B.split()[:8])),
    ]


def test_a_cut_before_a_line_keeps_the_text_as_written():
    posts = [{"text": TEXT, "muse": 1, "confidence": 0.9, "split_reason": "pov"}]
    cut = review.split_before_line(posts, 0, 2)  # before "hale: ivy."
    assert [p["text"] for p in cut] == [f"{LONG_A}\nhale: you there?", TEXT.split("\n", 2)[2]]
    assert cut[1]["split_reason"] == "writer" and cut[1]["muse"] == 1
    assert "".join(p["text"] for p in cut).replace("\n", "") == TEXT.replace("\n", "")
    with pytest.raises(review.ReviewError):
        review.split_before_line(posts, 0, 0)  # the start is no cut
    with pytest.raises(review.ReviewError):
        review.split_before_line(posts, 0, 99)


def _pending(as_alice, ivy, hale) -> PendingImport:
    _propose(as_alice, ivy, hale)
    return PendingImport.objects.get()


def _ids(pending: PendingImport) -> dict[str, int]:
    return {m["name"]: m["id"] for m in pending.muses}


def test_reassign_a_run_of_posts_at_once(as_alice, ivy, hale):
    pending = _pending(as_alice, ivy, hale)
    page = as_alice.post(
        pending.get_absolute_url(),
        {"action": "assign", "assign-from": "1", "assign-to": "2", "assign-muse": hale.pk},
    )
    assert page.status_code == 200
    pending.refresh_from_db()
    assert [p["muse"] for p in pending.posts][:2] == [hale.pk, hale.pk]
    assert all(p["confidence"] == 1.0 for p in pending.posts[:2])


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"assign-from": "1", "assign-to": "9"}, "There is no post 9"),
        ({"assign-from": "", "assign-to": "2"}, "Give the numbers"),
        ({"assign-from": "one", "assign-to": "2"}, "Give the numbers"),
        ({"assign-from": "1", "assign-to": "2", "assign-muse": "999999"}, "Choose one of"),
        ({"assign-from": "1", "assign-to": "2", "assign-muse": "x"}, "Choose one of"),
    ],
)
def test_a_bad_reassignment_is_a_message(as_alice, ivy, hale, fields, message):
    pending = _pending(as_alice, ivy, hale)
    before = [p["muse"] for p in pending.posts]
    data = {"action": "assign", "assign-muse": str(hale.pk), **fields}
    page = as_alice.post(pending.get_absolute_url(), data)
    assert page.status_code == 200 and message in page.content.decode()
    pending.refresh_from_db()
    assert [p["muse"] for p in pending.posts] == before


def test_add_own_new_muse_and_a_partners_existing_one(as_alice, ivy, hale, make_writer, make_muse):
    pending = _pending(as_alice, ivy, hale)
    cass = make_writer("cass")
    make_muse(cass, "Oriel")
    url = pending.get_absolute_url()
    as_alice.post(url, {"action": "add-muse", "new-muse-name": "Wren", "new-muse-writer": ""})
    as_alice.post(url, {"action": "add-muse", "new-muse-name": "oriel", "new-muse-writer": "cass"})
    pending.refresh_from_db()
    assert [(m["name"], m["writer"]) for m in pending.muses][-2:] == [
        ("Wren", "alice"),
        ("Oriel", "cass"),
    ]
    page = as_alice.get(url).content.decode()
    assert "Wren (alice)" in page and "Oriel (cass)" in page
    # ... and posts can go to them straight away.
    as_alice.post(
        url,
        {
            "action": "assign",
            "assign-from": "3",
            "assign-to": "3",
            "assign-muse": _ids(pending)["Oriel"],
        },
    )
    pending.refresh_from_db()
    assert pending.posts[2]["muse"] == _ids(pending)["Oriel"]


@pytest.mark.parametrize(
    ("name", "writer", "message"),
    [
        ("", "", "Give the muse’s name."),
        ("Ivy", "", "is in this import already"),
        ("Nobody", "cass", "There is no writer called “cass”"),
        ("Ghost", "bram", "bram has no muse called “Ghost”"),
    ],
)
def test_adding_a_muse_that_cannot_be_added_is_a_message(
    as_alice, ivy, hale, name, writer, message
):
    pending = _pending(as_alice, ivy, hale)
    before = list(pending.muses)
    page = as_alice.post(
        pending.get_absolute_url(),
        {"action": "add-muse", "new-muse-name": name, "new-muse-writer": writer},
    )
    assert page.status_code == 200 and message in page.content.decode()
    pending.refresh_from_db()
    assert pending.muses == before


def test_another_writers_import_cannot_be_changed(as_alice, ivy, hale, writer_b):
    pending = _pending(as_alice, ivy, hale)
    bram = Client()
    bram.force_login(writer_b)
    response = bram.post(pending.get_absolute_url(), {"action": "add-muse", "new-muse-name": "Spy"})
    assert response.status_code == 404
    pending.refresh_from_db()
    assert all(m["name"] != "Spy" for m in pending.muses)
