"""Fuzzing the real dispatcher through the emulator (SQLite): at least 10,000 generated
updates per run across roles. No traceback or error is logged, every update is answered
(every button press too), no text goes over Telegram's limits, and after /cancel everyone's
/help works."""

import asyncio
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fuzzing import Action, Fuzzer, actions

# 10,000 updates, plus a /cancel and /help per person after each example.
EXAMPLES, PER_EXAMPLE = int(os.environ.get("FUZZ_EXAMPLES", 200)), 50


@pytest.fixture(scope="module")
def fuzzer(tmp_path_factory):
    loop = asyncio.new_event_loop()
    fz = Fuzzer(tmp_path_factory.mktemp("fuzz"))
    loop.run_until_complete(fz.start())
    yield loop, fz
    loop.run_until_complete(fz.stop())
    loop.close()


def test_generated_updates_never_break_the_bot(fuzzer):
    loop, fz = fuzzer
    cast = 6

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(st.lists(actions(cast), min_size=PER_EXAMPLE, max_size=PER_EXAMPLE), st.integers(0, 10**6))
    def play(batch, salt):
        async def run():
            fz.problems.clear()  # each example judged alone, so shrinking finds the smallest
            for n, a in enumerate(batch):
                await fz.act(a, salt + n)
            await fz.reset_all()

        loop.run_until_complete(run())
        assert not fz.problems, fz.problems[:5]

    play()
    assert fz.updates >= EXAMPLES * PER_EXAMPLE


def test_the_checks_catch_a_planted_fault(fuzzer):
    """The fuzz checks can fail: a bot that raises, leaves a press unanswered or ignores a
    message is reported for each."""
    loop, fz = fuzzer

    async def faulty(handler, update, data):
        if update.message and update.message.text == "💥":
            raise RuntimeError("planted")
        if update.message and update.message.text == "🙈":
            return None  # ignored: nothing answered
        if update.callback_query:
            return None  # a press left spinning
        return await handler(update, data)

    middleware = fz.run.app.dispatcher.update.outer_middleware
    middleware.register(faulty)
    fz.problems.clear()
    try:
        for action in (Action(1, "text", "💥"), Action(1, "text", "🙈"), Action(1, "forge", "pg:hz::0")):
            loop.run_until_complete(fz.act(action))
    finally:
        middleware.unregister(faulty)
    found = "\n".join(fz.problems)
    fz.problems.clear()
    assert "logged ERROR" in found and "no answer" in found and "callback not answered" in found
