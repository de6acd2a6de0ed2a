"""Account backups: the zip's layout and manifest, determinism, backup → restore → backup
giving the same bytes, and hostile or damaged zips refused before anything is written."""

from __future__ import annotations

import contextlib
import copy
import hashlib
import io
import json
import zipfile
from collections.abc import Callable
from datetime import UTC, datetime, time
from pathlib import Path

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tandem.accounts.models import User
from tandem.exports.archive import dump_json
from tandem.exports.backup import write_account_backup
from tandem.exports.restore import BackupFile, RestoreError, read_restore_file, restore
from tandem.exports.restore import reading as restore_module
from tandem.exports.schema import AccountDocument, BackupManifest
from tandem.muses.models import Muse, MuseIcon
from tandem.muses.services import icon_add, muse_archive, muse_update
from tandem.notifications.models import NotificationSettings
from tandem.notifications.services import preferences_update
from tandem.threads import services
from tandem.threads.models import Post, Thread, ThreadWriterState
from tandem.threads.services import cached_turn_state, replayed_turn_state
from tandem.tracking import services as tracking
from tandem.writing.models import Draft
from tandem.writing.services import draft_save
from tests.exports.conftest import ODD_VALUES, json_paths, png, say, wipe_everything
from tests.exports.test_export_schema import keys
from tests.fast_hashing import FAST_HASHERS

pytestmark = pytest.mark.django_db

STAMP = datetime(2025, 3, 4, 5, 6, 7, 891011, tzinfo=UTC)
LATER = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _isolated(settings, tmp_path):
    settings.PASSWORD_HASHERS = FAST_HASHERS
    settings.MEDIA_ROOT = tmp_path / "media"


def backup(user: User, exported_at: datetime = STAMP, **kwargs) -> bytes:
    buffer = io.BytesIO()
    write_account_backup(user, buffer, exported_at=exported_at, **kwargs)
    return buffer.getvalue()


def unzip(raw: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(raw)) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def rezip(files: dict[str, bytes], *, manifest: bool = True) -> bytes:
    """Build a backup zip from files, recomputing the manifest unless told not to."""
    files = dict(files)
    if manifest:
        data = json.loads(files["manifest.json"])
        data["files"] = [
            {"path": p, "sha256": hashlib.sha256(b).hexdigest(), "size": len(b)}
            for p, b in files.items()
            if p != "manifest.json"
        ]
        files["manifest.json"] = dump_json(data)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, data in files.items():
            archive.writestr(path, data)
    return buffer.getvalue()


def counts() -> tuple[int, ...]:
    return (
        User.objects.count(),
        Muse.objects.count(),
        MuseIcon.objects.count(),
        Thread.objects.count(),
        Post.objects.count(),
        Draft.objects.count(),
    )


def media_files(settings) -> set[Path]:
    root = Path(settings.MEDIA_ROOT)
    return {p for p in root.rglob("*") if p.is_file()} if root.exists() else set()


