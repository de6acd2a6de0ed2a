import zoneinfo

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse


def time_zone_choices() -> list[tuple[str, str]]:
    return [(name, name.replace("_", " ")) for name in sorted(zoneinfo.available_timezones())]


class Theme(models.TextChoices):
    SYSTEM = "system", "Follow my device"
    LIGHT = "light", "Light"
    DARK = "dark", "Dark"


class ReadingFont(models.TextChoices):
    SERIF = "serif", "Serif (book-like)"
    SANS = "sans", "Sans-serif"


class ReadingSize(models.TextChoices):
    SMALL = "s", "Small"
    MEDIUM = "m", "Medium"
    LARGE = "l", "Large"
    EXTRA_LARGE = "xl", "Extra large"


class WriterManager(UserManager):
    def get_by_natural_key(self, username):
        # Sign-in ignores case, as usernames are unique whatever their case.
        return self.get(username__iexact=username)


class User(AbstractUser):
    """A writer. Plays muses in threads."""

    display_name = models.CharField(max_length=80, blank=True)
    time_zone = models.CharField(max_length=64, default="UTC")
    bio = models.TextField(blank=True, max_length=2000)
    theme = models.CharField(max_length=8, choices=Theme, default=Theme.SYSTEM)
    reading_font = models.CharField(max_length=8, choices=ReadingFont, default=ReadingFont.SERIF)
    reading_size = models.CharField(max_length=2, choices=ReadingSize, default=ReadingSize.MEDIUM)

    objects = WriterManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("username"), name="accounts_user_username_ci_unique"),
            # E-mail addresses are not unique: sign-up must not reveal which are in use
            # (docs/decisions.md, "Limits and abuse").
        ]

    def __str__(self) -> str:
        return self.username

    def get_absolute_url(self) -> str:
        return reverse("writer-profile", args=[self.username])

    @property
    def shown_name(self) -> str:
        return self.display_name or self.username

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        """The writer's time zone; UTC if the stored name is no longer a known zone (the
        tz database drops and renames zones)."""
        try:
            return zoneinfo.ZoneInfo(self.time_zone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            return zoneinfo.ZoneInfo("UTC")
