"""The aiohttp application of the public site, its headers and its access log.

Every response carries a Content-Security-Policy of 'self' only and sets no cookie. The access
log never holds a client address or user agent, and holds nothing at all for the tip and
follow-up pages (contract: Anonymity)."""

from __future__ import annotations

import logging
from pathlib import Path

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger
from jinja2 import Environment, FileSystemLoader

from bot.app import App
from bot.i18n import LOCALES, Translator
from domain.tip_rules import MAX_PHOTO_BYTES, MAX_PHOTOS
from web.forms import FormTokens

log = logging.getLogger("web.access")
HERE = Path(__file__).parent
APP = web.AppKey("app", App)
TEXTS = web.AppKey("texts", Translator)
PAGES = web.AppKey("pages", Environment)
FORMS = web.AppKey("forms", object)  # FormTokens, or None without TIP_SECRET
CSP = "default-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
PAGE_MAX_AGE = 60


def private(path: str) -> bool:
    """The pages a tipster uses: no log line, no cache."""
    return path.endswith("/tip") or path.startswith("/follow")


class QuietAccessLogger(AbstractAccessLogger):
    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        if not private(request.path):
            self.logger.info("%s %s %s", request.method, request.path, response.status)


@web.middleware
async def headers(request: web.Request, handler) -> web.StreamResponse:
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        if exc.status != 404:
            raise
        response = render(request, "missing.html", status=404)
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"  # Chrome posts "Origin: null" under no-referrer
    if private(request.path):
        response.headers["Cache-Control"] = "no-store"
    else:
        response.headers.setdefault("Cache-Control", f"public, max-age={PAGE_MAX_AGE}")
    return response


def locale(request: web.Request) -> str:
    lang = request.query.get("lang", "")
    return lang if lang in LOCALES else request.app[APP].settings.default_locale


def render(request: web.Request, template: str, status: int = 200, **context: object) -> web.Response:
    lang = locale(request)
    t = request.app[TEXTS].bind(lang)
    page = request.app[PAGES].get_template(template)
    html = page.render(t=t, lang=lang, path=request.path, **context)
    return web.Response(text=html, content_type="text/html", charset="utf-8", status=status)


def build_web(app: App) -> web.Application:
    from web import files, pages, tips

    site = web.Application(middlewares=[headers], client_max_size=MAX_PHOTOS * MAX_PHOTO_BYTES + 65536)
    site[APP] = app
    # Texts unescaped here: the page templates escape what they insert.
    site[TEXTS] = Translator(app.settings.default_locale, autoescape=False)
    site[PAGES] = Environment(
        loader=FileSystemLoader(HERE / "templates"), autoescape=True, trim_blocks=True, lstrip_blocks=True
    )
    secret = app.settings.tip_secret.get_secret_value() if app.settings.tip_secret else ""
    site[FORMS] = FormTokens(secret, app.settings.web_form_minutes) if secret else None
    pages.add_routes(site)
    tips.add_routes(site)
    files.add_routes(site)
    site.router.add_static("/static", HERE / "static")
    return site


async def start_web(app: App) -> web.AppRunner:
    """Listen on WEB_LISTEN; the caller cleans the runner up."""
    runner = web.AppRunner(build_web(app), access_log_class=QuietAccessLogger, access_log=log)
    await runner.setup()
    host, port = app.settings.web_host_port
    await web.TCPSite(runner, host, port).start()
    return runner


def site_url(app: App, runner: web.AppRunner) -> str:
    """Where the site can be opened on this machine (the real port when WEB_LISTEN asked for 0)."""
    host, port = runner.addresses[0][:2]
    host = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    return f"http://{host}:{port}"
