"""Issue 9: a restore may put threads, posts and muses into an EXISTING account only when the
admin says they trust its owner (``--trust-owners`` / the restore page's box). A restore has
no per-muse review to ask the owner; accounts it creates itself need no consent."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tandem.cli import main
from tandem.exports.archive import dump_json, thread_to_json
from tandem.exports.restore import RestoreError, restore
from tandem.threads import services
from tandem.threads.models import Post, Thread
from tests.fast_hashing import FAST_HASHERS


@pytest.fixture(autouse=True)
def _isolated(settings, tmp_path):
    settings.PASSWORD_HASHERS = FAST_HASHERS
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def thread_json(coffee_cart, writer_a, writer_b, ivy, hale) -> bytes:
    services.post_create(thread=coffee_cart, writer=writer_a, muse=ivy, body="Ivy paid twice.")
    coffee_cart.refresh_from_db()
    services.post_create(thread=coffee_cart, writer=writer_b, muse=hale, body="Hale kept it.")
    return dump_json(thread_to_json(coffee_cart))


def test_mapping_onto_an_existing_account_is_refused_without_trust(thread_json, writer_b):
    threads, bram_posts = Thread.objects.count(), Post.objects.filter(author=writer_b).count()
    with pytest.raises(RestoreError) as error:
        restore(thread_json, actor=None, username_map={"alice": "alice2", "bram": "bram"})
    message = str(error.value)
    assert "existing account bram" in message and "--trust-owners" in message
    assert Thread.objects.count() == threads
    assert Post.objects.filter(author=writer_b).count() == bram_posts


def test_trust_owners_attaches_to_the_existing_account(thread_json, writer_b):
    report = restore(
        thread_json,
        actor=None,
        username_map={"alice": "alice2", "bram": "bram"},
        trust_owners=True,
    )
    assert report.users_attached == ["bram"]
    copy = Thread.objects.get(public_id=report.threads[0])
    assert copy.posts.filter(author=writer_b).count() == 1


def test_new_accounts_need_no_consent(thread_json):
    report = restore(thread_json, actor=None, username_map={"alice": "alice2", "bram": "bram2"})
    assert sorted(report.users_created) == ["alice2", "bram2"]


def test_cli_restore_needs_trust_owners_to_attach(
    transactional_db, tmp_path, capsys, thread_json, writer_b
):
    path = tmp_path / "thread.json"
    path.write_bytes(thread_json)
    before = Thread.objects.count()
    assert main(["restore", str(path), "--map", "alice=alice2", "--map", "bram=bram"]) == 1
    assert "--trust-owners" in capsys.readouterr().err
    assert Thread.objects.count() == before
    code = main(
        ["restore", str(path), "--map", "alice=alice3", "--map", "bram=bram", "--trust-owners"]
    )
    assert code == 0, capsys.readouterr().err
    assert Thread.objects.count() == before + 1


def test_staff_restore_page_has_a_trust_box(client, make_writer, thread_json, writer_b):
    admin = make_writer("keeper")
    admin.is_staff = True
    admin.save()
    client.force_login(admin)
    form = {"username_map": "alice=alice2\nbram=bram"}
    before = Thread.objects.count()

    refused = client.post(
        reverse("restore-upload"), {**form, "file": SimpleUploadedFile("t.json", thread_json)}
    ).content.decode()
    assert "--trust-owners" in refused and "Trust the owners of existing accounts" in refused
    assert Thread.objects.count() == before

    restored = client.post(
        reverse("restore-upload"),
        {**form, "trust_owners": "on", "file": SimpleUploadedFile("t.json", thread_json)},
    ).content.decode()
    assert "Restored" in restored
    assert Thread.objects.count() == before + 1
