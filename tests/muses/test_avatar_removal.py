"""A muse's avatar can be removed from its edit page (issue 10, item 13)."""

from __future__ import annotations

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse

from tandem.muses.services import muse_create
from tests.muses.test_muses import png_upload

pytestmark = pytest.mark.django_db


def _form(muse, **extra) -> dict:
    return {
        "name": muse.name,
        "pronouns": muse.pronouns,
        "fandom": muse.fandom,
        "nicknames": muse.nicknames,
        "bio": muse.bio,
        "accent_colour": muse.accent_colour,
        **extra,
    }


def test_the_edit_page_offers_removal_only_while_there_is_an_avatar(as_alice, writer_a):
    pictured = muse_create(owner=writer_a, name="Ivy", avatar=png_upload())
    plain = muse_create(owner=writer_a, name="Hale")
    page = as_alice.get(reverse("muse-edit", args=[pictured.pk])).content.decode()
    assert 'name="remove_avatar"' in page and "Remove the avatar" in page
    # No "Currently: … Clear" widget: the file input is a plain one.
    assert "Currently" not in page
    page = as_alice.get(reverse("muse-edit", args=[plain.pk])).content.decode()
    assert 'name="remove_avatar"' not in page


def test_removing_the_avatar_deletes_the_file_and_shows_the_initial(
    as_alice, writer_a, django_capture_on_commit_callbacks
):
    muse = muse_create(owner=writer_a, name="Ivy", avatar=png_upload())
    old_name = muse.avatar.name
    with django_capture_on_commit_callbacks(execute=True):
        response = as_alice.post(
            reverse("muse-edit", args=[muse.pk]), _form(muse, remove_avatar="on")
        )
    assert response.status_code == 302
    muse.refresh_from_db()
    assert not muse.avatar
    assert not default_storage.exists(old_name)
    profile = as_alice.get(muse.get_absolute_url()).content.decode()
    assert '<span class="avatar avatar--l' in profile and ">I</span>" in profile


def test_saving_without_ticking_removal_keeps_the_avatar(as_alice, writer_a):
    muse = muse_create(owner=writer_a, name="Ivy", avatar=png_upload())
    old_name = muse.avatar.name
    as_alice.post(reverse("muse-edit", args=[muse.pk]), _form(muse, bio="new bio"))
    muse.refresh_from_db()
    assert muse.avatar.name == old_name and muse.bio == "new bio"


def test_another_writer_cannot_remove_it(as_bram, writer_a):
    muse = muse_create(owner=writer_a, name="Ivy", avatar=png_upload())
    response = as_bram.post(reverse("muse-edit", args=[muse.pk]), _form(muse, remove_avatar="on"))
    assert response.status_code == 404
    muse.refresh_from_db()
    assert muse.avatar
