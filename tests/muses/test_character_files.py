"""Characters from Tupperbox, PluralKit and character cards, and character cards out."""

from __future__ import annotations

import base64
import copy
import io
import json
import struct
import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from tandem.muses.character_files import (
    MAX_FILE_BYTES,
    CharacterFileError,
    CharacterRecord,
    card_png,
    card_v2,
    card_v3,
    read_card_png,
    read_character_file,
)

# ---------------------------------------------------------------------------- fixtures

TUPPERS = {
    "tuppers": [
        {
            "id": 101,
            "name": "Ivy Holloway",
            "brackets": ["ivy:", ""],
            "avatar_url": "https://cdn.example/ivy.png",
            "banner": None,
            "description": "A botanist who talks to her ferns.",
            "birthday": None,
            "tag": "TMA",
            "group_id": 1,
            "nick": "Ives",
            "posts": 120,
        },
        {
            "id": 102,
            "name": "Rowan",
            "brackets": ["r:", ""],
            "avatar_url": None,
            "description": None,
            "tag": None,
            "group_id": 1,
            "nick": None,
        },
        {
            "id": 103,
            "name": "Captain Mara Venn",
            "brackets": ["[", "]"],
            "avatar_url": "not a url",
            "description": "Smuggler.",
            "tag": None,
            "group_id": 2,
            "nick": "Mara",
        },
    ],
    "groups": [
        {"id": 1, "name": "The Magnus Archives", "description": "", "tag": None},
        {"id": 2, "name": "Star Wars", "description": "space", "tag": "SW"},
    ],
}

PLURALKIT = {
    "version": 2,
    "id": "exmpl",
    "uuid": "c1a6b0f4-0000-0000-0000-000000000000",
    "name": "Ivy's muses",
    "members": [
        {
            "id": "aaaaa",
            "uuid": "11111111-0000-0000-0000-000000000000",
            "name": "ivy-tma",
            "display_name": "Ivy",
            "pronouns": "she/her",
            "color": "7A3E9D",
            "description": "Botanist.",
            "avatar_url": "https://cdn.example/ivy.png",
            "birthday": "1990-04-01",
            "proxy_tags": [{"prefix": "ivy:", "suffix": None}],
        },
        {
            "id": "bbbbb",
            "uuid": "22222222-0000-0000-0000-000000000000",
            "name": "Rowan",
            "display_name": None,
            "pronouns": None,
            "color": None,
            "description": None,
            "avatar_url": None,
            "proxy_tags": [],
        },
    ],
    "groups": [
        {"id": "ggggg", "name": "tma", "display_name": "The Magnus Archives", "members": ["aaaaa"]}
    ],
    "switches": [],
}

EXTENSIONS = {
    "depth_prompt": {"prompt": "Stay in character.", "depth": 4, "role": "system"},
    "some_tool/flag": True,
    "talkativeness": "0.5",
}

V1_CARD = {
    "name": "Ivy",
    "description": "{{char}} is a botanist.",
    "personality": "curious",
    "scenario": "A greenhouse at night.",
    "first_mes": "Oh! You startled me.",
    "mes_example": "<START>\n{{char}}: Hello.",
    "avatar": "none",
    "talkativeness": "0.5",
}

V2_CARD = {
    "spec": "chara_card_v2",
    "spec_version": "2.0",
    "data": {
        "name": "Ivy",
        "description": "A botanist who talks to her ferns.",
        "personality": "curious, kind",
        "scenario": "A greenhouse at night.",
        "first_mes": "Oh! You startled me.",
        "mes_example": "",
        "creator_notes": "Made for a slow-burn RP.",
        "system_prompt": "",
        "post_history_instructions": "",
        "alternate_greetings": ["Hello again."],
        "character_book": {"entries": [{"keys": ["fern"], "content": "Her ferns have names."}]},
        "tags": ["botanist", "oc"],
        "creator": "someone",
        "character_version": "2.1",
        "extensions": copy.deepcopy(EXTENSIONS),
    },
}

V3_CARD = {
    "spec": "chara_card_v3",
    "spec_version": "3.0",
    "data": {
        **copy.deepcopy(V2_CARD["data"]),
        "nickname": "Ives",
        "group_only_greetings": ["Hello, everyone."],
        "assets": [{"type": "icon", "uri": "ccdefault:", "name": "main", "ext": "png"}],
        "creator_notes_multilingual": {"fr": "Pour un RP lent."},
        "source": ["https://example.com/ivy"],
        "creation_date": 1700000000,
        "modification_date": 1700000500,
        "x_unlisted_field": {"kept": [1, 2, 3]},
    },
}


