"""Writes for imports: proposing a split, correcting it, and creating the thread.

The HTML views, the background task and ``tandem import`` all go through these functions.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from tandem.accounts.models import User
from tandem.imports import review
from tandem.imports.models import ImportStatus, PendingImport
from tandem.imports.sources import SourceError, check_size, read_source
from tandem.imports.splitter import MuseNames, Proposal, propose
from tandem.imports.structured import StructuredError, looks_like_json, proposal_from_json
from tandem.muses.models import Muse
from tandem.threads.events import ThreadEvent, emit
from tandem.threads.models import (
    Invitation,
    Participant,
    Post,
    PostRevision,
    Thread,
    ThreadWriterState,
    TurnEvent,
    TurnEventKind,
    TurnMode,
    Visibility,
)
from tandem.threads.services import (
    _clean_body,
    _lock,
    _validate_metadata,
    history_write,
    thread_recount_words,
)
from tandem.tracking.models import TrackedThread
from tandem.tracking.services import tracked_converted
from tandem.writing import markup
from tandem.writing.dialogue import find_dialogue
from tandem.writing.wordcount import count_words

Progress = Callable[[int, int], None]

#: An import names at most this many muses (each may become a claim, an invitation).
MAX_IMPORT_MUSES = 20


def _check_muse_count(count: int) -> None:
    if count > MAX_IMPORT_MUSES:
        raise ValidationError(
            f"An import may name at most {MAX_IMPORT_MUSES} muses; this one names {count}."
        )


@dataclass(frozen=True)
class MuseSpec:
    """One ``NAME[=OWNER]`` from the form or the command line."""

    name: str
    owner: str | None = None

    @classmethod
    def parse(cls, text: str) -> MuseSpec:
        name, _, owner = text.partition("=")
        name, owner = name.strip(), owner.strip()
        if not name:
            raise ValidationError(f"“{text}” names no muse; write NAME or NAME=USERNAME.")
        return cls(name=name, owner=owner or None)


@dataclass(frozen=True)
class ImportedPost:
    muse: Muse
    body: str
    created_at: datetime | None = None


def _find_muse(owner: User, name: str) -> Muse | None:
    candidates = Muse.objects.filter(owner=owner, is_placeholder=False).filter(
        Q(name__iexact=name) | Q(nicknames__icontains=name)
    )
    for muse in candidates.order_by("archived_at", "pk"):
        if muse.name.lower() == name.lower() or name.lower() in (
            n.lower() for n in muse.nickname_list
        ):
            return muse
    return None


def resolve_muses(
    importer: User, specs: Sequence[MuseSpec], *, may_create_for_others: bool = False
) -> list[Muse]:
    """The muses named for an import, found by name or nickname (any case) among their
    writer's muses. A muse of the importer's that does not exist yet is created; one of
    another writer's only when the server's admin trusts the owners (``tandem import
    --trust-owners``), because nobody else may add characters to someone else's account.
    Naming another writer's muse does not put it in the thread: ``thread_import`` asks
    its writer first (a claim)."""
    _check_muse_count(len(specs))
    muses: list[Muse] = []
    for spec in specs:
        owner = importer
        if spec.owner and spec.owner.lower() != importer.username.lower():
            owner = User.objects.filter(username__iexact=spec.owner).first()
            if owner is None:
                raise ValidationError(f"There is no writer called “{spec.owner}”.")
        muse = _find_muse(owner, spec.name)
        if muse is None:
            if owner != importer and not may_create_for_others:
                raise ValidationError(
                    f"{owner.username} has no muse called “{spec.name}”. Ask them to create "
                    "it first, or import the muse as your own."
                )
            muse = Muse.objects.create(owner=owner, name=spec.name[:100])
        if muse not in muses:
            muses.append(muse)
    return muses


def muse_names(muses: Sequence[Muse]) -> list[MuseNames]:
    return [
        MuseNames(
            key=str(muse.pk),
            name=muse.name,
            nicknames=tuple(muse.nickname_list),
            pronouns=muse.pronouns,
            writer=muse.owner.username,
        )
        for muse in muses
    ]


def proposal_for(
    data: bytes, names: Sequence[MuseNames], *, filename: str = "", fmt: str = "auto"
) -> tuple[Proposal, list[str]]:
    """The proposed split of a file or paste, and the warnings from reading it."""
    if fmt == "json" or (fmt == "auto" and looks_like_json(data, filename)):
        try:
            check_size(len(data))
            proposal = proposal_from_json(data, names)
        except (SourceError, StructuredError) as error:
            raise ValidationError(str(error)) from error
        return proposal, list(proposal.warnings)
    try:
        source = read_source(data, filename=filename, format=fmt)
    except SourceError as error:
        raise ValidationError(str(error)) from error
    proposal = propose(source.text, names)
    return proposal, [*source.warnings, *proposal.warnings]


def known_muse_names(specs: Sequence[MuseSpec], default_owner: User | None) -> list[MuseNames]:
    """The names to split by for a dry run: existing muses bring their nicknames and
    pronouns, the others just their name. Nothing is created."""
    names = []
    for spec in specs:
        owner_name = spec.owner or (default_owner.username if default_owner else None)
        owner = User.objects.filter(username__iexact=owner_name).first() if owner_name else None
        muse = _find_muse(owner, spec.name) if owner else None
        if muse is not None:
            names.extend(muse_names([muse]))
        else:
            names.append(MuseNames(key=spec.name, name=spec.name, writer=owner_name or ""))
    return names


def proposal_report(proposal: Proposal, muses: Sequence[MuseNames], warnings: list[str]) -> dict:
    """The proposal as ``tandem import --dry-run --json`` prints it."""
    names = {m.key: m.name for m in muses}
    posts = []
    for post in proposal.posts:
        words = post.text.split()
        posts.append(
            {
                "muse": names.get(post.muse_key) if post.muse_key else None,
                "confidence": round(post.confidence, 2),
                "words": count_words(markup.render_post(post.text)),
                "dialogue": [post.text[a:b] for a, b in find_dialogue(post.text)],
                "start": " ".join(words[:8]) + ("…" if len(words) > 8 else ""),
                "date": post.date.isoformat() if post.date else None,
            }
        )
    return {"posts": posts, "warnings": warnings}


def _post_dict(post) -> dict:
    return {
        "text": post.text,
        "muse": int(post.muse_key) if post.muse_key else None,
        "confidence": round(post.confidence, 2),
        "split_reason": post.split_reason,
        "split_confidence": round(post.split_confidence, 2),
        "named": post.named,
        "date": post.date.isoformat() if post.date else None,
    }


def import_propose(
    *,
    owner: User,
    title: str,
    data: bytes,
    muses: Sequence[Muse],
    filename: str = "",
    fmt: str = "auto",
    tracked: TrackedThread | None = None,
) -> PendingImport:
    """Propose how ``data`` splits into posts. ``tracked``: the owner's thread kept elsewhere
    whose text this is (it is archived, linked to the new thread, once the import is done)."""
    if tracked is not None and tracked.writer_id != owner.pk:
        raise PermissionDenied("That thread kept elsewhere is not yours.")
    title = title.strip()
    if not title:
        raise ValidationError({"title": "The imported thread needs a title."})
    if not muses:
        raise ValidationError("Name at least one muse who writes in this thread.")
    _check_muse_count(len(muses))
    proposal, warnings = proposal_for(data, muse_names(muses), filename=filename, fmt=fmt)
    if not proposal.posts:
        raise ValidationError("There is nothing to import: the text has no words.")
    return PendingImport.objects.create(
        owner=owner,
        title=title[:200],
        source_name=filename[:200] or "pasted text",
        source_format=fmt,
        muses=[{"id": m.pk, "name": m.name, "writer": m.owner.username} for m in muses],
        posts=[_post_dict(p) for p in proposal.posts],
        warnings=warnings,
        tracked=tracked,
    )


def _check_reviewer(pending: PendingImport, actor: User) -> None:
    if pending.owner_id != actor.pk:
        raise PermissionDenied("That import is not yours.")
    # A failed import goes back to its writer to correct and start again.
    if pending.status not in (ImportStatus.REVIEWING, ImportStatus.FAILED):
        raise ValidationError("This import has already been started.")


def import_revise(
    *,
    pending: PendingImport,
    actor: User,
    edits: Sequence[dict] | None = None,
    action: str = "",
    title: str | None = None,
) -> PendingImport:
    """Save the writer's edits (per post: text and muse) and apply one action, if any."""
    _check_reviewer(pending, actor)
    posts = [dict(p) for p in pending.posts]
    allowed = {m["id"] for m in pending.muses}
    if edits is not None:
        if len(edits) != len(posts):
            raise ValidationError("The proposal changed in another tab; reload the page.")
        for post, edit in zip(posts, edits, strict=True):
            if "text" in edit:
                post["text"] = edit["text"].replace("\r\n", "\n")
            if "muse" in edit:
                muse = edit["muse"]
                if muse is not None and muse not in allowed:
                    raise ValidationError("Choose one of the thread’s muses.")
                if muse != post["muse"]:
                    post["muse"], post["confidence"] = muse, 1.0
    if action.startswith("assign:"):
        muse = action.rpartition(":")[2]
        if not (muse.isascii() and muse.isdigit()) or int(muse) not in allowed:
            raise ValidationError("Choose one of the thread’s muses.")
    if action:
        try:
            posts = review.apply_action(posts, action)
        except review.ReviewError as error:
            raise ValidationError(str(error)) from error
    if title is not None:
        if not title.strip():
            raise ValidationError({"title": "The imported thread needs a title."})
        pending.title = title.strip()[:200]
    pending.posts = posts
    pending.status, pending.error = ImportStatus.REVIEWING, ""
    pending.save(update_fields=["posts", "title", "status", "error", "updated_at"])
    return pending


