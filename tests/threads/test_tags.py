"""Archive-style tags: categories, normalising, synonyms (staff merges), tag pages,
suggestions, the thread's word total, and exports keeping categories."""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import ValidationError
from django.urls import reverse

from tandem.blocks.services import block_writer
from tandem.threads import services
from tandem.threads.models import Tag, TagCategory, Thread, Visibility

pytestmark = pytest.mark.django_db

FANDOM, RELATIONSHIP, CHARACTER, FREEFORM = (
    TagCategory.FANDOM,
    TagCategory.RELATIONSHIP,
    TagCategory.CHARACTER,
    TagCategory.FREEFORM,
)


def tag_names_of(thread: Thread) -> list[tuple[str, str]]:
    return sorted((t.category, t.name) for t in thread.tags.all())


@pytest.fixture
def public(make_thread, writer_a, ivy):
    def make(**fields):
        fields.setdefault("visibility", Visibility.PUBLIC)
        return make_thread(writer_a, ivy, **fields)

    return make


# ------------------------------------------------------------------ categories, names


def test_each_kind_of_tag_is_kept_apart(public):
    thread = public(
        fandoms=["Sherlock (TV)"],
        relationships=["Sherlock Holmes/John Watson"],
        characters=["Mrs Hudson"],
        tags=["Slow burn"],
    )
    assert tag_names_of(thread) == [
        (CHARACTER, "Mrs Hudson"),
        (FANDOM, "Sherlock (TV)"),
        (FREEFORM, "Slow burn"),
        (RELATIONSHIP, "Sherlock Holmes/John Watson"),
    ]
    # Fandoms first, as an archive reads them.
    assert [t.category for t in thread.ordered_tags] == [FANDOM, RELATIONSHIP, CHARACTER, FREEFORM]


def test_the_same_name_in_two_kinds_is_two_tags(public):
    thread = public(fandoms=["Hannibal"], characters=["Hannibal"])
    assert Tag.objects.filter(name="Hannibal").count() == 2
    assert thread.tags.count() == 2


def test_names_are_normalised_in_case_space_and_unicode(public):
    one = public(tags=["  Slow\t\tburn ", "café"])
    two = public(tags=["SLOW BURN", "cafe\u0301"])  # "e" + combining accent
    assert tag_names_of(one) == tag_names_of(two) == [(FREEFORM, "Slow burn"), (FREEFORM, "café")]
    assert Tag.objects.count() == 2


def test_dot_only_names_are_dropped(public):
    assert tag_names_of(public(tags=[".", "..", "ok."])) == [(FREEFORM, "ok.")]


def test_the_limit_counts_every_kind_together(writer_a, ivy):
    with pytest.raises(ValidationError) as caught:
        services.thread_create(
            owner=writer_a,
            muse=ivy,
            title="Too many",
            fandoms=[f"f{i}" for i in range(40)],
            tags=[f"t{i}" for i in range(40)],
        )
    assert "at most 75" in caught.value.message_dict["tags"][0]
    assert not Thread.objects.exists()


def test_update_with_only_freeform_tags_keeps_the_other_kinds(public, writer_a):
    thread = public(fandoms=["Dune"], tags=["desert"])
    services.thread_update(
        thread=thread,
        actor=writer_a,
        title=thread.title,
        summary="",
        rating=thread.rating,
        warnings=[],
        tags=["sand"],
        visibility=thread.visibility,
        turn_mode=thread.turn_mode,
        status=thread.status,
    )
    assert tag_names_of(thread) == [(FANDOM, "Dune"), (FREEFORM, "sand")]


def test_settings_form_shows_and_saves_each_kind(as_alice, public):
    thread = public(fandoms=["Dune"], characters=["Paul"], tags=["desert"])
    url = reverse("thread-settings", args=[thread.public_id])
    page = as_alice.get(url).content.decode()
    assert 'name="fandoms" value="Dune"' in page
    assert 'name="characters" value="Paul"' in page
    response = as_alice.post(
        url,
        {
            "title": thread.title,
            "rating": thread.rating,
            "visibility": thread.visibility,
            "turn_mode": thread.turn_mode,
            "status": thread.status,
            "fandoms": "Dune, Arrakis Chronicles",
            "relationships": "Paul/Chani",
            "characters": "",
            "tags": "desert,  DESERT",
        },
    )
    assert response.status_code == 302
    assert tag_names_of(thread) == [
        (FANDOM, "Arrakis Chronicles"),
        (FANDOM, "Dune"),
        (FREEFORM, "desert"),
        (RELATIONSHIP, "Paul/Chani"),
    ]


