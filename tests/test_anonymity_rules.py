"""Tip cryptography and receipts."""

import math
from datetime import datetime

import pytest
from cryptography.exceptions import InvalidTag

from domain.anonymity import (
    RECEIPT_ALPHABET,
    RECEIPT_CHARS,
    TipKeys,
    looks_like_receipt,
    new_receipt,
    normalise_receipt,
    sender_tag,
    to_hour,
)
from tests.conftest import TIP_SECRET

KEYS = TipKeys.from_secret(TIP_SECRET)
OTHER_SECRET = "Zm9vYmFyLXJhbmRvbS1ieXRlcy0xMjM0NTY3ODkwYWJjZGVmZ2hpams"  # 41 bytes, base64


def test_receipts_carry_at_least_80_bits_and_differ():
    assert RECEIPT_CHARS * math.log2(len(RECEIPT_ALPHABET)) >= 80
    receipts = {new_receipt() for _ in range(1000)}
    assert len(receipts) == 1000
    assert all(looks_like_receipt(r) for r in receipts)


@pytest.mark.parametrize(
    "typed", ["abcd-efgh-jkmn-pqrs-tvwx", "ABCDEFGHJKMNPQRSTVWX", " abcd efgh jkmn pqrs tvwx "]
)
def test_receipts_are_forgiving_to_type(typed):
    assert normalise_receipt(typed) == "ABCDEFGHJKMNPQRSTVWX"
    assert KEYS.receipt_hash(typed) == KEYS.receipt_hash("ABCD-EFGH-JKMN-PQRS-TVWX")


def test_look_alike_letters_are_read_as_digits():
    assert normalise_receipt("O0I1L") == "00111"


@pytest.mark.parametrize("text", ["", "ABCD", "ABCD-EFGH-JKMN-PQRS-TVWX-Y", "not a receipt at all!"])
def test_non_receipts(text):
    assert not looks_like_receipt(text)


def test_sealed_text_opens_only_with_its_key_and_context():
    blob = KEYS.seal("危化品仓库无人值守".encode(), b"tip")
    assert "危化品".encode() not in blob
    assert KEYS.open(blob, b"tip").decode() == "危化品仓库无人值守"
    with pytest.raises(InvalidTag):
        KEYS.open(blob, b"message")
    with pytest.raises(InvalidTag):
        TipKeys.from_secret(OTHER_SECRET).open(blob, b"tip")
    assert KEYS.seal(b"same", b"tip") != KEYS.seal(b"same", b"tip")  # fresh nonce each time


def test_receipt_hashes_depend_on_the_secret():
    other = TipKeys.from_secret(OTHER_SECRET)
    assert KEYS.receipt_hash("ABCD-EFGH-JKMN-PQRS-TVWX") != other.receipt_hash("ABCD-EFGH-JKMN-PQRS-TVWX")


@pytest.mark.parametrize(
    "secret",
    [
        "short",
        "a-test-secret-of-enough-length",  # a phrase: base64 of fewer than 32 bytes
        "test-tip-secret-" + "x" * 32,  # decodes to 36 bytes of a repeated pattern
        "00" * 40,  # 40 bytes of zeros
        "0123456789abcdef" * 2,  # 16 bytes of hex
        "q3Yl0vJ2m8Rk5TzW1xHc7bNf4GpLs9EaD6uVwKiQoZ",  # 31 bytes of base64
    ],
)
def test_secrets_of_fewer_than_32_random_bytes_are_refused(secret):
    with pytest.raises(ValueError, match="at least 32 random bytes"):
        TipKeys.from_secret(secret)


@pytest.mark.parametrize(
    "secret",
    [
        "5f1c9a0e7b2d4c6a8e0f1b3d5c7a9e2f4b6d8c0a1e3f5b7d9c2a4e6f8b0d1c3a",  # hex, 32 bytes
        "q3Yl0vJ2m8Rk5TzW1xHc7bNf4GpLs9EaD6uVwKiQoZyX",  # base64url, 33 bytes, no padding
        "q3Yl0vJ2m8Rk5TzW1xHc7bNf4GpLs9EaD6uVwKiQoZyXtBgM+CrUe/hA",  # standard base64
    ],
)
def test_random_secrets_in_hex_or_base64_are_accepted(secret):
    TipKeys.from_secret(secret)


def test_times_are_kept_to_the_hour():
    assert to_hour(datetime(2026, 11, 23, 14, 59, 59, 999)) == datetime(2026, 11, 23, 14)


def test_sender_tags_change_with_the_daily_key_and_hide_the_id():
    tag = sender_tag(b"k1" * 16, 987654321987)
    assert tag != sender_tag(b"k2" * 16, 987654321987)
    assert "987654321987" not in tag