@pytest.fixture
def full_account(rich_story, make_thread, join, writer_a, writer_b, ivy, hale, make_muse):
    """Alice with pictures, icons (hers and a partner's used in a post), a second thread that
    Hale is in too, an archived muse, a muse in no thread, drafts, flags and preferences."""
    writer_a.bio = "Writes slow-burn café AUs. 🍰"
    writer_a.time_zone = "Europe/Berlin"
    writer_a.theme, writer_a.reading_font, writer_a.reading_size = "dark", "sans", "xl"
    writer_a.save()
    preferences_update(
        writer=writer_a,
        channels={"your_turn": ["in_app"], "invited": ["in_app", "email"]},
        daily_digest=True,
        quiet_hours_start=time(22, 30),
        quiet_hours_end=time(7, 0),
        reminder_days=4,
    )
    muse_update(muse=ivy, writer=writer_a, avatar=png("#b3261e"))
    smiling = icon_add(muse=ivy, writer=writer_a, image=png("#ffcc00"), keywords="smiling")
    icon_add(muse=ivy, writer=writer_a, image=png("#0000ff"), keywords="winter coat")
    muse_update(muse=hale, writer=writer_b, avatar=png("#1d5c8c"))
    frowning = icon_add(muse=hale, writer=writer_b, image=png("#333333"), keywords="frowning")
    icon_add(muse=hale, writer=writer_b, image=png("#444444"), keywords="never used")

    rich_story.refresh_from_db()
    # After the rich story it is Ivy's turn (Hale posted last; Wren left).
    say(rich_story, ivy, "Ivy grinned.", icon=smiling)
    say(rich_story, hale, "Hale scowled.", icon=frowning)

    old = make_muse(writer_a, "Old Flame", fandom="Retired")
    second = make_thread(writer_a, old, title="Second story", tags=["Angst"])
    join(second, hale)
    say(second, old, "Once upon a time.")
    muse_archive(muse=old, writer=writer_a)
    make_muse(writer_a, "Idle", bio="Never in a thread.", accent_colour="#123456")

    draft_save(writer=writer_a, thread=rich_story, body="Half a reply…", muse=ivy, icon=smiling)
    draft_save(writer=writer_a, thread=second, body="", muse=None)
    services.writer_state_set(thread=rich_story, writer=writer_a, pinned=True, remind_after_days=3)
    services.read_position_advance(thread=rich_story, writer=writer_a, number=5)
    return writer_a


# ---------------------------------------------------------------------------- the zip


def test_zip_layout_and_manifest(full_account):
    raw = backup(full_account)
    with zipfile.ZipFile(io.BytesIO(raw)) as archive:
        infos = archive.infolist()
    names = [info.filename for info in infos]
    assert names[-1] == "manifest.json"
    assert names[:-1] == sorted(names[:-1])
    assert {info.date_time for info in infos} == {(1980, 1, 1, 0, 0, 0)}
    assert names == [
        "account.json",
        "media/muse-1/avatar.webp",
        "media/muse-1/icon-1.webp",
        "media/muse-1/icon-2.webp",
        "media/other-1/avatar.webp",
        "media/other-1/icon-1.webp",
        "threads/thread-0001.json",
        "threads/thread-0002.json",
        "manifest.json",
    ]

    files = unzip(raw)
    manifest = json.loads(files["manifest.json"])
    assert manifest["format"] == "tandem-backup"
    assert manifest["schema_version"] == 2
    assert manifest["username"] == "alice"
    assert manifest["exported_at"] == "2025-03-04T05:06:07.891011Z"
    assert [f["path"] for f in manifest["files"]] == names[:-1]
    for entry in manifest["files"]:
        data = files[entry["path"]]
        assert entry["size"] == len(data)
        assert entry["sha256"] == hashlib.sha256(data).hexdigest()

    account = json.loads(files["account.json"])
    text = files["account.json"].decode()
    assert account["profile"]["email"] == "alice@example.test"
    assert "password" not in text and "argon2" not in text and "webhook" not in text
    assert account["preferences"]["theme"] == "dark"
    assert account["preferences"]["notifications"]["quiet_hours_start"] == "22:30:00"
    assert [m["name"] for m in account["muses"]] == ["Ivy", "Old Flame", "Idle"]
    assert account["muses"][1]["archived_at"] is not None
    assert [i["keywords"] for i in account["muses"][0]["icons"]] == ["smiling", "winter coat"]
    # A partner's muse: its avatar and only the icons its posts here chose.
    hale, wren = account["other_muses"]
    assert (hale["key"], hale["name"], hale["writer"]) == ("other-1", "Hale", "bram")
    assert hale["avatar"] == "media/other-1/avatar.webp"
    assert [(i["keywords"], i["image"]) for i in hale["icons"]] == [
        ("frowning", "media/other-1/icon-1.webp")
    ]
    assert (wren["key"], wren["writer"], wren["avatar"], wren["icons"]) == (
        "other-2",
        "cleo",
        None,
        [],
    )
    assert account["threads"][0]["muses"] == {"m1": "muse-1", "m2": "other-1", "m3": "other-2"}
    assert account["threads"][1]["muses"] == {"m1": "muse-2", "m2": "other-1"}
    assert account["threads"][0]["state"]["is_pinned"] is True
    assert account["drafts"][0]["icon"] == "smiling"

    thread = json.loads(files["threads/thread-0001.json"])
    assert thread["format"] == "tandem-thread"
    assert [p["author"] for p in thread["posts"]].count("bram") == 3  # partners' posts too


