"""Issue 10, item 13 (threads): the composer without JavaScript, the edit preview in the
muse's colour, jumping to the reply box, the folded thread details, and an invitation that
keeps a mistyped name and suggests writers."""

from __future__ import annotations

import html
import re

import pytest
from django.urls import reverse

from tandem.blocks.services import block_writer
from tandem.threads import selectors
from tandem.threads import services as threads
from tandem.threads.models import Invitation, Post

pytestmark = pytest.mark.django_db

DIALOGUE = "She turned. ❛ You came back. ❜"


def text_of(response) -> str:
    return html.unescape(response.content.decode())


def detail_url(thread) -> str:
    return reverse("thread-detail", args=[thread.public_id])


def muse_style_for(muse) -> str:
    return f".muse-{muse.pk}{{--accent:{muse.accent_colour};--dialogue-light:"


# ---------------------------------------------------------------------------- composer


def test_without_javascript_the_composer_offers_preview_and_promises_no_autosave(
    as_alice, coffee_cart
):
    page = text_of(as_alice.get(detail_url(coffee_cart)))
    assert re.search(r'<button type="submit" name="preview" value="1"[^>]*>Preview</button>', page)
    # What the box says before any script runs: nothing saves by itself.
    status = re.search(r"data-draft-status[^>]*>([^<]*)<", page).group(1)
    assert status == "Not saved until you post: use Preview to check it"
    # The live preview and the keyboard shortcut appear only once composer.js runs.
    assert re.search(r'<section class="composer__preview"[^>]*data-composer-live hidden', page)
    assert re.search(r"<p [^>]*data-composer-live hidden>Press <kbd>Ctrl", page)


def test_the_preview_button_shows_the_post_keeps_the_text_and_posts_nothing(
    as_alice, coffee_cart, ivy
):
    response = as_alice.post(
        detail_url(coffee_cart),
        {"muse": ivy.pk, "body": DIALOGUE, "seen_post_count": 0, "preview": "1"},
    )
    assert response.status_code == 200
    assert not Post.objects.filter(thread=coffee_cart).exists()
    page = text_of(response)
    preview = page[page.index('id="preview-reply"') :]
    preview = preview[: preview.index("</div>")]
    assert '<span class="dialogue">❛ You came back. ❜</span>' in preview
    assert f'id="preview-reply" class="post__body muse-{ivy.pk}" data-composer-preview' in page
    # The text is still in the box, and the preview section is shown without script.
    assert DIALOGUE + "</textarea>" in page
    assert not re.search(r'<section class="composer__preview"[^>]*hidden', page)
    # The dialogue colour of every muse the writer may post as is on the page.
    assert muse_style_for(ivy) in page


def test_a_preview_of_an_over_long_post_is_refused_with_the_text_kept(
    as_alice, coffee_cart, ivy, settings
):
    settings.TANDEM_POST_MAX_CHARS = 50
    body = "word " * 20
    response = as_alice.post(
        detail_url(coffee_cart), {"muse": ivy.pk, "body": body, "preview": "1"}
    )
    assert response.status_code == 200
    assert "so there is no preview" in text_of(response)
    assert not Post.objects.exists()


def test_the_edit_preview_shows_dialogue_in_the_muses_colour(as_alice, coffee_cart, ivy):
    post = threads.post_create(thread=coffee_cart, writer=coffee_cart.owner, muse=ivy, body="x")
    url = reverse("post-edit", args=[coffee_cart.public_id, post.number])
    page = text_of(as_alice.get(url))
    assert muse_style_for(ivy) in page
    assert f'class="post__body muse-{ivy.pk}" data-composer-preview' in page
    response = as_alice.post(url, {"body": DIALOGUE, "preview": "1"})
    assert response.status_code == 200
    assert '<span class="dialogue">❛ You came back. ❜</span>' in text_of(response)
    post.refresh_from_db()
    assert post.body == "x"  # a preview saves nothing


# ---------------------------------------------------------------------------- thread page


def test_a_writer_whose_turn_it_is_can_jump_to_the_reply_box(as_alice, coffee_cart):
    page = text_of(as_alice.get(detail_url(coffee_cart)))
    # Second stop of the Tab key: right after "Skip to content".
    skip = page.index('<a class="skip-link" href="#main">')
    assert page.index('<a class="skip-link" href="#reply">Skip to the reply box</a>') > skip
    assert page.index('href="#reply"') < page.index('<header class="site-header">')
    assert '<a href="#reply">Jump to the reply box</a>' in page
    assert 'id="reply" aria-labelledby="h-reply" tabindex="-1"' in page