def as_bytes(document) -> bytes:
    return json.dumps(document).encode()


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def plain_png(colour: str = "#336699", size: tuple[int, int] = (8, 12)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, format="PNG")
    return out.getvalue()


def with_chunks(png: bytes, *chunks: bytes) -> bytes:
    """The PNG with extra chunks inserted just before IEND (the last 12 bytes)."""
    return png[:-12] + b"".join(chunks) + png[-12:]


def text_chunk(keyword: str, card: dict) -> bytes:
    payload = base64.b64encode(json.dumps(card).encode())
    return png_chunk(b"tEXt", keyword.encode() + b"\x00" + payload)


def png_chunks(png: bytes) -> list[tuple[bytes, bytes]]:
    chunks, position = [], 8
    while position < len(png):
        (length,) = struct.unpack(">I", png[position : position + 4])
        kind = png[position + 4 : position + 8]
        chunks.append((kind, png[position + 8 : position + 8 + length]))
        position += 12 + length
    return chunks


def comparable(record: CharacterRecord) -> CharacterRecord:
    """The record without what legitimately changes on a trip (the picture, the source)."""
    return CharacterRecord(**{**record.__dict__, "avatar_bytes": None, "source": ""})


# ---------------------------------------------------------------------------- Tupperbox


def test_tupperbox_export_gives_each_tupper():
    records = read_character_file(as_bytes(TUPPERS), "tuppers.json")
    assert [record.name for record in records] == ["Ivy Holloway", "Rowan", "Captain Mara Venn"]
    ivy, rowan, mara = records
    assert ivy.nicknames == ["Ives", "TMA"]
    assert ivy.fandom == "The Magnus Archives"
    assert ivy.bio == "A botanist who talks to her ferns."
    assert ivy.avatar_url == "https://cdn.example/ivy.png"
    assert ivy.avatar_bytes is None
    assert ivy.source == "tupperbox"
    assert ivy.card_data == {}
    assert (rowan.fandom, rowan.bio, rowan.nicknames) == ("The Magnus Archives", "", [])
    assert (mara.fandom, mara.nicknames, mara.avatar_url) == ("Star Wars", ["Mara"], "")


def test_tupperbox_without_tuppers_is_refused():
    with pytest.raises(CharacterFileError, match="no tuppers"):
        read_character_file(as_bytes({"tuppers": [], "groups": []}))


def test_tupperbox_tuppers_without_names_are_skipped():
    data = as_bytes({"tuppers": [{"name": "  "}, {"name": "Ivy"}, "junk"], "groups": None})
    assert [record.name for record in read_character_file(data)] == ["Ivy"]
    with pytest.raises(CharacterFileError, match="has a name"):
        read_character_file(as_bytes({"tuppers": [{"name": ""}]}))


# ---------------------------------------------------------------------------- PluralKit


def test_pluralkit_export_gives_each_member():
    ivy, rowan = read_character_file(as_bytes(PLURALKIT), "export.json")
    assert ivy.name == "Ivy"  # display_name is what people see
    assert ivy.nicknames == ["ivy-tma"]
    assert ivy.pronouns == "she/her"
    assert ivy.accent_colour == "#7a3e9d"
    assert ivy.bio == "Botanist."
    assert ivy.fandom == "The Magnus Archives"
    assert ivy.avatar_url == "https://cdn.example/ivy.png"
    assert ivy.source == "pluralkit"
    assert rowan.name == "Rowan"
    assert rowan.nicknames == []
    assert rowan.accent_colour is None
    assert (rowan.pronouns, rowan.bio, rowan.fandom) == ("", "", "")


@pytest.mark.parametrize("colour", ["#12345", "zzzzzz", "12345678", 123456, ""])
def test_pluralkit_invalid_colour_becomes_none(colour):
    export = copy.deepcopy(PLURALKIT)
    export["members"][0]["color"] = colour
    assert read_character_file(as_bytes(export))[0].accent_colour is None


@pytest.mark.parametrize("version", [1, 3, "2", None])
def test_pluralkit_other_versions_are_refused(version):
    export = copy.deepcopy(PLURALKIT)
    if version is None:
        del export["version"]
    else:
        export["version"] = version
    with pytest.raises(CharacterFileError, match="version 2 exports only"):
        read_character_file(as_bytes(export))


