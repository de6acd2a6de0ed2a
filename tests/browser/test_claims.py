"""Consent in a real browser: an import naming a partner's muse waits for the partner."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_story import check_accessibility, shoot, sign_up

PASTE = """moth counted the lanterns on the bridge twice & came up one short both times. \
she did not say so. she only pulled her scarf higher and waited.

---

rook arrived the way he always did, late and pretending otherwise. ❛ one's out, ❜ he said, \
before she could. ❛ the third from the end. i saw it on the way. ❜

---

❛ i know, ❜ moth said. ❛ i was waiting to see if you would notice. ❜
"""


def _new_muse(page, name: str, colour: str) -> None:
    page.goto("/muses/new/")
    page.get_by_label(re.compile(r"^Name:?$")).fill(name)
    page.get_by_label("Accent colour").fill(colour)
    page.get_by_role("button", name="Create muse").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(name)


@pytest.mark.browser
def test_an_imported_partners_muse_waits_for_the_partner_to_accept(
    new_context, page_problems, screenshots_dir
):
    partner = new_context().new_page()
    sign_up(partner, "lamplight")
    partner.get_by_role("button", name="Create account").click()
    _new_muse(partner, "Rook", "#1d5c8c")

    importer = new_context().new_page()
    sign_up(importer, "bridgekeep")
    importer.get_by_role("button", name="Create account").click()
    _new_muse(importer, "Moth", "#b3261e")
    importer.goto("/import/")
    importer.get_by_label("Title").fill("Lanterns on the bridge")
    importer.get_by_label("Paste the thread").fill(PASTE)
    importer.get_by_label("Moth", exact=True).check()
    importer.get_by_label("Other muses").fill("Rook=lamplight")
    importer.get_by_role("button", name="Propose the split").click()
    expect(importer.get_by_role("heading", level=1)).to_have_text("Check the import")
    importer.get_by_role("button", name=re.compile(r"^Import 3 posts")).click()
    expect(importer.get_by_role("heading", level=1)).to_have_text("Lanterns on the bridge")

    # Until the partner answers, Rook's post is the importer's, and says whom it awaits.
    story = importer.get_by_role("list", name="Posts").get_by_role("listitem")
    expect(story).to_have_count(3)
    expect(story.nth(1)).to_contain_text("Imported by bridgekeep, awaiting lamplight")
    shoot(importer, screenshots_dir, "38-import-awaiting-claim")

    # The partner sees an invitation, not the thread: its page is a 404 for them.
    thread_url = importer.url.split("#")[0]
    response = partner.goto(thread_url)
    assert response is not None and response.status == 404
    partner.goto("/")
    partner.get_by_role("link", name=re.compile("Lanterns on the bridge")).first.click()
    expect(partner.get_by_role("heading", level=1)).to_have_text("Lanterns on the bridge")
    expect(partner.get_by_text("the third from the end")).to_be_visible()
    check_accessibility(partner)
    shoot(partner, screenshots_dir, "39-claim-invitation")
    partner.get_by_role("button", name="Accept: these are Rook’s").click()

    # Accepted: the post is the partner's own, on both sides.
    expect(partner.get_by_role("heading", level=1)).to_have_text("Lanterns on the bridge")
    mine = partner.get_by_role("list", name="Posts").get_by_role("listitem").nth(1)
    expect(mine).to_contain_text("Rook")
    expect(mine.get_by_role("link", name="Edit")).to_be_visible()
    importer.reload()
    expect(story.nth(1)).not_to_contain_text("awaiting")
    expect(story.nth(1).get_by_role("link", name="Edit")).to_have_count(0)
    assert page_problems == []
