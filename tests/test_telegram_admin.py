"""End to end, for the admins: feedback votes, /stats, /unanswered, admin menus, privacy.

Runs the real application against the fake Bot API (the harness of
``tests/test_telegram_app.py``) and inspects the SQLite question log it writes.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.conftest import press_button
from tests.fake_bot_api import ApiCall
from tests.test_telegram_app import ADMIN, USER, WAIT, Bot, bot, visible

__all__ = ["bot"]  # the fixture, imported for these tests

NAME = "Ann"  # the first name the fake server gives every user


def vote_buttons(reply: ApiCall) -> list[dict[str, str]]:
    rows = reply.params["reply_markup"]["inline_keyboard"]
    return [b for row in rows for b in row if b["callback_data"].startswith("v:")]


def database(bot: Bot) -> Path:
    path = bot.app.bot_data["handlers"].log.path
    assert isinstance(path, Path)
    return path


async def press(bot: Bot, data: str, user_id: int = USER) -> ApiCall:
    """Press a button; return the answerCallbackQuery call."""
    _, call = await press_button(bot.server, data, chat_id=user_id, user_id=user_id, timeout=WAIT)
    return call


async def test_every_answer_carries_two_vote_buttons(bot: Bot) -> None:
    reply = await bot.ask("grapefruit cyclosporine?")
    buttons = vote_buttons(reply)
    assert [b["text"] for b in buttons] == ["\U0001f44d Helpful", "\U0001f44e Not helpful"]
    token = buttons[0]["callback_data"].split(":")[1]
    assert [b["callback_data"] for b in buttons] == [f"v:{token}:1", f"v:{token}:0"]
    # A reply that states no fact has nothing to vote on.
    not_covered = await bot.ask("tacrolimus side effects")
    assert vote_buttons(not_covered) == []


async def test_a_vote_is_counted_once_per_answer_with_a_short_thanks(bot: Bot) -> None:
    reply = await bot.ask("grapefruit cyclosporine?")
    not_helpful = vote_buttons(reply)[1]["callback_data"]

    first = await press(bot, not_helpful)
    again = await press(bot, not_helpful)

    assert first.params["text"] == "Thank you for your feedback!"
    assert again.params["text"] == "Your vote on this answer is counted."
    with sqlite3.connect(database(bot)) as db:
        votes = db.execute("SELECT entries, vote FROM questions WHERE vote IS NOT NULL").fetchall()
    assert votes == [("cyclosporine.interactions", 0)]


async def test_stats_for_an_admin(bot: Bot) -> None:
    reply = await bot.ask("grapefruit cyclosporine?")
    await press(bot, vote_buttons(reply)[1]["callback_data"])
    await bot.ask("how do i store imuran")  # "my sources do not cover": unanswered
    await bot.ask("is itp contagious")
    await bot.ask("is itp contagious")

    [stats] = await bot.command("/stats", user_id=ADMIN)

    assert visible(stats).splitlines() == [
        "Statistics",
        "Last 7 days: 4 questions, 25% answered (1).",
        "Questions per day: \u2581\u2581\u2581\u2581\u2581\u2581\u2588 (oldest to now, 0 to 4)",
        "Share answered:    \u2581\u2581\u2581\u2581\u2581\u2581\u2583 (full block: all answered)",
        "Topics asked most:",
        "  " + "\u2588" * 10 + " 1 interactions",
        "Votes: 0 helpful, 1 not helpful.",
        "Top entries:",
        "  1 x cyclosporine.interactions",
        "Most frequent unanswered questions:",
        "  2 x is itp contagious",
        "  1 x how do i store imuran",
        "Entries with the most 'not helpful' votes:",
        "  1 x cyclosporine.interactions",
    ]


async def test_unanswered_for_an_admin(bot: Bot) -> None:
    [empty] = await bot.command("/unanswered", user_id=ADMIN)
    assert visible(empty) == "No unanswered questions recorded."
    await bot.ask("is itp contagious")
    await bot.ask("Can I take <b>it</b> on the moon?")

    [listing] = await bot.command("/unanswered", user_id=ADMIN)

    lines = visible(listing).splitlines()
    assert lines[0] == "Latest unanswered questions"
    assert [line.split(": ", 1)[1] for line in lines[1:3]] == [
        "can i take b it b on the moon",
        "is itp contagious",
    ]
    assert [line.split(". ", 1)[0] for line in lines[1:3]] == ["1", "2"]
    assert lines[3:] == ["", "Tap a question to attach it to a medicine and a topic."]
    buttons = [b for row in listing.params["reply_markup"]["inline_keyboard"] for b in row]
    assert [b["text"] for b in buttons] == [
        "Teach 1: can i take b it b on the moon",
        "Teach 2: is itp contagious",
    ]
    assert all(b["callback_data"].startswith("k:t:") for b in buttons)


@pytest.mark.parametrize(
    "command", ["/stats", "/unanswered", "/reload", "/stats 30", "/export", "/rollback", "/history"]
)
async def test_admin_commands_get_a_stranger_what_an_unknown_command_gets(
    bot: Bot, command: str, caplog: pytest.LogCaptureFixture
) -> None:
    await bot.ask("is itp contagious")
    mark = bot.mark()

    bot.server.push_command("/nosuchcommand", user_id=USER)
    bot.server.push_command(command, user_id=USER)
    await bot.barrier(USER)

    # No reply at all, as for a command the bot does not have: nothing reveals the feature.
    assert bot.sent_since(mark) == []
    assert [c for c in bot.sent_since(mark, "answerCallbackQuery")] == []
    assert "ignored an admin command from a non-admin user" in caplog.messages
    # The same command from an admin is answered.
    mark = bot.mark()
    bot.server.push_command(command, user_id=ADMIN)
    await bot.barrier(ADMIN, ADMIN)
    replies = [*bot.sent_since(mark), *bot.sent_since(mark, "sendDocument")]
    assert replies
    assert all(c.status == 200 and c.params["chat_id"] == ADMIN for c in replies)


async def test_admin_commands_are_in_the_admins_menu_only(bot: Bot) -> None:
    calls = await bot.server.wait_for_async("setMyCommands", count=2, timeout=WAIT)
    everyone = [c for c in calls if c.params.get("scope") is None]
    admins = [c for c in calls if (c.params.get("scope") or {}).get("type") == "chat"]
    assert [x["command"] for x in everyone[0].params["commands"]] == [
        "start",
        "help",
        "drugs",
        "sources",
    ]
    [admin] = admins
    assert admin.params["scope"]["chat_id"] == ADMIN
    assert [x["command"] for x in admin.params["commands"]] == [
        "start",
        "help",
        "drugs",
        "sources",
        "reload",
        "stats",
        "unanswered",
        "export",
        "rollback",
        "history",
    ]


async def test_the_log_never_holds_who_asked(bot: Bot) -> None:
    # Users whose ids and names are easy to find in the file if they were written.
    for user_id in (987_654_321, 123_456_789):
        await bot.ask("is itp contagious", user_id=user_id)
        reply = await bot.ask("grapefruit cyclosporine?", user_id=user_id)
        await press(bot, vote_buttons(reply)[0]["callback_data"], user_id=user_id)
    # Let SQLite write everything out: the log and the inbox are read as plain files
    # below, once every update is answered and marked done.
    await bot.settled()
    bot.app.bot_data["handlers"].log.close()

    folder = database(bot).parent
    # The inbox of updates waiting for their answer is read too.
    assert bot.app.bot.delivery.writer.inbox.path.parent == folder
    raw = b"".join(p.read_bytes() for p in folder.iterdir() if p.is_file())
    for secret in (b"987654321", b"123456789", NAME.encode(), bot.server.token.encode()):
        assert secret not in raw
    with sqlite3.connect(database(bot)) as db:
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        rows = db.execute("SELECT * FROM questions").fetchall()
    assert tables == ["questions"]
    assert len(rows) == 4
    for row in rows:
        assert not any(str(v) in {"987654321", "123456789"} for v in row)
