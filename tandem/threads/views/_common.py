"""What several of the thread views share; nothing here is a view.

``_safe_next`` and ``_error_text`` are how a form posted from one page sends the writer back
and says why nothing changed. The rest are pieces of the thread page that more than one view
renders: the reply box (``_reply_form``) for the page, its live turn fragment and autosave;
the no-script Preview (``_no_script_preview``) for the thread page and the post edit page;
and what the turn banner needs (``_turn_context``, ``_ooc_count``, ``REMINDER_CHOICES``) on
the page and in its live fragment.
"""

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme

from tandem.core import limits
from tandem.muses.selectors import muses_of_writer
from tandem.threads import selectors
from tandem.threads.forms import PostForm
from tandem.threads.permissions import is_owner, is_writer
from tandem.writing import services as writing
from tandem.writing.wordcount import count_words


def _safe_next(request: HttpRequest, default: str) -> str:
    """The ``next`` field if it points back into this site, else ``default``."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def _error_text(error: ValidationError | PermissionDenied) -> str:
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return str(error) or "You are not allowed to do that."


REMINDER_CHOICES = [1, 2, 3, 5, 7, 14, 30]


def _reply_form(request, thread, my_muses, data=None, draft=None):
    # An import's placeholder muse holds posts for another writer; nobody writes as it.
    my_muses = [m for m in my_muses if not m.is_placeholder]
    if not my_muses:
        return None
    muses = muses_of_writer(request.user).filter(pk__in=[m.pk for m in my_muses])
    initial = {"seen_post_count": thread.post_count}
    if (
        thread.is_ordered
        and thread.next_participant
        and thread.next_participant.writer_id == request.user.pk
    ):
        initial["muse"] = thread.next_participant.muse_id
    if draft is not None:
        # A saved draft comes back exactly as it was left, on any device.
        initial["body"] = draft.body
        if draft.muse_id and draft.muse_id in {m.pk for m in my_muses}:
            initial["muse"] = draft.muse_id
        initial["icon"] = draft.icon_id
    return PostForm(data, muses=muses, initial=initial)


def _no_script_preview(request: HttpRequest, form) -> dict:
    """The preview the composer's Preview button asks for, where JavaScript does not run.

    Rendered by the same code (and under the same rate limit) as the live preview; the
    form goes back to the page bound, so the text stays in the box.
    """
    body = form.data.get("body", "")
    refused = limits.refusal(request, "preview")
    if refused:
        return {"preview_refused": refused}
    if len(body) > settings.TANDEM_POST_MAX_CHARS:
        return {
            "preview_refused": f"This post is {len(body):,} characters; posts may be at most "
            f"{settings.TANDEM_POST_MAX_CHARS:,}, so there is no preview. Split it into two posts."
        }
    html = writing.render_body(body) if body.strip() else ""
    return {
        "preview_html": html or '<p class="muted">Nothing to preview yet.</p>',
        "initial_words": count_words(html),
    }


def _ooc_count(request: HttpRequest, thread) -> int:
    """How many OOC messages the thread has, for its writers (nobody else learns of them)."""
    return thread.ooc_messages.count() if is_writer(thread, request.user) else 0


def _turn_context(request: HttpRequest, thread, form, participants=None) -> dict:
    """What the turn banner and the reply box need, on the page and in its live fragment
    (``participants``: the thread's active ones, when the caller has read them already)."""
    if participants is None:
        participants = selectors.thread_participants(thread)
    awaited = selectors.awaited_participants(thread, participants)
    can_post_now = bool(
        form is not None
        and thread.is_open_for_posts
        and (not thread.is_ordered or any(p.writer_id == request.user.pk for p in awaited))
    )
    return {
        "thread": thread,
        "participants": participants,
        "awaited": awaited,
        "form": form,
        "can_post_now": can_post_now,
        "is_owner": is_owner(thread, request.user),
        # The preview can show dialogue in the colour of any muse the writer may post as.
        "composer_muses": list(form.fields["muse"].queryset) if form is not None else [],
        # Revisions and the Edit/Remove controls are for the thread's writers only.
        "is_writer": is_writer(thread, request.user),
    }


def _own_muses(request: HttpRequest, participants) -> list:
    """The reader's own muses among a thread's participants (none for a visitor)."""
    if not request.user.is_authenticated:
        return []
    return [p.muse for p in participants if p.writer_id == request.user.pk]
