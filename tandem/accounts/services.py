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
    """Create a writer. Usernames are unique whatever their case; e-mail addresses are not.

    Sign-up must not tell a stranger which addresses have accounts, so an address already
    in use is accepted like any other, and the writers who already use it are told by
    e-mail (sent by the worker, so the answer takes no longer either way).
    """
    if username_taken(username):
        raise ValidationError({"username": "That username is taken."})
    user = User(username=username, email=email)
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as error:
        # Another sign-up with the same name won the race between our check and the insert.
        raise ValidationError({"username": "That username is taken."}) from error
    if email and email_taken(email, exclude_pk=user.pk):
        from tandem.accounts.tasks import tell_address_owners

        transaction.on_commit(lambda: tell_address_owners.enqueue(user.pk))
    return user


def address_owners_tell(*, new_user: User) -> int:
    """E-mail the other writers using ``new_user``'s address that an account was made with
    it. Returns how many were told."""
    from django.conf import settings
    from django.core.mail import send_mail

    owners = User.objects.filter(email__iexact=new_user.email, is_active=True).exclude(
        pk=new_user.pk
    )
    for owner in owners:
        send_mail(
            "A new Tandem account uses your e-mail address",
            f"Hello {owner.username},\n\n"
            f"Someone just created the Tandem account “{new_user.username}” with this e-mail "
            f"address, which your account “{owner.username}” uses too.\n\n"
            "If that was you, there is nothing to do. If not, you can ignore this message: "
            "the other account cannot see or change anything of yours, and password resets "
            "for it come to this address.\n",
            settings.DEFAULT_FROM_EMAIL,
            [owner.email],
        )
    return len(owners)


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
