"""A private record of what patients ask, for the admins who improve the knowledge.

One SQLite table, one row per question: the hour it was asked, whether it was
answered, which entries answered it, the text of the question only when it went
unanswered (normalized: lowercase words), and the helpful / not-helpful vote of
that answer. Nothing identifies a person: no user id, chat id, name or message id
is ever written, and the vote buttons carry a random token instead. Rows older
than the retention period are deleted.
"""

from __future__ import annotations

import math
import secrets
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

__all__ = ["DEFAULT_DATA_PATH", "QuestionLog", "Stats", "UnansweredQuestion", "sparkline"]

DEFAULT_DATA_PATH = Path("data") / "questions.sqlite3"
_HOUR = 3600
_DAY = 24 * _HOUR
_MAX_QUESTION_CHARS = 300
_MAX_TREND_POINTS = 60
_BARS = "\u2581\u2582\u2583\u2584\u2585\u2586\u2587\u2588"


def sparkline(values: list[float], top: float | None = None) -> str:
    """Draw values as a line of block characters, the highest (or ``top``) as a full block.

    Args:
        values: the values, in order; none negative.
        top: the value drawn as a full block (default: the largest value).

    Returns:
        One character per value; zero is the lowest block, so every point shows.
    """
    ceiling = top if top is not None else max(values, default=0)
    if ceiling <= 0:
        return _BARS[0] * len(values)
    last = len(_BARS) - 1
    return "".join(_BARS[min(last, round(v / ceiling * last))] for v in values)


_SCHEMA = """
CREATE TABLE IF NOT EXISTS questions (
    token TEXT PRIMARY KEY,      -- random; carried by the vote buttons, links to no one
    asked_hour INTEGER NOT NULL, -- unix time rounded down to the hour
    answered INTEGER NOT NULL,   -- 1 when the reply gave at least one entry
    entries TEXT NOT NULL,       -- space-separated entry keys of the reply
    question TEXT,               -- normalized text, only for unanswered questions
    vote INTEGER,                -- NULL, 1 helpful, 0 not helpful
    handled INTEGER              -- 1 once an admin taught the knowledge this question
);
CREATE INDEX IF NOT EXISTS questions_by_hour ON questions (asked_hour);
"""


@dataclass(frozen=True)
class UnansweredQuestion:
    """An unanswered question as the admins see it."""

    asked_hour: int
    question: str
    token: str = ""
    """The row's random token, for a button that teaches the knowledge this question."""

    @property
    def when(self) -> str:
        """The hour it was asked, as ``YYYY-MM-DD HH:00`` (UTC)."""
        return time.strftime("%Y-%m-%d %H:00", time.gmtime(self.asked_hour))


@dataclass(frozen=True)
class Stats:
    """What was asked in a window of days."""

    days: int
    questions: int
    answered: int
    top_entries: tuple[tuple[str, int], ...]
    top_unanswered: tuple[tuple[str, int], ...]
    not_helpful: tuple[tuple[str, int], ...]
    helpful_votes: int
    not_helpful_votes: int
    trend: tuple[tuple[int, int], ...] = ()
    """Questions and answered questions per period, oldest first."""
    period_days: int = 1
    """The days each point of ``trend`` covers."""
    top_topics: tuple[tuple[str, int], ...] = ()
    """The topics asked most (the part of an entry key after the drug)."""

    @property
    def answered_share(self) -> float:
        """The share of questions that got an answer, 0 to 1."""
        return self.answered / self.questions if self.questions else 0.0

    def lines(self) -> list[str]:
        """Render the statistics as lines of plain text."""
        out = [
            f"Last {self.days} days: {self.questions} questions, "
            f"{self.answered_share:.0%} answered ({self.answered}).",
            *self.trend_lines(),
            f"Votes: {self.helpful_votes} helpful, {self.not_helpful_votes} not helpful.",
            "Top entries:",
        ]
        out += [f"  {count} x {key}" for key, count in self.top_entries] or ["  none"]
        out.append("Most frequent unanswered questions:")
        out += [f"  {count} x {text}" for text, count in self.top_unanswered] or ["  none"]
        out.append("Entries with the most 'not helpful' votes:")
        out += [f"  {count} x {key}" for key, count in self.not_helpful] or ["  none"]
        return out

    def trend_lines(self) -> list[str]:
        """The trend as text sparklines: questions, share answered, topics asked most."""
        if not self.trend:
            return []
        per = "day" if self.period_days == 1 else f"{self.period_days} days"
        counts = [float(q) for q, _ in self.trend]
        shares = [a / q if q else 0.0 for q, a in self.trend]
        out = [
            f"Questions per {per}: {sparkline(counts)} "
            f"(oldest to now, {min(counts):.0f} to {max(counts):.0f})",
            f"Share answered:    {sparkline(shares, 1.0)} (full block: all answered)",
        ]
        if self.top_topics:
            out.append("Topics asked most:")
            most = self.top_topics[0][1]
            width = 10
            for topic, count in self.top_topics:
                bar = _BARS[-1] * max(1, math.ceil(count / most * width))
                out.append(f"  {bar} {count} {topic}")
        return out


