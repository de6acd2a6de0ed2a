"""Writing generated rows fast: chosen primary keys, kept creation dates, wide inserts and
plain rows for the tables that grow with every post."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from django.db import connection
from django.db.models import Max

from tandem.muses.models import Muse
from tandem.threads.models import Participant, Thread


class Ids:
    """The next free primary key of each table, handed out in order."""

    def __init__(self, models) -> None:
        self._next = {m: (m.objects.aggregate(top=Max("pk"))["top"] or 0) + 1 for m in models}

    def take(self, model) -> int:
        value = self._next[model]
        self._next[model] = value + 1
        return value


@contextmanager
def given_dates() -> Iterator[None]:
    """Let bulk inserts keep the generated creation dates: ``auto_now_add`` fields would
    otherwise all be stamped with the moment of the insert."""
    fields = [
        Thread._meta.get_field("created_at"),
        Participant._meta.get_field("joined_at"),
        Muse._meta.get_field("created_at"),
    ]
    saved = [f.auto_now_add for f in fields]
    for f in fields:
        f.auto_now_add = False
    try:
        yield
    finally:
        for f, value in zip(fields, saved, strict=True):
            f.auto_now_add = value


@contextmanager
def wide_inserts(vendor: str) -> Iterator[None]:
    """On SQLite, let one INSERT carry as many parameters as the library allows."""
    if vendor != "sqlite":
        yield
        return
    import sqlite3

    connection.ensure_connection()
    limit = connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    features = connection.features
    features.max_query_params = min(limit, 32_766)  # shadows the class default for this run
    try:
        yield
    finally:
        del features.max_query_params


def _naive_text(value: datetime | None) -> str | None:
    return None if value is None else str(value.replace(tzinfo=None))


class Table:
    """Plain rows for the tables that grow with every post, written without model objects:
    building and preparing a Django instance per row cost more than the database's own
    work (a COPY on PostgreSQL, one prepared ``executemany`` on SQLite). Columns this
    generator does not set get their field's default, prepared once."""

    def __init__(self, model) -> None:
        fields = model._meta.concrete_fields
        self.model = model
        self.position = {f.attname: i for i, f in enumerate(fields)}
        self.dates = {f.attname for f in fields if f.get_internal_type() == "DateTimeField"}
        self.template = [
            None if f.primary_key else f.get_db_prep_save(f.get_default(), connection)
            for f in fields
        ]
        quote = connection.ops.quote_name
        self.table = quote(model._meta.db_table)
        self.columns = ", ".join(quote(f.column) for f in fields)
        self.sqlite = connection.vendor == "sqlite"
        self.adapt_date = connection.ops.adapt_datetimefield_value
        if self.sqlite and connection.timezone == UTC:
            # What Django's adapter gives for the UTC datetimes generated here, without its
            # per-value checks (a third of the time of a row).
            self.adapt_date = _naive_text

    def row(self, values: dict) -> list:
        row = self.template.copy()
        for name, value in values.items():
            if self.sqlite and name in self.dates:
                value = self.adapt_date(value)
            row[self.position[name]] = value
        return row

    def write(self, rows: list[list]) -> None:
        with connection.cursor() as cursor:
            if self.sqlite:
                marks = ", ".join(["%s"] * len(self.template))
                cursor.executemany(
                    f"INSERT INTO {self.table} ({self.columns}) VALUES ({marks})", rows
                )
                return
            with cursor.cursor.copy(f"COPY {self.table} ({self.columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
