"""The inbox: every update that needs an answer, kept from its arrival until it is answered.

Telegram forgets an update once the bot confirms it (polling: a later getUpdates
offset; webhook: a 200 response), and python-telegram-bot confirms an update when it
fetches it, not when it has answered it. The inbox closes that gap: an update is
written here before it is confirmed and marked done once its reply has been sent;
what is still unfinished at start-up is answered first. An update id the inbox has
already seen is never admitted again (a re-delivery after a crash, a webhook retry),
which makes Telegram's at-least-once delivery effectively once.

Privacy: an unfinished row holds only what answering needs (:func:`minimal_update`:
the chat id, the sender's id, the text or the button's data). Once answered, the row
keeps the update id and the time it was done, so that a late re-delivery is
recognised, and nothing else: the rest is deleted with SQLite's ``secure_delete``
(overwritten with zeros), and the write-ahead log, which still holds the deleted
bytes, is truncated whenever no update is left unfinished. Done rows are deleted
after two days (Telegram keeps an unconfirmed update for at most 24 hours).

Cost: writes are batched. Everything that arrives while a transaction runs goes into
the next one (group commit), so a getUpdates batch of up to 100 updates is one
transaction with one fsync, and the done marks of the replies sent meanwhile are one
more transaction, without an fsync (a done mark lost to a power cut means one answer
sent twice, never one lost).

This module is storage only: it never imports ``telegram``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "DONE_KEPT_SECONDS",
    "Inbox",
    "InboxWriter",
    "Unfinished",
    "inbox_path_for",
    "minimal_update",
]

logger = logging.getLogger(__name__)

#: How long the id of an answered update is remembered: Telegram re-delivers an
#: unconfirmed update, or retries a webhook, for at most 24 hours.
DONE_KEPT_SECONDS = 2 * 24 * 3600
_PURGE_EVERY_SECONDS = 3600
#: The write-ahead log is truncated when the inbox empties; this caps it in between.
_WAL_SIZE_LIMIT = 4 * 1024 * 1024
_SCHEMA = """
CREATE TABLE IF NOT EXISTS inbox (
    update_id INTEGER PRIMARY KEY, -- Telegram's update id
    payload TEXT,                  -- minimal update JSON; NULL once answered
    done_at INTEGER                -- unix time of the answer; NULL while unanswered
);
"""


def inbox_path_for(data_path: Path) -> Path:
    """The inbox file that goes with the question log at ``data_path``.

    A file of its own, next to the log: it is written on every update, and a broken
    inbox must never take the question log down with it (nor the other way round).
    """
    return data_path.with_name(f"{data_path.stem}-inbox{data_path.suffix or '.sqlite3'}")


# -- what is kept ------------------------------------------------------------------------


def _user(data: Mapping[str, Any]) -> dict[str, Any]:
    # The id decides admin rights and flood control; names are not needed to answer.
    return {"id": data["id"], "is_bot": bool(data.get("is_bot", False)), "first_name": ""}


def _chat(data: Mapping[str, Any]) -> dict[str, Any]:
    return {"id": data["id"], "type": data["type"]}


def _message(data: Mapping[str, Any]) -> dict[str, Any] | None:
    text = data.get("text")
    if not isinstance(text, str):
        # Stickers, photos, voice notes get a fixed notice; contacts and locations are
        # personal data. None of them is kept: a crash may cost the notice, nothing more.
        return None
    kept: dict[str, Any] = {
        "message_id": data["message_id"],
        "date": data["date"],
        "chat": _chat(data["chat"]),
        "text": text,
    }
    if isinstance(data.get("from"), Mapping):
        kept["from"] = _user(data["from"])
    for key in ("edit_date", "message_thread_id", "is_topic_message"):
        if key in data:
            kept[key] = data[key]
    # Only a command's entity matters to the handlers; a text mention carries a user.
    commands = [
        {"type": e["type"], "offset": e["offset"], "length": e["length"]}
        for e in data.get("entities") or ()
        if isinstance(e, Mapping) and e.get("type") == "bot_command"
    ]
    if commands:
        kept["entities"] = commands
    return kept


def _callback_query(data: Mapping[str, Any]) -> dict[str, Any] | None:
    message = data.get("message")
    if not isinstance(message, Mapping) or not message.get("date"):
        # A press on an inline message, or on a message too old to reply to.
        return None
    kept: dict[str, Any] = {
        "id": data["id"],
        "from": _user(data["from"]),
        "chat_instance": data.get("chat_instance", ""),
        "message": {
            "message_id": message["message_id"],
            "date": message["date"],
            "chat": _chat(message["chat"]),
        },
    }
    if "data" in data:
        kept["data"] = data["data"]
    for key in ("message_thread_id", "is_topic_message"):
        if key in message:
            kept["message"][key] = message[key]
    return kept


def minimal_update(data: Mapping[str, Any]) -> dict[str, Any] | None:
    """What the inbox keeps of an update (Bot API JSON), or None when it keeps nothing.

    Kept: text messages (new or edited) and button presses, reduced to what the
    handlers read: the chat's id and type, the sender's id, the text and its command
    entity, or the button's data. Names, usernames, language, replies and every other
    field are dropped. Not kept (answered live only): inline queries, which Telegram
    expires within seconds, non-text messages, and updates the bot does not answer.
    """
    try:
        update_id = data["update_id"]
        for key in ("message", "edited_message"):
            if isinstance(data.get(key), Mapping):
                message = _message(data[key])
                return None if message is None else {"update_id": update_id, key: message}
        if isinstance(data.get("callback_query"), Mapping):
            query = _callback_query(data["callback_query"])
            return None if query is None else {"update_id": update_id, "callback_query": query}
    except (KeyError, TypeError):
        # Not shaped as Telegram documents it: answered live, never stored.
        return None
    return None


# -- the store ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Unfinished:
    """An update the inbox holds that has not been answered yet."""

    update_id: int
    payload: str
    """The minimal update as JSON."""


class Inbox:
    """The inbox in one SQLite file; safe to call from several threads.

    Raises :class:`sqlite3.Error` (from the constructor and every method) when the file
    is corrupted, locked by another process, or unwritable; callers decide what a
    failure costs (see :class:`InboxWriter`).
    """

    def __init__(self, path: Path, clock: Callable[[], float] = time.time) -> None:
        """Open (creating if needed) the inbox at ``path``, check it, forget old done ids.

        Raises:
            sqlite3.Error: the file is not a usable SQLite database, or is locked.
        """
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._clock = clock
        self._lock = threading.Lock()
        # A short busy timeout: a locked file delays an update by a second at most.
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=1.0)
        try:
            self._db.execute("PRAGMA journal_mode=WAL")
            # Deleted questions are overwritten with zeros, not just unlinked.
            self._db.execute("PRAGMA secure_delete=ON")
            self._db.execute(f"PRAGMA journal_size_limit={_WAL_SIZE_LIMIT}")
            self._db.executescript(_SCHEMA)
            [(check,)] = self._db.execute("PRAGMA quick_check").fetchall()
            if check != "ok":
                raise sqlite3.DatabaseError(f"the inbox file is damaged: {check}")
            [(count,)] = self._db.execute(
                "SELECT count(*) FROM inbox WHERE done_at IS NULL"
            ).fetchall()
            self._unfinished = int(count)
            self._synchronous = ""
            self._last_purge = 0.0
            self._purge_locked()
        except sqlite3.Error:
            self._db.close()
            raise

    @property
    def unfinished_count(self) -> int:
        """How many updates wait for their answer."""
        return self._unfinished

    def close(self) -> None:
        """Close the file."""
        with self._lock:
            self._db.close()

    def unfinished(self) -> list[Unfinished]:
        """The updates not answered yet, oldest (lowest update id) first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT update_id, payload FROM inbox WHERE done_at IS NULL ORDER BY update_id"
            ).fetchall()
        return [Unfinished(int(update_id), str(payload)) for update_id, payload in rows]

    def write(
        self, admitted: Sequence[tuple[int, str]], finished: Sequence[int] = ()
    ) -> list[bool]:
        """Admit new updates and mark answered ones done, in one transaction.

        Args:
            admitted: ``(update id, minimal update JSON)`` of updates just received.
            finished: ids of updates whose reply has been sent.

        Returns:
            For each admitted update, True if it is new; False if the inbox already
            holds that id (waiting, or answered): it must not be answered again.
        """
        with self._lock:
            # An admitted update must survive a power cut before Telegram forgets it:
            # fsync. A done mark may be lost to one (the answer is sent twice): no fsync.
            self._set_synchronous("FULL" if admitted else "NORMAL")
            self._db.execute("BEGIN IMMEDIATE")
            try:
                new = [
                    self._db.execute(
                        "INSERT OR IGNORE INTO inbox (update_id, payload) VALUES (?, ?)",
                        (update_id, payload),
                    ).rowcount
                    == 1
                    for update_id, payload in admitted
                ]
                done = 0
                if finished:
                    now = int(self._clock())
                    done = self._db.executemany(
                        "UPDATE inbox SET payload = NULL, done_at = ? "
                        "WHERE update_id = ? AND done_at IS NULL",
                        [(now, update_id) for update_id in finished],
                    ).rowcount
                self._db.execute("COMMIT")
            except BaseException:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise
            self._unfinished += sum(new) - done
            if done and self._unfinished == 0:
                # Nothing waits: drop the log's copies of the questions just deleted.
                self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            if self._clock() - self._last_purge > _PURGE_EVERY_SECONDS:
                self._purge_locked()
        return new

    def purge(self) -> int:
        """Forget the ids of updates answered more than two days ago; return how many."""
        with self._lock:
            return self._purge_locked()

    def _purge_locked(self) -> int:
        self._set_synchronous("NORMAL")
        cutoff = int(self._clock()) - DONE_KEPT_SECONDS
        cursor = self._db.execute("DELETE FROM inbox WHERE done_at < ?", (cutoff,))
        self._last_purge = self._clock()
        return cursor.rowcount

    def _set_synchronous(self, level: str) -> None:
        if level != self._synchronous:
            self._db.execute(f"PRAGMA synchronous={level}")
            self._synchronous = level


