"""Thread JSON: its shape, export → restore → export giving the same bytes, username rules,
and every kind of bad input refused with a sentence and nothing half-restored."""

from __future__ import annotations

import contextlib
import copy
import json
from datetime import UTC, datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tandem.accounts.models import User
from tandem.exports.archive import SCHEMA_VERSION, dump_json, thread_to_json
from tandem.exports.restore import RestoreError, ThreadFile, read_restore_file, restore
from tandem.exports.restore import reading as restore_module
from tandem.muses.models import Muse
from tandem.muses.services import icon_add
from tandem.threads.models import Participant, Post, Thread, TurnEvent
from tandem.threads.services import cached_turn_state, replayed_turn_state
from tests.exports.conftest import ODD_VALUES, json_paths, png, say, wipe_everything
from tests.fast_hashing import FAST_HASHERS

pytestmark = pytest.mark.django_db

STAMP = datetime(2025, 3, 4, 5, 6, 7, 891011, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _isolated(settings, tmp_path):
    settings.PASSWORD_HASHERS = FAST_HASHERS
    settings.MEDIA_ROOT = tmp_path / "media"


def exported(thread: Thread, **kwargs) -> bytes:
    return dump_json(thread_to_json(thread, exported_at=STAMP, **kwargs))


def counts() -> tuple[int, ...]:
    return (
        User.objects.count(),
        Muse.objects.count(),
        Thread.objects.count(),
        Post.objects.count(),
        TurnEvent.objects.count(),
    )


# ---------------------------------------------------------------------------- the document


def test_document_is_complete_and_free_of_database_ids(rich_story):
    data = thread_to_json(rich_story, exported_at=STAMP)

    assert data["format"] == "tandem-thread"
    assert data["schema_version"] == SCHEMA_VERSION == 1
    assert data["generator"] == "Tandem 0.1.0"
    assert data["exported_at"] == "2025-03-04T05:06:07.891011Z"
    head = data["thread"]
    assert head["public_id"] == rich_story.public_id
    assert head["title"] == "Café at the edge of the map ☕"
    assert head["tags"] == ["Café AU", "Fluff", "slow burn"]
    assert head["warnings"] == ["violence", "chose_not_to_warn"]
    assert (head["rating"], head["visibility"], head["status"], head["turn_mode"]) == (
        "teen",
        "unlisted",
        "active",
        "ordered",
    )
    assert head["owner"] == "alice"
    assert head["created_at"].endswith("Z")

    assert [m["ref"] for m in data["muses"]] == ["m1", "m2", "m3"]
    assert [m["name"] for m in data["muses"]] == ["Ivy", "Hale", "Wren"]
    wren = data["muses"][2]
    assert wren["writer"] == "cleo"
    assert wren["nicknames"] == "Wrennie, the Cartographer"
    assert wren["card_data"]["extensions"]["ünï"] == ["a", "ß"]
    assert [p["ref"] for p in data["participants"]] == ["p1", "p2", "p3"]
    assert data["participants"][2]["left_at"] is not None
    assert data["participants"][2]["position"] is None
    assert data["writers"] == [
        {"username": "alice", "display_name": "Alice Ångström"},
        {"username": "bram", "display_name": "Bram 🐻"},
        {"username": "cleo", "display_name": ""},
    ]

    first, second = data["posts"][0], data["posts"][1]
    assert [r["number"] for r in first["revisions"]] == [1, 2, 3, 4]
    assert first["revisions"][3]["body"] == first["revisions"][1]["body"] == first["body"]
    assert first["edited_at"] is not None
    assert second["deleted_at"] is not None
    assert (second["muse"], second["participant"], second["author"]) == ("m2", "p2", "bram")
    assert "body_html" not in first

    kinds = [e["kind"] for e in data["turn_events"]]
    assert kinds == [
        *("join", "join", "join", "post", "post", "post"),
        *("skip", "reorder", "leave", "post"),
    ]
    reorder = data["turn_events"][7]
    assert reorder["order"] == ["p3", "p2", "p1"]
    assert reorder["participant"] is None
    assert reorder["actor"] == "alice"
    assert [m["author"] for m in data["ooc"]] == ["bram", "cleo"]

    # No database ids anywhere: every reference is a ref, a username or a number.
    text = json.dumps(data)
    assert '"id"' not in text and '"pk"' not in text


def test_dump_json_is_canonical(rich_story):
    raw = exported(rich_story)
    assert raw.endswith(b"}\n")
    assert "Ångström".encode() in raw  # not \u-escaped
    data = json.loads(raw)
    assert raw == (json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode()
    assert exported(rich_story) == raw


def test_ooc_can_be_left_out(rich_story):
    assert "ooc" not in thread_to_json(rich_story, include_ooc=False)


# ---------------------------------------------------------------------------- round trips


def test_export_restore_export_is_byte_identical(rich_story, django_capture_on_commit_callbacks):
    before = exported(rich_story)
    public_id = rich_story.public_id
    wipe_everything()

    with django_capture_on_commit_callbacks() as callbacks:
        report = restore(before, actor=None)

    # Restoring is history: nothing is announced, nobody notified.
    assert callbacks == []
    thread = Thread.objects.get(public_id=public_id)
    assert exported(thread) == before
    assert report.threads == [public_id]
    assert report.public_ids_changed == {}
    assert sorted(report.users_created) == ["alice", "bram", "cleo"]
    assert report.users_attached == []
    assert (report.muses, report.posts) == (3, 4)
    assert "Restored 1 thread with 4 posts and 3 muses." in report.summary()

    # The cached turn state is what the log replays to, and the HTML is rendered again.
    assert cached_turn_state(thread) == replayed_turn_state(thread)
    assert thread.last_post_at == thread.posts.order_by("-number").first().created_at
    post = thread.posts.get(number=4)
    assert "<blockquote>" in post.body_html and "<code>code</code>" in post.body_html
    assert thread.posts.get(number=1).revisions.count() == 4
    # The removed post came over as a placeholder: its place and number, not its words.
    removed = thread.posts.get(number=2)
    assert removed.is_deleted and removed.body == "" and not removed.revisions.exists()

    alice = User.objects.get(username="alice")
    assert alice.is_active and not alice.has_usable_password()
    assert alice.display_name == "Alice Ångström"
    # Thread files carry no email addresses.
    assert alice.email == ""


def test_restore_under_new_usernames_next_to_the_originals(rich_story):
    before = exported(rich_story)
    mapping = {"alice": "alice_r", "bram": "bram_r", "cleo": "cleo_r"}

    report = restore(before, actor=None, username_map=mapping)

    new_id = report.public_ids_changed[rich_story.public_id]
    copy = Thread.objects.get(public_id=new_id)
    assert copy.pk != rich_story.pk
    after = exported(copy).decode()
    for old, new in [*mapping.items(), (rich_story.public_id, new_id)]:
        after = after.replace(f'"{new}"', f'"{old}"')
    assert after.encode() == before
    assert Muse.objects.filter(owner__username="alice_r").count() == 1
    assert cached_turn_state(copy) == replayed_turn_state(copy)


def test_restore_by_path_and_by_file_object(rich_story, tmp_path):
    path = tmp_path / "thread.json"
    path.write_bytes(exported(rich_story))
    mapping = {"alice": "a2", "bram": "b2", "cleo": "c2"}
    assert isinstance(read_restore_file(path), ThreadFile)
    assert isinstance(read_restore_file(str(path)), ThreadFile)
    restore(path, actor=None, username_map=mapping)
    with path.open("rb") as handle:
        restore(handle, actor=None, username_map={k: v + "x" for k, v in mapping.items()})
    assert Thread.objects.count() == 3


def test_a_standalone_thread_file_cannot_carry_icons(rich_story, ivy, writer_a):
    icon = icon_add(muse=ivy, writer=writer_a, image=png(), keywords="smiling")
    rich_story.refresh_from_db()
    nxt = rich_story.participants.get(pk=rich_story.next_participant_id).muse
    if nxt != ivy:
        say(rich_story, nxt, "Your turn, Ivy.")
    post = say(rich_story, ivy, "She smiled.", icon=icon)
    data = thread_to_json(rich_story)
    assert data["posts"][-1]["icon"] == "smiling"
    wipe_everything()

    report = restore(dump_json(data), actor=None)

    restored = Post.objects.get(thread__public_id=rich_story.public_id, number=post.number)
    assert restored.icon is None
    assert "1 post(s) had chosen an icon" in report.summary()


# ---------------------------------------------------------------------------- usernames


def test_existing_usernames_are_refused_unless_mapped(rich_story):
    before = counts()
    with pytest.raises(RestoreError) as error:
        restore(exported(rich_story), actor=None)
    assert str(error.value) == (
        "These usernames already exist here: alice, bram, cleo. Map them to new names "
        "(--map alice=alice2) or, to attach to the existing accounts, map them to "
        "themselves (--map alice=alice)."
    )
    assert counts() == before


def test_one_clash_gets_a_singular_message(rich_story):
    with pytest.raises(RestoreError, match=r"^This username already exists here: cleo\."):
        restore(exported(rich_story), actor=None, username_map={"alice": "a2", "bram": "b2"})


def test_mapping_to_an_existing_account_attaches_without_touching_it(rich_story, writer_a):
    writer_a.bio = "My own bio."
    writer_a.theme = "dark"
    writer_a.save()
    muses_before = list(writer_a.muses.values_list("pk", "name", "bio"))
    password = User.objects.get(pk=writer_a.pk).password

    report = restore(
        exported(rich_story),
        actor=None,
        username_map={"ALICE": "alice", "bram": "bram2", "cleo": "cleo2"},
        trust_owners=True,  # attaching to an existing account needs it (issue 9)
    )

    alice = User.objects.get(pk=writer_a.pk)
    assert report.users_attached == ["alice"]
    assert sorted(report.users_created) == ["bram2", "cleo2"]
    assert (alice.bio, alice.theme, alice.display_name) == ("My own bio.", "dark", "Alice Ångström")
    assert alice.password == password and alice.email == "alice@example.test"
    # Her muses are all still there, unchanged; the restored thread got a fresh Ivy.
    kept = list(alice.muses.filter(pk__in=[pk for pk, *_ in muses_before]).values_list())
    assert len(kept) == len(muses_before)
    copy = Thread.objects.get(public_id=report.threads[0])
    assert copy.owner == alice
    fresh = copy.participants.get(muse__name="Ivy").muse
    assert fresh.owner == alice and fresh.pk not in [pk for pk, *_ in muses_before]


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        ({"zed": "z2"}, "The username map names zed, who is not in this file."),
        (
            {"alice": "same", "bram": "same", "cleo": "c2"},
            "Both alice and bram would become same",
        ),
        ({"alice": "not a name!", "bram": "b2", "cleo": "c2"}, "cannot be a username"),
        ({"alice": "", "bram": "b2", "cleo": "c2"}, "needs a name on both sides"),
    ],
)
def test_bad_mappings_are_refused(rich_story, mapping, message):
    before = counts()
    with pytest.raises(RestoreError, match=message):
        restore(exported(rich_story), actor=None, username_map=mapping)
    assert counts() == before


