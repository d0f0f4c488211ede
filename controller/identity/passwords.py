"""Password hashing with Argon2id (argon2-cffi).

Checking a password for a user that does not exist (or has no password) still verifies
against a dummy hash, so a wrong user name and a wrong password cost the same time.
"""
import functools

import argon2

from conf import CONF


class PasswordHasher:
    def __init__(self, time_cost, memory_cost):
        self._hasher = argon2.PasswordHasher(time_cost=time_cost, memory_cost=memory_cost,
                                             parallelism=1)
        self._dummy_hash = self._hasher.hash("not a password of anyone")

    def hash(self, password):
        return self._hasher.hash(password)

    def verify(self, password_hash, password):
        """True when ``password`` matches; False otherwise, in the same time when there is
        no hash to check against."""
        try:
            return self._hasher.verify(password_hash or self._dummy_hash, password) \
                and password_hash is not None
        except (argon2.exceptions.VerificationError, argon2.exceptions.InvalidHashError):
            return False


@functools.lru_cache(maxsize=None)
def _hasher(time_cost, memory_cost):
    return PasswordHasher(time_cost, memory_cost)


def get_hasher(conf=CONF):
    return _hasher(conf.identity.argon2_time_cost, conf.identity.argon2_memory_cost)
