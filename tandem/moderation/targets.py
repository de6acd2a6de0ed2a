"""What a writer may report: only what they can see, with the same 404 as its own page.

A post or thread follows ``can_read`` (a private thread's post is a 404 to outsiders); a
muse or writer follows their profile page (a block hides them, a ban removes the writer,
moderators' hiding removes the muse). A report never reveals that something exists.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.http import Http404
from django.urls import reverse

from tandem.accounts.models import User
from tandem.blocks.selectors import is_blocked_between
from tandem.moderation.models import TargetKind
from tandem.moderation.selectors import is_hidden_muse, is_hidden_post, may_see_hidden
from tandem.muses.models import Muse
from tandem.threads.models import Post
from tandem.threads.permissions import get_readable_thread


@dataclass
class Reportable:
    kind: str
    obj: object
    label: str
    url: str
    owner_id: int | None


def post_label(post: Post) -> str:
    return f"post #{post.number} in “{post.thread.title}”"[:300]


def label_for(kind: str, obj) -> str:
    if kind == TargetKind.POST:
        return post_label(obj)
    if kind == TargetKind.THREAD:
        return f"thread “{obj.title}”"[:300]
    if kind == TargetKind.MUSE:
        return f"muse {obj.name}"[:300]
    return f"writer {obj.username}"


def reportable_post(user: User, public_id: str, number: int) -> Reportable:
    thread = get_readable_thread(user, public_id)
    post = (
        Post.objects.select_related("thread", "muse", "author")
        .filter(thread=thread, number=number)
        .first()
    )
    if post is None or post.is_deleted:
        raise Http404("No such post.")
    if is_hidden_post(post) and not may_see_hidden(user, post.author_id):
        raise Http404("No such post.")
    return Reportable(
        TargetKind.POST, post, post_label(post), post.get_absolute_url(), post.author_id
    )


def reportable_thread(user: User, public_id: str) -> Reportable:
    thread = get_readable_thread(user, public_id)
    return Reportable(
        TargetKind.THREAD,
        thread,
        label_for(TargetKind.THREAD, thread),
        thread.get_absolute_url(),
        thread.owner_id,
    )


def reportable_muse(user: User, pk: int) -> Reportable:
    muse = Muse.objects.select_related("owner").filter(pk=pk, is_placeholder=False).first()
    if (
        muse is None
        or is_blocked_between(user, muse.owner_id)
        or (is_hidden_muse(muse) and not may_see_hidden(user, muse.owner_id))
    ):
        raise Http404("No such muse.")
    return Reportable(
        TargetKind.MUSE,
        muse,
        label_for(TargetKind.MUSE, muse),
        muse.get_absolute_url(),
        muse.owner_id,
    )


def reportable_writer(user: User, username: str) -> Reportable:
    writer = User.objects.filter(username__iexact=username, is_active=True).first()
    if writer is None or is_blocked_between(user, writer):
        raise Http404("No such writer.")
    return Reportable(
        TargetKind.WRITER,
        writer,
        label_for(TargetKind.WRITER, writer),
        reverse("writer-profile", args=[writer.username]),
        writer.pk,
    )
