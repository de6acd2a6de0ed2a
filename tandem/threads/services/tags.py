"""Tags: tidying typed names, finding or creating the rows per category, staff merges, and
the thread's stored word total the directory sorts on."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping, Sequence

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from tandem.threads.models import Post, Tag, TagCategory, Thread

# A thread's tags, all categories together: enough for any archive's tagging habits, few
# enough that saving them is a handful of queries. Refused past these, never silently cut.
MAX_TAGS = 75
MAX_TAG_LENGTH = 100

# The form field (and keyword argument of thread_create/thread_update) for each category;
# freeform keeps the ``tags`` name it had before categories existed.
TAG_FIELDS: dict[str, str] = {
    TagCategory.FANDOM: "fandoms",
    TagCategory.RELATIONSHIP: "relationships",
    TagCategory.CHARACTER: "characters",
    TagCategory.FREEFORM: "tags",
}


def normalise_tag(name: str) -> str:
    """One spelling per tag: Unicode composed (NFC), whitespace runs as one space, trimmed.
    Case is kept as typed (the first spelling wins) and matched ignoring case."""
    name = unicodedata.normalize("NFC", str(name))
    name = " ".join(name.split())
    # "." and ".." cannot be a path segment of the tag's page; nobody means them as tags.
    return "" if set(name) <= {"."} else name


def tag_names(raw: Iterable[str], *, field: str = "tags") -> list[str]:
    """The distinct tags (case-insensitively, spaces tidied) in ``raw``, or a ValidationError
    on ``field`` saying which limit was passed."""
    names: dict[str, str] = {}
    for name in raw:
        if "\x00" in str(name):
            # PostgreSQL refuses NUL in text; a form's own NUL check looks at the list the
            # tags field makes, not inside each tag, so every caller is answered here.
            raise ValidationError({field: "Tags may not contain null characters."})
        name = normalise_tag(name)
        if not name:
            continue
        if len(name) > MAX_TAG_LENGTH:
            raise ValidationError(
                {
                    field: f"Tags may be at most {MAX_TAG_LENGTH} characters; "
                    f"“{name[:40]}…” has {len(name):,}."
                }
            )
        names.setdefault(name.lower(), name)
        if len(names) > MAX_TAGS:
            raise ValidationError({field: _too_many()})
    return list(names.values())


def _too_many() -> str:
    return (
        f"That is more than {MAX_TAGS} tags; a thread may have at most {MAX_TAGS} "
        "(all kinds together). Keep the ones readers would search for."
    )


def tagged_names(by_category: Mapping[str, Sequence[str]]) -> dict[str, list[str]]:
    """Each category's tidy names, checked against the limits (the total across categories
    included), before anything is written."""
    cleaned: dict[str, list[str]] = {}
    for category, raw in by_category.items():
        if category not in TagCategory.values:
            raise ValidationError({"tags": f"Unknown kind of tag: {category}."})
        cleaned[category] = tag_names(raw, field=TAG_FIELDS[category])
    if sum(len(names) for names in cleaned.values()) > MAX_TAGS:
        raise ValidationError({"tags": _too_many()})
    return cleaned


def _match(pairs: Iterable[tuple[str, str]]) -> Q:
    match = Q(pk__in=[])
    for category, name in pairs:
        match |= Q(category=category, name__iexact=name)
    return match


def tags_for(by_category: Mapping[str, Sequence[str]]) -> list[Tag]:
    """The Tag rows for these names, creating the missing ones, each synonym replaced by its
    canonical tag: one query for those that exist, one bulk insert, one query again
    (whatever the number of tags)."""
    cleaned = tagged_names(by_category)
    wanted = [(category, name) for category, names in cleaned.items() for name in names]
    if not wanted:
        return []

    def existing() -> dict[tuple[str, str], Tag]:
        found: dict[tuple[str, str], Tag] = {}
        exact = set(wanted)
        for tag in Tag.objects.filter(_match(wanted)).select_related("canonical"):
            # Prefer the row spelled exactly as asked when case-folding differs by database.
            key = (tag.category, tag.name.lower())
            if key not in found or (tag.category, tag.name) in exact:
                found[key] = tag
        return found

    found = existing()
    missing = [(c, n) for c, n in wanted if (c, n.lower()) not in found]
    if missing:
        # A tag created by someone else meanwhile is skipped here and found by the re-query.
        Tag.objects.bulk_create(
            [Tag(category=c, name=n) for c, n in missing], ignore_conflicts=True
        )
        found = existing()
    tags: dict[int, Tag] = {}
    for category, name in wanted:
        tag = found.get((category, name.lower()))
        if tag is not None:
            # A merged tag stands for its canonical one (merges keep synonyms one level deep).
            tag = tag.canonical or tag
            tags.setdefault(tag.pk, tag)
    return list(tags.values())


def thread_tags_by_category(thread: Thread) -> dict[str, list[Tag]]:
    by_category: dict[str, list[Tag]] = {category: [] for category in TagCategory.values}
    for tag in thread.tags.all():
        by_category[tag.category].append(tag)
    return by_category


@transaction.atomic
def tag_merge(*, source: Tag, target: Tag) -> Tag:
    """Make ``source`` a synonym of ``target`` (staff only, from the admin): its threads get
    the target instead, its own synonyms follow, and typing it later gives the target.
    Returns the canonical tag the source now points at."""
    # Both rows locked, in id order, so two merges cannot cross.
    locked = {
        t.pk: t
        for t in Tag.objects.select_for_update()
        .filter(pk__in=[source.pk, target.pk])
        .order_by("pk")
    }
    source, target = locked[source.pk], locked[target.pk]
    if target.canonical_id is not None:
        # Always point at a canonical tag, never at another synonym.
        target = Tag.objects.select_for_update().get(pk=target.canonical_id)
    if target.pk == source.pk:
        raise ValidationError("A tag cannot be merged into itself (or into one of its synonyms).")
    through = Thread.tags.through
    thread_ids = list(through.objects.filter(tag=source).values_list("thread_id", flat=True))
    through.objects.bulk_create(
        [through(thread_id=pk, tag_id=target.pk) for pk in thread_ids], ignore_conflicts=True
    )
    through.objects.filter(tag=source).delete()
    Tag.objects.filter(canonical=source).update(canonical=target)
    source.canonical = target
    source.save(update_fields=["canonical"])
    return target


# ------------------------------------------------------------------- the thread's words


def thread_add_words(thread_id: int, delta: int) -> None:
    """Keep ``Thread.word_count`` in step with one post's change (an increment commutes with
    any other writer's, so concurrent posts cannot lose one another's words)."""
    if delta:
        Thread.objects.filter(pk=thread_id).update(word_count=F("word_count") + delta)


def thread_recount_words(thread_id: int) -> None:
    """Recompute ``Thread.word_count`` from the posts (after imports and restores, which
    write many posts at once): the words of posts that are not removed."""
    words = (
        Post.objects.filter(thread=OuterRef("pk"), deleted_at__isnull=True)
        .order_by()
        .values("thread")
        .annotate(total=Sum("word_count"))
        .values("total")
    )
    Thread.objects.filter(pk=thread_id).update(word_count=Coalesce(Subquery(words), Value(0)))
