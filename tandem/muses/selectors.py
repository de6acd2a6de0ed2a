from django.db.models import QuerySet

from tandem.accounts.models import User
from tandem.muses.models import Muse


def muses_of_writer(writer: User, *, include_archived: bool = True) -> QuerySet[Muse]:
    muses = Muse.objects.filter(owner=writer)
    if not include_archived:
        muses = muses.filter(archived_at__isnull=True)
    return muses


def muse_has_posts(muse: Muse) -> bool:
    return muse.posts.exists()
