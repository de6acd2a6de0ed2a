"""The pages: the queue shows tracked threads with their flip buttons; everything is the
writer's own (another writer gets a 404 and changes nothing)."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tandem.imports.models import ImportStatus, PendingImport
from tandem.tracking import selectors, services
from tandem.tracking.models import TrackedThread

pytestmark = pytest.mark.django_db


@pytest.fixture
def tracked(writer):
    return services.tracked_create(
        writer=writer, title="Lantern Quay", url="https://b.example/p/1", partner="bea"
    )


def test_queue_shows_the_tracked_thread_with_its_mark_and_flip(writer, tracked, client_for):
    client = client_for(writer)
    page = client.get("/").content.decode()
    assert "Lantern Quay" in page and "elsewhere · b.example" in page
    assert 'href="https://b.example/p/1" rel="noopener noreferrer"' in page
    assert 'I replied<span class="visually-hidden"> to Lantern Quay' in page
    assert "1 thread waiting on you." in page  # the page's summary counts it too
    response = client.post(
        reverse("tracked-turn", args=[tracked.pk]), {"turn": "theirs", "next": "/"}
    )
    assert response.status_code == 302 and response.url == "/"
    tracked.refresh_from_db()
    assert tracked.turn == "theirs"
    assert "They replied<span" in client.get("/").content.decode()


def test_add_archive_unarchive_delete(writer, client_for):
    client = client_for(writer)
    response = client.post(reverse("tracked-list"), {"title": "", "turn": "mine"})
    assert response.status_code == 200 and not TrackedThread.objects.exists()
    response = client.post(
        reverse("tracked-list"), {"title": "Tide", "url": "ftp://c.example/t", "turn": "mine"}
    )
    assert response.status_code == 200 and not TrackedThread.objects.exists()
    assert "starting with https://" in response.content.decode()
    client.post(
        reverse("tracked-list"), {"title": "Tide", "url": "https://c.example/", "turn": "mine"}
    )
    tracked = TrackedThread.objects.get(writer=writer)
    client.post(reverse("tracked-archive", args=[tracked.pk]), {"archived": "1"})
    client.get("/")  # shows the messages
    assert "elsewhere · c.example" not in client.get("/").content.decode()
    client.post(reverse("tracked-archive", args=[tracked.pk]), {"archived": "0"})
    assert "elsewhere · c.example" in client.get("/").content.decode()
    edit = client.get(reverse("tracked-edit", args=[tracked.pk])).content.decode()
    assert f"/import/?tracked={tracked.pk}" in edit  # convert: the import page starts from it
    assert 'value="Tide"' in client.get("/import/?title=Tide").content.decode()
    client.post(reverse("tracked-delete", args=[tracked.pk]))
    assert not TrackedThread.objects.exists()


@pytest.mark.parametrize(
    "name", ["tracked-edit", "tracked-turn", "tracked-archive", "tracked-delete"]
)
def test_another_writer_gets_404_and_changes_nothing(other, tracked, client_for, name):
    client = client_for(other)
    url = reverse(name, args=[tracked.pk])
    assert (
        client.post(url, {"turn": "theirs", "title": "mine now", "archived": "1"}).status_code
        == 404
    )
    tracked.refresh_from_db()
    assert (tracked.title, tracked.turn, tracked.is_archived) == ("Lantern Quay", "mine", False)


def test_other_writer_sees_none_of_it(other, tracked, client_for):
    client = client_for(other)
    assert "Lantern Quay" not in client.get("/").content.decode()
    assert "Lantern Quay" not in client.get(reverse("tracked-list")).content.decode()
    assert "Lantern Quay" not in client.get(reverse("tracked-export")).content.decode()


def test_import_tumblr_upload_then_generic_mapping_step(writer, client_for):
    client = client_for(writer)
    tumblr = (
        b"Thread Title,Post ID / URL,Partner,Tags,Archived,Queued,Last Poster\nA,,bea,,no,no,bea\n"
    )
    page = client.post(
        reverse("tracked-import"), {"file": SimpleUploadedFile("t.csv", tumblr)}
    ).content.decode()
    assert "Imported 1 thread" in page
    generic = b"Name,Where\nB,https://d.example/1\n,https://d.example/2\n"
    page = client.post(
        reverse("tracked-import"), {"file": SimpleUploadedFile("g.csv", generic)}
    ).content.decode()
    assert "Which column is which?" in page and '<option value="1">Where</option>' in page
    assert TrackedThread.objects.count() == 1  # nothing imported before the mapping
    page = client.post(
        reverse("tracked-import"),
        {"csv_text": generic.decode(), "col_title": "0", "col_url": "1"},
    ).content.decode()
    assert "Imported 1 thread" in page and "Line 3:" in page
    assert TrackedThread.objects.filter(title="B", site="d.example").exists()


def test_bad_upload_is_a_message_not_a_500(writer, client_for):
    client = client_for(writer)
    response = client.post(
        reverse("tracked-import"), {"file": SimpleUploadedFile("t.csv", b"\xff\xfe\x00bad")}
    )
    assert response.status_code == 200 and "not UTF-8" in response.content.decode()
    assert not TrackedThread.objects.exists()


CONVERTED_TEXT = """ivy kept the lamp low & read the letter twice before she folded it away.

