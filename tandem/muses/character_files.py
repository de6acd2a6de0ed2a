"""Characters from other tools in, character cards out.

Pure functions: bytes in, :class:`CharacterRecord` objects out (and back), or a
:class:`CharacterFileError` whose message is a sentence for the writer. No database, no
network: avatar URLs are recorded as text and never fetched.

What is read, detected from the bytes rather than the file name:

* **Tupperbox** exports (``tuppers.json``): ``name``; ``nick`` and ``tag`` become "also
  called" names; the tupper's group name becomes the fandom (writers group tuppers by verse);
  ``description`` the bio; ``avatar_url`` is kept.
* **PluralKit** exports, version 2 only. ``display_name``, when set, is the muse's name:
  it is what other people see on proxied messages, while ``name`` must be unique within the
  system and is often a disambiguated handle ("ivy-tma"), so it becomes an "also called"
  name when different. ``pronouns``; ``color`` (six hex digits) the accent colour, anything
  else none; ``description`` the bio; the first group the member is in, the fandom.
* **Character cards**: V1 (a flat object), V2 (``chara_card_v2``) and V3 (``chara_card_v3``)
  JSON, or a PNG carrying the card base64-encoded in a ``ccv3`` or ``chara`` text chunk
  (``tEXt``, ``zTXt`` or ``iTXt``; ``ccv3`` preferred). ``name``; V3 ``nickname`` an "also
  called" name; ``description`` the bio (``{{char}}`` replaced by the name, cut to 2,000
  characters with a notice). The PNG itself becomes the avatar. Everything else in ``data``
  -- personality, greetings, the lorebook, ``extensions`` with every key untouched, fields
  no spec names -- goes into ``card_data``, and so does the original of a mapped field
  whenever the mapping changed it (a description longer than the bio, a name over 100
  characters), so that exporting gives the card back as it came. Keys at the top level of
  a V2/V3 card besides ``spec``, ``spec_version`` and ``data`` (the V1 copy some tools add)
  are not kept.

PNGs are read and written with Pillow's PNG plugin. Reading walks every chunk with its chunk
reader and never decodes the picture, so a card before or after the image data is read whatever
the picture's size or state; every checksum is checked, and unpacked text keeps to Pillow's
limits (``MAX_TEXT_CHUNK`` a chunk, ``MAX_TEXT_MEMORY`` in all). Exporting decodes the picture
and encodes it again with the two card chunks, keeping its other text and private chunks,
colour profile, transparency, resolution and EXIF data.

Tandem's own fields that cards have no place for (pronouns, fandom, accent colour, every
"also called" name, the avatar URL) travel in ``data.extensions.tandem`` on export and are
read back from there on import, so a Tandem → card → Tandem trip loses nothing and a
foreign card's ``extensions`` come back exactly as they were.

NUL characters and unpaired surrogates, which the database and JSON encoders reject, are
removed from imported text (replaced by U+FFFD for surrogates); JSON may nest at most
``MAX_JSON_DEPTH`` levels and may not contain NaN or Infinity.
"""

from __future__ import annotations

import base64
import binascii
import copy
import io
import json
import re
import struct
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from PIL import Image, ImageDraw, ImageFont, PngImagePlugin

from tandem.muses.avatars import MAX_PIXELS
from tandem.muses.colours import contrast_ratio

__all__ = [
    "MAX_FILE_BYTES",
    "CharacterFileError",
    "CharacterRecord",
    "card_png",
    "card_v2",
    "card_v3",
    "read_card_png",
    "read_character_file",
]

MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_JSON_DEPTH = 100
NAME_MAX = 100
PRONOUNS_MAX = 40
FANDOM_MAX = 120
NICKNAMES_MAX = 200  # all of them joined with ", "
BIO_MAX = 2000
AVATAR_URL_MAX = 2000
DEFAULT_ACCENT = "#7a3e9d"
TANDEM_EXTENSION = "tandem"

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_CARD_KEYWORDS = ("ccv3", "chara")  # in order of preference

