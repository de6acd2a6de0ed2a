import io

from django.db.models import QuerySet
from PIL import Image

from tandem.accounts.models import User
from tandem.muses.character_files import CharacterRecord
from tandem.muses.models import Muse


def muses_of_writer(
    writer: User, *, include_archived: bool = True, include_placeholders: bool = False
) -> QuerySet[Muse]:
    """A writer's muses. Placeholders (stand-ins for another writer's muse in an import)
    are left out: nobody picks them to start, join or post."""
    muses = Muse.objects.filter(owner=writer)
    if not include_placeholders:
        muses = muses.filter(is_placeholder=False)
    if not include_archived:
        muses = muses.filter(archived_at__isnull=True)
    return muses


def muse_has_posts(muse: Muse) -> bool:
    return muse.posts.exists()


def character_record(muse: Muse) -> CharacterRecord:
    """A muse as a character card sees it, with what an imported card carried kept as is."""
    card_data = dict(muse.card_data)
    avatar_url = card_data.pop("avatar_url", "")
    return CharacterRecord(
        name=muse.name,
        nicknames=muse.nickname_list,
        pronouns=muse.pronouns,
        fandom=muse.fandom,
        bio=muse.bio,
        accent_colour=muse.accent_colour,
        avatar_url=avatar_url,
        card_data=card_data,
        source="tandem",
    )


def muse_picture_png(muse: Muse) -> bytes | None:
    """The muse's avatar as PNG bytes (avatars are stored as WebP), or None."""
    if not muse.avatar:
        return None
    with muse.avatar.open("rb") as stored, Image.open(stored) as image:
        out = io.BytesIO()
        image.convert("RGBA").save(out, format="PNG")
        return out.getvalue()