class QuestionLog:
    """The question log in one SQLite file; safe to call from several threads."""

    def __init__(
        self,
        path: Path,
        retention_days: int = 90,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """Open (creating if needed) the database at ``path`` and delete expired rows.

        Args:
            path: the SQLite file; its folder is created if missing.
            retention_days: rows older than this many days are deleted.
            clock: the current unix time (tests pass a fake one).
        """
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.retention_days = retention_days
        self._clock = clock
        self._lock = threading.Lock()
        # A short busy timeout: a locked file delays a reply by a second at most.
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=1.0)
        self._db.execute("PRAGMA journal_mode=WAL")
        # NORMAL: a crash may lose the last few rows, never corrupt the file.
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(questions)")}
        if "handled" not in columns:
            # A log written before admins could teach from it.
            self._db.execute("ALTER TABLE questions ADD COLUMN handled INTEGER")
        self._last_purge = 0.0
        self.purge()

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._db.close()

    def _hour(self) -> int:
        return int(self._clock()) // _HOUR * _HOUR

    @staticmethod
    def new_token() -> str:
        """Return a random token for an answer's vote buttons (linked to no one)."""
        return secrets.token_urlsafe(9)

    def record(
        self, entries: tuple[str, ...], question: str | None, token: str | None = None
    ) -> str:
        """Record one question and return the token its vote buttons carry.

        Args:
            entries: the keys of the entries the reply gave (empty: unanswered).
            question: the normalized question text; stored only when unanswered.
            token: the token already on the reply's buttons (default: a new one).

        Returns:
            The random token naming this row, for the vote buttons.
        """
        token = token or self.new_token()
        answered = bool(entries)
        text = None if answered or not question else question[:_MAX_QUESTION_CHARS]
        with self._lock:
            self._db.execute(
                "INSERT INTO questions (token, asked_hour, answered, entries, question) "
                "VALUES (?, ?, ?, ?, ?)",
                (token, self._hour(), int(answered), " ".join(entries), text),
            )
        if self._clock() - self._last_purge > _HOUR:
            self.purge()
        return token

    def vote(self, token: str, helpful: bool) -> bool:
        """Count a vote on an answer, once per answer.

        Returns:
            True if counted; False if the answer was already voted on or is unknown
            (deleted by retention).
        """
        with self._lock:
            cursor = self._db.execute(
                "UPDATE questions SET vote = ? WHERE token = ? AND vote IS NULL AND answered = 1",
                (int(helpful), token),
            )
        return cursor.rowcount == 1

    def purge(self) -> int:
        """Delete rows older than the retention period; return how many were deleted."""
        cutoff = int(self._clock()) - self.retention_days * _DAY
        with self._lock:
            cursor = self._db.execute("DELETE FROM questions WHERE asked_hour < ?", (cutoff,))
        self._last_purge = self._clock()
        return cursor.rowcount

    def delete_all(self) -> int:
        """Delete every row (the README's "how to delete it"); return how many."""
        with self._lock:
            cursor = self._db.execute("DELETE FROM questions")
            self._db.execute("VACUUM")
        return cursor.rowcount

    def stats(self, days: int = 7, top: int = 5) -> Stats:
        """Summarise the last ``days`` days.

        Args:
            days: the window.
            top: how many rows each ranking keeps.

        Returns:
            Counts, top entries, most frequent unanswered questions and the entries
            with the most "not helpful" votes.
        """
        since = int(self._clock()) - days * _DAY
        with self._lock:
            rows = self._db.execute(
                "SELECT asked_hour, answered, entries, question, vote FROM questions "
                "WHERE asked_hour >= ?",
                (since,),
            ).fetchall()
        entries: Counter[str] = Counter()
        unanswered: Counter[str] = Counter()
        not_helpful: Counter[str] = Counter()
        votes: Counter[int] = Counter()
        topics: Counter[str] = Counter()
        periods = min(days, _MAX_TREND_POINTS)
        period_days = math.ceil(days / periods)
        periods = math.ceil(days / period_days)
        now = int(self._clock())
        trend = [[0, 0] for _ in range(periods)]
        for hour, answered, keys, question, vote in rows:
            # Periods of 24 hours (or several days) counted back from now, so that
            # together they cover exactly the window.
            index = max(0, periods - 1 - (now - hour) // (period_days * _DAY))
            trend[index][0] += 1
            trend[index][1] += int(bool(answered))
            if answered:
                entries.update(keys.split())
                topics.update({key.split(".", 1)[-1] for key in keys.split()})
            elif question:
                unanswered[question] += 1
            if vote is not None:
                votes[vote] += 1
                if vote == 0:
                    not_helpful.update(keys.split())
        return Stats(
            days=days,
            questions=len(rows),
            answered=sum(1 for row in rows if row[1]),
            top_entries=tuple(entries.most_common(top)),
            top_unanswered=tuple(unanswered.most_common(top)),
            not_helpful=tuple(not_helpful.most_common(top)),
            helpful_votes=votes[1],
            not_helpful_votes=votes[0],
            trend=tuple((q, a) for q, a in trend),
            period_days=period_days,
            top_topics=tuple(topics.most_common(top)),
        )

    def unanswered(self, limit: int = 20) -> list[UnansweredQuestion]:
        """Return the latest unanswered questions not handled yet, newest first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT asked_hour, question, token FROM questions WHERE answered = 0 "
                "AND question IS NOT NULL AND handled IS NULL "
                "ORDER BY asked_hour DESC, rowid DESC LIMIT ?",
                (limit,),
            ).fetchall()
        return [UnansweredQuestion(hour, text, token) for hour, text, token in rows]

    def unanswered_question(self, token: str) -> str | None:
        """The text of the unanswered question with this token, if it is still logged."""
        with self._lock:
            row = self._db.execute(
                "SELECT question FROM questions WHERE token = ? AND answered = 0",
                (token,),
            ).fetchone()
        return None if row is None else str(row[0])

    def mark_handled(self, question: str) -> int:
        """Mark every unanswered row of this question text handled; return how many."""
        with self._lock:
            cursor = self._db.execute(
                "UPDATE questions SET handled = 1 WHERE answered = 0 AND question = ?",
                (question,),
            )
        return cursor.rowcount
