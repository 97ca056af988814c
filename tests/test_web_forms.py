"""Form tokens: valid for their form, within WEB_FORM_MINUTES, and for nothing else."""

import time

from web.forms import FormTokens


def test_form_tokens(monkeypatch):
    tokens = FormTokens("a-secret-of-enough-length-1234", minutes=120)
    now = time.time()
    monkeypatch.setattr(time, "time", lambda: now)
    token = tokens.issue("tip:abc")
    assert tokens.valid(token, "tip:abc")
    assert not tokens.valid(token, "tip:other") and not tokens.valid(token, "follow")
    assert not FormTokens("another-secret-of-enough-length", 120).valid(token, "tip:abc")
    assert not tokens.valid("garbage", "tip:abc") and not tokens.valid("", "tip:abc")
    monkeypatch.setattr(time, "time", lambda: now + 119 * 60)
    assert tokens.valid(token, "tip:abc")
    monkeypatch.setattr(time, "time", lambda: now + 122 * 60)
    assert not tokens.valid(token, "tip:abc")


def test_signed_links_expire(monkeypatch):
    signer = FormTokens("a-secret-of-enough-length-1234", minutes=120)
    now = time.time()
    monkeypatch.setattr(time, "time", lambda: now)
    expires = int(now) + 60
    mac = signer.sign("digest|3302|2026-11-23", expires)
    assert signer.signed("digest|3302|2026-11-23", str(expires), mac)
    assert not signer.signed("digest|33|2026-11-23", str(expires), mac)
    assert not signer.signed("digest|3302|2026-11-23", str(expires + 1), mac)
    monkeypatch.setattr(time, "time", lambda: now + 61)
    assert not signer.signed("digest|3302|2026-11-23", str(expires), mac)
