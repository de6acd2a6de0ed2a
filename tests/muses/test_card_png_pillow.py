"""PNG character cards as Pillow reads and writes them: every kind of text chunk, cards
before or after the image data, and bad files refused with a sentence."""

from __future__ import annotations

import base64
import contextlib
import io
import json
import struct
import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image, PngImagePlugin

from tandem.muses.character_files import (
    CharacterFileError,
    CharacterRecord,
    card_png,
    read_card_png,
    read_character_file,
)
from tests.muses.test_character_files import V2_CARD, V3_CARD, png_chunk, text_chunk, with_chunks


def encoded(card: dict) -> str:
    return base64.b64encode(json.dumps(card).encode()).decode("ascii")


def saved(info: PngImagePlugin.PngInfo, picture: Image.Image | None = None, **options) -> bytes:
    """A PNG Pillow wrote, its text chunks (from ``info``) before the image data."""
    out = io.BytesIO()
    picture = picture or Image.new("RGB", (6, 9), "#336699")
    picture.save(out, format="PNG", pnginfo=info, **options)
    return out.getvalue()


def card_info(keyword: str, card: dict, *, zip: bool = False) -> PngImagePlugin.PngInfo:
    info = PngImagePlugin.PngInfo()
    info.add_text(keyword, encoded(card), zip=zip)
    return info


def test_a_ztxt_card_before_the_image_data_is_read():
    png = saved(card_info("chara", V2_CARD, zip=True))
    (record,) = read_character_file(png)
    assert record.source == "card_v2"
    assert record.avatar_bytes == png


def test_an_itxt_card_is_read():
    info = PngImagePlugin.PngInfo()
    info.add_itxt("ccv3", encoded(V3_CARD), lang="en", tkey="Karte", zip=True)
    assert read_card_png(saved(info))["data"]["nickname"] == "Ives"


def test_an_itxt_card_of_raw_json_keeps_its_unicode():
    card = {"spec": "chara_card_v2", "data": {"name": "Zoë 🌿", "description": "Gärtnerin."}}
    info = PngImagePlugin.PngInfo()
    info.add_itxt("chara", json.dumps(card, ensure_ascii=False))
    (record,) = read_character_file(saved(info))
    assert record.name == "Zoë 🌿"


def test_keywords_are_matched_whatever_their_case():
    assert read_card_png(saved(card_info("Chara", V2_CARD)))["spec"] == "chara_card_v2"


def test_a_ccv3_chunk_after_the_image_data_wins_over_a_chara_chunk_before_it():
    png = with_chunks(saved(card_info("chara", V2_CARD)), text_chunk("ccv3", V3_CARD))
    assert read_card_png(png)["spec"] == "chara_card_v3"


def test_a_damaged_ccv3_chunk_before_the_image_data_falls_back_to_a_later_chara():
    info = PngImagePlugin.PngInfo()
    info.add_text("ccv3", "not base64 at all!")
    png = with_chunks(saved(info), text_chunk("chara", V2_CARD))
    assert read_character_file(png)[0].source == "card_v2"


def test_a_damaged_compressed_card_is_refused():
    info = PngImagePlugin.PngInfo()
    info.add(b"zTXt", b"chara\x00\x00" + b"this is not zlib data")
    with pytest.raises(CharacterFileError, match="chara chunk"):
        read_character_file(saved(info))


def test_a_card_after_the_image_data_of_a_big_picture_is_read():
    big = saved(PngImagePlugin.PngInfo(), Image.new("RGB", (4200, 4200)))
    assert read_character_file(with_chunks(big, text_chunk("chara", V2_CARD)))[0].name == "Ivy"


def undecodable(png: bytes) -> bytes:
    """The PNG with its image data replaced by bytes that are not zlib data, every chunk's
    checksum still right."""
    start, end = png.index(b"IDAT") - 4, png.index(b"IEND") - 4
    return png[:start] + png_chunk(b"IDAT", b"these are not pixels") + png[end:]


def test_a_card_after_image_data_that_cannot_be_decoded_is_read():
    png = with_chunks(undecodable(saved(PngImagePlugin.PngInfo())), text_chunk("ccv3", V3_CARD))
    with Image.open(io.BytesIO(png)) as picture, pytest.raises(OSError):
        picture.load()  # Pillow cannot decode it ...
    assert read_card_png(png)["spec"] == "chara_card_v3"  # ... and the card is still read


