"""One small world for the authorization matrix: a thread seen from every role.

Every piece of text that one role may see and another may not carries a marker
(``MK-<kind>-<visibility>``); the matrix looks for each marker in every response.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from tandem.accounts.models import User
from tandem.accounts.services import writer_sign_up
from tandem.blocks.services import block_writer
from tandem.exports.models import ExportJob, ExportStatus
from tandem.imports.models import PendingImport
from tandem.muses.models import Muse, MuseIcon
from tandem.muses.services import icon_add, muse_create
from tandem.notifications.models import Kind, Notification, Webhook
from tandem.notifications.webhooks import webhook_add
from tandem.threads import services
from tandem.threads.models import Invitation, Participant, Thread
from tandem.writing.services import draft_save

# "blocked": a writer the owner has blocked. They read what anyone may read by its link, but
# the owner's profile, muses and listed threads are hidden from them.
ROLES = (
    "anonymous",
    "stranger",
    "blocked",
    "invited",
    "participant",
    "former",
    "owner",
    "staff",
)
VISIBILITIES = ("private", "unlisted", "public")
PASSWORD = "correct-horse-battery-staple"

# What each marker stands for. The rules about who may see which live in matrix.py.
MARKER_KINDS = (
    "TITLE",  # thread title and summary
    "P1",  # the opening post, by the owner
    "P2",  # the participant's post as it reads now
    "P2OLD",  # an older revision of that post
    "FORMER",  # the former participant's own post, written before they left
    "AFTER",  # a post written after the former participant left
    "REMOVED",  # a post its writer removed
    "OOC",  # out-of-character talk, written after the former participant left
    "DRAFT",  # the participant's unsent draft
)


def marker(kind: str, visibility: str) -> str:
    return f"MK-{kind}-{visibility}"


def _png(colour: str = "#7a4ea3") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), colour).save(buffer, format="PNG")
    return SimpleUploadedFile("icon.png", buffer.getvalue(), content_type="image/png")


@dataclass
class World:
    visibility: str
    users: dict[str, User | None]
    muses: dict[str, Muse]
    spare_muses: dict[str, Muse]
    thread: Thread
    participant_row: Participant
    invitation: Invitation
    icon: MuseIcon
    pending_import: PendingImport
    export_job: ExportJob
    notification: Notification
    webhook: Webhook
    numbers: dict[str, int] = field(default_factory=dict)
    #: Each role's session key, made once: a request's savepoint rolls back whatever it
    #: does to the session (a log-out included), so every request starts signed in.
    sessions: dict[str, str] = field(default_factory=dict)

    def marker(self, kind: str) -> str:
        return marker(kind, self.visibility)


def build_world(visibility: str, *, webhooks_to: str | None = None) -> World:
    """Owner, participant and former participant write a thread; the former one leaves,
    the story goes on, a post is removed, OOC talk and a draft follow; a fourth writer holds
    a pending invitation, a fifth has nothing to do with it, a sixth is blocked by the owner,
    and one is staff.

    With ``webhooks_to``, every writer gets a webhook for every kind of news at
    ``<webhooks_to>/<username>`` before anything happens.
    """
    tag = visibility[:3]
    users: dict[str, User | None] = {"anonymous": None}
    for role in ROLES[1:]:
        users[role] = writer_sign_up(
            username=f"{role}-{tag}", email=f"{role}-{tag}@example.test", password=PASSWORD
        )
        if webhooks_to:
            webhook_add(
                writer=users[role],
                url=f"{webhooks_to}/{users[role].username}",
                kinds=list(Kind.values),
            )
    users["staff"].is_staff = True
    users["staff"].save(update_fields=["is_staff"])
    block_writer(blocker=users["owner"], blocked=users["blocked"])

    muses = {
        role: muse_create(owner=users[role], name=f"{role.title()} {tag}") for role in ROLES[1:]
    }
    spare = {role: muse_create(owner=users[role], name=f"Spare {role} {tag}") for role in ROLES[1:]}
    owner, participant, former = users["owner"], users["participant"], users["former"]
    thread = services.thread_create(
        owner=owner,
        muse=muses["owner"],
        title=f"Lanterns {marker('TITLE', visibility)}",
        summary=f"Two lamplighters and a debt. {marker('TITLE', visibility)}",
        visibility=visibility,
        turn_mode="ordered",
    )
    for role in ("participant", "former"):
        invitation = services.invitation_create(
            thread=thread, actor=owner, username=users[role].username
        )
        services.invitation_accept(invitation=invitation, writer=users[role], muse=muses[role])

    def post(role: str, kind: str, text: str):
        return services.post_create(
            thread=thread,
            writer=users[role],
            muse=muses[role],
            body=f"{text} {marker(kind, visibility)}",
        )

    numbers = {}
    numbers["P1"] = post("owner", "P1", "the lamps went out one by one along the quay.").number
    second = post("participant", "P2OLD", "she counted the coins twice & frowned.")
    services.post_edit(
        post=second,
        writer=participant,
        body=f"she counted the coins three times — and frowned. {marker('P2', visibility)}",
    )
    numbers["P2"] = second.number
    numbers["FORMER"] = post("former", "FORMER", "❛ you owe me a light, ❜ he said.").number
    former_row = thread.participants.get(writer=former)
    services.participant_leave(participant=former_row, actor=former)
    numbers["AFTER"] = post("owner", "AFTER", "the harbour bell rang after he had gone.").number
    removed = post("participant", "REMOVED", "a line she wished she had never written.")
    services.post_delete(post=removed, writer=participant)
    numbers["REMOVED"] = removed.number
    thread.refresh_from_db()
    services.ooc_post(
        thread=thread,
        writer=participant,
        body=f"plotting: the debt is fake {marker('OOC', visibility)}",
    )
    draft_save(
        writer=participant,
        thread=thread,
        body=f"half a reply, not for anyone yet {marker('DRAFT', visibility)}",
        muse=muses["participant"],
    )
    invitation = services.invitation_create(
        thread=thread, actor=owner, username=users["invited"].username
    )
    thread.refresh_from_db()

    icon = icon_add(muse=muses["owner"], writer=owner, image=_png(), keywords="lamp")
    pending = PendingImport.objects.create(
        owner=owner,
        title="An old thread",
        muses=[{"id": muses["owner"].pk, "name": muses["owner"].name, "writer": owner.username}],
        posts=[
            {
                "text": "imported words",
                "muse": muses["owner"].pk,
                "confidence": 1.0,
                "split_reason": "start",
                "split_confidence": 1.0,
                "named": [],
                "date": None,
            }
        ],
    )
    exports_dir = Path(settings.DATA_DIR) / "exports"
    exports_dir.mkdir(parents=True, exist_ok=True)
    (exports_dir / f"job-{tag}.md").write_text("# an owner's finished export\n")
    job = ExportJob.objects.create(
        owner=owner,
        thread=thread,
        format="md",
        status=ExportStatus.DONE,
        filename="lanterns.md",
        file_path=f"job-{tag}.md",
        finished_at=timezone.now(),
    )
    notification = Notification.objects.create(
        recipient=owner, kind=Kind.YOUR_TURN, thread=thread, text="Your turn.", url="/"
    )
    webhook = Webhook.objects.create(
        writer=owner, url="https://hooks.example.test/lanterns", kinds=["your_turn"], secret="s"
    )
    return World(
        visibility=visibility,
        users=users,
        muses=muses,
        spare_muses=spare,
        thread=thread,
        participant_row=thread.participants.get(writer=participant),
        invitation=invitation,
        icon=icon,
        pending_import=pending,
        export_job=job,
        notification=notification,
        webhook=webhook,
        numbers=numbers,
    )