def test_backup_is_deterministic_and_reports_progress(full_account):
    calls = []
    first = backup(full_account, progress=lambda done, total: calls.append((done, total)))
    assert backup(full_account) == first
    total = 9
    assert calls == [(n, total) for n in range(total + 1)]


def test_backup_of_a_writer_with_nothing(make_writer):
    files = unzip(backup(make_writer("newbie")))
    assert set(files) == {"account.json", "manifest.json"}
    account = json.loads(files["account.json"])
    assert account["muses"] == account["threads"] == account["drafts"] == []
    assert account["preferences"]["notifications"] is None


# ---------------------------------------------------------------------------- round trips


def test_backup_restore_backup_is_byte_identical(full_account, settings):
    before = backup(full_account)
    public_ids = list(Thread.objects.order_by("created_at").values_list("public_id", flat=True))
    wipe_everything()

    seen = []
    report = restore(before, actor=None, progress=lambda d, t: seen.append((d, t)))

    alice = User.objects.get(username="alice")
    assert backup(alice) == before
    assert seen == [(0, 2), (1, 2), (2, 2)]
    assert report.threads == public_ids
    assert sorted(report.users_created) == ["alice", "bram", "cleo"]
    # Hale is in both threads and came back once.
    assert report.muses == 3 + 2
    assert Muse.objects.filter(name="Hale").count() == 1

    assert alice.email == "alice@example.test" and not alice.has_usable_password()
    assert (alice.time_zone, alice.theme, alice.reading_size) == ("Europe/Berlin", "dark", "xl")
    prefs = NotificationSettings.objects.get(writer=alice)
    assert prefs.daily_digest and prefs.quiet_hours_end == time(7, 0)
    assert ThreadWriterState.objects.get(writer=alice, is_pinned=True).last_read_number == 5
    assert Draft.objects.get(writer=alice, body="Half a reply…").icon.keywords == "smiling"
    for thread in Thread.objects.all():
        assert cached_turn_state(thread) == replayed_turn_state(thread)
    ivy = alice.muses.get(name="Ivy")
    assert ivy.avatar.read() == unzip(before)["media/muse-1/avatar.webp"]


def test_restore_next_to_the_originals_under_new_names(full_account):
    raw = backup(full_account)
    before = unzip(raw)
    mapping = {"alice": "alice_r", "bram": "bram_r", "cleo": "cleo_r"}

    report = restore(raw, actor=None, username_map=mapping)

    after = unzip(backup(User.objects.get(username="alice_r"), exported_at=LATER))
    assert list(after) == list(before)
    swaps = [
        *[(f'"{new}"', f'"{old}"') for old, new in mapping.items()],
        *[(f'"{new}"', f'"{old}"') for old, new in report.public_ids_changed.items()],
        ('"2026-01-02T03:04:05.000000Z"', '"2025-03-04T05:06:07.891011Z"'),
        # The original still holds the address, so the copy came back without one.
        ('"email": ""', '"email": "alice@example.test"'),
    ]
    for path, data in after.items():
        if path.startswith("media/"):
            assert data == before[path], path
            continue
        text = data.decode()
        for new, old in swaps:
            text = text.replace(new, old)
        if path == "manifest.json":
            # Checksums cover usernames and stamps; compare the rest.
            mine, theirs = json.loads(text), json.loads(before[path])
            assert [f["path"] for f in mine.pop("files")] == [
                f["path"] for f in theirs.pop("files")
            ]
            assert mine == theirs
        else:
            assert text.encode() == before[path], path
    assert len(report.public_ids_changed) == 2