def import_add_muse(*, pending: PendingImport, actor: User, spec: MuseSpec) -> PendingImport:
    """Add a muse to an import under review, without starting over: one of the writer's own
    (created if it does not exist yet) or another writer's existing muse, which joins as
    any named partner does (its writer is asked when the import lands)."""
    _check_reviewer(pending, actor)
    if not spec.name.strip():
        raise ValidationError("Give the muse’s name.")
    _check_muse_count(len(pending.muses) + 1)
    (muse,) = resolve_muses(actor, [MuseSpec(spec.name.strip(), spec.owner)])
    if muse.pk in {m["id"] for m in pending.muses}:
        raise ValidationError(f"{muse.name} ({muse.owner.username}) is in this import already.")
    entry = {"id": muse.pk, "name": muse.name, "writer": muse.owner.username}
    pending.muses = [*pending.muses, entry]
    pending.save(update_fields=["muses", "updated_at"])
    return pending


def posts_of_proposal(proposal: Proposal, muses: Sequence[Muse]) -> list[ImportedPost]:
    """The proposal's posts, ready to import; refuses when any post has no muse."""
    by_key = {str(m.pk): m for m in muses}
    missing = [n for n, p in enumerate(proposal.posts, start=1) if p.muse_key not in by_key]
    if missing:
        listed = ", ".join(str(n) for n in missing[:20])
        raise ValidationError(
            f"Tandem could not tell whose post {listed} {'is' if len(missing) == 1 else 'are'}; "
            "name every muse with --muse (nicknames on the muse help), or import on the web "
            "to correct it by hand."
        )
    return [
        ImportedPost(muse=by_key[p.muse_key], body=p.text, created_at=p.date)
        for p in proposal.posts
    ]


