from django.apps import AppConfig
from django.db.models.signals import post_migrate


class SearchConfig(AppConfig):
    name = "tandem.search"
    label = "search"
    verbose_name = "Search"

    def ready(self) -> None:
        from tandem.search import engines

        # SQLite rebuilds a table to alter it, dropping its triggers: a later migration of
        # threads_post would silently stop the index following the posts. Recreate them
        # (idempotent) after every migrate.
        post_migrate.connect(engines.ensure_triggers_after_migrate, sender=self)
