"""Writes for threads kept elsewhere. Every rule lives here; the pages, the API and the
spreadsheet import all call these.

- A writer keeps at most ``MAX_TRACKED_PER_WRITER`` tracked threads (archived ones count:
  they are rows all the same).
- A tracked thread is checked like any model (``full_clean``): a title, a valid http(s)
  link if any, lengths; its muse, if any, must be one of the writer's own.
- The site, when not given, is the link's host name.
- Flipping the turn restarts the waiting clock only when the turn really changes, so a
  double click does not reset how long a partner has kept the writer waiting.
- While it is the writer's turn, ``remind_at`` holds when to nudge them (their own
  "remind after" days, else their usual reminder); every write that can move it sets it
  again, so the scheduler finds what is due with one indexed query.
- A spreadsheet is imported row by row: each good row is saved (in its own savepoint), each
  bad one is reported with its line and why; one bad row never loses the others.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from tandem.accounts.models import User
from tandem.muses.models import Muse
from tandem.muses.selectors import muses_of_writer
from tandem.threads.models import Thread
from tandem.tracking import spreadsheet
from tandem.tracking.models import TrackedThread, Turn
from tandem.tracking.selectors import usual_reminder_days

MAX_TRACKED_PER_WRITER = 1000

#: What a writer may set on a tracked thread (the rest is the services' business).
EDITABLE = (
    "title",
    "url",
    "site",
    "partner",
    "muse",
    "tags",
    "turn",
    "remind_after_days",
    "notes",
)


class TooManyTracked(ValidationError):
    pass


def site_of(url: str) -> str:
    host = (urlsplit(url).hostname or "") if url else ""
    return host.removeprefix("www.")[:100]


def check_room(writer: User, adding: int = 1) -> None:
    """Refuse (``TooManyTracked``) if ``adding`` more would pass the writer's cap."""
    if TrackedThread.objects.filter(writer=writer).count() + adding > MAX_TRACKED_PER_WRITER:
        raise TooManyTracked(
            f"You already keep {MAX_TRACKED_PER_WRITER} threads elsewhere, the most allowed: "
            "delete some you no longer need first."
        )


def _check_muse(writer: User, muse: Muse | None) -> None:
    if muse is not None and (muse.owner_id != writer.pk or muse.is_placeholder):
        raise ValidationError({"muse": "Choose one of your own muses."})


def own_muse(writer: User, muse_id: int | None) -> Muse | None:
    """The writer's muse with this id (for the API, which names muses by id)."""
    if muse_id is None:
        return None
    muse = muses_of_writer(writer).filter(pk=muse_id).first()
    if muse is None:
        raise ValidationError({"muse": "Choose one of your own muses."})
    return muse


def _check_text(tracked: TrackedThread) -> None:
    # PostgreSQL refuses NUL characters in text; a form does too, the API and CSV must.
    for name in ("title", "url", "site", "partner", "tags", "notes"):
        if "\x00" in getattr(tracked, name):
            raise ValidationError({name: "Null characters are not allowed."})
    # The model's URL check also takes ftp:// links, which no browser opens any more.
    if tracked.url and urlsplit(tracked.url.strip()).scheme.lower() not in ("http", "https"):
        raise ValidationError({"url": "Give a web link, starting with https:// or http://."})


def _schedule(tracked: TrackedThread) -> None:
    tracked.remind_at = tracked.due_reminder(usual_reminder_days(tracked.writer))


def _save(tracked: TrackedThread) -> TrackedThread:
    _check_muse(tracked.writer, tracked.muse)
    _check_text(tracked)
    tracked.title = tracked.title.strip()
    if not tracked.site:
        tracked.site = site_of(tracked.url)
    tracked.full_clean()
    _schedule(tracked)
    tracked.save()
    return tracked


@transaction.atomic
def tracked_create(
    *,
    writer: User,
    title: str,
    url: str = "",
    site: str = "",
    partner: str = "",
    muse: Muse | None = None,
    tags: str = "",
    turn: str = Turn.MINE,
    remind_after_days: int | None = None,
    notes: str = "",
    archived: bool = False,
) -> TrackedThread:
    # Lock the writer's row so two imports at once cannot both pass the cap.
    User.objects.select_for_update().filter(pk=writer.pk).first()
    check_room(writer)
    now = timezone.now()
    return _save(
        TrackedThread(
            writer=writer,
            title=title,
            url=url.strip(),
            site=site.strip(),
            partner=partner.strip(),
            muse=muse,
            tags=tags.strip(),
            turn=turn,
            turn_since=now,
            remind_after_days=remind_after_days,
            notes=notes,
            archived_at=now if archived else None,
        )
    )


