from django.apps import AppConfig


class PushConfig(AppConfig):
    name = "tandem.push"
    label = "push"
    verbose_name = "Push notifications and the installable app"
