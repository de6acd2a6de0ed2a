import pytest

from tests.browser.conftest import server_database_url  # noqa: F401  (servers' own database)
from tests.fast_hashing import FAST_HASHERS


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = FAST_HASHERS


@pytest.fixture
def in_memory_layer(settings):
    """The in-process channel layer, whatever REDIS_URL the test run has."""
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
