"""Fill the database with a realistic generated world, fast: writers, muses, tags, threads
with their participants, posts (with their first revision) and the turn events.

Speed comes from building rows in memory and writing them with ``bulk_create`` in large
batches, with primary keys chosen here (so rows can point at each other before they exist,
inside one transaction, and no insert has to return ids). Consistency comes from the same
pure turn model the services use: every thread's events are folded with
``tandem.threads.turns.apply`` as they are generated, and the fold is what gets cached on
the thread, so a replay of the log always gives the cached state.

The same seed (and ``until``) on an empty database gives the same world, row for row.
"""

from __future__ import annotations

import base64
import itertools
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.contrib.auth.hashers import make_password
from django.core.management.color import no_style
from django.db import connection, transaction

from tandem.accounts.models import User
from tandem.muses.models import Muse
from tandem.search import engines
from tandem.threads import turns
from tandem.threads.models import (
    Participant,
    Post,
    PostRevision,
    Rating,
    Status,
    Tag,
    Thread,
    TurnEvent,
    TurnMode,
    Visibility,
    Warning,
)
from tandem.world import prose
from tandem.world.rows import Ids, Table, given_dates, wide_inserts
from tandem.writing import markup
from tandem.writing.wordcount import count_words

#: Generated writers have addresses here (reserved, never delivered): how the command tells
#: a generated world from real data.
GENERATED_DOMAIN = "world.invalid"
#: Every generated writer's password (one argon2 hash, computed once per run).
PASSWORD = "world-password"
#: Distinct paragraphs rendered once per run; posts are made of one to four of them.
PARAGRAPH_POOL = 2000
#: Posts written to the database per transaction, and rows per INSERT statement (SQLite's
#: Django default is 999 parameters per statement; the library allows far more).
FLUSH_POSTS = {"sqlite": 20_000, "postgresql": 20_000}
ROWS_PER_INSERT = {"sqlite": 2_000, "postgresql": 1_000}

MODELS = (User, Muse, Tag, Thread, Participant, Post, PostRevision, TurnEvent)
#: Written as plain rows (see ``rows.Table``); the others as model objects with bulk_create.
ROW_MODELS = (Participant, Post, PostRevision, TurnEvent)
#: The directory's "most words" sort keeps a total on the thread (words of posts not removed).
THREAD_WORD_COUNT = any(f.name == "word_count" for f in Thread._meta.get_fields())
_VISIBILITIES = ((Visibility.PUBLIC, 80), (Visibility.UNLISTED, 12), (Visibility.PRIVATE, 8))
_STATUSES = ((Status.ACTIVE, 70), (Status.PAUSED, 12), (Status.COMPLETE, 12), (Status.ABANDONED, 6))
_RATINGS = (
    (Rating.GENERAL, 30),
    (Rating.TEEN, 35),
    (Rating.MATURE, 20),
    (Rating.EXPLICIT, 5),
    (Rating.NOT_RATED, 10),
)
_TURN_MODES = ((TurnMode.ORDERED, 75), (TurnMode.FREE, 25))
_PARTICIPANTS = ((1, 8), (2, 64), (3, 18), (4, 10))


@dataclass(frozen=True)
class WorldSpec:
    writers: int
    threads: int
    posts: int
    seed: int = 1
    #: The latest moment anything happens; the default is today's midnight UTC (so a seed
    #: gives the same world all day).
    until: datetime | None = None


@dataclass
class Summary:
    writers: int = 0
    muses: int = 0
    tags: int = 0
    threads: int = 0
    public_threads: int = 0
    posts: int = 0
    planted: dict[str, int] = field(default_factory=dict)
    load_seconds: float = 0.0
    index_seconds: float = 0.0

    @property
    def seconds(self) -> float:
        return self.load_seconds + self.index_seconds

    @property
    def rate(self) -> float:
        """Posts per second, search indexing included."""
        return self.posts / self.seconds if self.seconds else 0.0


def foreign_data_exists() -> bool:
    """Whether the database holds writers this generator did not make."""
    return User.objects.exclude(email__iendswith="@" + GENERATED_DOMAIN).exists()


def _weighted(rng: random.Random, table) -> str:
    values, weights = zip(*table, strict=True)
    return rng.choices(values, weights)[0]


