"""Issue 9, item 4: a picture cannot stall everyone.

Pictures are checked from their header (pixel cap 4096×4096) and decoded before any
transaction opens, so a huge PNG never holds the database's write lock.
"""

from __future__ import annotations

import html
import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse
from PIL import Image

from tandem.muses import services
from tandem.muses.character_files import CharacterRecord, card_png
from tandem.muses.models import Muse


def png_bytes(width: int, height: int) -> bytes:
    """A one-colour PNG: tens of kilobytes on disk, width×height pixels once decoded."""
    buffer = io.BytesIO()
    Image.new("1", (width, height), 1).save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def upload(data: bytes, name: str = "huge.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="image/png")


@pytest.fixture(scope="module")
def bomb() -> bytes:
    data = png_bytes(6300, 6300)
    assert len(data) < 200_000  # small on disk: the cost is all in decoding
    return data


@pytest.mark.django_db
def test_a_6300_square_png_avatar_is_refused_with_a_sentence_not_a_500(client, writer_a, bomb):
    client.force_login(writer_a)
    response = client.post(
        reverse("muse-create"),
        {"name": "Ivy", "accent_colour": "#b3261e", "avatar": upload(bomb)},
    )
    assert response.status_code == 200
    page = html.unescape(response.content.decode())
    assert "That image has far too many pixels; pictures may be at most 4,096×4,096" in page
    assert not Muse.objects.exists()


@pytest.mark.django_db
def test_a_picture_over_the_cap_names_its_size(writer_a):
    with pytest.raises(ValidationError) as caught:
        services.muse_create(owner=writer_a, name="Ivy", avatar=upload(png_bytes(5000, 4000)))
    assert "That image is 5,000×4,000 pixels; pictures may be at most 4,096×4,096" in str(
        caught.value
    )
    assert not Muse.objects.exists()


@pytest.mark.django_db
def test_an_icon_over_the_cap_is_refused(writer_a, ivy, bomb):
    with pytest.raises(ValidationError) as caught:
        services.icon_add(muse=ivy, writer=writer_a, image=upload(bomb), keywords="huge")
    assert "far too many pixels" in str(caught.value)
    assert not ivy.icons.exists()


@pytest.mark.django_db
def test_a_character_card_with_a_huge_picture_brings_its_muse_without_it(writer_a, bomb):
    card = card_png(CharacterRecord(name="Brann", bio="A lighthouse keeper."), bomb)
    created, notices = services.muses_import(owner=writer_a, data=card, filename="brann.png")
    assert [m.name for m in created] == ["Brann"]
    assert not created[0].avatar
    assert any("the picture was left out" in n and "far too many pixels" in n for n in notices)


@pytest.mark.django_db(transaction=True)
def test_pictures_are_decoded_before_any_transaction_opens(monkeypatch, make_writer, make_muse):
    """Every service that takes a picture decodes it with no transaction open: the
    transaction that follows only writes rows and the small re-encoded file."""
    in_transaction: list[bool] = []
    real = services.normalise_avatar

    def watched(image):
        in_transaction.append(connection.in_atomic_block)
        return real(image)

    monkeypatch.setattr(services, "normalise_avatar", watched)
    writer = make_writer("quill")
    small = png_bytes(300, 200)
    muse = services.muse_create(owner=writer, name="Ivy", avatar=upload(small, "a.png"))
    services.muse_update(muse=muse, writer=writer, avatar=upload(small, "b.png"))
    services.icon_add(muse=muse, writer=writer, image=upload(small, "c.png"), keywords="calm")
    card = card_png(CharacterRecord(name="Brann"), small)
    services.muses_import(owner=writer, data=card, filename="brann.png")
    assert in_transaction == [False, False, False, False]
    muse.refresh_from_db()
    assert muse.avatar and muse.icons.count() == 1


@pytest.mark.django_db
def test_too_many_also_called_names_are_refused_not_cut(writer_a, ivy):
    names = ", ".join(f"N{i}" for i in range(services.MAX_NICKNAMES + 1))
    with pytest.raises(ValidationError) as caught:
        services.muse_update(muse=ivy, writer=writer_a, nicknames=names)
    assert f"a muse may have at most {services.MAX_NICKNAMES}" in str(caught.value)
    ivy.refresh_from_db()
    assert ivy.nicknames == ""
