"""Muses: create, edit, archive, delete, avatars, and their pages."""

from __future__ import annotations

import html
import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import reverse
from PIL import Image

from tandem.muses.models import Muse
from tandem.muses.services import (
    muse_archive,
    muse_create,
    muse_delete,
    muse_unarchive,
    muse_update,
)
from tandem.threads.models import Visibility

pytestmark = pytest.mark.django_db


def text_of(response) -> str:
    return html.unescape(response.content.decode())


def png_upload(size=(640, 400), mode="RGBA", colour=(200, 40, 40, 255), name="me.png"):
    buffer = io.BytesIO()
    Image.new(mode, size, colour).save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def muse_form(**overrides) -> dict:
    data = {
        "name": "Ivy",
        "pronouns": "she/her",
        "fandom": "Original",
        "bio": "",
        "accent_colour": "#7a3e9d",
    }
    data.update(overrides)
    return data


def stored_image(muse: Muse) -> Image.Image:
    with default_storage.open(muse.avatar.name) as handle:
        image = Image.open(io.BytesIO(handle.read()))
        image.load()
        return image


# ---------------------------------------------------------------------------- lifecycle


def test_create_and_edit_a_muse(writer_a):
    """A writer creates a muse (fields trimmed) and edits it later."""
    muse = muse_create(owner=writer_a, name="  Ivy  ", pronouns="she/her", accent_colour="#b3261e")
    assert muse.name == "Ivy"
    assert muse.owner == writer_a
    muse_update(muse=muse, writer=writer_a, name="Ivy Marsh", fandom="Lantern City")
    muse.refresh_from_db()
    assert (muse.name, muse.fandom, muse.pronouns) == ("Ivy Marsh", "Lantern City", "she/her")


@pytest.mark.parametrize(
    ("fields", "field"),
    [({"name": "   "}, "name"), ({"name": "Ok", "accent_colour": "red"}, "accent_colour")],
)
def test_create_validates(writer_a, fields, field):
    """A muse needs a name and a #rrggbb colour."""
    with pytest.raises(ValidationError) as caught:
        muse_create(owner=writer_a, **fields)
    assert field in caught.value.message_dict
    assert not Muse.objects.exists()


def test_only_the_owner_changes_a_muse(writer_b, ivy):
    """Another writer can neither edit, archive nor delete someone's muse."""
    with pytest.raises(PermissionDenied):
        muse_update(muse=ivy, writer=writer_b, name="Mine")
    with pytest.raises(PermissionDenied):
        muse_archive(muse=ivy, writer=writer_b)
    with pytest.raises(PermissionDenied):
        muse_delete(muse=ivy, writer=writer_b)
    ivy.refresh_from_db()
    assert ivy.name == "Ivy" and not ivy.is_archived


def test_archive_and_unarchive(writer_a, ivy):
    """Archiving sets the archived time; unarchiving clears it."""
    muse_archive(muse=ivy, writer=writer_a)
    ivy.refresh_from_db()
    assert ivy.is_archived
    muse_unarchive(muse=ivy, writer=writer_a)
    ivy.refresh_from_db()
    assert not ivy.is_archived


def test_delete_a_muse_that_never_joined_a_thread(writer_a, make_muse):
    """A muse that never joined a thread can be deleted for good."""
    muse = make_muse(writer_a, "Draft")
    muse_delete(muse=muse, writer=writer_a)
    assert not Muse.objects.filter(pk=muse.pk).exists()


def test_delete_refused_once_the_muse_joined_a_thread(writer_a, ivy, make_thread):
    """Once in a thread (even without a post), a muse can only be archived."""
    make_thread(writer_a, ivy)
    with pytest.raises(ValidationError, match="only be archived"):
        muse_delete(muse=ivy, writer=writer_a)
    assert Muse.objects.filter(pk=ivy.pk).exists()


def test_unicode_and_emoji_names(client, writer_a):
    """Muse names in any script, emoji included, are stored and shown as typed."""
    muse = muse_create(owner=writer_a, name="Ёлка 🎄 雪", fandom="冬の物語")
    response = client.get(muse.get_absolute_url())
    assert response.status_code == 200
    page = text_of(response)
    assert "Ёлка 🎄 雪" in page and "冬の物語" in page


# ---------------------------------------------------------------------------- avatars


def test_png_avatar_is_reencoded_as_a_square_webp(writer_a):
    """A real PNG is cropped and re-encoded to a 256×256 WebP."""
    muse = muse_create(owner=writer_a, name="Ivy", avatar=png_upload())
    assert muse.avatar.name.endswith(".webp")
    image = stored_image(muse)
    assert image.format == "WEBP"
    assert image.size == (256, 256)