def test_pluralkit_without_members_is_refused():
    with pytest.raises(CharacterFileError, match="no members"):
        read_character_file(as_bytes({"version": 2, "members": [], "switches": []}))


# ---------------------------------------------------------------------------- JSON cards


def test_v1_card_is_read_with_everything_kept():
    (record,) = read_character_file(as_bytes(V1_CARD), "ivy.json")
    assert record.source == "card_v1"
    assert record.name == "Ivy"
    assert record.bio == "Ivy is a botanist."
    assert record.card_data["description"] == "{{char}} is a botanist."
    assert record.card_data["personality"] == "curious"
    assert record.card_data["talkativeness"] == "0.5"
    assert record.card_data["avatar"] == "none"
    assert card_v2(record)["data"]["description"] == "{{char}} is a botanist."


def test_v2_card_is_read_with_extensions_untouched():
    (record,) = read_character_file(as_bytes(V2_CARD))
    assert record.source == "card_v2"
    assert record.name == "Ivy"
    assert record.bio == "A botanist who talks to her ferns."
    assert record.nicknames == []
    assert record.card_data["extensions"] == EXTENSIONS
    assert record.card_data["character_book"] == V2_CARD["data"]["character_book"]
    assert record.card_data["tags"] == ["botanist", "oc"]
    assert "name" not in record.card_data
    assert "description" not in record.card_data


def test_v3_card_is_read_with_nickname_and_v3_fields():
    (record,) = read_character_file(as_bytes(V3_CARD))
    assert record.source == "card_v3"
    assert record.nicknames == ["Ives"]
    for key in ("group_only_greetings", "assets", "source", "creation_date", "x_unlisted_field"):
        assert record.card_data[key] == V3_CARD["data"][key]
    assert record.card_data["extensions"] == EXTENSIONS


def test_placeholder_replacement_takes_the_name_literally():
    card = {"name": r"Ivy \1 \g<0>", "description": "{{char}} waves. {{CHAR}} smiles."}
    (record,) = read_character_file(as_bytes(card))
    assert record.bio == r"Ivy \1 \g<0> waves. Ivy \1 \g<0> smiles."


def test_long_description_is_cut_for_the_bio_but_kept_whole():
    card = copy.deepcopy(V2_CARD)
    card["data"]["description"] = "word " * 1000
    (record,) = read_character_file(as_bytes(card))
    assert len(record.bio) == 2000
    assert record.bio.endswith("…")
    assert record.card_data["description"] == "word " * 1000
    assert any("2,000" in notice for notice in record.notices)
    assert card_v2(record)["data"]["description"] == "word " * 1000


def test_an_edited_bio_wins_over_the_stored_description():
    card = copy.deepcopy(V2_CARD)
    card["data"]["description"] = "word " * 1000
    (record,) = read_character_file(as_bytes(card))
    record.bio = "Rewritten in Tandem."
    assert card_v2(record)["data"]["description"] == "Rewritten in Tandem."


def test_field_limits_are_applied_without_crashing():
    card = copy.deepcopy(V3_CARD)
    card["data"]["name"] = "N" * 150
    card["data"]["nickname"] = "a, b"
    card["data"]["extensions"]["tandem"] = {
        "pronouns": "p" * 60,
        "fandom": "f" * 200,
        "nicknames": [f"nickname number {n}" for n in range(30)],
    }
    (record,) = read_character_file(as_bytes(card))
    assert record.name == "N" * 100
    assert record.card_data["name"] == "N" * 150
    assert len(record.pronouns) == 40
    assert len(record.fandom) == 120
    assert record.nicknames[0] == "a b"  # commas would split it in Tandem
    assert len(", ".join(record.nicknames)) <= 200
    assert any("Left out" in notice for notice in record.notices)
    assert card_v3(record)["data"]["name"] == "N" * 150


# ---------------------------------------------------------------------------- PNG cards


def test_png_with_only_chara():
    png = with_chunks(plain_png(), text_chunk("chara", V2_CARD))
    (record,) = read_character_file(png, "ivy.png")
    assert record.source == "card_v2"
    assert record.avatar_bytes == png
    assert record.card_data["extensions"] == EXTENSIONS


