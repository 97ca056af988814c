"""Send slots kept within Telegram's limits when a request is held up or fails: the window
guard (on a clock the test moves) and a chat's slot given back after a 5xx."""

import math

from notifications.pacing import LocalPacer, WindowGuard


class Clock:
    """Time that moves only when the guard sleeps; the sleeps are the guard's waits."""

    def __init__(self) -> None:
        self.now = 0.0
        self.waits: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.waits.append(round(seconds, 3))
        self.now += seconds


async def _send(guard: WindowGuard, clock: Clock, at: float, round_trip: float) -> None:
    clock.now = max(clock.now, at)
    entry = await guard.enter()
    clock.now += round_trip
    guard.leave(entry)


async def test_answers_on_time_cost_no_wait():
    clock = Clock()
    guard = WindowGuard(limit=3, clock=clock, sleep=clock.sleep)
    for n in range(9):  # 3 a second and a little, round trips of 0.1 s
        await _send(guard, clock, n * 0.34, 0.1)
    assert clock.waits == []


async def test_a_late_answer_holds_back_the_send_a_window_later():
    clock = Clock()
    guard = WindowGuard(limit=3, clock=clock, sleep=clock.sleep)
    await _send(guard, clock, 0.0, 0.1)  # the shortest round trip: 0.1 s
    await _send(guard, clock, 0.34, 0.5)  # held up: it may have arrived as late as 0.84 - 0.1
    await _send(guard, clock, 0.68, 0.1)
    await _send(guard, clock, 1.02, 0.1)  # a window after the first: free
    await _send(guard, clock, 1.36, 0.1)  # a window after the held one: waits for it
    assert clock.waits == [0.382]  # until 0.84 + 1 - (0.1 - 0.002)


async def test_a_send_never_answered_holds_back_for_a_few_seconds_at_most():
    clock = Clock()
    guard = WindowGuard(limit=1, clock=clock, sleep=clock.sleep)
    await guard.enter()  # never answered
    await guard.enter()
    assert math.isclose(sum(clock.waits), 6.0, abs_tol=0.01)  # STUCK, then one period


async def test_a_failed_send_gives_the_chat_its_slot_back():
    pacer = LocalPacer(b"k")
    assert (await pacer.reserve(1))[0]
    ok, wait = await pacer.reserve(1)
    assert not ok and wait > 1  # the chat's second
    await pacer.release(1)  # the send in that slot failed with a 5xx
    assert (await pacer.reserve(1))[0]
