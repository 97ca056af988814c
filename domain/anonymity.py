"""The cryptography behind anonymous tips (contract: Anonymity).

- Tip texts and photos: AES-256-GCM with a key derived (HKDF-SHA256) from TIP_SECRET.
- The receipt: 100 random bits, shown once; only its HMAC-SHA256 under a derived pepper is
  stored, so the database alone cannot link back to a receipt.
- Times: rounded down to the hour.
- Sender tags for rate limits: HMAC of the Telegram id under a key that changes every day and
  is never stored in the database."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from datetime import datetime

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

# Crockford's base32: no I, L, O, U, so a receipt copied by hand is still read right.
RECEIPT_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
RECEIPT_CHARS = 20  # 100 bits
_CONFUSABLE = str.maketrans({"O": "0", "I": "1", "L": "1", "U": "V"})
_NONCE = 12


def _derive(secret: str, label: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"safety-bot/tips/v1", info=label).derive(
        secret.encode()
    )


@dataclass(frozen=True)
class TipKeys:
    encryption: bytes
    pepper: bytes

    @classmethod
    def from_secret(cls, secret: str) -> TipKeys:
        if len(secret) < 16:
            raise ValueError("TIP_SECRET must be at least 16 characters")
        return cls(_derive(secret, b"encryption"), _derive(secret, b"receipt-pepper"))

    def seal(self, plaintext: bytes, context: bytes) -> bytes:
        """Encrypt; `context` (e.g. b"tip") is authenticated, so a blob moved elsewhere fails."""
        nonce = os.urandom(_NONCE)
        return nonce + AESGCM(self.encryption).encrypt(nonce, plaintext, context)

    def open(self, blob: bytes, context: bytes) -> bytes:
        return AESGCM(self.encryption).decrypt(blob[:_NONCE], blob[_NONCE:], context)

    def receipt_hash(self, receipt: str) -> str:
        return hmac.new(self.pepper, normalise_receipt(receipt).encode(), hashlib.sha256).hexdigest()


def new_receipt() -> str:
    """20 characters of base32 (100 bits), shown in groups of four."""
    raw = "".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(RECEIPT_CHARS))
    return "-".join(raw[i : i + 4] for i in range(0, RECEIPT_CHARS, 4))


def normalise_receipt(text: str) -> str:
    """What the person typed, as stored: case, spaces, dashes and look-alikes forgiven."""
    cleaned = "".join(ch for ch in text.upper() if ch.isalnum()).translate(_CONFUSABLE)
    return cleaned


def looks_like_receipt(text: str) -> bool:
    code = normalise_receipt(text)
    return len(code) == RECEIPT_CHARS and all(ch in RECEIPT_ALPHABET for ch in code)


def to_hour(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def sender_tag(daily_key: bytes, user_id: int) -> str:
    return hmac.new(daily_key, str(user_id).encode(), hashlib.sha256).hexdigest()[:32]
