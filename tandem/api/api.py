"""``/api/v1/``: the same services and selectors as the pages, answered as JSON.

Every error has one shape, ``{"detail", "code", "fields"}`` (``schemas.Error``); a private
thread is a 404 to strangers exactly as its page is; unsafe methods need a read-and-write
token (or a signed-in session with its CSRF token).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.http.request import RawPostDataException
from django.utils import timezone
from ninja import NinjaAPI, Query, Status
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as InputError
from ninja.parser import Parser
from ninja.security import APIKeyCookie, HttpBearer

from tandem.api import schemas
from tandem.api.selectors import token_for
from tandem.core import limits
from tandem.exports.selectors import absolute_url
from tandem.moderation.selectors import mark_hidden_posts
from tandem.muses.models import Muse
from tandem.muses.selectors import muses_of_writer
from tandem.threads import selectors as thread_selectors
from tandem.threads import services as thread_services
from tandem.threads.forms import PostForm
from tandem.threads.models import Participant, Post, Thread
from tandem.threads.permissions import get_readable_thread
from tandem.threads.services.posts import NotYourTurn
from tandem.tracking import selectors as tracking_selectors
from tandem.tracking import services as tracking_services
from tandem.tracking.models import TrackedThread

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
POSTS_PAGE_MAX = 100


class ReadOnlyToken(Exception):
    pass


class BearerToken(HttpBearer):
    """``Authorization: Bearer tdm_…``: a personal access token."""

    def authenticate(self, request: HttpRequest, token: str):
        found = token_for(token)
        if found is None:
            return None
        if request.method not in SAFE_METHODS and not found.can_write:
            raise ReadOnlyToken()
        request.user = found.user
        request.api_token = found
        return found


class SignedIn(APIKeyCookie):
    """The site's own session cookie, with Django's CSRF check on unsafe methods."""

    param_name = settings.SESSION_COOKIE_NAME

    def authenticate(self, request: HttpRequest, key: str | None):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            return user
        return None


class ObjectBodies(Parser):
    """A request body is a JSON object. ninja's schemas read attributes of whatever they are
    given: a body of ``"AAA"`` filled a field called ``title`` with the string's own
    ``.title()`` (found by schemathesis). ninja answers a parser's error as a 400."""

    def parse_body(self, request: HttpRequest) -> dict:
        data = super().parse_body(request)
        if not isinstance(data, dict):
            raise ValueError("send a JSON object, {…}")
        return data


api = NinjaAPI(
    parser=ObjectBodies(),
    title="Tandem API",
    version="1",
    description="Whose turn it is, threads and posts, for scripts and tools. See docs/api.md.",
    urls_namespace="api-v1",
    auth=[BearerToken(), SignedIn()],
    docs_url="/docs",
    openapi_url="/openapi.json",
)

ERRORS = {
    400: schemas.Error,
    401: schemas.Error,
    403: schemas.Error,
    404: schemas.Error,
    409: schemas.Error,
    429: schemas.Error,
}

#: Codes for the errors django-ninja and Django answer themselves (a body that is not JSON,
#: a failed CSRF check on a signed-in session, a method an address does not take, a body
#: Django cannot parse, an unknown address, …), and what to say when their answer is a page
#: or a bare word rather than a sentence of ours.
HTTP_ERRORS: dict[int, tuple[str, str]] = {
    400: ("invalid", "The request could not be read."),
    401: ("unauthenticated", "Send a personal access token (Authorization: Bearer …) or sign in."),
    403: ("forbidden", "You may not do that."),
    404: ("not_found", "Not found."),
    405: ("method_not_allowed", "This address does not take that method."),
    413: ("too_large", "The request is too large."),
    429: ("rate_limited", "Too many requests: wait a little and try again."),
    503: ("unavailable", "Tandem cannot reach its database just now: try again in a minute."),
}
OTHER_ERROR = ("error", "Something went wrong on the server.")


def _error(
    request: HttpRequest, status: int, detail: str, code: str, fields: dict | None = None
) -> HttpResponse:
    return api.create_response(
        request, {"detail": detail, "code": code, "fields": fields or {}}, status=status
    )


