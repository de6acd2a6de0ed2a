"""Tandem's restorable documents as pydantic models: the thread JSON
(``format: "tandem-thread"``) and an account backup's ``manifest.json``
(``"tandem-backup"``) and ``account.json`` (``"tandem-account"``).

One declaration serves three purposes: ``restore`` validates files through these models,
the JSON Schema published in docs/export-schema.md is generated from them (a test keeps the
two equal), and ``validation_problem`` turns pydantic's errors into the sentences an admin
reads ("The thread file, post #3: “word_count” should be a whole number.").

The models check shape and values: types, lengths (taken from the Django model fields the
values end up in, so a file is refused before the database would refuse it), choices and
dates. Every document first checks its ``format`` and ``schema_version``, so a file of
another kind or from a newer Tandem is refused with one sentence saying so. Whether
references point at something the document defines ("a post's muse is one of the file's
muses", "a muse's avatar is in the zip") is checked by ``restore`` after validation, on the
typed models.

Validation is strict -- ``"3"`` is not a number and ``1`` is not text -- as the reader was
before these models. Keys a model does not know are ignored, not refused: the version
policy promises that purely informational additions keep the schema version, so an older
reader must accept a newer file that carries them.

The package: ``common`` (the constrained value types and the ``_Record``/``_Document``
bases every model is built on), ``thread`` (the thread JSON), ``backup`` (the backup's
``manifest.json`` and ``account.json``), ``errors`` (``validation_problem``). The documents
docs/export-schema.md publishes (``PUBLISHED_SCHEMAS``, ``json_schema_text``) are here.
Import from ``tandem.exports.schema``, not from the modules.
"""

import json

from pydantic import BaseModel

from tandem.exports.schema.backup import (
    AccountDocument,
    BackupManifest,
    DraftRecord,
    IconRecord,
    ManifestFile,
    NotificationRecord,
    OtherMuseRecord,
    OwnMuseRecord,
    PreferencesRecord,
    ProfileRecord,
    ThreadEntry,
    ThreadStateRecord,
    TrackedRecord,
)
from tandem.exports.schema.common import MAX_INTEGER, MAX_NESTING, is_safe_path
from tandem.exports.schema.errors import validation_problem
from tandem.exports.schema.thread import (
    MuseFields,
    MuseRecord,
    OocRecord,
    ParticipantRecord,
    PostRecord,
    RevisionRecord,
    ThreadDocument,
    ThreadHead,
    TurnEventRecord,
    WriterRecord,
)

__all__ = [
    "MAX_INTEGER",
    "MAX_NESTING",
    "PUBLISHED_SCHEMAS",
    "AccountDocument",
    "BackupManifest",
    "DraftRecord",
    "IconRecord",
    "ManifestFile",
    "MuseFields",
    "MuseRecord",
    "NotificationRecord",
    "OocRecord",
    "OtherMuseRecord",
    "OwnMuseRecord",
    "ParticipantRecord",
    "PostRecord",
    "PreferencesRecord",
    "ProfileRecord",
    "RevisionRecord",
    "ThreadDocument",
    "ThreadEntry",
    "ThreadHead",
    "ThreadStateRecord",
    "TrackedRecord",
    "TurnEventRecord",
    "WriterRecord",
    "is_safe_path",
    "json_schema_text",
    "validation_problem",
]

#: The documents docs/export-schema.md publishes, by the heading of their section.
PUBLISHED_SCHEMAS: dict[str, type[BaseModel]] = {
    "JSON Schema": ThreadDocument,
    "JSON Schema of manifest.json": BackupManifest,
    "JSON Schema of account.json": AccountDocument,
}


def json_schema_text(model: type[BaseModel] = ThreadDocument) -> str:
    """The JSON Schema of a document as docs/export-schema.md publishes it."""
    return json.dumps(model.model_json_schema(), ensure_ascii=False, indent=2)
