"""Every write on threads, participants, turns and posts.

Each public function is one operation: it checks permission and input, changes state in
one transaction and keeps the cached turn state on the thread in step with the turn log.
The package is split by what is written; callers import from here.

- ``turn_state``: the turn log and the cached turn state (``_record``, ``history_write``)
- ``threads``: starting a thread and changing its details
- ``people``: invitations and import claims, muses joining and leaving, the posting order
- ``posts``: posting in turn, editing, revisions, removing and restoring
- ``reading``: a writer's queue flags, read position and OOC talk
- ``tags``: tag names per category, synonyms (staff merges), the thread's word total
"""

from tandem.threads.services.people import (
    MAX_PENDING_INVITATIONS,
    UNCLAIMED_SUFFIX,
    invitation_accept,
    invitation_create,
    invitation_decline,
    invitation_withdraw,
    participant_add_muse,
    participant_leave,
    participant_move,
    participants_reorder,
    turn_skip,
)
from tandem.threads.services.posts import (
    SUBMISSION_KEY_MAX,
    NotYourTurn,
    TurnTaken,
    _clean_body,
    post_create,
    post_delete,
    post_edit,
    post_restore,
    post_restore_revision,
    post_set_icon,
)
from tandem.threads.services.reading import (
    OOC_MAX_CHARS,
    ooc_post,
    read_position_advance,
    writer_state_set,
)
from tandem.threads.services.tags import (
    MAX_TAG_LENGTH,
    MAX_TAGS,
    TAG_FIELDS,
    normalise_tag,
    tag_merge,
    tag_names,
    tags_for,
    thread_add_words,
    thread_recount_words,
    thread_tags_by_category,
)
from tandem.threads.services.threads import (
    _validate_metadata,
    pending_claims,
    thread_create,
    thread_update,
)
from tandem.threads.services.turn_state import (
    _active_order,
    _lock,
    cached_turn_state,
    history_write,
    replayed_turn_state,
)

__all__ = [
    "MAX_PENDING_INVITATIONS",
    "MAX_TAGS",
    "MAX_TAG_LENGTH",
    "OOC_MAX_CHARS",
    "SUBMISSION_KEY_MAX",
    "TAG_FIELDS",
    "UNCLAIMED_SUFFIX",
    "NotYourTurn",
    "TurnTaken",
    "_active_order",
    "_clean_body",
    "_lock",
    "_validate_metadata",
    "cached_turn_state",
    "history_write",
    "invitation_accept",
    "invitation_create",
    "invitation_decline",
    "invitation_withdraw",
    "normalise_tag",
    "ooc_post",
    "participant_add_muse",
    "participant_leave",
    "participant_move",
    "participants_reorder",
    "pending_claims",
    "post_create",
    "post_delete",
    "post_edit",
    "post_restore",
    "post_restore_revision",
    "post_set_icon",
    "read_position_advance",
    "replayed_turn_state",
    "tag_merge",
    "tag_names",
    "tags_for",
    "thread_add_words",
    "thread_create",
    "thread_recount_words",
    "thread_tags_by_category",
    "thread_update",
    "turn_skip",
    "writer_state_set",
]