@api.exception_handler(InputError)
def _invalid_input(request, error: InputError):
    fields: dict[str, list[str]] = {}
    for problem in error.errors:
        # ninja's location is (where, parameter, field…): ("body", "payload", "muse"),
        # ("query", "limit"). The field is what a caller can act on.
        where = [str(part) for part in problem.get("loc", ())]
        name = ".".join(where[2:] if where[:1] == ["body"] else where[1:])
        fields.setdefault(name or "request", []).append(problem.get("msg", "invalid"))
    return _error(request, 400, "Some of what was sent is not valid.", "invalid", fields)


@api.exception_handler(RawPostDataException)
def _not_json(request, error):
    # A multipart form: Django read it as a form before the API could read it as JSON.
    return _error(
        request, 400, "Send the body as JSON (Content-Type: application/json).", "invalid"
    )


@api.exception_handler(AuthenticationError)
def _unauthenticated(request, error):
    code, detail = HTTP_ERRORS[401]
    return _error(request, 401, detail, code)


@api.exception_handler(ReadOnlyToken)
def _read_only(request, error):
    return _error(
        request, 403, "This token is read only; make a read-and-write token.", "read_only"
    )


@api.exception_handler(Http404)
def _not_found(request, error):
    return _error(request, 404, "Not found.", "not_found")


@api.exception_handler(PermissionDenied)
def _denied(request, error):
    return _error(request, 403, str(error) or "You may not do that.", "forbidden")


@api.exception_handler(limits.RateLimited)
def _limited(request, error: limits.RateLimited):
    response = _error(request, 429, error.message, "rate_limited")
    response["Retry-After"] = str(error.retry_after)
    return response


@api.exception_handler(HttpError)
def _http_error(request, error: HttpError):
    code = HTTP_ERRORS.get(error.status_code, OTHER_ERROR)[0]
    detail = str(error)
    if isinstance(error.__cause__, ValueError):
        # ninja's "Cannot parse request body", with what was wrong with it (not JSON; JSON
        # but not an object): the caller's own input, worth telling them.
        detail = f"{detail}: {error.__cause__}."
    return _error(request, error.status_code, detail, code)


