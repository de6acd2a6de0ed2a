"""The composer and the reading page: drafts, preview, revisions, OOC, icons, reading comfort."""

from __future__ import annotations

import html
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from PIL import Image

from tandem.muses.services import icon_add
from tandem.threads import services
from tandem.threads.models import OocMessage, Post, ThreadWriterState, TurnEvent
from tandem.writing import markup
from tandem.writing.models import Draft
from tandem.writing.services import draft_save

pytestmark = pytest.mark.django_db


def text_of(response) -> str:
    return html.unescape(response.content.decode())


def png(colour="#b3261e") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (80, 80), colour).save(buffer, format="PNG")
    return SimpleUploadedFile("icon.png", buffer.getvalue(), content_type="image/png")


# ---------------------------------------------------------------------------- drafts


def test_autosave_keeps_the_text_and_the_page_restores_it(as_alice, coffee_cart, ivy):
    """A draft saved by the composer comes back in the reply box on the next visit."""
    typed = "ivy wiped the counter — twice — & pretended not to notice him."
    response = as_alice.post(
        reverse("composer-draft", args=[coffee_cart.public_id]), {"body": typed, "muse": ivy.pk}
    )
    assert response.status_code == 200
    assert "saved_at" in response.json()
    page = text_of(as_alice.get(reverse("thread-detail", args=[coffee_cart.public_id])))
    assert typed in page
    assert "Draft restored" in page


def test_a_draft_survives_logout_and_another_device(client, writer_a, coffee_cart, ivy):
    """Drafts live on the server: log out, log in elsewhere, the text is there."""
    draft_save(writer=writer_a, thread=coffee_cart, body="half a reply", muse=ivy)
    client.force_login(writer_a)
    client.post(reverse("logout"))
    client.force_login(writer_a)
    assert "half a reply" in text_of(
        client.get(reverse("thread-detail", args=[coffee_cart.public_id]))
    )


def test_posting_clears_the_draft(writer_a, coffee_cart, ivy):
    """Once the reply is posted, the draft is gone."""
    draft_save(writer=writer_a, thread=coffee_cart, body="the opening line", muse=ivy)
    services.post_create(thread=coffee_cart, writer=writer_a, muse=ivy, body="the opening line")
    assert not Draft.objects.filter(writer=writer_a, thread=coffee_cart).exists()


def test_an_autosave_arriving_after_the_post_does_not_bring_it_back(
    as_alice, writer_a, coffee_cart, ivy
):
    """The composer saves on blur and on page hide, which can reach the server just after
    the post itself: that save must not resurrect the posted text as a draft."""
    services.post_create(thread=coffee_cart, writer=writer_a, muse=ivy, body="the opening line")
    response = as_alice.post(
        reverse("composer-draft", args=[coffee_cart.public_id]),
        {"body": "the opening line\r\n", "muse": ivy.pk},
    )
    assert response.json() == {"saved_at": None, "posted": True}
    assert not Draft.objects.filter(writer=writer_a, thread=coffee_cart).exists()
    # New words are a draft again.
    assert draft_save(writer=writer_a, thread=coffee_cart, body="the next line") is not None


def test_a_refused_post_keeps_the_draft(writer_b, coffee_cart, hale):
    """Posting out of turn fails; the draft stays on the server."""
    draft_save(writer=writer_b, thread=coffee_cart, body="too early", muse=hale)
    with pytest.raises(services.NotYourTurn):
        services.post_create(thread=coffee_cart, writer=writer_b, muse=hale, body="too early")
    assert Draft.objects.get(writer=writer_b, thread=coffee_cart).body == "too early"


def test_drafts_are_only_for_writers_in_the_thread(client, make_writer, coffee_cart):
    """A stranger's autosave is refused with a JSON error, not a 500."""
    client.force_login(make_writer("stranger"))
    response = client.post(reverse("composer-draft", args=[coffee_cart.public_id]), {"body": "x"})
    assert response.status_code in (403, 404)
    assert not Draft.objects.exists()


def test_an_enormous_draft_is_refused_with_a_message(as_alice, coffee_cart):
    response = as_alice.post(
        reverse("composer-draft", args=[coffee_cart.public_id]), {"body": "x" * 200_001}
    )
    assert response.status_code == 400
    assert "drafts stop at 200,000" in response.json()["error"]


# ---------------------------------------------------------------------------- preview