def test_no_jump_link_when_it_is_not_your_turn(as_bram, coffee_cart):
    page = text_of(as_bram.get(detail_url(coffee_cart)))
    assert "Skip to the reply box" not in page and "Jump to the reply box" not in page


def test_after_posting_the_new_post_takes_the_focus(as_alice, coffee_cart, ivy):
    response = as_alice.post(
        detail_url(coffee_cart), {"muse": ivy.pk, "body": "Hello.", "seen_post_count": 0}
    )
    page = as_alice.get(response["Location"], follow=True)
    assert page.redirect_chain[-1][0].endswith("#post-1")
    # The anchor is focusable, so following it moves the focus there, not just the view.
    assert re.search(r'<li id="post-1" class="post[^"]*" tabindex="-1">', text_of(page))


def test_the_thread_details_fold_into_a_disclosure_under_the_title(as_alice, coffee_cart):
    page = text_of(as_alice.get(detail_url(coffee_cart)))
    h1 = page.index('<h1 class="thread-title">Coffee cart</h1>')
    about = page.index('<details class="thread-about">')
    assert h1 < about
    summary = re.search(r'<summary class="thread-about__toggle">(.*?)</summary>', page, re.S)
    assert "About this thread" in summary.group(1)
    folded = page[about : page.index("</details>", page.index('class="download-menu'))]
    for part in ('class="thread-meta"', 'aria-label="This thread"', 'class="download-menu'):
        assert part in folded
    assert 'id="post-' not in folded and "turn-banner" not in folded


# ---------------------------------------------------------------------------- invitations


@pytest.fixture
def marigold(make_writer):
    return make_writer("marigold")


def test_a_mistyped_name_stays_in_the_box_with_the_writers_it_may_mean(
    as_alice, coffee_cart, marigold, make_writer
):
    make_writer("mariner")
    response = as_alice.post(
        reverse("thread-invite", args=[coffee_cart.public_id]), {"username": "marigld"}
    )
    assert response.status_code == 200
    page = text_of(response)
    assert "There is no writer called “marigld”." in page
    assert re.search(r'<input type="text" name="username" value="marigld"', page)
    assert 'list="invite-suggestions"' in page
    did_you_mean = re.search(r'id="invite-did-you-mean">(.*?)</p>', page, re.S).group(1)
    assert did_you_mean.index("marigold") < did_you_mean.index("mariner")
    assert '<option value="marigold">' in page
    assert not Invitation.objects.filter(invitee=marigold).exists()


def test_suggestions_as_you_type_leave_out_who_cannot_be_invited(
    as_alice, coffee_cart, make_writer, writer_b
):
    maple = make_writer("maple")
    make_writer("mapleleaf")
    blocker = make_writer("mapmaker")
    block_writer(blocker=blocker, blocked=coffee_cart.owner)
    invited = make_writer("mapreader")
    threads.invitation_create(thread=coffee_cart, actor=coffee_cart.owner, username="mapreader")
    url = reverse("thread-invite-suggestions", args=[coffee_cart.public_id])
    response = as_alice.get(url, {"username": "map"})
    assert response.status_code == 200
    options = re.findall(r'<option value="([^"]+)">', response.content.decode())
    assert options == ["maple", "mapleleaf"]
    # Already in the thread (bram), blocked either way, already invited: never offered.
    assert writer_b.username not in options and blocker.username not in options
    assert invited.username not in options and maple.username in options
    assert as_alice.get(url, {"username": "m"}).content.decode().strip() == ""


def test_a_writer_blocked_by_someone_in_the_thread_is_not_suggested(
    as_alice, coffee_cart, make_writer, writer_b
):
    quill = make_writer("quill")
    block_writer(blocker=writer_b, blocked=quill)  # bram writes in the thread
    assert selectors.invite_suggestions(coffee_cart, coffee_cart.owner, "quil") == []


def test_only_the_owner_gets_suggestions(as_bram, client, coffee_cart, make_writer):
    make_writer("maple")
    url = reverse("thread-invite-suggestions", args=[coffee_cart.public_id])
    assert as_bram.get(url, {"username": "map"}).status_code == 403
    client.logout()
    assert client.get(url, {"username": "map"}).status_code == 302