def _split(rng: random.Random, total: int, parts: int) -> list[int]:
    """``total`` posts over ``parts`` threads, skewed like real sites: most threads short,
    a few very long."""
    if parts == 0:
        return []
    weights = [min(rng.paretovariate(1.3), 60.0) for _ in range(parts)]
    scale = total / sum(weights)
    counts = [int(w * scale) for w in weights]
    for i in rng.sample(range(parts), k=min(parts, total - sum(counts))):
        counts[i] += 1
    while sum(counts) < total:  # a remainder larger than the thread count
        counts[rng.randrange(parts)] += 1
    return counts


def _public_id(rng: random.Random) -> str:
    return base64.urlsafe_b64encode(rng.getrandbits(72).to_bytes(9, "big")).decode()


class _Paragraphs:
    """The paragraph pool: each rendered once. A post's HTML is its paragraphs' HTML joined
    (the renderer renders blank-line-separated paragraphs independently; the tests check it
    against a full render)."""

    def __init__(self, rng: random.Random) -> None:
        self.items = []
        for _ in range(PARAGRAPH_POOL):
            text = prose.paragraph(rng)
            html = markup.render_post(text)
            self.items.append((text, html, count_words(html)))

    @staticmethod
    def render(text: str) -> tuple[str, str, int]:
        html = markup.render_post(text)
        return text, html, count_words(html)


