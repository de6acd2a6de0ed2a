"""Posts: writing one in turn (once per reply form), editing, revisions, removal and
restoring.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from tandem.accounts.models import User
from tandem.moderation.selectors import check_not_suspended
from tandem.muses.models import Muse, MuseIcon
from tandem.threads.events import ThreadEvent, emit
from tandem.threads.models import (
    InvitationStatus,
    Post,
    PostRevision,
    Thread,
    ThreadWriterState,
    TurnEventKind,
)
from tandem.threads.permissions import is_writer
from tandem.threads.services.people import _active_participant
from tandem.threads.services.tags import thread_add_words
from tandem.threads.services.threads import _check_not_placeholder
from tandem.threads.services.turn_state import _lock, _record
from tandem.writing import markup
from tandem.writing.models import Draft
from tandem.writing.wordcount import count_words


class NotYourTurn(PermissionDenied):
    """An ordered thread refused a post from a muse whose turn it is not."""


class TurnTaken(NotYourTurn):
    """Somebody posted between the moment a writer loaded the page and their submit."""


def _clean_body(body: str) -> str:
    body = body.replace("\r\n", "\n").replace("\r", "\n")
    if not body.strip():
        raise ValidationError({"body": "A post needs some words."})
    limit = settings.TANDEM_POST_MAX_CHARS
    if len(body) > limit:
        raise ValidationError(
            {
                "body": f"This post is {len(body):,} characters; the limit is {limit:,}. "
                "Split it into two posts."
            }
        )
    return body.strip("\n")


def _rendered(body: str) -> tuple[str, int]:
    """The post's HTML and the number of words a reader sees in it."""
    html = markup.render_post(body)
    return html, count_words(html)


def _check_icon(icon: MuseIcon | None, muse: Muse) -> None:
    if icon is not None and icon.muse_id != muse.pk:
        raise ValidationError({"icon": f"That icon belongs to {icon.muse.name}, not {muse.name}."})


def _set_writing(thread: Thread, writer: User, value: bool) -> None:
    ThreadWriterState.objects.filter(thread=thread, writer=writer).update(is_writing=value)


def post_create(
    *,
    thread: Thread,
    writer: User,
    muse: Muse,
    body: str,
    seen_post_count: int | None = None,
    icon: MuseIcon | None = None,
    submission_key: str = "",
) -> Post:
    """Post as one of your muses. In ordered threads only the muse whose turn it is may post.

    ``seen_post_count`` is how many posts the writer saw when they started: if somebody
    posted since and the turn moved away, the refusal names who.

    ``submission_key`` is the reply form's one-time key: sending the same form again (a
    retry after a timeout or a crash, a double click) returns the post it already made,
    with no second post and no turn change. It is checked before the turn rules, since
    the first submission has moved the turn on.
    """
    check_not_suspended(writer)
    submission_key = (submission_key or "").strip()
    if len(submission_key) > SUBMISSION_KEY_MAX:
        raise ValidationError("This reply form is damaged; reload the page and post again.")
    if submission_key and (done := _already_submitted(thread, writer, submission_key)):
        return done
    body = _clean_body(body)
    # Render before taking the thread lock: the renderer is linear but not free on long posts.
    html, words = _rendered(body)
    try:
        return _post_insert(
            thread=thread,
            writer=writer,
            muse=muse,
            body=body,
            html=html,
            words=words,
            seen_post_count=seen_post_count,
            icon=icon,
            submission_key=submission_key,
        )
    except IntegrityError:
        # Two identical submissions raced past the first check: the unique constraint let
        # one in, and this one answers with it.
        if submission_key and (done := _already_submitted(thread, writer, submission_key)):
            return done
        raise


SUBMISSION_KEY_MAX = 64


def _already_submitted(thread: Thread, writer: User, key: str) -> Post | None:
    post = Post.objects.filter(author=writer, submission_key=key).select_related("muse").first()
    if post is not None and post.thread_id != thread.pk:
        raise ValidationError("This reply form was used in another thread; reload the page.")
    return post


def _post_insert(
    *,
    thread: Thread,
    writer: User,
    muse: Muse,
    body: str,
    html: str,
    words: int,
    seen_post_count: int | None,
    icon: MuseIcon | None,
    submission_key: str,
) -> Post:
    with transaction.atomic():
        thread = _lock(thread)
        if submission_key and (done := _already_submitted(thread, writer, submission_key)):
            return done  # the twin submission committed while this one waited for the lock
        if muse.owner_id != writer.pk:
            raise PermissionDenied("You can only post as your own muses.")
        _check_not_placeholder(muse)
        _check_icon(icon, muse)
        participant = _active_participant(thread, muse)
        if participant is None:
            raise PermissionDenied(f"{muse.name} is not taking part in this thread.")
        if not thread.is_open_for_posts:
            raise ValidationError(
                f"This thread is {thread.get_status_display().lower()}; it takes no new posts."
            )
        if thread.is_ordered and thread.next_participant_id != participant.pk:
            next_muse = Muse.objects.get(participations__pk=thread.next_participant_id)
            if seen_post_count is not None and thread.post_count > seen_post_count:
                latest = thread.posts.select_related("muse").order_by("-number").first()
                raise TurnTaken(
                    f"{latest.muse.name} has just posted, so it is now {next_muse.name}'s turn. "
                    "Your text is kept below."
                )
            raise NotYourTurn(f"It is {next_muse.name}'s turn, not {muse.name}'s.")
        now = timezone.now()
        post = Post.objects.create(
            thread=thread,
            number=thread.post_count + 1,
            participant=participant,
            muse=muse,
            icon=icon,
            author=writer,
            body=body,
            body_html=html,
            renderer_version=markup.RENDERER_VERSION,
            word_count=words,
            created_at=now,
            submission_key=submission_key,
        )
        PostRevision.objects.create(
            post=post, number=1, body=body, word_count=words, created_at=now
        )
        thread_add_words(thread.pk, words)
        _record(thread, TurnEventKind.POST, participant=participant, actor=writer, at=now)
        _set_writing(thread, writer, False)
        # The draft became the post.
        Draft.objects.filter(writer=writer, thread=thread).delete()
        emit(ThreadEvent("post_created", thread.pk, actor_id=writer.pk, post_id=post.pk))
        return post


