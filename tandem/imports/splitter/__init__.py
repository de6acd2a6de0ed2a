"""Split a pasted roleplay thread into posts and say which muse wrote each one.

Writers paste whole threads from Tumblr, Google Docs, Discord logs and forums. This package
turns such a paste into a :class:`Proposal`: a list of posts, each with the muse it is
attributed to, a confidence for the attribution and for the split that starts it, and
human-readable warnings for everything the writer should check. It is pure Python: no
Django, no database, no I/O.

Its files follow the stages, each readable on its own:

- ``cast.py``: the thread's muses as the scanner needs them (name forms, pronouns given
  or guessed from the text).
- ``dates.py``: reading the value of a Date line.
- ``structure.py``: stage 1, explicit structure.
- ``words.py``: the word lists and word tests of stage 2's shallow grammar.
- ``evidence.py``: stage 2, point-of-view evidence per unit, and unknown characters.
- ``style.py``: stage 2 too, style evidence: where the writers' habits change.
- ``segmentation.py``: stage 3, the search, the runs, the confidence of splits and
  attributions, and the joint search for the pronouns of muses given without them.
- ``proposal.py``: putting it together (:func:`propose`).

How it works, in order:

1. **Explicit structure** (``structure.py``). Lines are classified one by one. A
   *separator* is a line made of three or more of ``- * ~ _ = — –`` (spaces allowed) or an
   ``<hr>``. A *header* names the writer's character: ``Name:`` alone on a line,
   ``[Name]``, ``**Name**``, or the script form ``Name: what they say``. A *Date line*
   (``Date: 2019-03-04``, read by ``dates.py``) at the top of a post gives its original
   date and is removed from the text. If the paste has any of these between posts, they
   alone decide the posts; consecutive script lines by the same speaker are one post, but
   two posts divided by a separator stay two (double posts happen). Forum exports head
   posts with the writer's *account* ("Post by inkandrain » Tue Mar 12, 2024",
   ``@inkandrain``, ``**inkandrain** · 09:12``): a known writer's account is a header for
   their muse (or, when they play several here, a separator, and the point of view says
   which); the thread's subject line and its "Re:" copies are dropped.

2. **Point of view** (``evidence.py``, with the word lists in ``words.py``). Without
   explicit structure, the paste is cut into units (every non-blank line: a Tumblr
   paragraph is one unit, a Discord message is one) and each unit gets a score per muse for
   how strongly that muse is its *point-of-view character*. RP posts are written one point
   of view per post, and the POV character is the one who acts: the grammatical subject. So
   a name at the start of a sentence or before a verb ("ivy folded the report",
   ``*lark slides onto the stool*``) scores high; a name after a preposition or a verb
   ("looked at bram") scores slightly negative; a name inside dialogue is someone being
   *addressed*, so counts against them; a name inside what someone knows ("she knew odette
   could see it") is only a mention. A subject pronoun counts for the muse whose pronouns
   it is — "they" only once that muse is on stage, since it is so often plural — and when
   two muses share a pronoun it goes to the centre of attention: the first subject of the
   latest sentence, carried across paragraphs (more weakly until the new paragraph has
   named someone), except that a paragraph opening with the pronoun right after speech
   addressed to one of them by name is that one answering. Backstory ("marsh had kept this
   light for six years"), perception and inner life ("he could hear", "her heart") mark the
   POV character strongly; a character merely posed in the scene ("teo was standing between
   the trellises") is usually being *seen*, and scores low. The first character to act in a
   unit, or that it is placed around ("behind him, maren stopped"), gets a bonus. A
   pronoun never means a muse its own sentence names as an object ("she refuses to give
   mags that"), and each further naming of one muse as a subject in a unit counts less
   (the POV character, once named, goes by a pronoun; the partner is named again and
   again). British single quotes are dialogue too.

   **Style** (``style.py``): each unit shows which variant of the writer's habits it uses
   (``&`` or "and", the dialogue marks, curly or straight apostrophes, the dash, the
   ellipsis, lower-case sentences). Where neighbouring units show different variants of a
   habit the paste is divided on, a change of post gets cheaper; where they agree, dearer.

3. **Segmentation** (``segmentation.py``). The best sequence of POV characters over the
   units is found with a Viterbi search that pays a penalty for each change, so one
   paragraph about the other character does not start a post, but a run of them does. The
   penalty is a share of the evidence a typical unit of the paste carries (a Discord line
   carries less than a Tumblr paragraph), a little more at a single newline where
   paragraphs are divided by blank lines, and more again between "…finally looked over
   their shoulder." and a paragraph that only poses someone. Consecutive units with the
   same POV are one post. A unit with no evidence either way at a change goes with the post
   after it, unless the next post's first words of dialogue answer it, or it is a bare line
   of speech in a chat log (which follows its speaker's action line). The confidence of a
   split is how much better the segmentation is with the post than with it folded into the
   one before; the confidence of an attribution is how far the post's evidence for its muse
   leads the runner-up. Both go through a logistic so they stay within 0..1.

Capitalised words that act as subjects but are no muse ("Corwin read it twice", two or
more times, and capitalised mid-sentence at least once, never after "the") take part in
the search as unknown characters; a post they win is attributed to no muse, with a
warning, rather than guessed.

Limits: this is shallow grammar, not understanding. Two muses with the same pronouns are
told apart by names and continuity only, so a post that opens "She crossed the room" can
be put with the one before; a paragraph with no name or pronoun at a change of POV can
land on the wrong side; lower-case prose gives no clue to unknown characters; names that
are everyday words (Will, Rose, Mark) only count when capitalised; "it/its" muses get no
pronoun evidence. With explicit separators, posts are never split further by POV.

Everything is linear in the length of the paste: each unit is scanned once by one regular
expression compiled per call, and the search is O(units × muses). The one exception is the
joint pronoun search for muses given without pronouns (``segmentation.py``), which scans
again for each assignment it tries: at most 4⁴ = 256, over at most the first 12,000
characters. That search scores each assignment by how well its best segmentation explains
the text, less a cost for each pronoun shared, plus the *handovers* it agrees with: a
sentence opening with a muse's name followed by one opening with a pronoun ("odette was
waiting. he held one out") — without them, giving every paragraph to one muse could
explain the text best.
"""

from tandem.imports.splitter.cast import MuseNames
from tandem.imports.splitter.dates import parse_date
from tandem.imports.splitter.proposal import (
    UNSURE_BELOW,
    Proposal,
    ProposedPost,
    muse_for_name,
    propose,
)

__all__ = [
    "UNSURE_BELOW",
    "MuseNames",
    "Proposal",
    "ProposedPost",
    "muse_for_name",
    "parse_date",
    "propose",
]