def test_png_with_only_ccv3():
    png = with_chunks(plain_png(), text_chunk("ccv3", V3_CARD))
    (record,) = read_character_file(png)
    assert record.source == "card_v3"
    assert record.nicknames == ["Ives"]


def test_png_with_both_prefers_ccv3():
    other_v2 = copy.deepcopy(V2_CARD)
    other_v2["data"]["name"] = "Old Ivy"
    png = with_chunks(plain_png(), text_chunk("chara", other_v2), text_chunk("ccv3", V3_CARD))
    assert read_card_png(png)["spec"] == "chara_card_v3"
    assert read_character_file(png)[0].name == "Ivy"


def test_damaged_ccv3_falls_back_to_chara():
    bad = png_chunk(b"tEXt", b"ccv3\x00not base64 at all!")
    png = with_chunks(plain_png(), bad, text_chunk("chara", V2_CARD))
    assert read_character_file(png)[0].source == "card_v2"


def test_itxt_and_ztxt_chunks_are_read():
    payload = base64.b64encode(json.dumps(V3_CARD).encode())
    itxt = png_chunk(b"iTXt", b"ccv3\x00\x01\x00\x00\x00" + zlib.compress(payload))
    assert read_card_png(with_chunks(plain_png(), itxt))["data"]["nickname"] == "Ives"
    ztxt = png_chunk(b"zTXt", b"chara\x00\x00" + zlib.compress(payload))
    assert read_card_png(with_chunks(plain_png(), ztxt))["spec"] == "chara_card_v3"


def test_png_without_a_card_is_refused():
    png = with_chunks(plain_png(), png_chunk(b"tEXt", b"Comment\x00hello"))
    with pytest.raises(CharacterFileError) as error:
        read_character_file(png)
    assert str(error.value) == ("This PNG carries no character card (no ccv3 or chara text chunk).")


def test_png_with_bad_base64_is_refused():
    png = with_chunks(plain_png(), png_chunk(b"tEXt", b"chara\x00@@@not-base64@@@"))
    with pytest.raises(CharacterFileError, match="not valid base64"):
        read_character_file(png)


def test_png_with_a_corrupted_crc_is_refused():
    good = text_chunk("chara", V2_CARD)
    corrupted = good[:-4] + bytes([good[-4] ^ 0xFF]) + good[-3:]
    with pytest.raises(CharacterFileError, match=r"checksum \(CRC\) of its tEXt chunk"):
        read_character_file(with_chunks(plain_png(), corrupted))


def test_truncated_png_is_refused():
    png = with_chunks(plain_png(), text_chunk("chara", V2_CARD))
    with pytest.raises(CharacterFileError, match="cut short"):
        read_character_file(png[:-20])


# ---------------------------------------------------------------------------- export


V3_ONLY_FIELDS = (
    *("nickname", "group_only_greetings", "assets", "creator_notes_multilingual", "source"),
    *("creation_date", "modification_date"),
)
V2_FIELDS = {
    *("name", "description", "personality", "scenario", "first_mes", "mes_example"),
    *("creator_notes", "system_prompt", "post_history_instructions", "alternate_greetings"),
    *("tags", "creator", "character_version", "extensions"),
}


def test_exported_v2_card_has_every_v2_field():
    record = CharacterRecord(name="Ivy")
    card = card_v2(record)
    assert card["spec"] == "chara_card_v2"
    assert card["spec_version"] == "2.0"
    assert set(card["data"]) >= V2_FIELDS
    assert card["data"]["extensions"] == {}
    assert card["data"]["tags"] == []
    assert card["data"]["creator_notes"] == ""
    assert card["data"]["character_version"]
    json.dumps(card)


def test_exported_v3_card_has_v3_required_fields():
    card = card_v3(CharacterRecord(name="Ivy", nicknames=["Ives", "Ivy H."]))
    assert card["spec"] == "chara_card_v3"
    assert card["spec_version"] == "3.0"
    assert card["data"]["group_only_greetings"] == []
    assert card["data"]["nickname"] == "Ives"
    assert card["data"]["extensions"] == {"tandem": {"nicknames": ["Ivy H."]}}


def test_v2_export_leaves_out_v3_only_fields():
    (record,) = read_character_file(as_bytes(V3_CARD))
    data = card_v2(record)["data"]
    for key in V3_ONLY_FIELDS:
        assert key not in data
    assert data["x_unlisted_field"] == {"kept": [1, 2, 3]}
    assert data["extensions"]["tandem"] == {"nicknames": ["Ives"]}