def _check_author(post: Post, writer: User) -> None:
    if post.author_id != writer.pk:
        raise PermissionDenied("Only the post's writer can change it.")
    # A writer who left (or was removed) reads the thread like anyone outside it: their
    # posts stay as they were when they left.
    if not is_writer(post.thread, writer):
        raise PermissionDenied(
            "You are no longer writing in this thread, so your posts in it can no longer be "
            "edited, removed or restored."
        )
    # Posts waiting for another writer to claim them stay exactly as that writer is shown
    # them: an edit between their look and their "accept" would put words in their mouth.
    if (
        post.muse.is_placeholder
        and post.thread.invitations.filter(
            claim_participant_id=post.participant_id, status=InvitationStatus.PENDING
        ).exists()
    ):
        raise PermissionDenied(
            "This post waits for its writer to accept it, so it cannot be changed meanwhile."
        )


def post_edit(*, post: Post, writer: User, body: str) -> Post:
    """Change a post's text, keeping the previous text as a revision."""
    _check_author(post, writer)
    check_not_suspended(writer)
    body = _clean_body(body)
    html, words = _rendered(body)
    with transaction.atomic():
        post = Post.objects.select_for_update().get(pk=post.pk)
        if post.is_deleted:
            raise ValidationError("Restore this post before editing it.")
        if body == post.body:
            return post
        now = timezone.now()
        thread_add_words(post.thread_id, words - post.word_count)
        post.body = body
        post.body_html, post.word_count = html, words
        post.renderer_version = markup.RENDERER_VERSION
        post.edited_at = now
        post.save(
            update_fields=["body", "body_html", "renderer_version", "word_count", "edited_at"]
        )
        last = post.revisions.order_by("-number").values_list("number", flat=True).first() or 0
        PostRevision.objects.create(
            post=post, number=last + 1, body=body, word_count=post.word_count, created_at=now
        )
        _post_changed(post, writer)
        return post


def post_restore_revision(*, post: Post, writer: User, number: int) -> Post:
    """Bring back an older version's text; it becomes the newest revision."""
    _check_author(post, writer)
    revision = post.revisions.filter(number=number).first()
    if revision is None:
        raise ValidationError(f"Post #{post.number} has no revision {number}.")
    return post_edit(post=post, writer=writer, body=revision.body)


def post_set_icon(*, post: Post, writer: User, icon: MuseIcon | None) -> Post:
    _check_author(post, writer)
    _check_icon(icon, post.muse)
    post.icon = icon
    post.save(update_fields=["icon"])
    return post


def _post_changed(post: Post, writer: User) -> None:
    emit(ThreadEvent("post_changed", post.thread_id, actor_id=writer.pk, post_id=post.pk))


def post_delete(*, post: Post, writer: User) -> Post:
    """Soft-delete: the post shows as removed and its writer may restore it for a while.
    Its turn stays taken."""
    _check_author(post, writer)
    with transaction.atomic():
        # Only the request that actually removes it takes its words off the thread's total.
        now = timezone.now()
        if Post.objects.filter(pk=post.pk, deleted_at__isnull=True).update(deleted_at=now):
            post.deleted_at = now
            thread_add_words(post.thread_id, -post.word_count)
            _post_changed(post, writer)
    return post


def post_restore(*, post: Post, writer: User) -> Post:
    _check_author(post, writer)
    check_not_suspended(writer)
    if post.deleted_at is None:
        return post
    if timezone.now() - post.deleted_at > timedelta(days=settings.TANDEM_RESTORE_DAYS):
        raise ValidationError(
            f"Posts can be restored for {settings.TANDEM_RESTORE_DAYS} days after removal."
        )
    if not post.body.strip():
        # A removed post restored from another writer's export or backup arrives without
        # its text (only its writer's own backup keeps it): there is nothing to bring back.
        raise ValidationError(
            f"Post #{post.number} came from an export without its text, so it cannot be restored."
        )
    with transaction.atomic():
        if Post.objects.filter(pk=post.pk, deleted_at__isnull=False).update(deleted_at=None):
            thread_add_words(post.thread_id, post.word_count)
        post.deleted_at = None
    _post_changed(post, writer)
    return post
