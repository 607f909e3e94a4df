"""Per-user flood control."""

from __future__ import annotations

from bot.flood import FloodGuard, Verdict


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_burst_gets_one_notice_then_silence_then_answers_again() -> None:
    clock = Clock()
    guard = FloodGuard(limit=3, window=10.0, clock=clock)
    verdicts = [guard.check("ann") for _ in range(6)]
    assert verdicts == [
        Verdict.ANSWER,
        Verdict.ANSWER,
        Verdict.ANSWER,
        Verdict.NOTIFY,
        Verdict.DROP,
        Verdict.DROP,
    ]
    clock.now = 10.5
    assert guard.check("ann") is Verdict.ANSWER


def test_users_are_counted_apart() -> None:
    guard = FloodGuard(limit=1, window=10.0, clock=Clock())
    assert guard.check("ann") is Verdict.ANSWER
    assert guard.check("ann") is Verdict.NOTIFY
    assert guard.check("bob") is Verdict.ANSWER


def test_memory_is_bounded() -> None:
    guard = FloodGuard(limit=1, window=10.0, max_users=2, clock=Clock())
    for user in ("a", "b", "c"):
        guard.check(user)
    # "a" was forgotten, so it starts afresh.
    assert guard.check("a") is Verdict.ANSWER
