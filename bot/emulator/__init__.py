"""The local Bot API emulator (tests and the offline demo)."""

from bot.emulator.server import Emulator

__all__ = ["Emulator"]
