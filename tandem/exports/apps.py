from django.apps import AppConfig


class ExportsConfig(AppConfig):
    """Taking writing out: thread downloads, account backups and their restore."""

    name = "tandem.exports"
    label = "exports"
    verbose_name = "Exports"