def test_preview_renders_markup_and_counts_words(as_alice, coffee_cart):
    """The live preview uses the post renderer and the shared word counter."""
    response = as_alice.post(
        reverse("composer-preview", args=[coffee_cart.public_id]),
        {"body": "*ivy* smiled.\n\n---\n\n❛ hello ❜", "composer_id": "reply"},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "<em>ivy</em>" in page
    assert "scene-break" in page
    assert 'class="dialogue"' in page
    assert "3 words" in page
    assert 'id="word-count-reply"' in page


def test_preview_escapes_scripts(as_alice, coffee_cart):
    response = as_alice.post(
        reverse("composer-preview", args=[coffee_cart.public_id]),
        {"body": "<script>alert(1)</script>"},
    )
    assert "<script>" not in response.content.decode()


# ---------------------------------------------------------------------------- posts & revisions


def test_posts_store_rendered_html_and_visible_word_count(writer_a, coffee_cart, ivy):
    post = services.post_create(
        thread=coffee_cart,
        writer=writer_a,
        muse=ivy,
        body="**bold** move — & then <small>a sigh</small>",
    )
    assert "<strong>bold</strong>" in post.body_html
    assert "<small>a sigh</small>" in post.body_html
    assert post.renderer_version == markup.RENDERER_VERSION
    assert post.word_count == 5  # bold move then a sigh; a lone & is no word


def test_stale_html_is_rerendered_on_read(as_alice, writer_a, coffee_cart, ivy):
    """A post rendered by an older renderer is rendered again when its page is read."""
    post = services.post_create(thread=coffee_cart, writer=writer_a, muse=ivy, body="*soft*")
    Post.objects.filter(pk=post.pk).update(body_html="<p>old</p>", renderer_version=0)
    page = as_alice.get(reverse("thread-detail", args=[coffee_cart.public_id])).content.decode()
    assert "<em>soft</em>" in page
    post.refresh_from_db()
    assert post.renderer_version == markup.RENDERER_VERSION


def test_rerender_command_updates_every_stale_post(writer_a, writer_b, coffee_cart, ivy, hale):
    services.post_create(thread=coffee_cart, writer=writer_a, muse=ivy, body="*one*")
    services.post_create(thread=coffee_cart, writer=writer_b, muse=hale, body="*two*")
    Post.objects.update(body_html="", renderer_version=0)
    out = io.StringIO()
    call_command("rerender_posts", verbosity=0, stdout=out)
    assert "Re-rendered 2 posts." in out.getvalue()
    assert set(Post.objects.values_list("renderer_version", flat=True)) == {markup.RENDERER_VERSION}
    assert all("<em>" in h for h in Post.objects.values_list("body_html", flat=True))


def test_revision_page_shows_a_word_diff_and_restores(as_alice, writer_a, coffee_cart, ivy):
    """Edits are kept; the diff marks removed and added words; an old revision can come back."""
    post = services.post_create(
        thread=coffee_cart, writer=writer_a, muse=ivy, body="ivy poured coffee."
    )
    services.post_edit(post=post, writer=writer_a, body="ivy poured tea, badly.")
    url = reverse("post-revisions", args=[coffee_cart.public_id, post.number])
    page = as_alice.get(url).content.decode()
    assert "<del>coffee.</del>" in page
    assert "<ins>tea, badly.</ins>" in page
    response = as_alice.post(
        reverse("post-revision-restore", args=[coffee_cart.public_id, post.number, 1])
    )
    assert response.status_code == 302
    post.refresh_from_db()
    assert post.body == "ivy poured coffee."
    assert post.revisions.count() == 3


def test_revision_page_ignores_nonsense_revision_numbers(as_alice, writer_a, coffee_cart, ivy):
    post = services.post_create(thread=coffee_cart, writer=writer_a, muse=ivy, body="one")
    url = reverse("post-revisions", args=[coffee_cart.public_id, post.number])
    assert as_alice.get(url + "?from=99&to=abc").status_code == 200


def test_only_the_author_restores_revisions(as_bram, writer_a, coffee_cart, ivy):
    post = services.post_create(thread=coffee_cart, writer=writer_a, muse=ivy, body="one")
    services.post_edit(post=post, writer=writer_a, body="two")
    response = as_bram.post(
        reverse("post-revision-restore", args=[coffee_cart.public_id, post.number, 1])
    )
    assert response.status_code == 403
    post.refresh_from_db()
    assert post.body == "two"


# ---------------------------------------------------------------------------- OOC


def test_ooc_talk_is_beside_the_story_and_never_a_turn(as_bram, coffee_cart):
    """An OOC message shows on the OOC page, is no post and records no turn event."""
    events = TurnEvent.objects.filter(thread=coffee_cart).count()
    response = as_bram.post(
        reverse("thread-ooc", args=[coffee_cart.public_id]), {"body": "sorry for the wait!! <3"}
    )
    assert response.status_code == 302
    assert OocMessage.objects.get().body == "sorry for the wait!! <3"
    assert TurnEvent.objects.filter(thread=coffee_cart).count() == events
    assert not Post.objects.exists()
    page = text_of(as_bram.get(reverse("thread-ooc", args=[coffee_cart.public_id])))
    assert "sorry for the wait!! <3" in page


def test_empty_ooc_message_gets_a_message(as_bram, coffee_cart):
    response = as_bram.post(reverse("thread-ooc", args=[coffee_cart.public_id]), {"body": "  "})
    assert response.status_code == 200
    assert "Write something first." in text_of(response)


def test_ooc_is_for_the_writers_only(client, make_writer, coffee_cart):
    """Even in a public thread, OOC talk belongs to its writers."""
    coffee_cart.visibility = "public"
    coffee_cart.save()
    client.force_login(make_writer("reader"))
    assert client.get(reverse("thread-ooc", args=[coffee_cart.public_id])).status_code == 403


# ---------------------------------------------------------------------------- icons


def test_a_post_shows_the_chosen_icon(as_alice, writer_a, coffee_cart, ivy):
    icon = icon_add(muse=ivy, writer=writer_a, image=png(), keywords="smirking")
    response = as_alice.post(
        reverse("thread-detail", args=[coffee_cart.public_id]),
        {"muse": ivy.pk, "icon": icon.pk, "body": "ivy smirked.", "seen_post_count": 0},
    )
    assert response.status_code == 302
    post = Post.objects.get()
    assert post.icon == icon
    page = as_alice.get(reverse("thread-detail", args=[coffee_cart.public_id])).content.decode()
    assert icon.image.url in page


def test_another_muses_icon_is_refused(as_alice, writer_a, make_muse, coffee_cart, ivy):
    other = make_muse(writer_a, "Wren")
    icon = icon_add(muse=other, writer=writer_a, image=png(), keywords="grin")
    response = as_alice.post(
        reverse("thread-detail", args=[coffee_cart.public_id]),
        {"muse": ivy.pk, "icon": icon.pk, "body": "ivy smirked.", "seen_post_count": 0},
    )
    assert response.status_code == 200
    assert not Post.objects.exists()


def test_icon_upload_rejects_a_non_image(as_alice, ivy):
    response = as_alice.post(
        reverse("muse-icons", args=[ivy.pk]),
        {"keywords": "fake", "image": SimpleUploadedFile("x.png", b"not an image")},
    )
    assert response.status_code == 200
    assert "not an image we can read" in text_of(response)
    assert not ivy.icons.exists()


# ---------------------------------------------------------------------------- reading comfort


def test_reading_preferences_are_remembered_and_applied(as_alice, writer_a, coffee_cart):
    url = reverse("thread-detail", args=[coffee_cart.public_id])
    response = as_alice.post(
        reverse("reading-preferences"),
        {"theme": "dark", "reading_font": "sans", "reading_size": "l", "next": url},
    )
    assert response.status_code == 302
    assert response["Location"] == url
    writer_a.refresh_from_db()
    assert (writer_a.theme, writer_a.reading_font, writer_a.reading_size) == ("dark", "sans", "l")
    page = as_alice.get(url).content.decode()
    assert 'data-theme="dark"' in page
    assert 'class="read-sans size-l"' in page


def test_bad_reading_preferences_and_offsite_next_are_refused(as_alice, writer_a):
    response = as_alice.post(
        reverse("reading-preferences"),
        {
            "theme": "neon",
            "reading_font": "comic",
            "reading_size": "huge",
            "next": "https://evil.test/",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("profile")
    writer_a.refresh_from_db()
    assert writer_a.theme == "system"


def test_jump_to_first_unread(writer_a, writer_b, as_bram, coffee_cart, ivy, hale, settings):
    """Read position is kept per writer; the thread page links to the first unseen post."""
    settings.TANDEM_POSTS_PER_PAGE = 2
    url = reverse("thread-detail", args=[coffee_cart.public_id])
    services.post_create(thread=coffee_cart, writer=writer_a, muse=ivy, body="one")
    as_bram.get(url)  # bram reads post 1
    assert ThreadWriterState.objects.get(writer=writer_b, thread=coffee_cart).last_read_number == 1
    services.post_create(thread=coffee_cart, writer=writer_b, muse=hale, body="two")
    services.post_create(thread=coffee_cart, writer=writer_a, muse=ivy, body="three")
    page = text_of(as_bram.get(url))
    assert "Jump to first unread (#2)" in page
    as_bram.get(url + "?page=2")
    state = ThreadWriterState.objects.get(writer=writer_b, thread=coffee_cart)
    assert state.last_read_number == 3
    as_bram.get(url + "?page=1")  # rereading an old page never moves the position back
    state.refresh_from_db()
    assert state.last_read_number == 3
    assert "Jump to first unread" not in text_of(as_bram.get(url))


def test_invalid_utf8_in_a_posted_form_is_no_500(as_alice, coffee_cart, ivy):
    """Raw bytes that are not UTF-8 in the reply body: the post goes through with the bad
    bytes replaced, or a form error — never a server error or lost request."""
    body = b"muse=%d&seen_post_count=0&body=caf%%E9+%%FF%%FE+ivy+smiled" % ivy.pk
    response = as_alice.generic(
        "POST",
        reverse("thread-detail", args=[coffee_cart.public_id]),
        body,
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code in (200, 302)
    post = Post.objects.get()
    assert "ivy smiled" in post.body
    assert "\ufffd" in post.body
