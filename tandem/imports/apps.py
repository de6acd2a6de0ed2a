from django.apps import AppConfig


class ImportsConfig(AppConfig):
    """Bringing writing in: pasted threads split into posts, characters from other tools."""

    name = "tandem.imports"
    label = "imports"
    verbose_name = "Imports"
