from django.apps import AppConfig


class SeriesConfig(AppConfig):
    name = "tandem.series"
    label = "series"
    verbose_name = "Series and links"
