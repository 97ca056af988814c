"""The cryptography behind anonymous tips (contract: Anonymity).

- Tip texts and photos: AES-256-GCM with a key derived (HKDF-SHA256) from TIP_SECRET.
- The receipt: 100 random bits, shown once; only its HMAC-SHA256 under a derived pepper is
  stored, so the database alone cannot link back to a receipt.
- Times: rounded down to the hour.
- Sender tags for rate limits: HMAC of the Telegram id under a key derived from TIP_SECRET
  and the date, never stored anywhere.
- Invite codes: only their HMAC is stored, so a backup holds no redeemable invite.
- Dialog state: keyed by an HMAC of (chat, user), never by the ids themselves."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re
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
SECRET_MIN_BYTES = 32
_HEX = re.compile(r"[0-9a-fA-F]+")


def secret_bytes(text: str) -> bytes:
    """TIP_SECRET decoded (hex, or base64 in either alphabet, padding optional); ValueError
    unless it holds at least 32 bytes that look random (a typed phrase does not)."""
    text = text.strip()
    raw = b""
    if len(text) % 2 == 0 and _HEX.fullmatch(text):
        raw = bytes.fromhex(text)
    else:
        try:
            raw = base64.b64decode(
                text.replace("-", "+").replace("_", "/") + "=" * (-len(text) % 4), validate=True
            )
        except (binascii.Error, ValueError):
            raw = b""
    # 32 random bytes show about 30 distinct values; a repeated pattern far fewer.
    if len(raw) < SECRET_MIN_BYTES or len(set(raw)) < 24:
        raise ValueError(
            "TIP_SECRET must be at least 32 random bytes written as base64 or hex; generate one with: "
            'python -c "import secrets; print(secrets.token_urlsafe(48))"'
        )
    return raw


def row_context(kind: str, *ids: int | None) -> bytes:
    """Associated data binding a ciphertext to its row, so a body moved to another row fails."""
    return ":".join([kind, *(str(i or 0) for i in ids)]).encode()


def _derive(secret: str, label: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"safety-bot/tips/v1", info=label).derive(
        secret.encode()
    )


@dataclass(frozen=True)
class TipKeys:
    """Every key derived from TIP_SECRET; none of them is ever stored."""

    encryption: bytes
    pepper: bytes
    invites: bytes
    dialogs: bytes
    limits: bytes

    @classmethod
    def from_secret(cls, secret: str) -> TipKeys:
        secret_bytes(secret)
        labels = (b"encryption", b"receipt-pepper", b"invite-pepper", b"dialog-key", b"rate-limit-key")
        return cls(*(_derive(secret, label) for label in labels))

    def seal(self, plaintext: bytes, context: bytes) -> bytes:
        """Encrypt; `context` (the row's kind and ids) is authenticated, so a blob moved elsewhere fails."""
        nonce = os.urandom(_NONCE)
        return nonce + AESGCM(self.encryption).encrypt(nonce, plaintext, context)

    def open(self, blob: bytes, context: bytes) -> bytes:
        return AESGCM(self.encryption).decrypt(blob[:_NONCE], blob[_NONCE:], context)

    def receipt_hash(self, receipt: str) -> str:
        return hmac.new(self.pepper, normalise_receipt(receipt).encode(), hashlib.sha256).hexdigest()

    def invite_hash(self, code: str) -> str:
        return hmac.new(self.invites, code.encode(), hashlib.sha256).hexdigest()

    def dialog_tag(self, *parts: object) -> str:
        """The name of one (chat, user)'s dialog state, stable without revealing either."""
        return hmac.new(self.dialogs, ":".join(map(str, parts)).encode(), hashlib.sha256).hexdigest()


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


def daily_key(base: bytes, day: str) -> bytes:
    """The key of one day's sender tags: recomputed from a derived key, never stored."""
    return hmac.new(base, day.encode(), hashlib.sha256).digest()


def sender_tag(daily_key: bytes, user_id: int) -> str:
    return hmac.new(daily_key, str(user_id).encode(), hashlib.sha256).hexdigest()[:32]
