"""API tokens in a real browser: a writer makes a read-only token, copies it from the page,
asks the API whose turn it is with it, then revokes it and the API says no."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest
from playwright.sync_api import expect

from tests.browser.test_blocking import _writer_with_muse
from tests.browser.test_story import check_accessibility, shoot

pytestmark = pytest.mark.browser


def _api(base_url: str, token: str, path: str) -> tuple[int, dict]:
    request = urllib.request.Request(base_url + path, headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


def test_make_use_and_revoke_a_token(new_context, base_url, page_problems, screenshots_dir):
    page = _writer_with_muse(new_context(), "tokenwright", "Odile")
    page.locator(".site-account summary").click()  # the account menu
    page.get_by_role("link", name="API tokens").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("API tokens")
    page.get_by_label("Name").fill("phone shortcut")
    page.get_by_label("Read only").check()
    page.get_by_role("button", name="Make token").click()
    field = page.get_by_label("Token (read only)")
    expect(field).to_be_visible()
    token = field.input_value()
    assert token.startswith("tdm_")
    check_accessibility(page)
    shoot(page, screenshots_dir, "95-api-token")

    status, me = _api(base_url, token, "/api/v1/me")
    assert (status, me["username"], me["token_scope"]) == (200, "tokenwright", "read")
    status, queue = _api(base_url, token, "/api/v1/queue")
    assert status == 200 and set(queue) >= {"your_turn", "waiting", "invitations"}

    # Reloading does not show the token again; the list shows only its first characters.
    page.goto("/accounts/tokens/")
    expect(page.get_by_label("Token (read only)")).to_have_count(0)
    expect(page.get_by_text(token[:12] + "…")).to_be_visible()
    page.get_by_role("button", name="Revoke token phone shortcut").click()
    expect(page.get_by_text("Token “phone shortcut” revoked")).to_be_visible()
    status, error = _api(base_url, token, "/api/v1/me")
    assert status == 401 and error["code"] == "unauthenticated"
    assert page_problems == []
