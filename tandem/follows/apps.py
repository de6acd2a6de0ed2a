from django.apps import AppConfig


class FollowsConfig(AppConfig):
    name = "tandem.follows"
    label = "follows"
    verbose_name = "Following and bookmarks"
