import secrets

from django.conf import settings
from django.db import models
from django.db.models.functions import Coalesce, Lower
from django.urls import reverse


def new_public_id() -> str:
    # Thread URLs carry an unguessable id: an unlisted thread is readable by "anyone with
    # the link", and a private one's existence must not leak through counting ids.
    return secrets.token_urlsafe(9)


class Rating(models.TextChoices):
    NOT_RATED = "not_rated", "Not Rated"
    GENERAL = "general", "General Audiences"
    TEEN = "teen", "Teen And Up Audiences"
    MATURE = "mature", "Mature"
    EXPLICIT = "explicit", "Explicit"


class Warning(models.TextChoices):
    CHOSE_NOT_TO_WARN = "chose_not_to_warn", "Creator Chose Not To Use Archive Warnings"
    NONE_APPLY = "none_apply", "No Archive Warnings Apply"
    VIOLENCE = "violence", "Graphic Depictions Of Violence"
    DEATH = "death", "Major Character Death"
    NONCON = "noncon", "Rape/Non-Con"
    UNDERAGE = "underage", "Underage Sex"


class Visibility(models.TextChoices):
    PRIVATE = "private", "Private — participants only"
    UNLISTED = "unlisted", "Unlisted — anyone with the link"
    PUBLIC = "public", "Public — listed for everyone"


class Status(models.TextChoices):
    ACTIVE = "active", "Active"
    PAUSED = "paused", "Paused"
    COMPLETE = "complete", "Complete"
    ABANDONED = "abandoned", "Abandoned"


class TurnMode(models.TextChoices):
    ORDERED = "ordered", "Ordered — muses post in a set order"
    FREE = "free", "Free — anyone may post"


class TagCategory(models.TextChoices):
    # Archive-style tag kinds; rating and warnings stay fields of the thread.
    FANDOM = "fandom", "Fandom"
    RELATIONSHIP = "relationship", "Relationship"
    CHARACTER = "character", "Character"
    FREEFORM = "freeform", "Freeform"


class Tag(models.Model):
    name = models.CharField(max_length=100)
    # Every tag that predates categories became freeform (the field's default).
    category = models.CharField(max_length=16, choices=TagCategory, default=TagCategory.FREEFORM)
    # A synonym: staff merged this tag into ``canonical``. Threads point at the canonical
    # tag only, and a synonym typed later resolves to it.
    canonical = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="synonyms"
    )

    class Meta:
        ordering = ["category", "name"]
        constraints = [
            models.UniqueConstraint(
                "category", Lower("name"), name="threads_tag_category_name_ci_unique"
            )
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("tag-detail", args=[self.category, self.name])

    @property
    def is_synonym(self) -> bool:
        return self.canonical_id is not None


class Thread(models.Model):
    public_id = models.CharField(max_length=16, unique=True, default=new_public_id, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="owned_threads"
    )
    title = models.CharField(max_length=200)
    summary = models.TextField(max_length=5000, blank=True)
    rating = models.CharField(max_length=16, choices=Rating, default=Rating.NOT_RATED)
    warnings = models.JSONField(default=list, blank=True)
    tags = models.ManyToManyField(Tag, blank=True, related_name="threads")
    visibility = models.CharField(max_length=16, choices=Visibility, default=Visibility.PRIVATE)
    status = models.CharField(max_length=16, choices=Status, default=Status.ACTIVE)
    turn_mode = models.CharField(max_length=16, choices=TurnMode, default=TurnMode.ORDERED)
    created_at = models.DateTimeField(auto_now_add=True)

    # Turn state, derived from the turn events and cached here so the queue needs no
    # replay; always written in the transaction that records the event.
    next_participant = models.ForeignKey(
        "Participant", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_poster = models.ForeignKey(
        "Participant", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    turn_since = models.DateTimeField(null=True, blank=True)
    last_post_at = models.DateTimeField(null=True, blank=True, db_index=True)
    post_count = models.PositiveIntegerField(default=0)
    # Words in the thread's posts that are not removed; kept by the post services so the
    # directory can sort by it from an index.
    word_count = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [
            models.Index(fields=["visibility", "status", "last_post_at"]),
            # The directory's sorts over public threads, each served by an index in its own
            # order (the id breaks ties, so pages never overlap); see threads/directory.py.
            models.Index(
                models.F("visibility"),
                Coalesce("last_post_at", "created_at").desc(),
                models.F("id").desc(),
                name="threads_dir_active_idx",
            ),
            models.Index(fields=["visibility", "created_at", "id"], name="threads_dir_newest_idx"),
            models.Index(fields=["visibility", "word_count", "id"], name="threads_dir_words_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("thread-detail", args=[self.public_id])

    @property
    def is_ordered(self) -> bool:
        return self.turn_mode == TurnMode.ORDERED

    @property
    def is_open_for_posts(self) -> bool:
        return self.status == Status.ACTIVE

    @property
    def ordered_tags(self) -> list[Tag]:
        """The tags in an archive's reading order: fandoms, relationships, characters, then
        the rest; by name within each kind (uses prefetched tags when there are some)."""
        rank = {category: n for n, category in enumerate(TagCategory.values)}
        return sorted(self.tags.all(), key=lambda tag: (rank[tag.category], tag.name.lower()))

    @property
    def warning_labels(self) -> list[str]:
        labels = dict(Warning.choices)
        return [labels.get(value, value) for value in self.warnings]


class Participant(models.Model):
    """A muse taking part in a thread. Leaving keeps the row (posts point at it)."""

    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="participants")
    muse = models.ForeignKey("muses.Muse", on_delete=models.PROTECT, related_name="participations")
    # The muse's writer, kept here so turn and queue queries need no join through muses.
    writer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="participations"
    )
    position = models.PositiveIntegerField(null=True, blank=True)
    joined_at = models.DateTimeField(auto_now_add=True)
    left_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["thread", "muse"], name="threads_participant_unique"),
        ]
        indexes = [models.Index(fields=["writer", "left_at"])]

    def __str__(self) -> str:
        return f"{self.muse} in {self.thread}"

    @property
    def is_active(self) -> bool:
        return self.left_at is None


class InvitationStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"
    WITHDRAWN = "withdrawn", "Withdrawn"


class Invitation(models.Model):
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="invitations")
    invitee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="invitations"
    )
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    status = models.CharField(
        max_length=16, choices=InvitationStatus, default=InvitationStatus.PENDING
    )
    created_at = models.DateTimeField(auto_now_add=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    # A claim: an import named the invitee's muse. The imported posts sit with a placeholder
    # participant (the importer's) until the invitee accepts them for ``claim_muse``.
    claim_muse = models.ForeignKey(
        "muses.Muse", null=True, blank=True, on_delete=models.SET_NULL, related_name="claims"
    )
    claim_participant = models.ForeignKey(
        "Participant", null=True, blank=True, on_delete=models.CASCADE, related_name="claims"
    )

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["thread", "invitee"],
                condition=models.Q(status="pending", claim_participant__isnull=True),
                name="threads_one_pending_invitation",
            ),
            # One writer may be asked to claim several muses of one import, one claim each.
            models.UniqueConstraint(
                fields=["claim_participant"],
                condition=models.Q(status="pending"),
                name="threads_one_pending_claim",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.invitee} to {self.thread}"

    def get_absolute_url(self) -> str:
        return reverse("invitation-respond", args=[self.pk])

    @property
    def is_claim(self) -> bool:
        return self.claim_participant_id is not None

    @property
    def is_pending(self) -> bool:
        return self.status == InvitationStatus.PENDING


