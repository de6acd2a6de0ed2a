"""Writing: a checked file into the database, in one transaction.

Writers that do not exist here get new accounts (the backup's owner with their profile and
preferences); fresh muses with their pictures; threads with their posts, revisions, turn
events and OOC talk; drafts, the writer's flags and their threads kept elsewhere. Rows are
written directly, keeping the file's dates, so restoring announces nothing -- no
notifications, no live updates. The turn state and posting positions come from a replay
of the turn log. Pictures saved before a failure are deleted again.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction

from tandem.accounts.models import User
from tandem.accounts.services import email_taken
from tandem.exports.archive import MUSE_FIELDS
from tandem.exports.restore.parsed import (
    BackupFile,
    RestoreError,
    ThreadData,
    ThreadFile,
    sentence,
)
from tandem.exports.restore.threads import ThreadWriter
from tandem.exports.restore.usernames import Account
from tandem.exports.schema import IconRecord, TrackedRecord
from tandem.muses.models import Muse, MuseIcon
from tandem.notifications.models import NotificationSettings
from tandem.threads.models import Thread, ThreadWriterState
from tandem.tracking import services as tracking
from tandem.tracking.models import TrackedThread
from tandem.writing import markup
from tandem.writing.models import Draft

__all__ = ["Progress", "RestoreReport", "Restorer"]

Progress = Callable[[int, int], None]


@dataclass
class RestoreReport:
    """What a restore created, for the CLI and the admin page to show."""

    users_created: list[str] = field(default_factory=list)
    users_attached: list[str] = field(default_factory=list)
    muses: int = 0
    threads: list[str] = field(default_factory=list)  # public ids, as restored
    posts: int = 0
    tracked: int = 0  # threads kept elsewhere
    # Old public id → new one, for threads whose id was already taken here.
    public_ids_changed: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        """What was restored, to follow "Restored: " on the page or the command line."""

        def plural(n: int, word: str) -> str:
            return f"{n:,} {word}{'' if n == 1 else 's'}"

        parts = [
            f"{plural(len(self.threads), 'thread')} with {plural(self.posts, 'post')} "
            f"and {plural(self.muses, 'muse')}."
        ]
        if self.tracked:
            parts.append(f"{plural(self.tracked, 'thread')} kept elsewhere.")
        if self.users_created:
            parts.append("New accounts: " + ", ".join(self.users_created) + ".")
        if self.users_attached:
            parts.append("Attached to existing accounts: " + ", ".join(self.users_attached) + ".")
        for old, new in self.public_ids_changed.items():
            parts.append(f"Thread {old} was restored as {new}, as {old} is taken here.")
        parts.extend(self.notes)
        return " ".join(parts)

    def summary(self) -> str:
        return f"Restored {self}"


class Restorer(ThreadWriter):
    """Restores one checked file; ``run`` does it all in one transaction or not at all."""

    def __init__(
        self, source: ThreadFile | BackupFile, accounts: list[Account], progress: Progress | None
    ):
        self.source = source
        self.accounts = accounts
        self.progress = progress
        self.report = RestoreReport()
        self.users: dict[str, User] = {}  # file username, lowercased → account here
        self.saved: list[tuple[Any, str]] = []  # stored pictures, deleted again on failure
        self.icons: dict[int, dict[str, MuseIcon]] = {}  # muse pk → keywords → first icon
        self.dropped_icons = 0
        threads = (
            [source.thread]
            if isinstance(source, ThreadFile)
            else [entry.thread for entry in source.threads]
        )
        # Render outside the transaction: it is the slow part and needs no database.
        self.html = {
            id(item): markup.render_post(item.body)
            for thread in threads
            for item in (*thread.document.posts, *thread.document.ooc)
        }

    # ------------------------------------------------------------------ plumbing

    def run(self) -> RestoreReport:
        try:
            with transaction.atomic():
                self._restore()
        except BaseException:
            for storage, name in self.saved:
                with contextlib.suppress(OSError):
                    storage.delete(name)
            raise
        return self.report

    def _user(self, username: str) -> User:
        return self.users[username.lower()]

    def _tick(self, done: int, total: int) -> None:
        if self.progress is not None:
            self.progress(done, total)

    def _store(self, field_file, path: str, data: bytes) -> None:
        suffix = PurePosixPath(path).suffix.lower()
        field_file.save(f"{uuid.uuid4().hex}{suffix}", ContentFile(data), save=False)
        self.saved.append((field_file.storage, field_file.name))

    # ------------------------------------------------------------------ accounts

    def _accounts(self, display_names: dict[str, str]) -> None:
        backup = self.source if isinstance(self.source, BackupFile) else None
        profile = backup.account.profile if backup else None
        preferences = backup.account.preferences if backup else None
        for account in self.accounts:
            if account.existing is not None:
                # Attaching: the account here stays exactly as it is.
                self.users[account.source.lower()] = account.existing
                self.report.users_attached.append(account.existing.username)
                continue
            user = User(
                username=account.target,
                display_name=display_names.get(account.source, ""),
                is_active=True,
            )
            # Restored writers sign in by resetting their password.
            user.set_unusable_password()
            if profile is not None and account.source == profile.username:
                user.email = "" if email_taken(profile.email) else profile.email
                for name in ("display_name", "first_name", "last_name", "time_zone", "bio"):
                    setattr(user, name, getattr(profile, name))
                user.theme, user.reading_font = preferences.theme, preferences.reading_font
                user.reading_size = preferences.reading_size
                user.date_joined = profile.date_joined
            try:
                user.full_clean(exclude=["password"])
            except ValidationError as error:
                raise RestoreError(
                    f"Cannot create the account “{account.target}”: {sentence(error)}"
                ) from None
            user.save()
            if profile is not None and account.source == profile.username:
                prefs = preferences.notifications
                if prefs is not None:
                    NotificationSettings.objects.create(
                        writer=user,
                        channels=prefs.channels,
                        daily_digest=prefs.daily_digest,
                        quiet_hours_start=prefs.quiet_hours_start,
                        quiet_hours_end=prefs.quiet_hours_end,
                        reminder_days=prefs.reminder_days,
                    )
            self.users[account.source.lower()] = user
            self.report.users_created.append(user.username)

    # ------------------------------------------------------------------ muses

    def _muse(self, owner: User, data, *, created_at=None, archived_at=None) -> Muse:
        muse = Muse(
            owner=owner,
            archived_at=archived_at,
            **{field: getattr(data, field) for field in MUSE_FIELDS},
        )
        muse.save()
        if created_at is not None:
            self._backdate(muse, created_at=created_at)
        self.icons[muse.pk] = {}
        self.report.muses += 1
        return muse

    def _pictures(self, muse: Muse, avatar: str | None, icons: list[IconRecord]) -> None:
        media = self.source.media
        if avatar is not None:
            self._store(muse.avatar, avatar, media[avatar])
            muse.save(update_fields=["avatar"])
        for item in icons:
            icon = MuseIcon(muse=muse, keywords=item.keywords)
            self._store(icon.image, item.image, media[item.image])
            icon.save()
            self._backdate(icon, created_at=item.created_at)
            self.icons[muse.pk].setdefault(icon.keywords, icon)

    # ------------------------------------------------------------------ the two kinds

    def _restore(self) -> None:
        if isinstance(self.source, ThreadFile):
            self._restore_thread_file(self.source.thread)
        else:
            self._restore_backup(self.source)
        if self.dropped_icons:
            self.report.notes.append(
                f"{self.dropped_icons:,} post(s) had chosen an icon the file carries no "
                "picture for; they show the muse's avatar instead."
            )

    def _restore_thread_file(self, data: ThreadData) -> None:
        document = data.document
        self._accounts({writer.username: writer.display_name for writer in document.writers})
        self._tick(0, 1)
        muses = {item.ref: self._muse(self._user(item.writer), item) for item in document.muses}
        self._thread(data, muses)
        self._tick(1, 1)

    def _restore_backup(self, backup: BackupFile) -> None:
        names = {}
        for entry in backup.threads:
            for writer in entry.thread.document.writers:
                names.setdefault(writer.username, writer.display_name)
        self._accounts(names)
        owner = self._user(backup.username)
        total = len(backup.threads)
        self._tick(0, total)

        by_key: dict[str, Muse] = {}
        for item in backup.account.muses:
            muse = self._muse(owner, item, created_at=item.created_at, archived_at=item.archived_at)
            self._pictures(muse, item.avatar, item.icons)
            by_key[item.key] = muse
        others = {item.key: item for item in backup.account.other_muses}

        threads: dict[str, Thread] = {}
        for done, entry in enumerate(backup.threads, start=1):
            muses = {}
            for data in entry.thread.document.muses:
                key = entry.muses[data.ref]
                if key not in by_key:
                    # A partner's muse, created once however many threads it is in.
                    muse = self._muse(self._user(data.writer), data)
                    self._pictures(muse, others[key].avatar, others[key].icons)
                    by_key[key] = muse
                muses[data.ref] = by_key[key]
            thread = self._thread(entry.thread, muses)
            threads[entry.file] = thread
            if entry.state is not None:
                ThreadWriterState.objects.create(
                    thread=thread,
                    writer=owner,
                    is_pinned=entry.state.is_pinned,
                    is_muted=entry.state.is_muted,
                    last_read_number=entry.state.last_read_number,
                    remind_after_days=entry.state.remind_after_days,
                )
            self._tick(done, total)

        for item in backup.account.drafts:
            muse = by_key[item.muse] if item.muse else None
            icon = self.icons.get(muse.pk, {}).get(item.icon) if muse and item.icon else None
            draft = Draft.objects.create(
                writer=owner, thread=threads[item.thread], muse=muse, icon=icon, body=item.body
            )
            self._backdate(draft, updated_at=item.updated_at)

        self._tracked(owner, backup.tracked(), by_key, threads)

    def _tracked(
        self,
        owner: User,
        items: list[tuple[str, TrackedRecord]],
        muses: dict[str, Muse],
        threads: dict[str, Thread],
    ) -> None:
        if not items:
            return
        # Lock the account as tracked_create does, so nothing else passes the cap meanwhile;
        # an attached account's own tracked threads count towards it too.
        User.objects.select_for_update().filter(pk=owner.pk).first()
        try:
            tracking.check_room(owner, len(items))
        except tracking.TooManyTracked:
            # Its message speaks to the writer; the admin needs the numbers.
            kept = TrackedThread.objects.filter(writer=owner).count()
            raise RestoreError(
                f"{owner.username} already keeps {kept:,} threads elsewhere; with the "
                f"backup's {len(items):,} that is more than the "
                f"{tracking.MAX_TRACKED_PER_WRITER:,} a writer may keep."
            ) from None
        for label, item in items:
            tracked = TrackedThread(
                writer=owner,
                title=item.title,
                url=item.url,
                site=item.site,
                partner=item.partner,
                muse=muses[item.muse] if item.muse else None,
                tags=item.tags,
                turn=item.turn,
                turn_since=item.turn_since,
                remind_after_days=item.remind_after_days,
                notes=item.notes,
                archived_at=item.archived_at,
                created_at=item.created_at,
                converted_to=threads[item.converted_to] if item.converted_to else None,
            )
            try:
                # The tracking services' own checks (own muse, no NUL, full_clean) and their
                # reminder schedule; tracked_create would start the clocks now instead of
                # keeping the file's dates.
                tracking.tracked_restore(tracked)
            except ValidationError as error:
                raise RestoreError(f"{label}: {sentence(error)}") from None
        self.report.tracked += len(items)