def test_jpeg_and_gif_avatars_are_accepted(writer_a):
    """JPEG and GIF uploads become WebP too."""
    for fmt, mode in (("JPEG", "RGB"), ("GIF", "P")):
        buffer = io.BytesIO()
        Image.new(mode, (100, 300)).save(buffer, format=fmt)
        upload = SimpleUploadedFile(f"a.{fmt.lower()}", buffer.getvalue())
        muse = muse_create(owner=writer_a, name=fmt, avatar=upload)
        assert stored_image(muse).size == (256, 256)


def test_replacing_an_avatar_removes_the_old_file(writer_a, django_capture_on_commit_callbacks):
    """A new avatar replaces the old file in storage once the change has committed."""
    muse = muse_create(owner=writer_a, name="Ivy", avatar=png_upload())
    old_name = muse.avatar.name
    with django_capture_on_commit_callbacks(execute=True):
        muse_update(muse=muse, writer=writer_a, avatar=png_upload(colour=(0, 0, 255, 255)))
    assert muse.avatar.name != old_name
    assert not default_storage.exists(old_name)
    assert default_storage.exists(muse.avatar.name)


def test_an_update_that_rolls_back_keeps_the_old_avatar(writer_a):
    """The old picture goes only when its replacement has committed, never before."""
    muse = muse_create(owner=writer_a, name="Ivy", avatar=png_upload())
    old_name = muse.avatar.name
    with pytest.raises(RuntimeError), transaction.atomic():
        muse_update(muse=muse, writer=writer_a, avatar=png_upload(colour=(0, 0, 255, 255)))
        raise RuntimeError("the request failed after the update")
    muse.refresh_from_db()
    assert muse.avatar.name == old_name
    assert default_storage.exists(old_name)


def test_text_file_named_png_is_refused(writer_a):
    """A text file with a .png name is refused with a clear message."""
    fake = SimpleUploadedFile("cat.png", b"definitely not an image\n" * 10, "image/png")
    with pytest.raises(ValidationError) as caught:
        muse_create(owner=writer_a, name="Ivy", avatar=fake)
    assert caught.value.message_dict["avatar"] == ["That file is not an image we can read."]
    assert not Muse.objects.exists()


def test_image_with_too_many_pixels_is_refused(writer_a):
    """A huge (decompression-bomb-sized) image is refused before being decoded."""
    buffer = io.BytesIO()
    Image.new("1", (10_000, 5_000)).save(buffer, format="PNG")
    upload = SimpleUploadedFile("huge.png", buffer.getvalue(), "image/png")
    with pytest.raises(ValidationError, match="too many pixels"):
        muse_create(owner=writer_a, name="Ivy", avatar=upload)


def test_unsupported_image_format_is_refused(writer_a):
    """Only PNG, JPEG, GIF and WebP are accepted (a BMP is not)."""
    buffer = io.BytesIO()
    Image.new("RGB", (10, 10)).save(buffer, format="BMP")
    upload = SimpleUploadedFile("old.bmp", buffer.getvalue())
    with pytest.raises(ValidationError, match="PNG, JPEG, GIF or WebP"):
        muse_create(owner=writer_a, name="Ivy", avatar=upload)


# ---------------------------------------------------------------------------- views


def test_create_muse_through_the_page_with_an_avatar(client, writer_a):
    """The new-muse form creates the muse with its avatar and shows its page."""
    client.force_login(writer_a)
    response = client.post(reverse("muse-create"), {**muse_form(), "avatar": png_upload()})
    muse = Muse.objects.get(owner=writer_a)
    assert response.status_code == 302
    assert response["Location"] == muse.get_absolute_url()
    assert stored_image(muse).size == (256, 256)
    page = text_of(client.get(muse.get_absolute_url()))
    assert muse.avatar.url in page


def test_text_file_upload_through_the_page_shows_the_error(client, writer_a):
    """A fake image through the form re-renders with the message and creates nothing."""
    client.force_login(writer_a)
    fake = SimpleUploadedFile("cat.png", b"hello, I am text", "image/png")
    response = client.post(reverse("muse-create"), {**muse_form(), "avatar": fake})
    assert response.status_code == 200
    assert "That file is not an image we can read." in text_of(response)
    assert not Muse.objects.exists()


def test_eight_megabyte_upload_gets_a_clear_error_not_a_500(client, writer_a):
    """An 8 MB upload is refused with a message naming the 5 MB limit; nothing is saved."""
    client.force_login(writer_a)
    big = SimpleUploadedFile("big.png", b"\x89PNG\r\n\x1a\n" + b"\0" * (8 * 1024 * 1024))
    response = client.post(reverse("muse-create"), {**muse_form(), "avatar": big})
    assert response.status_code == 200
    page = text_of(response)
    assert "at most 5 MB" in page
    assert "8.0 MB" in page
    assert not Muse.objects.exists()


