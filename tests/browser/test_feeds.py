"""Feeds in a real browser: a writer finds their private addresses from the queue, reads the
"your turns" feed as a feed reader would, resets it and the old address stops working."""

from __future__ import annotations

import urllib.error
import urllib.request

import pytest
from lxml import etree
from playwright.sync_api import expect

from tests.browser.test_blocking import _writer_with_muse
from tests.browser.test_story import check_accessibility, shoot

pytestmark = pytest.mark.browser
ATOM = "{http://www.w3.org/2005/Atom}"


def _fetch(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, b""


def test_private_feed_addresses_read_and_reset(new_context, page_problems, screenshots_dir):
    page = _writer_with_muse(new_context(), "feedwright", "Ysolde")
    page.goto("/t/new/")
    page.get_by_label("Title").fill("Ash and Tidewater")
    page.get_by_role("button", name="Start thread").click()
    expect(page.get_by_role("link", name="Read the thread")).to_be_visible()

    page.goto("/")
    page.get_by_role("link", name="Your turns in a feed reader").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Feeds and calendar")
    turns = page.get_by_label("Feed address")
    address = turns.input_value()
    calendar = page.get_by_label("Calendar address").input_value()
    check_accessibility(page)
    shoot(page, screenshots_dir, "96-feeds")

    status, body = _fetch(address)
    assert status == 200
    titles = [t.text for t in etree.fromstring(body).iter(f"{ATOM}title")]
    assert any("Ash and Tidewater" in (t or "") for t in titles)
    status, body = _fetch(calendar)
    assert status == 200 and body.startswith(b"BEGIN:VCALENDAR")

    page.get_by_role("button", name="Reset feed address").click()
    expect(turns).not_to_have_value(address)
    assert _fetch(address)[0] == 404
    assert _fetch(turns.input_value())[0] == 200
    assert _fetch(calendar)[0] == 200  # resetting one address leaves the other working
    assert page_problems == []