def test_only_admins_may_restore(rich_story, writer_b, make_writer):
    data = exported(rich_story)
    with pytest.raises(PermissionDenied):
        restore(data, actor=writer_b, username_map={"alice": "x", "bram": "y", "cleo": "z"})
    admin = make_writer("root")
    admin.is_staff = True
    admin.save()
    report = restore(data, actor=admin, username_map={"alice": "x", "bram": "y", "cleo": "z"})
    assert report.threads


# ---------------------------------------------------------------------------- bad input


def refused(raw: bytes, match: str) -> None:
    before = counts()
    with pytest.raises(RestoreError, match=match):
        restore(raw, actor=None)
    assert counts() == before


def edited(thread: Thread, change) -> bytes:
    data = thread_to_json(thread, exported_at=STAMP)
    change(data)
    # ASCII-escaped, so lone surrogates and infinities survive into the file.
    return json.dumps(data).encode()


def test_a_newer_schema_is_refused_with_the_upgrade_sentence(rich_story):
    raw = edited(rich_story, lambda d: d.update(schema_version=3))
    with pytest.raises(RestoreError) as error:
        read_restore_file(raw)
    assert str(error.value) == (
        "This file was written by a newer Tandem (schema 3); this instance reads schema 1. "
        "Upgrade Tandem to restore it."
    )


