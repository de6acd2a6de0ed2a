from django.apps import AppConfig


class LiveConfig(AppConfig):
    name = "tandem.live"
    label = "live"
    verbose_name = "Live updates"
