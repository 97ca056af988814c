"""Reminders (domain.md "Reminders"): one message per recipient listing their new items.

Planning is set-based (see `notifications.reminder_items`): the items and their recipients'
languages come from one query per occasion, the reminder log and the outbox are written in a
few bulk statements, and a text is rendered once per distinct content and language (the
staff of one agency share theirs). Exactly once per item and recipient: the log is unique
per (recipient, item), and a planner first takes a row lock (the "reminders" job mark), so
a second planner waits for the first to commit and then finds nothing new. On SQLite that
wait is bounded by the busy timeout: a planner still waiting then gives up with
`PlannerBusy`, having written nothing, and `bot.planning` tries again.
Nothing here imports aiogram: `jobs run reminders` plans without it."""

from __future__ import annotations

import hashlib
from datetime import date

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import Translator
from domain.indicators import Indicator, load_catalogue
from domain.reminders import ReminderSettings
from notifications.bulk import insert_new
from notifications.notices import payload, write_outbox
from notifications.reminder_items import Recipient, plan
from storage.clock import utcnow
from storage.models import JobMark, ReminderLog

# Occasions in the order a message lists them; the role that receives each.
OCCASIONS = (
    "escalated",
    "overdue",
    "overdue_clients",
    "verify",
    "soon",
    "report_grace",
    "report_late",
    "report_due",
    "indicators",
    "reviews",
)
OWNER_OCCASIONS = {"overdue", "soon", "indicators"}
STAFF_OCCASIONS = {"overdue_clients", "verify", "report_late", "report_due"}
EXAMPLES = 3


async def run_reminders(
    session: AsyncSession,
    translator: Translator,
    today: date,
    s: ReminderSettings,
    catalogue: tuple[Indicator, ...] | None = None,
) -> tuple[int, int]:
    """Plan, log and enqueue one message per recipient, and commit; returns (recipients,
    items). Call it on a session with no transaction open: its first statement takes the lock."""
    catalogue = catalogue if catalogue is not None else load_catalogue()
    now = utcnow()
    await _hold_planning_lock(session, now)
    recipients = await plan(session, today, s, catalogue, translator.default_locale)
    logged = [(uid, key) for uid, r in recipients.items() for key in r.keys]
    await insert_new(session, ReminderLog, ("user_id", "item"), logged, {"at": now}, ["user_id", "item"])
    render = _Renderer(translator, today, {i.code: i for i in catalogue})
    rows = []
    for uid, r in recipients.items():
        digest = hashlib.sha256("|".join(sorted(r.keys)).encode()).hexdigest()[:16]
        rows.append((uid, f"rem:{digest}:{uid}", render(r)))
    await write_outbox(session, "reminder", rows)
    await session.commit()
    return len(recipients), len(logged)


class PlannerBusy(Exception):
    """Another planner held the database longer than SQLite's busy timeout."""


async def _hold_planning_lock(session: AsyncSession, now) -> None:
    """Write the job's mark first: the row (and on SQLite the database) stays locked until
    commit, so two planners take turns instead of both planning the same items."""
    upsert = pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert
    stmt = upsert(JobMark).values(name="reminders", until=now)
    try:
        await session.execute(stmt.on_conflict_do_update(index_elements=["name"], set_={"until": now}))
    except OperationalError as e:
        if "database is locked" not in str(e.orig):
            raise
        await session.rollback()
        raise PlannerBusy from e


class _Renderer:
    """Message payloads, each distinct one rendered once; titles and names cached by language."""

    def __init__(self, translator: Translator, today: date, catalogue: dict[str, Indicator]) -> None:
        self.translator = translator
        self.today = today
        self.catalogue = catalogue
        self.words: dict[tuple, str] = {}
        self.payloads: dict[tuple, str] = {}

    def word(self, locale: str, key: str, **params: object) -> str:
        cache_key = (locale, key, *params.values())
        text = self.words.get(cache_key)
        if text is None:
            text = self.words[cache_key] = self.translator(key, locale, **params)
        return text

    def what(self, locale: str, occasion: str, what: str) -> str:
        if occasion in ("indicators", "reviews"):
            ind = self.catalogue.get(what)
            return ind.name(locale) if ind else what
        if occasion.startswith("report"):
            return self.word(locale, f"visit.{what}")
        return what

    def __call__(self, r: Recipient) -> str:
        loc = r.locale
        sections = []
        for occasion in OCCASIONS:
            mine = r.items.get(occasion)
            if not mine:
                continue
            shown = sorted(mine)[:EXAMPLES]
            examples = tuple(
                (name, self.what(loc, occasion, what), day.isoformat()) for day, name, what in shown
            )
            title = self.word(loc, f"reminders.{occasion}", n=len(mine))
            sections.append((title, examples, len(mine) - len(examples)))
        content = (loc, tuple(sections))
        body = self.payloads.get(content)
        if body is None:
            text = self.translator(
                "reminders.message",
                loc,
                sections=[
                    {
                        "title": title,
                        "examples": [{"name": n, "what": w, "day": d} for n, w, d in ex],
                        "more": more,
                    }
                    for title, ex, more in sections
                ],
            )
            body = self.payloads[content] = payload(
                text, self.buttons(loc, {o for o in r.items if r.items[o]})
            )
        return body

    def buttons(self, locale: str, occasions: set[str]) -> dict | None:
        """The inline keyboard as Telegram takes it; the callback data is `ListCb(what=…).pack()`
        spelled out, so planning needs no aiogram (pressing it is tested end to end)."""
        row = [
            {"text": self.word(locale, text), "callback_data": f"ls:{what}"}
            for wanted, text, what in (
                (occasions & OWNER_OCCASIONS, "notice.open_hazards", "hazards"),
                (occasions & STAFF_OCCASIONS, "notice.open_due", "due"),
                (occasions & {"reviews"}, "notice.open_review", "review"),
            )
            if wanted
        ]
        return {"inline_keyboard": [row]} if row else None
