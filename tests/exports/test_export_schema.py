"""The JSON Schemas published in docs/export-schema.md are the ones the models generate.

restore validates thread JSON, and a backup's manifest.json and account.json, with the
pydantic models in tandem/exports/schema/; the doc has a section for each
(``PUBLISHED_SCHEMAS``: "JSON Schema" shows ``ThreadDocument.model_json_schema()``, "JSON
Schema of manifest.json" ``BackupManifest``'s, "JSON Schema of account.json"
``AccountDocument``'s). This test regenerates each schema and compares, so a change to the
models that is not published fails. To publish one: ``TANDEM_UPDATE_SCHEMA_DOC=1`` with this
test rewrites the doc's blocks.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from tandem.exports.archive import dump_json, thread_to_json
from tandem.exports.schema import PUBLISHED_SCHEMAS, ThreadDocument, json_schema_text

DOC = Path(__file__).resolve().parents[2] / "docs" / "export-schema.md"


def schema_block(heading: str) -> re.Pattern[str]:
    """The first ```json block after the section heading."""
    return re.compile(rf"(^## {re.escape(heading)}\n.*?^```json\n)(.*?)(^```$)", re.M | re.S)


def published_schema(heading: str = "JSON Schema") -> str:
    match = schema_block(heading).search(DOC.read_text(encoding="utf-8"))
    assert match, f"{DOC.name} has no “## {heading}” section with a ```json block"
    return match.group(2)


@pytest.mark.parametrize("heading", list(PUBLISHED_SCHEMAS))
def test_the_published_schema_is_the_generated_one(heading):
    generated = json_schema_text(PUBLISHED_SCHEMAS[heading]) + "\n"
    if os.environ.get("TANDEM_UPDATE_SCHEMA_DOC") == "1":
        text = DOC.read_text(encoding="utf-8")
        match = schema_block(heading).search(text)
        assert match, f"{DOC.name} has no “## {heading}” section with a ```json block"
        DOC.write_text(text[: match.start(2)] + generated + text[match.end(2) :], "utf-8")
    assert published_schema(heading) == generated, (
        f"docs/{DOC.name} is out of date with tandem/exports/schema/; run this test with "
        "TANDEM_UPDATE_SCHEMA_DOC=1 to publish the models' schema."
    )


def test_the_thread_schema_is_still_published_as_it_was():
    # The default of json_schema_text, for callers from before backups had models.
    assert json_schema_text() == json_schema_text(ThreadDocument)
    assert PUBLISHED_SCHEMAS["JSON Schema"] is ThreadDocument


def test_the_published_backup_schemas_are_json_with_every_part_of_a_document():
    manifest = json.loads(published_schema("JSON Schema of manifest.json"))
    assert manifest["title"] == "Tandem account backup: manifest.json"
    assert set(manifest["required"]) == {"format", "schema_version", "username", "files"}
    account = json.loads(published_schema("JSON Schema of account.json"))
    assert account["title"] == "Tandem account backup: account.json"
    assert set(account["required"]) == {
        "format",
        "schema_version",
        "profile",
        "preferences",
        "muses",
        "other_muses",
        "threads",
        "drafts",
        "tracked",
    }
    assert account["properties"]["tracked"]["maxItems"] == 1000


def test_the_published_schema_is_json_with_every_part_of_a_document():
    schema = json.loads(published_schema())
    assert schema["title"] == "Tandem thread JSON"
    assert set(schema["required"]) == {
        "format",
        "schema_version",
        "writers",
        "thread",
        "muses",
        "participants",
        "posts",
        "turn_events",
    }


def keys(value: object, path: str = "") -> set[str]:
    """Every key path in a JSON value (list items merged), free-form card data left out."""
    if isinstance(value, list):
        return {key for item in value for key in keys(item, f"{path}[]")}
    if isinstance(value, dict) and not path.endswith("card_data"):
        return {f"{path}.{k}" for k in value} | {
            key for k, item in value.items() for key in keys(item, f"{path}.{k}")
        }
    return set()


@pytest.mark.parametrize("include_ooc", [True, False])
def test_the_models_describe_exactly_what_an_export_writes(rich_story, include_ooc):
    data = json.loads(dump_json(thread_to_json(rich_story, include_ooc=include_ooc)))
    document = ThreadDocument.model_validate(data)
    # Unknown keys are ignored on reading, so a key archive.py wrote that no model has would
    # pass unseen: compare what the models kept with what was written.
    dumped = document.model_dump(mode="json", exclude_unset=True)
    assert keys(dumped) == keys(data)
    assert ("ooc" in data) is include_ooc