def test_attaching_the_owner_keeps_their_account_as_it_is(full_account):
    raw = backup(full_account)
    full_account.refresh_from_db()
    profile = (full_account.bio, full_account.theme, full_account.password, full_account.email)
    prefs_before = NotificationSettings.objects.filter(writer=full_account).values().get()
    muses_before = set(full_account.muses.values_list("pk", flat=True))

    # Attaching to an existing account needs the admin's explicit trust (issue 9).
    report = restore(
        raw,
        actor=None,
        username_map={"alice": "alice", "bram": "bram2", "cleo": "cleo2"},
        trust_owners=True,
    )

    alice = User.objects.get(pk=full_account.pk)
    assert (alice.bio, alice.theme, alice.password, alice.email) == profile
    assert NotificationSettings.objects.filter(writer=alice).values().get() == prefs_before
    assert report.users_attached == ["alice"]
    # Three fresh muses joined hers; her own are untouched.
    assert set(alice.muses.values_list("pk", flat=True)) > muses_before
    assert alice.muses.count() == 2 * len(muses_before)


def test_clashes_are_refused(full_account):
    before = counts()
    with pytest.raises(RestoreError, match=r"^These usernames already exist here: alice, bram"):
        restore(backup(full_account), actor=None)
    assert counts() == before


# ---------------------------------------------------------------------------- hostile zips


@pytest.mark.parametrize(
    "name",
    ["../evil", "/etc/passwd", "threads\\x.json", "C:/evil.json", "threads/../../x", "a//b"],
)
def test_unsafe_names_are_refused_before_anything_else(db, name):
    # No manifest either: the name is what gets reported, as nothing else was read.
    raw = rezip({name: b"boom"}, manifest=False)
    with pytest.raises(RestoreError, match="unsafe name"):
        read_restore_file(raw)


def test_an_unsafe_name_hidden_in_a_real_backup_is_refused(full_account):
    files = unzip(backup(full_account))
    files["../../etc/cron.d/evil"] = b"* * * * * root rm -rf /"
    with pytest.raises(RestoreError, match="unsafe name"):
        read_restore_file(rezip(files))


def test_a_changed_file_fails_its_checksum(full_account):
    files = unzip(backup(full_account))
    files["account.json"] = files["account.json"].replace(b"Ivy", b"Ivo")
    before = counts()
    with pytest.raises(RestoreError, match=r"“account\.json” does not match its checksum"):
        restore(rezip(files, manifest=False), actor=None)
    assert counts() == before


@pytest.mark.parametrize(
    ("change", "match"),
    [
        (lambda f: f.pop("manifest.json"), "no manifest.json"),
        (lambda f: f.update({"extra.txt": b"hi"}), "which manifest.json does not list"),
        (
            lambda f: f.update(
                {
                    "manifest.json": f["manifest.json"].replace(
                        b'"schema_version": 2', b'"schema_version": 7'
                    )
                }
            ),
            r"newer Tandem \(schema 7\); this instance reads schema 2",
        ),
        (
            lambda f: f.update(
                {"manifest.json": f["manifest.json"].replace(b"tandem-backup", b"x")}
            ),
            "not the manifest of an account backup",
        ),
        (lambda f: f.update({"manifest.json": b"{oops"}), "manifest.json is not valid JSON"),
    ],
)
def test_broken_manifests_are_refused(full_account, change, match):
    files = unzip(backup(full_account))
    change(files)
    with pytest.raises(RestoreError, match=match):
        read_restore_file(rezip(files, manifest=False))


def test_missing_listed_file(full_account):
    files = unzip(backup(full_account))
    del files["threads/thread-0002.json"]
    with pytest.raises(RestoreError, match="which the zip does not contain"):
        read_restore_file(rezip(files, manifest=False))


def test_zip_bombs_are_refused_unread(db, monkeypatch):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.json", b"{}")
        archive.writestr("threads/big.json", b"\0" * (8 * 1024 * 1024))
    with pytest.raises(RestoreError, match="zip bomb"):
        read_restore_file(buffer.getvalue())
    monkeypatch.setattr(restore_module, "MAX_UNCOMPRESSED_BYTES", 1024 * 1024)
    with pytest.raises(RestoreError, match=r"would unpack to 8 MB; .* at most 1 MB"):
        read_restore_file(buffer.getvalue())


