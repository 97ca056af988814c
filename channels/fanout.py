"""What channels receive, written to the outbox beside the chat's notices: one row per channel
and occasion (the dedupe key), texts in the default language (a group has no language)."""

from __future__ import annotations

import base64
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.i18n import Translator
from channels.store import subscribed
from domain.divisions import covers
from notifications.outbox import enqueue
from storage.models import Channel
from storage.regulator import overdue as overdue_rows
from web.files import LINK_DAYS, digest_link


async def _put(session, channel: Channel, kind: str, text: str, occasion: str, **kw) -> None:
    await enqueue(
        session, 0, kind, text, dedupe_key=f"{occasion}:ch{channel.id}", channel_id=channel.id, **kw
    )


async def major_hazard(
    session: AsyncSession, translator: Translator, enterprise_division: str, occasion: str, **params
) -> None:
    """`params` are those of the chat's major-hazard alert."""
    t = translator.bind(translator.default_locale)
    for channel in await subscribed(session, "major", enterprise_division):
        await _put(session, channel, "hazard_major", t("hazard.notice_major", **params), occasion)


async def tip_counts(
    session: AsyncSession,
    translator: Translator,
    hour: datetime,
    tips: list[tuple[str, int]],
    follow_ups: list[tuple[str, int]],
) -> None:
    t = translator.bind(translator.default_locale)
    for channel in await subscribed(session, "tips"):
        n_tips, n_msgs = (
            sum(n for d, n in rows if covers(channel.jurisdiction, d)) for rows in (tips, follow_ups)
        )
        if n_tips or n_msgs:
            text = t("channels.tips", tips=n_tips, messages=n_msgs)
            await _put(session, channel, "new_tips", text, f"tips:{hour.isoformat()}")


async def overdue(session: AsyncSession, translator: Translator, today: date) -> int:
    """Each day, the overdue hazards of the channel's jurisdiction, majors first."""
    t = translator.bind(translator.default_locale)
    channels = await subscribed(session, "overdue")
    for channel in channels:
        rows, total = await overdue_rows(session, [channel.jurisdiction], today)
        if not total:
            continue
        items = [
            {
                "name": r.enterprise,
                "level": t(f"level.{r.hazard.level}"),
                "deadline": r.hazard.deadline.isoformat(),
                "days": (today - r.hazard.deadline).days,
            }
            for r in rows
        ]
        text = t("channels.overdue", total=total, items=items, more=total - len(items))
        await _put(session, channel, "overdue", text, f"overdue:{today.isoformat()}")
    return len(channels)


async def digest(session: AsyncSession, translator: Translator, settings: Settings, today: date) -> int:
    """The weekly digest: WeCom gets the text, the chart and the workbook as files; DingTalk the
    text with a link to the workbook (with PUBLIC_BASE_URL); email one message with the chart
    inline and the workbook attached."""
    from notifications.digest import build  # the digest module calls this one: import late

    t = translator.bind(translator.default_locale)
    channels = await subscribed(session, "digest")
    for channel in channels:
        d = await build(session, t, channel.jurisdiction, today, settings)
        occasion = f"digest:{channel.jurisdiction}:{d.week.start.isoformat()}"
        span = {"start": d.week.start.isoformat(), "end": d.week.end.isoformat()}
        book = ("document", d.workbook, d.filename)
        if channel.kind == "email":
            subject = t("channels.digest_subject", **span)
            await _put(
                session,
                channel,
                "digest",
                d.text,
                occasion,
                attachment=book,
                extra={"subject": subject, "chart": _b64(d.chart)},
            )
            continue
        text = d.text
        if channel.kind == "dingtalk":  # its custom robots take no files: a link to the workbook
            link = digest_link(settings, channel.jurisdiction, today)
            text += "\n\n" + t("channels.workbook_link", url=link, days=LINK_DAYS) if link else ""
        await _put(session, channel, "digest", text, f"{occasion}:text")
        if channel.kind == "wecom":
            await _put(
                session,
                channel,
                "digest",
                "",
                f"{occasion}:chart",
                attachment=("photo", d.chart, "digest.png"),
            )
            await _put(session, channel, "digest", "", f"{occasion}:book", attachment=book)
    return len(channels)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()
