from __future__ import annotations

import base64
import hashlib
from pathlib import Path

import bcrypt
import pytest
from argon2 import PasswordHasher

from identra.crypto import passwords
from identra.crypto.passwords import hash_password, is_supported_hash, verify_password


def test_argon2id_round_trip() -> None:
    stored = hash_password("pa55word!")
    assert stored.startswith("$argon2id$")
    assert verify_password(stored, "pa55word!").ok
    assert not verify_password(stored, "pa55word").ok


def test_weak_argon2_parameters_are_upgraded_on_login() -> None:
    weak = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash("pw-12345678")
    result = verify_password(weak, "pw-12345678")
    assert result.ok and result.new_hash is not None and result.new_hash.startswith("$argon2id$")


def test_imported_bcrypt_verifies_and_upgrades() -> None:
    stored = bcrypt.hashpw(b"legacy-pass", bcrypt.gensalt(rounds=4)).decode()
    result = verify_password(stored, "legacy-pass")
    assert result.ok and result.new_hash and result.new_hash.startswith("$argon2id$")
    assert not verify_password(stored, "legacy-pasS").ok


def test_imported_django_pbkdf2_verifies() -> None:
    salt, iterations = "saltsalt", 1000
    derived = hashlib.pbkdf2_hmac("sha256", b"django-pw", salt.encode(), iterations)
    stored = f"pbkdf2_sha256${iterations}${salt}${base64.b64encode(derived).decode()}"
    assert is_supported_hash(stored)
    assert verify_password(stored, "django-pw").ok
    assert not verify_password(stored, "django-pW").ok


@pytest.mark.parametrize(
    "garbage",
    ["", "plain", "$2b$garbage", "pbkdf2_sha256$x$y$z", "$argon2id$broken", "$pbkdf2-sha256$1"],
)
def test_garbage_hashes_never_verify_and_never_raise(garbage: str) -> None:
    assert not verify_password(garbage, "anything").ok


def test_hash_parameters_come_from_the_settings(tmp_path: Path) -> None:
    import pydantic

    from identra.services import build_services
    from identra.settings import PasswordHashSettings
    from tests.support import make_settings

    with pytest.raises(pydantic.ValidationError):
        PasswordHashSettings(memory_cost=1024)  # below OWASP's minimum for argon2id
    settings = make_settings(
        tmp_path, password_hash={"time_cost": 2, "memory_cost": 19456, "parallelism": 1}
    )
    try:
        build_services(settings)
        stored = hash_password("a-password-1234")
        assert "$m=19456,t=2,p=1$" in stored
        assert verify_password(stored, "a-password-1234").ok
    finally:
        passwords.configure(time_cost=1, memory_cost=1024, parallelism=1)  # as tests/conftest
