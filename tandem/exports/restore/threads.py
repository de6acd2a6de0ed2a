"""Writing one thread: its rows, its tags, and its turn state replayed from the log.

A mixin of ``writing.Restorer``, which owns the transaction and knows who every username
in the file is here and which muses were created for the thread.
"""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import ValidationError

from tandem.accounts.models import User
from tandem.exports.restore.parsed import RestoreError, ThreadData, sentence
from tandem.muses.models import Muse, MuseIcon
from tandem.threads.models import (
    OocMessage,
    Participant,
    Post,
    PostRevision,
    Tag,
    TagCategory,
    Thread,
    TurnEvent,
    new_public_id,
)
from tandem.threads.services import (
    history_write,
    normalise_tag,
    tags_for,
    thread_recount_words,
)
from tandem.writing import markup

__all__ = ["ThreadWriter"]


class ThreadWriter:
    """Creates a thread from a checked document; see ``writing.Restorer`` for the rest."""

    report: Any  # writing.RestoreReport
    html: dict[int, str]  # id() of a post or OOC record → its HTML, rendered beforehand
    icons: dict[int, dict[str, MuseIcon]]  # muse pk → keywords → first icon
    dropped_icons: int

    def _user(self, username: str) -> User:
        raise NotImplementedError

    @staticmethod
    def _backdate(obj, **fields) -> None:
        # auto_now_add fields ignore what is assigned on insert; set them afterwards.
        type(obj).objects.filter(pk=obj.pk).update(**fields)
        for name, value in fields.items():
            setattr(obj, name, value)

    def _icon(self, muse: Muse, keywords: str | None) -> MuseIcon | None:
        if keywords is None:
            return None
        icon = self.icons.get(muse.pk, {}).get(keywords)
        if icon is None:
            self.dropped_icons += 1
        return icon

    def _thread(self, data: ThreadData, muses: dict[str, Muse]) -> Thread:
        document, head = data.document, data.document.thread
        public_id = head.public_id
        if (
            not re.fullmatch(r"[A-Za-z0-9_-]{1,16}", public_id)
            or Thread.objects.filter(public_id=public_id).exists()
        ):
            public_id = new_public_id()
            self.report.public_ids_changed[head.public_id] = public_id
        thread = Thread.objects.create(
            public_id=public_id,
            owner=self._user(head.owner),
            title=head.title,
            summary=head.summary,
            rating=head.rating,
            warnings=head.warnings,
            visibility=head.visibility,
            status=head.status,
            turn_mode=head.turn_mode,
        )
        # The turn clock starts when the thread did, as thread_create has it.
        self._backdate(thread, created_at=head.created_at, turn_since=head.created_at)
        thread.tags.set(self._tags(data))

        participants: dict[str, Participant] = {}
        for item in document.participants:
            # No position yet: positions are set below from the replayed turn log.
            participant = Participant.objects.create(
                thread=thread,
                muse=muses[item.muse],
                writer=self._user(item.writer),
                left_at=item.left_at,
            )
            self._backdate(participant, joined_at=item.joined_at)
            participants[item.ref] = participant

        Post.objects.bulk_create(
            Post(
                thread=thread,
                number=item.number,
                participant=participants[item.participant],
                muse=muses[item.muse],
                author=self._user(item.author),
                body=item.body,
                body_html=self.html[id(item)],
                renderer_version=markup.RENDERER_VERSION,
                icon=self._icon(muses[item.muse], item.icon),
                word_count=item.word_count,
                created_at=item.created_at,
                edited_at=item.edited_at,
                deleted_at=item.deleted_at,
            )
            for item in document.posts
        )
        thread_recount_words(thread.pk)  # the directory sorts by it
        post_ids = dict(thread.posts.values_list("number", "pk"))
        PostRevision.objects.bulk_create(
            PostRevision(
                post_id=post_ids[item.number],
                number=revision.number,
                body=revision.body,
                word_count=revision.word_count,
                created_at=revision.created_at,
            )
            for item in document.posts
            for revision in item.revisions
        )

        events = [
            TurnEvent(
                thread=thread,
                kind=item.kind,
                participant=participants[item.participant] if item.participant else None,
                actor=self._user(item.actor) if item.actor else None,
                order=[participants[ref].pk for ref in item.order]
                if item.order is not None
                else None,
                created_at=item.created_at,
            )
            for item in document.turn_events
        ]
        try:
            # Folds the log, writes it in one go and sets the cached turn state and the
            # positions from the fold, without announcing anything.
            state = history_write(thread, events)
        except ValidationError as error:
            raise RestoreError(f"{data.label}: {sentence(error)}") from None
        if thread.participants.filter(pk__in=state.order, left_at__isnull=False).exists():
            raise RestoreError(
                f"{data.label}: a muse that has left is still in the posting order of the turn log."
            )

        OocMessage.objects.bulk_create(
            OocMessage(
                thread=thread,
                author=self._user(item.author),
                body=item.body,
                body_html=self.html[id(item)],
            )
            for item in document.ooc
        )
        ooc_ids = thread.ooc_messages.order_by("pk").values_list("pk", flat=True)
        for pk, item in zip(ooc_ids, document.ooc, strict=True):
            OocMessage.objects.filter(pk=pk).update(created_at=item.created_at)

        self.report.threads.append(thread.public_id)
        self.report.posts += len(document.posts)
        return thread

    @staticmethod
    def _tags(data: ThreadData) -> list[Tag]:
        head = data.document.thread
        # Names with no kind (every tag of a file from before categories) are freeform; an
        # existing tag is matched ignoring case, and a merged one gives its canonical tag.
        by_category = {key: list(names) for key, names in head.tag_categories.items()}
        placed = {normalise_tag(n).lower() for names in by_category.values() for n in names}
        by_category.setdefault(TagCategory.FREEFORM, [])
        by_category[TagCategory.FREEFORM] += [
            name for name in head.tags if normalise_tag(name).lower() not in placed
        ]
        try:
            return tags_for(by_category)
        except ValidationError as error:
            raise RestoreError(f"{data.label}: {sentence(error)}") from None
