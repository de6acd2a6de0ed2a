from django.apps import AppConfig


class StartersConfig(AppConfig):
    name = "tandem.starters"
    label = "starters"
    verbose_name = "Open starters"
