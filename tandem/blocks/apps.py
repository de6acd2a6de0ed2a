from django.apps import AppConfig


class BlocksConfig(AppConfig):
    name = "tandem.blocks"
    label = "blocks"
    verbose_name = "Blocks"
