"""Drafts never go backwards, in a real browser: reloading a moment after typing brings
back all of the text, the server's draft ends with all of it, and the status under the box
says "Saved" only once the server has the text in the box."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.test_story import sign_up

# Each round types one more sentence, then reloads this many ms after the last key.
ROUNDS = [
    ("Ivy counted the cups twice, because the first count came out wrong. ", 300),
    ("Rain ticked on the awning; somewhere a tram bell rang and rang. ", 200),
    ("She wrote the total on the back of a receipt — 41 — and frowned at it. ", 700),
    ("Hale would say she was fussing. He would be right, as usual, annoyingly. ", 300),
    ("“Forty-one,” she told the empty shop, and it did not argue. ", 1200),
]
STATUS_SHOTS = Path("/tmp/tandem-draft-status")


def open_new_thread(page, username: str) -> None:
    sign_up(page, username)
    page.get_by_role("button", name="Create account").click()
    page.get_by_label(re.compile(r"^Name:?$")).fill("Ivy")
    page.get_by_role("button", name="Create muse").click()
    page.goto("/t/new/")
    page.get_by_label("Title").fill("Counting cups")
    page.get_by_role("button", name="Start thread").click()
    page.get_by_role("link", name="Read the thread").click()


@pytest.mark.browser
def test_a_quick_reload_after_typing_never_loses_text(new_context, page_problems):
    page = new_context().new_page()
    open_new_thread(page, "drafter")
    body = page.locator("#id_body")
    status = page.locator("[data-draft-status]")
    written = ""
    for sentence, wait_ms in ROUNDS:
        body.click()
        body.press("End")
        page.keyboard.type(sentence, delay=4)
        written += sentence
        page.wait_for_timeout(wait_ms)
        page.reload()
        # Whatever reached the server before the reload, the box holds every word.
        expect(page.locator("#id_body")).to_have_value(written)

    # Saved only once the server has acknowledged this very text: either the reload found
    # it already there (the last save, sent as the page went away, arrived first), or the
    # page sent this device's newer copy and the server acknowledged it ...
    expect(status).to_have_text(
        re.compile(r"^(Saved at \d|Draft restored — saved \d)"), timeout=15_000
    )
    STATUS_SHOTS.mkdir(parents=True, exist_ok=True)
    page.locator("form.composer").screenshot(path=str(STATUS_SHOTS / "saved.png"))
    # ... and the server's draft is the whole text: a device with no copy of its own
    # (this one, its storage cleared) gets all of it from the page.
    page.evaluate("() => localStorage.clear()")
    page.reload()
    expect(page.locator("#id_body")).to_have_value(written)
    assert page_problems == []


@pytest.mark.browser
def test_the_status_says_not_saved_while_the_server_cannot_be_reached(new_context, page_problems):
    # Once Tandem's service worker controls the page, Playwright's page.route no longer sees
    # the page's requests (its documented limit), and the "unreachable" server below would
    # be reached after all whenever the worker won the race: this page runs without it.
    page = new_context(service_workers="block").new_page()
    open_new_thread(page, "offline")
    body = page.locator("#id_body")
    status = page.locator("[data-draft-status]")

    page.route(re.compile(r"/t/[^/]+/draft/$"), lambda route: route.abort())
    body.click()
    page.keyboard.type("Nobody hears this yet.", delay=4)
    expect(status).to_have_text("Not saved — kept on this device", timeout=15_000)
    STATUS_SHOTS.mkdir(parents=True, exist_ok=True)
    page.locator("form.composer").screenshot(path=str(STATUS_SHOTS / "not-saved.png"))

    # The device copy brings the text back on a reload, even with the server still away.
    page.reload()
    expect(page.locator("#id_body")).to_have_value("Nobody hears this yet.")

    # Back online: the restored text is saved, and only then does the status say so.
    page.unroute(re.compile(r"/t/[^/]+/draft/$"))
    page.locator("#id_body").press("End")
    page.keyboard.type(" Now it does.", delay=4)
    expect(status).to_have_text(re.compile(r"^Saved at \d"), timeout=15_000)
    page.evaluate("() => localStorage.clear()")
    page.reload()
    expect(page.locator("#id_body")).to_have_value("Nobody hears this yet. Now it does.")
    # Aborted requests show up as console errors; they were the point of this test.
    assert [p for p in page_problems if "draft" not in p and "ERR_FAILED" not in p] == []
