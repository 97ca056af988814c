"""Public pages: an enterprise's status (what its QR code opens), the agency directory and the
published subsidy list."""

from __future__ import annotations

from aiohttp import web

from bot.status_view import card_view
from storage import division_names
from storage.clock import today
from storage.profiles import by_public_code
from storage.public import agency_directory, agency_ids_by_code, latest_grades
from storage.subsidy import published_subsidy
from web.server import APP, TEXTS, locale, render


async def status_page(request: web.Request) -> web.Response:
    app = request.app[APP]
    t = request.app[TEXTS].bind(locale(request))
    async with app.sessions() as session:
        enterprise = await by_public_code(session, request.match_info["code"])
        if enterprise is None:
            raise web.HTTPNotFound()
        card = await card_view(session, app.settings, t, enterprise)
        places = await division_names.names(session, [enterprise.division])
        ids = await agency_ids_by_code(session, [c["code"] for c in card["contracts"]])
        grades = await latest_grades(session, list(ids.values()))
    agencies = [
        {"name": c["agency"], "kind": c["kind"], "end": c["end"], "grade": grades.get(ids.get(c["code"]))}
        for c in card["contracts"]
    ]
    # Only what the public may see: never the USCC, hazard texts or people.
    return render(
        request,
        "status.html",
        code=enterprise.public_code,
        name=card["name"],
        township=division_names.label(enterprise.division, places),
        colour_key=card["colour_code"],
        colour=card["colour"],
        reasons=card["reasons"],
        fulfilled=card["fulfilled"],
        total=card["total"],
        ok=card["ok"],
        veto=card["veto"],
        open=card["open"],
        agencies=agencies,
        last_visit=card["last_visit"],
    )


async def agencies_page(request: web.Request) -> web.Response:
    app = request.app[APP]
    day = today(app.settings.tz)
    async with app.sessions() as session:
        rows = await agency_directory(session, day)
    return render(request, "agencies.html", rows=rows, year=day.year)


async def subsidy_page(request: web.Request) -> web.Response:
    """The year's subsidy list once published (公示); 404 with a plain page before that."""
    app = request.app[APP]
    t = request.app[TEXTS].bind(locale(request))
    async with app.sessions() as session:
        lines = await published_subsidy(session, int(request.match_info["year"]))
        places = await division_names.names(session, [line.division for line in lines])
    rows = [
        {
            "division": division_names.label(line.division, places),
            "enterprise": line.enterprise,
            "agency": line.agency,
            "item": t(f"contract.{line.item}"),
            "amount": f"{line.amount:.2f}",
        }
        for line in lines
    ]
    total = f"{sum(line.amount for line in lines):.2f}"
    return render(
        request,
        "subsidy.html",
        status=200 if rows else 404,
        year=request.match_info["year"],
        rows=rows,
        total=total,
    )


async def home(request: web.Request) -> web.Response:
    return render(request, "home.html")


async def no_icon(request: web.Request) -> web.Response:
    return web.Response(status=204)


def add_routes(site: web.Application) -> None:
    site.router.add_get("/", home)
    site.router.add_get("/favicon.ico", no_icon)
    site.router.add_get("/e/{code}", status_page)
    site.router.add_get("/agencies", agencies_page)
    site.router.add_get(r"/subsidy/{year:\d{4}}", subsidy_page)
