"""Writes on muses."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from django.db import transaction
from django.utils import timezone

from tandem.accounts.models import User
from tandem.moderation.selectors import check_not_suspended
from tandem.muses.avatars import ProcessedImage, normalise_avatar
from tandem.muses.character_files import CharacterFileError, read_character_file
from tandem.muses.models import Muse, MuseIcon
from tandem.muses.selectors import muse_has_posts

EDITABLE_FIELDS = ("name", "pronouns", "fandom", "nicknames", "bio", "accent_colour")
# “Also called”: comma-separated other names, refused past this many (the field holds 200
# characters as well).
MAX_NICKNAMES = 20


def _check_owner(muse: Muse, writer: User) -> None:
    if muse.owner_id != writer.pk:
        raise PermissionDenied("That muse is not yours.")


def _delete_when_committed(file) -> None:
    """Remove a stored picture once the change that replaced it has committed: if the
    transaction rolls back, the muse still points at the old file, which must still be there."""
    storage, name = file.storage, file.name
    if name:
        transaction.on_commit(lambda: storage.delete(name))


def _processed(upload: UploadedFile | None, field: str) -> ProcessedImage | None:
    """Decode, check and re-encode an uploaded picture. Called before the transaction
    opens, so a slow or huge picture never holds the database's write lock."""
    if upload is None:
        return None
    try:
        return normalise_avatar(upload)
    except ValidationError as error:
        raise ValidationError({field: error.messages}) from error


def _clean_nicknames(fields: dict) -> None:
    """“Also called” is a comma-separated list: refuse too many names rather than cut them."""
    raw = fields.get("nicknames")
    if not isinstance(raw, str):
        return
    names = [name.strip() for name in raw.split(",") if name.strip()]
    if len(names) > MAX_NICKNAMES:
        raise ValidationError(
            {
                "nicknames": f"That is {len(names)} other names; a muse may have at most "
                f"{MAX_NICKNAMES}. Keep the ones partners will use."
            }
        )


def _apply(muse: Muse, fields: dict, avatar: ProcessedImage | None) -> None:
    _clean_nicknames(fields)
    for name in EDITABLE_FIELDS:
        if name in fields:
            setattr(
                muse, name, fields[name].strip() if isinstance(fields[name], str) else fields[name]
            )
    if not muse.name:
        raise ValidationError({"name": "A muse needs a name."})
    if avatar is not None:
        if muse.avatar:
            _delete_when_committed(muse.avatar)
        muse.avatar.save(avatar.name, avatar, save=False)
    muse.full_clean()


def muse_create(*, owner: User, avatar: UploadedFile | None = None, **fields) -> Muse:
    check_not_suspended(owner)
    return _muse_create(owner=owner, avatar=_processed(avatar, "avatar"), fields=fields)


@transaction.atomic
def _muse_create(*, owner: User, avatar: ProcessedImage | None, fields: dict) -> Muse:
    muse = Muse(owner=owner)
    _apply(muse, fields, avatar)
    muse.save()
    return muse


def muse_update(
    *,
    muse: Muse,
    writer: User,
    avatar: UploadedFile | None = None,
    clear_avatar: bool = False,
    **fields,
) -> Muse:
    _check_owner(muse, writer)
    check_not_suspended(writer)
    return _muse_update(
        muse=muse, avatar=_processed(avatar, "avatar"), clear_avatar=clear_avatar, fields=fields
    )


@transaction.atomic
def _muse_update(
    *, muse: Muse, avatar: ProcessedImage | None, clear_avatar: bool, fields: dict
) -> Muse:
    if clear_avatar and muse.avatar:
        _delete_when_committed(muse.avatar)
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
        _delete_when_committed(muse.avatar)
    muse.delete()


MAX_ICONS_PER_MUSE = 60