def as_error(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """An error Django or django-ninja answered with a page or plain text, in the API's one
    shape, keeping its status and the headers a client acts on (see ``middleware``)."""
    code, detail = HTTP_ERRORS.get(response.status_code, OTHER_ERROR)
    if response.status_code == 405 and response.has_header("Allow"):
        detail = f"This address takes {response['Allow']} only."
    converted = _error(request, response.status_code, detail, code)
    for header in ("Allow", "Retry-After"):
        if response.has_header(header):
            converted[header] = response[header]
    return converted


# ------------------------------------------------------------------ documents


def _thread_ref(thread: Thread) -> dict:
    return {
        "id": thread.public_id,
        "title": thread.title,
        "url": absolute_url(thread.get_absolute_url()),
    }


def _muse_ref(participant: Participant) -> dict:
    return {
        "id": participant.muse_id,
        "name": participant.muse.name,
        "writer": participant.writer.username,
    }


def _muse(muse: Muse) -> dict:
    return {
        "id": muse.pk,
        "name": muse.name,
        "pronouns": muse.pronouns,
        "fandom": muse.fandom,
        "archived": muse.is_archived,
        "url": absolute_url(muse.get_absolute_url()),
    }


def _entry(entry: thread_selectors.QueueEntry, now) -> dict:
    since = entry.waiting_since
    return {
        "thread": _thread_ref(entry.thread),
        "waiting_since": since,
        "waiting_seconds": int((now - since).total_seconds()) if since else None,
        "awaited": [_muse_ref(p) for p in entry.awaited],
        "my_muses": [_muse_ref(p) for p in entry.my_muses],
        "pinned": entry.is_pinned,
        "dormant": entry.is_dormant,
    }


def _post(post: Post) -> dict:
    removed = post.deleted_at is not None or (getattr(post, "moderated", False) and post.body == "")
    return {
        "number": post.number,
        "url": absolute_url(post.get_absolute_url()),
        "muse": {"id": post.muse_id, "name": post.muse.name, "writer": post.author.username},
        "body": "" if removed else post.body,
        "body_html": "" if removed else post.body_html,
        "words": 0 if removed else post.word_count,
        "created_at": post.created_at,
        "edited_at": post.edited_at,
        "removed": removed,
    }


def _tracked_items(request: HttpRequest, found: Iterable[TrackedThread]) -> list[dict]:
    """The writer's tracked threads as the API shows them, ``overdue`` worked out once."""
    now = timezone.now()
    found = list(found)
    tracking_selectors.mark_overdue(found, request.user, now)
    return [_tracked(t, now) for t in found]


def _tracked(tracked: TrackedThread, now) -> dict:
    """One tracked thread (``overdue`` set by ``tracking_selectors.mark_overdue``)."""
    return {
        "id": tracked.pk,
        "title": tracked.title,
        "url": tracked.url,
        "site": tracked.site,
        "partner": tracked.partner,
        "muse": {"id": tracked.muse_id, "name": tracked.muse.name} if tracked.muse else None,
        "tags": tracked.tag_list,
        "turn": tracked.turn,
        "turn_since": tracked.turn_since,
        "waiting_seconds": int((now - tracked.turn_since).total_seconds()),
        "remind_after_days": tracked.remind_after_days,
        "overdue": tracked.overdue,
        "archived": tracked.is_archived,
        "converted_to": tracked.converted_to.public_id if tracked.converted_to else None,
        "notes": tracked.notes,
    }


def form_refused(request: HttpRequest, form, detail: str) -> HttpResponse:
    """A page's form said no: a 400 with its errors per field (``__all__`` for the form)."""
    fields = {name: list(errors) for name, errors in form.errors.items()}
    return _error(request, 400, detail, "invalid", fields)


def _refused(request: HttpRequest, error: ValidationError) -> HttpResponse:
    fields = error.message_dict if hasattr(error, "error_dict") else {}
    return _error(request, 400, " ".join(error.messages), "refused", fields)


def _counted(request: HttpRequest) -> None:
    limits.hit(request, "api")


# ------------------------------------------------------------------ operations


@api.get("/me", response={200: schemas.Me, **ERRORS}, summary="Who the token belongs to")
def me(request):
    _counted(request)
    token = getattr(request, "api_token", None)
    return {
        "username": request.user.username,
        "display_name": request.user.display_name,
        "token_scope": token.scope if token else None,
    }


@api.get("/queue", response={200: schemas.Queue, **ERRORS}, summary="Whose turn it is")
def queue(request):
    """The writer's threads grouped as on their home page, oldest wait first."""
    _counted(request)
    now = timezone.now()
    found = thread_selectors.writer_queue(request.user, now=now)
    return {
        "your_turn": [_entry(e, now) for e in found.your_turn],
        "writing": [_entry(e, now) for e in found.writing],
        "waiting": [_entry(e, now) for e in found.waiting],
        "resting": [_entry(e, now) for e in found.resting],
        "muted": [_entry(e, now) for e in found.muted],
        "invitations": [
            {
                "thread": _thread_ref(i.thread),
                "invited_by": i.invited_by.username,
                "created_at": i.created_at,
            }
            for i in found.invitations
        ],
        "elsewhere": _tracked_items(request, tracking_selectors.tracked_of(request.user)),
    }


@api.get("/muses", response={200: schemas.MuseList, **ERRORS}, summary="Your muses")
def muse_list(request):
    """The token owner's muses, by name: where a script finds the id to post as."""
    _counted(request)
    return {"items": [_muse(m) for m in muses_of_writer(request.user)]}


@api.get("/threads/{thread_id}", response={200: schemas.Thread, **ERRORS}, summary="A thread")
def thread_detail(request, thread_id: str):
    _counted(request)
    return _thread(get_readable_thread(request.user, thread_id[:16]))


def _thread(thread: Thread) -> dict:
    active = thread_selectors.thread_participants(thread)
    return {
        **_thread_fields(thread),
        "summary": thread.summary,
        "awaited": [_muse_ref(p) for p in thread_selectors.awaited_participants(thread, active)],
        "participants": [_muse_ref(p) for p in active],
    }


def _thread_fields(thread: Thread) -> dict:
    """What a thread's document and a list of threads both say of it."""
    return {
        **_thread_ref(thread),
        "visibility": thread.visibility,
        "status": thread.status,
        "rating": thread.rating,
        "turn_mode": thread.turn_mode,
        "post_count": thread.post_count,
        "last_post_at": thread.last_post_at,
    }


@api.get(
    "/threads/{thread_id}/posts",
    response={200: schemas.PostPage, **ERRORS},
    summary="A thread's posts, in order",
)
def thread_posts(
    request,
    thread_id: str,
    after: int = Query(0, ge=0, description="Posts after this number."),
    limit: int = Query(50, ge=1, le=POSTS_PAGE_MAX),
):
    _counted(request)
    thread = get_readable_thread(request.user, thread_id[:16])
    posts = list(thread_selectors.thread_posts(thread).filter(number__gt=after)[: limit + 1])
    more = len(posts) > limit
    posts = posts[:limit]
    mark_hidden_posts(posts, request.user)
    return {
        "items": [_post(p) for p in posts],
        "next_after": posts[-1].number if more else None,
    }


@api.post(
    "/threads/{thread_id}/posts",
    response={201: schemas.Post, **ERRORS},
    summary="Post a reply, as the page does",
)
def thread_reply(request, thread_id: str, payload: schemas.PostIn):
    """Turns are honoured exactly as on the thread page (the same service): out of turn is
    a 409 that says whose turn it is. Sending the same ``submission_key`` again returns the
    post already made."""
    _counted(request)
    thread = get_readable_thread(request.user, thread_id[:16])
    muses = thread_selectors.writer_muses_in_thread(thread, request.user)
    if not muses:
        raise PermissionDenied("Only writers in this thread can post here.")
    form = PostForm(
        {"muse": payload.muse, "body": payload.body, "submission_key": payload.submission_key},
        muses=type(muses[0]).objects.filter(pk__in=[m.pk for m in muses]),
    )
    if not form.is_valid():
        return form_refused(request, form, "The reply was not posted.")
    limits.hit(request, "post")
    try:
        post = thread_services.post_create(
            thread=thread,
            writer=request.user,
            muse=form.cleaned_data["muse"],
            body=form.cleaned_data["body"],
            submission_key=form.cleaned_data.get("submission_key") or "",
        )
    except NotYourTurn as error:
        return _error(request, 409, str(error), "not_your_turn")
    except ValidationError as error:
        return _refused(request, error)
    return Status(201, _post(post))


# ---- threads kept elsewhere (issue 11, items 9–10): the writer's own, nobody else's


@api.get(
    "/tracked",
    response={200: schemas.TrackedList, **ERRORS},
    summary="Your threads kept elsewhere",
)
def tracked_list(request, archived: bool = Query(False, description="The archived ones.")):
    _counted(request)
    found = tracking_selectors.tracked_of(request.user, archived=archived)
    return {"items": _tracked_items(request, found)}


@api.post(
    "/tracked",
    response={201: schemas.TrackedThread, **ERRORS},
    summary="Track a thread kept elsewhere",
)
def tracked_create(request, payload: schemas.TrackedIn):
    _counted(request)
    try:
        tracked = tracking_services.tracked_create(
            writer=request.user,
            **payload.dict(exclude={"muse"}),
            muse=tracking_services.own_muse(request.user, payload.muse),
        )
    except ValidationError as error:
        return _refused(request, error)
    return Status(201, _tracked_items(request, [tracked])[0])


@api.post(
    "/tracked/{tracked_id}/turn",
    response={200: schemas.TrackedThread, **ERRORS},
    summary="Say whose turn it is in a thread kept elsewhere",
)
def tracked_turn(request, tracked_id: int, payload: schemas.TurnIn):
    """``theirs`` once you replied, ``mine`` once they did; the waiting time restarts only
    when the turn changes."""
    _counted(request)
    tracked = tracking_selectors.get_own_tracked(request.user, tracked_id)
    tracked = tracking_services.tracked_set_turn(tracked=tracked, turn=payload.turn)
    return _tracked_items(request, [tracked])[0]


# Notifications, search and exports (tandem/api/reading.py, which uses the helpers above).
api.add_router("", "tandem.api.reading.router")

# Muses, threads, invitations and changing posts (tandem/api/writing.py, the same way).
api.add_router("", "tandem.api.writing.router")