@pytest.mark.parametrize("card", [V1_CARD, V2_CARD, V3_CARD], ids=["v1", "v2", "v3"])
@pytest.mark.parametrize("export", [card_v2, card_v3], ids=["to_v2", "to_v3"])
def test_json_round_trip_keeps_the_record(card, export):
    (first,) = read_character_file(as_bytes(card))
    (second,) = read_character_file(as_bytes(export(first)))
    if export is card_v3 or card is not V3_CARD:
        assert comparable(second) == comparable(first)
    else:  # a V2 card has no place for the V3-only fields
        assert (second.name, second.nicknames, second.bio) == (
            first.name,
            first.nicknames,
            first.bio,
        )
        for key in V3_ONLY_FIELDS:
            first.card_data.pop(key, None)
        assert second.card_data == first.card_data
    assert second.card_data.get("extensions") == first.card_data.get("extensions")


def test_v3_round_trip_gives_back_the_same_data():
    (record,) = read_character_file(as_bytes(V3_CARD))
    assert card_v3(record)["data"] == V3_CARD["data"]
    (record,) = read_character_file(as_bytes(V2_CARD))
    assert card_v2(record)["data"] == V2_CARD["data"]


def test_tandem_fields_survive_a_card_trip():
    record = CharacterRecord(
        name="Ivy",
        nicknames=["Ives", "Dr. Holloway"],
        pronouns="she/her",
        fandom="The Magnus Archives",
        bio="Botanist.",
        accent_colour="#7a3e9d",
        avatar_url="https://cdn.example/ivy.png",
        source="tandem",
    )
    for export in (card_v2, card_v3):
        (back,) = read_character_file(as_bytes(export(record)))
        assert comparable(back) == comparable(record)


def test_png_round_trip_carries_both_cards_and_keeps_extensions():
    original = with_chunks(plain_png(), text_chunk("chara", V2_CARD), text_chunk("ccv3", V3_CARD))
    (record,) = read_character_file(original)
    exported = card_png(record, record.avatar_bytes)
    (again,) = read_character_file(exported)
    assert comparable(again) == comparable(record)
    assert read_card_png(exported)["data"]["extensions"] == EXTENSIONS
    texts = [body.split(b"\x00")[0] for kind, body in png_chunks(exported) if kind == b"tEXt"]
    assert sorted(texts) == [b"ccv3", b"chara"]  # the old card chunks were replaced
    chara = next(body for kind, body in png_chunks(exported) if body.startswith(b"chara\x00"))
    assert json.loads(base64.b64decode(chara[6:]))["spec"] == "chara_card_v2"


def test_png_export_keeps_other_chunks():
    comment = png_chunk(b"tEXt", b"Comment\x00drawn by a friend")
    private = png_chunk(b"prVt", b"\x01\x02\x03")
    picture = with_chunks(plain_png(), comment, private, text_chunk("chara", V1_CARD))
    exported = card_png(CharacterRecord(name="Ivy"), picture)
    kinds = png_chunks(exported)
    assert (b"tEXt", b"Comment\x00drawn by a friend") in kinds
    assert (b"prVt", b"\x01\x02\x03") in kinds
    assert kinds[0][0] == b"IHDR" and kinds[-1][0] == b"IEND"
    with Image.open(io.BytesIO(exported)) as image:
        assert image.size == (8, 12)


def test_png_export_without_a_picture_draws_one():
    exported = card_png(CharacterRecord(name="ivy", accent_colour="#224466"), None)
    with Image.open(io.BytesIO(exported)) as image:
        assert image.size == (400, 600)
        assert image.convert("RGB").getpixel((5, 5)) == (0x22, 0x44, 0x66)
    assert read_character_file(exported)[0].accent_colour == "#224466"


def test_png_export_converts_other_image_formats():
    out = io.BytesIO()
    Image.new("RGB", (10, 10), "#ff0000").save(out, format="WEBP")
    exported = card_png(CharacterRecord(name="Ivy"), out.getvalue())
    assert exported.startswith(b"\x89PNG\r\n\x1a\n")
    assert read_character_file(exported)[0].name == "Ivy"


def test_png_export_refuses_an_unreadable_picture():
    with pytest.raises(CharacterFileError, match="avatar image"):
        card_png(CharacterRecord(name="Ivy"), b"not an image")


