from django.apps import AppConfig


class CoreConfig(AppConfig):
    """Site-wide pieces: base templates, styles, health check, error pages."""

    name = "tandem.core"
    label = "core"
    verbose_name = "Core"
