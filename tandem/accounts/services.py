"""Writes on writers' accounts."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from tandem.accounts.models import User


def username_taken(username: str, *, exclude_pk: int | None = None) -> bool:
    return User.objects.filter(username__iexact=username).exclude(pk=exclude_pk).exists()


def email_taken(email: str, *, exclude_pk: int | None = None) -> bool:
    return User.objects.filter(email__iexact=email).exclude(pk=exclude_pk).exists()


@transaction.atomic
def writer_sign_up(*, username: str, email: str, password: str) -> User:
    """Create a writer. Usernames and emails are unique whatever their case."""
    if username_taken(username):
        raise ValidationError({"username": "That username is taken."})
    if email_taken(email):
        raise ValidationError({"email": "An account already uses that email address."})
    user = User(username=username, email=email)
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as error:
        # Another sign-up with the same name won the race between our check and the insert.
        raise ValidationError({"username": "That username or email is taken."}) from error
    return user


def writer_update_profile(*, user: User, display_name: str, time_zone: str, bio: str) -> User:
    user.display_name = display_name
    user.time_zone = time_zone
    user.bio = bio
    user.full_clean(exclude=["password"])
    user.save(update_fields=["display_name", "time_zone", "bio"])
    return user


def writer_set_reading(*, user: User, theme: str, reading_font: str, reading_size: str) -> User:
    """Remember how a writer likes to read: theme, typeface and text size."""
    user.theme, user.reading_font, user.reading_size = theme, reading_font, reading_size
    user.full_clean(exclude=["password"])
    user.save(update_fields=["theme", "reading_font", "reading_size"])
    return user