def test_a_truncated_zip_is_refused(full_account):
    raw = backup(full_account)
    with pytest.raises(RestoreError, match="cannot be read as one"):
        read_restore_file(raw[: len(raw) // 2])


def test_a_picture_that_is_not_an_image_is_refused(full_account):
    files = unzip(backup(full_account))
    files["media/muse-1/avatar.webp"] = b"<script>alert(1)</script>"
    with pytest.raises(RestoreError, match="not a PNG, JPEG, GIF or WebP picture"):
        read_restore_file(rezip(files))


def test_a_failure_halfway_leaves_no_rows_and_no_pictures(full_account, settings):
    files = unzip(backup(full_account))
    # The second thread's log starts with a muse leaving before it joined: only the fold,
    # deep inside the transaction and after pictures were stored, notices.
    thread = json.loads(files["threads/thread-0002.json"])
    thread["turn_events"].insert(
        0,
        {
            "kind": "leave",
            "participant": "p1",
            "actor": "alice",
            "order": None,
            "created_at": "2025-01-01T00:00:00.000000Z",
        },
    )
    files["threads/thread-0002.json"] = dump_json(thread)
    raw = rezip(files)
    assert isinstance(read_restore_file(raw), BackupFile)
    wipe_everything()
    pictures = media_files(settings)

    with pytest.raises(RestoreError, match=r"threads/thread-0002\.json: The turn history"):
        restore(raw, actor=None)

    assert counts() == (0, 0, 0, 0, 0, 0)
    assert media_files(settings) == pictures


def test_mutated_account_files_are_refused_or_restored_never_crash(full_account):
    files = unzip(backup(full_account))
    base = files["account.json"].decode()
    paths = [p for p in json_paths(json.loads(base)) if p]
    odd = [*ODD_VALUES, "muse-1", "other-1", "threads/thread-0001.json", "media/muse-1/icon-1.webp"]
    wipe_everything()

    @settings(
        max_examples=120,
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
                    parent[path[-1]] = copy.deepcopy(data.draw(st.sampled_from(odd)))
            except (KeyError, IndexError, TypeError):
                continue
        raw = rezip({**files, "account.json": json.dumps(document).encode()})
        with transaction.atomic():
            with contextlib.suppress(RestoreError):
                restore(raw, actor=None)
            transaction.set_rollback(True)

    check()


# ---------------------------------------------------------------------------- the models


def test_the_backup_models_describe_exactly_what_a_backup_writes(full_account):
    tracking.tracked_create(
        writer=full_account, title="Elsewhere", url="https://example.test/t/1", muse=None
    )
    files = unzip(backup(full_account))
    for name, model in (("manifest.json", BackupManifest), ("account.json", AccountDocument)):
        data = json.loads(files[name])
        # Unknown keys are ignored on reading, so a key backup.py wrote that no model has
        # would pass unseen: compare what the models kept with what was written.
        dumped = model.model_validate(data).model_dump(mode="json", exclude_unset=True)
        assert keys(dumped) == keys(data), name
    account = json.loads(files["account.json"])
    assert account["tracked"] and account["drafts"] and account["other_muses"]
    assert account["preferences"]["notifications"] is not None


def edit(name: str, change) -> Callable[[dict[str, bytes]], None]:
    def apply(files: dict[str, bytes]) -> None:
        document = json.loads(files[name])
        change(document)
        files[name] = dump_json(document)

    return apply


def muse_one_of_thread_one(account: dict) -> None:
    account["threads"][0]["muses"].pop("m1")


@pytest.mark.parametrize(
    ("change", "match"),
    [
        (
            lambda a: a["profile"].update(time_zone="Mars/Olympus"),
            r"^account\.json, profile: “time_zone” is not a time zone Tandem knows: "
            r"“Mars/Olympus”\.$",
        ),
        (
            lambda a: a["preferences"]["notifications"]["channels"].update(nonsense=["in_app"]),
            r"^account\.json, preferences, notifications, channels: unknown notification kind "
            r"“nonsense”\.$",
        ),
        (
            lambda a: a["preferences"]["notifications"].update(quiet_hours_start="22:30+01:00"),
            r"^account\.json, preferences, notifications: “quiet_hours_start” should be a time "
            r"like 22:30:00\.$",
        ),
        (
            lambda a: a["preferences"].update(theme="neon"),
            r"^account\.json, preferences: “theme” should be one of system, light, dark\.$",
        ),
        (
            lambda a: a["muses"][0]["icons"][0].update(keywords=" "),
            r"^account\.json, muse 1, icon 1: “keywords” is empty\.$",
        ),
        (
            lambda a: a["muses"][0].update(avatar="media/nowhere.webp"),
            r"^account\.json, muse 1: the picture “media/nowhere\.webp” is not in the backup\.$",
        ),
        (
            muse_one_of_thread_one,
            r"^account\.json does not say which muse m1 of threads/thread-0001\.json is\.$",
        ),
        (
            lambda a: a["threads"][0]["state"].update(last_read_number="3"),
            r"^account\.json, thread 1, state: “last_read_number” should be a whole number\.$",
        ),
        (
            lambda a: a["other_muses"][0].update(key="muse-1"),
            r"^account\.json, partner muse 1: the muse key “muse-1” is used twice\.$",
        ),
        (
            lambda a: a["drafts"][0].update(thread="threads/x.json"),
            r"^account\.json, draft 1 refers to thread file “threads/x\.json”, which the file "
            r"does not list\.$",
        ),
        (
            lambda a: a.update(format="tandem-thread"),
            r"^account\.json is not the account file of an account backup: its format is "
            r"“tandem-thread”, not “tandem-account”\.$",
        ),
        (
            lambda a: a.update(schema_version=3),
            r"^This file was written by a newer Tandem \(schema 3\); this instance reads "
            r"schema 2\. Upgrade Tandem to restore it\.$",
        ),
        (
            lambda a: a["profile"].update(username="zed"),
            r"^manifest\.json is for “alice” but account\.json for “zed”\.$",
        ),
        (lambda a: a.pop("profile"), r"^account\.json has no “profile”\."),
    ],
)
def test_bad_account_files_are_refused_with_a_sentence(full_account, change, match):
    files = unzip(backup(full_account))
    edit("account.json", change)(files)
    with pytest.raises(RestoreError, match=match):
        read_restore_file(rezip(files))


def test_an_account_file_that_is_no_object_is_no_tandem_file(full_account):
    files = unzip(backup(full_account))
    files["account.json"] = b"[1, 2]"
    with pytest.raises(RestoreError, match=r"^account\.json is not a Tandem file"):
        read_restore_file(rezip(files))


@pytest.mark.parametrize(
    ("change", "match"),
    [
        (
            lambda m: m["files"][0].update(sha256="XYZ"),
            r"^manifest\.json, file 1: “sha256” is not a sha256 checksum",
        ),
        (
            lambda m: m["files"][0].update(path="../evil"),
            r"^manifest\.json, file 1: “path” is not a safe file name inside a backup: "
            r"'\.\./evil'\.$",
        ),
        (
            lambda m: m["files"].append(dict(m["files"][0])),
            r"^manifest\.json: file “account\.json” appears twice\.$",
        ),
        (
            lambda m: m["files"][0].update(size=-1),
            r"^manifest\.json, file 1: “size” should be between 0 and 2,147,483,647\.$",
        ),
        (lambda m: m.pop("username"), r"^manifest\.json has no “username”\.$"),
        (lambda m: m.update(files={}), r"^manifest\.json: “files” should be a list\.$"),
    ],
)
def test_bad_manifests_are_refused_with_a_sentence(full_account, change, match):
    files = unzip(backup(full_account))
    edit("manifest.json", change)(files)
    with pytest.raises(RestoreError, match=match):
        read_restore_file(rezip(files, manifest=False))
