"""Threads kept elsewhere in account backups: backed up with every field the writer set,
restored with their muse and converted thread mapped and reminders scheduled again,
byte-identical round trips, older backups without them, and bad entries refused whole."""

from __future__ import annotations

import contextlib
import copy
import json
from datetime import UTC, datetime, time, timedelta

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tandem.accounts.models import User
from tandem.exports.archive import dump_json
from tandem.exports.restore import RestoreError, read_restore_file, restore
from tandem.muses.models import Muse
from tandem.notifications.services import preferences_update
from tandem.threads.models import Thread
from tandem.tracking import services as tracking
from tandem.tracking.models import TrackedThread
from tests.exports.conftest import ODD_VALUES, json_paths, wipe_everything
from tests.exports.test_backup import backup, rezip, unzip
from tests.fast_hashing import FAST_HASHERS

pytestmark = pytest.mark.django_db

#: Everything a tracked thread carries that a backup keeps as it is.
KEPT = (
    "title",
    "url",
    "site",
    "partner",
    "tags",
    "turn",
    "turn_since",
    "remind_after_days",
    "notes",
    "archived_at",
    "created_at",
)
EARLY = datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _isolated(settings, tmp_path):
    settings.PASSWORD_HASHERS = FAST_HASHERS
    settings.MEDIA_ROOT = tmp_path / "media"


def at(tracked: TrackedThread, **dates: datetime) -> None:
    """Move a tracked thread's dates to fixed ones (the services stamp them with now)."""
    TrackedThread.objects.filter(pk=tracked.pk).update(**dates)


def counts() -> tuple[int, ...]:
    return (
        User.objects.count(),
        Muse.objects.count(),
        Thread.objects.count(),
        TrackedThread.objects.count(),
    )


def tracked_of(user: User) -> list[TrackedThread]:
    return list(TrackedThread.objects.filter(writer=user).order_by("created_at", "pk"))


@pytest.fixture
def kept(make_thread, writer_a, ivy):
    """Alice keeps three threads elsewhere: one she plays Ivy in (her turn, so a reminder is
    due), one archived and waiting on her partner, one whose text she moved into a Tandem
    thread she owns. Her usual reminder is 4 days."""
    preferences_update(
        writer=writer_a,
        channels={},
        daily_digest=False,
        quiet_hours_start=time(22, 0),
        quiet_hours_end=None,
        reminder_days=4,
    )
    lighthouse = tracking.tracked_create(
        writer=writer_a,
        title="Lighthouse keepers ☂",
        url="https://example.tumblr.com/post/123/lighthouse",
        partner="gus-writes",
        muse=ivy,
        tags="angst, AU, «slow»",
        notes="They owe me a reply.\nSecond line — with ünïcode.",
    )
    at(lighthouse, turn_since=EARLY + timedelta(days=3), created_at=EARLY + timedelta(days=1))
    done = tracking.tracked_create(
        writer=writer_a,
        title="Finished on Dreamwidth",
        url="https://dreamwidth.org/1234.html",
        site="Dreamwidth (comm)",
        partner="moth",
        turn="theirs",
        remind_after_days=9,
        archived=True,
    )
    # Created before the lighthouse though saved after it: the backup orders by created_at.
    at(done, turn_since=EARLY, created_at=EARLY, archived_at=EARLY + timedelta(days=2))
    moved_here = make_thread(writer_a, ivy, title="Moved here from Discord")
    moving = tracking.tracked_create(writer=writer_a, title="Discord RP", partner="kit")
    tracking.tracked_converted(tracked=moving, thread=moved_here)
    at(moving, created_at=EARLY + timedelta(days=5), turn_since=EARLY + timedelta(days=5))
    return writer_a


def test_backup_writes_every_tracked_thread_in_creation_order(kept):
    account = json.loads(unzip(backup(kept))["account.json"])
    assert account["schema_version"] == 2
    assert [row["title"] for row in account["tracked"]] == [
        "Finished on Dreamwidth",
        "Lighthouse keepers ☂",
        "Discord RP",
    ]
    done, lighthouse, moving = account["tracked"]
    assert done == {
        "title": "Finished on Dreamwidth",
        "url": "https://dreamwidth.org/1234.html",
        "site": "Dreamwidth (comm)",
        "partner": "moth",
        "muse": None,
        "tags": "",
        "turn": "theirs",
        "turn_since": "2024-05-06T07:08:09.123456Z",
        "remind_after_days": 9,
        "notes": "",
        "archived_at": "2024-05-08T07:08:09.123456Z",
        "created_at": "2024-05-06T07:08:09.123456Z",
        "converted_to": None,
    }
    assert (lighthouse["muse"], lighthouse["site"]) == ("muse-1", "example.tumblr.com")
    assert lighthouse["archived_at"] is None
    assert moving["converted_to"] == "threads/thread-0001.json"
    assert moving["archived_at"] is not None  # converting archives it
    # Derived, and scheduled again by a restore.
    assert "remind_at" not in json.dumps(account)


