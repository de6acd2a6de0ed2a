"""Issue 10, item 13 (core): one time format in the writer's time zone, header links whose
accessible name keeps the visible count, the phone header menu and the start-up warning
about TANDEM_SITE_URL."""

from __future__ import annotations

import os
import re
import zoneinfo
from datetime import UTC, datetime

import pytest
from django.template import Context, Template
from django.urls import reverse
from django.utils import timezone

from tandem import cli
from tandem.threads import services as threads

pytestmark = pytest.mark.django_db

MOMENT = datetime(2026, 3, 4, 22, 30, tzinfo=UTC)


def render(source: str, **context) -> str:
    return Template("{% load tandem %}" + source).render(Context(context))


# ---------------------------------------------------------------------------- time format


def test_when_shows_the_moment_in_the_active_time_zone_with_the_utc_instant():
    with timezone.override("Asia/Tokyo"):  # UTC+9: the next day
        out = render("{{ moment|when }}", moment=MOMENT)
    assert out == '<time datetime="2026-03-04T22:30:00Z">5 Mar 2026, 07:30</time>'
    with timezone.override("America/New_York"):
        assert ">4 Mar 2026, 17:30<" in render("{{ moment|when }}", moment=MOMENT)


def test_when_is_empty_for_no_moment():
    assert render("{{ moment|when }}", moment=None) == ""
    assert render("{{ moment|when }}", moment="yesterday") == ""


def test_a_writer_sees_post_times_in_their_own_time_zone(client, writer_a, ivy):
    writer_a.time_zone = "Pacific/Auckland"
    writer_a.save(update_fields=["time_zone"])
    thread = threads.thread_create(owner=writer_a, muse=ivy, title="Night shift")
    post = threads.post_create(thread=thread, writer=writer_a, muse=ivy, body="late")
    client.force_login(writer_a)
    page = client.get(thread.get_absolute_url()).content.decode()
    local = timezone.localtime(post.created_at, timezone=zoneinfo.ZoneInfo("Pacific/Auckland"))
    shown = f"{local.day} {local:%b %Y, %H:%M}"
    assert f">{shown}</time>" in page
    stamp = post.created_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert f'<time datetime="{stamp}">' in page


def test_no_template_formats_a_moment_by_itself():
    """Every moment goes through |when: no |date with a clock, no "… ago"."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "tandem"
    offenders = []
    apps = (
        *("accounts", "blocks", "core", "exports", "follows", "imports", "moderation", "muses"),
        *("notifications", "search", "series", "starters", "threads"),
    )
    for path in (p for app in apps for p in (root / app).rglob("*.html")):
        text = path.read_text()
        for match in re.finditer(r"\|date:\s*[\"']([^\"']*)[\"']", text):
            if match.group(1) not in ("c", "F Y"):  # machine stamps; "since December 2026"
                offenders.append(f"{path.relative_to(root)}: {match.group(0)}")
        if re.search(r"\|waited }} ago", text) or "|naturaltime" in text:
            offenders.append(f"{path.relative_to(root)}: relative moment")
    assert offenders == []


# ---------------------------------------------------------------------------- header


def _header(response) -> str:
    text = response.content.decode()
    return text[text.index('<header class="site-header">') : text.index("</header>")]


def test_header_counts_stay_in_the_links_accessible_names(
    client, writer_a, writer_b, ivy, hale, django_capture_on_commit_callbacks
):
    """WCAG 2.5.3: no aria-label replaces the visible "Queue 1"; the count is in the text."""
    thread = threads.thread_create(owner=writer_a, muse=ivy, title="Lanterns")
    with django_capture_on_commit_callbacks(execute=True):
        threads.invitation_create(thread=thread, actor=writer_a, username="bram")
    client.force_login(writer_a)
    header = _header(client.get(reverse("home")))
    assert 'aria-label="Queue' not in header and 'aria-label="Notifications' not in header
    queue = re.search(r'<a href="/"[^>]*>(.*?)</a>', header, re.S).group(1)
    assert re.sub(r"<[^>]+>", "", queue) == "Queue 1 waiting on you"

    client.force_login(writer_b)
    header = _header(client.get(reverse("home")))
    assert 'Invites <span class="badge badge--soft">1</span>' in header
    bell = re.search(r'<a href="/notifications/" class="bell"[^>]*>(.*?)</a>', header, re.S)
    words = " ".join(re.sub(r"<[^>]+>", " ", bell.group(1)).split())
    assert words == "Notifications 1 unread"


def test_the_header_folds_into_a_menu_disclosure_that_needs_no_script(client, writer_a):
    client.force_login(writer_a)
    header = _header(client.get(reverse("home")))
    assert '<details class="site-menu">' in header
    assert '<summary class="site-menu__toggle">Menu' in header
    # The search box, the main links and the account menu are all inside it.
    inside = header[header.index('<details class="site-menu">') :]
    for part in ('role="search"', 'aria-label="Main"', "site-account"):
        assert part in inside


# ---------------------------------------------------------------------------- site URL


def test_serving_on_loopback_without_a_site_url_links_to_the_served_address(monkeypatch):
    monkeypatch.delenv("TANDEM_SITE_URL", raising=False)
    assert cli._site_url_for("127.0.0.1", 8123) is None
    assert os.environ["TANDEM_SITE_URL"] == "http://127.0.0.1:8123"


@pytest.mark.parametrize("configured", ["", "http://127.0.0.1:8000", "http://localhost:8000"])
def test_serving_to_the_network_with_a_loopback_site_url_warns(monkeypatch, configured):
    monkeypatch.setenv("TANDEM_SITE_URL", configured)
    warning = cli._site_url_for("0.0.0.0", 8000)
    assert warning is not None
    assert "TANDEM_SITE_URL" in warning and "e-mails, webhooks and exports" in warning


def test_serving_to_the_network_with_a_real_site_url_is_quiet(monkeypatch):
    monkeypatch.setenv("TANDEM_SITE_URL", "https://tandem.example.org")
    assert cli._site_url_for("0.0.0.0", 8000) is None
    assert cli._site_url_for("::1", 8000) is None
