"""A profile turned into the values the status templates show (no Telegram here)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from domain.compliance import IndicatorState
from domain.coverage import Coverage, CoverageSettings
from domain.indicators import Indicator, load_catalogue
from storage.clock import today as local_today
from storage.profiles import Profile, build_profile

COLOUR_ICONS = {"red": "🔴", "orange": "🟠", "yellow": "🟡", "blue": "🔵"}


def days_text(t: Callable[..., str], deadline: date, today: date) -> str:
    delta = (deadline - today).days
    if delta > 0:
        return t("status.days_left", n=delta)
    if delta == 0:
        return t("status.due_today")
    return t("status.days_overdue", n=-delta)


def view(
    t: Callable[..., str], locale: str, p: Profile, catalogue: tuple[Indicator, ...], today: date
) -> dict:
    c = p.compliance
    by_state: dict[IndicatorState, list[str]] = {s: [] for s in IndicatorState}
    for ind in catalogue:
        if ind.code not in c.indicators:
            continue  # does not apply to this enterprise
        state = c.indicators[ind.code]
        label = ind.name(locale)
        if state in (IndicatorState.expired, IndicatorState.expiring):
            label += f" ({c.expiry[ind.code].isoformat()})"
        by_state[state].append(label)
    return {
        "name": p.enterprise.name,
        "uscc": p.enterprise.uscc,
        "icon": COLOUR_ICONS[c.colour],
        "colour_code": c.colour,
        "colour": t(f"colour.{c.colour}"),
        "reasons": [t(f"reason.{r.code}", value=_pct(r)) for r in c.reasons],
        "fulfilled": c.fulfilled,
        "total": c.total,
        "ok": c.responsibility_fulfilled,
        "veto": [t(f"reason.{r.code}", value=r.value) for r in c.veto],
        "open": p.hazards.open,
        "overdue": p.hazards.overdue,
        "major": p.hazards.open_major,
        "deadlines": [
            {
                "description": d,
                "major": level == "major",
                "deadline": dl.isoformat(),
                "when": days_text(t, dl, today),
            }
            for d, level, dl in p.next_deadlines
        ],
        "contracts": [
            {"agency": name, "code": code, "kind": t(f"contract.{kind}"), "end": end.isoformat()}
            for name, code, kind, _start, end in p.contracts
        ],
        "last_visit": p.last_visit.isoformat() if p.last_visit else "",
        "missing": by_state[IndicatorState.missing],
        "expired": by_state[IndicatorState.expired],
        "expiring": by_state[IndicatorState.expiring],
        "visits": [
            {"date": d.isoformat(), "kind": t(f"visit.{k}"), "agency": a} for d, k, a in p.recent_visits
        ],
        "ratings": p.ratings[0],
        "stars": f"{p.ratings[1]:.1f}" if p.ratings[1] is not None else "",
        "tips": p.tips,
    }


def coverage_line(c: Coverage, s: CoverageSettings, **extra) -> dict:
    """One coverage figure set against seed 001's targets, as the templates show it."""
    met = c.met(s)
    return {
        "n": c.industrial,
        "covered": c.covered,
        "rate": f"{c.rate:.1%}",
        "last": f"{c.last_rate:.1%}",
        "new": f"{c.new * 100:+.1f}",
        "key": c.key,
        "key_covered": c.key_covered,
        "key_rate": f"{c.key_rate:.1%}",
        "ok": met["rate"],
        "new_ok": met["new"],
        "key_ok": met["key"],
        **extra,
    }


def coverage_targets(s: CoverageSettings) -> dict:
    return {
        "target": f"{s.target:.0%}",
        "new_target": f"{s.new_target * 100:.0f}",
        "key_target": f"{s.key_target:.0%}",
    }


def _pct(reason) -> str | int:
    # Share thresholds read as percentages; counts as they are.
    return f"{reason.value:.0%}" if isinstance(reason.value, float) else reason.value


async def card_view(session, settings, t, enterprise, detailed: bool = False) -> dict:
    """The enterprise's profile as template values: what the chat and the public site show."""
    catalogue = load_catalogue(settings.indicator_catalogue)
    day = local_today(settings.tz)
    profile = await build_profile(
        session, enterprise, day, catalogue, settings.thresholds(), detailed=detailed
    )
    return view(t, t.locale, profile, catalogue, day)


async def render_card(session, settings, t, enterprise, key: str, detailed: bool = False) -> str:
    """Build the enterprise's profile and render it with the template `key`."""
    return t(key, **await card_view(session, settings, t, enterprise, detailed))
