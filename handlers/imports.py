"""/import for admins: a CSV/XLSX document with KIND as its caption, or a short dialog."""

from __future__ import annotations

import logging

from aiogram import Bot, F, Router
from aiogram.enums import ChatAction
from aiogram.filters import Command
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Document, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.filters import HasRole
from bot.i18n import BoundTranslator
from bot.import_report import render_result
from bot.paging import split_text
from domain.enums import Role
from storage.importer import KINDS, FileProblem, import_file

log = logging.getLogger(__name__)

SKIP_FLAG = "--skip-bad-rows"


class ImportDialog(StatesGroup):
    kind = State()
    file = State()


class ImportKindCb(CallbackData, prefix="imp"):
    kind: str


def kinds_keyboard() -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    for kind in KINDS:
        kb.button(text=kind, callback_data=ImportKindCb(kind=kind))
    kb.adjust(2)
    return kb.as_markup()


async def import_with_caption(
    message: Message,
    t: BoundTranslator,
    session: AsyncSession,
    settings: Settings,
    bot: Bot,
    state: FSMContext,
) -> None:
    words = (message.caption or "").replace("/import", "").split()
    kind = next((w for w in words if w in KINDS), None)
    if kind is None:
        await message.answer(t("import.need_kind", kinds=", ".join(KINDS)))
        return
    await state.clear()
    await _run_import(message, kind, SKIP_FLAG in words, t, session, settings, bot)


async def import_start(message: Message, t: BoundTranslator, state: FSMContext) -> None:
    await state.set_state(ImportDialog.kind)
    await message.answer(t("import.choose_kind"), reply_markup=kinds_keyboard())


async def kind_chosen(
    query: CallbackQuery, callback_data: ImportKindCb, t: BoundTranslator, state: FSMContext
) -> None:
    if callback_data.kind not in KINDS:
        await query.answer(t("callback.invalid"), show_alert=True)
        return
    await query.answer()
    await state.update_data(kind=callback_data.kind)
    await state.set_state(ImportDialog.file)
    await query.message.edit_text(t("import.send_file", kind=callback_data.kind))


async def kind_expected(message: Message, t: BoundTranslator) -> None:
    await message.answer(t("dialog.use_buttons"), reply_markup=kinds_keyboard())


async def file_received(
    message: Message,
    t: BoundTranslator,
    session: AsyncSession,
    settings: Settings,
    bot: Bot,
    state: FSMContext,
) -> None:
    kind = (await state.get_data()).get("kind")
    await state.clear()
    await _run_import(message, kind, SKIP_FLAG in (message.caption or ""), t, session, settings, bot)


async def file_expected(message: Message, t: BoundTranslator) -> None:
    await message.answer(t("import.file_expected"))


async def _run_import(
    message: Message,
    kind: str,
    skip: bool,
    t: BoundTranslator,
    session: AsyncSession,
    settings: Settings,
    bot: Bot,
) -> None:
    doc: Document = message.document
    if (doc.file_size or 0) > settings.import_max_mb * 1024 * 1024:
        await message.answer(t("import.too_big", limit=settings.import_max_mb))
        return
    await bot.send_chat_action(message.chat.id, ChatAction.TYPING)
    data = await bot.download(doc)
    try:
        result = await import_file(
            session,
            kind,
            doc.file_name or "",
            data.read(),
            skip_bad_rows=skip,
            catalogue=settings.indicator_catalogue,
        )
    except FileProblem as exc:
        await message.answer(t(f"import.file.{exc.reason}", **exc.params))
        return
    log.info(
        "import of %s: %d rows, %d errors, written=%s", kind, result.rows, len(result.errors), result.written
    )
    for part in split_text(render_result(t, result)):
        await message.answer(part)


def build_router() -> Router:
    router = Router(name="imports")
    router.message.filter(HasRole(Role.admin))
    router.callback_query.filter(HasRole(Role.admin))
    router.message.register(import_with_caption, Command("import"), F.document)
    router.message.register(import_with_caption, F.document, F.caption.regexp(rf"^({'|'.join(KINDS)})(\s|$)"))
    router.message.register(import_start, Command("import"))
    router.callback_query.register(kind_chosen, ImportDialog.kind, ImportKindCb.filter())
    router.message.register(kind_expected, ImportDialog.kind, ~F.text.startswith("/"))
    router.message.register(file_received, ImportDialog.file, F.document)
    router.message.register(file_expected, ImportDialog.file, ~F.text.startswith("/"))
    return router
