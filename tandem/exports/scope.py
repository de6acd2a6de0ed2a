"""How much of a thread one reader takes away: the rule behind thread JSON and backups.

Three kinds of reader (docs/decisions.md, "Former participants (issue 9)"):

* **The thread's writers** (its owner and writers with a muse still in it) take everything:
  every post with its revisions, and OOC talk if they ask for it.
* **Anyone else who may read it** (a reader of a public or unlisted thread, a former
  participant included) takes what the pages show them: each post's current text only, no
  revisions and no OOC talk.
* **A former participant's own backup** keeps their own posts always, and for a thread that
  is not private the thread as it was when they left (``until``): posts up to then, each of
  other writers' posts with the text it had then as its only version (no revisions: they are
  for the thread's writers), OOC talk up to then. For a private thread it keeps only their
  own posts (``own_only``).

In every case a removed post is a placeholder without its text or revisions, except in its
own writer's backup (``keep_own_removed``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tandem.accounts.models import User
from tandem.threads.models import Thread, Visibility
from tandem.threads.permissions import is_writer, left_at

__all__ = ["ExportScope", "backup_scope", "download_scope", "operator_scope"]


@dataclass(frozen=True)
class ExportScope:
    #: Revisions of every post are included (the thread's writers); otherwise only the
    #: current text of each post.
    writer: bool = True
    include_ooc: bool = True
    #: A former participant's backup: the thread as it was at this moment.
    until: datetime | None = None
    #: Only the reader's own posts (a private thread they left, or one they only wrote in).
    own_only: bool = False
    #: Whose posts are "own"; None when nobody's are (the operator's export, an anonymous
    #: reader).
    reader_id: int | None = None
    #: The reader's own removed posts keep their text and revisions (their own backup).
    keep_own_removed: bool = False

    def owns(self, author_id: int) -> bool:
        return self.reader_id is not None and author_id == self.reader_id

    def shows_removed(self, author_id: int) -> bool:
        """Whether a removed post by ``author_id`` keeps its text in this document."""
        return self.keep_own_removed and self.owns(author_id)


def operator_scope(*, include_ooc: bool = True) -> ExportScope:
    """The server's operator (the command line): everything but removed posts' text."""
    return ExportScope(include_ooc=include_ooc)


def download_scope(thread: Thread, reader: User, *, include_ooc: bool = False) -> ExportScope:
    """A thread download from its page, by a reader who may read it."""
    reader_id = reader.pk if reader.is_authenticated else None
    if reader.is_authenticated and is_writer(thread, reader):
        return ExportScope(include_ooc=include_ooc, reader_id=reader_id)
    return ExportScope(writer=False, include_ooc=False, reader_id=reader_id)


def backup_scope(thread: Thread, user: User) -> ExportScope:
    """What ``user``'s account backup keeps of a thread they are in, were in, own or wrote in."""
    if is_writer(thread, user):
        return ExportScope(reader_id=user.pk, keep_own_removed=True)
    since = left_at(thread, user)
    if since is not None and thread.visibility != Visibility.PRIVATE:
        return ExportScope(until=since, reader_id=user.pk, keep_own_removed=True)
    # A private thread they left, or one they only wrote in (an import's posts): their own
    # posts and nothing else of it.
    return ExportScope(
        include_ooc=False, until=since, own_only=True, reader_id=user.pk, keep_own_removed=True
    )
