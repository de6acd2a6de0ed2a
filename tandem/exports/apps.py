from django.apps import AppConfig


class ExportsConfig(AppConfig):
    """Taking writing out: thread downloads, account backups and their restore."""

    name = "tandem.exports"
    label = "exports"
    verbose_name = "Exports"

    def ready(self) -> None:
        from tandem.exports import signals  # noqa: F401  (connects the receivers)
