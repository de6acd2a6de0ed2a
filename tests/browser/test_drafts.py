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


def _saved_copy(page) -> dict | None:
    return page.evaluate(
        """() => {
            const key = Object.keys(localStorage).find((k) => k.startsWith("tandem:draft:"));
            return key ? JSON.parse(localStorage.getItem(key)) : null;
        }"""
    )


@pytest.mark.browser
def test_a_page_rendered_just_before_the_last_save_landed_shows_the_saved_text(
    new_context, page_problems
):
    """A reload can fetch the page before the last autosave lands, and the save's answer can
    reach the old page just after: the new page comes with older text than the server holds.
    It asks the server, and shows what it holds."""
    # page.route must see every request: no service worker (see the test above).
    page = new_context(service_workers="block").new_page()
    open_new_thread(page, "racer")
    body = page.locator("#id_body")
    status = page.locator("[data-draft-status]")
    first, second = "Ivy stacked the saucers. ", "Hale came in out of the rain, dripping."

    body.click()
    page.keyboard.type(first, delay=4)
    expect(status).to_have_text(re.compile(r"^Saved at \d"), timeout=15_000)
    rendered_before = page.request.get(page.url)  # the page as the server had it then
    assert first.strip() in rendered_before.text()
    body.press("End")
    page.keyboard.type(second, delay=4)
    expect(status).to_have_text(re.compile(r"^Saved at \d"), timeout=15_000)
    assert _saved_copy(page)["acked"] is True

    page.route(page.url, lambda route: route.fulfill(response=rendered_before), times=1)
    page.reload()
    expect(body).to_have_value(first + second)
    expect(status).to_have_text(re.compile(r"^Saved at \d"))
    expect(body).to_be_editable()

    # A copy the server no longer holds (here: the text was posted from another device,
    # which clears the server's draft) does not come back into the box.
    copy = _saved_copy(page)
    page.get_by_role("button", name="Post reply").click()
    expect(page.locator(".post").filter(has_text="Hale came in out of the rain")).to_have_count(1)
    expect(page.locator("#id_body")).to_have_value("")
    page.evaluate(
        """(copy) => localStorage.setItem(
            "tandem:draft:" + document.querySelector("form.composer").dataset.draftUrl,
            JSON.stringify(copy))""",
        copy,
    )
    page.reload()
    expect(page.locator("[data-draft-status]")).not_to_have_text(re.compile("Checking"))
    expect(page.locator("#id_body")).to_have_value("")
    assert _saved_copy(page) is None

    # Logging out forgets the copies the server holds (the next person at this device
    # does not find them); it would keep one the server never got.
    page.locator("#id_body").click()
    page.keyboard.type("A line for later.", delay=4)
    expect(page.locator("[data-draft-status]")).to_have_text(
        re.compile(r"^Saved at \d"), timeout=15_000
    )
    assert _saved_copy(page)["acked"] is True
    page.locator(".site-account summary").click()
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("link", name="Log in").first).to_be_visible()
    assert _saved_copy(page) is None
    # Chromium will not let a page the test handed over itself (route.fulfill) open its
    # live-update socket to a local address; every other page here had no problem.
    assert [p for p in page_problems if "LOCAL_NETWORK_ACCESS" not in p] == []
