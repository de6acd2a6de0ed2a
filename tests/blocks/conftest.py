import pytest

from tests.fast_hashing import FAST_HASHERS


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """These tests make many writers but never test passwords: hash them cheaply."""
    settings.PASSWORD_HASHERS = FAST_HASHERS
