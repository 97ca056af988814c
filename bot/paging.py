"""Keeping what the bot sends within Telegram's limits: clip a value with "…", cut a list of
entries into pages that fit one message, split a long report at line boundaries."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.filters.callback_data import CallbackData
from aiogram.methods import EditMessageCaption, EditMessageText, SendDocument, SendMessage, SendPhoto
from aiogram.methods.base import TelegramMethod
from aiogram.types import InlineKeyboardButton

from bot.clipping import ELLIPSIS, clip

log = logging.getLogger(__name__)

MAX_TEXT = 4096  # Bot API limit of a message's text
MAX_CAPTION = 1024  # of a photo's or document's caption
# Room left on a page for its heading, the "page x of y" line and HTML added around entries.
PAGE_BUDGET = 3400


@dataclass(frozen=True)
class Page:
    entries: list[str]
    number: int  # 0-based, clamped to the pages there are
    count: int

    @property
    def has_more(self) -> bool:
        return self.count > 1


def page_of(entries: Sequence[str], number: int, budget: int = PAGE_BUDGET) -> Page:
    """The `number`-th run of whole entries whose lengths (plus a separator) fit `budget`;
    an entry longer than the budget is clipped so every page holds at least one."""
    pages: list[list[str]] = [[]]
    used = 0
    for entry in entries:
        entry = clip(entry, budget)
        if pages[-1] and used + len(entry) + 1 > budget:
            pages.append([])
            used = 0
        pages[-1].append(entry)
        used += len(entry) + 1
    number = min(max(number, 0), len(pages) - 1)
    return Page(pages[number], number, len(pages))


def paginate(render: Callable[[list], str], items: Sequence[Any], number: int) -> tuple[str, Page]:
    """Render a list view one page at a time: `render(items)` is the view's template; pages
    hold as many whole items as fit a message, what each costs measured by rendering it."""
    empty = render([])
    # What one more entry adds: measured against a one-entry page, since an empty one may
    # render an "{% else %}" text of its own.
    costs = [len(render([item, item])) - len(render([item])) for item in items]
    pages: list[list[Any]] = [[]]
    used = 0
    for item, cost in zip(items, costs, strict=True):
        if pages[-1] and used + cost > PAGE_BUDGET - len(empty):
            pages.append([])
            used = 0
        pages[-1].append(item)
        used += cost
    number = min(max(number, 0), len(pages) - 1)
    return render(pages[number]), Page(pages[number], number, len(pages))


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """A long plain report as messages of at most `limit`, cut between lines."""
    parts: list[str] = []
    current = ""
    for line in text.split("\n"):
        line = clip(line, limit)
        if current and len(current) + 1 + len(line) > limit:
            parts.append(current)
            current = line
        else:
            current = f"{current}\n{line}" if current else line
    parts.append(current)
    return parts


class PageCb(CallbackData, prefix="pg"):
    """Turning the page of a view: `view` names it, `arg` is its argument (a hazard, a
    receipt's slot, a filter), `page` the page wanted."""

    view: str
    arg: str = ""
    page: int


def pager_buttons(view: str, page: Page, arg: str = "") -> list[InlineKeyboardButton]:
    """◀ and ▶ around "x/y", for a keyboard row; empty when everything fits one page."""
    if not page.has_more:
        return []
    row = []
    if page.number > 0:
        row.append(
            InlineKeyboardButton(
                text="◀", callback_data=PageCb(view=view, arg=arg, page=page.number - 1).pack()
            )
        )
    row.append(
        InlineKeyboardButton(
            text=f"{page.number + 1}/{page.count}",
            callback_data=PageCb(view=view, arg=arg, page=page.number).pack(),
        )
    )
    if page.number + 1 < page.count:
        row.append(
            InlineKeyboardButton(
                text="▶", callback_data=PageCb(view=view, arg=arg, page=page.number + 1).pack()
            )
        )
    return row


_TAG = re.compile(r"<(/?)([a-z\-]+)[^>]*>")


def fit_html(text: str, limit: int) -> str:
    """Last resort for a text over the limit: cut at a line break, close the HTML tags left
    open, end with "…". Views page or clip first; this only keeps a send from failing."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 40]
    if "\n" in cut[limit // 2 :]:
        cut = cut[: cut.rindex("\n")]
    cut = cut[: cut.rindex("<")] if cut.rfind("<") > cut.rfind(">") else cut  # no half tag
    cut = re.sub(r"&[a-zA-Z#0-9]*$", "", cut)  # no half entity
    open_tags: list[str] = []
    for closing, name in _TAG.findall(cut):
        if closing and name in open_tags:
            open_tags.remove(name)
        elif not closing:
            open_tags.append(name)
    return cut + "\n" + ELLIPSIS + "".join(f"</{name}>" for name in reversed(open_tags))


class LengthGuard(BaseRequestMiddleware):
    """Keeps every text and caption the bot sends within Telegram's limits."""

    async def __call__(
        self, make_request: NextRequestMiddlewareType, bot: Any, method: TelegramMethod
    ) -> Any:
        if isinstance(method, SendMessage | EditMessageText) and len(method.text) > MAX_TEXT:
            log.warning("%s text over %d characters clipped", type(method).__name__, MAX_TEXT)
            method.text = fit_html(method.text, MAX_TEXT)
        elif (
            isinstance(method, SendPhoto | SendDocument | EditMessageCaption)
            and len(method.caption or "") > MAX_CAPTION
        ):
            log.warning("%s caption over %d characters clipped", type(method).__name__, MAX_CAPTION)
            method.caption = fit_html(method.caption, MAX_CAPTION)
        return await make_request(bot, method)
