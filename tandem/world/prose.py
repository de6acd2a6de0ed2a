"""Roleplay-flavoured words for generated worlds: names, titles, tags and post paragraphs.

Everything here is drawn from the caller's ``random.Random``, so a seed gives the same world.
The prose imitates tumblr/discord-style roleplay: lowercase names, ``&``, em-dashes and
``❛ ❜`` dialogue, a few sentences to a paragraph.
"""

from __future__ import annotations

import random

FIRST_NAMES = (
    "ash",
    "wren",
    "ezra",
    "juno",
    "cass",
    "remy",
    "theo",
    "mara",
    "sol",
    "iris",
    "kit",
    "rook",
    "vesper",
    "nell",
    "oren",
    "lux",
    "dahlia",
    "bram",
    "sable",
    "quinn",
    "ines",
    "hollis",
    "tamsin",
    "corvin",
    "lark",
    "emrys",
    "noor",
    "fen",
    "odile",
    "pax",
    "rhea",
    "silas",
    "thea",
    "wynn",
    "yara",
    "zeke",
    "aster",
    "beck",
    "calla",
    "dorian",
)
SURNAMES = (
    "vale",
    "marlowe",
    "thorne",
    "ashby",
    "crane",
    "ferris",
    "halloway",
    "kestrel",
    "lindqvist",
    "morrow",
    "nightingale",
    "okafor",
    "pell",
    "quill",
    "ravenscroft",
    "sato",
    "tremaine",
    "underhill",
    "voss",
    "whitlock",
)
PRONOUNS = (("she", "her"), ("he", "his"), ("they", "their"))
PLACES = (
    "the old lighthouse",
    "the harbour",
    "the kitchen",
    "the library stacks",
    "the rooftop",
    "the train platform",
    "the back booth",
    "the orchard",
    "the chapel ruins",
    "the garage",
    "the observatory",
    "the night market",
    "the infirmary",
    "the stables",
    "the pier",
)
NOUNS = (
    "lantern",
    "letter",
    "knife",
    "teacup",
    "map",
    "coat",
    "key",
    "ring",
    "candle",
    "photograph",
    "cigarette",
    "blade",
    "book",
    "bottle",
    "compass",
    "scarf",
    "mug",
    "locket",
    "rifle",
    "hand",
)
ADVERBS = (
    "slowly",
    "carefully",
    "without thinking",
    "too quickly",
    "for the third time",
    "quietly",
    "almost gently",
    "like it cost nothing",
    "with a sigh",
    "half a second too late",
)
VERBS = (
    "set down",
    "turned over",
    "reached for",
    "pocketed",
    "stared at",
    "pushed aside",
    "picked up",
    "traced",
    "held out",
    "tucked away",
)
GESTURES = (
    "tilting their head",
    "not quite meeting the other's eyes",
    "a crooked smile tugging at one corner of the mouth",
    "shoulders drawn tight",
    "voice dropping low",
    "arms crossed",
    "jaw set",
    "fingers drumming against the table",
    "breath catching",
    "a laugh caught in the throat",
)
LINES = (
    "you came back",
    "i told you not to wait up",
    "don't look at me like that",
    "we don't have time for this",
    "since when do you care",
    "say it again",
    "it's not what you think",
    "stay. please",
    "you're bleeding",
    "i missed you, idiot",
    "how long have you known",
    "that's not an answer",
    "come on, then",
    "you owe me",
    "of course it's raining",
    "i'm not going anywhere",
)
WEATHER = (
    "rain hammered the windows",
    "the wind off the water smelled of salt",
    "snow had started again",
    "the lamps along the quay flickered",
    "somewhere a dog barked twice",
    "the kettle began to whistle",
    "thunder rolled far off",
    "the clock struck eleven",
)
SAID = ("said", "murmured", "muttered", "snapped", "whispered", "offered", "breathed", "asked")

