"""The installable app in a real browser: the service worker registers from the site root,
kept thread pages open offline, and the devices page's "Enable notifications on this
device" button either subscribes or says clearly why it could not.

Headless Chromium has no push service behind it (no Firebase connection), so
``pushManager.subscribe`` fails there: the test then checks the page's message. Delivery
itself is tested against a local push service in tests/push/test_delivery.py."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_blocking import _public_thread, _writer_with_muse
from tests.browser.test_story import check_accessibility, shoot
from tests.push.conftest import Device

pytestmark = pytest.mark.browser

SUBSCRIBED = "Notifications are on for this device."
COULD_NOT = "This browser could not subscribe to push notifications"
PHONE_UA = "Mozilla/5.0 (Linux; Android 14; Pixel 8) Chrome/131.0 Mobile Safari/537.36"
# What the browser logs by itself along the way: requests failing while the test has it
# offline (htmx's preview, live updates' sockets), and Chromium refusing push in its
# incognito-like test contexts. The page handles each; none is a Tandem error.
EXPECTED = (
    "ERR_INTERNET_DISCONNECTED",
    "htmx:sendError",
    "htmx:afterRequest",
    "does not support the Push API in incognito mode",
)


def test_service_worker_offline_threads_and_the_devices_page(
    new_context, base_url, page_problems, screenshots_dir
):
    context = new_context()
    page = _writer_with_muse(context, "pushwright", "Marguerite")
    expect(page.locator('link[rel="manifest"]')).to_have_attribute("href", "/manifest.webmanifest")
    scope = page.evaluate(
        "() => navigator.serviceWorker.ready.then((registration) => registration.scope)"
    )
    assert scope == base_url + "/"
    manifest = page.request.get("/manifest.webmanifest").json()
    assert manifest["short_name"] == "Tandem"

    # A thread page opened online is kept; offline it opens from the worker's cache, and a
    # page never opened shows the offline page.
    path = _public_thread(page, "Lanterns on the water", "The boats went out at dusk.")
    page.goto(path)
    page.wait_for_function(
        """(path) => caches.open("tandem-threads")
             .then((cache) => cache.keys())
             .then((keys) => keys.some((request) => new URL(request.url).pathname === path))""",
        arg=path,
    )
    context.set_offline(True)
    page.goto(path)
    expect(page.get_by_role("heading", level=1)).to_have_text("Lanterns on the water")
    expect(page.get_by_text("The boats went out at dusk.")).to_be_visible()
    page.goto("/muses/")
    expect(page.get_by_role("heading", level=1)).to_have_text("You are offline")
    context.set_offline(False)

    # The devices page, from the account menu.
    page.goto("/")
    page.locator(".site-account summary").click()
    page.get_by_role("link", name="Devices").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Devices")
    expect(page.get_by_text("No devices yet.")).to_be_visible()
    check_accessibility(page)
    context.grant_permissions(["notifications"], origin=base_url)
    button = page.get_by_role("button", name="Enable notifications on this device")
    button.focus()
    page.keyboard.press("Enter")  # works from the keyboard
    outcome = page.locator("[data-push-status]")
    expect(outcome).to_have_text(re.compile(f"^({SUBSCRIBED}|{COULD_NOT})"), timeout=30_000)
    text = outcome.inner_text()
    if COULD_NOT in text:
        # No push service in headless Chromium: a clear message, and the button again.
        expect(outcome).to_have_class("message message--error")
        expect(button).to_be_enabled()
    # A subscription as a phone's browser would send it (pushes to it are never sent here),
    # so the list shows a device; then it is removed from the page.
    if COULD_NOT in text:
        csrf = next(c["value"] for c in context.cookies() if c["name"] == "csrftoken")
        answer = page.request.post(
            "/push/subscribe/",
            data=Device(endpoint="https://push.example.test/v1/phone").subscription_json(),
            headers={"X-CSRFToken": csrf, "User-Agent": PHONE_UA},
        )
        assert answer.status == 201, answer.text()
        page.reload()
    device = page.locator(".push-device")
    expect(device).to_have_count(1)
    expect(device.get_by_role("heading", level=3)).to_contain_text(" on ")
    expect(device).to_contain_text("not notified yet")
    shoot(page, screenshots_dir, "98-push-devices")
    device.get_by_role("button", name=re.compile("^Remove device")).click()
    expect(page.get_by_text("will get no more notifications")).to_be_visible()
    expect(page.get_by_text("No devices yet.")).to_be_visible()
    # Log-out tells the worker to forget kept pages: the next writer cannot read them.
    page.locator(".site-account summary").click()
    page.get_by_role("button", name="Log out").click()
    page.wait_for_function(
        "() => caches.has('tandem-threads').then((kept) => !kept)", timeout=10_000
    )
    assert [p for p in page_problems if not any(e in p for e in EXPECTED)] == []
