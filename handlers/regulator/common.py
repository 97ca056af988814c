"""Shared by the regulators' views: callback data, the deadline dialog, workbook sending."""

from __future__ import annotations

from aiogram import Bot
from aiogram.enums import ChatAction
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import BufferedInputFile, Message

from storage.exports import workbook


class OverdueCb(CallbackData, prefix="ov"):
    action: str  # page | export
    page: int
    township: str
    agency: str


class OverdueOpenCb(CallbackData, prefix="ovo"):
    """A hazard opened from a page of /overdue, which its view leads back to."""

    hazard_id: int
    page: int
    township: str
    agency: str


class RegHazardCb(CallbackData, prefix="rh"):
    action: str  # open | extend | enforce (asks) | enforce_yes (marks)
    hazard_id: int


class AgencyCb(CallbackData, prefix="ag"):
    action: str  # staff | export
    agency_id: int
    period: str


class ExtendDialog(StatesGroup):
    date = State()
    reason = State()
    confirm = State()


def pct(value: float | None) -> str:
    return f"{value:.0%}" if value is not None else "—"


async def send_book(message: Message, bot: Bot, name: str, sheets: dict, caption: str) -> None:
    """A workbook with a caption that says what it holds and as of when."""
    await bot.send_chat_action(message.chat.id, ChatAction.UPLOAD_DOCUMENT)
    await message.answer_document(BufferedInputFile(workbook(sheets), filename=name), caption=caption)
