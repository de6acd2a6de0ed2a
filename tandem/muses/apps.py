from django.apps import AppConfig


class MusesConfig(AppConfig):
    name = "tandem.muses"
    label = "muses"
    verbose_name = "Muses"
