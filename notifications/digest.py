"""The weekly digest for a regulator: text (Jinja2, in their language), a chart (matplotlib)
and a workbook with the detail (openpyxl)."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib.resources import files

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.i18n import BoundTranslator, Translator
from bot.status_view import coverage_line, coverage_targets
from channels import fanout
from domain.compliance import Colour
from domain.enums import Role
from domain.indicators import load_catalogue
from handlers.headline import headline_text
from notifications.outbox import enqueue
from storage import digest as q
from storage.division_names import names
from storage.exports import workbook
from storage.inspections import locales_of
from storage.models import RoleGrant

COLOUR_HEX = {"red": "#d62728", "orange": "#ff7f0e", "yellow": "#e6c229", "blue": "#1f77b4"}


@dataclass
class Digest:
    week: q.Week
    text: str
    chart: bytes
    workbook: bytes
    filename: str


def _change(now: float, before: float, percent: bool = False) -> str:
    delta = now - before
    if percent:
        return f"{delta * 100:+.1f}" if abs(delta) >= 0.0005 else "±0"
    return f"{delta:+d}" if delta else "±0"


async def build(
    session: AsyncSession, t: BoundTranslator, prefix: str, today: date, settings: Settings
) -> Digest:
    week = q.Week.last_full(today)
    due, th = settings.report_due_days, settings.thresholds()
    catalogue = load_catalogue(settings.indicator_catalogue)
    cs, kinds = settings.coverage(), settings.report_visit_kinds
    # Every enterprise is decided once for the week's end: the workbook lists the decisions
    # and the text counts them.
    listed = await q.colour_list(session, prefix, week.end, catalogue, th)
    now, before = (
        await q.figures(session, prefix, week, due, catalogue, th, cs, kinds, q.colour_counts(listed)),
        await q.figures(session, prefix, week.previous(), due, catalogue, th, cs, kinds),
    )
    agencies = await q.agency_table(session, prefix, week, due, kinds)
    lines = []
    for key in (
        "enterprises",
        "visits",
        "found",
        "found_major",
        "rectified",
        "overdue",
        "overdue_major",
        "missing_reports",
        "late_reports",
        "tips_received",
        "tips_open",
        "unreachable",
    ):
        lines.append(
            {
                "label": t(f"digest.{key}"),
                "value": getattr(now, key),
                "change": _change(getattr(now, key), getattr(before, key)),
            }
        )
    place = (await names(session, [prefix])).get(prefix, prefix)
    text = t(
        "digest.text",
        prefix=place,
        start=week.start.isoformat(),
        end=week.end.isoformat(),
        lines=lines,
        coverage=coverage_line(now.coverage, cs),
        coverage_change=_change(now.coverage.rate, before.coverage.rate, True),
        **coverage_targets(cs),
        rate=f"{now.rectification_rate:.1%}",
        rate_change=_change(now.rectification_rate, before.rectification_rate, True),
        colours=[
            {
                "name": t(f"colour.{c.value}"),
                "n": now.colours[c.value],
                "change": _change(now.colours[c.value], before.colours[c.value]),
            }
            for c in Colour
        ],
        agencies=[
            {
                "code": a.code,
                "name": a.name,
                "visits": a.visits,
                "stars": f"{a.stars:.1f}" if a.stars is not None else "—",
                "on_time": f"{a.on_time:.0%}" if a.on_time is not None else "—",
            }
            for a in agencies[:10]
        ],
        more_agencies=max(0, len(agencies) - 10),
    )
    text += "\n\n" + await headline_text(t, session, settings, [prefix], today, week.start)
    series = await q.weekly_series(session, prefix, week)
    chart = render_chart(t, series, now.colours)
    book = workbook(
        {
            t("digest.sheet_overdue"): (
                [
                    t(f"digest.col_{c}")
                    for c in (
                        "enterprise",
                        "uscc",
                        "division",
                        "description",
                        "level",
                        "found",
                        "deadline",
                        "agency",
                    )
                ],
                [
                    (n, u, d, desc, t(f"level.{lvl}"), f, dl, a or "")
                    for n, u, d, desc, lvl, f, dl, a in await q.overdue_list(session, prefix, week.end)
                ],
            ),
            t("digest.sheet_reports"): (
                [
                    t(f"digest.col_{c}")
                    for c in ("enterprise", "uscc", "agency", "visit", "visit_date", "visit_kind")
                ],
                [
                    (n, u, a, ref, d, t(f"visit.{k}"))
                    for n, u, a, ref, d, k in await q.missing_report_list(
                        session, prefix, week.end, due, kinds
                    )
                ],
            ),
            t("digest.sheet_colours"): (
                [
                    t(f"digest.col_{c}")
                    for c in ("enterprise", "uscc", "division", "colour", "fulfilled", "applicable", "veto")
                ],
                [(n, u, d, t(f"colour.{c}"), f, m, "✓" if v else "") for n, u, d, c, f, m, v in listed],
            ),
            t("digest.sheet_agencies"): (
                [t(f"digest.col_{c}") for c in ("code", "agency", "visits", "ratings", "stars", "on_time")],
                [
                    (
                        a.code,
                        a.name,
                        a.visits,
                        a.ratings,
                        round(a.stars, 2) if a.stars is not None else None,
                        round(a.on_time, 3) if a.on_time is not None else None,
                    )
                    for a in agencies
                ],
            ),
        }
    )
    return Digest(week, text, chart, book, f"digest-{prefix}-{week.start.isoformat()}.xlsx")


@cache
def _font_name() -> str:
    from matplotlib import font_manager

    path = str(files("mplfonts") / "fonts" / "NotoSansCJKsc-Regular.otf")
    font_manager.fontManager.addfont(path)
    return font_manager.FontProperties(fname=path).get_name()


def render_chart(t: BoundTranslator, series: list[tuple[date, int, int]], colours: dict[str, int]) -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    fig = Figure(figsize=(10, 4.2), dpi=110)
    fig.set_layout_engine("tight")
    font = {"family": _font_name()}
    left, right = fig.subplots(1, 2, gridspec_kw={"width_ratios": [3, 2]})
    labels = [d.strftime("%m-%d") for d, _, _ in series]
    left.plot(labels, [f for _, f, _ in series], marker="o", label=t("digest.found"))
    left.plot(labels, [r for _, _, r in series], marker="s", label=t("digest.rectified"))
    left.set_title(t("digest.chart_trend"), fontdict=font)
    left.legend(prop=font)
    left.grid(alpha=0.3)
    names = [c.value for c in Colour]
    right.bar(
        [t(f"colour.{n}").split("（")[0].split(" (")[0] for n in names],
        [colours.get(n, 0) for n in names],
        color=[COLOUR_HEX[n] for n in names],
    )
    right.set_title(t("digest.chart_colours"), fontdict=font)
    for label in [*left.get_xticklabels(), *right.get_xticklabels()]:
        label.set_fontfamily(font["family"])
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


async def enqueue_weekly(
    session: AsyncSession, translator: Translator, settings: Settings, today: date
) -> int:
    """The scheduled digest: text, chart and workbook for every regulator, through the outbox."""
    grants = (
        await session.execute(
            select(RoleGrant.user_id, RoleGrant.target)
            .where(RoleGrant.role == Role.regulator)
            .order_by(RoleGrant.id)
        )
    ).all()
    locales = await locales_of(session, sorted({uid for uid, _ in grants}), translator.default_locale)
    # Regulators of one area and language share one digest: built once, for them in a row.
    grants = sorted(grants, key=lambda g: (g.target, locales[g.user_id]))
    shared: tuple[str, str] | None = None
    for uid, prefix in grants:
        t = translator.bind(locales[uid])
        if shared != (prefix, locales[uid]):
            d = await build(session, t, prefix, today, settings)
            shared = (prefix, locales[uid])
        span = {"start": d.week.start.isoformat(), "end": d.week.end.isoformat()}
        key = f"digest:{prefix}:{d.week.start.isoformat()}:{uid}"
        await enqueue(session, uid, "digest", d.text, dedupe_key=f"{key}:text")
        await enqueue(
            session,
            uid,
            "digest",
            t("digest.caption_chart", **span),
            dedupe_key=f"{key}:chart",
            attachment=("photo", d.chart, "digest.png"),
        )
        await enqueue(
            session,
            uid,
            "digest",
            t("digest.caption_book", **span),
            dedupe_key=f"{key}:book",
            attachment=("document", d.workbook, d.filename),
        )
    await fanout.digest(session, translator, settings, today)
    await session.commit()
    return len(grants)
