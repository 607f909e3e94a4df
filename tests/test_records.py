"""The private question log, against a real SQLite file in a temporary folder."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.cli import main
from bot.records import QuestionLog, sparkline

DAY = 24 * 3600
START = 1_800_000_000.0  # a fixed unix time, on an hour boundary


class FakeClock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def log(tmp_path: Path, clock: FakeClock) -> QuestionLog:
    return QuestionLog(tmp_path / "data" / "questions.sqlite3", retention_days=90, clock=clock)


def rows(path: Path) -> list[tuple[object, ...]]:
    with sqlite3.connect(path) as db:
        return db.execute(
            "SELECT asked_hour, answered, entries, question, vote FROM questions ORDER BY rowid"
        ).fetchall()


def test_records_answered_and_unanswered_questions(log: QuestionLog) -> None:
    log.record(("cyclosporine.interactions",), "grapefruit cyclosporine")
    log.record((), "how do i store imuran in summer")
    assert rows(log.path) == [
        (int(START), 1, "cyclosporine.interactions", None, None),
        (int(START), 0, "", "how do i store imuran in summer", None),
    ]


def test_time_is_rounded_down_to_the_hour(log: QuestionLog, clock: FakeClock) -> None:
    clock.now = START + 3599
    log.record((), "x")
    assert rows(log.path)[0][0] == int(START)


def test_one_vote_per_answer(log: QuestionLog) -> None:
    token = log.record(("dapsone.tests",), "dapsone g6pd")
    assert log.vote(token, helpful=False) is True
    assert log.vote(token, helpful=True) is False
    assert rows(log.path)[0][4] == 0
    unanswered = log.record((), "what is itp")
    assert log.vote(unanswered, helpful=True) is False
    assert log.vote("no-such-token", helpful=True) is False


def test_retention_deletes_old_rows(log: QuestionLog, clock: FakeClock) -> None:
    log.record(("dapsone.tests",), None)
    clock.now = START + 89 * DAY
    assert log.purge() == 0
    log.record(("sirolimus.tests",), None)
    clock.now = START + 91 * DAY
    assert log.purge() == 1
    assert [r[2] for r in rows(log.path)] == ["sirolimus.tests"]


def test_retention_runs_on_its_own_while_recording(log: QuestionLog, clock: FakeClock) -> None:
    log.record(("dapsone.tests",), None)
    clock.now = START + 100 * DAY
    log.record(("sirolimus.tests",), None)
    assert [r[2] for r in rows(log.path)] == ["sirolimus.tests"]


def test_stats_of_a_window(log: QuestionLog, clock: FakeClock) -> None:
    old = log.record(("azathioprine.tests",), None)
    log.vote(old, helpful=False)
    clock.now = START + 10 * DAY
    for _ in range(3):
        log.record(("cyclosporine.interactions",), None)
    token = log.record(("cyclosporine.interactions", "sirolimus.interactions"), None)
    log.vote(token, helpful=False)
    helpful = log.record(("dapsone.tests",), None)
    log.vote(helpful, helpful=True)
    log.record((), "how do i store imuran")
    log.record((), "how do i store imuran")
    log.record((), "what is itp")

    stats = log.stats(days=7)
    assert stats.questions == 8
    assert stats.answered == 5
    assert stats.answered_share == pytest.approx(5 / 8)
    assert stats.top_entries[0] == ("cyclosporine.interactions", 4)
    assert stats.top_unanswered == (("how do i store imuran", 2), ("what is itp", 1))
    assert stats.not_helpful == (
        ("cyclosporine.interactions", 1),
        ("sirolimus.interactions", 1),
    )
    assert (stats.helpful_votes, stats.not_helpful_votes) == (1, 1)
    assert stats.lines()[0] == "Last 7 days: 8 questions, 62% answered (5)."
    assert log.stats(days=30).questions == 9


def test_unanswered_lists_newest_first(log: QuestionLog, clock: FakeClock) -> None:
    log.record((), "first")
    clock.now += 2 * 3600
    log.record((), "second")
    log.record(("dapsone.tests",), "answered ones never appear")
    assert [q.question for q in log.unanswered()] == ["second", "first"]


def test_delete_all(log: QuestionLog) -> None:
    log.record((), "x")
    assert log.delete_all() == 1
    assert rows(log.path) == []


def test_stats_command_reads_the_log(
    tmp_path: Path, clock: FakeClock, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "q.sqlite3"
    log = QuestionLog(path)
    log.record(("cyclosporine.interactions",), None)
    log.record((), "how do i store imuran")
    log.close()
    assert main(["stats", "--data", str(path), "--days", "3"]) == 0
    out = capsys.readouterr().out
    assert "Last 3 days: 2 questions, 50% answered (1)." in out
    assert "1 x cyclosporine.interactions" in out
    assert "1 x how do i store imuran" in out
    assert main(["stats", "--data", str(path), "--unanswered", "5"]) == 0
    assert capsys.readouterr().out.rstrip().endswith("how do i store imuran")


def test_the_file_holds_no_column_for_people(log: QuestionLog) -> None:
    with sqlite3.connect(log.path) as db:
        columns = [row[1] for row in db.execute("PRAGMA table_info(questions)")]
    assert columns == [
        "token",
        "asked_hour",
        "answered",
        "entries",
        "question",
        "vote",
        "handled",
    ]


@pytest.mark.parametrize(
    ("values", "top", "expected"),
    [
        ([], None, ""),
        ([0, 0, 0], None, "\u2581\u2581\u2581"),
        ([0, 7, 14], None, "\u2581\u2585\u2588"),
        ([1, 2, 3, 4, 5, 6, 7, 8], 8, "\u2582\u2583\u2584\u2585\u2585\u2586\u2587\u2588"),
        ([0.5, 1.0], 1.0, "\u2585\u2588"),
    ],
)
def test_sparkline(values: list[float], top: float | None, expected: str) -> None:
    assert sparkline(values, top) == expected


def test_stats_trend_per_day_with_topics(log: QuestionLog, clock: FakeClock) -> None:
    # The first day of the window: 1 question, answered; the third: 4 questions, 2
    # answered; the last 24 hours: 2, both answered.
    clock.now = START + 4 * DAY + 3600
    log.record(("cyclosporine.interactions",), None)
    clock.now = START + 6 * DAY + 3600
    log.record(("cyclosporine.interactions", "sirolimus.interactions"), None)
    log.record(("dapsone.side-effects",), None)
    log.record((), "a")
    log.record((), "b")
    clock.now = START + 9 * DAY
    log.record(("azathioprine.side-effects",), None)
    log.record(("azathioprine.interactions",), None)

    stats = log.stats(days=5)

    assert stats.trend == ((1, 1), (0, 0), (4, 2), (0, 0), (2, 2))
    assert stats.top_topics == (("interactions", 3), ("side-effects", 2))
    assert stats.trend_lines() == [
        "Questions per day: \u2583\u2581\u2588\u2581\u2585 (oldest to now, 0 to 4)",
        "Share answered:    \u2588\u2581\u2585\u2581\u2588 (full block: all answered)",
        "Topics asked most:",
        "  " + "\u2588" * 10 + " 3 interactions",
        "  " + "\u2588" * 7 + " 2 side-effects",
    ]


def test_a_long_window_is_drawn_in_periods_of_several_days(log: QuestionLog) -> None:
    stats = log.stats(days=365)
    assert (len(stats.trend), stats.period_days) == (53, 7)
    assert stats.trend_lines()[0].startswith("Questions per 7 days: ")


def test_a_handled_question_leaves_the_unanswered_list(log: QuestionLog) -> None:
    first = log.record((), "can i drink wine on imuran")
    log.record((), "can i drink wine on imuran")
    log.record((), "what is itp")

    assert log.unanswered_question(first) == "can i drink wine on imuran"
    assert log.mark_handled("can i drink wine on imuran") == 2
    assert [q.question for q in log.unanswered()] == ["what is itp"]
    assert log.unanswered_question("no-such-token") is None


def test_a_log_from_before_teaching_gets_the_handled_column(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute(
            "CREATE TABLE questions (token TEXT PRIMARY KEY, asked_hour INTEGER NOT NULL, "
            "answered INTEGER NOT NULL, entries TEXT NOT NULL, question TEXT, vote INTEGER)"
        )
        db.execute("INSERT INTO questions VALUES ('t', 0, 0, '', 'old question', NULL)")

    log = QuestionLog(path, retention_days=10**6)

    assert [(q.question, q.token) for q in log.unanswered()] == [("old question", "t")]
    log.close()
