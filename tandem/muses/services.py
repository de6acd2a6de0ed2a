"""Writes on muses."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from tandem.accounts.models import User
from tandem.muses.avatars import normalise_avatar
from tandem.muses.models import Muse
from tandem.muses.selectors import muse_has_posts

EDITABLE_FIELDS = ("name", "pronouns", "fandom", "bio", "accent_colour")


def _check_owner(muse: Muse, writer: User) -> None:
    if muse.owner_id != writer.pk:
        raise PermissionDenied("That muse is not yours.")


def _apply(muse: Muse, fields: dict, avatar: UploadedFile | None) -> None:
    for name in EDITABLE_FIELDS:
        if name in fields:
            setattr(
                muse, name, fields[name].strip() if isinstance(fields[name], str) else fields[name]
            )
    if not muse.name:
        raise ValidationError({"name": "A muse needs a name."})
    if avatar is not None:
        try:
            processed = normalise_avatar(avatar)
        except ValidationError as error:
            raise ValidationError({"avatar": error.messages}) from error
        if muse.avatar:
            muse.avatar.delete(save=False)
        muse.avatar.save(processed.name, processed, save=False)
    muse.full_clean()


@transaction.atomic
def muse_create(*, owner: User, avatar: UploadedFile | None = None, **fields) -> Muse:
    muse = Muse(owner=owner)
    _apply(muse, fields, avatar)
    muse.save()
    return muse


@transaction.atomic
def muse_update(
    *,
    muse: Muse,
    writer: User,
    avatar: UploadedFile | None = None,
    clear_avatar: bool = False,
    **fields,
) -> Muse:
    _check_owner(muse, writer)
    if clear_avatar and muse.avatar:
        muse.avatar.delete(save=False)
        muse.avatar = ""
    _apply(muse, fields, avatar)
    muse.save()
    return muse


def muse_archive(*, muse: Muse, writer: User) -> Muse:
    _check_owner(muse, writer)
    if muse.archived_at is None:
        muse.archived_at = timezone.now()
        muse.save(update_fields=["archived_at"])
    return muse


def muse_unarchive(*, muse: Muse, writer: User) -> Muse:
    _check_owner(muse, writer)
    muse.archived_at = None
    muse.save(update_fields=["archived_at"])
    return muse


@transaction.atomic
def muse_delete(*, muse: Muse, writer: User) -> None:
    """Delete a muse that never posted or joined a thread; others can only be archived."""
    _check_owner(muse, writer)
    if muse_has_posts(muse) or muse.participations.exists():
        raise ValidationError(
            f"{muse.name} has written in threads, so they can only be archived, not deleted."
        )
    if muse.avatar:
        muse.avatar.delete(save=False)
    muse.delete()
