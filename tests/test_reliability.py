"""Reliability of the running bot: load, floods, Bot API faults, SIGTERM, broken reloads.

Every test runs the real application (:func:`bot.telegram_app.build_application`, real
PTB polling, AIORateLimiter and error handling) against :class:`FakeBotApi` on
127.0.0.1, except the SIGTERM test, which runs ``python -m bot run`` as a process.
Figures (speed, memory) are measured in ``benchmarks/bench_load.py``, not here: these
tests only assert that nothing is lost, duplicated, reordered or crashes.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from telegram import Update
from telegram.ext import Application

from bot.flood import FloodGuard
from bot.live import LiveKnowledge
from bot.settings import Settings
from bot.telegram_app import FLOOD_NOTICE, BotHandlers, _reload_on_signal, build_application
from tests import fake_bot_api
from tests.conftest import E2E_WAIT as WAIT
from tests.conftest import START_WAIT, barrier, wait_delivered
from tests.fake_bot_api import ApiCall, FakeBotApi

ROOT = Path(__file__).resolve().parent.parent
KNOWLEDGE_SOURCE = ROOT / "knowledge" / "immunosuppressants.yaml"
USER = 1001
OTHER_USER = 2002
ADMIN = 777
SORRY = "Sorry, something went wrong on my side. Please try again in a moment."

#: Three questions whose answers are told apart by how they begin.
QUESTIONS: dict[str, str] = {
    "imuran": "<b>Azathioprine</b>\n",
    "grapefruit cyclosporine?": (
        "<b>Cyclosporine: Interactions with food, herbs and medicines</b>\n"
    ),
    "dapsone g6pd": "<b>Dapsone: Tests before and during treatment</b>\n",
}
GRAPEFRUIT = "grapefruit cyclosporine?"


def answers(call: ApiCall, question: str) -> bool:
    """The call is the bot's answer to ``question``."""
    return str(call.params.get("text", "")).startswith(QUESTIONS[question])


# ----------------------------------------------------------------------- the harness


@dataclass
class Bot:
    """A running bot, the fake server it talks to and its knowledge file."""

    server: FakeBotApi
    app: Application  # type: ignore[type-arg]  # PTB's generics
    live: LiveKnowledge
    path: Path
    barrier_ids: set[str] = field(default_factory=set)

    @property
    def handlers(self) -> BotHandlers:
        handlers: BotHandlers = self.app.bot_data["handlers"]
        return handlers

    def mark(self) -> int:
        """Index of the next recorded call, to look only at what follows."""
        return len(self.server.calls)

    def sends(self, mark: int = 0, chat_id: int | None = None) -> list[ApiCall]:
        """sendMessage calls since ``mark`` (failed ones too), optionally to one chat."""
        return [
            c
            for c in self.server.calls[mark:]
            if c.method == "sendMessage" and (chat_id is None or c.params["chat_id"] == chat_id)
        ]

    async def delivered(self, mark: int, chat_id: int, count: int = 1) -> list[ApiCall]:
        """Wait for ``count`` delivered messages to ``chat_id`` since ``mark``."""
        return await wait_delivered(self.server, chat_id, since=mark, count=count, timeout=WAIT)

    async def ask(self, text: str, user_id: int = USER) -> ApiCall:
        """Send a question and return the bot's first delivered reply."""
        mark = self.mark()
        self.server.push_message(text, user_id=user_id)
        [reply, *_] = await self.delivered(mark, user_id)
        return reply

    async def command(self, text: str, user_id: int = USER) -> list[ApiCall]:
        """Send a command and return every delivered message of the reply."""
        mark = self.mark()
        self.server.push_command(text, user_id=user_id)
        await self.barrier(user_id)
        return [c for c in self.sends(mark, user_id) if c.status == 200]

    async def barrier(self, chat_id: int = USER) -> None:
        """Wait until everything pushed so far to ``chat_id`` has been fully handled."""
        self.barrier_ids.add(await barrier(self.server, chat_id))

    def assert_alive(self) -> None:
        assert self.app.running
        assert self.app.updater is not None and self.app.updater.running


