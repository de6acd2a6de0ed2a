"""Muses from Tupperbox, PluralKit and character cards, and cards out again, over the web."""

from __future__ import annotations

import json

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tandem.muses.character_files import read_card_png
from tandem.muses.models import Muse
from tests.muses.test_character_files import (
    PLURALKIT,
    TUPPERS,
    V3_CARD,
    as_bytes,
    plain_png,
    text_chunk,
    with_chunks,
)


def _upload(client, name: str, data: bytes):
    return client.post(reverse("muse-import"), {"file": SimpleUploadedFile(name, data)})


def test_tupperbox_export_becomes_muses(as_alice, writer_a):
    response = _upload(as_alice, "tuppers.json", as_bytes(TUPPERS))
    assert response.status_code == 302
    muses = Muse.objects.filter(owner=writer_a)
    assert muses.count() == len([t for t in TUPPERS["tuppers"] if t.get("name")])
    assert all(not m.avatar for m in muses)  # avatar URLs are never fetched


def test_pluralkit_export_keeps_colour_and_pronouns(as_alice, writer_a):
    _upload(as_alice, "system.json", as_bytes(PLURALKIT))
    member = PLURALKIT["members"][0]
    muse = Muse.objects.get(owner=writer_a, name=member["display_name"])
    assert muse.accent_colour == "#" + member["color"].lower()
    assert muse.pronouns == member["pronouns"]
    assert member["name"] in muse.nickname_list
    assert Muse.objects.filter(owner=writer_a).count() == len(PLURALKIT["members"])


def test_png_card_brings_its_picture_and_round_trips_its_extensions(as_alice, writer_a):
    png = with_chunks(plain_png(size=(64, 80)), text_chunk("ccv3", V3_CARD))
    assert _upload(as_alice, "ivy.png", png).status_code == 302
    muse = Muse.objects.get(owner=writer_a)
    assert muse.name == "Ivy" and "Ives" in muse.nickname_list
    assert muse.avatar

    v3 = as_alice.get(reverse("muse-card", args=[muse.pk, "v3", "json"]))
    assert v3["Content-Disposition"] == 'attachment; filename="ivy.v3.json"'
    card = json.loads(v3.content)
    assert card["spec"] == "chara_card_v3"
    for key, value in V3_CARD["data"]["extensions"].items():
        assert card["data"]["extensions"][key] == value
    v2 = json.loads(as_alice.get(reverse("muse-card", args=[muse.pk, "v2", "json"])).content)
    assert v2["spec"] == "chara_card_v2" and v2["data"]["name"] == "Ivy"

    picture = as_alice.get(reverse("muse-card", args=[muse.pk, "v3", "png"]))
    assert picture["Content-Type"] == "image/png"
    assert read_card_png(picture.content)["data"]["extensions"]["some_tool/flag"] is True


def test_names_already_taken_get_a_number(as_alice, writer_a, ivy):
    _upload(as_alice, "ivy.json", as_bytes(V3_CARD))
    assert sorted(Muse.objects.filter(owner=writer_a).values_list("name", flat=True)) == [
        "Ivy",
        "Ivy (2)",
    ]


def test_bad_files_are_explained(as_alice, writer_a):
    for name, data, message in [
        ("empty.json", b"", "empty"),
        ("plain.png", plain_png(), "no ccv3 or chara"),
        ("odd.json", b'{"hello": 1}', ""),
    ]:
        response = _upload(as_alice, name, data)
        assert response.status_code == 200, name
        body = response.content.decode()
        assert 'class="errorlist' in body and message in body, name
    assert not Muse.objects.filter(owner=writer_a).exists()


def test_cards_of_other_writers_muses_are_hidden(as_bram, ivy):
    assert as_bram.get(reverse("muse-card", args=[ivy.pk, "v2", "json"])).status_code == 404


def test_muse_pages_link_import_and_cards(as_alice, ivy):
    assert reverse("muse-import") in as_alice.get(reverse("muse-list")).content.decode()
    detail = as_alice.get(ivy.get_absolute_url()).content.decode()
    assert reverse("muse-card", args=[ivy.pk, "v3", "png"]) in detail


def test_a_long_description_is_cut_with_a_notice(as_alice, writer_a):
    import copy

    card = copy.deepcopy(V3_CARD)
    card["data"]["description"] = "a greenhouse. " * 400
    response = as_alice.post(
        reverse("muse-import"),
        {"file": SimpleUploadedFile("ivy.json", as_bytes(card))},
        follow=True,
    )
    body = response.content.decode()
    assert "Imported 1 muse(s): Ivy." in body
    assert "message--warning" in body and "Ivy: " in body
    assert len(Muse.objects.get(owner=writer_a).bio) <= 2000