def test_restore_brings_them_back_with_muse_thread_and_reminders(kept):
    originals = tracked_of(kept)
    raw = backup(kept)

    report = restore(raw, actor=None, username_map={"alice": "alice_r"})

    copy_of = User.objects.get(username="alice_r")
    restored = tracked_of(copy_of)
    assert report.tracked == 3 and "3 threads kept elsewhere." in report.summary()
    assert len(restored) == 3
    for old, new in zip(originals, restored, strict=True):
        assert [getattr(new, name) for name in KEPT] == [getattr(old, name) for name in KEPT]
        assert new.pk != old.pk
    done, lighthouse, moving = restored
    # The muse is the copy's own new Ivy, not the original's.
    assert lighthouse.muse.owner == copy_of and lighthouse.muse.name == "Ivy"
    assert lighthouse.muse.pk != originals[1].muse_id
    # The converted one points at the restored copy of the thread, owned by the copy.
    assert moving.converted_to.title == "Moved here from Discord"
    assert moving.converted_to.owner == copy_of
    assert moving.converted_to.pk != originals[2].converted_to_id
    assert done.muse is None and done.converted_to is None
    # remind_at is scheduled from the restored clock: the usual 4 days while it is her turn,
    # nothing for archived ones.
    assert lighthouse.remind_at == lighthouse.turn_since + timedelta(days=4)
    assert done.remind_at is None and moving.remind_at is None


def test_backup_restore_backup_is_byte_identical_with_tracked_threads(kept):
    before = backup(kept)
    wipe_everything()
    assert TrackedThread.objects.count() == 0

    restore(before, actor=None)

    assert backup(User.objects.get(username="alice")) == before


def test_an_attached_restore_adds_them_to_what_the_account_already_keeps(kept):
    raw = backup(kept)
    restore(
        raw,
        actor=None,
        username_map={"alice": "alice"},
        trust_owners=True,
    )
    assert TrackedThread.objects.filter(writer=kept).count() == 6
    # Every muse the restored ones name is one of hers (a fresh copy of Ivy).
    assert set(
        TrackedThread.objects.filter(writer=kept, muse__isnull=False).values_list(
            "muse__owner", flat=True
        )
    ) == {kept.pk}


def test_an_older_backup_without_tracked_threads_restores(kept):
    files = unzip(backup(kept))
    account = json.loads(files["account.json"])
    del account["tracked"]
    account["schema_version"] = 1
    files["account.json"] = dump_json(account)
    files["manifest.json"] = files["manifest.json"].replace(
        b'"schema_version": 2', b'"schema_version": 1'
    )
    raw = rezip(files)
    wipe_everything()

    report = restore(raw, actor=None)

    assert report.tracked == 0 and "elsewhere" not in report.summary()
    alice = User.objects.get(username="alice")
    assert alice.muses.count() == 1 and TrackedThread.objects.count() == 0
    # Backed up again it is a schema 2 file with an empty list.
    assert json.loads(unzip(backup(alice))["account.json"])["tracked"] == []


def test_a_schema_2_account_must_list_its_tracked_threads(kept):
    files = unzip(backup(kept))
    account = json.loads(files["account.json"])
    del account["tracked"]
    files["account.json"] = dump_json(account)
    with pytest.raises(RestoreError, match=r"account\.json has no “tracked”"):
        read_restore_file(rezip(files))


def entry(n: int, **changes) -> dict:
    row = {
        "title": f"Thread {n}",
        "url": "",
        "site": "",
        "partner": "",
        "muse": None,
        "tags": "",
        "turn": "mine",
        "turn_since": "2025-01-01T00:00:00.000000Z",
        "remind_after_days": None,
        "notes": "",
        "archived_at": None,
        "created_at": "2025-01-01T00:00:00.000000Z",
        "converted_to": None,
    }
    return {**row, **changes}


def with_tracked(files: dict[str, bytes], change) -> bytes:
    account = json.loads(files["account.json"])
    change(account["tracked"])
    return rezip({**files, "account.json": dump_json(account)})


