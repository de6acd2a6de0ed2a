"""Threads that arrive already split: a JSON list of posts, or a Tandem thread export."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from tandem.exports.archive import dump_json, thread_to_json
from tandem.imports import services
from tandem.imports.splitter import MuseNames
from tandem.imports.structured import StructuredError, looks_like_json, proposal_from_json
from tandem.threads import services as thread_services

CAST = [
    MuseNames(key="1", name="Ivy", nicknames=("ives", "Marsh")),
    MuseNames(key="2", name="Hale"),
]


def _json(value) -> bytes:
    return json.dumps(value).encode()


def test_a_list_of_posts_keeps_text_muse_and_date():
    data = _json(
        [
            {"muse": "ivy", "text": "ivy opened the shop.", "date": "2019-03-04T18:22:00Z"},
            {"character": "Hale", "body": "hale came in.", "date": "4 March 2019"},
            {"name": "marsh", "content": "she sighed.", "timestamp": 1551724920},
        ]
    )
    proposal = proposal_from_json(data, CAST)
    assert [p.muse_key for p in proposal.posts] == ["1", "2", "1"]
    assert [p.text for p in proposal.posts][1] == "hale came in."
    assert proposal.posts[0].date == datetime(2019, 3, 4, 18, 22, tzinfo=UTC)
    assert proposal.posts[1].date == datetime(2019, 3, 4, tzinfo=UTC)
    assert proposal.posts[2].date == datetime.fromtimestamp(1551724920, tz=UTC)
    assert all(p.confidence == 1.0 and p.split_confidence == 1.0 for p in proposal.posts)
    assert proposal.warnings == []


def test_posts_under_a_key_and_problems_become_warnings():
    data = _json(
        {
            "posts": [
                {"muse": "Corwin", "text": "a stranger speaks."},
                {"text": "nobody's words."},
                {"muse": "ivy", "text": "   "},
                {"muse": "hale", "text": "hale waits.", "date": "the day after"},
            ]
        }
    )
    proposal = proposal_from_json(data, CAST)
    assert [p.muse_key for p in proposal.posts] == [None, None, "2"]
    assert proposal.unknown_names == ["Corwin"]
    text = " ".join(proposal.warnings)
    assert "Post 1 names “Corwin”" in text
    assert "Post 2 names nobody" in text
    assert "Entry 3 has no text" in text
    assert "Post 3 has a date that couldn’t be read (“the day after”)" in text


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b'{"posts": [', "not valid: Expecting value at line 1, column 12"),
        (b'{"hello": "world"}', "not a list of posts"),
        (b"[1, 2]", "not a list of posts"),
        (b'"\xff"', "not UTF-8 (byte 0xff at position 1)"),
        (b"[" * 100_000, "nested too deeply"),
        (
            _json({"format": "tandem-thread", "schema_version": 3, "posts": []}),
            "newer Tandem (schema 3)",
        ),
    ],
)
def test_bad_json_is_refused_with_a_reason(data, message):
    with pytest.raises(StructuredError, match=message.replace("(", r"\(").replace(")", r"\)")):
        proposal_from_json(data, CAST)


def test_json_is_recognised_by_name_or_by_its_first_byte():
    assert looks_like_json(b"anything", "thread.JSON")
    assert looks_like_json(b'\xef\xbb\xbf  [{"a": 1}]')
    assert not looks_like_json(b"ivy waited. [she did]", "thread.txt")
    assert not looks_like_json(b'[{"muse": "ivy"}]', "thread.txt")
    assert not looks_like_json(b"[ivy]\n\nivy waited.")
    assert looks_like_json(b'[{"muse": "ivy", "text": "hi"}]')


def test_a_tandem_thread_export_imports_with_its_dates(
    coffee_cart, writer_a, writer_b, ivy, hale, make_writer, make_muse
):
    first = thread_services.post_create(
        thread=coffee_cart, writer=writer_a, muse=ivy, body="ivy poured two cups."
    )
    removed = thread_services.post_create(
        thread=coffee_cart, writer=writer_b, muse=hale, body="hale said the wrong thing."
    )
    thread_services.post_delete(post=removed, writer=writer_b)
    data = dump_json(thread_to_json(coffee_cart))

    # Someone else imports it as their own history, naming their own muses alike.
    newcomer = make_writer("wren")
    muses = [make_muse(newcomer, "Ivy"), make_muse(newcomer, "Hale")]
    pending = services.import_propose(
        owner=newcomer, title="Again", data=data, muses=muses, filename="cart.json"
    )
    assert [p["text"] for p in pending.posts] == ["ivy poured two cups."]
    assert pending.posts[0]["muse"] == muses[0].pk
    pending = services.import_start(pending=pending, actor=newcomer)
    [post] = pending.thread.posts.all()
    assert post.created_at == first.created_at
