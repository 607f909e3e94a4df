"""Load benchmark: the real bot answering many chats at once, against the fake Bot API.

Prints figures; asserts nothing (speed is measured here, never in a timed test).
Usage: ``python benchmarks/bench_load.py [--chats 1000] [--questions-per-chat 3]``.

The real application (:func:`bot.telegram_app.build_application` with Telegram's rate
limits lifted, real PTB polling and HTTP) runs against :class:`tests.fake_bot_api.
FakeBotApi` in the same process. Every question of every chat is pushed at once; the
benchmark then waits for the replies and reports their rate, their latency (push to
the matching ``sendMessage`` arriving at the fake server), whether every question was
answered exactly once and in order, and the peak memory.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import resource
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from telegram import Update  # noqa: E402  (after the path is set up)

from bot.inbox import Inbox  # noqa: E402
from bot.live import LiveKnowledge  # noqa: E402
from bot.settings import Settings  # noqa: E402
from bot.telegram_app import FLOOD_NOTICE, build_application  # noqa: E402
from tests import fake_bot_api  # noqa: E402
from tests.fake_bot_api import ApiCall, FakeBotApi  # noqa: E402

#: Questions asked in turn; each answer is told apart by how it begins.
QUESTIONS: dict[str, str] = {
    "imuran": "<b>Azathioprine</b>\n",
    "grapefruit cyclosporine?": (
        "<b>Cyclosporine: Interactions with food, herbs and medicines</b>\n"
    ),
    "dapsone g6pd": "<b>Dapsone: Tests before and during treatment</b>\n",
}
#: Telegram lets a bot send about 30 messages a second overall (and about one a second
#: to any one chat).
TELEGRAM_MESSAGES_PER_SECOND = 30
FIRST_CHAT = 100_000
STALL_SECONDS = 30.0


class _Counting(logging.Handler):
    """Counts warnings and errors (and keeps a few) instead of printing thousands."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.counts: Counter[str] = Counter()

    def emit(self, record: logging.LogRecord) -> None:
        detail = f" ({record.exc_info[1]!r})"[:120] if record.exc_info else ""
        self.counts[f"{record.levelname} {record.name}: {record.getMessage()}{detail}"] += 1


class _InboxCount:
    """Counts the inbox's transactions (and which thread writes them) during the load."""

    def __init__(self) -> None:
        self.transactions = self.synced = self.checkpoints = self.admitted = self.done = 0
        self.thread: int | None = None
        write = Inbox.write

        def counting(inbox: Inbox, admitted: Any, finished: Any = ()) -> list[bool]:
            self.thread = threading.get_native_id()
            flags = write(inbox, admitted, finished)
            self.transactions += 1
            self.synced += bool(admitted)
            self.admitted += sum(flags)
            self.done += len(finished)
            self.checkpoints += bool(finished) and inbox.unfinished_count == 0
            return flags

        Inbox.write = counting  # type: ignore[method-assign]  # the benchmark's own probe

    def bytes_written(self) -> int | None:
        """Bytes the inbox thread passed to write calls (Linux), None elsewhere."""
        try:
            text = Path(f"/proc/self/task/{self.thread}/io").read_text()
        except OSError:
            return None
        fields = dict(line.split(": ") for line in text.splitlines())
        return int(fields["wchar"])


def _max_rss_mb() -> float:
    # ru_maxrss is in kilobytes on Linux (bytes on macOS).
    scale = 1 if sys.platform == "darwin" else 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 2**20


def _process_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def _explain(chats: int, per_chat: int) -> None:
    print(f"Load benchmark: {chats} chats x {per_chat} questions, all pushed at once.")
    print(
        "What is measured: the real bot (python-telegram-bot polling, handlers, answers,\n"
        "question log, inbox, HTTP) with Telegram's rate limits lifted, talking to a fake\n"
        "Bot API server on 127.0.0.1. The fake server runs in this same process (its threads\n"
        "share the interpreter with the bot) and on this same machine, so its own work -\n"
        "parsing each request, recording it - is counted in every figure: the bot alone is\n"
        "faster.\n"
        "The fake server also speaks HTTP/1.0 and closes every connection, so each reply\n"
        "opens a new TCP connection, which Telegram's keep-alive connections spare.\n"
        "Latency: from pushing an update to the fake server until the bot's reply to it\n"
        "arrives there, so it includes waiting for getUpdates (100 updates a call) and for\n"
        "the chat's earlier questions: with everything pushed at once it mostly measures\n"
        "the queue. CPU: the bot runs on the event loop thread, the fake server on others.\n"
    )


