"""Every sample thread, imported and exported as EPUB, passes Debian's epubcheck."""

from __future__ import annotations

import pytest
from django.utils import timezone

from tandem.exports.document import SeriesDocument
from tandem.exports.epub_export import export_epub, export_series_epub
from tandem.exports.selectors import thread_document
from tandem.exports.services import thread_export
from tandem.imports import services
from tandem.imports.samples import load_samples
from tandem.muses.services import muse_create
from tests.exports.epubcheck import epubcheck_problems, start_epubcheck

SAMPLES = load_samples()


def _import_sample(sample, make_writer):
    writers, muses = {}, []
    for spec in sample.muses:
        if spec["writer"] not in writers:
            writers[spec["writer"]] = make_writer(f"{sample.name[:20]}-{spec['writer']}")
        muses.append(
            muse_create(
                owner=writers[spec["writer"]],
                name=spec["name"],
                nicknames=", ".join(spec.get("nicknames", [])),
                pronouns=spec.get("pronouns", ""),
            )
        )
    owner = next(iter(writers.values()))
    proposal, _ = services.proposal_for(
        sample.text.encode(), services.muse_names(muses), filename=f"{sample.name}.txt"
    )
    # The EPUB is what is checked here, not the split: a post the splitter could not
    # attribute goes to the first muse rather than stopping the import.
    by_key = {str(m.pk): m for m in muses}
    posts = [
        services.ImportedPost(muse=by_key.get(p.muse_key, muses[0]), body=p.text)
        for p in proposal.posts
    ]
    return services.thread_import(owner=owner, title=sample.title, posts=posts, muses=muses)


def test_every_sample_epub_passes_epubcheck(db, make_writer, tmp_path):
    """Every sample, in one book: the series EPUB is made of the same parts as a thread's
    (the same chapters, title pages and styles), so one epubcheck run covers them all, and
    a second checks a single thread's book. epubcheck is a Java program and starts slowly:
    one run per sample cost two minutes a database."""
    assert len(SAMPLES) >= 10
    documents = [thread_document(_import_sample(sample, make_writer)) for sample in SAMPLES]
    book = tmp_path / "every-sample.epub"
    book.write_bytes(
        export_series_epub(
            SeriesDocument(
                public_id="samples",
                title="Every sample thread",
                description="",
                url="http://testserver/series/samples/",
                threads=documents,
                exported_at=timezone.now(),
            )
        )
    )
    longest = max(documents, key=lambda doc: len(doc.posts))
    single = tmp_path / "longest-sample.epub"
    single.write_bytes(export_epub(longest))
    running = [(path, start_epubcheck(path)) for path in (book, single)]
    failures = [
        f"{path.name}:\n{problems}"
        for path, process in running
        if (problems := epubcheck_problems(process))
    ]
    assert not failures, "\n\n".join(failures)


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda s: s.name)
def test_sample_markdown_export_re_imports_to_the_same_posts(db, make_writer, sample):
    thread = _import_sample(sample, make_writer)
    markdown = thread_export(thread, "md").content
    muses = [p.muse for p in thread.participants.select_related("muse")]
    proposal, _ = services.proposal_for(markdown, services.muse_names(muses), filename="x.md")
    assert [p.muse_key for p in proposal.posts] == [
        str(p.muse_id) for p in thread.posts.order_by("number")
    ]