@pytest.mark.parametrize(
    ("change", "match"),
    [
        (
            lambda rows: rows[1].update(title="Light\x00house"),
            r"thread kept elsewhere 2: “title” contains a NUL character",
        ),
        (
            lambda rows: rows[2].update(notes="a\x00b"),
            r"thread kept elsewhere 3: “notes” contains a NUL character",
        ),
        (
            lambda rows: rows[0].update(turn="maybe"),
            r"thread kept elsewhere 1: “turn” should be one of mine, theirs",
        ),
        (
            lambda rows: rows[1].update(url="javascript:alert(1)"),
            r"thread kept elsewhere 2: “javascript:alert\(1\)” is not a web link",
        ),
        (
            lambda rows: rows[1].update(url="mailto:gus@example.test"),
            r"thread kept elsewhere 2: “mailto:gus@example\.test” is not a web link",
        ),
        (
            lambda rows: rows[1].update(muse="muse-9"),
            r"thread kept elsewhere 2 refers to muse “muse-9”, which the file does not list",
        ),
        (
            # A partner's muse is not the writer's to play.
            lambda rows: rows[1].update(muse="other-1"),
            r"thread kept elsewhere 2 refers to muse “other-1”",
        ),
        (
            lambda rows: rows[2].update(converted_to="threads/thread-0009.json"),
            r"refers to thread file “threads/thread-0009\.json”",
        ),
        (
            lambda rows: rows[0].update(remind_after_days=0),
            r"thread kept elsewhere 1: “remind_after_days” should be between 1 and 32,767",
        ),
        (
            lambda rows: rows[0].update(title="   "),
            r"thread kept elsewhere 1: “title” is empty",
        ),
        (
            lambda rows: rows[0].update(title="x" * 201),
            r"thread kept elsewhere 1: “title” is 201 characters; at most 200 fit",
        ),
        (
            lambda rows: rows[0].update(turn_since="yesterday"),
            r"thread kept elsewhere 1: “turn_since” should be a date and time",
        ),
        (lambda rows: rows[0].pop("created_at"), r"thread kept elsewhere 1 has no “created_at”"),
        (lambda rows: rows.append("a thread"), r"thread kept elsewhere 4 should be a JSON object"),
        (
            lambda rows: rows.extend(entry(n) for n in range(998)),
            r"account\.json holds 1,001 threads kept elsewhere; a writer keeps at most 1,000",
        ),
    ],
)
def test_bad_entries_are_refused_and_nothing_is_restored(kept, change, match):
    files = unzip(backup(kept))
    raw = with_tracked(files, change)
    wipe_everything()

    with pytest.raises(RestoreError, match=match):
        restore(raw, actor=None)

    assert counts() == (0, 0, 0, 0)


def test_exactly_the_cap_restores(kept):
    files = unzip(backup(kept))
    raw = with_tracked(files, lambda rows: rows.extend(entry(n) for n in range(997)))
    wipe_everything()

    assert restore(raw, actor=None).tracked == 1000


def test_going_over_the_cap_of_an_attached_account_restores_nothing(kept):
    raw = backup(kept)
    # She already keeps 3; 997 more makes the most allowed, and the backup brings 3.
    TrackedThread.objects.bulk_create(
        TrackedThread(writer=kept, title=f"Filler {n}") for n in range(997)
    )
    before = counts()

    with pytest.raises(
        RestoreError,
        match=r"alice already keeps 1,000 threads elsewhere; with the backup's 3 that is more "
        r"than the 1,000 a writer may keep",
    ):
        restore(raw, actor=None, username_map={"alice": "alice"}, trust_owners=True)

    # Checked last, after her muses and threads were made: all of it is rolled back.
    assert counts() == before


def test_another_writers_tracked_threads_never_leave_with_a_backup(
    kept, make_thread, writer_b, hale
):
    secret_thread = make_thread(writer_b, hale, title="Bram's secret thread", visibility="private")
    theirs = tracking.tracked_create(
        writer=writer_b,
        title="BRAM-TRACKED-MARKER",
        url="https://bram.example.test/private",
        notes="BRAM-NOTES-MARKER",
        muse=hale,
    )
    tracking.tracked_converted(tracked=theirs, thread=secret_thread)
    # Rows no service would write: one of hers naming his muse and his private thread.
    lighthouse = TrackedThread.objects.get(writer=kept, title="Lighthouse keepers ☂")
    TrackedThread.objects.filter(pk=lighthouse.pk).update(muse=hale, converted_to=secret_thread)

    files = unzip(backup(kept))
    text = "\n".join(data.decode(errors="replace") for data in files.values())
    assert "BRAM-TRACKED-MARKER" not in text and "BRAM-NOTES-MARKER" not in text
    assert "bram.example.test" not in text and "Bram's secret thread" not in text
    account = json.loads(files["account.json"])
    assert len(account["tracked"]) == 3
    row = next(r for r in account["tracked"] if r["title"] == "Lighthouse keepers ☂")
    assert (row["muse"], row["converted_to"]) == (None, None)

    # And his own backup has only his.
    theirs_account = json.loads(unzip(backup(writer_b))["account.json"])
    assert [r["title"] for r in theirs_account["tracked"]] == ["BRAM-TRACKED-MARKER"]
    assert theirs_account["tracked"][0]["muse"] == "muse-1"


def test_mutated_tracked_entries_are_refused_or_restored_never_crash(kept):
    files = unzip(backup(kept))
    base = files["account.json"].decode()
    document = json.loads(base)
    paths = [p for p in json_paths(document) if p and p[0] == "tracked"]
    odd = [*ODD_VALUES, "muse-1", "other-1", "threads/thread-0001.json", "https://x.test/"]
    wipe_everything()

    @settings(
        max_examples=80,
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
