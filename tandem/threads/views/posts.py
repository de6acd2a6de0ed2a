"""Writing and changing posts: the composer's preview and autosave, edits and revisions.

``composer_preview`` and ``composer_draft`` serve the reply box's script (the live preview
and word count, drafts kept as the writer types); the post itself is made by the thread page
(``reading.thread_detail``). A writer edits, removes and restores only their own posts, and
only while still writing in the thread (``_own_post``). ``post_revisions`` shows a word diff
between two revisions of a post, and ``post_revision_restore`` brings an older one back.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from tandem.core import limits
from tandem.threads import selectors, services
from tandem.threads.forms import PostEditForm, PreviewForm
from tandem.threads.models import Post
from tandem.threads.permissions import get_readable_thread, is_owner, is_participant, is_writer
from tandem.threads.views._common import _error_text, _no_script_preview, _reply_form
from tandem.writing import services as writing
from tandem.writing.diff import word_diff
from tandem.writing.selectors import draft_for
from tandem.writing.wordcount import count_words


@login_required
@require_POST
def composer_preview(request: HttpRequest, public_id: str) -> HttpResponse:
    """The composer's live preview and word count, rendered by the same code as posts.

    Only the thread's writers have a composer; rendering costs time, so nobody else may ask.
    """
    thread = get_readable_thread(request.user, public_id)
    if not is_participant(thread, request.user) and not is_owner(thread, request.user):
        raise PermissionDenied("Only writers in this thread can preview posts here.")
    limits.hit(request, "preview")
    form = PreviewForm(request.POST)
    body = form.data.get("body", "")
    limit = settings.TANDEM_POST_MAX_CHARS
    if len(body) > limit:
        # Rendering is the costly part: a body the post form would refuse is not rendered.
        return render(
            request,
            "threads/_preview.html",
            {
                "thread": thread,
                "preview_refused": f"This post is {len(body):,} characters; posts may be at "
                f"most {limit:,}, so there is no preview. Split it into two posts.",
                "word_count": 0,
                "chars": len(body),
            },
        )
    html = writing.render_body(body) if body.strip() else ""
    return render(
        request,
        "threads/_preview.html",
        {
            "thread": thread,
            "preview_html": html,
            "word_count": count_words(html),
            "chars": len(body),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def composer_draft(request: HttpRequest, public_id: str) -> HttpResponse:
    """Autosave: keep what the writer has typed. Answers JSON for the composer script.

    GET answers the draft held now, so a page rendered a moment before its last save landed
    can tell "the server has newer text than I was given" from "that text has gone since"."""
    thread = get_readable_thread(request.user, public_id)
    my_muses = selectors.writer_muses_in_thread(thread, request.user)
    data = request.POST if request.method == "POST" else None
    form = _reply_form(request, thread, my_muses, data)
    if form is None:
        return JsonResponse({"error": "Only writers in this thread keep drafts here."}, status=403)
    if request.method == "GET":
        held = draft_for(request.user, thread)
        if held is None:
            return JsonResponse({"body": "", "revision": 0})
        return JsonResponse({"body": held.body, "revision": held.revision})
    form.is_valid()  # muse and icon are optional here; the text is saved whatever it holds
    raw_revision = request.POST.get("revision", "").strip()
    if raw_revision and not (raw_revision.isascii() and raw_revision.isdigit()):
        return JsonResponse({"error": "That draft revision is not a number."}, status=400)
    try:
        draft = writing.draft_save(
            writer=request.user,
            thread=thread,
            body=request.POST.get("body", ""),
            muse=form.cleaned_data.get("muse"),
            icon=form.cleaned_data.get("icon"),
            revision=int(raw_revision) if raw_revision else None,
        )
    except writing.DraftConflict as conflict:
        # An older save arriving late: the newer draft stays, and the page is told which.
        return JsonResponse({"error": str(conflict), "revision": conflict.held}, status=409)
    except ValidationError as error:
        return JsonResponse({"error": _error_text(error)}, status=400)
    if draft is None:  # the text has just been posted
        return JsonResponse({"saved_at": None, "posted": True})
    return JsonResponse({"saved_at": draft.updated_at.isoformat(), "revision": draft.revision})


def _own_post(request, public_id: str, number: int) -> Post:
    thread = get_readable_thread(request.user, public_id)
    post = get_object_or_404(
        Post.objects.select_related("thread", "muse"), thread=thread, number=number
    )
    if post.author_id != request.user.pk:
        raise PermissionDenied("Only the post's writer can change it.")
    if not is_writer(thread, request.user):
        raise PermissionDenied(
            "You are no longer writing in this thread, so your posts in it can no longer be "
            "edited, removed or restored."
        )
    return post


@login_required
@require_http_methods(["GET", "POST"])
def post_edit(request: HttpRequest, public_id: str, number: int) -> HttpResponse:
    post = _own_post(request, public_id, number)
    form = PostEditForm(request.POST or None, initial={"body": post.body})
    form.fields["body"].widget.attrs.update({"data-composer": "body"})
    no_script_preview: dict = {}
    if request.method == "POST" and request.POST.get("preview"):
        no_script_preview = _no_script_preview(request, form)  # the Preview button
    elif request.method == "POST" and form.is_valid():
        try:
            services.post_edit(post=post, writer=request.user, body=form.cleaned_data["body"])
        except ValidationError as error:
            form.add_error(None, _error_text(error))
        else:
            messages.success(request, f"Post #{post.number} saved.")
            return redirect(post)
    return render(
        request,
        "threads/post_edit.html",
        {"post": post, "thread": post.thread, "form": form, **no_script_preview},
    )


@login_required
@require_POST
def post_delete(request: HttpRequest, public_id: str, number: int) -> HttpResponse:
    post = _own_post(request, public_id, number)
    services.post_delete(post=post, writer=request.user)
    messages.success(
        request,
        f"Post #{post.number} removed. You can restore it for {settings.TANDEM_RESTORE_DAYS} days.",
    )
    return redirect(post)


@login_required
@require_POST
def post_restore(request: HttpRequest, public_id: str, number: int) -> HttpResponse:
    post = _own_post(request, public_id, number)
    try:
        services.post_restore(post=post, writer=request.user)
    except ValidationError as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(request, f"Post #{post.number} restored.")
    return redirect(post)


def post_revisions(request: HttpRequest, public_id: str, number: int) -> HttpResponse:
    thread = get_readable_thread(request.user, public_id)
    post = get_object_or_404(Post.objects.select_related("muse"), thread=thread, number=number)
    revisions = selectors.post_revisions_for(post=post, reader=request.user)
    by_number = {r.number: r for r in revisions}

    def chosen(name: str, default: int) -> int:
        value = request.GET.get(name, "")
        return int(value) if value.isdigit() and int(value) in by_number else default

    newest = revisions[0].number
    older = chosen("from", max(1, newest - 1))
    newer = chosen("to", newest)
    diff_html = word_diff(by_number[older].body, by_number[newer].body)
    return render(
        request,
        "threads/post_revisions.html",
        {
            "thread": thread,
            "post": post,
            "revisions": revisions,
            "older": older,
            "newer": newer,
            "diff_html": diff_html,
            "is_author": post.author_id == request.user.pk,
        },
    )


@login_required
@require_POST
def post_revision_restore(
    request: HttpRequest, public_id: str, number: int, revision: int
) -> HttpResponse:
    post = _own_post(request, public_id, number)
    try:
        services.post_restore_revision(post=post, writer=request.user, number=revision)
    except ValidationError as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(request, f"Revision {revision} of post #{post.number} restored.")
    return redirect(post)