async def run(chats: int, per_chat: int) -> None:
    _explain(chats, per_chat)
    counting = _Counting()
    inbox = _InboxCount()
    logging.basicConfig(level=logging.WARNING, handlers=[counting], force=True)
    # socketserver listens with a backlog of 5 connections; hundreds of replies
    # connecting at once would overflow it and the kernel would reset connections.
    fake_bot_api._Server.request_queue_size = 4096
    questions = list(QUESTIONS)
    chat_ids = range(FIRST_CHAT, FIRST_CHAT + chats)
    # Each chat asks in its own order, so that a reordering would show.
    asked = {
        chat: [questions[(i + k) % len(questions)] for k in range(per_chat)]
        for i, chat in enumerate(chat_ids)
    }
    total = chats * per_chat

    with tempfile.TemporaryDirectory() as tmp, FakeBotApi(max_poll_timeout=0.25) as server:
        settings = Settings(
            token=server.token,
            base_url=server.base_url,
            data_path=Path(tmp) / "questions.sqlite3",
        )
        live = LiveKnowledge(settings.knowledge_path)
        app = build_application(settings, live, rate_limited=False)
        async with app:
            assert app.post_init is not None and app.updater is not None
            await app.post_init(app)
            await app.updater.start_polling(
                poll_interval=0.0, timeout=1, allowed_updates=Update.ALL_TYPES
            )
            await app.start()
            await server.wait_for_async("getUpdates")
            rss_before = _max_rss_mb()
            mark = len(server.calls)
            cpu_before, loop_cpu_before = _process_cpu(), time.thread_time()

            pushed_at: dict[int, list[float]] = {chat: [] for chat in chat_ids}
            started = time.monotonic()
            # Round by round, as many users asking at the same time would.
            for k in range(per_chat):
                for chat in chat_ids:
                    server.push_message(asked[chat][k], user_id=chat)
                    pushed_at[chat].append(time.monotonic())
            push_seconds = time.monotonic() - started

            # Poll (cheap) rather than wait_for (which rescans every call on each one).
            seen, progress_at = 0, time.monotonic()
            while seen < total and time.monotonic() - progress_at < STALL_SECONDS:
                await asyncio.sleep(0.05)
                done = sum(
                    1
                    for c in server.calls[mark:]
                    if c.method == "sendMessage" and c.status is not None
                )
                if done > seen:
                    seen, progress_at = done, time.monotonic()
            loop_cpu = time.thread_time() - loop_cpu_before
            cpu = _process_cpu() - cpu_before
            await asyncio.sleep(0.5)  # room for a duplicate to show up
            assert app.bot.delivery.writer is not None
            await app.bot.delivery.writer.flushed()
            inbox_bytes = inbox.bytes_written()
            rss_after = _max_rss_mb()
            sends = [c for c in server.calls[mark:] if c.method == "sendMessage"]
            await app.updater.stop()
            await app.stop()

    delivered = [c for c in sends if c.status == 200]
    by_chat: dict[int, list[ApiCall]] = {chat: [] for chat in chat_ids}
    for call in delivered:
        by_chat.setdefault(int(call.params["chat_id"]), []).append(call)
    ok = fail = 0
    latencies: list[float] = []
    for chat in chat_ids:
        replies = by_chat[chat]
        expected = [QUESTIONS[q] for q in asked[chat]]
        if len(replies) == per_chat and all(
            str(r.params["text"]).startswith(e) for r, e in zip(replies, expected, strict=True)
        ):
            ok += 1
        else:
            fail += 1
        for reply, pushed in zip(replies, pushed_at[chat], strict=False):
            latencies.append(reply.timestamp - pushed)

    print(f"pushing {total} updates took {push_seconds * 1000:.0f} ms")
    if delivered:
        elapsed = max(c.timestamp for c in delivered) - started
        rate = len(delivered) / elapsed
        print(f"replies delivered: {len(delivered)} of {total} in {elapsed:.2f} s")
        print(f"throughput: {rate:.0f} replies/s (first push to last reply)")
        print(
            f"latency push -> reply: p50 {_percentile(latencies, 0.5) * 1000:.0f} ms, "
            f"p99 {_percentile(latencies, 0.99) * 1000:.0f} ms, "
            f"max {max(latencies) * 1000:.0f} ms, mean {statistics.fmean(latencies) * 1000:.0f} ms"
        )
        print(
            f"CPU: bot (event loop thread) {loop_cpu:.1f} s = "
            f"{loop_cpu / len(delivered) * 1000:.1f} ms per reply, so about "
            f"{len(delivered) / loop_cpu:.0f} replies/s per core for the bot alone; "
            f"fake server and other threads {cpu - loop_cpu:.1f} s"
        )
    else:
        rate = 0.0
        print("replies delivered: none")
    failed = [c for c in sends if c.status != 200]
    notices = sum(1 for c in delivered if c.params.get("text") == FLOOD_NOTICE)
    print(
        f"chats answered exactly once per question, in order: OK {ok}, FAIL {fail}"
        f" (failed sendMessage calls: {len(failed)}, flood notices: {notices})"
    )
    print(
        f"peak memory (max RSS of the process, bot + fake server): {rss_after:.0f} MB "
        f"({rss_after - rss_before:+.0f} MB during the load)"
    )
    print(
        f"inbox: {inbox.admitted} updates admitted and {inbox.done} marked done in "
        f"{inbox.transactions} transactions ({inbox.synced} with fsync, {inbox.checkpoints} "
        f"checkpoints), {inbox.transactions / max(len(delivered), 1):.2f} per reply"
        + (
            f", {inbox_bytes / max(len(delivered), 1) / 1024:.1f} KiB written per reply"
            if inbox_bytes is not None
            else ""
        )
    )
    if counting.counts:
        print(f"warnings/errors logged: {sum(counting.counts.values())}, the most frequent:")
        for line, count in counting.counts.most_common(5):
            print(f"  {count} x {line}")
    else:
        print("warnings/errors logged: none")
    print(
        f"\nFor context: Telegram lets a bot send about {TELEGRAM_MESSAGES_PER_SECOND} "
        "messages a second overall (about 1 a second to one chat).\nIn production "
        "Telegram's limit, not the bot, sets the pace: here the bot replied "
        f"{rate / TELEGRAM_MESSAGES_PER_SECOND:.1f} times faster than Telegram lets it send."
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chats", type=int, default=1000, help="chats asking at once")
    parser.add_argument(
        "--questions-per-chat",
        type=int,
        default=3,
        help="questions each chat asks (over 8 the flood guard answers with a notice)",
    )
    args = parser.parse_args()
    asyncio.run(run(args.chats, args.questions_per_chat))


if __name__ == "__main__":
    main()
