"""Durable delivery in the running bot: nothing lost in a crash, nothing answered twice.

In-process tests run the real application (the harnesses of ``tests/test_telegram_app.py``
and ``tests/test_webhook.py``) with an inbox prepared as a crashed run would leave it.
The crash tests run ``python -m bot run`` as a process against :class:`FakeBotApi`,
which forgets an update once a later getUpdates offset confirms it (polling) or once
the webhook answered 2xx, and retries the webhook otherwise, as Telegram does. They
kill the process with SIGKILL at several moments of a burst, start it again, and check
what the users got. Speed is measured in ``benchmarks/``, never here.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from bot.delivery import late_notice
from bot.inbox import Inbox, inbox_path_for, minimal_update
from tests.conftest import E2E_WAIT as WAIT
from tests.conftest import START_WAIT
from tests.fake_bot_api import ApiCall, FakeBotApi
from tests.test_reliability import QUESTIONS, answers, wait_until
from tests.test_telegram_app import running_bot
from tests.test_webhook import (
    GOOD_CHAT,
    SECRET,
    encode,
    free_port,
    make_update,
    post,
    running_hook,
)

ROOT = Path(__file__).resolve().parent.parent
CHAT_A = 3_101
CHAT_B = 3_202
SEVEN_HOURS = 7 * 3600


def inbox_file(tmp_path: Path) -> Path:
    """The inbox next to the question log the harnesses put in ``tmp_path / "data"``."""
    return inbox_path_for(tmp_path / "data" / "questions.sqlite3")


def fill_inbox(path: Path, updates: Sequence[dict[str, Any]], done: Sequence[int] = ()) -> None:
    """Leave the inbox as a run that died would: these updates written, ``done`` answered."""
    inbox = Inbox(path)
    try:
        items = []
        for update in updates:
            kept = minimal_update(update)
            assert kept is not None
            items.append((update["update_id"], json.dumps(kept)))
        inbox.write(items, done)
    finally:
        inbox.close()


def inbox_rows(path: Path) -> dict[int, bool]:
    """Update id -> done, as the inbox file says (read by another process, like a restart)."""
    with contextlib.closing(sqlite3.connect(path)) as db:
        return {
            int(i): bool(d)
            for i, d in db.execute("SELECT update_id, done_at IS NOT NULL FROM inbox")
        }


def asked_at(update: dict[str, Any], when: int) -> dict[str, Any]:
    """The update with its message sent at unix time ``when``."""
    return {**update, "message": {**update["message"], "date": when}}


def texts(calls: Sequence[ApiCall]) -> list[str]:
    return [str(c.params["text"])[:60] for c in calls]


# ------------------------------------------------------------------- replay, apology


async def test_what_the_last_run_left_unanswered_is_answered_first_in_order(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    late = int(time.time()) - SEVEN_HOURS
    left = [
        asked_at(make_update(CHAT_A, "imuran"), late),
        make_update(CHAT_B, "dapsone g6pd"),
        asked_at(make_update(CHAT_A, "grapefruit cyclosporine?"), late),
    ]
    fill_inbox(inbox_file(tmp_path), left)

    with caplog.at_level(logging.INFO, logger="bot.delivery"):
        async with running_bot(tmp_path) as bot:
            to_a = await bot.messages(0, CHAT_A, count=3)
            to_b = await bot.messages(0, CHAT_B)
            await bot.barrier(CHAT_A, CHAT_A)
            await bot.settled()
            sent = bot.sent_since(0)

    # One apology for the chat's two late questions, then the answers in the order asked.
    apology, first, second = to_a
    assert apology.params["text"] == late_notice(SEVEN_HOURS)
    assert "about 7 hours ago" in apology.params["text"]
    assert answers(first, "imuran")
    assert answers(second, "grapefruit cyclosporine?")
    # The other chat's question was not late: no apology.
    [reply] = to_b
    assert answers(reply, "dapsone g6pd")
    assert len(sent) == 4, texts(sent)
    rows = inbox_rows(inbox_file(tmp_path))
    assert {u["update_id"] for u in left} <= rows.keys()
    assert all(rows.values())  # every update answered, the barrier's press included
    assert any(
        "3 update(s) left unanswered by the last run" in r.getMessage() for r in caplog.records
    )


async def test_a_live_question_older_than_six_hours_gets_an_apology_first(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as bot:
        # Telegram kept it while the bot was down, for longer than the limit.
        bot.server.push_update(
            asked_at(make_update(CHAT_A, "imuran"), int(time.time()) - 26 * 3600)
        )
        apology, reply = await bot.messages(0, CHAT_A, count=2)
        fresh = await bot.ask("dapsone g6pd", user_id=CHAT_B)

    assert apology.params["text"] == late_notice(26 * 3600)
    assert "about 26 hours ago" in apology.params["text"]
    assert answers(reply, "imuran")
    assert answers(fresh, "dapsone g6pd")


@pytest.mark.parametrize(("age", "ago"), [(6 * 3600, "6 hours"), (50 * 3600, "2 days")])
def test_late_notice_says_how_late(age: int, ago: str) -> None:
    assert f"about {ago} ago" in late_notice(age + 59)


# ---------------------------------------------------------------- no duplicates (polling)


async def test_updates_delivered_again_are_not_answered_again(tmp_path: Path) -> None:
    answered = make_update(CHAT_A, "imuran")
    waiting = make_update(CHAT_A, "dapsone g6pd")
    fill_inbox(inbox_file(tmp_path), [answered, waiting], done=[answered["update_id"]])

    async with running_bot(tmp_path) as bot:
        [replayed] = await bot.messages(0, CHAT_A)
        # Never confirmed before the crash: Telegram delivers both again. They are not
        # answered, but confirmed all the same (else Telegram would deliver them forever).
        bot.server.push_update(answered)
        bot.server.push_update(waiting)
        await wait_until(lambda: bot.server.pending_updates == [])
        later = await bot.ask("grapefruit cyclosporine?", user_id=CHAT_A)
        await bot.barrier(CHAT_A, CHAT_A)
        sent = bot.sent_since(0)

    assert answers(replayed, "dapsone g6pd")
    assert answers(later, "grapefruit cyclosporine?")
    assert sent == [replayed, later], texts(sent)


# ---------------------------------------------------------------- no duplicates (webhook)


@pytest.mark.parametrize("when", ["while-answering", "after-answering"])
async def test_webhook_retry_is_confirmed_but_not_answered_twice(tmp_path: Path, when: str) -> None:
    async with running_hook(tmp_path) as hook:
        update = make_update(GOOD_CHAT)
        if when == "while-answering":
            hook.server.delay_next("sendMessage", 0.3)
        first = await post(hook.port, encode(update))
        if when == "after-answering":
            await hook.reply(GOOD_CHAT)
        # Telegram did not get the 200 in time, and sends the update again.
        again = await post(hook.port, encode(update))
        barrier = make_update(GOOD_CHAT, "imuran")
        assert (await post(hook.port, encode(barrier))).status == 200
        await wait_until(lambda: len([c for c in hook.replies_to(GOOD_CHAT) if c.status]) >= 2)
        await asyncio.sleep(0.1)  # room for a second answer to show up
        replies = hook.replies_to(GOOD_CHAT)

    assert (first.status, again.status) == (200, 200)
    assert json.loads(again.body) == {"ok": True}
    assert [u.update_id for u in hook.queued] == [update["update_id"], barrier["update_id"]]
    assert len(replies) == 2, texts(replies)
    assert answers(replies[0], "grapefruit cyclosporine?")
    assert answers(replies[1], "imuran")


async def test_webhook_update_saved_before_a_crash_is_answered_once(tmp_path: Path) -> None:
    # Written to the inbox, then the process died before its 200 went out.
    update = make_update(GOOD_CHAT)
    fill_inbox(inbox_file(tmp_path), [update])

    async with running_hook(tmp_path) as hook:
        retry = await post(hook.port, encode(update))  # so Telegram retries it
        await hook.reply(GOOD_CHAT)
        await asyncio.sleep(0.1)  # room for a second answer to show up
        replies = hook.replies_to(GOOD_CHAT)

    assert retry.status == 200
    # Queued once, by the replay at start-up; the retry only confirmed it.
    assert [u.update_id for u in hook.queued] == [update["update_id"]]
    [reply] = replies
    assert answers(reply, "grapefruit cyclosporine?")
    assert inbox_rows(inbox_file(tmp_path)) == {update["update_id"]: True}


# ------------------------------------------------------------------ a broken inbox


@contextlib.contextmanager
def garbage(path: Path) -> Iterator[str]:
    path.write_bytes(b"not a database at all " * 300)
    yield "file is not a database"


@contextlib.contextmanager
def locked(path: Path) -> Iterator[str]:
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # another process holds the file
    try:
        yield "database is locked"
    finally:
        holder.close()


@contextlib.contextmanager
def unwritable_folder(path: Path) -> Iterator[str]:
    # A folder where the file should be: no SQLite file can be opened there.
    path.mkdir()
    yield "unable to open database file"


@pytest.mark.parametrize("breakage", [garbage, locked, unwritable_folder])
async def test_a_broken_inbox_never_stops_the_bot(
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    breakage: Callable[[Path], contextlib.AbstractContextManager[str]],
) -> None:
    path = inbox_file(tmp_path)
    path.parent.mkdir(parents=True)
    with breakage(path) as reason, caplog.at_level(logging.INFO, logger="bot.delivery"):
        async with running_bot(tmp_path) as bot:
            reply = await bot.ask("grapefruit cyclosporine?")
            again = await bot.ask("imuran")
            inbox_off = bot.app.bot.delivery.writer is None

    assert answers(reply, "grapefruit cyclosporine?")
    assert answers(again, "imuran")
    assert inbox_off
    [error] = [r for r in caplog.records if r.levelno >= logging.ERROR]
    said = error.getMessage()
    assert said.startswith(f"the inbox {path} cannot be used ({reason}")
    assert "answering live updates only" in said


async def test_an_inbox_locked_while_running_costs_the_guarantee_not_the_answer(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async with running_bot(tmp_path) as bot:
        assert answers(await bot.ask("dapsone g6pd"), "dapsone g6pd")
        holder = sqlite3.connect(inbox_file(tmp_path), isolation_level=None)
        try:
            holder.execute("BEGIN IMMEDIATE")  # another process holds the write lock
            with caplog.at_level(logging.WARNING, logger="bot.inbox"):
                during = await bot.ask("imuran")
        finally:
            holder.close()
        with caplog.at_level(logging.WARNING, logger="bot.inbox"):
            after = await bot.ask("grapefruit cyclosporine?")
        await bot.settled()
        rows = inbox_rows(inbox_file(tmp_path))

    assert answers(during, "imuran")
    assert answers(after, "grapefruit cyclosporine?")
    said = [r.getMessage() for r in caplog.records if r.name == "bot.inbox"]
    assert len(said) == 2, said
    assert said[0].startswith("could not write the inbox")
    assert "database is locked" in said[0]
    assert said[1].endswith("works again")
    # The question asked during the lock was answered live, never written.
    assert sorted(rows.values()) == [True, True]


# ------------------------------------------------------------------------ crash tests


class BotProcess:
    """``python -m bot run`` against the fake Bot API, started again after each kill."""

    def __init__(self, server: FakeBotApi, tmp_path: Path, **env: str) -> None:
        self.tmp_path = tmp_path
        self.env = {
            "PATH": os.environ.get("PATH", ""),
            "TELEGRAM_BOT_TOKEN": server.token,
            "TELEGRAM_BASE_URL": server.url,
            "DATA_PATH": str(tmp_path / "data" / "questions.sqlite3"),
            "LOG_LEVEL": "INFO",
            **env,
        }
        self.process: subprocess.Popen[bytes] | None = None
        self.logs: list[Path] = []

    @property
    def inbox(self) -> Path:
        return inbox_path_for(Path(self.env["DATA_PATH"]))

    def start(self) -> None:
        log = self.tmp_path / f"run{len(self.logs) + 1}.log"
        self.logs.append(log)
        with log.open("wb") as output:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "bot", "run"],
                cwd=ROOT,
                env=self.env,
                stdout=output,
                stderr=subprocess.STDOUT,
            )

    async def kill(self) -> None:
        """SIGKILL: no handler runs, nothing is flushed or confirmed."""
        assert self.process is not None
        self.process.kill()
        await asyncio.to_thread(self.process.wait, 10)

    async def stop(self) -> int:
        """SIGTERM: the graceful stop; return the exit code."""
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        return await asyncio.to_thread(self.process.wait, 20)

    def output(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')}" for p in self.logs)

    def close(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()


@dataclass
class Kill:
    """What was known when the bot was killed."""

    calls: int
    """How many calls the fake had served (every reply before the kill is among them)."""
    done: set[int]
    """Update ids the inbox file had marked done."""
    lost_without_inbox: int
    """Updates Telegram had forgotten (confirmed) that had no answer yet."""


@dataclass
class Burst:
    """Many chats asking three questions each, all at once, round by round."""

    server: FakeBotApi
    chats: range
    asked: dict[int, list[str]] = field(default_factory=dict)
    update_ids: dict[tuple[int, str], int] = field(default_factory=dict)

    def push(self) -> None:
        questions = list(QUESTIONS)
        for i, chat in enumerate(self.chats):
            self.asked[chat] = questions[i % 3 :] + questions[: i % 3]
        for round_ in range(3):
            for chat in self.chats:
                question = self.asked[chat][round_]
                update = self.server.push_message(question, user_id=chat)
                self.update_ids[chat, question] = update["update_id"]

    def answers(self, calls: Sequence[ApiCall]) -> dict[tuple[int, str], list[int]]:
        """Question -> indexes (in ``calls``) of the delivered replies that answer it."""
        found: dict[tuple[int, str], list[int]] = {key: [] for key in self.update_ids}
        strays = []
        for index, call in enumerate(calls):
            if call.method != "sendMessage" or call.status != 200:
                continue
            chat = call.params["chat_id"]
            question = next((q for q in self.asked.get(chat, ()) if answers(call, q)), None)
            if question is None:
                strays.append(str(call.params["text"])[:60])
            else:
                found[chat, question].append(index)
        assert strays == [], f"messages that answer no question: {strays[:5]}"
        return found

    def answered(self) -> int:
        return sum(1 for indexes in self.answers(self.server.calls).values() if indexes)

    async def kill(self, bot: BotProcess) -> Kill:
        await bot.kill()
        # A request already on its way when the process died is still served (Telegram
        # would send that message too): wait until the fake has served them all.
        calls = self.server.calls
        while True:
            await asyncio.sleep(0.3)
            if len(self.server.calls) == len(calls) and all(c.status for c in calls):
                break
            calls = self.server.calls
        pending = {u["update_id"] for u in self.server.pending_updates}
        answered = {key for key, indexes in self.answers(calls).items() if indexes}
        lost = [
            update_id
            for key, update_id in self.update_ids.items()
            if update_id not in pending and key not in answered
        ]
        rows = inbox_rows(bot.inbox)
        return Kill(len(calls), {i for i, done in rows.items() if done}, len(lost))

    def check(self, kills: Sequence[Kill], output: str) -> list[int]:
        """Every question answered, in order per chat; return the answers sent again per kill.

        A reply that reached Telegram just before the kill, before its done mark reached
        the inbox, is sent again after the restart: no receipt of Telegram's and no
        local write can be one atomic step. So an extra answer is allowed only where a
        kill found the question answered but not marked done; an update the inbox had
        marked done is never answered again.
        """
        calls = self.server.calls
        found = self.answers(calls)
        unanswered = [key for key, indexes in found.items() if not indexes]
        assert unanswered == [], f"{len(unanswered)} question(s) never answered\n{output[-3000:]}"
        for kill in kills:
            again = [
                key
                for key, indexes in found.items()
                if self.update_ids[key] in kill.done and any(i >= kill.calls for i in indexes)
            ]
            assert again == [], f"answered again after marked done: {again}"
        again_after = [0] * len(kills)
        for key, indexes in found.items():
            for previous, extra in itertools.pairwise(indexes):
                caught = [
                    number
                    for number, kill in enumerate(kills)
                    if previous < kill.calls <= extra and self.update_ids[key] not in kill.done
                ]
                assert caught, (
                    f"{key} answered at calls {indexes}; kills at "
                    f"{[(k.calls, self.update_ids[key] in k.done) for k in kills]}\n"
                    f"{output[-5000:]}"
                )
                again_after[caught[0]] += 1
        for chat, questions in self.asked.items():
            firsts = sorted(questions, key=lambda q: found[chat, q][0])
            assert firsts == questions, f"chat {chat} got its answers out of order"
        return again_after


def assert_inbox_emptied(bot: BotProcess, burst: Burst) -> None:
    """After the last answer, the inbox files hold no chat id and no question."""
    rows = inbox_rows(bot.inbox)
    assert set(burst.update_ids.values()) <= set(rows)
    assert all(rows.values()), "updates left unfinished"
    raw = b"".join(p.read_bytes() for p in bot.inbox.parent.glob(f"{bot.inbox.name}*"))
    for chat in burst.chats:
        assert str(chat).encode() not in raw
    for question in QUESTIONS:
        assert question.encode() not in raw


async def test_polling_crash_loses_no_question(tmp_path: Path) -> None:
    with FakeBotApi(max_poll_timeout=0.25) as server:
        bot = BotProcess(server, tmp_path)
        burst = Burst(server, range(700_000_001, 700_000_101))  # 100 chats x 3 questions
        kills: list[Kill] = []
        try:
            bot.start()
            await server.wait_for_async("getUpdates", timeout=START_WAIT)
            burst.push()
            first_id = min(burst.update_ids.values())

            def confirms_the_first_batch(call: ApiCall) -> bool:
                return (
                    call.method == "getUpdates" and int(call.params.get("offset") or 0) > first_id
                )

            # 1. Fetched and confirmed to Telegram, hardly any answered yet.
            await server.wait_for_async(confirms_the_first_batch, timeout=WAIT)
            kills.append(await burst.kill(bot))
            # 2. and 3. In the middle of the burst, replies going out.
            for target in (100, 200):
                bot.start()
                await wait_until(lambda n=target: burst.answered() >= n, timeout=START_WAIT)
                kills.append(await burst.kill(bot))
            bot.start()
            await wait_until(lambda: burst.answered() == 300, timeout=START_WAIT)
            code = await bot.stop()
        finally:
            bot.close()
        output = bot.output()

        assert code == 0, output[-3000:]
        assert "Traceback" not in output, output[-3000:]
        assert kills[0].lost_without_inbox > 0  # the first kill did hit the danger
        again = burst.check(kills, output)
        assert_inbox_emptied(bot, burst)
        assert server.pending_updates == []
        print(
            f"polling: {[k.lost_without_inbox for k in kills]} confirmed but unanswered at each "
            f"kill; {again} answers sent again after each kill"
        )


async def test_webhook_crash_loses_no_question(tmp_path: Path) -> None:
    port = free_port()
    with FakeBotApi() as server:
        server.deliver_webhooks_to(f"http://127.0.0.1:{port}", retry_after=0.05)
        bot = BotProcess(
            server,
            tmp_path,
            WEBHOOK_URL="https://bot.example.org/telegram/hook",
            WEBHOOK_SECRET=SECRET,
            PORT=str(port),
        )
        burst = Burst(server, range(710_000_001, 710_000_051))  # 50 chats x 3 questions
        kills: list[Kill] = []
        try:
            bot.start()
            await server.wait_for_async("setWebhook", timeout=START_WAIT)
            burst.push()

            def acknowledged() -> int:
                return sum(1 for d in server.webhook_deliveries if d.acknowledged)

            # 1. Taken with a 200 (Telegram forgot them), hardly any answered yet.
            await wait_until(lambda: acknowledged() >= 50)
            kills.append(await burst.kill(bot))
            # 2. In the middle of the replies.
            bot.start()
            await wait_until(lambda: burst.answered() >= 90, timeout=START_WAIT)
            kills.append(await burst.kill(bot))
            bot.start()
            await wait_until(lambda: burst.answered() == 150, timeout=START_WAIT)
            code = await bot.stop()
        finally:
            bot.close()
        output = bot.output()

        assert code == 0, output[-3000:]
        assert "Traceback" not in output, output[-3000:]
        assert kills[0].lost_without_inbox > 0
        again = burst.check(kills, output)
        assert_inbox_emptied(bot, burst)
        assert server.pending_updates == []
        failed = [d for d in server.webhook_deliveries if not d.acknowledged]
        print(
            f"webhook: {[k.lost_without_inbox for k in kills]} acknowledged but unanswered at "
            f"each kill; {len(failed)} deliveries retried; {again} answers sent again after "
            "each kill"
        )