def test_twenty_megabyte_upload_gets_a_clear_error_not_a_500(client, writer_a):
    """A 20 MB request is over the 12 MB request limit (issue 9): the upload handler stops
    reading it and the page says why with 413; nothing is saved."""
    client.force_login(writer_a)
    big = SimpleUploadedFile("big.png", b"\x89PNG\r\n\x1a\n" + b"\0" * (20 * 1024 * 1024))
    response = client.post(reverse("muse-create"), {**muse_form(), "avatar": big})
    assert response.status_code == 413
    page = text_of(response)
    assert "larger than the 12 MB" in page
    assert "pictures 5 MB" in page
    assert not Muse.objects.exists()


def test_edit_through_the_page_and_clear_the_avatar(
    client, writer_a, django_capture_on_commit_callbacks
):
    """Editing saves the fields; ticking “Remove the avatar” removes it and its file."""
    muse = muse_create(owner=writer_a, name="Ivy", avatar=png_upload())
    old_file = muse.avatar.name
    client.force_login(writer_a)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("muse-edit", args=[muse.pk]),
            {**muse_form(name="Ivy Marsh ✨"), "remove_avatar": "on"},
        )
    assert response.status_code == 302
    muse.refresh_from_db()
    assert muse.name == "Ivy Marsh ✨"
    assert not muse.avatar
    assert not default_storage.exists(old_file)


def test_archive_toggle_through_the_page(client, writer_a, ivy):
    """The archive button archives, and pressed again unarchives."""
    client.force_login(writer_a)
    url = reverse("muse-archive", args=[ivy.pk])
    client.post(url)
    ivy.refresh_from_db()
    assert ivy.is_archived
    client.post(url)
    ivy.refresh_from_db()
    assert not ivy.is_archived


def test_delete_through_the_page_refused_after_joining(client, writer_a, ivy, make_thread):
    """Deleting a muse that joined a thread shows why it was refused; the muse remains."""
    make_thread(writer_a, ivy)
    client.force_login(writer_a)
    response = client.post(reverse("muse-delete", args=[ivy.pk]), follow=True)
    assert "can only be archived, not deleted" in text_of(response)
    assert Muse.objects.filter(pk=ivy.pk).exists()


def test_delete_through_the_page(client, writer_a, make_muse):
    """A muse that never joined a thread is deleted from its page."""
    muse = make_muse(writer_a, "Draft")
    client.force_login(writer_a)
    response = client.post(reverse("muse-delete", args=[muse.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("muse-list")
    assert not Muse.objects.filter(pk=muse.pk).exists()


def test_someone_elses_muse_cannot_be_edited_archived_or_deleted(client, writer_b, ivy):
    """Another writer's muse gives 404 on its edit, archive and delete URLs."""
    client.force_login(writer_b)
    assert client.get(reverse("muse-edit", args=[ivy.pk])).status_code == 404
    assert client.post(reverse("muse-edit", args=[ivy.pk]), muse_form(name="X")).status_code == 404
    assert client.post(reverse("muse-archive", args=[ivy.pk])).status_code == 404
    assert client.post(reverse("muse-delete", args=[ivy.pk])).status_code == 404
    ivy.refresh_from_db()
    assert ivy.name == "Ivy" and not ivy.is_archived


def test_public_muse_page_lists_only_public_threads(client, writer_a, ivy, make_thread):
    """Anyone can see a muse's page; it lists the muse's public threads, never private ones."""
    make_thread(writer_a, ivy, title="Out in the open", visibility=Visibility.PUBLIC)
    make_thread(writer_a, ivy, title="Behind closed doors")
    response = client.get(ivy.get_absolute_url())
    assert response.status_code == 200
    page = text_of(response)
    assert "Ivy" in page and "she/her" in page
    assert "Out in the open" in page
    assert "Behind closed doors" not in page
    assert "Edit" not in page


def test_muse_list_shows_own_muses(client, writer_a, writer_b, ivy, hale):
    """The muse list shows the writer's own muses only."""
    client.force_login(writer_a)
    page = text_of(client.get(reverse("muse-list")))
    assert "Ivy" in page
    assert "Hale" not in page


def test_deleting_an_icon_removes_its_file_after_commit(
    writer_a, ivy, django_capture_on_commit_callbacks
):
    from tandem.muses.services import icon_add, icon_delete

    icon = icon_add(muse=ivy, writer=writer_a, image=png_upload(), keywords="smiling")
    stored = icon.image.name
    assert default_storage.exists(stored)
    with django_capture_on_commit_callbacks(execute=False) as pending:
        icon_delete(icon=icon, writer=writer_a)
    assert default_storage.exists(stored)  # not before the commit
    for callback in pending:
        callback()
    assert not default_storage.exists(stored)
    assert not ivy.icons.exists()