@contextlib.asynccontextmanager
async def running_bot(
    tmp_path: Path, *, rate_limited: bool = True, max_poll_timeout: float = 0.25
) -> AsyncIterator[Bot]:
    """Run the real application against a fresh fake server, like ``run_polling`` does.

    ``post_init`` is only called by ``run_polling``/``run_webhook``, so it is called here
    in the same order: initialize, post_init, start polling, start. The knowledge is a
    copy in ``tmp_path`` (tests break it), and so is the question log.
    """
    path = tmp_path / "knowledge" / "immunosuppressants.yaml"
    path.parent.mkdir()
    shutil.copyfile(KNOWLEDGE_SOURCE, path)
    with FakeBotApi(max_poll_timeout=max_poll_timeout) as server:
        settings = Settings(
            token=server.token,
            base_url=server.base_url,
            admin_ids=frozenset({ADMIN}),
            knowledge_path=path,
            data_path=tmp_path / "data" / "questions.sqlite3",
        )
        live = LiveKnowledge(path)
        app = build_application(settings, live, rate_limited=rate_limited)
        async with app:
            assert app.post_init is not None
            await app.post_init(app)
            assert app.updater is not None
            await app.updater.start_polling(
                poll_interval=0.0, timeout=1, allowed_updates=Update.ALL_TYPES
            )
            await app.start()
            try:
                yield Bot(server, app, live, path)
            finally:
                if app.updater.running:
                    await app.updater.stop()
                if app.running:
                    await app.stop()


@pytest.fixture
async def bot(tmp_path: Path) -> AsyncIterator[Bot]:
    async with running_bot(tmp_path) as running:
        yield running


@pytest.fixture(autouse=True)
def _retry_after_as_timedelta(monkeypatch: pytest.MonkeyPatch) -> None:
    # PTB 22 warns when RetryAfter.retry_after is an int; opt in to timedelta.
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


async def wait_until(condition: Callable[[], bool], timeout: float = WAIT) -> None:
    """Poll ``condition`` from the event loop (cheap for the fake server's lock)."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.02)


# ------------------------------------------------------------------------------ load

LOAD_CHATS = 200


async def test_load_every_question_answered_once_and_in_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """200 chats x 3 questions, all pushed at once with Telegram's rate limits lifted."""
    # The fake server listens with socketserver's default backlog of 5 connections; 200
    # chats connecting at once overflow it and the kernel resets connections (httpx
    # ReadError), which Telegram's servers would not do.
    monkeypatch.setattr(fake_bot_api._Server, "request_queue_size", 1024)
    questions = list(QUESTIONS)
    chats = range(10_000, 10_000 + LOAD_CHATS)
    # Each chat asks the three questions in its own order, so order is really checked.
    asked = {chat: questions[i % 3 :] + questions[: i % 3] for i, chat in enumerate(chats)}

    async with running_bot(tmp_path, rate_limited=False) as bot:
        mark = bot.mark()
        # Round by round: a chat's questions are spread over several getUpdates batches.
        for round_ in range(3):
            for chat in chats:
                bot.server.push_message(asked[chat][round_], user_id=chat)
        total = 3 * LOAD_CHATS
        await wait_until(lambda: len(bot.sends(mark)) >= total)
        await asyncio.sleep(0.3)  # room for a duplicate to show up
        sends = bot.sends(mark)
        bot.assert_alive()

    assert len(sends) == total
    assert all(c.status == 200 for c in sends), [c.error for c in sends if c.status != 200]
    by_chat: dict[int, list[ApiCall]] = {chat: [] for chat in chats}
    for call in sends:
        by_chat[call.params["chat_id"]].append(call)
    wrong = {
        chat: [str(c.params["text"])[:40] for c in calls]
        for chat, calls in by_chat.items()
        if len(calls) != 3 or not all(map(answers, calls, asked[chat]))
    }
    assert wrong == {}, f"{len(wrong)} chat(s) got missing, extra or reordered answers"
    assert bot.server.pending_updates == []


# ----------------------------------------------------------------------------- flood


async def test_flood_of_one_user_does_not_hold_up_the_others(bot: Bot) -> None:
    flooder, others = 30_001, range(20_001, 20_006)
    # Every Bot API call takes 0.1 s, as over a real network: the flooder's answers
    # are sent one after the other, the other chats' concurrently.
    bot.server.delay_next("sendMessage", 0.1, times=1000)
    mark = bot.mark()

    for i in range(100):
        bot.server.push_message(f"imuran {i}", user_id=flooder)
    pushed_at = time.monotonic()
    for user in others:
        bot.server.push_message("dapsone g6pd", user_id=user)
    other_replies = [(await bot.delivered(mark, user))[0] for user in others]
    await bot.barrier(flooder)  # every one of the 100 messages has been handled
    await asyncio.sleep(0.2)

    flood = [c for c in bot.sends(mark, flooder) if c.status == 200]
    notices = [c for c in flood if c.params["text"] == FLOOD_NOTICE]
    answered = [c for c in flood if c.params["text"] != FLOOD_NOTICE]
    assert len(notices) == 1
    assert len(answered) <= FloodGuard().limit == 8
    # The burst is far shorter than the 10 s window: exactly 8 answers, then the notice.
    assert len(answered) == 8
    assert flood[-1] is notices[0]
    assert all(answers(c, "imuran") for c in answered)
    assert len(bot.sends(mark, flooder)) == 9  # nothing failed, nothing retried
    for user, reply in zip(others, other_replies, strict=True):
        assert answers(reply, "dapsone g6pd")
        assert len(bot.sends(mark, user)) == 1
        # Not queued behind the flood: answered before the flooder was even told to
        # slow down (which comes after 8 answers, sent one by one at 0.1 s each)...
        assert reply.timestamp < notices[0].timestamp
        # ...and promptly.
        assert reply.timestamp - pushed_at < 2.0
    bot.assert_alive()


