"""The anonymous tip and its follow-up on the web, under the chat's rules and through the same
storage functions (encryption, receipt shown once, daily limit, wrong-receipt throttle).

The client address is used only as the input of the tip guard's daily keyed hash, as the
Telegram id is in the chat: it is never stored, logged or put in a page."""

from __future__ import annotations

from urllib.parse import urlsplit

from aiohttp import web
from aiohttp.web_request import FileField

from bot.images import reencode
from domain.anonymity import looks_like_receipt
from domain.enums import TipCategory, TipTarget
from domain.tip_rules import MAX_PHOTO_BYTES, MAX_PHOTOS, TEXT_MAX, TEXT_MIN, text_fits
from storage import tips as store
from storage.profiles import by_public_code
from web.server import APP, FORMS, TEXTS, locale, render


def _sender(request: web.Request) -> str:
    return f"web:{request.remote}"


def _limits() -> dict:
    return {"min": TEXT_MIN, "max": TEXT_MAX, "photos": MAX_PHOTOS}


async def _form(request: web.Request, purpose: str) -> web.MultiDictProxy | None:
    """The posted form, if this site issued it recently and the post comes from this site."""
    origin = request.headers.get("Origin")
    if origin and urlsplit(origin).netloc != request.host:
        return None
    form = await request.post()
    forms = request.app[FORMS]
    if forms is None or not forms.valid(str(form.get("token", "")), purpose):
        return None
    return form


def _refused(request: web.Request) -> web.Response:
    return render(request, "expired.html", status=403)


def _photos(form) -> list[bytes] | None:
    """Clean JPEGs of the uploaded images; None when one is not an image or too many came."""
    files = [f for f in form.getall("photo", []) if isinstance(f, FileField) and f.filename]
    if len(files) > MAX_PHOTOS:
        return None
    photos = []
    for f in files:
        data = f.file.read(MAX_PHOTO_BYTES + 1)
        clean = reencode(data) if len(data) <= MAX_PHOTO_BYTES else None
        if clean is None:
            return None
        photos.append(clean)
    return photos


async def tip_form(request: web.Request) -> web.Response:
    app = request.app[APP]
    async with app.sessions() as session:
        enterprise = await by_public_code(session, request.match_info["code"])
    if enterprise is None or request.app[FORMS] is None:
        raise web.HTTPNotFound()
    return _tip_page(request, enterprise, "", "", "")


def _tip_page(request, enterprise, category: str, text: str, error: str, status: int = 200) -> web.Response:
    t = request.app[TEXTS].bind(locale(request))
    return render(
        request,
        "tip.html",
        status=status,
        name=enterprise.name,
        code=enterprise.public_code,
        categories=[(c.value, t(f"tip.category_{c.value}")) for c in TipCategory],
        category=category,
        text=text,
        error=error,
        token=request.app[FORMS].issue(f"tip:{enterprise.public_code}"),
        **_limits(),
    )


async def tip_submit(request: web.Request) -> web.Response:
    app = request.app[APP]
    code = request.match_info["code"]
    if request.app[FORMS] is None:
        raise web.HTTPNotFound()
    form = await _form(request, f"tip:{code}")
    if form is None:
        return _refused(request)
    guard = app.dispatcher["tip_guard"]
    keys = app.dispatcher["tip_keys"]
    t = request.app[TEXTS].bind(locale(request))
    async with app.sessions() as session:
        enterprise = await by_public_code(session, code)
        if enterprise is None:
            raise web.HTTPNotFound()
        category = str(form.get("category", ""))
        text = str(form.get("text", "")).strip()
        if await guard.tips_left(_sender(request)) <= 0:
            return render(request, "notice.html", status=429, message=t("tip.limit", limit=guard.daily_limit))
        if category not in TipCategory.__members__:
            return _tip_page(request, enterprise, category, text, t("web.choose_category"), 400)
        if not text_fits(text):
            error = t("tip.text_length", min=TEXT_MIN, max=TEXT_MAX, n=len(text))
            return _tip_page(request, enterprise, category, text, error, 400)
        photos = _photos(form)
        if photos is None:
            return _tip_page(request, enterprise, category, text, t("web.photos_refused", n=MAX_PHOTOS), 400)
        target = await store.target_by(session, TipTarget.enterprise, enterprise.id)
        receipt = await store.file_tip(session, keys, target, category, text, photos)
    await guard.count_tip(_sender(request))
    return render(request, "receipt.html", receipt=receipt)