@pytest.mark.parametrize(
    ("raw", "match"),
    [
        (b"", "is empty"),
        (b'{"title": "x"}', "not a Tandem file"),
        (b"[1, 2]", "not a Tandem file"),
        (b'{"format": "ao3-work", "schema_version": 1}', "its format is “ao3-work”"),
        (b'{"format": "tandem-backup", "schema_version": 1}', "restore the whole backup .zip"),
        (b'{"format": "tandem-thread", "schema_version": "1"}', "no valid “schema_version”"),
        (b'{\n  "format": "tandem-thread",\n  "schema_version": 1,\n}', "line 4, column 1"),
        (b'{"format": "tandem-thread\xff"}', "not UTF-8"),
        (b"[" * 100_000 + b"]" * 100_000, "nests too deeply|not a Tandem file"),
        (b'{"format": "tandem-thread", "schema_version": 1}', "has no “writers”"),
    ],
)
def test_files_that_are_not_thread_exports_are_refused(db, raw, match):
    refused(raw, match)


def test_malformed_json_names_line_and_column(rich_story):
    raw = exported(rich_story).replace(b'"posts": [', b'"posts": [,', 1)
    line = raw[: raw.index(b'"posts": [,')].count(b"\n") + 1
    refused(raw, rf"not valid JSON: Expecting value at line {line}, column \d+\.")