# -------------------------------------------------------------------- Bot API faults


async def test_the_flood_gate_holds_back_commands_and_other_messages_too(bot: Bot) -> None:
    mark = bot.mark()
    for i in range(FloodGuard().limit):
        bot.server.push_message(f"imuran {i}", user_id=USER)
    bot.server.push_command("/start", user_id=USER)  # over the limit: the notice
    bot.server.push_sticker(user_id=USER)  # still over: nothing
    bot.server.push_command("/help", user_id=USER)  # still over: nothing
    await bot.barrier()

    texts = [c.params["text"] for c in bot.sends(mark, USER) if c.status == 200]
    assert len(texts) == FloodGuard().limit + 1
    assert all(text.startswith("<b>Azathioprine</b>\n") for text in texts[:-1])
    assert texts[-1] == FLOOD_NOTICE


async def test_429_once_is_retried_after_retry_after(bot: Bot) -> None:
    bot.server.fail_next("sendMessage", 429, retry_after=1)
    mark = bot.mark()

    reply = await bot.ask(GRAPEFRUIT)

    failed, delivered = bot.sends(mark)
    assert (failed.status, delivered.status) == (429, 200)
    assert delivered is reply
    assert answers(delivered, GRAPEFRUIT)
    assert delivered.params["text"] == failed.params["text"]
    assert delivered.timestamp - failed.timestamp >= 0.9  # it waited retry_after


