"""Thread cards and post headers come from the fragment cache, and are never stale:
whatever changes what they show changes their key (tandem/core/fragments.py)."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from tandem.core.fragments import fragment
from tandem.muses.services import muse_update
from tandem.threads import services as thread_services
from tandem.threads.models import Post

pytestmark = pytest.mark.django_db


def _page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_a_fragment_is_rendered_once_per_key():
    calls = []

    def render():
        calls.append(1)
        return f"<b>{len(calls)}</b>"

    assert fragment("demo", ("a", 1), render) == "<b>1</b>"
    assert fragment("demo", ("a", 1), render) == "<b>1</b>"  # kept
    assert fragment("demo", ("a", 2), render) == "<b>2</b>"  # another key, drawn again
    assert fragment("other", ("a", 1), render) == "<b>3</b>"  # kinds never share
    assert len(calls) == 3


def test_a_renamed_muse_shows_at_once_on_the_thread_page(client, lighthouse, writer_a, ivy):
    assert ">Ivy</a>" in _page(client, lighthouse.get_absolute_url())
    muse_update(muse=ivy, writer=writer_a, name="Ivy Marlowe")
    html = _page(client, lighthouse.get_absolute_url())
    assert ">Ivy Marlowe</a>" in html
    assert ">Ivy</a>" not in html


def test_an_edit_shows_at_once_and_the_revisions_link_is_for_writers_only(
    client, lighthouse, writer_a, writer_b
):
    post = Post.objects.get(thread=lighthouse, number=1)
    _page(client, lighthouse.get_absolute_url())  # a reader's header cached
    thread_services.post_edit(post=post, writer=writer_a, body="The lamp was lit, & swung.")
    revisions = reverse("post-revisions", args=[lighthouse.public_id, 1])
    anonymous = _page(client, lighthouse.get_absolute_url())
    assert "· edited" in anonymous
    assert "&amp; swung" in anonymous
    assert revisions not in anonymous
    client.force_login(writer_b)  # a writer of the thread, after the reader's copy was kept
    assert revisions in _page(client, lighthouse.get_absolute_url())
    client.logout()
    assert revisions not in _page(client, lighthouse.get_absolute_url())


def test_each_reader_sees_times_in_their_own_zone(client, lighthouse, writer_b):
    utc = _page(client, lighthouse.get_absolute_url())
    writer_b.time_zone = "Pacific/Kiritimati"  # UTC+14: never the same clock time as UTC
    writer_b.save(update_fields=["time_zone"])
    client.force_login(writer_b)
    kiritimati = _page(client, lighthouse.get_absolute_url())
    shown = re.compile(r'<time datetime="[^"]+">([^<]+)</time>')
    assert shown.findall(utc)[0] != shown.findall(kiritimati)[0]


def test_every_page_writes_the_muse_colours_with_its_own_nonce(client, lighthouse):
    """The nonce'd styles stay outside the cached markup: a cached header must not carry an
    earlier page's nonce, which the browser would refuse."""
    for _ in range(2):
        response = client.get(lighthouse.get_absolute_url())
        nonce = re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"]).group(1)
        html = response.content.decode()
        styles = re.findall(r'<style nonce="([^"]*)">\.muse-(\d+)\{', html)
        assert {muse for _, muse in styles} == {
            str(p.muse_id) for p in lighthouse.participants.all()
        }
        assert {found for found, _ in styles} == {nonce}


def test_a_thread_card_follows_its_thread(client, lighthouse, writer_a):
    assert "The lighthouse" in _page(client, "/t/public/")
    thread_services.thread_update(
        thread=lighthouse,
        actor=writer_a,
        title="The lighthouse keeper",
        summary="a storm, a lamp.",
        rating=lighthouse.rating,
        warnings=lighthouse.warnings,
        tags=["slow burn"],
        visibility=lighthouse.visibility,
        turn_mode=lighthouse.turn_mode,
        status=lighthouse.status,
    )
    html = _page(client, "/t/public/")
    assert "The lighthouse keeper" in html
    assert "a storm, a lamp." in html
    assert "slow burn" in html
    thread_services.post_create(
        thread=lighthouse, writer=writer_a, muse=lighthouse.owner.muses.get(), body="more."
    )
    assert "2 posts" in _page(client, "/t/public/")


def test_a_cached_queue_item_carries_each_readers_own_csrf_token(writer_a, writer_b, lighthouse):
    """The queue's Pin/Mute forms come from the cache with the token filled in per reader:
    a browser that enforces CSRF can use them, and no reader gets another's token."""
    from django.test import Client

    from tandem.core.fragments import CSRF_HOLE

    forms = re.compile(
        r'<form method="post" action="([^"]+/queue/)">'
        r'<input type="hidden" name="csrfmiddlewaretoken" value="([^"]+)">'
    )
    tokens = {}
    for writer in (writer_a, writer_b, writer_a):
        browser = Client(enforce_csrf_checks=True)
        browser.force_login(writer)
        html = _page(browser, "/")
        assert CSRF_HOLE not in html
        found = forms.findall(html)
        assert found, "the queue shows the thread with its forms"
        action, token = found[0]
        assert {t for _, t in found} == {token}  # one token per page
        tokens.setdefault(writer.username, []).append(token)
        response = browser.post(action, {"flag": "pin", "csrfmiddlewaretoken": token, "next": "/"})
        assert response.status_code == 302
        refused = browser.post(action, {"flag": "unpin", "next": "/"})  # no token, refused
        assert refused.status_code == 403
    assert len({*tokens["alice"], *tokens["bram"]}) == 3
