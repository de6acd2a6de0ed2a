from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.urls import reverse

hex_colour = RegexValidator(r"^#[0-9a-fA-F]{6}$", "Enter a colour like #7a3e9d.")


class Muse(models.Model):
    """A character a writer plays. Kept for ever once it has posted; archived instead."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="muses"
    )
    name = models.CharField(max_length=100)
    pronouns = models.CharField(max_length=40, blank=True)
    fandom = models.CharField(max_length=120, blank=True)
    # Other names the muse goes by in prose (nicknames, surname), comma-separated; the
    # importer uses them to recognise whose post a pasted paragraph is.
    nicknames = models.CharField("also called", max_length=200, blank=True)
    bio = models.TextField("short bio", max_length=2000, blank=True)
    accent_colour = models.CharField(max_length=7, default="#7a3e9d", validators=[hex_colour])
    avatar = models.ImageField(upload_to="avatars/%Y/%m/", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    archived_at = models.DateTimeField(null=True, blank=True)
    # What an imported character card carried that Tandem has no field for (personality,
    # scenario, extensions…), kept untouched so exporting the card gives it back.
    card_data = models.JSONField(default=dict, blank=True)
    # A stand-in, owned by an importer, for another writer's muse named in an import: it
    # holds the imported posts until that writer accepts them (or for good, "unclaimed").
    # It never posts, starts or joins a thread, and stays out of the muse pickers.
    is_placeholder = models.BooleanField(default=False)

    class Meta:
        ordering = ["name", "pk"]
        indexes = [models.Index(fields=["owner", "archived_at"])]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("muse-detail", args=[self.pk])

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None

    @property
    def nickname_list(self) -> list[str]:
        return [name.strip() for name in self.nicknames.split(",") if name.strip()]

    @property
    def initial(self) -> str:
        return self.name[:1].upper() or "?"


class MuseIcon(models.Model):
    """An extra picture of a muse (an expression, an outfit) a writer can pick per post."""

    muse = models.ForeignKey(Muse, on_delete=models.CASCADE, related_name="icons")
    image = models.ImageField(upload_to="icons/%Y/%m/")
    keywords = models.CharField(max_length=200, help_text="e.g. smiling, winter coat")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["muse", "keywords", "pk"]

    def __str__(self) -> str:
        return f"{self.muse.name} — {self.keywords}"