class Post(models.Model):
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="posts")
    number = models.PositiveIntegerField()
    participant = models.ForeignKey(Participant, on_delete=models.PROTECT, related_name="posts")
    muse = models.ForeignKey("muses.Muse", on_delete=models.PROTECT, related_name="posts")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="posts"
    )
    body = models.TextField()
    # The rendered HTML, cached; re-rendered on edit and when RENDERER_VERSION changes.
    body_html = models.TextField(blank=True)
    renderer_version = models.PositiveSmallIntegerField(default=0)
    icon = models.ForeignKey(
        "muses.MuseIcon", null=True, blank=True, on_delete=models.SET_NULL, related_name="posts"
    )
    word_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField()
    edited_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    # The reply form's one-time key: a resubmitted form (a retry after a timeout or a
    # crash) finds the post it already made instead of making a second one.
    submission_key = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        ordering = ["thread", "number"]
        indexes = [
            # Newest first across threads: search's candidates and the readers' feeds.
            models.Index(fields=["created_at", "id"], name="threads_post_newest_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["thread", "number"], name="threads_post_number_unique"),
            models.UniqueConstraint(
                fields=["author", "submission_key"],
                condition=~models.Q(submission_key=""),
                name="threads_post_submission_key_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.number} in {self.thread}"

    def get_absolute_url(self) -> str:
        return reverse("post-permalink", args=[self.thread.public_id, self.number])

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    @property
    def anchor(self) -> str:
        return f"post-{self.number}"


class PostRevision(models.Model):
    """Every version of a post's text, the first one included."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    body = models.TextField()
    word_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["post", "number"]
        constraints = [
            models.UniqueConstraint(fields=["post", "number"], name="threads_revision_unique")
        ]

    def __str__(self) -> str:
        return f"revision {self.number} of {self.post}"


class TurnEventKind(models.TextChoices):
    JOIN = "join", "joined"
    POST = "post", "posted"
    SKIP = "skip", "turn skipped"
    LEAVE = "leave", "left"
    REMOVE = "remove", "removed"
    REORDER = "reorder", "order changed"


class TurnEvent(models.Model):
    """The log the turn state is derived from. Never edited, only appended."""

    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="turn_events")
    kind = models.CharField(max_length=16, choices=TurnEventKind)
    participant = models.ForeignKey(
        Participant, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    order = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["thread", "pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} in {self.thread}"


class ThreadWriterState(models.Model):
    """One writer's private flags on one thread in their queue."""

    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="writer_states")
    writer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="thread_states"
    )
    is_writing = models.BooleanField(default=False)
    is_pinned = models.BooleanField(default=False)
    is_muted = models.BooleanField(default=False)
    # The highest post number this writer has had on screen.
    last_read_number = models.PositiveIntegerField(default=0)
    # Nudge after this many days of waiting on this writer (None: their default).
    remind_after_days = models.PositiveSmallIntegerField(null=True, blank=True)
    # When the next reminder falls due; set while the turn is theirs, cleared when it moves.
    remind_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["thread", "writer"], name="threads_writer_state_unique")
        ]

    def __str__(self) -> str:
        return f"{self.writer} on {self.thread}"


class OocMessage(models.Model):
    """Out-of-character talk beside the story: plotting, "sorry for the wait!". Never a turn."""

    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="ooc_messages")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="ooc_messages"
    )
    body = models.TextField(max_length=10_000)
    body_html = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["thread", "created_at", "pk"]
        indexes = [models.Index(fields=["thread", "created_at"])]

    def __str__(self) -> str:
        return f"OOC by {self.author} in {self.thread}"
