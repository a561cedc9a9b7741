"""The in-memory moving windows (handlers/channels/botframework/ratelimit.py), on a clock the test moves."""

from __future__ import annotations

import pytest
from limits import parse

from handlers.channels.botframework.ratelimit import MemoryWindows, RateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_moving_window_lets_the_amount_through_and_says_when_the_next_may_come() -> None:
    clock = Clock()
    windows = MemoryWindows(clock)
    rule = parse("3/minute")
    assert [windows.hit(rule, "client", "a") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert windows.hit(rule, "client", "a") == 60.0  # refused: counted nowhere, the oldest leaves in 60 s
    assert windows.hit(rule, "client", "b") == 0.0  # another key has its own window
    clock.now += 30
    assert windows.hit(rule, "client", "a") == 30.0
    clock.now += 30.001
    assert windows.hit(rule, "client", "a") == 0.0  # the first three left the window together
    assert windows.hit(rule, "conversation", "a") == 0.0  # and another rule counts apart


def test_the_window_moves_rather_than_resets() -> None:
    clock = Clock()
    windows = MemoryWindows(clock)
    rule = parse("2/minute")
    windows.hit(rule, "client", "a")
    clock.now += 40
    windows.hit(rule, "client", "a")
    clock.now += 21  # the first left the window, the second not
    assert windows.hit(rule, "client", "a") == 0.0
    assert windows.hit(rule, "client", "a") == pytest.approx(39.0)  # when the one at +40 s leaves


def test_a_rule_of_zero_refuses_everything_for_its_whole_window() -> None:
    windows = MemoryWindows(Clock())
    assert windows.hit(parse("0/minute"), "client", "a") == 60.0


def test_keys_whose_window_emptied_are_forgotten_and_the_number_kept_is_bounded() -> None:
    clock = Clock()
    windows = MemoryWindows(clock, max_keys=100)
    rule = parse("5/second")
    for i in range(1000):  # a flood of new addresses
        windows.hit(rule, "client", f"10.0.{i // 256}.{i % 256}")
    assert len(windows) == 100
    clock.now += 2
    windows.hit(rule, "client", "one more")
    assert len(windows) == 1


@pytest.mark.asyncio
async def test_the_limiter_refuses_with_429_and_retry_after_in_whole_seconds() -> None:
    limited: list[str] = []
    limiter = RateLimiter({"client": "2/minute"}, on_limited=limited.append)
    assert await limiter.check("client", "1.2.3.4") is None
    assert await limiter.check("client", "1.2.3.4") is None
    refused = await limiter.check("client", "1.2.3.4")
    assert refused is not None and refused.status == 429
    assert 59 <= int(refused.headers["Retry-After"]) <= 60
    assert limited == ["client"]
