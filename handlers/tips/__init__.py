"""Anonymous tips for everyone: /tip (or the QR code's tip_ link) and /follow RECEIPT.

Nothing here logs, stores or forwards who the sender is: the draft lives in FSM storage only
until confirm or cancel (keyed by a keyed hash, sealed, forgotten after DIALOG_TTL_MINUTES),
the tip is stored sealed with the hour only, and the receipt shown once is the only link back.
After /follow the dialog state holds nothing: the "add material" button carries the tip's id
sealed, and only a press on it puts the id (sealed) into the state until the material comes."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, CommandStart, StateFilter

from bot.filters import InPrivate
from bot.paging import PageCb
from bot.ui import StepCb
from handlers.common import discard
from handlers.tip_triage import OpenTipCb, TipActionCb
from handlers.tips.common import CategoryCb, FollowCb, FollowDialog, TargetCb, TipDialog, TownshipCb
from handlers.tips.follow import follow_add, follow_command, follow_message, follow_page, follow_receipt
from handlers.tips.tip import (
    private_only,
    private_only_press,
    tip_category,
    tip_command,
    tip_confirm,
    tip_link,
    tip_photo,
    tip_photo_early,
    tip_photo_expected,
    tip_photos_done,
    tip_target_chosen,
    tip_target_text,
    tip_text,
    tip_township,
    tip_unlisted_name,
)
from handlers.typed_press import TypedButton, typed_press


def build_router() -> Router:
    router = Router(name="tips")
    m, c = router.message.register, router.callback_query.register
    not_command = ~F.text.startswith("/")
    image = F.photo | F.document.mime_type.startswith("image/")
    # In a group everyone would see who tips and what a regulator reads: private chats only.
    group = ~InPrivate()
    m(private_only, Command("tip", "follow", "tips"), group)
    m(private_only, CommandStart(deep_link=True, magic=F.args.startswith("tip_")), group)
    for cb in (TargetCb, TownshipCb, CategoryCb, FollowCb, OpenTipCb, TipActionCb):
        c(private_only_press, cb.filter(), group)
    m(tip_link, CommandStart(deep_link=True, magic=F.args.startswith("tip_")))
    m(tip_command, Command("tip"))
    m(follow_command, Command("follow"))
    m(tip_target_text, TipDialog.target, F.text, not_command)
    c(tip_target_chosen, TipDialog.target, TargetCb.filter())
    m(tip_unlisted_name, TipDialog.unlisted_name, F.text, not_command)
    c(tip_township, TipDialog.township, TownshipCb.filter())
    c(tip_category, TipDialog.category, CategoryCb.filter())
    early = StateFilter(
        TipDialog.target, TipDialog.unlisted_name, TipDialog.township, TipDialog.category, TipDialog.text
    )
    m(tip_photo_early, early, image)  # a photo before its step: kept, the question put again
    m(tip_text, TipDialog.text, F.text, not_command)
    m(typed_press, TipDialog.photos, F.text, TypedButton())  # 「完成」 typed
    m(tip_photo, TipDialog.photos, image)
    c(tip_photos_done, TipDialog.photos, StepCb.filter(F.action == "done"))
    m(tip_photo_expected, TipDialog.photos, not_command)
    c(tip_confirm, TipDialog.review, StepCb.filter(F.action == "confirm"))
    c(discard, TipDialog.review, StepCb.filter(F.action == "discard"))
    m(follow_receipt, FollowDialog.receipt, F.text, not_command)
    c(follow_add, FollowCb.filter(F.action == "add"))
    c(follow_page, PageCb.filter(F.view == "fl"))
    m(follow_message, FollowDialog.message, F.text | F.photo | F.document, not_command)
    return router