def _start_thread(client, muse, **tags):
    fields = {
        "title": "T",
        "muse": muse.pk,
        "rating": "not_rated",
        "visibility": "private",
        "turn_mode": "ordered",
    }
    return client.post(reverse("thread-new"), {**fields, **tags})


def test_the_form_refuses_too_many_tags_across_kinds(as_alice, ivy):
    response = _start_thread(
        as_alice,
        ivy,
        fandoms=", ".join(f"f{i}" for i in range(50)),
        tags=", ".join(f"t{i}" for i in range(50)),
    )
    assert response.status_code == 200
    assert "at most 75" in response.content.decode()
    assert not Thread.objects.exists()


def test_a_null_character_in_a_tag_is_a_sentence_not_a_500(as_alice, ivy):
    # The tags field's own NUL check sees the list, not each tag: on PostgreSQL this was
    # an error from the database.
    response = _start_thread(as_alice, ivy, tags="slow\x00burn")
    assert response.status_code == 200
    assert "Tags may not contain null characters." in response.content.decode()
    assert not Thread.objects.exists()


# ------------------------------------------------------------------------- merges


def test_merge_repoints_threads_and_later_typing(public):
    old = public(fandoms=["BBC Sherlock"])
    both = public(fandoms=["BBC Sherlock", "Sherlock (TV)"])
    source = Tag.objects.get(name="BBC Sherlock")
    target = Tag.objects.get(name="Sherlock (TV)")

    assert services.tag_merge(source=source, target=target) == target

    source.refresh_from_db()
    assert source.canonical == target
    assert tag_names_of(old) == [(FANDOM, "Sherlock (TV)")]
    assert tag_names_of(both) == [(FANDOM, "Sherlock (TV)")]  # once, not twice
    assert not source.threads.exists()
    # Typed later, in any case, the synonym gives the canonical tag.
    later = public(fandoms=["bbc sherlock"])
    assert tag_names_of(later) == [(FANDOM, "Sherlock (TV)")]


def test_merging_into_a_synonym_points_at_its_canonical_and_chains_follow(public):
    public(tags=["a", "b", "c"])
    a, b, c = (Tag.objects.get(name=n) for n in "abc")
    services.tag_merge(source=a, target=b)  # a → b
    services.tag_merge(source=b, target=c)  # b → c, and a follows to c
    a.refresh_from_db()
    b.refresh_from_db()
    assert a.canonical == c and b.canonical == c
    d = public(tags=["d"]).tags.get()
    services.tag_merge(source=d, target=a)  # a is a synonym: d goes to c
    d.refresh_from_db()
    assert d.canonical == c


def test_a_tag_cannot_be_merged_into_itself_or_its_synonym(public):
    public(tags=["a", "b"])
    a, b = Tag.objects.get(name="a"), Tag.objects.get(name="b")
    with pytest.raises(ValidationError):
        services.tag_merge(source=a, target=a)
    services.tag_merge(source=b, target=a)
    with pytest.raises(ValidationError):
        services.tag_merge(source=a, target=b)  # b stands for a


def test_staff_merge_from_the_admin(client, make_writer, public):
    staff = make_writer("staffer")
    staff.is_staff = staff.is_superuser = True
    staff.save()
    client.force_login(staff)
    thread = public(tags=["sherlock", "Sherlock Holmes"])
    source = Tag.objects.get(name="sherlock")
    target = Tag.objects.get(name="Sherlock Holmes")
    url = reverse("admin:threads_tag_changelist")
    # The action asks for the target first.
    page = client.post(url, {"action": "merge_tags", ACTION_CHECKBOX_NAME: [source.pk]})
    assert page.status_code == 200 and b"Merge into" in page.content
    done = client.post(
        url,
        {
            "action": "merge_tags",
            ACTION_CHECKBOX_NAME: [source.pk],
            "apply": "1",
            "target": target.pk,
        },
    )
    assert done.status_code == 302
    source.refresh_from_db()
    assert source.canonical == target
    assert tag_names_of(thread) == [(FREEFORM, "Sherlock Holmes")]


def test_the_admin_is_staff_only(as_alice):
    assert as_alice.get(reverse("admin:threads_tag_changelist")).status_code == 302


# ---------------------------------------------------------------------- tag pages


