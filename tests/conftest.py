"""Shared fixtures: writers, muses and threads built through the real services."""

from __future__ import annotations

import itertools

import pytest

from tandem.accounts.services import writer_sign_up
from tandem.muses.services import muse_create
from tandem.threads import services as thread_services

PASSWORD = "correct-horse-battery-staple"
_counter = itertools.count(1)


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """Rate-limit counts live in the shared cache (files under the data dir), which outlives
    a test: start every test with none. (django-axes' failure rows are database rows, rolled
    back or flushed with the test database.)"""
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture(autouse=True)
def _fresh_fragments():
    """Cached page fragments are keyed by what they show, not by the settings a test
    overrides (a storage's addresses, say), and rows rolled back free their ids for the
    next test: start every test with none, as a new server process does."""
    from django.core.cache import caches

    from tandem.core.fragments import CACHE_ALIAS

    caches[CACHE_ALIAS].clear()
    yield


@pytest.fixture(autouse=True)
def _steady_rate_limit_clock(monkeypatch):
    """django-ratelimit counts in fixed windows whose edges fall at a time of the hour set by
    the key (for 127.0.0.1 and an hourly limit, at :30:32): a test that crosses one would see
    its count start again. Within a test the limiter's clock stands still, so a count of
    eleven requests is always eleven."""
    import time
    from types import SimpleNamespace

    import django_ratelimit.core

    now = time.time()
    monkeypatch.setattr(django_ratelimit.core, "time", SimpleNamespace(time=lambda: now))


@pytest.fixture
def make_writer(db):
    def make(username: str | None = None, **extra):
        n = next(_counter)
        username = username or f"writer{n}"
        email = extra.pop("email", f"{username.lower()}@example.test")
        return writer_sign_up(username=username, email=email, password=PASSWORD)

    return make


@pytest.fixture
def make_muse(db):
    def make(owner, name: str | None = None, **fields):
        return muse_create(owner=owner, name=name or f"Muse {next(_counter)}", **fields)

    return make


@pytest.fixture
def make_thread(db):
    def make(owner, muse, **fields):
        fields.setdefault("title", f"Thread {next(_counter)}")
        return thread_services.thread_create(owner=owner, muse=muse, **fields)

    return make


@pytest.fixture
def join(db):
    """Invite a writer into a thread and accept with the given muse."""

    def do(thread, muse):
        invitation = thread_services.invitation_create(
            thread=thread, actor=thread.owner, username=muse.owner.username
        )
        return thread_services.invitation_accept(
            invitation=invitation, writer=muse.owner, muse=muse
        )

    return do


@pytest.fixture
def writer_a(make_writer):
    return make_writer("alice")


@pytest.fixture
def writer_b(make_writer):
    return make_writer("bram")


@pytest.fixture
def ivy(make_muse, writer_a):
    return make_muse(writer_a, "Ivy", pronouns="she/her", accent_colour="#b3261e")


@pytest.fixture
def hale(make_muse, writer_b):
    return make_muse(writer_b, "Hale", pronouns="he/him", accent_colour="#1d5c8c")


@pytest.fixture
def coffee_cart(make_thread, join, writer_a, ivy, hale):
    """A private ordered thread: Ivy (alice) then Hale (bram), no posts yet."""
    thread = make_thread(writer_a, ivy, title="Coffee cart")
    join(thread, hale)
    thread.refresh_from_db()
    return thread


@pytest.fixture
def story(coffee_cart, writer_a, writer_b, ivy, hale):
    """The coffee cart with one post each (Ivy's, then Hale's); modules may define their own."""
    thread_services.post_create(
        thread=coffee_cart, writer=writer_a, muse=ivy, body="ivy ordered ❛ two, please. ❜"
    )
    thread_services.post_create(
        thread=coffee_cart, writer=writer_b, muse=hale, body="hale made *three*, out of spite."
    )
    coffee_cart.refresh_from_db()
    return coffee_cart


@pytest.fixture
def lighthouse(make_thread, join, writer_a, ivy, hale):
    """A public free thread: Ivy (alice) and Hale (bram), one post by Ivy."""
    thread = make_thread(
        writer_a, ivy, title="The lighthouse", visibility="public", turn_mode="free"
    )
    join(thread, hale)
    thread_services.post_create(thread=thread, writer=writer_a, muse=ivy, body="The lamp was lit.")
    thread.refresh_from_db()
    return thread


@pytest.fixture
def as_alice(client, writer_a):
    """The test client, signed in as alice."""
    client.force_login(writer_a)
    return client


@pytest.fixture
def as_bram(client, writer_b):
    """The test client, signed in as bram."""
    client.force_login(writer_b)
    return client
