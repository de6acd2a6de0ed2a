"""Every sample thread, imported and exported as EPUB, passes Debian's epubcheck."""

from __future__ import annotations

import pytest

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
    assert len(SAMPLES) >= 10
    paths = []
    for sample in SAMPLES:
        thread = _import_sample(sample, make_writer)
        path = tmp_path / f"{sample.name}.epub"
        path.write_bytes(thread_export(thread, "epub").content)
        paths.append(path)
    failures = []
    # Two checks at a time: epubcheck is a Java program and starts slowly.
    for first in range(0, len(paths), 2):
        running = [(path, start_epubcheck(path)) for path in paths[first : first + 2]]
        for path, process in running:
            problems = epubcheck_problems(process)
            if problems:
                failures.append(f"{path.name}:\n{problems}")
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
