"""A private record of what patients ask, for the admins who improve the knowledge.

One SQLite table, one row per question: the hour it was asked, whether it was
answered, which entries answered it, the text of the question only when it went
unanswered (normalized: lowercase words), and the helpful / not-helpful vote of
that answer. Nothing identifies a person: no user id, chat id, name or message id
is ever written, and the vote buttons carry a random token instead. Rows older
than the retention period are deleted.
"""

from __future__ import annotations

import secrets
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

__all__ = ["DEFAULT_DATA_PATH", "QuestionLog", "Stats", "UnansweredQuestion"]

DEFAULT_DATA_PATH = Path("data") / "questions.sqlite3"
_HOUR = 3600
_DAY = 24 * _HOUR
_MAX_QUESTION_CHARS = 300
_SCHEMA = """
CREATE TABLE IF NOT EXISTS questions (
    token TEXT PRIMARY KEY,      -- random; carried by the vote buttons, links to no one
    asked_hour INTEGER NOT NULL, -- unix time rounded down to the hour
    answered INTEGER NOT NULL,   -- 1 when the reply gave at least one entry
    entries TEXT NOT NULL,       -- space-separated entry keys of the reply
    question TEXT,               -- normalized text, only for unanswered questions
    vote INTEGER                 -- NULL, 1 helpful, 0 not helpful
);
CREATE INDEX IF NOT EXISTS questions_by_hour ON questions (asked_hour);
"""


@dataclass(frozen=True)
class UnansweredQuestion:
    """An unanswered question as the admins see it."""

    asked_hour: int
    question: str

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

    @property
    def answered_share(self) -> float:
        """The share of questions that got an answer, 0 to 1."""
        return self.answered / self.questions if self.questions else 0.0

    def lines(self) -> list[str]:
        """Render the statistics as lines of plain text."""
        out = [
            f"Last {self.days} days: {self.questions} questions, "
            f"{self.answered_share:.0%} answered ({self.answered}).",
            f"Votes: {self.helpful_votes} helpful, {self.not_helpful_votes} not helpful.",
            "Top entries:",
        ]
        out += [f"  {count} x {key}" for key, count in self.top_entries] or ["  none"]
        out.append("Most frequent unanswered questions:")
        out += [f"  {count} x {text}" for text, count in self.top_unanswered] or ["  none"]
        out.append("Entries with the most 'not helpful' votes:")
        out += [f"  {count} x {key}" for key, count in self.not_helpful] or ["  none"]
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
                "SELECT answered, entries, question, vote FROM questions WHERE asked_hour >= ?",
                (since,),
            ).fetchall()
        entries: Counter[str] = Counter()
        unanswered: Counter[str] = Counter()
        not_helpful: Counter[str] = Counter()
        votes: Counter[int] = Counter()
        for answered, keys, question, vote in rows:
            if answered:
                entries.update(keys.split())
            elif question:
                unanswered[question] += 1
            if vote is not None:
                votes[vote] += 1
                if vote == 0:
                    not_helpful.update(keys.split())
        return Stats(
            days=days,
            questions=len(rows),
            answered=sum(1 for row in rows if row[0]),
            top_entries=tuple(entries.most_common(top)),
            top_unanswered=tuple(unanswered.most_common(top)),
            not_helpful=tuple(not_helpful.most_common(top)),
            helpful_votes=votes[1],
            not_helpful_votes=votes[0],
        )

    def unanswered(self, limit: int = 20) -> list[UnansweredQuestion]:
        """Return the latest unanswered questions, newest first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT asked_hour, question FROM questions WHERE answered = 0 "
                "AND question IS NOT NULL ORDER BY asked_hour DESC, rowid DESC LIMIT ?",
                (limit,),
            ).fetchall()
        return [UnansweredQuestion(hour, text) for hour, text in rows]
