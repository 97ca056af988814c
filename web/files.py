"""The weekly digest's workbook behind an unguessable, expiring link, for channels that cannot
carry a file (DingTalk's custom robots). Nothing is stored: the link names the jurisdiction
and the day, is signed, and the workbook is built again when it is opened."""

from __future__ import annotations

import time
from datetime import date

from aiohttp import web

from bot.config import Settings
from web.forms import FormTokens

LINK_DAYS = 14


def _signer(settings: Settings) -> FormTokens | None:
    return (
        FormTokens(settings.tip_secret.get_secret_value(), settings.web_form_minutes)
        if settings.tip_secret
        else None
    )


def digest_link(settings: Settings, prefix: str, day: date) -> str | None:
    """Where the workbook of `prefix`'s digest as of `day` can be fetched, or None without a site."""
    signer = _signer(settings)
    if not settings.public_base_url or signer is None:
        return None
    expires = int(time.time()) + LINK_DAYS * 86400
    mac = signer.sign(f"digest|{prefix}|{day.isoformat()}", expires)
    return settings.public_link(f"/files/digest/{prefix or 'all'}/{day.isoformat()}/{expires}/{mac}.xlsx")


async def digest_workbook(request: web.Request) -> web.Response:
    from notifications.digest import build
    from web.server import APP

    app = request.app[APP]
    m = request.match_info
    prefix = "" if m["prefix"] == "all" else m["prefix"]
    signer = _signer(app.settings)
    try:
        day = date.fromisoformat(m["day"])
    except ValueError as exc:
        raise web.HTTPNotFound() from exc
    if signer is None or not signer.signed(f"digest|{prefix}|{day.isoformat()}", m["expires"], m["mac"]):
        raise web.HTTPNotFound()
    t = app.translator.bind(app.settings.default_locale)
    async with app.sessions() as session:
        digest = await build(session, t, prefix, day, app.settings)
    return web.Response(
        body=digest.workbook,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={
            "Content-Disposition": f'attachment; filename="{digest.filename}"',
            "Cache-Control": "no-store",
        },
    )


def add_routes(site: web.Application) -> None:
    site.router.add_get(
        r"/files/digest/{prefix:all|\d{2,9}}/{day}/{expires:\d+}/{mac:[0-9a-f]{32}}.xlsx", digest_workbook
    )
