"""Samples the paragraph rule was decided on (``tandem.writing.blocks.mark_paragraphs``),
written for this project: posts whose paragraphs are one line each, separated by a single
line break (as pasted from Tumblr, Discord or a word processor), and texts whose short lines
are meant as lines (verse, lyrics, messages, an address block).

``PROSE``: every line is a paragraph. ``LINES``: one paragraph, every break a ``<br>``.
``MIXED``: the paragraphs expected, each as its lines.
"""

from __future__ import annotations

PROSE: dict[str, str] = {
    "lowercase tumblr": (
        "the market was already half packed away by the time ivy got there, awnings rolled & "
        "crates stacked & the fishmonger hosing down his stall with the kind of violence "
        "reserved for men who have been awake since four.\n"
        "she found hale where she always found him — leaning on the railing by the river, "
        "coat collar up, pretending he wasn't waiting for anyone.\n"
        "❛ you're late, ❜ he said, without turning around.\n"
        "ivy held up the paper bag like an offering. two pastries, slightly crushed. "
        "❛ i brought bribes. ❜"
    ),
    "discord one-liners": (
        "Theo didn't look up from the map when the door opened. He'd heard her on the stairs "
        "— everyone in the building had heard her on the stairs.\n"
        '"If you\'re here about the rent," he said, "I already told Mrs. Okafor it\'s coming '
        'Friday, and I meant it this time."\n'
        "Sana dropped into the chair across from him and propped her boots on the table, "
        "right on top of the Northern provinces.\n"
        '"I\'m not here about the rent."'
    ),
    "google docs past tense": (
        "Commander Ilya Reyes had never liked the silence that came after a jump. The ship "
        "hummed, the crew breathed, and somewhere under all of it the hull ticked as it cooled, "
        "like a clock counting down to something nobody had named yet.\n"
        "She keyed the intercom. “Engineering, report.”\n"
        "Static, then Cole's voice, thin and tired. “We're in one piece, Commander. Mostly. "
        "I'd not ask the port thrusters for anything ambitious for the next few hours.”\n"
        "Reyes let out a breath she hadn't realised she was holding and leaned back into the "
        "chair until it creaked in protest."
    ),
    "first person present": (
        "I watch her cross the square the way you watch weather coming in off the sea, "
        "knowing there's nothing to be done about it and watching anyway.\n"
        "She stops at the fountain. Dips her fingers in, flicks the water at a pigeon that "
        "hadn't done anything to deserve it. I laugh before I can help it.\n"
        "That's when she sees me.\n"
        "There's a version of this where I wave, where I walk over, where I say something "
        "normal. Instead I look at my shoes like they owe me money."
    ),
    "spaced emphasis and small text": (
        "<small>the lanterns had been lit early, because the festival committee did not trust "
        "the weather and said so loudly to anyone who would listen.</small>\n"
        "<small>marlow trusted the weather even less. he had watched the clouds all afternoon "
        "from the bell tower, & they had watched him right back.</small>\n"
        "<small>❛ n o t  a  s i n g l e  d r o p , ❜ the committee chair promised. ❛ not "
        "one. ❜</small>"
    ),
    "caps emphasis, em-dashes": (
        "The thing about Hana Cole was that she was NEVER wrong about the small things — the "
        "train times, the weather, which of the students had copied their essay from which.\n"
        "It was the big things she got wrong. Spectacularly, repeatedly, and always with total "
        "conviction, which was somehow the worst part of it.\n"
        "“You're doing it again,” said Professor Lin from the doorway, without looking up from "
        "the stack of marking in his arms.\n"
        "“Doing WHAT,” Hana said, very calmly, while doing it."
    ),
    "short sentence between long paragraphs": (
        "The storm took the power out a little after midnight, and the lighthouse keeper's "
        "cottage went from warm and yellow to blue and cold in the space of a breath.\n"
        "Juno didn't move.\n"
        "She sat where she was, hands around a mug that was already going lukewarm, and "
        "listened to the wind try every window in turn like a burglar who wasn't in a hurry."
    ),
    "indented paragraphs": (
        "    Elias counted the coins twice and came up short both times, which meant either "
        "the baker had cheated him or he had cheated himself, and he knew which was likelier.\n"
        "    He pocketed them anyway. Tomorrow was another market day, and markets were "
        "forgiving to people who smiled, which he could still just about manage.\n"
        "    “Bread,” he told the dog. “Tomorrow. I promise.”"
    ),
}

LINES: dict[str, str] = {
    "verse": (
        "the tide comes in and takes the sand,\n"
        "the tide goes out and leaves the shell;\n"
        "i held the lantern in my hand\n"
        "and it was not enough to tell."
    ),
    "lyrics": (
        "oh the bells of st. agnes ring out for the drowned\n"
        "ring out for the sailors who never came home\n"
        "ring out for the lanterns gone dark in the town\n"
        "and ring for the girl on the pier all alone"
    ),
    "text messages": (
        "[09:14] sana: you up?\n"
        "[09:14] sana: theo.\n"
        "[09:15] sana: THEO.\n"
        "[09:21] theo: i am now. what.\n"
        "[09:21] sana: come to the roof. bring the good binoculars."
    ),
    "address block": ("Miss Juno Hartley\nThe Keeper's Cottage\nGull Point Light\nPort Avery"),
    "a list without markers": (
        "two lanterns (one cracked)\n"
        "a coil of rope, wet\n"
        "the logbook, pages 40 to 52 missing\n"
        "a single blue glove, left hand"
    ),
    "a note with short sentences": (
        "Gone to the harbour.\nBack by six.\nDon't let the cat in, whatever she tells you.\n— J."
    ),
}

MIXED: dict[str, tuple[str, list[list[str]]]] = {
    "prose around a poem": (
        "Hale found the card tucked under the sugar bowl, written in Ivy's small, slanting "
        "hand, and read it twice before he understood it was meant for him.\n"
        "roses are overrated,\n"
        "violets are worse,\n"
        "meet me at the bridge\n"
        "& bring your own umbrella.\n"
        "He laughed out loud in the empty kitchen, and then looked around to make sure nobody "
        "had heard him do it.",
        [
            [
                "Hale found the card tucked under the sugar bowl, written in Ivy's small, "
                "slanting hand, and read it twice before he understood it was meant for him."
            ],
            [
                "roses are overrated,",
                "violets are worse,",
                "meet me at the bridge",
                "& bring your own umbrella.",
            ],
            [
                "He laughed out loud in the empty kitchen, and then looked around to make sure "
                "nobody had heard him do it."
            ],
        ],
    ),
    "messages inside a scene": (
        "Sana's phone buzzed three times on the table before she gave up pretending she "
        "wasn't going to look at it, and flipped it over with one finger.\n"
        "theo: are you coming\n"
        "theo: sana\n"
        "theo: i can see you through the window\n"
        "She looked up. He waved. She put the phone face down again, very deliberately, and "
        "went back to her soup.",
        [
            [
                "Sana's phone buzzed three times on the table before she gave up pretending "
                "she wasn't going to look at it, and flipped it over with one finger."
            ],
            ["theo: are you coming", "theo: sana", "theo: i can see you through the window"],
            [
                "She looked up. He waved. She put the phone face down again, very "
                "deliberately, and went back to her soup."
            ],
        ],
    ),
}
