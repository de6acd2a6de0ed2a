from django.apps import AppConfig


class WorldConfig(AppConfig):
    # No models: installed for its ``generate_world`` management command.
    name = "tandem.world"
    label = "world"
    verbose_name = "Generated worlds"