# The V2 data fields in spec order, with what fills them when a card or record lacks them.
# ``character_book`` is optional in the spec and left out when there is none.
_V2_DEFAULTS: dict[str, Any] = {
    "name": "",
    "description": "",
    "personality": "",
    "scenario": "",
    "first_mes": "",
    "mes_example": "",
    "creator_notes": "",
    "system_prompt": "",
    "post_history_instructions": "",
    "alternate_greetings": [],
    "tags": [],
    "creator": "",
    "character_version": "1.0",
    "extensions": {},
}
_V3_DEFAULTS: dict[str, Any] = {**_V2_DEFAULTS, "group_only_greetings": []}
_V3_ONLY = frozenset(
    {
        *("nickname", "group_only_greetings", "assets", "creator_notes_multilingual"),
        *("source", "creation_date", "modification_date"),
    }
)
_SPEC_FIELDS = frozenset({*_V3_DEFAULTS, *_V3_ONLY, "character_book"})
_OPTIONAL_ORDER = ("character_book", *sorted(_V3_ONLY - {"group_only_greetings"}))
_V1_FIELDS = ("description", "personality", "scenario", "first_mes", "mes_example")
# Fields of the record itself, taken from these card keys and never copied blindly.
_MAPPED = ("name", "description", "nickname")


class CharacterFileError(ValueError):
    """A file that gives no character; the message is a clear sentence for the writer."""


@dataclass
class CharacterRecord:
    name: str
    nicknames: list[str] = field(default_factory=list)
    pronouns: str = ""
    fandom: str = ""
    bio: str = ""
    accent_colour: str | None = None  # "#rrggbb"
    avatar_url: str = ""  # recorded, never fetched
    avatar_bytes: bytes | None = field(default=None, repr=False)  # only from a PNG card
    card_data: dict = field(default_factory=dict)  # card fields Tandem has no column for
    source: str = ""  # "tupperbox" | "pluralkit" | "card_v1" | "card_v2" | "card_v3" | "tandem"
    # What the writer should know about the import (a bio cut short, names left out).
    notices: list[str] = field(default_factory=list, compare=False)


# ---------------------------------------------------------------------------- reading


def read_character_file(data: bytes, filename: str = "") -> list[CharacterRecord]:
    """The characters in a Tupperbox or PluralKit export or a character card (JSON or PNG)."""
    _check_size(data)
    if data.startswith(PNG_SIGNATURE):
        record = _record_from_card(read_card_png(data))
        record.avatar_bytes = data
        return [record]
    document = _load_json(data, filename)
    if not isinstance(document, dict):
        raise CharacterFileError(_UNKNOWN_SHAPE)
    if "tuppers" in document:
        return _from_tupperbox(document)
    if "members" in document and ("version" in document or "switches" in document):
        return _from_pluralkit(document)
    if "spec" in document or _looks_like_v1(document):
        return [_record_from_card(document)]
    raise CharacterFileError(_UNKNOWN_SHAPE)


_UNKNOWN_SHAPE = (
    "This JSON file is not a Tupperbox export, a PluralKit export or a character card, "
    "so Tandem cannot tell which characters are in it."
)


def _check_size(data: bytes) -> None:
    if len(data) > MAX_FILE_BYTES:
        raise CharacterFileError(
            f"The file is {len(data) / (1024 * 1024):.1f} MB; character files are limited to "
            f"{MAX_FILE_BYTES // (1024 * 1024)} MB."
        )
    if not data.strip():
        raise CharacterFileError("The file is empty.")