class _Generator:
    def __init__(self, spec: WorldSpec, progress: Callable[[int, int, float], None] | None):
        self.spec = spec
        self.progress = progress
        self.vendor = engines.vendor(connection)
        self.ids = Ids([*MODELS, Thread.tags.through])
        self.tables = {m: Table(m) for m in (*ROW_MODELS, Thread.tags.through)}
        # The seed and where the keys start: the same seed on an empty database gives the
        # same world; run again on top of it, it gives new writers, titles and public ids.
        first_user = self.ids._next[User]
        self.rng = random.Random(f"{spec.seed}:{first_user}")
        until = spec.until or datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        self.until = until.astimezone(UTC)  # the SQLite rows rely on it (rows._naive_text)
        self.summary = Summary(planted={word: 0 for word in prose.RARE_WORDS})
        self.pending: dict[type, list] = {}
        self.pending_posts = 0
        self.posts_done = 0
        self.started = time.monotonic()
        self.post_number = 0
        self.plant_every = max(1, min(20_000, spec.posts // (3 * len(prose.RARE_WORDS)) or 1))

    # ------------------------------------------------------------------ writing rows

    def _add(self, obj) -> None:
        self.pending.setdefault(type(obj), []).append(obj)

    def _row(self, model, **values) -> None:
        self.pending.setdefault(model, []).append(self.tables[model].row(values))

    def _flush(self) -> None:
        size = ROWS_PER_INSERT[self.vendor]
        order = [*MODELS, Thread.tags.through]  # the order foreign keys need
        with transaction.atomic():
            for model in order:
                rows = self.pending.pop(model, [])
                if not rows:
                    continue
                if model in self.tables:
                    self.tables[model].write(rows)
                else:
                    model.objects.bulk_create(rows, batch_size=size)
        flushed, self.pending_posts = self.pending_posts, 0
        self.posts_done += flushed
        if self.progress and flushed:
            self.progress(self.posts_done, self.spec.posts, time.monotonic() - self.started)

    # ------------------------------------------------------------------ people and tags

    def _people(self) -> None:
        rng, password = self.rng, make_password(PASSWORD)
        self.muses_of: list[list[int]] = []
        self.writer_ids: list[int] = []
        self.muse_names: dict[int, str] = {}
        earliest = self.until - timedelta(days=4 * 365)
        for _ in range(self.spec.writers):
            pk = self.ids.take(User)
            joined = earliest + timedelta(seconds=rng.randrange(365 * 86400))
            name = prose.username(rng, pk)
            self._add(
                User(
                    pk=pk,
                    username=name,
                    email=f"{name}@{GENERATED_DOMAIN}",
                    password=password,
                    display_name=name.title() if rng.random() < 0.3 else "",
                    date_joined=joined,
                )
            )
            muses = []
            for _ in range(rng.choice((1, 1, 2, 2, 3, 4))):
                muse_pk = self.ids.take(Muse)
                muse_name = prose.muse_name(rng)
                pronoun = rng.choice(prose.PRONOUNS)[0]
                self._add(
                    Muse(
                        pk=muse_pk,
                        owner_id=pk,
                        name=muse_name,
                        pronouns=f"{pronoun}/{ {'she': 'her', 'he': 'him'}.get(pronoun, 'them') }",
                        fandom=rng.choice(prose.FANDOMS),
                        accent_colour=f"#{rng.randrange(0x1000000):06x}",
                        created_at=joined + timedelta(hours=rng.randrange(1, 500)),
                    )
                )
                self.muse_names[muse_pk] = muse_name
                muses.append(muse_pk)
            self.writer_ids.append(pk)
            self.muses_of.append(muses)
        self.summary.writers = self.spec.writers
        self.summary.muses = len(self.muse_names)
        self._flush()

    def _tags(self) -> None:
        rng = self.rng
        has_category = any(f.name == "category" for f in Tag._meta.get_fields())
        characters = sorted({prose.muse_name(rng) for _ in range(150)})
        pairs = sorted(
            {f"{a.split()[0]} & {b.split()[0]}" for a, b in itertools.pairwise(characters)}
        )
        wanted = {
            "fandom": list(prose.FANDOMS),
            "freeform": list(prose.FREEFORM),
            "character": characters,
            "relationship": pairs,
        }

        def key(category: str, name: str) -> tuple[str, str]:
            return (category if has_category else "", name.lower())

        fields = ["pk", "name", "category"] if has_category else ["pk", "name"]
        existing = {
            key(row[2] if has_category else "", row[1]): row[0]
            for row in Tag.objects.values_list(*fields)
        }
        self.tag_ids: dict[str, list[int]] = {}
        for category, names in wanted.items():
            ids = []
            for name in names:
                k = key(category, name)
                if k not in existing:
                    existing[k] = self.ids.take(Tag)
                    extra = {"category": category} if has_category else {}
                    self._add(Tag(pk=existing[k], name=name, **extra))
                    self.summary.tags += 1
                ids.append(existing[k])
            self.tag_ids[category] = ids
        self._flush()

    def _thread_tags(self) -> list[int]:
        rng, ids = self.rng, self.tag_ids

        def popular(pool: list[int], k: int) -> list[int]:
            # Zipf-like: the first tags of each list are the popular ones ("slow burn").
            return rng.choices(pool, [1 / (i + 1) for i in range(len(pool))], k=k)

        chosen = popular(ids["fandom"], 1) + popular(ids["freeform"], rng.randint(1, 3))
        chosen += rng.sample(ids["character"], rng.randint(0, 2))
        if rng.random() < 0.4:
            chosen.append(rng.choice(ids["relationship"]))
        return list(dict.fromkeys(chosen))

    # ------------------------------------------------------------------ threads

    def _body(self) -> tuple[str, str, int, str | None]:
        rng, pool = self.rng, self.paragraphs.items
        parts = [
            pool[rng.randrange(len(pool))]
            for _ in range(rng.choices((1, 2, 3, 4), (3, 4, 2, 1))[0])
        ]
        word = None
        self.post_number += 1
        if self.post_number % self.plant_every == self.plant_every // 2:
            # Round-robin, so every rare word is planted even in a small world.
            word = prose.RARE_WORDS[(self.post_number // self.plant_every) % len(prose.RARE_WORDS)]
            text = prose.planted(rng, word)
            parts.insert(rng.randrange(len(parts) + 1), _Paragraphs.render(text))
        body = "\n\n".join(p[0] for p in parts)
        html = "".join(p[1] for p in parts)
        return body, html, sum(p[2] for p in parts), word

    def _thread(self, post_total: int) -> None:
        rng = self.rng
        thread_pk = self.ids.take(Thread)
        owner_index = rng.randrange(len(self.writer_ids))
        # The owner first, then partners from other writers (one muse each).
        size = _weighted(rng, _PARTICIPANTS) if post_total else 1
        others = [
            i
            for i in rng.sample(range(len(self.writer_ids)), k=min(size + 1, len(self.writer_ids)))
            if i != owner_index
        ]
        people = [owner_index, *others[: size - 1]]
        cast = []  # (participant pk, writer pk, muse pk)
        for index in people:
            cast.append(
                (
                    self.ids.take(Participant),
                    self.writer_ids[index],
                    rng.choice(self.muses_of[index]),
                )
            )
        writer_of = {pk: writer for pk, writer, _ in cast}
        mode = _weighted(rng, _TURN_MODES)

        # The story's shape: which kinds of event, in order. Who posts (or is skipped, or
        # leaves) is decided while folding, from the turn state at that moment.
        owner_part = cast[0][0]
        plan: list[tuple[str, int | None]] = [("join", owner_part)]
        posts_left = post_total
        if posts_left and (len(cast) == 1 or rng.random() < 0.5):
            plan.append(("post", None))  # the opener, before anybody answered
            posts_left -= 1
        plan += [("join", pk) for pk, _, _ in cast[1:]]
        leave_at = (
            rng.randrange(posts_left)
            if len(cast) > 2 and posts_left and rng.random() < 0.1
            else None
        )
        for n in range(posts_left):
            if n == leave_at:
                plan.append(("leave" if rng.random() < 0.7 else "remove", None))
            if mode == TurnMode.ORDERED and len(cast) > 1 and rng.random() < 0.02:
                plan.append(("skip", None))
            plan.append(("post", None))

        # When: the thread starts in the last three years and runs for a while.
        created = self.until - timedelta(seconds=rng.randrange(30 * 86400, 3 * 365 * 86400))
        span = (self.until - created).total_seconds() * rng.uniform(0.02, 1.0)
        offsets = sorted(rng.uniform(0, span) for _ in range(len(plan) - 1))
        moments = [created] + [created + timedelta(seconds=o) for o in offsets]

        # The fold, with the same pure turn model the services use: its result is the state
        # cached on the thread, so a replay of the log gives it back.
        state = turns.TurnState(since=created)
        joined, left = {}, {}
        number = words = 0
        last_post_at = None
        owner = self.writer_ids[owner_index]
        for (kind, pk), at in zip(plan, moments, strict=True):
            if kind == "skip" or (kind == "post" and mode == TurnMode.ORDERED):
                pk = state.next_id
            elif kind == "post":
                pk = rng.choice(
                    [p for p in state.order if p != state.last_poster_id] or state.order
                )
            elif kind in ("leave", "remove"):
                pk = rng.choice([p for p in state.order if p != owner_part])
            state = turns.apply(state, turns.Event(kind, pk, at))
            writer = writer_of[pk]
            actor = owner if kind in ("remove", "skip") else writer
            self._row(
                TurnEvent,
                id=self.ids.take(TurnEvent),
                thread_id=thread_pk,
                kind=kind,
                participant_id=pk,
                actor_id=actor,
                created_at=at,
            )
            if kind == "join":
                joined[pk] = at
            elif kind in ("leave", "remove"):
                left[pk] = at
            elif kind == "post":
                number += 1
                last_post_at = at
                words += self._post(thread_pk, number, pk, writer, cast, at)
        assert state.post_count == post_total

        visibility = _weighted(rng, _VISIBILITIES)
        self.summary.public_threads += visibility == Visibility.PUBLIC
        warnings = [] if rng.random() < 0.6 else rng.sample([w for w in Warning.values], k=1)
        self._add(
            Thread(
                pk=thread_pk,
                public_id=_public_id(rng),
                owner_id=self.writer_ids[owner_index],
                title=prose.title(rng),
                summary=rng.choice(prose.SUMMARIES) if rng.random() < 0.7 else "",
                rating=_weighted(rng, _RATINGS),
                warnings=warnings,
                visibility=visibility,
                status=_weighted(rng, _STATUSES),
                turn_mode=mode,
                created_at=created,
                next_participant_id=state.next_id,
                last_poster_id=state.last_poster_id,
                turn_since=state.since,
                last_post_at=last_post_at,
                post_count=state.post_count,
                **({"word_count": words} if THREAD_WORD_COUNT else {}),
            )
        )
        positions = {pk: i for i, pk in enumerate(state.order)}
        for pk, writer, muse in cast:
            self._row(
                Participant,
                id=pk,
                thread_id=thread_pk,
                muse_id=muse,
                writer_id=writer,
                position=positions.get(pk),
                joined_at=joined[pk],
                left_at=left.get(pk),
            )
        through = Thread.tags.through
        for tag in self._thread_tags():
            self._row(through, id=self.ids.take(through), thread_id=thread_pk, tag_id=tag)
        self.summary.threads += 1
        self.pending_posts += post_total

    def _post(self, thread_pk, number, participant, writer, cast, at) -> int:
        """Write one post and its first revision; returns the words it adds to the thread."""
        body, html, words, planted = self._body()
        muse = next(m for pk, _, m in cast if pk == participant)
        post_pk = self.ids.take(Post)
        deleted = None
        if planted:
            self.summary.planted[planted] += 1
        elif self.rng.random() < 0.003:
            deleted = at + timedelta(hours=1)
        self._row(
            Post,
            id=post_pk,
            thread_id=thread_pk,
            number=number,
            participant_id=participant,
            muse_id=muse,
            author_id=writer,
            body=body,
            body_html=html,
            renderer_version=markup.RENDERER_VERSION,
            word_count=words,
            created_at=at,
            deleted_at=deleted,
        )
        self._row(
            PostRevision,
            id=self.ids.take(PostRevision),
            post_id=post_pk,
            number=1,
            body=body,
            word_count=words,
            created_at=at,
        )
        return 0 if deleted else words

    # ------------------------------------------------------------------ the whole run

    def run(self) -> Summary:
        existing_posts = engines.count_posts()
        # Indexing afterwards in one pass is much faster than row by row, but re-indexes
        # every post: worth it when this load at least doubles the posts.
        reindex = engines.installed() and self.spec.posts >= existing_posts
        if self.vendor == "postgresql":
            with connection.cursor() as cursor:
                # Generated data can be generated again: no need to wait for each commit's
                # WAL flush (this session only).
                cursor.execute("SET synchronous_commit = off")
        with given_dates(), wide_inserts(self.vendor):
            if reindex:
                self._drop_index()
            try:
                self._people()
                self._tags()
                self.paragraphs = _Paragraphs(self.rng)
                flush_at = FLUSH_POSTS[self.vendor]
                for count in _split(self.rng, self.spec.posts, self.spec.threads):
                    self._thread(count)
                    if self.pending_posts >= flush_at:
                        self._flush()
                self._flush()
                self._reset_sequences()
            finally:
                self.summary.load_seconds = time.monotonic() - self.started
                if reindex:
                    started = time.monotonic()
                    self._restore_index()
                    self.summary.index_seconds = time.monotonic() - started
        self.summary.posts = self.posts_done
        return self.summary

    def _drop_index(self) -> None:
        if self.vendor == "sqlite":
            engines.uninstall()  # the FTS table and its triggers; rebuilt at the end
        else:
            # Keep the trigger (it computes each post's tsvector once, as it is inserted);
            # building the GIN index at the end is far faster than growing it row by row.
            with connection.cursor() as cursor:
                cursor.execute("DROP INDEX IF EXISTS search_post_vector_gin")

    def _restore_index(self) -> None:
        if self.vendor == "sqlite":
            engines.rebuild(batch_size=20_000)
        else:
            with connection.cursor() as cursor:
                # Inside an outer transaction (the tests) the deferred foreign-key checks
                # must run before install() may alter the posts table.
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                cursor.execute("SET maintenance_work_mem = '256MB'")  # this session only
            engines.install()  # recreates the GIN index (IF NOT EXISTS)
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")  # Django's foreign keys' default
        with connection.cursor() as cursor:
            # Fresh planner statistics: the tables just grew by orders of magnitude.
            cursor.execute("ANALYZE")

    def _reset_sequences(self) -> None:
        statements = connection.ops.sequence_reset_sql(no_style(), [*MODELS, Thread.tags.through])
        if statements:
            with connection.cursor() as cursor:
                for statement in statements:
                    cursor.execute(statement)


def generate(spec: WorldSpec, progress: Callable[[int, int, float], None] | None = None) -> Summary:
    """Write a generated world; ``progress(done, total, seconds)`` after each batch of posts."""
    if min(spec.writers, spec.threads) < 1 or spec.posts < 0:
        raise ValueError("A world needs at least one writer and one thread.")
    return _Generator(spec, progress).run()
