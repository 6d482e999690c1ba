from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidTag

from identra.crypto.secretbox import (
    MasterKeyError,
    SecretBox,
    decode_master_key,
    generate_master_key,
    load_or_create_key_file,
)


def test_round_trip_and_context_binding() -> None:
    box = SecretBox(decode_master_key(generate_master_key()))
    sealed = box.encrypt("s3cret", context="idp:1")
    assert "s3cret" not in sealed and sealed.startswith("v1.")
    assert box.decrypt(sealed, context="idp:1") == "s3cret"
    with pytest.raises(InvalidTag):
        box.decrypt(sealed, context="idp:2")  # a ciphertext moved to another row is refused


def test_another_master_key_cannot_decrypt() -> None:
    a = SecretBox(decode_master_key(generate_master_key()))
    b = SecretBox(decode_master_key(generate_master_key()))
    with pytest.raises(InvalidTag):
        b.decrypt(a.encrypt("x"))


def test_digest_is_keyed_and_compared_in_constant_time() -> None:
    key = decode_master_key(generate_master_key())
    box = SecretBox(key)
    digest = box.digest("client-secret")
    assert box.verify_digest("client-secret", digest)
    assert not box.verify_digest("client-secreT", digest)
    other = SecretBox(decode_master_key(generate_master_key()))
    assert other.digest("client-secret") != digest


@pytest.mark.parametrize("bad", ["", "abc", "!!!!", "A" * 39])  # 39 chars: 29 bytes
def test_malformed_master_keys_are_refused(bad: str) -> None:
    with pytest.raises(MasterKeyError):
        decode_master_key(bad)


def test_key_file_is_private_and_stable(tmp_path: Path) -> None:
    path = tmp_path / "master.key"
    first = load_or_create_key_file(path)
    assert path.stat().st_mode & 0o777 == 0o600
    assert load_or_create_key_file(path) == first


def test_key_file_readable_by_others_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "master.key"
    load_or_create_key_file(path)
    os.chmod(path, 0o644)
    with pytest.raises(MasterKeyError):
        load_or_create_key_file(path)


def _create(path: str) -> bytes:
    return load_or_create_key_file(Path(path))


def test_processes_starting_together_agree_on_one_key(tmp_path: Path) -> None:
    path = str(tmp_path / "master.key")
    with ProcessPoolExecutor(4) as pool:
        keys = list(pool.map(_create, [path] * 8))
    assert len(set(keys)) == 1
    assert [p.name for p in tmp_path.iterdir()] == ["master.key"]