def _load_json(data: bytes, filename: str = "") -> Any:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        if data.lstrip().startswith(b"{"):
            raise CharacterFileError(
                "The file looks like JSON but is not UTF-8 text, which JSON must be."
            ) from None
        text = None
    if text is None or not text.lstrip().startswith(("{", "[")):
        if filename.lower().endswith(".png"):
            raise CharacterFileError("This file is named .png but is not a PNG image.")
        raise CharacterFileError(
            "This file is neither JSON nor a PNG image, so it is not a character file Tandem "
            "can read (Tupperbox or PluralKit exports, or character cards)."
        )
    return _parse_json_text(text, "The file looks like JSON but could not be read")


def _parse_json_text(text: str, failure: str) -> Any:
    try:
        document = json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as error:
        raise CharacterFileError(
            f"{failure}: {error.msg} (line {error.lineno}, column {error.colno})."
        ) from error
    except RecursionError as error:
        raise CharacterFileError(f"{failure}: it is nested too deeply.") from error
    except ValueError as error:  # a number too long to convert, NaN or Infinity
        raise CharacterFileError(f"{failure}: {error}") from error
    return _clean_json(document, 0)


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not a number JSON allows.")


_SURROGATE = re.compile(r"[\ud800-\udfff]")


def _clean_json(value: Any, depth: int) -> Any:
    """The document with NULs and unpaired surrogates taken out of every string."""
    if depth > MAX_JSON_DEPTH:
        raise CharacterFileError(
            f"The JSON in this file is nested more than {MAX_JSON_DEPTH} levels deep; "
            "character files never are."
        )
    if isinstance(value, str):
        return _clean_string(value)
    if isinstance(value, list):
        return [_clean_json(item, depth + 1) for item in value]
    if isinstance(value, dict):
        return {_clean_string(key): _clean_json(item, depth + 1) for key, item in value.items()}
    return value


def _clean_string(text: str) -> str:
    if "\x00" in text:
        text = text.replace("\x00", "")
    if not text.isascii():
        text = _SURROGATE.sub("\ufffd", text)
    return text


# ---------------------------------------------------------------------------- field cleaning

_WHITESPACE = re.compile(r"\s+")
_CHAR_PLACEHOLDER = re.compile(r"\{\{char\}\}", re.IGNORECASE)
_HEX_COLOUR = re.compile(r"#?([0-9a-fA-F]{6})")


def _line(value: Any, limit: int) -> str:
    """A one-line text field: whitespace collapsed, trimmed, cut to the limit."""
    if not isinstance(value, str):
        return ""
    return _WHITESPACE.sub(" ", value).strip()[:limit].rstrip()


def _bio(description: Any, name: str) -> str:
    if not isinstance(description, str):
        return ""
    bio = _CHAR_PLACEHOLDER.sub(lambda _: name, description).strip()
    if len(bio) > BIO_MAX:
        bio = bio[: BIO_MAX - 1].rstrip() + "…"
    return bio


def _nicknames(candidates: Iterable[Any], name: str) -> tuple[list[str], int]:
    """Distinct names other than the muse's own that fit, joined, in 200 characters; and how
    many were left out for lack of room."""
    kept: list[str] = []
    seen = {name.casefold()}
    left_out = 0
    for candidate in candidates:
        # Tandem stores "also called" names comma-separated: a comma would split one in two.
        nickname = _line(_line(candidate, NICKNAMES_MAX).replace(",", " "), NICKNAMES_MAX)
        if not nickname or nickname.casefold() in seen:
            continue
        if len(", ".join([*kept, nickname])) > NICKNAMES_MAX:
            left_out += 1
            continue
        kept.append(nickname)
        seen.add(nickname.casefold())
    return kept, left_out


def _colour(value: Any) -> str | None:
    if isinstance(value, str):
        match = _HEX_COLOUR.fullmatch(value.strip())
        if match:
            return "#" + match.group(1).lower()
    return None


def _web_address(value: Any) -> str:
    if not isinstance(value, str):
        return ""
    value = value.strip()
    if len(value) > AVATAR_URL_MAX or not value.lower().startswith(("https://", "http://")):
        return ""
    return "" if _WHITESPACE.search(value) else value