def _imported_posts(pending: PendingImport) -> list[ImportedPost]:
    muses = Muse.objects.in_bulk([m["id"] for m in pending.muses])
    posts, problems = [], []
    for number, post in enumerate(pending.posts, start=1):
        muse = muses.get(post["muse"]) if post["muse"] is not None else None
        if muse is None:
            problems.append(number)
            continue
        date = parse_datetime(post["date"]) if post.get("date") else None
        posts.append(ImportedPost(muse=muse, body=post["text"], created_at=date))
    if problems:
        listed = ", ".join(str(n) for n in problems)
        raise ValidationError(f"Choose whose post this is for post(s) {listed}.")
    return posts


def import_start(*, pending: PendingImport, actor: User) -> PendingImport:
    """Create the thread now, or queue it for the worker when the import is large."""
    _check_reviewer(pending, actor)
    _imported_posts(pending)  # refuse unattributed posts before anything is queued
    pending.total = len(pending.posts)
    if pending.total > settings.TANDEM_IMPORT_BACKGROUND_POSTS:
        pending.status = ImportStatus.QUEUED
        pending.save(update_fields=["status", "total", "updated_at"])
        from tandem.imports.tasks import run_import

        transaction.on_commit(lambda: run_import.enqueue(pending.pk))
        return pending
    pending.status = ImportStatus.IMPORTING
    pending.save(update_fields=["status", "total", "updated_at"])
    return import_run(pending)


