"""Writing through ``/api/v1/`` (issue 11, item 1): muses, threads, invitations, and changing
one's own posts.

Each operation does what its page does, through the page's own form and service: the muse
form and ``muse_create``/``muse_update``; the new-thread form and ``thread_create``;
``invitation_create`` (which owns who may be invited, blocks included); ``post_edit`` (a
revision per change), ``post_delete`` and ``selectors.post_revisions_for``. Input is a JSON
object, checked first by its schema, then by the page's form (so NUL characters and the
pages' limits are refused alike); what the form refuses is a 400 naming the field, what the
service refuses a 400 ``refused`` (or the 403 of its ``PermissionDenied``). A thread the
caller may not read is a 404, as its page is.

The operations are registered on ``api`` in ``api.py`` and share its authentication (unsafe
methods need a read-and-write token), error handlers and error shape.
"""

from __future__ import annotations

from typing import Literal

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import File, Form, Query, Router, Status
from ninja.files import UploadedFile

from tandem.api import schemas
from tandem.api.api import (
    ERRORS,
    _counted,
    _muse,
    _muse_ref,
    _post,
    _refused,
    _thread,
    _thread_fields,
    _thread_ref,
    api,
    form_refused,
)
from tandem.core import limits
from tandem.exports.selectors import absolute_url
from tandem.muses.forms import IconForm, MuseForm
from tandem.muses.models import Muse, MuseIcon
from tandem.muses.selectors import muses_of_writer
from tandem.muses.services import (
    EDITABLE_FIELDS,
    icon_add,
    icon_delete,
    muse_create,
    muse_update,
)
from tandem.threads import selectors as thread_selectors
from tandem.threads import services as thread_services
from tandem.threads.forms import (
    InviteForm,
    PostEditForm,
    ThreadCreateForm,
    ThreadEditForm,
    thread_edit_values,
)
from tandem.threads.models import Participant, Post, Thread, Visibility
from tandem.threads.models import Status as ThreadStatus
from tandem.threads.permissions import get_readable_thread, is_owner

THREADS_PAGE_MAX = 100
StatusName = Literal[tuple(ThreadStatus.values)]
VisibilityName = Literal[tuple(Visibility.values)]

router = Router(tags=["writing"])


def _saved(request: HttpRequest, form: forms.Form, detail: str, save, status: int = 200):
    """Validate ``form``, then call ``save(cleaned_data)``; answer its result or the refusal."""
    if not form.is_valid():
        return form_refused(request, form, detail)
    try:
        document = save(form.cleaned_data)
    except ValidationError as error:
        return _refused(request, error)
    return Status(status, document)


# ------------------------------------------------------------------ muses


# On ``api`` itself: ``GET /muses`` is there, and an address lives in one router (in another
# router the same address would be a second URL pattern that never sees a POST).
@api.post("/muses", response={201: schemas.Muse, **ERRORS}, summary="Create a muse")
def muse_new(request, payload: schemas.MuseIn):
    """As the new-muse page, without a picture (add one on the muse's page)."""
    _counted(request)
    return _saved(
        request,
        MuseForm(payload.dict()),
        "The muse was not created.",
        lambda data: _muse(muse_create(owner=request.user, **_muse_fields(data))),
        201,
    )


@router.patch(
    "/muses/{muse_id}", response={200: schemas.Muse, **ERRORS}, summary="Change one of your muses"
)
def muse_change(request, muse_id: int, payload: schemas.MuseChange):
    """Only the fields sent change. Another writer's muse is a 404, as its edit page is."""
    _counted(request)
    muse = get_object_or_404(Muse, pk=muse_id, owner=request.user)
    data = {name: getattr(muse, name) for name in EDITABLE_FIELDS}
    data.update(payload.dict(exclude_unset=True))
    return _saved(
        request,
        MuseForm(data),
        "The muse was not changed.",
        lambda cleaned: _muse(muse_update(muse=muse, writer=request.user, **_muse_fields(cleaned))),
    )


ICONS_PATH = "/muses/{muse_id}/icons"


def _icon(icon: MuseIcon) -> dict:
    return {"id": icon.pk, "keywords": icon.keywords, "image_url": absolute_url(icon.image.url)}


