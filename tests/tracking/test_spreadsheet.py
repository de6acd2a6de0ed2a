"""Tracker spreadsheets: the Tumblr tracker's header, the generic mapping, bad rows, caps,
and export → import giving back the same threads."""

from __future__ import annotations

import pytest

from tandem.tracking import selectors, services, spreadsheet
from tandem.tracking.models import TrackedThread

pytestmark = pytest.mark.django_db

TUMBLR = (
    "Thread Title,Post ID / URL,Partner,Tags,Archived,Queued,Last Poster\r\n"
    "Ashes,https://a.tumblr.com/post/1,bea,angst,no,no,bea\r\n"  # partner posted: mine
    "Embers,https://a.tumblr.com/post/2,@Cal,,no,no,me-blog\r\n"  # I posted: theirs
    "Sparks,https://a.tumblr.com/post/3,dee,,no,yes,dee\r\n"  # queued: theirs
    ",https://a.tumblr.com/post/4,eve,,no,no,eve\r\n"  # no title
    "Old,12345,fay,,yes,no,\r\n"  # a bare post id, archived
    "Bad link,ftp:/nope,gus,,no,no,\r\n"
)


def _import(writer, text: str, mapping=None):
    sheet = spreadsheet.read_sheet(text.encode("utf-8"))
    mapping = mapping or spreadsheet.known_mapping(sheet.headers)
    return services.tracked_import(writer=writer, sheet=sheet, mapping=mapping)


def test_tumblr_tracker_is_recognised_and_turns_mapped(writer):
    report = _import(writer, TUMBLR)
    got = {t.title: (t.turn, t.is_archived) for t in TrackedThread.objects.filter(writer=writer)}
    assert got == {
        "Ashes": ("mine", False),
        "Embers": ("theirs", False),
        "Sparks": ("theirs", False),
        "Old": ("mine", True),
    }
    assert [line for line, _ in report.errors] == [5, 7]
    assert "title" in report.errors[0][1].lower()
    assert "url" in report.errors[1][1].lower() or "link" in report.errors[1][1].lower()
    old = TrackedThread.objects.get(title="Old")
    assert (old.url, old.notes) == ("", "Post ID 12345")


def test_other_headers_are_not_taken_for_the_tumblr_tracker():
    assert spreadsheet.known_mapping(["Name", "Link", "Who"]) is None


def test_generic_mapping(writer, make_muse):
    make_muse(writer, "Ines")
    text = "Name;Where;Who;Mine?;Character\nRain;https://x.example/t/1;jo;yes;ines\nSun;;;what;\n"
    sheet = spreadsheet.read_sheet(text.encode())
    assert sheet.headers == ["Name", "Where", "Who", "Mine?", "Character"]
    report = services.tracked_import(
        writer=writer,
        sheet=sheet,
        mapping={"title": 0, "url": 1, "partner": 2, "turn": 3, "muse": 4},
    )
    rain = TrackedThread.objects.get(writer=writer)
    assert (rain.title, rain.site, rain.partner, rain.turn, rain.muse.name) == (
        "Rain",
        "x.example",
        "jo",
        "mine",
        "Ines",
    )
    assert report.errors == [(3, "whose turn is “what”; write mine or theirs.")]


def test_unknown_muse_is_a_bad_row(writer):
    report = _import(writer, "title,muse\nA,Nobody\n", mapping={"title": 0, "muse": 1})
    assert report.errors[0][0] == 2 and "Nobody" in report.errors[0][1]
    assert not TrackedThread.objects.exists()


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"\xff\xfeT\x00i\x00", "UTF-8"),
        (b"", "empty"),
        (b"a" * (spreadsheet.MAX_BYTES + 1), "KB"),
        (("t\n" + "x\n" * (spreadsheet.MAX_ROWS + 1)).encode(), "rows"),
    ],
)
def test_whole_file_refusals(data, words):
    with pytest.raises(spreadsheet.SpreadsheetError, match=words):
        spreadsheet.read_sheet(data)


def test_writer_cap_stops_the_import_and_says_where(writer, monkeypatch):
    monkeypatch.setattr(services, "MAX_TRACKED_PER_WRITER", 2)
    report = _import(writer, "t\na\nb\nc\nd\n", mapping={"title": 0})
    assert len(report.created) == 2
    assert report.errors[0][0] == 4 and "2 rows from here" in report.errors[0][1]


def test_multiline_cells_keep_line_numbers(writer):
    report = _import(writer, 't,n\n"A","two\nlines"\n,x\n', mapping={"title": 0, "notes": 1})
    assert report.errors[0][0] == 4


def test_export_then_import_gives_the_same_threads(writer, other, make_muse):
    muse = make_muse(writer, "Ines")
    services.tracked_create(
        writer=writer,
        title="=SUM(1)",
        url="https://a.example/1",
        partner="@bea",
        muse=muse,
        tags="angst, au",
        turn="theirs",
        remind_after_days=4,
        notes='said "hi",\nthen left',
    )
    services.tracked_create(writer=writer, title="Plain", site="discord", archived=True)
    services.tracked_create(writer=writer, title="No partner, mine")
    fields = ("title", "url", "site", "partner", "muse_id", "tags", "turn", "remind_after_days")

    def rows(user):
        return sorted(
            (*(getattr(t, f) for f in fields), t.notes, t.is_archived)
            for t in TrackedThread.objects.filter(writer=user)
        )

    text = selectors.export_csv(writer)
    assert text.splitlines()[0].startswith(",".join(spreadsheet.TUMBLR_COLUMNS))
    assert "'=SUM(1)" in text  # a formula is defused in the file
    before = rows(writer)
    TrackedThread.objects.filter(writer=writer).delete()
    report = _import(writer, text)
    assert report.errors == []
    assert rows(writer) == before