def import_run(pending: PendingImport) -> PendingImport:
    """Create the thread of a started import, recording progress as it goes."""

    def progress(done: int, total: int) -> None:
        PendingImport.objects.filter(pk=pending.pk).update(done=done, total=total)

    try:
        thread = thread_import(
            owner=pending.owner,
            title=pending.title,
            posts=_imported_posts(pending),
            muses=list(Muse.objects.filter(pk__in=[m["id"] for m in pending.muses])),
            progress=progress,
        )
    except ValidationError as error:
        pending.status, pending.error = ImportStatus.FAILED, " ".join(error.messages)
        pending.save(update_fields=["status", "error", "updated_at"])
        return pending
    pending.status, pending.thread, pending.done = ImportStatus.DONE, thread, pending.total
    pending.save(update_fields=["status", "thread", "done", "updated_at"])
    if pending.tracked is not None:
        tracked_converted(tracked=pending.tracked, thread=thread)
    return pending


def import_claim(pending_id: int) -> PendingImport | None:
    """Take a queued import for this worker; None if another worker already has it."""
    claimed = PendingImport.objects.filter(pk=pending_id, status=ImportStatus.QUEUED).update(
        status=ImportStatus.IMPORTING
    )
    return PendingImport.objects.get(pk=pending_id) if claimed else None


def import_discard(*, pending: PendingImport, actor: User) -> None:
    _check_reviewer(pending, actor)
    pending.delete()


def _dates(posts: Sequence[ImportedPost], now: datetime) -> list[datetime]:
    """Each post's date: its own, else just after the one before (or now, if none was
    dated), so undated posts keep their order."""
    dates, previous = [], None
    for post in posts:
        if post.created_at is not None:
            previous = post.created_at
        elif previous is None:
            previous = now
        else:
            previous = previous + timedelta(microseconds=1)
        dates.append(previous)
    return dates


