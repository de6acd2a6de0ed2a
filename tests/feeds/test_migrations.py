"""The follows feed's keys moved from tandem.follows to tandem.feeds: the addresses readers
already hold in their feed readers keep working."""

from __future__ import annotations

import pytest
from django.core import signing
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from tandem.feeds.models import FeedKey, FeedKind
from tandem.feeds.selectors import feed_token

BEFORE = [("follows", "0001_initial"), ("feeds", "0001_initial")]
AFTER = [("follows", "0002_delete_feedkey"), ("feeds", "0002_copy_follows_feed_keys")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_an_address_made_before_the_move_still_opens_the_feed(client, writer_a):
    old_apps = migrate(BEFORE)
    old_apps.get_model("follows", "FeedKey").objects.create(
        reader_id=writer_a.pk, nonce="an-old-nonce-of-alices"
    )
    migrate(AFTER)
    key = FeedKey.objects.get(owner=writer_a)
    assert (key.kind, key.nonce) == (FeedKind.FOLLOWS, "an-old-nonce-of-alices")
    # The token is signed as it was before the move: the same address.
    token = feed_token(writer_a, FeedKind.FOLLOWS)
    before = signing.Signer(salt="tandem.follows.feed", sep=".").sign("an-old-nonce-of-alices")
    assert token == before
    assert client.get(reverse("follows-feed", args=[token])).status_code == 200

    # And back: the key returns to its old table.
    old_apps = migrate(BEFORE)
    moved = old_apps.get_model("follows", "FeedKey").objects.get()
    assert (moved.reader_id, moved.nonce) == (writer_a.pk, "an-old-nonce-of-alices")
    migrate(AFTER)