async def follow_form(request: web.Request) -> web.Response:
    if request.app[FORMS] is None:
        raise web.HTTPNotFound()
    return render(request, "follow.html", token=request.app[FORMS].issue("follow"), error="")


async def _tip_by_receipt(request: web.Request, session, receipt: str):
    """The tip, or the page to answer with (throttled, or no such receipt: counted as a miss)."""
    app = request.app[APP]
    guard, keys = app.dispatcher["tip_guard"], app.dispatcher["tip_keys"]
    t = request.app[TEXTS].bind(locale(request))
    if await guard.throttled(_sender(request)):
        return None, render(request, "notice.html", status=429, message=t("follow.slow_down"))
    tip = await store.by_receipt(session, keys, receipt) if looks_like_receipt(receipt[:60]) else None
    if tip is None:
        await guard.miss(_sender(request))
        page = render(
            request,
            "follow.html",
            status=404,
            token=request.app[FORMS].issue("follow"),
            error=t("follow.not_found"),
        )
        return None, page
    return tip, None


async def follow_submit(request: web.Request) -> web.Response:
    if request.app[FORMS] is None:
        raise web.HTTPNotFound()
    form = await _form(request, "follow")
    if form is None:
        return _refused(request)
    receipt = str(form.get("receipt", ""))
    async with request.app[APP].sessions() as session:
        tip, page = await _tip_by_receipt(request, session, receipt)
        if tip is None:
            return page
        return await _thread(request, session, tip, receipt, "")


async def _thread(request, session, tip, receipt: str, notice: str, status: int = 200) -> web.Response:
    app = request.app[APP]
    t = request.app[TEXTS].bind(locale(request))
    tz = app.settings.tz
    replies = await store.messages(session, app.dispatcher["tip_keys"], tip.id, ("regulator",))
    return render(
        request,
        "follow_status.html",
        status=status,
        state=t(f"tipstatus.{tip.status}"),
        category=t(f"tip.category_{tip.category}"),
        filed=tip.created_hour.astimezone(tz).strftime("%Y-%m-%d %H:00"),
        replies=[
            {"hour": r["hour"].astimezone(tz).strftime("%Y-%m-%d %H:00"), "text": r["text"]} for r in replies
        ],
        receipt=receipt,
        notice=notice,
        token=request.app[FORMS].issue("follow"),
        **_limits(),
    )


async def follow_add(request: web.Request) -> web.Response:
    if request.app[FORMS] is None:
        raise web.HTTPNotFound()
    form = await _form(request, "follow")
    if form is None:
        return _refused(request)
    app = request.app[APP]
    t = request.app[TEXTS].bind(locale(request))
    receipt = str(form.get("receipt", ""))
    text = str(form.get("text", "")).strip()
    async with app.sessions() as session:
        tip, page = await _tip_by_receipt(request, session, receipt)
        if tip is None:
            return page
        photos = _photos(form)
        if photos is None:
            return await _thread(request, session, tip, receipt, t("web.photos_refused", n=MAX_PHOTOS), 400)
        if len(text) > TEXT_MAX or (not text and not photos):
            return await _thread(request, session, tip, receipt, t("follow.ask_message", max=TEXT_MAX), 400)
        await store.add_message(session, app.dispatcher["tip_keys"], tip, "tipster", text, photos)
        await session.commit()
        return await _thread(request, session, tip, receipt, t("follow.added"))


def add_routes(site: web.Application) -> None:
    site.router.add_get("/e/{code}/tip", tip_form)
    site.router.add_post("/e/{code}/tip", tip_submit)
    site.router.add_get("/follow", follow_form)
    site.router.add_post("/follow", follow_submit)
    site.router.add_post("/follow/add", follow_add)