@transaction.atomic
def tracked_restore(tracked: TrackedThread) -> TrackedThread:
    """Save a tracked thread as a backup held it, its dates kept (``tracked_create`` starts
    the clocks now), through the same checks and reminder schedule as any other."""
    return _save(tracked)


@transaction.atomic
def tracked_update(*, tracked: TrackedThread, **changes) -> TrackedThread:
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise TypeError(f"Not editable: {sorted(unknown)}")
    turn = changes.pop("turn", tracked.turn)
    for name, value in changes.items():
        setattr(
            tracked, name, value.strip() if isinstance(value, str) and name != "notes" else value
        )
    _turn(tracked, turn)
    return _save(tracked)


def _turn(tracked: TrackedThread, turn: str, now: datetime | None = None) -> None:
    if turn != tracked.turn:
        tracked.turn = turn
        tracked.turn_since = now or timezone.now()


@transaction.atomic
def tracked_set_turn(*, tracked: TrackedThread, turn: str) -> TrackedThread:
    if turn not in Turn.values:
        raise ValidationError({"turn": "Say mine or theirs."})
    _turn(tracked, turn)
    _schedule(tracked)
    tracked.save(update_fields=["turn", "turn_since", "remind_at"])
    return tracked


def tracked_archive(*, tracked: TrackedThread, archived: bool = True) -> TrackedThread:
    if archived != tracked.is_archived:
        tracked.archived_at = timezone.now() if archived else None
        _schedule(tracked)
        tracked.save(update_fields=["archived_at", "remind_at"])
    return tracked


def reschedule_reminders(writer: User) -> int:
    """The writer changed their usual reminder: due dates for their tracked threads again."""
    usual_days = usual_reminder_days(writer)
    changed = []
    for tracked in TrackedThread.objects.filter(writer=writer, archived_at__isnull=True):
        due = tracked.due_reminder(usual_days)
        if due != tracked.remind_at:
            tracked.remind_at = due
            changed.append(tracked)
    TrackedThread.objects.bulk_update(changed, ["remind_at"], batch_size=200)
    return len(changed)


def tracked_converted(*, tracked: TrackedThread, thread: Thread) -> TrackedThread:
    """Its text became a Tandem thread: it is archived, with a link to where it lives now."""
    tracked.converted_to = thread
    tracked.archived_at = tracked.archived_at or timezone.now()
    _schedule(tracked)
    tracked.save(update_fields=["converted_to", "archived_at", "remind_at"])
    return tracked


def tracked_delete(*, tracked: TrackedThread) -> None:
    tracked.delete()


# ------------------------------------------------------------------ spreadsheets


@dataclass
class ImportReport:
    created: list[TrackedThread] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)  # (line, why)


def _reason(error: ValidationError) -> str:
    if not hasattr(error, "error_dict"):
        return " ".join(error.messages)
    labels = {f.name: str(f.verbose_name) for f in TrackedThread._meta.fields}
    return "; ".join(
        f"{labels.get(name, name)}: {' '.join(messages)}"
        if name != "__all__"
        else " ".join(messages)
        for name, messages in error.message_dict.items()
    )


def tracked_import(
    *, writer: User, sheet: spreadsheet.Sheet, mapping: dict[str, int]
) -> ImportReport:
    """Import each row of ``sheet`` as a tracked thread (row by row, see the module's doc)."""
    if "title" not in mapping:
        raise ValidationError("Choose which column holds the thread’s title.")
    muses = {m.name.strip().lower(): m for m in muses_of_writer(writer)}
    report = ImportReport()
    for number, (line, cells) in enumerate(sheet.rows):
        try:
            values = spreadsheet.row_values(cells, mapping)
            muse = None
            if values.muse:
                muse = muses.get(values.muse.lower())
                if muse is None:
                    raise spreadsheet.RowError(f"you have no muse called “{values.muse}”.")
            report.created.append(
                tracked_create(
                    writer=writer,
                    title=values.title,
                    url=values.url,
                    site=values.site,
                    partner=values.partner,
                    muse=muse,
                    tags=values.tags,
                    turn=values.turn,
                    remind_after_days=values.remind_after_days,
                    notes=values.notes,
                    archived=values.archived,
                )
            )
        except TooManyTracked as error:
            left = len(sheet.rows) - number
            report.errors.append((line, f"{_reason(error)} ({left} rows from here not imported)"))
            break
        except spreadsheet.RowError as error:
            report.errors.append((line, str(error)))
        except ValidationError as error:
            report.errors.append((line, _reason(error)))
    return report