---

hale watched her do it — said nothing, which was its own kind of answer.
"""


def test_a_thread_kept_elsewhere_converts_into_a_tandem_thread(
    as_alice, writer_a, writer_b, ivy, hale
):
    """Its import page starts from it; once imported, it is archived with a link to the new
    thread, and it leaves the queue."""
    tracked = services.tracked_create(
        writer=writer_a, title="Letters", url="https://example.tumblr.com/post/4", muse=ivy
    )
    edit = as_alice.get(reverse("tracked-edit", args=[tracked.pk]))
    start = f"{reverse('import-new')}?tracked={tracked.pk}"
    assert start.encode() in edit.content
    page = as_alice.get(start)
    assert page.context["form"].initial["title"] == "Letters"
    assert "You are moving “Letters” from example.tumblr.com" in page.content.decode()
    response = as_alice.post(
        start,
        {
            "title": "Letters",
            "text": CONVERTED_TEXT,
            "format": "auto",
            "muses": [ivy.pk],
            "other_muses": f"{hale.name}={writer_b.username}",
        },
    )
    pending = PendingImport.objects.get()
    assert response.status_code == 302 and pending.tracked == tracked
    form = {f"text-{i}": p["text"] for i, p in enumerate(pending.posts)}
    form.update({f"muse-{i}": p["muse"] or hale.pk for i, p in enumerate(pending.posts)})
    as_alice.post(pending.get_absolute_url(), {**form, "title": "Letters", "action": "import"})
    pending.refresh_from_db()
    tracked.refresh_from_db()
    assert pending.status == ImportStatus.DONE
    assert tracked.converted_to == pending.thread and tracked.is_archived
    assert tracked.remind_at is None
    assert selectors.elsewhere_queue(writer_a).your_turn == []
    listing = as_alice.get(reverse("tracked-list")).content.decode()
    assert f'moved to <a href="{pending.thread.get_absolute_url()}">Letters</a>' in listing
    edit = as_alice.get(reverse("tracked-edit", args=[tracked.pk])).content.decode()
    assert "Moved to Tandem" in edit


@pytest.mark.parametrize("value", ["mine", "12x", "-1"])
def test_converting_someone_elses_or_a_bad_id_is_a_404(as_bram, writer_a, value):
    """Another writer's tracked thread, or no number at all: not found, nothing made."""
    tracked = services.tracked_create(writer=writer_a, title="Private")
    ident = str(tracked.pk) if value == "mine" else value
    response = as_bram.get(f"{reverse('import-new')}?tracked={ident}")
    assert response.status_code == 404
    assert b"Private" not in response.content


def test_the_home_queue_shows_a_window_of_threads_kept_elsewhere(writer, client_for, settings):
    """Like Tandem threads, the home page lists the longest-waiting few of each section and
    counts them all; "Show all" lists every one."""
    from tandem.tracking import services

    settings.TANDEM_QUEUE_WINDOW = 2
    for n in range(3):
        services.tracked_create(writer=writer, title=f"Mine {n}", turn="mine")
    services.tracked_create(writer=writer, title="Theirs", turn="theirs")
    client = client_for(writer)
    page = client.get(reverse("home")).content.decode()
    assert "Mine 0" in page and "Mine 1" in page and "Mine 2" not in page  # longest waiting
    assert "Theirs" in page
    assert "Show all 3 threads waiting on you" in page
    assert "3 threads waiting on you." in page
    everything = client.get(reverse("home") + "?all=1").content.decode()
    assert "Mine 2" in everything and "Show all" not in everything
