"""Per-user flood control: one polite notice, then silence until the user slows down."""

from __future__ import annotations

import time
from collections import OrderedDict, deque
from collections.abc import Callable, Hashable
from enum import Enum

__all__ = ["FloodGuard", "Verdict"]


class Verdict(Enum):
    """What to do with a user's message."""

    ANSWER = "answer"
    NOTIFY = "notify"
    """Over the limit for the first time in this burst: say so once, do not answer."""
    DROP = "drop"
    """Still over the limit, already told: ignore the message."""


class FloodGuard:
    """Allow each user ``limit`` messages per ``window`` seconds.

    Messages over the limit are not answered; the first of a burst gets one notice.
    Only counts and times are kept, in memory, for the most recent ``max_users``.
    """

    def __init__(
        self,
        limit: int = 8,
        window: float = 10.0,
        max_users: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit = limit
        self.window = window
        self._max_users = max_users
        self._clock = clock
        self._recent: OrderedDict[Hashable, tuple[deque[float], bool]] = OrderedDict()

    def check(self, user: Hashable) -> Verdict:
        """Count one message of ``user`` and say whether to answer it.

        Args:
            user: the user's key.

        Returns:
            ANSWER under the limit; NOTIFY for the first message over it; DROP after.
        """
        now = self._clock()
        times, notified = self._recent.pop(user, (deque(), False))
        while times and now - times[0] > self.window:
            times.popleft()
        if len(times) < self.limit:
            times.append(now)
            self._recent[user] = (times, False)
            verdict = Verdict.ANSWER
        else:
            # Over the limit: the message is not counted, so a user who keeps
            # sending is answered again once the window has moved on.
            self._recent[user] = (times, True)
            verdict = Verdict.DROP if notified else Verdict.NOTIFY
        while len(self._recent) > self._max_users:
            self._recent.popitem(last=False)
        return verdict