def thread_import(
    *,
    owner: User,
    title: str,
    posts: Sequence[ImportedPost],
    muses: Sequence[Muse] = (),
    visibility: str = Visibility.PRIVATE,
    progress: Progress | None = None,
    trust_owners: bool = False,
) -> Thread:
    """Create a private thread holding already-written posts, in order, with their dates.

    Every named muse takes part (in order of first posting; muses that never post last);
    the turn order and whose turn is next follow from the history as if the posts had been
    written here. Posts are rendered before the transaction, which then only inserts rows.

    Another writer's muse does not join without its writer's consent: it is stood in for by
    a placeholder muse of the importer's (same name), whose participant holds its posts, and
    its writer gets a claim (an invitation) to take them. Only ``trust_owners`` (the
    server's admin, ``tandem import --trust-owners``) puts the writers' own muses in at once.
    """
    title = title.strip()
    _validate_metadata({"title": title, "visibility": visibility})
    if not posts:
        raise ValidationError("There are no posts to import.")
    rendered = []
    total = len(posts)
    for number, post in enumerate(posts, start=1):
        try:
            body = _clean_body(post.body)
        except ValidationError as error:
            raise ValidationError(f"Post {number}: {' '.join(error.messages)}") from error
        html = markup.render_post(body)
        rendered.append((body, html, count_words(html)))
        if progress and (number % 25 == 0 or number == total):
            progress(number, total)

    order: list[Muse] = []
    for muse in [p.muse for p in posts] + list(muses):
        if muse not in order:
            order.append(muse)
    _check_muse_count(len(order))
    foreign = [m for m in order if m.owner_id != owner.pk and not trust_owners]
    if foreign and visibility != Visibility.PRIVATE:
        raise ValidationError(
            "An import naming other writers' muses stays private until they accept."
        )
    dates = _dates(posts, timezone.now())

    with transaction.atomic():
        thread = Thread.objects.create(
            owner=owner, title=title[:200], visibility=visibility, turn_mode=TurnMode.ORDERED
        )
        thread = _lock(thread)
        started = min(dates)
        Thread.objects.filter(pk=thread.pk).update(created_at=started)
        thread.created_at = started
        # Who stands for each named muse in the thread: itself, or the importer's placeholder.
        stand_in = {muse.pk: muse for muse in order}
        for muse in foreign:
            stand_in[muse.pk] = Muse.objects.create(
                owner=owner,
                name=muse.name,
                pronouns=muse.pronouns,
                accent_colour=muse.accent_colour,
                is_placeholder=True,
            )
        participants = {
            muse.pk: Participant.objects.create(
                thread=thread, muse=stand_in[muse.pk], writer_id=stand_in[muse.pk].owner_id
            )
            for muse in order
        }
        Participant.objects.filter(thread=thread).update(joined_at=started)
        new_posts = Post.objects.bulk_create(
            Post(
                thread=thread,
                number=number,
                participant=participants[post.muse.pk],
                muse=stand_in[post.muse.pk],
                author_id=stand_in[post.muse.pk].owner_id,
                body=body,
                body_html=html,
                renderer_version=markup.RENDERER_VERSION,
                word_count=words,
                created_at=date,
            )
            for number, (post, (body, html, words), date) in enumerate(
                zip(posts, rendered, dates, strict=True), start=1
            )
        )
        PostRevision.objects.bulk_create(
            PostRevision(
                post=post,
                number=1,
                body=post.body,
                word_count=post.word_count,
                created_at=post.created_at,
            )
            for post in new_posts
        )
        thread_recount_words(thread.pk)  # the directory sorts by it
        events = [
            TurnEvent(
                thread=thread,
                kind=TurnEventKind.JOIN,
                participant=participant,
                actor=owner,
                created_at=started,
            )
            for participant in participants.values()
        ] + [
            TurnEvent(
                thread=thread,
                kind=TurnEventKind.POST,
                participant=participants[post.muse.pk],
                actor_id=stand_in[post.muse.pk].owner_id,
                created_at=date,
            )
            for post, date in zip(posts, dates, strict=True)
        ]
        # A placeholder cannot write, so it steps out of the posting order once the history
        # is told, and the turn moves on to a muse that can; accepting the claim brings the
        # writer's muse back in (threads.services._claim_take).
        stepped_out = [participants[muse.pk] for muse in foreign]
        last = max(dates)
        events += [
            TurnEvent(
                thread=thread,
                kind=TurnEventKind.LEAVE,
                participant=participant,
                actor=owner,
                created_at=last,
            )
            for participant in stepped_out
        ]
        history_write(thread, events)
        Participant.objects.filter(pk__in=[p.pk for p in stepped_out]).update(
            left_at=last, position=None
        )
        # The writers wrote (and read) all of it already: nothing in it is unread for them.
        ThreadWriterState.objects.bulk_create(
            ThreadWriterState(thread=thread, writer_id=writer_id, last_read_number=len(posts))
            for writer_id in dict.fromkeys(stand_in[muse.pk].owner_id for muse in order)
        )
        for muse in foreign:
            claim = Invitation.objects.create(
                thread=thread,
                invitee_id=muse.owner_id,
                invited_by=owner,
                claim_muse=muse,
                claim_participant=participants[muse.pk],
            )
            # The one thing the import announces: the writer must hear they are asked.
            emit(ThreadEvent("invited", thread.pk, actor_id=owner.pk, invitation_id=claim.pk))
    return thread
