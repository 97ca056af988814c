"""Shared by the tip dialogs: callback data, dialog states, the sealed tip reference."""

from __future__ import annotations

import base64

from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.state import State, StatesGroup
from cryptography.exceptions import InvalidTag

from domain.anonymity import TipKeys

UNLISTED = "unlisted"  # a tip's target kind: a workplace not in the register, named in the text
MAX_TOWNSHIPS = 40  # township buttons offered for it


class TargetCb(CallbackData, prefix="tt"):
    kind: str
    target_id: int


class TownshipCb(CallbackData, prefix="ttw"):
    """The township of a workplace that is not in the register."""

    code: str


class CategoryCb(CallbackData, prefix="tc"):
    category: str


class FollowCb(CallbackData, prefix="fu"):
    action: str  # add
    ref: str  # the tip's id sealed with the tip keys (fits Telegram's 64 bytes)


class TipDialog(StatesGroup):
    target = State()
    unlisted_name = State()  # a workplace not in the register: its name…
    township = State()  # …and its township, whose regulators receive the tip
    category = State()
    text = State()
    photos = State()
    review = State()


class FollowDialog(StatesGroup):
    receipt = State()
    message = State()


_REF = b"follow-ref"


def seal_ref(keys: TipKeys, tip_id: int) -> str:
    return base64.urlsafe_b64encode(keys.seal(str(tip_id).encode(), _REF)).decode().rstrip("=")


def open_ref(keys: TipKeys, ref: str) -> int | None:
    try:
        return int(keys.open(base64.urlsafe_b64decode(ref + "=" * (-len(ref) % 4)), _REF))
    except (ValueError, InvalidTag):
        return None
