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

KEYS = TipKeys.from_secret("a-test-secret-of-enough-length")


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
        TipKeys.from_secret("another-secret-of-enough-length").open(blob, b"tip")
    assert KEYS.seal(b"same", b"tip") != KEYS.seal(b"same", b"tip")  # fresh nonce each time


def test_receipt_hashes_depend_on_the_secret():
    other = TipKeys.from_secret("another-secret-of-enough-length")
    assert KEYS.receipt_hash("ABCD-EFGH-JKMN-PQRS-TVWX") != other.receipt_hash("ABCD-EFGH-JKMN-PQRS-TVWX")


def test_short_secrets_are_refused():
    with pytest.raises(ValueError):
        TipKeys.from_secret("short")


def test_times_are_kept_to_the_hour():
    assert to_hour(datetime(2026, 11, 23, 14, 59, 59, 999)) == datetime(2026, 11, 23, 14)


def test_sender_tags_change_with_the_daily_key_and_hide_the_id():
    tag = sender_tag(b"k1" * 16, 987654321987)
    assert tag != sender_tag(b"k2" * 16, 987654321987)
    assert "987654321987" not in tag