def deep(levels: int) -> dict:
    value: dict = {}
    for _ in range(levels):
        value = {"a": value}
    return value


@pytest.mark.parametrize(
    ("change", "match"),
    [
        (
            lambda d: d["posts"][1].update(muse="m9"),
            r"post #2 refers to muse “m9”, which the file does not list",
        ),
        (
            lambda d: d["posts"][0].update(author="nobody"),
            r"post #1: writer “nobody” is not listed",
        ),
        (
            lambda d: d["turn_events"][7].update(order=["p1", "p7"]),
            r"names participant “p7”",
        ),
        (lambda d: d["posts"][1].update(number=1), r"post number “1” appears twice"),
        (lambda d: d["thread"].update(rating="nc17"), r"“rating” should be one of"),
        (lambda d: d["thread"].update(warnings=["spoilers"]), r"unknown warning “spoilers”"),
        (lambda d: d["thread"].update(title=""), r"“title” is empty"),
        (lambda d: d["thread"].update(title="x" * 201), r"at most 200 fit"),
        (lambda d: d["posts"][0].update(created_at="yesterday"), r"should be a date and time"),
        (lambda d: d["posts"][0].update(word_count=True), r"should be a whole number"),
        (lambda d: d["muses"][0].update(accent_colour="red"), r"not a colour"),
        (lambda d: d["posts"][0].update(body="a\x00b"), r"NUL character"),
        (lambda d: d["posts"][0].update(body="\ud800"), r"not valid Unicode"),
        (lambda d: d["posts"][0].update(word_count=2**40), r"between 0 and 2,147,483,647"),
        (lambda d: d["muses"][0].update(card_data=deep(100)), r"nests more than 64 levels"),
        (lambda d: d["muses"][0].update(card_data={"x": float("inf")}), r"Infinity"),
        (lambda d: d["turn_events"][3].update(participant=None), r"post event needs"),
        (lambda d: d.pop("thread"), r"has no “thread”"),
        (lambda d: d["writers"].append({"username": "ALICE", "display_name": ""}), "twice"),
    ],
)
def test_inconsistent_documents_are_refused_before_anything_is_written(rich_story, change, match):
    raw = edited(rich_story, change)
    wipe_everything()
    refused(raw, match)


def test_a_turn_log_that_does_not_add_up_restores_nothing(rich_story):
    # Wren posts again after leaving: caught while writing, so the transaction rolls back.
    def change(data):
        data["turn_events"].append(dict(data["turn_events"][5], created_at=data["exported_at"]))

    raw = edited(rich_story, change)
    wipe_everything()
    refused(raw, "The thread file: The turn history does not add up")
    assert Participant.objects.count() == 0


def test_restore_file_size_is_bounded(db, monkeypatch):
    monkeypatch.setattr(restore_module, "MAX_UNCOMPRESSED_BYTES", 100)
    refused(b" " * 101, "larger than")


# ---------------------------------------------------------------------------- never a crash


def test_mutated_documents_are_refused_or_restored_never_crash(rich_story):
    base = json.dumps(thread_to_json(rich_story, exported_at=STAMP))
    paths = [p for p in json_paths(json.loads(base)) if p]
    wipe_everything()

    @settings(
        max_examples=200,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(st.data())
    def check(data):
        document = json.loads(base)
        for _ in range(data.draw(st.integers(1, 3))):
            path = data.draw(st.sampled_from(paths))
            parent = document
            try:
                for step in path[:-1]:
                    parent = parent[step]
                if data.draw(st.booleans()) and isinstance(parent, dict):
                    parent.pop(path[-1], None)
                else:
                    parent[path[-1]] = copy.deepcopy(data.draw(st.sampled_from(ODD_VALUES)))
            except (KeyError, IndexError, TypeError):
                continue  # an earlier mutation removed this path
        # ASCII-escaped, so a lone surrogate arrives as "\\ud800" and NaN as NaN.
        raw = json.dumps(document).encode()
        with transaction.atomic():
            with contextlib.suppress(RestoreError):
                report = restore(raw, actor=None)
                # Whatever was accepted is consistent: the cached turn state is the replay.
                thread = Thread.objects.get(public_id=report.threads[0])
                assert cached_turn_state(thread) == replayed_turn_state(thread)
            transaction.set_rollback(True)

    check()