# ---------------------------------------------------------------------------- refusals


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (b"", "The file is empty."),
        (b"  \n ", "The file is empty."),
        (b"hello there", "neither JSON nor a PNG"),
        (b"\xff\xfe\x00garbage", "neither JSON nor a PNG"),
        (b'{"name": "Ivy",', "looks like JSON but could not be read"),
        (b'{"hello": "world"}', "not a Tupperbox export, a PluralKit export or a character card"),
        (b"[1, 2, 3]", "not a Tupperbox export"),
        (b'{"spec": "chara_card_v9", "data": {"name": "x"}}', "chara_card_v9"),
        (b'{"spec": "chara_card_v2", "data": {"name": "  "}}', "has no name"),
        (b'{"spec": "chara_card_v2", "data": "Ivy"}', "no data section"),
        (b'{"name": null, "description": "x"}', "has no name"),
        (b'{"spec": "chara_card_v2", "data": {"name": NaN}}', "could not be read"),
        (b"[" * 5000 + b"]" * 5000, "nested"),
        (b'{"a":' * 150 + b"1" + b"}" * 150, "nested"),
    ],
)
def test_bad_input_gives_a_clear_error(data, fragment):
    with pytest.raises(CharacterFileError) as error:
        read_character_file(data)
    assert fragment in str(error.value)


def test_a_png_name_on_other_bytes_is_named():
    with pytest.raises(CharacterFileError, match=r"named \.png but is not a PNG"):
        read_character_file(b"GIF89a....", "ivy.png")


def test_files_over_20_mb_are_refused():
    with pytest.raises(CharacterFileError) as error:
        read_character_file(b"{" + b" " * MAX_FILE_BYTES + b"}")
    assert "20 MB" in str(error.value)


def test_json_that_is_not_utf8_is_named():
    with pytest.raises(CharacterFileError, match="not UTF-8"):
        read_character_file('{"name": "Zoë", "description": ""}'.encode("cp1252"))


def test_null_spec_fields_are_dropped_but_unknown_nulls_kept():
    card = copy.deepcopy(V2_CARD)
    card["data"]["character_book"] = None
    card["data"]["x_other_tool"] = None
    (record,) = read_character_file(as_bytes(card))
    assert "character_book" not in card_v2(record)["data"]
    assert card_v2(record)["data"]["x_other_tool"] is None


def test_nul_characters_and_lone_surrogates_are_cleaned():
    data = b'{"spec": "chara_card_v2", "data": {"name": "Iv\\u0000y", "scenario": "a\\ud800b"}}'
    (record,) = read_character_file(data)
    assert record.name == "Ivy"
    assert record.card_data["scenario"] == "a\ufffdb"
    json.dumps(card_v2(record)).encode()


# ---------------------------------------------------------------------------- fuzzing


def only_character_file_errors(data: bytes) -> None:
    try:
        records = read_character_file(data)
    except CharacterFileError:
        return
    for record in records:
        json.dumps(card_v2(record))
        json.dumps(card_v3(record))


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
def test_random_bytes_only_ever_raise_character_file_error(data):
    only_character_file_errors(data)
    only_character_file_errors(b"\x89PNG\r\n\x1a\n" + data)
    only_character_file_errors(plain_png()[:-12] + data)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(["tuppers", "pluralkit", "v1", "v2", "v3", "png"]),
    st.dictionaries(
        st.sampled_from(
            [
                *("name", "display_name", "nick", "tag", "group_id", "description", "color"),
                *("pronouns", "avatar_url", "nickname", "extensions", "tags", "members", "id"),
            ]
        ),
        json_values,
    ),
    json_values,
)
def test_odd_json_in_known_shapes_only_raises_character_file_error(shape, fields, groups):
    if shape == "tuppers":
        document = {"tuppers": [fields], "groups": groups}
    elif shape == "pluralkit":
        document = {"version": 2, "members": [fields], "groups": groups, "switches": []}
    elif shape == "v1":
        document = {"name": "x", "description": "", **fields}
    else:
        spec = "chara_card_v2" if shape == "v2" else "chara_card_v3"
        document = {"spec": spec, "spec_version": "2.0", "data": fields}
    data = as_bytes(document)
    if shape == "png":
        data = with_chunks(plain_png(), text_chunk("ccv3", document))
    only_character_file_errors(data)
