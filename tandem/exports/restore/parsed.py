"""What reading a file gives: its documents, every check passed, ready to write."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError

from tandem.exports.schema import (
    AccountDocument,
    ThreadDocument,
    ThreadStateRecord,
    TrackedRecord,
)

__all__ = [
    "BackupFile",
    "BackupThread",
    "RestoreError",
    "ThreadData",
    "ThreadFile",
    "sentence",
]


class RestoreError(ValueError):
    """A file that cannot be restored. The message says why, as a sentence."""


def sentence(error: ValidationError) -> str:
    """A Django validation error's messages, to follow "…: " in a ``RestoreError``."""
    return " ".join(error.messages)


@dataclass(frozen=True)
class ThreadData:
    """A thread document that passed every check (``tandem.exports.schema``)."""

    label: str  # what messages call it: "The thread file", or its path in a backup
    document: ThreadDocument


@dataclass(frozen=True)
class ThreadFile:
    """A ``tandem-thread`` document, read and checked."""

    thread: ThreadData

    def usernames(self) -> list[str]:
        return [writer.username for writer in self.thread.document.writers]


@dataclass(frozen=True)
class BackupThread:
    """One thread file of a backup with what account.json says about it."""

    file: str
    muses: dict[str, str]  # thread-local muse ref → backup-wide muse key
    state: ThreadStateRecord | None
    thread: ThreadData


@dataclass(frozen=True)
class BackupFile:
    """A ``tandem-backup`` zip, read and checked: every file matched its checksum, every
    key account.json uses is one it defines, every picture it names is a picture."""

    account: AccountDocument
    threads: list[BackupThread]
    media: dict[str, bytes] = field(repr=False)  # every file of the zip, by path

    @property
    def username(self) -> str:
        return self.account.profile.username

    def tracked(self) -> list[tuple[str, TrackedRecord]]:
        """The threads kept elsewhere, each with where it sits, for error messages."""
        return [
            (f"account.json, thread kept elsewhere {n}", item)
            for n, item in enumerate(self.account.tracked, 1)
        ]

    def usernames(self) -> list[str]:
        names = {self.username.lower(): self.username}
        for entry in self.threads:
            for writer in entry.thread.document.writers:
                names.setdefault(writer.username.lower(), writer.username)
        return list(names.values())