async def test_429_on_every_attempt_gives_up_then_recovers(
    bot: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    bot.server.fail_next("sendMessage", 429, retry_after=1, times=6)
    mark = bot.mark()

    with caplog.at_level(logging.INFO):
        bot.server.push_message(GRAPEFRUIT)
        await bot.barrier()  # the reply, its retries and the error handler are done
    tries = [c for c in bot.sends(mark) if answers(c, GRAPEFRUIT)]
    sorry = [c for c in bot.sends(mark) if c.params["text"] == SORRY]

    # 1 attempt + AIORateLimiter(max_retries=3), then it gives up.
    assert 2 <= len(tries) <= 4
    assert all(c.status == 429 for c in tries)
    # No "sorry": it would only meet the same flood limit.
    assert sorry == []
    assert any(
        r.name == "bot.telegram_app" and "reply not confirmed" in r.getMessage()
        for r in caplog.records
    )
    bot.assert_alive()

    # The rest of the 6 faults are used up by the next question's first tries.
    mark = bot.mark()
    reply = await bot.ask("imuran")
    assert answers(reply, "imuran")
    later = bot.sends(mark)
    assert [c.status for c in later] == [429] * (len(later) - 1) + [200]
    assert len(tries) + len(later) - 1 == 6


@pytest.mark.parametrize("status", [500, 502])
async def test_server_error_on_send_is_survived(bot: Bot, status: int) -> None:
    bot.server.fail_next("sendMessage", status)
    mark = bot.mark()

    bot.server.push_message(GRAPEFRUIT)
    await bot.barrier()
    reply = await bot.ask("imuran")

    failed, retried, delivered = bot.sends(mark)
    assert (failed.status, failed.failed) == (status, True)
    assert answers(failed, GRAPEFRUIT)
    # The reply did not go out: it is sent again, and arrives.
    assert retried.status == 200
    assert answers(retried, GRAPEFRUIT)
    assert delivered is reply
    assert answers(reply, "imuran")
    bot.assert_alive()


async def test_send_slower_than_the_read_timeout_is_survived(
    bot: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    read_timeout = bot.app.bot.request.read_timeout
    assert read_timeout is not None and read_timeout <= 10
    bot.server.delay_next("sendMessage", read_timeout + 2)
    mark = bot.mark()

    with caplog.at_level(logging.INFO):
        bot.server.push_message(GRAPEFRUIT)
        await bot.barrier()
    reply = await bot.ask("imuran")

    slow, *rest = bot.sends(mark)
    assert answers(slow, GRAPEFRUIT)
    assert slow.status is None  # still being served when the bot gave up on it
    # No "sorry" after a timeout: the slow reply may well have been delivered.
    assert [c.params["text"] for c in rest] == [reply.params["text"]]
    assert answers(reply, "imuran")
    assert any(
        r.name == "bot.telegram_app" and "reply not confirmed" in r.getMessage()
        for r in caplog.records
    )
    bot.assert_alive()


async def test_blocked_by_the_user_is_dropped_without_retries(
    bot: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    bot.server.fail_next("sendMessage", 403, description="Forbidden: bot was blocked by the user")
    mark = bot.mark()

    with caplog.at_level(logging.INFO):
        bot.server.push_message(GRAPEFRUIT)
        await bot.barrier()
    reply = await bot.ask("imuran")

    [blocked, delivered] = bot.sends(mark)  # one attempt, no retry storm, no "sorry"
    assert (blocked.status, blocked.error) == (403, "Forbidden: bot was blocked by the user")
    assert answers(blocked, GRAPEFRUIT)
    assert delivered is reply
    assert answers(reply, "imuran")
    ours = [r for r in caplog.records if r.name == "bot.telegram_app"]
    assert any(
        "dropped a reply" in r.getMessage() and "blocked by the user" in r.getMessage()
        for r in ours
    )
    assert not [r for r in ours if r.levelno >= logging.ERROR]
    bot.assert_alive()


async def test_get_updates_failing_a_few_times_polling_goes_on(bot: Bot) -> None:
    await bot.server.wait_for_async("getUpdates")
    mark = bot.mark()
    bot.server.fail_next("getUpdates", 502, times=3)

    def failed_poll(call: ApiCall) -> bool:
        return call.method == "getUpdates" and call.failed

    await bot.server.wait_for_async(failed_poll, since=mark)
    # Pushed during the outage: delivered once polling works again.
    bot.server.push_message("imuran")
    failures = await bot.server.wait_for_async(failed_poll, count=3, since=mark)
    [during] = await bot.delivered(mark, USER)
    after = await bot.ask(GRAPEFRUIT, user_id=OTHER_USER)

    assert [c.status for c in failures] == [502, 502, 502]
    assert answers(during, "imuran")
    assert during.timestamp > failures[-1].timestamp
    assert answers(after, GRAPEFRUIT)
    assert [c for c in bot.sends(mark) if c.status == 200] == [during, after]
    # Both are confirmed by the next poll's offset: neither would be delivered again.
    await wait_until(lambda: bot.server.pending_updates == [])
    bot.assert_alive()


# --------------------------------------------------------------------------- SIGTERM


async def test_sigterm_stops_cleanly_without_losing_an_update(tmp_path: Path) -> None:
    with FakeBotApi(max_poll_timeout=0.25) as server:
        env = {
            "PATH": os.environ.get("PATH", ""),
            "TELEGRAM_BOT_TOKEN": server.token,
            "TELEGRAM_BASE_URL": server.url,
            "DATA_PATH": str(tmp_path / "data" / "questions.sqlite3"),
            "LOG_LEVEL": "INFO",
        }
        log = tmp_path / "bot.log"
        with log.open("wb") as output:
            process = subprocess.Popen(
                [sys.executable, "-m", "bot", "run"],
                cwd=ROOT,
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
            )
            try:
                await server.wait_for_async("getUpdates", timeout=START_WAIT)
                server.delay_next("sendMessage", 0.5, times=5)
                chats = list(range(50_001, 50_006))
                pushed = [server.push_message("imuran", user_id=chat) for chat in chats]
                first, *_ = await server.wait_for_async("sendMessage", timeout=WAIT)
                process.send_signal(signal.SIGTERM)
                # Racing the shutdown: answered, or left for the next start.
                late_chats = [50_006, 50_007]
                pushed += [server.push_message("imuran", user_id=chat) for chat in late_chats]
                chats += late_chats
                code = await asyncio.to_thread(process.wait, 10)
            finally:
                if process.poll() is None:
                    process.kill()
                    process.wait()
        output_text = log.read_text(errors="replace")

        assert code == 0, output_text[-3000:]
        assert "Traceback" not in output_text, output_text[-3000:]
        # The log at INFO shows the bot working, and never its token (httpx would log
        # every request URL, which holds it).
        assert "starting in polling mode" in output_text
        assert server.token not in output_text
        assert server.token.split(":")[1] not in output_text
        delivered = {c.params["chat_id"] for c in server.calls_to("sendMessage") if c.status == 200}
        # The reply on its way when SIGTERM came was finished, not cut off.
        assert first.params["chat_id"] in delivered
        # Every update was answered, or not confirmed: Telegram would deliver it again.
        pending = {u["update_id"] for u in server.pending_updates}
        lost = [
            u["update_id"]
            for u, chat in zip(pushed, chats, strict=True)
            if chat not in delivered and u["update_id"] not in pending
        ]
        assert lost == [], output_text[-3000:]
        answered_twice = [c for c in chats if len(server.sent_messages(c)) > 1]
        assert answered_twice == []


# ------------------------------------------------------------- broken knowledge file


def _delete(path: Path) -> None:
    path.unlink()


def _invalid_yaml(path: Path) -> None:
    path.write_text("references: [5, 6\ndrugs: {\n", encoding="utf-8")


def _empty(path: Path) -> None:
    path.write_text("", encoding="utf-8")


def _not_utf8(path: Path) -> None:
    path.write_bytes(b"\xff\xfe\x00garbage\x80")


def _truncated(path: Path) -> None:
    # Half written, as when an editor or a copy is interrupted.
    text = path.read_text(encoding="utf-8")
    path.write_text(text[: len(text) // 2], encoding="utf-8")


def _directory(path: Path) -> None:
    # Replaced by a folder: unreadable as a file even for root.
    path.unlink()
    path.mkdir()


def _unreadable(path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root reads a file whatever its mode")
    path.chmod(0)


BREAKAGES: list[Callable[[Path], None]] = [
    _delete,
    _invalid_yaml,
    _empty,
    _not_utf8,
    _truncated,
    _directory,
    _unreadable,
]


async def assert_reload_fails_and_old_knowledge_stays(
    bot: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    before = bot.live.current

    replies = await bot.command("/reload", user_id=ADMIN)

    shown = "\n".join(str(c.result["text"]) for c in replies)
    assert shown.startswith("Reload failed: "), shown
    assert "I keep serving the previous knowledge." in shown
    assert bot.live.current is before

    caplog.clear()
    with caplog.at_level(logging.ERROR, logger="bot.telegram_app"):
        _reload_on_signal(bot.live)  # what SIGHUP runs
    assert bot.live.current is before
    assert any("reload on SIGHUP failed" in r.getMessage() for r in caplog.records)

    reply = await bot.ask(GRAPEFRUIT)
    assert answers(reply, GRAPEFRUIT)
    assert "[5]" in reply.params["text"]
    bot.assert_alive()


@pytest.mark.parametrize("breakage", BREAKAGES, ids=lambda f: f.__name__.strip("_"))
async def test_broken_knowledge_file_reload_fails_and_old_knowledge_stays(
    bot: Bot, caplog: pytest.LogCaptureFixture, breakage: Callable[[Path], None]
) -> None:
    assert answers(await bot.ask(GRAPEFRUIT), GRAPEFRUIT)
    try:
        breakage(bot.path)
        await assert_reload_fails_and_old_knowledge_stays(bot, caplog)
    finally:
        if bot.path.exists() and not bot.path.is_dir():
            bot.path.chmod(0o644)


async def test_deeply_nested_knowledge_file_reload_fails_cleanly(
    bot: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    bot.path.write_text("references: " + "[" * 5000 + "]" * 5000 + "\n", encoding="utf-8")

    await assert_reload_fails_and_old_knowledge_stays(bot, caplog)


def _stat_errors_escape_pathlib() -> bool:
    """Whether ``Path.exists()`` re-raises EACCES from stat (Python 3.11 does)."""
    denied = PermissionError(errno.EACCES, "Permission denied")
    with mock.patch("os.stat", side_effect=denied):
        try:
            Path("/probe").exists()
        except PermissionError:
            return True
    return False


async def test_knowledge_folder_without_permission_reload_fails_cleanly(
    bot: Bot, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = bot.path.parent
    if os.geteuid() == 0:
        # Root passes permission checks: make stat of the file fail as it would.
        real_stat = os.stat

        def stat(path: Any, *args: Any, **kwargs: Any) -> os.stat_result:
            if os.fspath(path) == os.fspath(bot.path):
                raise PermissionError(errno.EACCES, "Permission denied", os.fspath(path))
            return real_stat(path, *args, **kwargs)

        monkeypatch.setattr(os, "stat", stat)
    else:
        folder.chmod(0)
    try:
        await assert_reload_fails_and_old_knowledge_stays(bot, caplog)
    finally:
        folder.chmod(0o755)
