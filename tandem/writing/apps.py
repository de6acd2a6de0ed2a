from django.apps import AppConfig


class WritingConfig(AppConfig):
    """How RP prose is written and shown: markup, dialogue, word counts, drafts."""

    name = "tandem.writing"
    label = "writing"
    verbose_name = "Writing"
