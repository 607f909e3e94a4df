"""Durable delivery: every update that needs an answer is answered once, crash or not.

The inbox (:mod:`bot.inbox`) is hooked into python-telegram-bot at three places:

- :class:`DurableBot` writes what ``getUpdates`` fetched to the inbox before returning
  it; the Updater calls ``getUpdates`` again, with the offset that confirms those
  updates to Telegram, only after that. Updates the inbox has already seen are dropped.
- The webhook server (:mod:`bot.webhook`) calls :func:`admit_update` before its 200
  response, and confirms a retried update without answering it again.
- :class:`DeliveryProcessor` wraps the update processor: a question older than
  :data:`STALE_AFTER_SECONDS` gets an apology first, and once an update's handlers
  (the error handler included) have run, its inbox row is marked done.

:meth:`Delivery.replay` puts the updates left unfinished by the last run on the update
queue before polling or the webhook server starts, oldest first, so each chat's
updates keep their order. A corrupted, locked or unwritable inbox never stops the bot:
it says so at start-up (or when a write fails) and answers live updates without it.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import time
from collections.abc import Awaitable, Sequence
from pathlib import Path
from typing import Any

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import Application, BaseRateLimiter, BaseUpdateProcessor, ExtBot
from telegram.request import HTTPXRequest

from bot.inbox import Inbox, InboxWriter, minimal_update
from bot.settings import Settings

__all__ = [
    "STALE_AFTER_SECONDS",
    "Delivery",
    "DeliveryProcessor",
    "DurableBot",
    "admit_update",
    "build_bot",
    "late_notice",
]

logger = logging.getLogger(__name__)

#: A question this old when it is answered gets an apology before its answer.
STALE_AFTER_SECONDS = 6 * 3600
#: One apology per chat in this many seconds, however many late questions it had.
_APOLOGY_GAP_SECONDS = 600
_TELEGRAM_BASE_URL = "https://api.telegram.org/bot"
_TELEGRAM_BASE_FILE_URL = "https://api.telegram.org/file/bot"


def late_notice(age_seconds: float) -> str:
    """The apology sent before the answer to a question that waited too long."""
    hours = int(age_seconds // 3600)
    ago = f"{hours} hours" if hours < 48 else f"{hours // 24} days"
    return (
        f"Sorry for the late reply: I could not answer your message of about {ago} ago "
        "until now. Here is my answer."
    )


class Delivery:
    """The inbox as the Telegram edge uses it: admit, replay, apologise, mark done.

    ``writer`` is None when the inbox cannot be used: then every update is answered
    live, as without an inbox.
    """

    def __init__(self, writer: InboxWriter | None) -> None:
        self.writer = writer
        # Ids admitted or replayed in this run and not answered yet.
        self._waiting: set[int] = set()
        self._apologised: dict[int, float] = {}
        self._replayed = False

    @classmethod
    def open(cls, path: Path) -> Delivery:
        """Open the inbox at ``path`` and say at start-up what it holds or why it is off."""
        try:
            inbox = Inbox(path)
        except (sqlite3.Error, OSError) as error:
            logger.error(
                "the inbox %s cannot be used (%s): answering live updates only, so a crash "
                "loses the updates being answered. To start a new inbox, stop the bot and "
                "delete that file and its -wal and -shm files.",
                path,
                error,
            )
            return cls(None)
        if inbox.unfinished_count:
            logger.info(
                "inbox %s: %d update(s) left unanswered by the last run, answered first",
                path,
                inbox.unfinished_count,
            )
        else:
            logger.info("inbox %s: nothing left unanswered", path)
        return cls(InboxWriter(inbox))

    @property
    def waiting(self) -> int:
        """How many admitted or replayed updates have not been answered yet."""
        return len(self._waiting)

    async def admit(self, updates: Sequence[Update]) -> tuple[Update, ...]:
        """Write the updates that need an answer to the inbox; return those to answer.

        An update the inbox already holds (answered, or waiting for its answer) is left
        out. If the inbox cannot be written, every update is returned: answered live.
        """
        if self.writer is None or not updates:
            return tuple(updates)
        items: list[tuple[int, str]] = []
        for update in updates:
            kept = minimal_update(update.to_dict())
            if kept is not None:
                items.append((update.update_id, json.dumps(kept, separators=(",", ":"))))
        if not items:
            return tuple(updates)
        flags = await self.writer.admit(items)
        if flags is None:
            return tuple(updates)
        seen = set()
        for (update_id, _), new in zip(items, flags, strict=True):
            if new:
                self._waiting.add(update_id)
            else:
                seen.add(update_id)
        if seen:
            logger.info(
                "%d update(s) received again after they were answered or while they wait: "
                "not answered twice",
                len(seen),
            )
        return tuple(u for u in updates if u.update_id not in seen)

    async def replay(self, application: Application) -> int:  # type: ignore[type-arg]  # PTB's Application generics are too wide to spell out
        """Queue the updates the last run left unanswered, oldest first; return how many.

        Call it before polling or the webhook server starts, so that they go first.
        """
        if self.writer is None or self._replayed:
            return 0
        self._replayed = True
        try:
            rows = self.writer.inbox.unfinished()
        except sqlite3.Error as error:
            logger.error("could not read the inbox %s: %s", self.writer.inbox.path, error)
            return 0
        count = 0
        for row in rows:
            try:
                update = Update.de_json(json.loads(row.payload), application.bot)
            except Exception as error:  # whatever PTB cannot read is dropped, never fatal
                logger.warning("dropped an unreadable unanswered update: %s", type(error).__name__)
                self.writer.finish(row.update_id)
                continue
            self._waiting.add(row.update_id)
            await application.update_queue.put(update)
            count += 1
        if count:
            logger.info("answering %d update(s) left unanswered by the last run first", count)
        return count

    async def before(self, update: object) -> None:
        """Apologise before answering a question that waited too long (once a chat)."""
        if not isinstance(update, Update):
            return
        message = update.message or update.edited_message
        if message is None or message.text is None:
            return
        sent = message.edit_date or message.date
        age = time.time() - sent.timestamp()
        if age < STALE_AFTER_SECONDS:
            return
        now = time.monotonic()
        last = self._apologised.get(message.chat_id)
        if last is not None and now - last < _APOLOGY_GAP_SECONDS:
            return
        if len(self._apologised) > 1024:
            self._apologised = {
                chat: at for chat, at in self._apologised.items() if now - at < _APOLOGY_GAP_SECONDS
            }
        self._apologised[message.chat_id] = now
        await message.reply_text(late_notice(age), do_quote=False)

    def after(self, update: object) -> None:
        """Mark an update done: its handlers, the error handler included, have run."""
        if isinstance(update, Update) and update.update_id in self._waiting:
            self._waiting.discard(update.update_id)
            if self.writer is not None:
                self.writer.finish(update.update_id)

    async def close(self) -> None:
        """Write the pending done marks and close the inbox."""
        if self.writer is not None:
            await self.writer.close()


class DurableBot(ExtBot[int]):  # int: the rate limiter's per-call arguments (max retries)
    """An ExtBot whose ``get_updates`` makes what it fetched durable before returning it.

    python-telegram-bot confirms updates with the offset of its next ``getUpdates``
    call, which it makes only after this one returned: by then the updates are in
    the inbox. Updates the inbox already holds are not returned, and the offset of the
    next call confirms them anyway.
    """

    __slots__ = ("_delivery", "_next_offset")

    def __init__(self, delivery: Delivery, **options: Any) -> None:
        super().__init__(**options)
        # Underscored: python-telegram-bot freezes a bot's public attributes.
        self._delivery = delivery
        self._next_offset = 0

    @property
    def delivery(self) -> Delivery:
        """The inbox this bot writes fetched updates to."""
        return self._delivery

    async def get_updates(
        self, offset: int | None = None, *args: Any, **kwargs: Any
    ) -> tuple[Update, ...]:
        """Fetch updates, write those that need an answer to the inbox, return the new ones."""
        if offset is None or offset >= 0:
            offset = max(offset or 0, self._next_offset) or None
        updates = await super().get_updates(offset, *args, **kwargs)
        new = await self.delivery.admit(updates)
        if updates:
            self._next_offset = max(self._next_offset, max(u.update_id for u in updates) + 1)
        return new

    async def shutdown(self) -> None:
        """Write the pending done marks, close the inbox, then shut down as usual."""
        await self.delivery.close()
        await super().shutdown()


def build_bot(
    settings: Settings,
    rate_limiter: BaseRateLimiter[int],
    delivery: Delivery,
) -> DurableBot:
    """The bot for :class:`telegram.ext.ApplicationBuilder`: durable, rate limited."""
    base_url, base_file_url = _TELEGRAM_BASE_URL, _TELEGRAM_BASE_FILE_URL
    if settings.base_url is not None:
        base_url = settings.base_url
        base_file_url = settings.base_url.removesuffix("/bot") + "/file/bot"
    return DurableBot(
        delivery,
        token=settings.token,
        base_url=base_url,
        base_file_url=base_file_url,
        rate_limiter=rate_limiter,
        # The connection pools ApplicationBuilder would give a bot it builds itself.
        request=HTTPXRequest(connection_pool_size=256),
        get_updates_request=HTTPXRequest(connection_pool_size=1),
    )


async def admit_update(application: Application, update: Update) -> bool:  # type: ignore[type-arg]  # as above
    """Admit an update received by webhook; False if it must not be answered (again)."""
    bot = application.bot
    if not isinstance(bot, DurableBot):
        return True
    return bool(await bot.delivery.admit((update,)))


class DeliveryProcessor(BaseUpdateProcessor):
    """Wrap an update processor: apologise for late questions, then mark updates done.

    The inner processor decides when an update runs (its per-chat order included);
    the apology and the done mark happen inside that, right before and after the
    update's handlers.
    """

    def __init__(self, inner: BaseUpdateProcessor, delivery: Delivery) -> None:
        super().__init__(inner.max_concurrent_updates)
        self.inner = inner
        self.delivery = delivery

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Run the update through the inner processor, with the apology and the done mark."""
        await self.inner.do_process_update(update, self._delivered(update, coroutine))

    async def _delivered(self, update: object, coroutine: Awaitable[Any]) -> None:
        try:
            await self.delivery.before(update)
        except TelegramError as error:
            logger.warning("could not apologise for a late reply: %s", error)
        await coroutine
        self.delivery.after(update)

    async def initialize(self) -> None:
        """Initialize the inner processor."""
        await self.inner.initialize()

    async def shutdown(self) -> None:
        """Shut down the inner processor."""
        await self.inner.shutdown()
