"""The two full-text engines behind search, chosen by the database in use.

* **PostgreSQL**: ``threads_post.search_vector`` (``tsvector``, English stemming without
  stop words) kept by a ``BEFORE INSERT OR UPDATE OF body`` trigger, with a GIN index. A
  trigger rather than a generated column so that ``rebuild`` can recompute it in batches
  (with a progress bar) after the configuration changes.
* **SQLite**: ``search_post_fts``, an external-content FTS5 table over ``threads_post``
  (``porter unicode61``: stemmed, accents folded) kept in step by three triggers; the text
  lives once, in the posts table.

The column and the virtual table are not Django fields: the ORM never writes them and the
selectors reach them through ``RawSQL`` (PostgreSQL) or one ``extra`` join (SQLite).
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import nullcontext

from django.db import connection as default_connection
from django.db import transaction

POSTS = "threads_post"
FTS = "search_post_fts"
# English stemming without the stop-word list, as SQLite's porter tokenizer: "the harbour
# bell" is a phrase of three words on both engines, and a query of common words still finds.
PG_CONFIG = "tandem_search"

_PG_SETUP = [
    f"""DO $$ BEGIN
        IF NOT EXISTS (SELECT 1 FROM pg_ts_dict WHERE dictname = 'tandem_english_stem') THEN
            CREATE TEXT SEARCH DICTIONARY tandem_english_stem (TEMPLATE = snowball, LANGUAGE = english);
        END IF;
        IF NOT EXISTS (SELECT 1 FROM pg_ts_config WHERE cfgname = '{PG_CONFIG}') THEN
            CREATE TEXT SEARCH CONFIGURATION {PG_CONFIG} (COPY = english);
            ALTER TEXT SEARCH CONFIGURATION {PG_CONFIG}
                ALTER MAPPING FOR asciiword, asciihword, hword_asciipart, word, hword, hword_part
                WITH tandem_english_stem;
        END IF;
    END $$""",
    f"ALTER TABLE {POSTS} ADD COLUMN IF NOT EXISTS search_vector tsvector",
    f"""CREATE OR REPLACE FUNCTION search_post_vector() RETURNS trigger AS $$
    BEGIN
        NEW.search_vector := to_tsvector('{PG_CONFIG}', coalesce(NEW.body, ''));
        RETURN NEW;
    END
    $$ LANGUAGE plpgsql""",
    f"DROP TRIGGER IF EXISTS search_post_vector ON {POSTS}",
    f"""CREATE TRIGGER search_post_vector BEFORE INSERT OR UPDATE OF body ON {POSTS}
    FOR EACH ROW EXECUTE FUNCTION search_post_vector()""",
    f"CREATE INDEX IF NOT EXISTS search_post_vector_gin ON {POSTS} USING gin (search_vector)",
]
_PG_TEARDOWN = [
    f"DROP TRIGGER IF EXISTS search_post_vector ON {POSTS}",
    "DROP FUNCTION IF EXISTS search_post_vector()",
    f"DROP TEXT SEARCH CONFIGURATION IF EXISTS {PG_CONFIG}",
    "DROP TEXT SEARCH DICTIONARY IF EXISTS tandem_english_stem",
    "DROP INDEX IF EXISTS search_post_vector_gin",
    f"ALTER TABLE {POSTS} DROP COLUMN IF EXISTS search_vector",
]

# Names on PostgreSQL: trigram indexes serve the ``icontains`` that search makes on
# titles, summaries, tags, muses and writers (Django writes it as ``UPPER(col::text) LIKE
# UPPER('%word%')``, so each index is on that expression). Without them each count read
# every thread, muse and writer: 200 ms of a rare word's 290 with 125,000 threads.
# SQLite scans those tables, which it does fast enough at the sizes it is meant for.
_PG_NAMES = [
    ("threads_thread", "title"),
    ("threads_thread", "summary"),
    ("threads_tag", "name"),
    ("muses_muse", "name"),
    ("muses_muse", "nicknames"),
    ("accounts_user", "username"),
    ("accounts_user", "display_name"),
]
_PG_NAMES_SETUP = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    *(
        f"CREATE INDEX IF NOT EXISTS search_{table}_{column}_trgm ON {table} "
        f"USING gin ((UPPER({column}::text)) gin_trgm_ops)"
        for table, column in _PG_NAMES
    ),
]
_PG_NAMES_TEARDOWN = [
    f"DROP INDEX IF EXISTS search_{table}_{column}_trgm" for table, column in _PG_NAMES
]

_SQLITE_TABLE = (
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS} USING fts5("
    f"body, content='{POSTS}', content_rowid='id', "
    "tokenize='porter unicode61 remove_diacritics 2')"
)
_SQLITE_TRIGGERS = [
    f"""CREATE TRIGGER IF NOT EXISTS search_post_ai AFTER INSERT ON {POSTS} BEGIN
        INSERT INTO {FTS}(rowid, body) VALUES (new.id, new.body);
    END""",
    f"""CREATE TRIGGER IF NOT EXISTS search_post_ad AFTER DELETE ON {POSTS} BEGIN
        INSERT INTO {FTS}({FTS}, rowid, body) VALUES ('delete', old.id, old.body);
    END""",
    f"""CREATE TRIGGER IF NOT EXISTS search_post_au AFTER UPDATE OF body ON {POSTS} BEGIN
        INSERT INTO {FTS}({FTS}, rowid, body) VALUES ('delete', old.id, old.body);
        INSERT INTO {FTS}(rowid, body) VALUES (new.id, new.body);
    END""",
]
_SQLITE_TEARDOWN = [
    "DROP TRIGGER IF EXISTS search_post_ai",
    "DROP TRIGGER IF EXISTS search_post_ad",
    "DROP TRIGGER IF EXISTS search_post_au",
    f"DROP TABLE IF EXISTS {FTS}",
]


def vendor(connection=None) -> str:
    vendor = (connection or default_connection).vendor
    if vendor not in ("postgresql", "sqlite"):
        raise NotImplementedError(f"Search supports PostgreSQL and SQLite, not {vendor}.")
    return vendor


def _execute(connection, statements: list[str], params=None) -> None:
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement, params)


def install(connection=None) -> None:
    """Create the index structures and triggers (idempotent); does not fill the index."""
    connection = connection or default_connection
    if vendor(connection) == "postgresql":
        _execute(connection, _PG_SETUP)
    else:
        _execute(connection, [_SQLITE_TABLE, *_SQLITE_TRIGGERS])


def install_name_indexes(connection=None) -> None:
    """PostgreSQL's trigram indexes for the name searches (nothing on SQLite)."""
    connection = connection or default_connection
    if vendor(connection) == "postgresql":
        _execute(connection, _PG_NAMES_SETUP)