def icon_add(*, muse: Muse, writer: User, image: UploadedFile, keywords: str) -> MuseIcon:
    """Add a picture to a muse's icon gallery (checked and re-encoded like avatars)."""
    _check_owner(muse, writer)
    keywords = " ".join(keywords.split())
    if not keywords:
        raise ValidationError({"keywords": "Give the icon a keyword or two, e.g. “smiling”."})
    if len(keywords) > 200:
        raise ValidationError({"keywords": "Keep an icon's keywords under 200 characters."})
    if muse.icons.count() >= MAX_ICONS_PER_MUSE:  # before decoding anything
        raise ValidationError(_too_many_icons(muse))
    return _icon_add(muse=muse, image=_processed(image, "image"), keywords=keywords)


def _too_many_icons(muse: Muse) -> str:
    return (
        f"{muse.name} already has {MAX_ICONS_PER_MUSE} icons, the most a muse may have; "
        "remove one to add another."
    )


@transaction.atomic
def _icon_add(*, muse: Muse, image: ProcessedImage, keywords: str) -> MuseIcon:
    # Counted again inside the transaction: two uploads at once cannot pass the cap together.
    if muse.icons.count() >= MAX_ICONS_PER_MUSE:
        raise ValidationError(_too_many_icons(muse))
    icon = MuseIcon(muse=muse, keywords=keywords)
    icon.image.save(image.name, image, save=False)
    icon.save()
    return icon


def icon_delete(*, icon: MuseIcon, writer: User) -> None:
    """Remove an icon; posts that used it fall back to the muse's avatar."""
    _check_owner(icon.muse, writer)
    _delete_when_committed(icon.image)
    icon.delete()


def muses_import(*, owner: User, data: bytes, filename: str = "") -> tuple[list[Muse], list[str]]:
    """Create muses from a Tupperbox or PluralKit export or a character card; return them
    and the notices the writer should read (a bio cut short, a picture that was unusable).

    A PNG card's picture becomes the avatar; avatar URLs are kept in the card data but never
    fetched. A name the writer already uses gets a number (“ivy (2)”) rather than replacing
    anything. The file is read and its picture decoded before the transaction opens.
    """
    try:
        records = read_character_file(data, filename)
    except CharacterFileError as error:
        raise ValidationError(str(error)) from error
    pictures: dict[int, ProcessedImage] = {}
    picture_notices: dict[int, str] = {}
    for index, record in enumerate(records):
        if record.avatar_bytes:
            try:
                pictures[index] = normalise_avatar(
                    SimpleUploadedFile("card.png", record.avatar_bytes, "image/png")
                )
            except ValidationError as error:
                # A card whose picture we cannot use still brings its muse.
                picture_notices[index] = (
                    f"{record.name}: the picture was left out ({error.messages[0]})"
                )
    return _muses_import(
        owner=owner, records=records, pictures=pictures, picture_notices=picture_notices
    )


@transaction.atomic
def _muses_import(
    *, owner: User, records: list, pictures: dict, picture_notices: dict
) -> tuple[list[Muse], list[str]]:
    taken = {
        name.lower() for name in Muse.objects.filter(owner=owner).values_list("name", flat=True)
    }
    created, notices = [], []
    for index, record in enumerate(records):
        notices.extend(f"{record.name}: {notice}" for notice in record.notices)
        name, copy = record.name, 2
        while name.lower() in taken:
            name, copy = f"{record.name[:94]} ({copy})", copy + 1
        taken.add(name.lower())
        muse = Muse(
            owner=owner,
            name=name,
            nicknames=", ".join(record.nicknames)[:200],
            pronouns=record.pronouns,
            fandom=record.fandom,
            bio=record.bio,
            card_data=dict(
                record.card_data, **({"avatar_url": record.avatar_url} if record.avatar_url else {})
            ),
        )
        if record.accent_colour:
            muse.accent_colour = record.accent_colour
        if index in picture_notices:
            notices.append(picture_notices[index])
        if index in pictures:
            muse.avatar.save(pictures[index].name, pictures[index], save=False)
        muse.full_clean()
        muse.save()
        created.append(muse)
    return created, notices
