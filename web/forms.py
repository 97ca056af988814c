"""Form tokens: a form is accepted only with a token this site issued for that form, within
WEB_FORM_MINUTES. No cookie is needed, so a page elsewhere cannot post in a visitor's name
without first fetching a fresh form from here. The same keyed hash signs links that expire
(a digest workbook for robots that take no files)."""

from __future__ import annotations

import hashlib
import hmac
import time


class FormTokens:
    def __init__(self, secret: str, minutes: int) -> None:
        self._key = hmac.new(secret.encode(), b"web-form-token", hashlib.sha256).digest()
        self.minutes = minutes

    def _mac(self, purpose: str, minute: int) -> str:
        return hmac.new(self._key, f"{purpose}|{minute}".encode(), hashlib.sha256).hexdigest()[:32]

    def issue(self, purpose: str) -> str:
        # Minutes, not seconds: the token is all a form carries about when it was opened.
        minute = int(time.time() // 60)
        return f"{minute}.{self._mac(purpose, minute)}"

    def sign(self, purpose: str, expires: int) -> str:
        """A link's signature: `purpose` (what it opens) until `expires` (Unix seconds)."""
        return self._mac(purpose, expires)

    def signed(self, purpose: str, expires: str, mac: str) -> bool:
        return (
            expires.isdigit()
            and int(expires) > time.time()
            and hmac.compare_digest(mac, self.sign(purpose, int(expires)))
        )

    def valid(self, token: str, purpose: str) -> bool:
        minute, _, mac = token.partition(".")
        if not minute.isdigit():
            return False
        age = int(time.time() // 60) - int(minute)
        return 0 <= age <= self.minutes and hmac.compare_digest(mac, self._mac(purpose, int(minute)))
