"""A cheap password hasher for tests that create many writers but do not test passwords."""

from django.contrib.auth.hashers import Argon2PasswordHasher


class FastArgon2PasswordHasher(Argon2PasswordHasher):
    """Argon2 in the same format as production, with the smallest cost parameters."""

    time_cost = 1
    memory_cost = 8
    parallelism = 1


FAST_HASHERS = ["tests.fast_hashing.FastArgon2PasswordHasher"]
