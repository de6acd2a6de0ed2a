from django.apps import AppConfig


class ThreadsConfig(AppConfig):
    name = "tandem.threads"
    label = "threads"
    verbose_name = "Threads"
