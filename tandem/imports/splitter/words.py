"""The words the point-of-view scan knows: lists of them, and tests of single words.

This is the vocabulary of a shallow grammar: enough to tell a subject from an object, a
verb from a noun, perception from action, and dialogue worth comparing from filler.
"""

from __future__ import annotations

from tandem.imports.splitter.cast import SUBJECT_PRONOUNS, WORDS_RE

# ---------------------------------------------------------------------------------------
# Word lists. Lower case.

# A first-person narrator's own words outside dialogue: every one points at the narrator.
FIRST_PERSON_OTHER = frozenset({"me", "my", "myself", "mine"})
DETERMINERS = frozenset(
    "the a an this these those his her their its my your our some any every each no another".split()
)
SPATIAL_PREPOSITIONS = frozenset(
    "behind beside besides around near past above below beneath across opposite alongside".split()
)
GAZE_VERBS = frozenset(
    "look looked looks turned turns glanced glances peered peers saw sees spotted spots "
    "found finds watched watches".split()
)
ECHO_STOPWORDS = frozenset(
    "the and but you your yours you're i'm i've i'll i'd that this there then than them "
    "they them what when where who why how with for from not have has had was were are "
    "is it's its just like about into out off did does don't didn't can can't could "
    "would should will won't okay yeah well so all any some one".split()
)
PREPOSITIONS = frozenset(
    "at to toward towards with for from of on onto into in beside behind near over under "
    "about like than past around against between after before by without through across "
    "upon beneath above below alongside among amongst despite except inside outside "
    "unlike until via within".split()
)
# Words that may open a clause without making the next name any less of a subject.
LEAD_WORDS = frozenset(
    "and but so then yet or nor because while when as until now still even only just "
    "finally once after before though although if meanwhile instead besides also too "
    "slowly quietly suddenly soon later here there well oh".split()
)
ADVERBS = frozenset(
    "also still just only never always already almost simply finally even then barely "
    "hardly nearly suddenly slowly quietly not really very again once first".split()
)
SPEECH_VERBS = frozenset(
    "said says asked asks replied replies murmured murmurs whispered whispers called calls "
    "added adds answered answers muttered mutters snapped snaps shouted shouts".split()
)
STATIVE_VERBS = frozenset("stood sat lay stands sits lies perched knelt kneels".split())
STATIVE_AFTER_BE = frozenset(
    "standing sitting lying leaning perched waiting already still there here kneeling "
    "crouching crouched slumped sprawled curled hunched asleep sleeping propped".split()
)
BE_FORMS = frozenset({"was", "were", "is", "are"})
PARTICLES = frozenset("up down back forward forwards bolt straight".split())
PERFECT_AUX = frozenset({"had", "has", "hadn't", "hasn't"})
# Perception and inner life: only the POV character's are narrated.
COGNITION_VERBS = frozenset(
    "heard saw watched noticed sensed smelled smelt tasted pictured hear see watch notice "
    "sense smell picture thought knew known felt wondered realised realized remembered "
    "decided wanted hoped wished supposed figured understood hated missed needed considered "
    "imagined recognised recognized suspected doubted believed forgot regretted worried "
    "dreaded thinks knows feels wonders realises realizes remembers decides wants hopes "
    "wishes notices supposes figures understands hates misses needs considers imagines "
    "suspects doubts believes forgets regrets worries dreads".split()
)
INNER_NOUNS = frozenset(
    "heart chest stomach gut breath pulse throat mind thoughts lungs nerves ribs insides "
    "blood".split()
)
IRREGULAR_VERBS = frozenset(
    "was were is are am had has did does do could would should might must will can shall "
    "may said took made went came saw knew thought felt found gave got held kept left let "
    "lost meant met paid put ran sat set shook slid spoke stood stuck swore threw told "
    "understood woke wore won wrote bit broke brought built caught chose drew drank drove "
    "ate fell fought flew forgot froze grew hid hit hung laid led lay lit rode rang rose "
    "sank sang shot shut slept spun spent split stole struck swam swung taught tore bent "
    "blew bought crept dug dealt fed fled flung heard knelt leant leapt lent sought sold "
    "sent shone shrank slung sprang strode stung wept wound wrung began became become "
    "cannot ought used".split()
)
NOT_VERBS = frozenset(
    "his this its as us yes towards was's always perhaps sometimes whereas upstairs "
    "downstairs afterwards besides unless less across alas thus".split()
)
# Capitalised words that are not characters, for the unknown-character search.
NOT_CHARACTERS = frozenset(
    "i i'm i've i'd i'll mr mrs ms miss sir lady lord dr god oh ok okay monday tuesday "
    "wednesday thursday friday saturday sunday january february march april may june july "
    "august september october november december the a an he she they it we you his her "
    "their its our your my there here then this that these those what when where why how "
    "who which no yes not nobody everyone someone somebody nothing something everything "
    "anyone everybody".split()
)
# Names that are also everyday English words; their lower-case spelling is not a name.
COMMON_WORD_NAMES = frozenset(
    "will may can mark hope grace faith rose bill art sky dawn june april august summer "
    "winter autumn joy ray rich sue pat jack frank".split()
)


def _is_verbish(word: str | None) -> bool:
    if not word:
        return False
    word = word.replace("’", "'")
    if word in IRREGULAR_VERBS:
        return True
    if word in NOT_VERBS or word in SUBJECT_PRONOUNS or word in DETERMINERS:
        return False
    if word.endswith("n't"):
        return True
    if len(word) > 3 and word.endswith("ed"):
        return True
    return (
        len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is", "'s", "ous"))
    )


def _base(word: str) -> str:
    """A word without its contraction: "she'd" -> "she"."""
    return word.replace("’", "'").split("'")[0]


def _content_words(text: str) -> frozenset[str]:
    return frozenset(
        word
        for word in (
            match.group().casefold().replace("’", "'") for match in WORDS_RE.finditer(text)
        )
        if len(word) > 2 and word not in ECHO_STOPWORDS
    )