def test_a_card_after_the_image_data_of_a_picture_past_pillows_pixel_limit_is_read():
    png = bytearray(undecodable(saved(PngImagePlugin.PngInfo())))
    png[16:24] = struct.pack(">II", 60_000, 60_000)  # the width and height in IHDR
    png[29:33] = struct.pack(">I", zlib.crc32(png[12:29]))
    png = with_chunks(bytes(png), text_chunk("chara", V2_CARD))
    with pytest.raises(Image.DecompressionBombError):
        Image.open(io.BytesIO(png))
    assert read_card_png(png)["data"]["name"] == "Ivy"


def test_the_first_of_two_chunks_with_a_keyword_is_the_card():
    second = {"spec": "chara_card_v2", "data": {"name": "Not Ivy"}}
    png = with_chunks(saved(card_info("chara", V2_CARD)), text_chunk("Chara", second))
    assert read_card_png(png)["data"]["name"] == "Ivy"


def test_a_corrupted_checksum_in_the_image_data_is_refused():
    png = bytearray(saved(card_info("chara", V2_CARD)))
    png[png.index(b"IDAT") + 6] ^= 0xFF
    with pytest.raises(CharacterFileError, match=r"checksum \(CRC\) of its IDAT chunk"):
        read_character_file(bytes(png))


def test_a_card_before_a_picture_too_big_to_decode_is_read():
    big = saved(card_info("chara", V2_CARD), Image.new("RGB", (4200, 4200)))
    assert read_character_file(big)[0].name == "Ivy"


@pytest.mark.parametrize("cut", [10, 30, 45, 60, -30, -5])
def test_a_truncated_png_is_refused_as_cut_short(cut):
    png = saved(card_info("chara", V2_CARD))
    with pytest.raises(CharacterFileError, match="cut short"):
        read_character_file(png[:cut])


def test_a_corrupted_checksum_before_the_image_data_is_refused():
    png = bytearray(saved(card_info("chara", V2_CARD)))
    png[png.index(b"tEXt") + 10] ^= 0xFF  # inside the body: the stored CRC no longer matches
    with pytest.raises(CharacterFileError, match=r"checksum \(CRC\) of its tEXt chunk"):
        read_character_file(bytes(png))


def test_a_text_chunk_bomb_is_refused():
    info = PngImagePlugin.PngInfo()
    info.add_text("chara", "A" * (PngImagePlugin.MAX_TEXT_CHUNK + 1), zip=True)
    png = saved(info)
    assert len(png) < 10_000  # a few kilobytes that would unpack to over a megabyte
    with pytest.raises(CharacterFileError, match="unpacks to more than"):
        read_character_file(png)


def test_text_chunks_past_pillows_total_text_limit_are_refused():
    info = PngImagePlugin.PngInfo()
    chunks = PngImagePlugin.MAX_TEXT_MEMORY // PngImagePlugin.MAX_TEXT_CHUNK + 1
    for index in range(chunks):
        info.add_text(f"note{index}", "A" * PngImagePlugin.MAX_TEXT_CHUNK, zip=True)
    with pytest.raises(CharacterFileError, match="unpacks to more than"):
        read_character_file(saved(info))


def test_export_puts_the_cards_before_the_image_data_and_keeps_other_metadata():
    info = PngImagePlugin.PngInfo()
    info.add_itxt("Beschreibung", "Zoë im Garten", lang="de")
    info.add_text("ccv3", "an old card")
    picture = saved(info, dpi=(144, 144))
    exported = card_png(CharacterRecord(name="Ivy"), picture)
    assert exported.index(b"ccv3\x00") < exported.index(b"IDAT")
    with PngImagePlugin.PngImageFile(io.BytesIO(exported)) as image:
        assert image.info["Beschreibung"] == "Zoë im Garten"
        assert image.info["Beschreibung"].lang == "de"
        assert round(image.info["dpi"][0]) == 144
        assert image.info["ccv3"] != "an old card"
    assert read_card_png(exported)["data"]["name"] == "Ivy"


def test_export_of_a_picture_too_big_to_decode_is_refused():
    big = saved(PngImagePlugin.PngInfo(), Image.new("RGB", (4200, 4200)))
    with pytest.raises(CharacterFileError, match="too many pixels"):
        card_png(CharacterRecord(name="Ivy"), big)


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_damaged_pillow_cards_only_raise_character_file_error(data):
    png = bytearray(with_chunks(saved(card_info("chara", V2_CARD)), text_chunk("ccv3", V3_CARD)))
    for _ in range(data.draw(st.integers(1, 4))):
        png[data.draw(st.integers(0, len(png) - 1))] = data.draw(st.integers(0, 255))
    damaged = bytes(png[: data.draw(st.integers(1, len(png)))])
    with contextlib.suppress(CharacterFileError):
        read_character_file(damaged)
    with contextlib.suppress(CharacterFileError):
        card_png(CharacterRecord(name="Ivy"), damaged)
