"""The series as one EPUB book: the reader's threads, in reading order, valid for epubcheck."""

from __future__ import annotations

import io
import zipfile
from dataclasses import replace
from datetime import UTC, datetime

from django.urls import reverse
from lxml import etree

from tandem.exports.document import SeriesDocument
from tandem.exports.epub_export import export_series_epub
from tandem.series import services
from tandem.series.models import SeriesEntry
from tandem.threads import services as thread_services
from tests.exports.epubcheck import epubcheck_problems, start_epubcheck
from tests.exports.test_formats import NS, hostile_document, long_document, make_document

EXPORTED = datetime(2026, 3, 4, 18, 30, tzinfo=UTC)


def _files(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as book:
        return {name: book.read(name) for name in book.namelist()}


def _spine_text(files: dict[str, bytes]) -> str:
    """The book's text in spine order, but for the contents (which name every part)."""
    opf = etree.fromstring(files["EPUB/content.opf"])
    hrefs = {item.get("id"): item.get("href") for item in opf.findall(".//{*}manifest/{*}item")}
    order = [hrefs[ref.get("idref")] for ref in opf.findall(".//{*}spine/{*}itemref")]
    order = [href for href in order if href != "nav.xhtml"]
    return "\n".join(files[f"EPUB/{href}"].decode() for href in order)


def _download(client, series) -> bytes:
    response = client.post(reverse("series-export", args=[series.public_id]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/epub+zip"
    assert response["Content-Disposition"] == 'attachment; filename="the-long-road.epub"'
    return response.content


def test_a_readers_book_holds_only_what_they_may_read_in_order(saga, as_carol):
    text = _spine_text(_files(_download(as_carol, saga[0])))
    assert "Secret Crossing" not in text and "words of secret crossing" not in text
    assert text.index("Part 1: Departure") < text.index("words of departure")
    assert text.index("words of departure") < text.index("Part 2: The Inn")
    assert text.index("Part 2: The Inn") < text.index("words of the inn")


def test_the_owner_gets_every_part_in_the_order_they_set(saga, writer_a, as_alice):
    series, threads = saga
    entry = SeriesEntry.objects.get(thread=threads[2])
    services.series_move_entry(entry=entry, actor=writer_a, direction="up")
    text = _spine_text(_files(_download(as_alice, series)))
    positions = [
        text.index(needle)
        for needle in ("Part 1: Departure", "Part 2: The Inn", "Part 3: Secret Crossing")
    ]
    assert positions == sorted(positions)


def test_removed_posts_stay_out_of_the_book(saga, writer_a, ivy, as_carol):
    series, threads = saga
    post = thread_services.post_create(
        thread=threads[0], writer=writer_a, muse=ivy, body="a line taken back"
    )
    thread_services.post_delete(post=post, writer=writer_a)
    assert b"a line taken back" not in b"".join(_files(_download(as_carol, series)).values())


def test_a_series_nobody_else_may_read_cannot_be_downloaded(saga, writer_a, as_carol, client):
    series, threads = saga
    for thread in (threads[0], threads[2]):
        services.series_remove_entry(entry=SeriesEntry.objects.get(thread=thread), actor=writer_a)
    assert as_carol.post(reverse("series-export", args=[series.public_id])).status_code == 404
    assert client.post(reverse("series-export", args=[series.public_id])).status_code == 404


def test_the_book_from_the_web_passes_epubcheck(saga, as_alice, tmp_path):
    path = tmp_path / "series.epub"
    path.write_bytes(_download(as_alice, saga[0]))
    problems = epubcheck_problems(start_epubcheck(path))
    assert problems is None, problems


def _series(*docs) -> SeriesDocument:
    return SeriesDocument(
        public_id="S3r1es",
        title="Lamps\nand ledgers",
        description="One winter.\n\nAnother & more <b>.",
        url="https://tandem.example/series/S3r1es/",
        threads=list(docs),
        exported_at=EXPORTED,
    )


def test_a_hard_series_passes_epubcheck(tmp_path):
    """Long parts split into chapters, a hostile one, an empty one and a repeated muse key:
    no file, id or class of one part clashes with another's."""
    series = _series(
        long_document(120),
        hostile_document(),
        replace(make_document(posts=[]), title="  "),
        make_document(),
    )
    path = tmp_path / "hard.epub"
    path.write_bytes(export_series_epub(series))
    problems = epubcheck_problems(start_epubcheck(path))
    assert problems is None, problems


def test_the_contents_nest_each_part_and_the_book_is_reproducible():
    series = _series(make_document(title="First"), long_document(120))
    data = export_series_epub(series)
    assert data == export_series_epub(series)
    files = _files(data)
    nav = etree.fromstring(files["EPUB/nav.xhtml"])
    top = nav.findall(".//x:nav[@epub:type='toc']/x:ol/x:li", NS)
    labels = ["".join(li.find("x:a", NS).itertext()) for li in top]
    assert labels[0] == "Title page"
    assert labels[1] == "Part 1: First" and labels[2].startswith("Part 2: ")
    # The long part groups its posts by chapter beneath its own entry.
    assert top[2].findall("x:ol/x:li/x:ol/x:li", NS)
    opf = files["EPUB/content.opf"].decode()
    assert "urn:uuid:" in opf and "Lamps and ledgers" in opf
    assert "EPUB/text/part-002/posts-0003.xhtml" in files


def test_a_long_series_is_built_in_the_background(saga, as_carol, settings):
    from tandem.exports.models import ExportJob, ExportStatus
    from tandem.series.tasks import run_series_export

    settings.TANDEM_EXPORT_BACKGROUND_POSTS = 1
    series, _ = saga
    response = as_carol.post(reverse("series-export", args=[series.public_id]))
    job = ExportJob.objects.get()
    assert response["Location"] == job.get_absolute_url()
    assert "The series “The Long Road”" in as_carol.get(job.get_absolute_url()).content.decode()
    assert run_series_export.call(job.pk) == ExportStatus.DONE
    assert run_series_export.call(job.pk) == "already taken"
    job.refresh_from_db()
    assert job.filename == "the-long-road.epub" and job.done == job.total == 2
    download = as_carol.get(reverse("export-job-download", args=[job.pk]))
    text = b"".join(_files(b"".join(download.streaming_content)).values()).decode()
    assert "words of departure" in text and "Secret Crossing" not in text


def test_a_background_book_is_refused_if_the_reader_lost_the_series(
    saga, writer_a, as_carol, settings
):
    from tandem.exports.models import ExportJob, ExportStatus
    from tandem.series.tasks import run_series_export

    settings.TANDEM_EXPORT_BACKGROUND_POSTS = 1
    series, _ = saga
    as_carol.post(reverse("series-export", args=[series.public_id]))
    job = ExportJob.objects.get()
    # Before the worker gets to it, the writer blocks the reader.
    from tandem.blocks.services import block_writer

    block_writer(blocker=writer_a, blocked=job.owner)
    assert run_series_export.call(job.pk) == ExportStatus.FAILED
    job.refresh_from_db()
    assert "no longer read" in job.error and not job.file_path