def test_tag_links_lead_to_a_page_listing_public_threads(
    client, public, make_thread, writer_a, ivy
):
    shown = public(title="Baker Street", fandoms=["Sherlock (TV)"])
    make_thread(writer_a, ivy, title="Secret", fandoms=["Sherlock (TV)"])  # private
    tag = Tag.objects.get(name="Sherlock (TV)")
    detail = client.get(shown.get_absolute_url()).content.decode()
    assert f'href="{tag.get_absolute_url()}"' in detail
    page = client.get(tag.get_absolute_url())
    assert page.status_code == 200
    text = page.content.decode()
    assert "Baker Street" in text and "Secret" not in text
    assert "<h1>Sherlock (TV)</h1>" in text
    assert '<h2 class="h3"><a href="' + shown.get_absolute_url() in text


@pytest.mark.parametrize(
    "name", ["AC/DC", "a.b", "..", "100% *real*", "what? #1", "a*s*b", "日本語 タグ", "a/../b"]
)
def test_any_name_has_a_working_address(client, public, name):
    thread = public(tags=[name])
    if not thread.tags.exists():  # ".." is not a tag
        return
    tag = thread.tags.get()
    url = tag.get_absolute_url()
    assert url.count("/") == 4  # /tags/<category>/<name>/: the name is one segment
    response = client.get(url)
    assert response.status_code == 200, url
    assert response.context["tag"] == tag


def test_other_spellings_redirect_to_the_tag_and_synonyms_to_the_canonical(client, public):
    public(tags=["Slow Burn", "slowburn"])
    canonical, synonym = Tag.objects.get(name="Slow Burn"), Tag.objects.get(name="slowburn")
    services.tag_merge(source=synonym, target=canonical)
    assert client.get("/tags/freeform/slow%20burn/").url == canonical.get_absolute_url()
    assert client.get(synonym.get_absolute_url()).url == canonical.get_absolute_url()


@pytest.mark.parametrize(
    "url",
    [
        "/tags/genre/Slow%20Burn/",  # unknown category
        "/tags/fandom/Slow%20Burn/",  # right name, wrong category
        "/tags/freeform/nothing-like-it/",
        "/tags/freeform/%20/",
    ],
)
def test_bad_tags_are_404(client, public, url):
    public(tags=["Slow Burn"])
    assert client.get(url).status_code == 404


def test_a_tag_only_private_threads_use_has_no_page(client, make_thread, writer_a, ivy):
    thread = make_thread(writer_a, ivy, tags=["my secret plot"])
    assert client.get(thread.tags.get().get_absolute_url()).status_code == 404
    client.force_login(writer_a)
    # Its own thread shows it as plain text, not a link to a page that is not there.
    detail = client.get(thread.get_absolute_url()).content.decode()
    assert "my secret plot" in detail
    assert thread.tags.get().get_absolute_url() not in detail


def test_tag_page_hides_blocked_writers_threads(
    client, public, make_writer, make_muse, make_thread
):
    public(title="Alice story", tags=["fog"])
    other = make_writer("olga")
    make_thread(
        other, make_muse(other, "Oz"), title="Olga story", tags=["fog"], visibility="public"
    )
    block_writer(blocker=other, blocked=client_login(client, "alice"))
    text = client.get("/tags/freeform/fog/").content.decode()
    assert "Alice story" in text and "Olga story" not in text


def client_login(client, username):
    from tandem.accounts.models import User

    user = User.objects.get(username=username)
    client.force_login(user)
    return user


def test_tag_page_huge_and_bad_page_numbers_give_a_page(client, public):
    public(tags=["fog"])
    for page in ["999999999999", "-1", "x", "1e9"]:
        response = client.get("/tags/freeform/fog/", {"page": page})
        assert response.status_code == 200
        assert len(response.context["page"].object_list) == 1


# -------------------------------------------------------------------- suggestions


def test_suggestions_complete_the_last_tag_of_the_field(
    client, public, make_thread, writer_b, hale
):
    public(fandoms=["Sherlock (TV)", "Sherwood", "Star Trek"], tags=["Sherbet"])
    make_thread(writer_b, hale, fandoms=["Sherlock private notes"])  # private, not bram's viewer
    response = client.get(reverse("tag-suggest", args=["fandom"]), {"fandoms": "Star Trek,  sher"})
    assert response.status_code == 200
    text = response.content.decode()
    assert text.startswith('<datalist id="tag-suggestions-fandom">')
    assert 'value="Star Trek, Sherlock (TV)"' in text
    assert 'value="Star Trek, Sherwood"' in text
    assert "Sherbet" not in text  # another kind
    assert "private notes" not in text  # only on a private thread