def _own_muse(request: HttpRequest, muse_id: int) -> Muse:
    # Another writer's muse is a 404, as its icons page is.
    return get_object_or_404(Muse, pk=muse_id, owner=request.user)


@router.get(ICONS_PATH, response={200: schemas.IconList, **ERRORS}, summary="A muse's icons")
def icon_list(request, muse_id: int):
    _counted(request)
    return {"items": [_icon(icon) for icon in _own_muse(request, muse_id).icons.all()]}


@router.post(ICONS_PATH, response={201: schemas.Icon, **ERRORS}, summary="Add an icon")
def icon_new(request, muse_id: int, keywords: Form[str], image: File[UploadedFile]):
    """As the muse's icons page: a ``multipart/form-data`` upload (``image``: PNG, JPEG, GIF
    or WebP, at most 5 MB; ``keywords``), checked and resized by the same service."""
    _counted(request)
    muse = _own_muse(request, muse_id)
    form = IconForm({"keywords": keywords}, {"image": image})
    return _saved(
        request,
        form,
        "The icon was not added.",
        lambda cleaned: _icon(icon_add(muse=muse, writer=request.user, **cleaned)),
        201,
    )


@router.delete(ICONS_PATH + "/{icon_id}", response={204: None, **ERRORS}, summary="Remove an icon")
def icon_remove(request, muse_id: int, icon_id: int):
    _counted(request)
    icon = get_object_or_404(MuseIcon, pk=icon_id, muse=_own_muse(request, muse_id))
    icon_delete(icon=icon, writer=request.user)
    return Status(204, None)


def _muse_fields(cleaned: dict) -> dict:
    return {name: value for name, value in cleaned.items() if name in EDITABLE_FIELDS}


# ------------------------------------------------------------------ threads


def _writers_threads(user):
    """The threads the writer has a muse in, as their queue counts them."""
    mine = Participant.objects.filter(writer=user, left_at__isnull=True).values("thread_id")
    return Thread.objects.filter(pk__in=mine)


@router.get("/threads", response={200: schemas.ThreadPage, **ERRORS}, summary="Your threads")
def thread_list(
    request,
    status: StatusName | None = None,
    visibility: VisibilityName | None = None,
    cursor: int | None = Query(None, ge=1, description="next_cursor of the previous page."),
    limit: int = Query(50, ge=1, le=THREADS_PAGE_MAX),
):
    """The threads you write in, newest started first."""
    _counted(request)
    threads = _writers_threads(request.user).order_by("-pk")
    if status:
        threads = threads.filter(status=status)
    if visibility:
        threads = threads.filter(visibility=visibility)
    if cursor:
        threads = threads.filter(pk__lt=cursor)
    found = list(threads[: limit + 1])
    more = len(found) > limit
    found = found[:limit]
    return {
        "items": [{**_thread_fields(t), "created_at": t.created_at} for t in found],
        "next_cursor": found[-1].pk if more else None,
    }


@router.post("/threads", response={201: schemas.Thread, **ERRORS}, summary="Start a thread")
def thread_new(request, payload: schemas.ThreadIn):
    """As the new-thread page: with one of your muses (not archived) as its first writer."""
    _counted(request)
    limits.hit(request, "thread-create")
    data = payload.dict()
    for field in thread_services.TAG_FIELDS.values():
        data[field] = ",".join(data[field])
    form = ThreadCreateForm(data, muses=muses_of_writer(request.user, include_archived=False))
    return _saved(
        request,
        form,
        "The thread was not started.",
        lambda cleaned: _thread(thread_services.thread_create(owner=request.user, **cleaned)),
        201,
    )


# On ``api`` itself, beside ``GET /threads/{thread_id}`` (one address, one router).
@api.patch(
    "/threads/{thread_id}",
    response={200: schemas.Thread, **ERRORS},
    summary="Change a thread's details (its owner)",
)
def thread_change(request, thread_id: str, payload: schemas.ThreadChange):
    """As the thread's settings page: title, summary, rating, warnings, tags, visibility, turn
    order and status; only the fields sent change. Another writer in it gets a 403, anyone
    who may not read it a 404."""
    _counted(request)
    thread = get_readable_thread(request.user, thread_id)
    if not is_owner(thread, request.user):
        raise PermissionDenied("Only the thread's owner can change its details.")
    data = thread_edit_values(thread)
    for name, value in payload.dict(exclude_unset=True).items():
        if value is None:
            continue  # null means "leave it", as a field not sent does
        data[name] = ",".join(value) if name in thread_services.TAG_FIELDS.values() else value

    def save(cleaned: dict) -> dict:
        thread_services.thread_update(thread=thread, actor=request.user, **cleaned)
        return _thread(Thread.objects.get(pk=thread.pk))

    return _saved(request, ThreadEditForm(data), "The thread was not changed.", save)