def uninstall_name_indexes(connection=None) -> None:
    connection = connection or default_connection
    if vendor(connection) == "postgresql":
        _execute(connection, _PG_NAMES_TEARDOWN)


def installed(connection=None) -> bool:
    """Whether the index structures and triggers exist."""
    connection = connection or default_connection
    with connection.cursor() as cursor:
        if vendor(connection) == "postgresql":
            cursor.execute(
                "SELECT count(*) FROM pg_trigger WHERE tgname = 'search_post_vector' "
                "AND tgrelid = %s::regclass",
                [POSTS],
            )
        else:
            cursor.execute("SELECT count(*) FROM sqlite_master WHERE name = %s", [FTS])
        return cursor.fetchone()[0] > 0


def uninstall(connection=None) -> None:
    connection = connection or default_connection
    _execute(connection, _PG_TEARDOWN if vendor(connection) == "postgresql" else _SQLITE_TEARDOWN)


def ensure_triggers_after_migrate(sender, using: str = "default", **kwargs) -> None:
    from django.db import connections
    from django.db.migrations.recorder import MigrationRecorder

    connection = connections[using]
    if connection.vendor != "sqlite":
        return  # PostgreSQL alters tables in place; its trigger stays.
    if not MigrationRecorder(connection).migration_qs.filter(app="search").exists():
        return  # migrated back to before search, or not yet installed
    _execute(connection, _SQLITE_TRIGGERS)


def rebuild(
    *,
    batch_size: int = 2000,
    progress: Callable[[int], None] | None = None,
    connection=None,
) -> int:
    """Index every post again, in batches by primary key; returns how many were indexed.

    ``progress(n)`` is called after each batch with the number of posts it held.
    """
    connection = connection or default_connection
    if not installed(connection):
        install(connection)
    elif vendor(connection) == "sqlite":
        _execute(connection, _SQLITE_TRIGGERS)  # IF NOT EXISTS: cheap, and no ALTER TABLE
    if vendor(connection) == "postgresql":
        # One transaction per batch: a long rebuild holds no lock on every post at once, and
        # the trigger keeps posts written meanwhile right.
        statement = (
            f"UPDATE {POSTS} SET search_vector = to_tsvector(%s, coalesce(body, '')) "
            "WHERE id BETWEEN %s AND %s"
        )
        return _batches(connection, batch_size, progress, statement, [PG_CONFIG], atomic=True)
    # SQLite: one transaction, so a search never sees a half-empty index.
    statement = (
        f"INSERT INTO {FTS}(rowid, body) SELECT id, body FROM {POSTS} WHERE id BETWEEN %s AND %s"
    )
    with transaction.atomic(using=connection.alias):
        with connection.cursor() as cursor:
            cursor.execute(f"INSERT INTO {FTS}({FTS}) VALUES ('delete-all')")
        return _batches(connection, batch_size, progress, statement, [], atomic=False)


def count_posts(connection=None) -> int:
    with (connection or default_connection).cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {POSTS}")
        return cursor.fetchone()[0]


def _batches(connection, batch_size, progress, statement, params, *, atomic: bool) -> int:
    done, last = 0, 0
    while True:
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT id FROM {POSTS} WHERE id > %s ORDER BY id LIMIT %s", [last, batch_size]
            )
            ids = [row[0] for row in cursor.fetchall()]
        if not ids:
            return done
        scope = transaction.atomic(using=connection.alias) if atomic else nullcontext()
        with scope, connection.cursor() as cursor:
            cursor.execute(statement, [*params, ids[0], ids[-1]])
        last, done = ids[-1], done + len(ids)
        if progress:
            progress(len(ids))
