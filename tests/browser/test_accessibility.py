"""Every main page passes axe-core's WCAG 2 A/AA rules: light and dark, desktop and phone.

axe-core comes from the npm registry (package.json at the repository root; scripts/test runs
``npm ci`` when node_modules is missing) and is injected by Playwright. The Content-Security-
Policy refuses scripts without the page's nonce, so this test's browser context, and only
this one, bypasses the CSP to inject axe.

The pages are those of a writer with data: a muse, a thread with posts and OOC talk, an edited
post, a partner's invitation, a notification; and the pages a visitor sees signed out.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import DESKTOP, PHONE
from tests.browser.test_story import sign_up

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
WIDTHS = {"desktop": DESKTOP, "phone": PHONE}
SCHEMES = ["light", "dark"]

RUN_AXE_JS = """
async (tags) => {
  const result = await axe.run(document, {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]});
  return result.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 5).map((n) => ({target: n.target.join(" "), summary: n.failureSummary})),
    count: v.nodes.length,
  }));
}
"""


def _readable(where: str, violations: list[dict]) -> str:
    lines = [f"{where}:"]
    for v in violations:
        lines.append(f"  [{v['impact']}] {v['id']}: {v['help']} ({v['count']} element(s))")
        for node in v["nodes"]:
            summary = " ".join(node["summary"].split())
            lines.append(f"      {node['target']} — {summary[:300]}")
    return "\n".join(lines)


def _violations(page: Page, path: str) -> list[str]:
    problems = []
    for width_name, size in WIDTHS.items():
        page.set_viewport_size(size)
        page.emulate_media(color_scheme=SCHEMES[0])
        response = page.goto(path)
        if response is None or response.status >= 400:
            problems.append(f"{path}: answered {response.status if response else 'nothing'}")
            return problems
        # The stylesheet must have arrived, or every colour and size below is the browser's.
        assert page.evaluate(
            "() => [...document.styleSheets].some((s) => s.href && s.href.endsWith('tandem.css') && s.cssRules.length > 0)"
        ), f"{path}: tandem.css did not load"
        page.add_script_tag(path=str(AXE))
        for scheme in SCHEMES:
            # The theme follows the device ("system"): switching the emulated scheme
            # restyles the same page, no reload needed.
            page.emulate_media(color_scheme=scheme)
            found = page.evaluate(RUN_AXE_JS, TAGS)
            if found:
                problems.append(_readable(f"{path} ({scheme}, {width_name})", found))
    return problems


def _write_world(page: Page, partner: Page) -> dict[str, str]:
    """Two writers, a thread with posts, OOC, an edit and an invitation; the paths to visit."""
    sign_up(partner, "hawthorn")
    partner.get_by_role("button", name="Create account").click()
    partner.get_by_label(re.compile(r"^Name:?$")).fill("Hale")
    partner.get_by_role("button", name="Create muse").click()

    sign_up(page, "alder")
    page.get_by_role("button", name="Create account").click()
    page.get_by_label(re.compile(r"^Name:?$")).fill("Ivy")
    page.get_by_role("button", name="Create muse").click()
    expect(page).to_have_url(re.compile(r"/muses/\d+/$"))
    muse_path = urlpath(page)
    page.goto("/t/new/")
    page.get_by_label("Title").fill("Lanterns at dusk")
    page.get_by_label("Summary").fill("A night market, a grey coat, a red lantern.")
    page.locator("input[name=visibility][value=public]").check()
    fandoms = page.get_by_label("Fandoms")
    if fandoms.count():
        fandoms.fill("Night markets")
    page.get_by_role("button", name="Start thread").click()
    settings_path = urlpath(page)
    page.get_by_role("link", name="Read the thread").click()
    thread_path = urlpath(page)
    for text in (
        "Ivy stood at the lantern stall. ❛ Either buy one or admit you are following me. ❜",
        "*She did not turn.* The market hummed; somewhere a kettle sang.",
    ):
        reply = page.get_by_role("region", name="Write your reply")
        reply.get_by_label("Your reply").fill(text)
        reply.get_by_role("button", name="Post reply").click()
        expect(page.get_by_text("Posted as Ivy.")).to_be_visible()
    page.goto(thread_path + "posts/1/edit/")
    page.get_by_label("Post text").fill("Ivy stood at the stall, waiting.")
    page.get_by_role("button", name="Save").click()
    page.goto(thread_path + "ooc/")
    page.get_by_label("Out of character").fill("Shall we meet at the bridge next?")
    page.get_by_role("button", name=re.compile("Send|Post")).click()
    page.goto(settings_path)
    page.get_by_label("Writer's username").fill("hawthorn")
    page.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_text("Invited hawthorn.")).to_be_visible()
    return {
        "thread": thread_path,
        "settings": settings_path,
        "muse": muse_path,
    }


def urlpath(page: Page) -> str:
    return re.sub(r"[?#].*$", "", page.url.split(page.url.split("/")[2], 1)[1])


def test_every_main_page_has_no_axe_violations_in_light_and_dark_at_both_widths(browser, base_url):
    assert AXE.exists(), "axe-core is missing: run `npm ci` at the repository root"
    contexts = [
        browser.new_context(base_url=base_url, bypass_csp=True, locale="en-GB", timezone_id="UTC")
        for _ in range(3)
    ]
    try:
        for context in contexts:
            context.set_default_timeout(10_000)
        page, partner, visitor = (context.new_page() for context in contexts)
        paths = _write_world(page, partner)
        thread = paths["thread"]
        partner.goto("/")
        partner_invitation = partner.locator("a[href^='/t/invitations/']").first.get_attribute(
            "href"
        )

        signed_in = [
            "/",
            thread,
            thread + "?page=last",
            thread + "ooc/",
            paths["settings"],
            thread + "posts/1/edit/",
            thread + "posts/1/revisions/",
            "/t/new/",
            "/muses/",
            paths["muse"],
            paths["muse"] + "edit/",
            "/muses/new/",
            "/writers/alder/",
            "/notifications/",
            "/notifications/preferences/",
            "/search/?q=lantern",
            "/search/?q=lantern&kind=threads",
            "/t/public/",
            "/import/",
            "/export/backup/",
            "/accounts/profile/",
            "/accounts/password/",
        ]
        # Pages of the features written alongside this check (issue 10): starters, series,
        # follows and bookmarks, blocks, reports, a tag's page.
        tag_link = page.locator("a[href^='/tags/']")
        page.goto(thread)
        tag_path = tag_link.first.get_attribute("href") if tag_link.count() else None
        signed_in += [
            "/starters/",
            "/starters/new/",
            "/starters/mine/",
            "/series/",
            "/follows/",
            "/follows/bookmarks/",
            "/blocks/",
            "/moderation/mine/",
            *([tag_path] if tag_path else []),
            "/accounts/tokens/",  # the API's tokens (issue 11)
            "/elsewhere/",  # threads kept elsewhere (issue 11, items 9–10)
            "/elsewhere/import/",
            "/feeds/",  # private feed and calendar addresses (issue 11, items 7–8)
            "/push/devices/",  # devices for push notifications (issue 11, item 12)
        ]
        signed_out = [
            "/",
            "/accounts/signup/",
            "/accounts/login/",
            "/accounts/password/reset/",
            "/t/public/",
            thread,
            "/writers/alder/",
            "/offline/",  # what the service worker shows offline (issue 11, item 11)
        ]
        problems = []
        for path in signed_in:
            problems += _violations(page, path)
        problems += _violations(partner, partner_invitation)
        for path in signed_out:
            problems += _violations(visitor, path)
        assert not problems, "axe-core found violations:\n" + "\n".join(problems)
    finally:
        for context in contexts:
            context.close()
