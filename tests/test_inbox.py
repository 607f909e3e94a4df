"""The inbox store: what it keeps of an update, admission, done marks, privacy, batching."""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.inbox import (
    DONE_KEPT_SECONDS,
    Inbox,
    InboxWriter,
    Unfinished,
    inbox_path_for,
    minimal_update,
)

CHAT = 987_654_321
NAME = "Zelda"


def message(text: str | None = "grapefruit cyclosporine?", **extra: Any) -> dict[str, Any]:
    """A private-chat message as Telegram sends it, with every personal field filled in."""
    user = {
        "id": CHAT,
        "is_bot": False,
        "first_name": NAME,
        "last_name": "Fitzroy",
        "username": "zelda_f",
        "language_code": "en",
        "is_premium": True,
    }
    data: dict[str, Any] = {
        "message_id": 55,
        "date": 1_700_000_000,
        "chat": {"id": CHAT, "type": "private", "first_name": NAME, "username": "zelda_f"},
        "from": user,
        "reply_to_message": {"message_id": 54, "date": 1, "chat": {"id": CHAT, "type": "private"}},
        **extra,
    }
    if text is not None:
        data["text"] = text
    return data


KEPT_MESSAGE = {
    "message_id": 55,
    "date": 1_700_000_000,
    "chat": {"id": CHAT, "type": "private"},
    "from": {"id": CHAT, "is_bot": False, "first_name": ""},
    "text": "grapefruit cyclosporine?",
}
BUTTON_PRESS = {
    "id": "4000000001",
    "from": message()["from"],
    "chat_instance": "-77",
    "data": "e:cyclosporine.interactions",
    "message": {
        "message_id": 56,
        "date": 1_700_000_001,
        "chat": {"id": CHAT, "type": "private", "first_name": NAME},
        "from": {"id": 1, "is_bot": True, "first_name": "ITP Helper"},
        "text": "an earlier answer",
    },
}


@pytest.mark.parametrize(
    ("update", "kept"),
    [
        (
            {"update_id": 1, "message": message()},
            {"update_id": 1, "message": KEPT_MESSAGE},
        ),
        (
            {"update_id": 2, "edited_message": message(edit_date=1_700_000_100)},
            {"update_id": 2, "edited_message": {**KEPT_MESSAGE, "edit_date": 1_700_000_100}},
        ),
        (
            {
                "update_id": 3,
                "message": message(
                    "/stats 30 @zelda",
                    entities=[
                        {"type": "bot_command", "offset": 0, "length": 6},
                        {"type": "mention", "offset": 10, "length": 6},
                        {"type": "text_mention", "offset": 10, "length": 6, "user": {"id": 5}},
                    ],
                ),
            },
            {
                "update_id": 3,
                "message": {
                    **KEPT_MESSAGE,
                    "text": "/stats 30 @zelda",
                    "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
                },
            },
        ),
        (
            {"update_id": 4, "message": message(message_thread_id=9, is_topic_message=True)},
            {
                "update_id": 4,
                "message": {**KEPT_MESSAGE, "message_thread_id": 9, "is_topic_message": True},
            },
        ),
        (
            {"update_id": 5, "callback_query": BUTTON_PRESS},
            {
                "update_id": 5,
                "callback_query": {
                    "id": "4000000001",
                    "from": {"id": CHAT, "is_bot": False, "first_name": ""},
                    "chat_instance": "-77",
                    "data": "e:cyclosporine.interactions",
                    "message": {
                        "message_id": 56,
                        "date": 1_700_000_001,
                        "chat": {"id": CHAT, "type": "private"},
                    },
                },
            },
        ),
    ],
    ids=["message", "edited", "command", "topic", "button"],
)
def test_minimal_update_keeps_what_answering_needs_and_nothing_else(
    update: dict[str, Any], kept: dict[str, Any]
) -> None:
    assert minimal_update(update) == kept
    text = json.dumps(minimal_update(update))
    for personal in (NAME, "Fitzroy", "zelda_f", "language_code", "is_premium", "reply_to"):
        assert personal not in text


