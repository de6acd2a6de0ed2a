"""`tandem import`, `export`, `backup` and `restore`, run through the real command parser."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import zipfile

import pytest

from tandem.cli import main
from tandem.threads.models import Thread

PASTE = """**ivy**

ivy counted the coins twice & still came up short. she looked at the baker.

**hale**

hale pretended not to notice. he wrapped the loaf anyway, ❛ on the house. ❜

**ivy**

❛ you can't keep doing that, ❜ she said, but she took it.
"""


@pytest.fixture
def paste_file(tmp_path):
    path = tmp_path / "bakery_night.txt"
    path.write_text(PASTE, encoding="utf-8")
    return path


def test_dry_run_json_prints_the_proposal_and_creates_nothing(
    transactional_db, paste_file, capsys, writer_a, ivy, hale
):
    code = main(
        ["import", str(paste_file), "--muse", "ivy", "--muse", "hale=bram", "--owner", "alice",
         "--dry-run", "--json"]
    )  # fmt: skip
    assert code == 0
    report = json.loads(capsys.readouterr().out)
    assert [p["muse"] for p in report["posts"]] == ["Ivy", "Hale", "Ivy"]
    first = report["posts"][0]
    assert set(first) >= {"muse", "confidence", "words", "dialogue", "start"}
    assert 0.0 <= first["confidence"] <= 1.0
    assert first["words"] in (13, 14)  # whether “&” counts as a word
    assert report["posts"][1]["dialogue"] == ["❛ on the house. ❜"]
    assert first["start"].startswith("ivy counted the coins")
    assert isinstance(report["warnings"], list)
    assert not Thread.objects.exists()


def test_import_creates_a_private_thread_and_prints_its_url(
    transactional_db, paste_file, capsys, writer_a, writer_b, ivy, hale
):
    code = main(
        ["import", str(paste_file), "--title", "Bakery at night", "--muse", "ivy",
         "--muse", "hale=bram", "--owner", "alice", "--trust-owners"]
    )  # fmt: skip
    assert code == 0
    thread = Thread.objects.get()
    out = capsys.readouterr().out
    assert thread.get_absolute_url() in out and "Imported 3 posts" in out
    assert thread.title == "Bakery at night" and thread.visibility == "private"
    assert thread.owner == writer_a
    assert [p.muse for p in thread.posts.order_by("number")] == [ivy, hale, ivy]


def test_import_reports_what_is_missing(transactional_db, paste_file, capsys, writer_a, ivy):
    assert main(["import", str(paste_file), "--muse", "ivy"]) == 1
    assert "--owner" in capsys.readouterr().err
    assert main(["import", str(paste_file), "--owner", "alice"]) == 1
    assert "--muse" in capsys.readouterr().err
    assert main(["import", str(paste_file), "--owner", "nobody", "--muse", "ivy"]) == 1
    assert "no writer called 'nobody'" in capsys.readouterr().err
    # Hale's posts cannot be attributed when only Ivy is named.
    assert main(["import", str(paste_file), "--owner", "alice", "--muse", "ivy"]) == 1
    assert "could not tell whose post 2" in capsys.readouterr().err
    assert main(["import", "/no/such/file.txt", "--owner", "alice", "--muse", "ivy"]) == 1
    assert "no such file" in capsys.readouterr().err
    assert not Thread.objects.exists()


def test_binary_file_is_refused(transactional_db, tmp_path, capsys, writer_a, ivy):
    path = tmp_path / "scan.txt"
    path.write_bytes(b"%PDF-1.4\n" + bytes(range(256)) * 8)
    assert main(["import", str(path), "--owner", "alice", "--muse", "ivy"]) == 1
    assert "PDF" in capsys.readouterr().err


@pytest.mark.parametrize("fmt", ["md", "txt", "html", "epub", "json"])
def test_export_writes_each_format(
    transactional_db, paste_file, tmp_path, capsys, fmt, writer_a, ivy, hale
):
    main(["import", str(paste_file), "--owner", "alice", "--muse", "ivy", "--muse", "hale=bram"])
    thread = Thread.objects.get()
    target = tmp_path / f"out.{fmt}"
    url = f"http://127.0.0.1:8000{thread.get_absolute_url()}posts/2/"
    assert main(["export", url, "--format", fmt, "-o", str(target)]) == 0
    assert f"Wrote {target}" in capsys.readouterr().out
    content = target.read_bytes()
    if fmt == "epub":
        assert zipfile.ZipFile(io.BytesIO(content)).read("mimetype") == b"application/epub+zip"
    else:
        assert "on the house" in content.decode()


def test_export_of_an_unknown_thread(transactional_db, capsys):
    assert main(["export", "nope", "--format", "md"]) == 1
    assert "no thread with the id 'nope'" in capsys.readouterr().err


def test_backup_then_restore_under_new_names(
    transactional_db, paste_file, tmp_path, capsys, writer_a, writer_b, ivy, hale
):
    main(
        ["import", str(paste_file), "--owner", "alice", "--muse", "ivy", "--muse", "hale=bram",
         "--trust-owners"]
    )  # fmt: skip
    target = tmp_path / "alice.zip"
    assert main(["backup", "alice", "-o", str(target)]) == 0
    assert zipfile.is_zipfile(target)

    # The same usernames exist here, so a plain restore is refused…
    assert main(["restore", str(target)]) == 1
    err = capsys.readouterr().err
    assert "alice" in err and "--map" in err
    assert Thread.objects.count() == 1
    # …and mapped to new names it restores a second copy beside the first.
    code = main(["restore", str(target), "--map", "alice=alice2", "--map", "bram=bram2"])
    assert code == 0, capsys.readouterr().err
    assert Thread.objects.count() == 2
    copy = Thread.objects.exclude(owner=writer_a).get()
    assert copy.owner.username == "alice2"
    assert [p.muse.owner.username for p in copy.posts.order_by("number")] == [
        "alice2",
        "bram2",
        "alice2",
    ]


def test_the_real_command_prints_json(tmp_path):
    """One run as a separate process, as a writer would type it (SQLite data dir)."""
    path = tmp_path / "paste.txt"
    path.write_text(PASTE, encoding="utf-8")
    env = {"PATH": "/usr/bin:/bin", "TANDEM_DATA_DIR": str(tmp_path / "data")}
    result = subprocess.run(
        [sys.executable, "-m", "tandem", "import", str(path), "--muse", "ivy", "--muse", "hale",
         "--dry-run", "--json"],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert [p["muse"] for p in json.loads(result.stdout)["posts"]] == ["ivy", "hale", "ivy"]


def test_import_of_a_json_file_keeps_each_posts_date(
    transactional_db, tmp_path, capsys, writer_a, writer_b, ivy, hale
):
    path = tmp_path / "posts.json"
    path.write_text(
        json.dumps(
            [
                {"muse": "ivy", "text": "ivy swept the step.", "date": "2018-11-02T09:00:00Z"},
                {"muse": "hale", "text": "hale stepped over it.", "date": "2018-11-05"},
            ]
        ),
        encoding="utf-8",
    )
    code = main(["import", str(path), "--owner", "alice", "--muse", "ivy", "--muse", "hale=bram"])
    assert code == 0, capsys.readouterr().err
    thread = Thread.objects.get()
    dates = [p.created_at.date().isoformat() for p in thread.posts.order_by("number")]
    assert dates == ["2018-11-02", "2018-11-05"]
    assert thread.created_at.date().isoformat() == "2018-11-02"
