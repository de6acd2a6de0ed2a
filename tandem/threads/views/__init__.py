"""The thread views, split by what they serve; ``urls.py`` and other callers import from here.

- ``queue``: the home page (the writer's queue) and a writer's own flags and reminders
- ``reading``: the thread page with its reply box, a post's permalink, the OOC talk
- ``live``: the fragments live updates fetch (a post, the turn banner, an OOC message)
- ``posts``: the composer's preview and autosave, editing, removing and restoring posts,
  revisions
- ``managing``: starting a thread, its settings page, invitations, participants, turn skips
- ``_common``: what several of them share (``_safe_next``, ``_error_text``, the reply box
  and the turn banner's context)

The public discovery pages (the directory, tag pages) are in ``tandem.threads.directory_views``.
The private helpers are re-exported too, so ``tandem.threads.views._safe_next`` and the like
keep working; a test that patches a name must patch it in the module that looks it up.
"""

from tandem.threads.views._common import (
    REMINDER_CHOICES,
    _error_text,
    _no_script_preview,
    _ooc_count,
    _reply_form,
    _safe_next,
    _turn_context,
)
from tandem.threads.views.live import (
    _AsSeenByPage,
    ooc_fragment,
    post_fragment,
    turn_fragment,
)
from tandem.threads.views.managing import (
    _back_to_settings,
    _invite_form,
    _settings_page,
    _thread_edit_form,
    invitation_respond,
    invitation_withdraw,
    participant_action,
    participant_add,
    thread_invite,
    thread_invite_suggestions,
    thread_new,
    thread_settings,
    turn_skip,
)
from tandem.threads.views.posts import (
    _own_post,
    composer_draft,
    composer_preview,
    post_delete,
    post_edit,
    post_restore,
    post_revision_restore,
    post_revisions,
)
from tandem.threads.views.queue import FLAG_ACTIONS, home, thread_flag, thread_reminder
from tandem.threads.views.reading import post_permalink, thread_detail, thread_ooc

__all__ = [
    "FLAG_ACTIONS",
    "REMINDER_CHOICES",
    "_AsSeenByPage",
    "_back_to_settings",
    "_error_text",
    "_invite_form",
    "_no_script_preview",
    "_ooc_count",
    "_own_post",
    "_reply_form",
    "_safe_next",
    "_settings_page",
    "_thread_edit_form",
    "_turn_context",
    "composer_draft",
    "composer_preview",
    "home",
    "invitation_respond",
    "invitation_withdraw",
    "ooc_fragment",
    "participant_action",
    "participant_add",
    "post_delete",
    "post_edit",
    "post_fragment",
    "post_permalink",
    "post_restore",
    "post_revision_restore",
    "post_revisions",
    "thread_detail",
    "thread_flag",
    "thread_invite",
    "thread_invite_suggestions",
    "thread_new",
    "thread_ooc",
    "thread_reminder",
    "thread_settings",
    "turn_fragment",
    "turn_skip",
]