@pytest.mark.parametrize(
    "update",
    [
        {"update_id": 1, "message": message(None, sticker={"file_id": "x"})},
        {"update_id": 2, "message": message(None, contact={"phone_number": "+100"})},
        {"update_id": 3, "message": message(None, new_chat_members=[{"id": 5}])},
        {"update_id": 4, "inline_query": {"id": "1", "from": {"id": 1}, "query": "imuran"}},
        {"update_id": 5, "callback_query": {**BUTTON_PRESS, "message": None}},
        {"update_id": 6, "callback_query": {**BUTTON_PRESS, "message": {"date": 0}}},
        {"update_id": 7, "my_chat_member": {"chat": {"id": 1}}},
        {"update_id": 8, "message": {"text": "no chat"}},
        {"update_id": 9, "message": {**message(), "chat": "not an object"}},
        {"message": message()},
    ],
    ids=[
        "sticker",
        "contact",
        "status",
        "inline",
        "inline-button",
        "old-button",
        "member",
        "no-chat",
        "bad-chat",
        "no-id",
    ],
)
def test_minimal_update_keeps_nothing_of_other_updates(update: dict[str, Any]) -> None:
    assert minimal_update(update) is None


def test_inbox_path_sits_next_to_the_question_log() -> None:
    assert inbox_path_for(Path("data/questions.sqlite3")) == Path("data/questions-inbox.sqlite3")
    assert inbox_path_for(Path("/srv/log")) == Path("/srv/log-inbox.sqlite3")


# ------------------------------------------------------------------------- the store


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def inbox(tmp_path: Path, clock: Clock) -> Iterator[Inbox]:
    store = Inbox(tmp_path / "data" / "q-inbox.sqlite3", clock=clock)
    yield store
    store.close()


def item(update_id: int, text: str = "imuran") -> tuple[int, str]:
    update = {"update_id": update_id, "message": {**KEPT_MESSAGE, "text": text}}
    return update_id, json.dumps(update)


def test_admitted_updates_wait_oldest_first_until_done(inbox: Inbox) -> None:
    assert inbox.write([item(12), item(10), item(11)]) == [True, True, True]
    assert inbox.unfinished_count == 3

    assert inbox.write([], [11]) == []

    assert inbox.unfinished() == [Unfinished(10, item(10)[1]), Unfinished(12, item(12)[1])]
    assert inbox.unfinished_count == 2


def test_an_update_seen_before_is_never_admitted_again(inbox: Inbox) -> None:
    inbox.write([item(1), item(2)])
    inbox.write([], [1])

    # 1 was answered, 2 waits, 3 is new; a batch may mix them.
    assert inbox.write([item(1), item(2), item(3)]) == [False, False, True]
    assert [u.update_id for u in inbox.unfinished()] == [2, 3]
    assert inbox.unfinished_count == 2


def test_done_twice_or_unknown_changes_nothing(inbox: Inbox) -> None:
    inbox.write([item(1)], [])
    inbox.write([], [1, 1, 99])
    inbox.write([], [1])

    assert inbox.unfinished() == []
    assert inbox.unfinished_count == 0


def test_admitted_updates_survive_a_crash(tmp_path: Path, clock: Clock) -> None:
    path = tmp_path / "inbox.sqlite3"
    first = Inbox(path, clock=clock)
    first.write([item(1), item(2)])
    first.write([], [1])
    # No close(): the process died. A new process opens the same file.
    second = Inbox(path, clock=clock)
    try:
        assert second.unfinished_count == 1
        assert [u.update_id for u in second.unfinished()] == [2]
        assert second.write([item(1), item(2)]) == [False, False]
    finally:
        first.close()
        second.close()


def test_done_ids_are_forgotten_after_two_days(inbox: Inbox, clock: Clock) -> None:
    inbox.write([item(1), item(2)])
    inbox.write([], [1])
    clock.now += DONE_KEPT_SECONDS - 1
    assert inbox.purge() == 0
    clock.now += 2

    assert inbox.purge() == 1
    # The waiting one is never purged, however old.
    assert [u.update_id for u in inbox.unfinished()] == [2]


def test_purge_runs_by_itself_within_an_hour(inbox: Inbox, clock: Clock) -> None:
    inbox.write([item(1)], [])
    inbox.write([], [1])
    clock.now += DONE_KEPT_SECONDS + 3601

    inbox.write([item(2)])

    # Id 1 was forgotten: it would be admitted as new (Telegram never reuses it so late).
    assert inbox.write([item(1)]) == [True]


