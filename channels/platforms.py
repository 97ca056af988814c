"""Delivering one outbox row to WeCom, DingTalk or an email server, and reading the answer
into three outcomes the sender acts on: throttled, rejected for good, or worth a retry."""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import time
from email.message import EmailMessage
from urllib.parse import quote_plus

import aiohttp
import aiosmtplib

from bot.config import Settings
from channels.markdown import clip, title_of, to_markdown, to_plain

WECOM_MARKDOWN_BYTES = 4096
DINGTALK_MARKDOWN_BYTES = 20000
# The platforms' documented "too many messages" answers: 45009 (WeCom, api freq out of
# limit) and 130101 (DingTalk, send too fast, exceed 20 times per minute).
WECOM_THROTTLED = {45009}
DINGTALK_THROTTLED = {130101}
BUSY = {-1}  # both: system busy, try again
XLSX = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")


class Throttled(Exception):
    """The platform refuses this robot for a while."""


class Rejected(Exception):
    """A permanent refusal: a wrong key, signature or address. Retrying cannot help."""


class Retry(Exception):
    """A network error, a server error or a busy platform."""


async def _post(http: aiohttp.ClientSession, url: str, throttled: set[int], **kw) -> dict:
    try:
        async with http.post(url, timeout=aiohttp.ClientTimeout(total=30), **kw) as resp:
            if resp.status >= 500:
                raise Retry(f"HTTP {resp.status}")
            data = await resp.json(content_type=None)
    except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
        raise Retry(type(exc).__name__) from exc
    code = data.get("errcode", -1)
    if code == 0:
        return data
    if code in throttled:
        raise Throttled(f"{code} {data.get('errmsg', '')}")
    if code in BUSY:
        raise Retry(f"{code} {data.get('errmsg', '')}")
    raise Rejected(f"{code} {data.get('errmsg', '')}"[:500])


async def wecom(http: aiohttp.ClientSession, settings: Settings, secret: dict, payload: dict) -> None:
    base = settings.wecom_api_url.rstrip("/")
    key = quote_plus(secret["key"])
    attach = payload.get("attach")
    if attach == "photo":
        data = base64.b64decode(payload["data"])
        body = {
            "msgtype": "image",
            "image": {"base64": payload["data"], "md5": hashlib.md5(data).hexdigest()},
        }
    elif attach == "document":
        form = aiohttp.FormData()
        form.add_field("media", base64.b64decode(payload["data"]), filename=payload["name"])
        url = f"{base}/cgi-bin/webhook/upload_media?key={key}&type=file"
        media = await _post(http, url, WECOM_THROTTLED, data=form)
        body = {"msgtype": "file", "file": {"media_id": media["media_id"]}}
    else:
        content = clip(to_markdown(payload["text"]), WECOM_MARKDOWN_BYTES)
        body = {"msgtype": "markdown", "markdown": {"content": content}}
    await _post(http, f"{base}/cgi-bin/webhook/send?key={key}", WECOM_THROTTLED, json=body)


def dingtalk_sign(secret: str, timestamp: str) -> str:
    """DingTalk's signature: Base64 of HMAC-SHA256 over "timestamp\\nsecret", keyed by the secret."""
    mac = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    return base64.b64encode(mac).decode()


async def dingtalk(http: aiohttp.ClientSession, settings: Settings, secret: dict, payload: dict) -> None:
    timestamp = str(int(time.time() * 1000))
    url = (
        f"{settings.dingtalk_api_url.rstrip('/')}/robot/send?access_token={quote_plus(secret['token'])}"
        f"&timestamp={timestamp}&sign={quote_plus(dingtalk_sign(secret['secret'], timestamp))}"
    )
    text = clip(to_markdown(payload["text"]), DINGTALK_MARKDOWN_BYTES)
    body = {"msgtype": "markdown", "markdown": {"title": title_of(payload["text"]), "text": text}}
    await _post(http, url, DINGTALK_THROTTLED, json=body)


def email_message(settings: Settings, address: str, payload: dict) -> EmailMessage:
    """Plain text, and with a chart an HTML part showing it inline; the workbook attached."""
    msg = EmailMessage()
    msg["Subject"] = payload.get("subject") or title_of(payload["text"])
    msg["From"] = settings.smtp_from
    msg["To"] = address
    plain = to_plain(payload["text"])
    msg.set_content(plain)
    if payload.get("chart"):
        paragraphs = "".join(f"<p>{line}</p>" for line in _html_lines(plain))
        msg.add_alternative(
            f'<html><body>{paragraphs}<img src="cid:chart" alt=""></body></html>', subtype="html"
        )
        msg.get_payload()[1].add_related(
            base64.b64decode(payload["chart"]), "image", "png", cid="<chart>", filename="chart.png"
        )
    if payload.get("attach") == "document":
        msg.add_attachment(
            base64.b64decode(payload["data"]), maintype=XLSX[0], subtype=XLSX[1], filename=payload["name"]
        )
    return msg


def _html_lines(text: str) -> list[str]:
    return [html.escape(line) for line in text.splitlines()]


async def email(http: aiohttp.ClientSession, settings: Settings, secret: dict, payload: dict) -> None:
    if not settings.smtp_host:
        raise Rejected("SMTP_HOST is not set")
    password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
    try:
        await aiosmtplib.send(
            email_message(settings, secret["address"], payload),
            hostname=settings.smtp_host,
            port=settings.smtp_port or (465 if settings.smtp_tls else 25),
            username=settings.smtp_user or None,
            password=password or None,
            use_tls=settings.smtp_tls,
            timeout=60,
        )
    except aiosmtplib.SMTPRecipientsRefused as exc:
        raise Rejected("recipient refused") from exc
    except aiosmtplib.SMTPResponseException as exc:
        if 400 <= exc.code < 500:
            raise Retry(f"SMTP {exc.code}") from exc
        raise Rejected(f"SMTP {exc.code}") from exc
    except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
        raise Retry(type(exc).__name__) from exc


DELIVER = {"wecom": wecom, "dingtalk": dingtalk, "email": email}
