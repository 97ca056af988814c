"""What one /status costs the bot, in counts rather than times (benchmarks/status_update.py
has the times): SQL statements per update, each a round trip to the database, and no
pydantic class of aiogram's rebuilt after a garbage collection."""

import gc
import weakref

from aiogram.methods import Response
from aiogram.types import Message, Update
from sqlalchemy import event

from bot.emulator.harness import TgUser
from tests.conftest import grant, rows

OWNER = TgUser(970000101, "Wu", "Owner", "wu_owner", "en")
# Who is asking (user, roles and the enterprise they own), the profile's figures and lists.
STATEMENTS_PER_STATUS = 3


class Statements:
    def __init__(self, engine) -> None:
        self.engine = engine.sync_engine
        self.seen: list[str] = []

    def __enter__(self) -> list[str]:
        event.listen(self.engine, "before_cursor_execute", self._count)
        return self.seen

    def __exit__(self, *exc) -> None:
        event.remove(self.engine, "before_cursor_execute", self._count)

    def _count(self, _conn, _cursor, statement, *_rest) -> None:
        self.seen.append(statement)


async def test_status_card_costs_three_statements(local, seeded, county):
    enterprise = rows(county, "enterprises")[0]
    await grant(seeded, OWNER, "owner", enterprise["uscc"])
    await local.client.send(OWNER, "/status")  # the first: connections opened, caches warm
    for _ in range(3):
        with Statements(local.app.engine) as seen:
            reply = await local.client.send(OWNER, "/status")
        assert enterprise["name"] in reply.text and "indicators fulfilled" in reply.text
        assert len(seen) <= STATEMENTS_PER_STATUS, "\n".join(seen)


async def test_answer_classes_outlive_a_garbage_collection(local, seeded, county):
    await grant(seeded, OWNER, "owner", rows(county, "enterprises")[0]["uscc"])
    await local.client.send(OWNER, "/status")  # a getUpdates and a sendMessage went through
    # Weak references only: what keeps the classes alive is the bot, not this test.
    kept = [weakref.ref(Response[Message]), weakref.ref(Response[list[Update]])]
    gc.collect()
    assert all(ref() is not None for ref in kept)