def test_answered_questions_leave_no_trace_in_the_files(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    store = Inbox(folder / "q-inbox.sqlite3")
    try:
        for update_id in range(1, 301):
            store.write([item(update_id, f"secret question number {update_id}")])
            if update_id % 7 == 0:
                store.write([], range(update_id - 6, update_id + 1))
        # Still waiting: the question is in the files.
        raw = b"".join(p.read_bytes() for p in folder.iterdir())
        assert b"secret question number 300" in raw

        store.write([], [295, 296, 297, 298, 299, 300])

        raw = b"".join(p.read_bytes() for p in folder.iterdir())
        assert b"secret question" not in raw
        assert str(CHAT).encode() not in raw
        assert (folder / "q-inbox.sqlite3-wal").stat().st_size == 0
    finally:
        store.close()


BREAKAGES: dict[str, Callable[[Path], None]] = {
    "not-a-database": lambda path: path.write_bytes(b"this is not a database " * 200),
    "truncated": lambda path: path.write_bytes(path.read_bytes()[:1500]),
    "damaged-pages": lambda path: path.write_bytes(
        path.read_bytes()[:4096] + b"\xff" * (path.stat().st_size - 4096)
    ),
}


@pytest.mark.parametrize("breakage", BREAKAGES.values(), ids=BREAKAGES.keys())
def test_a_damaged_file_is_refused_when_opened(
    tmp_path: Path, breakage: Callable[[Path], None]
) -> None:
    path = tmp_path / "inbox.sqlite3"
    store = Inbox(path)
    store.write([item(i) for i in range(1, 200)])
    store.close()
    breakage(path)

    with pytest.raises(sqlite3.DatabaseError):
        Inbox(path)


def test_a_locked_file_is_refused_when_opened(tmp_path: Path) -> None:
    path = tmp_path / "inbox.sqlite3"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            Inbox(path)
    finally:
        holder.close()


# ----------------------------------------------------------------------- the writer


class Gated(Inbox):
    """An inbox that counts its transactions; the first one waits for the gate to open."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.transactions: list[tuple[int, int]] = []
        self.gate = threading.Event()
        self.waiting = threading.Event()

    def write(self, admitted: Any, finished: Any = ()) -> list[bool]:
        if not self.transactions:
            self.waiting.set()
            assert self.gate.wait(10)
        self.transactions.append((len(admitted), len(finished)))
        return super().write(admitted, finished)


async def test_writes_arriving_during_a_write_share_the_next_transaction(tmp_path: Path) -> None:
    store = Gated(tmp_path / "inbox.sqlite3")
    writer = InboxWriter(store)
    writer.finish(999)  # the thread is busy writing this one until the gate opens
    assert await asyncio.to_thread(store.waiting.wait, 10)
    admits = [asyncio.create_task(writer.admit([item(i)])) for i in range(1, 51)]
    await asyncio.sleep(0)  # every admit handed over

    store.gate.set()

    assert await asyncio.gather(*admits) == [[True]] * 50
    assert store.transactions == [(0, 1), (50, 0)]
    for update_id in range(1, 51):
        writer.finish(update_id)
    await writer.flushed()
    assert sum(done for _, done in store.transactions) == 51
    assert len(store.transactions) <= 52
    assert store.unfinished_count == 0
    await writer.close()


async def test_a_failing_inbox_is_logged_once_and_answers_go_on(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = Inbox(tmp_path / "inbox.sqlite3")
    writer = InboxWriter(store)
    holder = sqlite3.connect(store.path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    try:
        with caplog.at_level(logging.WARNING, logger="bot.inbox"):
            assert await writer.admit([item(1)]) is None
            assert await writer.admit([item(2)]) is None
            holder.execute("ROLLBACK")
            assert await writer.admit([item(3)]) == [True]
    finally:
        holder.close()
        await writer.close()

    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 2, messages
    assert "could not write the inbox" in messages[0]
    assert "database is locked" in messages[0]
    assert "works again" in messages[1]


async def test_done_marks_a_failed_write_lost_are_written_with_the_next(tmp_path: Path) -> None:
    store = Inbox(tmp_path / "inbox.sqlite3")
    writer = InboxWriter(store)
    assert await writer.admit([item(1)]) == [True]
    holder = sqlite3.connect(store.path, isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")
        writer.finish(1)
        await writer.flushed()
        assert store.unfinished_count == 1  # not written: the file is locked
        holder.execute("ROLLBACK")
    finally:
        holder.close()

    assert await writer.admit([item(2)]) == [True]

    assert [u.update_id for u in store.unfinished()] == [2]
    await writer.close()