def test_suggestions_include_the_writers_own_private_tags(client, make_thread, writer_b, hale):
    make_thread(writer_b, hale, characters=["Hale's Sister"])
    url = reverse("tag-suggest", args=["character"])
    assert b"Sister" not in client.get(url, {"characters": "hale"}).content
    client.force_login(writer_b)
    assert b"Hale&#x27;s Sister" in client.get(url, {"characters": "hale"}).content


def test_suggestions_leave_synonyms_out_and_refuse_unknown_kinds(client, public):
    public(tags=["Slow Burn", "slowburn"])
    services.tag_merge(
        source=Tag.objects.get(name="slowburn"), target=Tag.objects.get(name="Slow Burn")
    )
    text = client.get(reverse("tag-suggest", args=["freeform"]), {"tags": "slow"}).content
    assert b"Slow Burn" in text and b"slowburn" not in text
    assert client.get("/tags/suggest/genre/", {"q": "x"}).status_code == 404
    # Nothing typed, or only commas: an empty list, not an error.
    assert b"<option" not in client.get("/tags/suggest/freeform/", {"tags": ", ,"}).content


def test_the_tag_inputs_are_plain_inputs_wired_for_htmx(as_alice, ivy):
    page = as_alice.get(reverse("thread-new")).content.decode()
    assert 'name="fandoms"' in page and 'list="tag-suggestions-fandom"' in page
    assert 'hx-get="/tags/suggest/fandom/"' in page
    assert '<datalist id="tag-suggestions-fandom"></datalist>' in page


# -------------------------------------------------------------------- word totals


def test_the_threads_word_total_follows_posts(writer_a, ivy, make_thread):
    thread = make_thread(writer_a, ivy, turn_mode="free")

    def words() -> int:
        thread.refresh_from_db()
        return thread.word_count

    one = services.post_create(thread=thread, writer=writer_a, muse=ivy, body="one two three")
    two = services.post_create(thread=thread, writer=writer_a, muse=ivy, body="four five")
    assert words() == 5
    services.post_edit(post=one, writer=writer_a, body="one")
    assert words() == 3
    services.post_delete(post=two, writer=writer_a)
    services.post_delete(post=two, writer=writer_a)  # twice: counted off once
    assert words() == 1
    services.post_restore(post=two, writer=writer_a)
    services.post_restore(post=two, writer=writer_a)
    assert words() == 3
    thread.word_count = 999
    thread.save(update_fields=["word_count"])
    services.thread_recount_words(thread.pk)
    assert words() == 3


# ------------------------------------------------------------------ export, restore


@pytest.fixture
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.mark.usefixtures("_media")
@pytest.mark.parametrize("old_file", [False, True])
def test_export_and_restore_keep_categories_and_accept_old_files(writer_a, ivy, public, old_file):
    from tandem.exports.archive import dump_json, thread_to_json
    from tandem.exports.restore import restore

    thread = public(fandoms=["Dune"], characters=["Paul"], tags=["desert"])
    services.post_create(thread=thread, writer=writer_a, muse=ivy, body="Sand, everywhere.")
    document = thread_to_json(thread)
    head = document.get("thread", document)
    assert head["tags"] == ["desert", "Dune", "Paul"]  # readers without categories keep names
    assert head["tag_categories"] == {
        "fandom": ["Dune"],
        "relationship": [],
        "character": ["Paul"],
        "freeform": ["desert"],
    }
    if old_file:
        del head["tag_categories"]
    report = restore(dump_json(document), actor=None, username_map={"alice": "alice2"})
    copy = Thread.objects.get(public_id=report.threads[0])
    if old_file:
        # A file from before categories: every tag comes back, as freeform.
        assert tag_names_of(copy) == [
            (FREEFORM, "Dune"),
            (FREEFORM, "Paul"),
            (FREEFORM, "desert"),
        ]
    else:
        assert tag_names_of(copy) == tag_names_of(thread)
        assert {t.pk for t in copy.tags.all()} == {t.pk for t in thread.tags.all()}
    assert copy.word_count == 2


@pytest.mark.usefixtures("_media")
def test_restore_refuses_an_unknown_kind_of_tag(writer_a, ivy, public):
    from tandem.exports.archive import dump_json, thread_to_json
    from tandem.exports.restore import RestoreError, restore

    document = thread_to_json(public(tags=["desert"]))
    head = document.get("thread", document)
    head["tag_categories"] = {"genre": ["x"]}
    with pytest.raises(RestoreError, match="unknown kind of tag"):
        restore(dump_json(document), actor=None, username_map={"alice": "alice2"})