def _key(value: Any) -> str | int | None:
    """An id usable as a dictionary key (exports use strings or numbers)."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    return value


def _named_record(
    *,
    source: str,
    name_value: Any,
    description: Any,
    nickname_candidates: Iterable[Any],
    card_data: dict | None = None,
) -> CharacterRecord | None:
    """A record with name, bio and nicknames filled, keeping in card_data the original of a
    name or description the mapping changed, so exporting a card gives it back."""
    card_data = {} if card_data is None else card_data
    name = _line(name_value, NAME_MAX)
    if not name:
        return None
    record = CharacterRecord(name=name, source=source, card_data=card_data)
    # Only a change beyond whitespace is worth keeping the original for.
    if len(_WHITESPACE.sub(" ", name_value).strip()) > NAME_MAX:
        card_data["name"] = name_value
        record.notices.append(f"The name was cut to {NAME_MAX} characters.")
    if description is None:
        description = ""
    record.bio = _bio(description, name)
    if not isinstance(description, str) or record.bio != description.strip():
        card_data["description"] = description
        if isinstance(description, str) and len(description.strip()) > BIO_MAX:
            record.notices.append(
                f"The description is longer than a bio may be ({BIO_MAX:,} characters): the "
                "bio has its beginning, and the full text stays with the character card."
            )
    record.nicknames, left_out = _nicknames(nickname_candidates, name)
    if left_out:
        record.notices.append(
            f"Left out {left_out} other name{'s' if left_out > 1 else ''}: "
            f"they do not fit in {NICKNAMES_MAX} characters."
        )
    return record


# ---------------------------------------------------------------------------- Tupperbox


def _from_tupperbox(document: dict) -> list[CharacterRecord]:
    tuppers = document.get("tuppers")
    if not isinstance(tuppers, list):
        raise CharacterFileError(_UNKNOWN_SHAPE)
    if not tuppers:
        raise CharacterFileError("This Tupperbox export has no tuppers in it.")
    group_names = {}
    groups = document.get("groups")
    for group in groups if isinstance(groups, list) else ():
        if isinstance(group, dict) and _key(group.get("id")) is not None:
            group_names[_key(group.get("id"))] = _line(group.get("name"), FANDOM_MAX)
    records = []
    for tupper in tuppers:
        if not isinstance(tupper, dict):
            continue
        record = _named_record(
            source="tupperbox",
            name_value=tupper.get("name"),
            description=tupper.get("description"),
            nickname_candidates=[tupper.get("nick"), tupper.get("tag")],
        )
        if record is None:
            continue
        record.fandom = group_names.get(_key(tupper.get("group_id")), "")
        record.avatar_url = _web_address(tupper.get("avatar_url"))
        records.append(record)
    if not records:
        raise CharacterFileError("None of the tuppers in this Tupperbox export has a name.")
    return records


# ---------------------------------------------------------------------------- PluralKit


def _from_pluralkit(document: dict) -> list[CharacterRecord]:
    version = document.get("version")
    if version != 2 or isinstance(version, bool):
        shown = "without a version number" if version is None else f"version {version}"
        raise CharacterFileError(
            f"This PluralKit export is {shown}; Tandem reads version 2 exports only "
            "(made with pk;export)."
        )
    members = document.get("members")
    if not isinstance(members, list):
        raise CharacterFileError(_UNKNOWN_SHAPE)
    if not members:
        raise CharacterFileError("This PluralKit export has no members in it.")
    fandoms: dict[str | int, str] = {}
    groups = document.get("groups")
    for group in groups if isinstance(groups, list) else ():
        if not isinstance(group, dict) or not isinstance(group.get("members"), list):
            continue
        group_name = _line(group.get("display_name"), FANDOM_MAX) or _line(
            group.get("name"), FANDOM_MAX
        )
        for member_id in group["members"]:
            member_key = _key(member_id)
            if member_key is not None and group_name:
                fandoms.setdefault(member_key, group_name)
    records = []
    for member in members:
        if not isinstance(member, dict):
            continue
        display_name, name = member.get("display_name"), member.get("name")
        shown = display_name if _line(display_name, NAME_MAX) else name
        record = _named_record(
            source="pluralkit",
            name_value=shown,
            description=member.get("description"),
            nickname_candidates=[name] if shown is display_name else [],
        )
        if record is None:
            continue
        record.pronouns = _line(member.get("pronouns"), PRONOUNS_MAX)
        record.accent_colour = _colour(member.get("color"))
        record.avatar_url = _web_address(member.get("avatar_url")) or _web_address(
            member.get("webhook_avatar_url")
        )
        for member_id in (member.get("id"), member.get("uuid")):
            member_key = _key(member_id)
            if member_key is not None and member_key in fandoms:
                record.fandom = fandoms[member_key]
                break
        records.append(record)
    if not records:
        raise CharacterFileError("None of the members in this PluralKit export has a name.")
    return records


# ---------------------------------------------------------------------------- cards


def _looks_like_v1(document: dict) -> bool:
    return "name" in document and any(key in document for key in _V1_FIELDS)


def _record_from_card(card: Any) -> CharacterRecord:
    if not isinstance(card, dict):
        raise CharacterFileError("The character card is not a JSON object.")
    spec = card.get("spec")
    if spec == "chara_card_v3":
        source, data, defaults = "card_v3", card.get("data"), _V3_DEFAULTS
    elif spec == "chara_card_v2":
        source, data, defaults = "card_v2", card.get("data"), _V2_DEFAULTS
    elif spec is None and _looks_like_v1(card):
        source, data, defaults = "card_v1", card, _V2_DEFAULTS
    else:
        shown = spec if isinstance(spec, str) else json.dumps(spec)[:40]
        raise CharacterFileError(
            f"This character card's spec is “{shown[:40]}”, which Tandem does not know; it "
            "reads V1, V2 (chara_card_v2) and V3 (chara_card_v3) cards."
        )
    if not isinstance(data, dict):
        raise CharacterFileError("This character card has no data section.")
    if not _line(data.get("name"), NAME_MAX):
        raise CharacterFileError("This character card has no name.")

    # Fields still at the value export fills in anyway are not stored: card_data keeps what
    # the card says, and a card → Tandem → card trip gives the same data back.
    # A null spec field means "not given" (tools reject a null lorebook); other keys are
    # kept whatever their value.
    card_data = {
        key: value
        for key, value in data.items()
        if key not in _MAPPED
        and not (key in _SPEC_FIELDS and (value is None or value == defaults.get(key)))
    }
    notices = []
    extensions = card_data.get("extensions", {})
    if not isinstance(extensions, dict):
        notices.append("The card's extensions were not a JSON object and were left out.")
        extensions = {}
    tandem = extensions.get(TANDEM_EXTENSION)
    tandem = tandem if isinstance(tandem, dict) else {}
    extensions = {key: value for key, value in extensions.items() if key != TANDEM_EXTENSION}
    if extensions:
        card_data["extensions"] = extensions
    else:
        card_data.pop("extensions", None)
    tandem_nicknames = tandem.get("nicknames")
    nickname = data.get("nickname")

    record = _named_record(
        source=source,
        name_value=data.get("name"),
        description=data.get("description"),
        nickname_candidates=[
            nickname,
            *(tandem_nicknames if isinstance(tandem_nicknames, list) else ()),
        ],
        card_data=card_data,
    )
    assert record is not None  # the name was checked above
    record.notices[:0] = notices
    if nickname is not None and _nicknames([nickname], record.name)[0] != [nickname]:
        card_data["nickname"] = nickname
    record.pronouns = _line(tandem.get("pronouns"), PRONOUNS_MAX)
    record.fandom = _line(tandem.get("fandom"), FANDOM_MAX)
    record.accent_colour = _colour(tandem.get("accent_colour"))
    record.avatar_url = _web_address(tandem.get("avatar_url"))
    return record


def card_v2(record: CharacterRecord) -> dict:
    """The record as a V2 character card (``chara_card_v2``), every V2 field present."""
    return {"spec": "chara_card_v2", "spec_version": "2.0", "data": _card_data(record, 2)}


def card_v3(record: CharacterRecord) -> dict:
    """The record as a V3 character card (``chara_card_v3``)."""
    return {"spec": "chara_card_v3", "spec_version": "3.0", "data": _card_data(record, 3)}


def _card_data(record: CharacterRecord, version: int) -> dict:
    stored = copy.deepcopy(record.card_data)
    defaults = _V3_DEFAULTS if version == 3 else _V2_DEFAULTS
    data: dict[str, Any] = {}
    for key, default in defaults.items():
        value = stored.get(key)
        data[key] = copy.deepcopy(default) if value is None else value

    # A stored original is used only while the record still says what it said on import.
    original_name = stored.get("name")
    data["name"] = (
        original_name
        if isinstance(original_name, str) and _line(original_name, NAME_MAX) == record.name
        else record.name
    )
    original_description = stored.get("description")
    data["description"] = (
        original_description
        if "description" in stored and _bio(original_description, record.name) == record.bio
        else record.bio
    )
    nicknames_in_field = 0
    if version == 3:
        original_nickname = stored.get("nickname")
        from_original = _nicknames([original_nickname], record.name)[0]
        if "nickname" in stored and record.nicknames[: len(from_original)] == from_original:
            data["nickname"] = original_nickname
            nicknames_in_field = len(from_original)
        elif record.nicknames:
            data["nickname"] = record.nicknames[0]
            nicknames_in_field = 1

    for key in _OPTIONAL_ORDER:
        if key in stored and key != "nickname" and (version == 3 or key not in _V3_ONLY):
            data[key] = stored[key]
    for key, value in stored.items():
        if key not in data and key not in _MAPPED and key not in _V3_ONLY:
            data[key] = value

    extensions = data["extensions"] if isinstance(data["extensions"], dict) else {}
    tandem = {
        "pronouns": record.pronouns,
        "fandom": record.fandom,
        "accent_colour": _colour(record.accent_colour) or "",
        "avatar_url": record.avatar_url,
        "nicknames": record.nicknames[nicknames_in_field:],
    }
    tandem = {key: value for key, value in tandem.items() if value}
    if tandem:
        extensions = {**extensions, TANDEM_EXTENSION: tandem}
    data["extensions"] = extensions
    return data


# ---------------------------------------------------------------------------- PNG cards

_TEXT_CHUNKS = frozenset({b"tEXt", b"zTXt", b"iTXt"})
_CUT_SHORT = "The PNG file is cut short: it ends inside a chunk."
# What Pillow raises on bad bytes when export opens and decodes a picture: SyntaxError for a
# broken chunk, OSError for a short read or undecodable image data, ValueError past its text
# limits, and the rest from a header or a compressed stream cut at the wrong place.
_PILLOW_ERRORS = (OSError, SyntaxError, ValueError, EOFError, struct.error, zlib.error)
# Decoding costs memory in proportion to the pixels (one byte each in Pillow's one-band modes,
# four in the others). Export decodes within the budget of the largest avatar Tandem decodes,
# MAX_PIXELS as RGBA: a two-colour 6300×6300 picture fits, a full-colour one does not.
_DECODE_BUDGET = MAX_PIXELS * 4
_ONE_BYTE_MODES = frozenset({"1", "L", "P"})
_PNG_MODES = frozenset({"1", "L", "LA", "I", "I;16", "P", "RGB", "RGBA"})  # Pillow writes these


def read_card_png(data: bytes) -> dict:
    """The card JSON a PNG carries: from its ``ccv3`` chunk, else its ``chara`` chunk."""
    _check_size(data)
    texts = _card_texts(data)
    if not texts:
        raise CharacterFileError(
            "This PNG carries no character card (no ccv3 or chara text chunk)."
        )
    first_error = None
    for keyword in _CARD_KEYWORDS:
        if keyword in texts:
            try:
                return _decode_card_text(texts[keyword], keyword)
            except CharacterFileError as error:
                # A damaged ccv3 chunk next to a good chara one still gives the character.
                first_error = first_error or error
    assert first_error is not None
    raise first_error


def _card_texts(data: bytes) -> dict[str, str]:
    """The text of the first ``ccv3`` and ``chara`` chunks, whatever their kind. This drives
    Pillow's chunk reader as ``PngImageFile`` does, but steps over the image data, which it
    would decode to reach the chunks after it: no picture is too big or broken to give a card."""
    if not data.startswith(PNG_SIGNATURE):
        raise CharacterFileError("This file is not a PNG image.")
    whole = memoryview(data)  # checksummed in slices that copy nothing
    file = io.BytesIO(data)
    file.seek(len(PNG_SIGNATURE))
    stream = PngImagePlugin.PngStream(file)
    texts: dict[str, str] = {}
    kind = b""
    while kind != b"IEND":
        # The whole chunk must be there first: Pillow reports a short read in several ways.
        if file.tell() + 12 > len(data):
            raise CharacterFileError(_CUT_SHORT)
        try:
            kind, start, length = stream.read()
        except SyntaxError as error:  # a chunk type Pillow does not accept
            raise CharacterFileError(
                "The PNG file is damaged: a chunk header is not valid."
            ) from error
        if start + length + 4 > len(data):
            raise CharacterFileError(_CUT_SHORT)
        if kind in _TEXT_CHUNKS:
            body = _read_text(stream, kind, start, length)
            # Emptied after each chunk, so only this one's text is there, if it had any.
            for key, text in stream.im_text.items():
                if key.lower() in _CARD_KEYWORDS:
                    texts.setdefault(key.lower(), str(text))  # an iTXt is a str subclass
            stream.im_text.clear()
            stream.im_info.clear()
        else:
            # Only text chunks can hold a card; the handlers of the others (frames, colour
            # profiles) would only find reasons to refuse a picture that is never shown.
            body = whole[start : start + length]
            file.seek(start + length)
        try:
            stream.crc(kind, body)
        except SyntaxError as error:
            raise CharacterFileError(
                f"The PNG file is damaged: the checksum (CRC) of its {kind.decode('latin-1')} "
                "chunk does not match its content."
            ) from error
    return texts


def _read_text(stream: PngImagePlugin.PngStream, kind: bytes, start: int, length: int) -> bytes:
    """The chunk's body, its text unpacked into ``stream.im_text`` within Pillow's limits."""
    try:
        return stream.call(kind, start, length)
    except ValueError as error:  # past MAX_TEXT_CHUNK or MAX_TEXT_MEMORY
        raise CharacterFileError(
            "The text in this PNG unpacks to more than Tandem reads: "
            f"{PngImagePlugin.MAX_TEXT_CHUNK // (1024 * 1024)} MB in one compressed chunk, "
            f"{PngImagePlugin.MAX_TEXT_MEMORY // (1024 * 1024)} MB in all."
        ) from error
    except SyntaxError as error:  # a zTXt chunk names a compression PNG does not have
        raise CharacterFileError("A zTXt chunk in this PNG is packed in an unknown way.") from error


def _decode_card_text(text: str, keyword: str) -> dict:
    text = text.strip()
    where = f"The character card in this PNG ({keyword} chunk)"
    if not text:  # Pillow leaves a zTXt chunk whose compressed text is damaged empty
        raise CharacterFileError(f"{where} is empty or damaged.")
    if not text.startswith("{"):  # raw JSON is accepted too; a few old tools wrote it
        compact = "".join(text.split())
        try:
            raw = base64.b64decode(compact + "=" * (-len(compact) % 4), validate=True)
        except (binascii.Error, ValueError) as error:
            raise CharacterFileError(f"{where} is not valid base64.") from error
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise CharacterFileError(f"{where} is not UTF-8 text.") from error
    card = _parse_json_text(text, f"{where} is not valid JSON")
    if not isinstance(card, dict):
        raise CharacterFileError(f"{where} is not a JSON object.")
    return card


def card_png(record: CharacterRecord, image: bytes | None) -> bytes:
    """A PNG character card: the image (or a plain one in the accent colour with the
    initial) carrying the V2 card in a ``chara`` chunk and the V3 card in a ``ccv3`` chunk.
    Card chunks already in a PNG are replaced; an animated one keeps its first frame."""
    if image is None:
        return _save_card(record, _plain_picture(record))
    try:
        with _open_picture(image) as picture:
            picture.load()
            return _save_card(record, picture)
    except CharacterFileError:
        raise
    except (*_PILLOW_ERRORS, Image.DecompressionBombError) as error:  # Image.open's pixel limit
        raise CharacterFileError("The avatar image could not be read.") from error


def _open_picture(image: bytes) -> Image.Image:
    if image.startswith(PNG_SIGNATURE):
        # Not Image.open, whose pixel limit is the avatars' (MAX_PIXELS): a card's picture is
        # carried over whole even when it is too big to become an avatar, within budget.
        picture: Image.Image = PngImagePlugin.PngImageFile(io.BytesIO(image))
    else:
        picture = Image.open(io.BytesIO(image))
    # The size comes from the header: refuse a huge picture before decoding it.
    width, height = picture.size
    if width * height * (1 if picture.mode in _ONE_BYTE_MODES else 4) > _DECODE_BUDGET:
        picture.close()
        raise CharacterFileError("The avatar image has too many pixels to be read.")
    return picture


def _save_card(record: CharacterRecord, picture: Image.Image) -> bytes:
    chunks = PngImagePlugin.PngInfo()
    options: dict[str, Any] = {}
    if isinstance(picture, PngImagePlugin.PngImageFile):
        # What rode along in the PNG goes on riding, as it did when cards were spliced in.
        for keyword, text in picture.info.items():
            if isinstance(text, str) and keyword.lower() not in _CARD_KEYWORDS:
                chunks.add_text(keyword, text)  # an iTXt value stays iTXt
        for chunk in picture.private_chunks:
            chunks.add(*chunk)  # (type, body, after the image data?)
        options = {"dpi": picture.info.get("dpi"), "exif": picture.info.get("exif")}
    for keyword, card in (("chara", card_v2(record)), ("ccv3", card_v3(record))):
        encoded = json.dumps(card, ensure_ascii=False).encode("utf-8")
        chunks.add_text(keyword, base64.b64encode(encoded).decode("ascii"))
    if picture.mode not in _PNG_MODES:
        picture = picture.convert("RGBA")
    out = io.BytesIO()
    picture.save(out, format="PNG", pnginfo=chunks, **options)
    return out.getvalue()


def _plain_picture(record: CharacterRecord) -> Image.Image:
    """A 400×600 picture in the accent colour with the muse's initial, when it has none."""
    background = _colour(record.accent_colour) or DEFAULT_ACCENT
    picture = Image.new("RGB", (400, 600), background)
    initial = record.name[:1].upper()
    if initial.isascii() and initial.isalnum():
        ink = max(("#ffffff", "#1b1b1f"), key=lambda colour: contrast_ratio(colour, background))
        try:
            font = ImageFont.load_default(size=260)
        except (OSError, ImportError):  # Pillow without FreeType: a flat colour will do
            font = None
        if font is not None:
            ImageDraw.Draw(picture).text((200, 300), initial, fill=ink, font=font, anchor="mm")
    return picture
