"""Background work for accounts, run by `tandem worker`."""

from django_tasks import task


@task()
def tell_address_owners(user_id: int) -> int:
    from tandem.accounts.models import User
    from tandem.accounts.services import address_owners_tell

    user = User.objects.filter(pk=user_id).first()
    return address_owners_tell(new_user=user) if user else 0