TITLE_ADJECTIVES = (
    "salt",
    "ember",
    "hollow",
    "quiet",
    "iron",
    "velvet",
    "broken",
    "paper",
    "golden",
    "last",
    "winter",
    "borrowed",
    "crooked",
    "silver",
    "wild",
)
TITLE_NOUNS = (
    "crowns",
    "tides",
    "hearts",
    "lanterns",
    "wolves",
    "roses",
    "bones",
    "stars",
    "ghosts",
    "promises",
    "kingdoms",
    "letters",
    "storms",
    "saints",
    "thieves",
)
FANDOMS = (
    "original work",
    "the salt kingdoms",
    "starfall academy",
    "hollow city",
    "the long winter",
    "dragon age",
    "the witcher",
    "harry potter",
    "marvel",
    "supernatural",
    "the last of us",
    "critical role",
    "genshin impact",
    "star wars",
    "pokémon",
)
FREEFORM = (
    "slow burn",
    "angst",
    "found family",
    "enemies to lovers",
    "hurt & comfort",
    "fluff",
    "modern au",
    "fantasy",
    "sci-fi",
    "mystery",
    "romance",
    "adventure",
    "dark themes",
    "canon divergence",
    "one shot",
    "friends to lovers",
    "grief",
    "humour",
    "horror",
    "political intrigue",
    "road trip",
    "pining",
    "banter",
    "worldbuilding",
    "magic",
    "historical",
    "apocalypse",
    "college au",
    "coffee shop au",
    "time travel",
)
SUMMARIES = (
    "two strangers, one storm, and a lighthouse nobody has kept in years.",
    "a heist gone wrong & the only person who can get them out of it.",
    "old friends meet again on the worst night of the year.",
    "the war is over. nobody told the letters.",
    "a slow story about staying.",
    "open to new partners! literate, 3rd person, past tense.",
)
#: Invented words, planted in a few posts, so a benchmark has something rare to look for.
RARE_WORDS = ("glimmerwick", "thornquill", "saltmarrow")
#: A phrase the prose uses often (it is one of the places).
COMMON_PHRASE = "old lighthouse"


def username(rng: random.Random, number: int) -> str:
    return f"{rng.choice(FIRST_NAMES)}{rng.choice(SURNAMES)}{number}"


def muse_name(rng: random.Random) -> str:
    return f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)}"


def title(rng: random.Random) -> str:
    shape = rng.randrange(3)
    adjective, noun = rng.choice(TITLE_ADJECTIVES), rng.choice(TITLE_NOUNS)
    if shape == 0:
        return f"{adjective} & {noun}"
    if shape == 1:
        return f"of {noun} and {rng.choice(TITLE_NOUNS)}"
    return f"the {adjective} {noun}"


def _sentence(rng: random.Random, name: str, pronoun: str, possessive: str) -> str:
    shape = rng.randrange(6)
    if shape == 0:
        return (
            f"{name} {rng.choice(VERBS)} the {rng.choice(NOUNS)} {rng.choice(ADVERBS)} — "
            f"& then {pronoun} looked toward {rng.choice(PLACES)}."
        )
    if shape == 1:
        return f"❛{rng.choice(LINES)},❜ {pronoun} {rng.choice(SAID)}, {rng.choice(GESTURES)}."
    if shape == 2:
        return f"{rng.choice(WEATHER).capitalize()}; {name} didn't move."
    if shape == 3:
        return (
            f"{possessive.capitalize()} {rng.choice(NOUNS)} was still warm from {rng.choice(PLACES)}"
            f" — {rng.choice(ADVERBS)}, {pronoun} {rng.choice(VERBS)} it."
        )
    if shape == 4:
        return f"❛{rng.choice(LINES)}.❜ a pause. ❛{rng.choice(LINES)}?❜"
    return f"{name} & the {rng.choice(NOUNS)}, {rng.choice(ADVERBS)}: that was the whole of it."


def paragraph(rng: random.Random) -> str:
    """One paragraph of two to six sentences about one character."""
    name = rng.choice(FIRST_NAMES)
    pronoun, possessive = rng.choice(PRONOUNS)
    count = rng.randint(2, 6)
    return " ".join(_sentence(rng, name, pronoun, possessive) for _ in range(count))


def planted(rng: random.Random, word: str) -> str:
    """A paragraph carrying one of the rare words."""
    return f"{rng.choice(FIRST_NAMES)} wrote one word in the margin: {word}."