_Admitted = asyncio.Future[list[bool] | None]
_MAX_UNSAVED_DONE = 100_000


def _resolve(future: _Admitted, flags: list[bool] | None) -> None:
    if not future.done():  # a caller cancelled (shutdown) no longer waits
        future.set_result(flags)


class InboxWriter:
    """The inbox for the event loop: written by a thread of its own, batched (group commit).

    The thread writes as soon as something is handed over, without waiting for the
    event loop; whatever arrives while it writes goes into its next transaction, so
    the number of transactions adapts to the load: one per update when the bot is
    idle, one per batch under a burst. (Its own thread, too, so that a done mark never
    queues behind other work: a reply sent but not yet marked done when the process
    dies is sent again after the restart.)

    A failed write is logged (once, until writes work again) and never raised: the
    bot goes on answering, without the guarantee for the updates that could not be
    written; done marks that could not be written are tried again with the next write.
    """

    def __init__(self, inbox: Inbox) -> None:
        self.inbox = inbox
        self._lock = threading.Lock()
        self._admits: list[tuple[Sequence[tuple[int, str]], _Admitted]] = []
        self._finished: list[int] = []
        # Done marks a failed write could not store, retried with the next write.
        self._unsaved: list[int] = []
        self._writing = False
        self._failing = False
        self._closed = False
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="inbox")

    async def admit(self, items: Sequence[tuple[int, str]]) -> list[bool] | None:
        """Write new updates durably; return :meth:`Inbox.write`'s flags, None on failure."""
        future: _Admitted = asyncio.get_running_loop().create_future()
        with self._lock:
            self._admits.append((items, future))
            self._wake_locked()
        return await future

    def finish(self, update_id: int) -> None:
        """Mark an update done (written right away, with whatever else is waiting)."""
        with self._lock:
            self._finished.append(update_id)
            self._wake_locked()

    async def flushed(self) -> None:
        """Wait until everything handed over so far has been written (or has failed)."""
        if not self._closed:
            # The thread runs one job at a time, in order: this one runs after the writes.
            await asyncio.wrap_future(self._thread.submit(lambda: None))

    async def close(self) -> None:
        """Write what is pending, then close the file (a second call does nothing)."""
        if self._closed:
            return
        await self.flushed()
        with self._lock:
            self._closed = True
        self.inbox.close()
        self._thread.shutdown(wait=False)

    def _wake_locked(self) -> None:
        if self._closed:
            # Handed over after the shutdown: left unfinished, answered after a restart
            # at worst twice, never lost.
            logger.debug("the inbox is closed; an update stays unfinished")
            return
        if not self._writing:
            self._writing = True
            self._thread.submit(self._write_all)

    def _write_all(self) -> None:
        """In the inbox thread: write until nothing new has been handed over."""
        while True:
            with self._lock:
                if not self._admits and not self._finished:
                    self._writing = False
                    return
                admits, self._admits = self._admits, []
                finished, self._finished = self._unsaved + self._finished, []
                self._unsaved = []
            items = [item for batch, _ in admits for item in batch]
            flags: list[bool] | None
            try:
                flags = self.inbox.write(items, finished)
            except sqlite3.Error as error:
                flags = None
                if not self._failing:
                    logger.warning(
                        "could not write the inbox %s (%s): updates are answered, but a crash "
                        "now may lose the ones not answered yet",
                        self.inbox.path,
                        error,
                    )
                self._failing = True
                with self._lock:
                    # Kept for the next write, within reason: a mark lost means one
                    # answer sent twice after a restart, never one lost.
                    self._unsaved = (finished + self._unsaved)[-_MAX_UNSAVED_DONE:]
            else:
                if self._failing:
                    logger.warning("the inbox %s works again", self.inbox.path)
                self._failing = False
            start = 0
            for batch, future in admits:
                result = None if flags is None else flags[start : start + len(batch)]
                with contextlib.suppress(RuntimeError):  # the loop is closed: nobody waits
                    future.get_loop().call_soon_threadsafe(_resolve, future, result)
                start += len(batch)