@router.get(
    "/threads/{thread_id}/participants",
    response={200: schemas.ParticipantList, **ERRORS},
    summary="Who writes in a thread, in posting order",
)
def thread_people(request, thread_id: str):
    _counted(request)
    thread = get_readable_thread(request.user, thread_id[:16])
    active = thread_selectors.thread_participants(thread)
    awaited = {p.pk for p in thread_selectors.awaited_participants(thread, active)}
    return {
        "items": [
            {
                "muse": _muse_ref(p),
                "position": p.position,
                "joined_at": p.joined_at,
                "awaited": p.pk in awaited,
            }
            for p in active
        ]
    }


@router.post(
    "/threads/{thread_id}/invitations",
    response={201: schemas.SentInvitation, **ERRORS},
    summary="Invite a writer to your thread",
)
def thread_invitation(request, thread_id: str, payload: schemas.InvitationIn):
    """The thread's owner only (others: 403). A writer who blocked you or whom you blocked
    gets the same answer as a name nobody has, as on the thread's settings page."""
    _counted(request)
    thread = get_readable_thread(request.user, thread_id[:16])
    limits.hit(request, "invite")

    def invite(cleaned: dict) -> dict:
        invitation = thread_services.invitation_create(
            thread=thread, actor=request.user, username=cleaned["username"]
        )
        return {
            "id": invitation.pk,
            "thread": _thread_ref(thread),
            "invitee": invitation.invitee.username,
            "invited_by": request.user.username,
            "status": invitation.status,
            "created_at": invitation.created_at,
        }

    return _saved(request, InviteForm(payload.dict()), "Nobody was invited.", invite, 201)


# ------------------------------------------------------------------ posts


def _thread_post(request: HttpRequest, thread_id: str, number: int) -> Post:
    thread = get_readable_thread(request.user, thread_id[:16])
    return get_object_or_404(
        Post.objects.select_related("thread", "muse", "author"), thread=thread, number=number
    )


POST_PATH = "/threads/{thread_id}/posts/{number}"


@router.patch(POST_PATH, response={200: schemas.Post, **ERRORS}, summary="Edit your post")
def post_change(request, thread_id: str, number: int, payload: schemas.PostChange):
    """As the post's edit page: your own post, while you still write in the thread; the
    text it had is kept as a revision. A removed post must be restored first (400)."""
    _counted(request)
    post = _thread_post(request, thread_id, number)
    return _saved(
        request,
        PostEditForm(payload.dict()),
        "The post was not changed.",
        lambda cleaned: _post(
            thread_services.post_edit(post=post, writer=request.user, body=cleaned["body"])
        ),
    )


@router.delete(POST_PATH, response={200: schemas.Post, **ERRORS}, summary="Remove your post")
def post_remove(request, thread_id: str, number: int):
    """As the page's Remove: the post keeps its number and turn, shows as removed, and can be
    restored on the page for a while. Removing it again changes nothing."""
    _counted(request)
    post = _thread_post(request, thread_id, number)
    return _post(thread_services.post_delete(post=post, writer=request.user))


@router.get(
    POST_PATH + "/revisions",
    response={200: schemas.RevisionList, **ERRORS},
    summary="A post's earlier versions",
)
def post_history(request, thread_id: str, number: int):
    """For the thread's writers, as its revisions page (a removed post's: its writer only)."""
    _counted(request)
    post = _thread_post(request, thread_id, number)
    revisions = thread_selectors.post_revisions_for(post=post, reader=request.user)
    return {
        "items": [
            {"number": r.number, "body": r.body, "words": r.word_count, "created_at": r.created_at}
            for r in revisions
        ]
    }
