"""End to end, the admins' knowledge loop in Telegram: upload, preview, apply, cancel,
expiry, broken files, rollback, export, teaching from unanswered questions, the audit
trail and two admins applying at once.

Runs the real application against the fake Bot API with real documents: the bot
fetches an admin's upload with getFile and the file URL, and sends /export as
documents. KNOWLEDGE_PATH is a folder, as ``init-knowledge`` makes it.
"""

from __future__ import annotations

import asyncio
import difflib
import re
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.admin import AdminHandlers
from bot.knowledge_store import PREVIEW_SECONDS
from tests.conftest import press_button
from tests.fake_bot_api import ApiCall
from tests.test_telegram_app import (
    ADMIN,
    KNOWLEDGE_SOURCE,
    USER,
    Bot,
    all_buttons,
    running_bot,
    visible,
)

OTHER_ADMIN = 778
ORIGINAL = KNOWLEDGE_SOURCE.read_text(encoding="utf-8")
#: The azathioprine "time to work" entry, whose phrases an upload extends.
TIME_TO_WORK = "        phrases: [four months, 4 months]\n"


def with_phrase(phrase: str, text: str = ORIGINAL) -> str:
    assert TIME_TO_WORK in text
    return text.replace(TIME_TO_WORK, f"        phrases: [four months, 4 months, {phrase}]\n", 1)


@pytest.fixture
async def bot(tmp_path: Path) -> AsyncIterator[Bot]:
    async with running_bot(tmp_path, folder=True, admins=(ADMIN, OTHER_ADMIN)) as running:
        yield running


def admin(bot: Bot) -> AdminHandlers:
    handlers: AdminHandlers = bot.app.bot_data["admin"]
    return handlers


def knowledge_file(bot: Bot) -> Path:
    return bot.path.parent / "immunosuppressants.yaml"


async def upload(
    bot: Bot, text: str, name: str = "immunosuppressants.yaml", user_id: int = ADMIN
) -> list[ApiCall]:
    """Send a document; return every message of the reply."""
    mark = bot.mark()
    bot.server.push_document(text.encode("utf-8"), name, user_id=user_id)
    await bot.barrier(user_id, user_id)
    return [c for c in bot.sent_since(mark) if c.status == 200]


async def press(bot: Bot, data: str, user_id: int = ADMIN) -> tuple[ApiCall, list[ApiCall]]:
    """Press a button; return the acknowledgement and the messages that followed."""
    mark = bot.mark()
    _, answered = await press_button(bot.server, data, chat_id=user_id, user_id=user_id)
    await bot.barrier(user_id, user_id)
    sent = bot.sent_since(mark)
    return answered, [c for c in sent if c.status == 200 and c.params["chat_id"] == user_id]


def button(call: ApiCall, text: str) -> str:
    [data] = [b["callback_data"] for b in all_buttons(call) if b["text"] == text]
    return str(data)


async def test_an_admins_upload_is_previewed_then_applied(bot: Bot) -> None:
    before = bot.live.current.version
    new_text = with_phrase("wobbly legs")

    [preview] = await upload(bot, new_text)

    assert visible(preview).splitlines() == [
        "Preview: upload of immunosuppressants.yaml, replacing immunosuppressants.yaml",
        "Changes: 0 added, 0 removed, 1 changed",
        "phrases changed: azathioprine.time-to-work (+wobbly legs)",
        "",
        f"Apply within {PREVIEW_SECONDS // 60} minutes, or Cancel. Nothing has changed yet.",
    ]
    assert [b["text"] for b in all_buttons(preview)] == ["Apply", "Cancel"]
    # Fetched from the fake Bot API, and nothing changed yet.
    [get_file] = bot.server.calls_to("getFile")
    assert get_file.status == 200
    assert len(bot.server.downloads) == 1
    assert knowledge_file(bot).read_text(encoding="utf-8") == ORIGINAL
    assert bot.live.current.version == before

    _, [applied] = await press(bot, button(preview, "Apply"))

    assert visible(applied).startswith(
        "Applied (change #1, upload of immunosuppressants.yaml): 0 added, 0 removed, 1 changed.\n"
    )
    assert knowledge_file(bot).read_text(encoding="utf-8") == new_text
    assert bot.live.current.version != before
    # The replaced version is kept in the history folder.
    assert (bot.path.parent / ".history" / "000001" / "before").read_text(
        encoding="utf-8"
    ) == ORIGINAL
    reply = await bot.ask("imuran wobbly legs")
    assert reply.params["text"].startswith("<b>Azathioprine: How long it takes to work</b>\n")


async def test_a_strangers_document_is_never_downloaded(bot: Bot) -> None:
    [reply] = await upload(bot, with_phrase("wobbly legs"), user_id=USER)

    # What any non-text message gets: nothing reveals the feature.
    assert visible(reply).startswith("I can only read text questions.")
    assert bot.server.calls_to("getFile") == []
    assert bot.server.downloads == []
    assert knowledge_file(bot).read_text(encoding="utf-8") == ORIGINAL
    # A forged Apply button from a stranger is an outdated button to them.
    answered, messages = await press(bot, "k:a:whatever", user_id=USER)
    assert answered.params["text"] == "This button is out of date. Please ask your question again."
    assert messages == []


async def test_cancel_changes_nothing_and_closes_the_preview(bot: Bot) -> None:
    [preview] = await upload(bot, with_phrase("wobbly legs"))

    answered, [cancelled] = await press(bot, button(preview, "Cancel"))
    _, [late] = await press(bot, button(preview, "Apply"))

    assert answered.params["text"] == "Cancelled."
    assert visible(cancelled) == "Cancelled. Nothing changed."
    assert visible(late).startswith("Not applied: This preview is no longer open")
    assert knowledge_file(bot).read_text(encoding="utf-8") == ORIGINAL
    assert not (bot.path.parent / ".history").exists()


async def test_an_expired_preview_is_not_applied(bot: Bot) -> None:
    [preview] = await upload(bot, with_phrase("wobbly legs"))
    store = admin(bot).store
    store.clock = lambda: time.time() + PREVIEW_SECONDS + 1

    _, [refused] = await press(bot, button(preview, "Apply"))

    assert visible(refused) == (
        "Not applied: This preview is no longer open: it was applied or cancelled, or it "
        "expired (15 minutes). Start again."
    )
    assert knowledge_file(bot).read_text(encoding="utf-8") == ORIGINAL


async def test_a_broken_file_names_its_line_and_changes_nothing(bot: Bot) -> None:
    # An unknown reference in the azathioprine "time to work" entry.
    at = ORIGINAL.index("        references: [2]\n", ORIGINAL.index(TIME_TO_WORK))
    broken = f"{ORIGINAL[:at]}        references: [2, 99]\n{ORIGINAL[at + 24 :]}"
    line = ORIGINAL[:at].count("\n") + 1
    before = bot.live.current

    replies = await upload(bot, broken)

    shown = "\n".join(visible(r) for r in replies)
    assert shown.startswith(
        "Not applied: immunosuppressants.yaml has 2 problems (as check --strict reports them). "
        "Nothing changed.\n"
    )
    [problem, warning] = shown.splitlines()[1:]
    assert warning.endswith(
        ": topic 'time-to-work' of 'azathioprine': reference 99 is listed but never cited in "
        "the answer"
    )
    match = re.fullmatch(
        r"immunosuppressants\.yaml:(\d+): topic 'time-to-work' of 'azathioprine': "
        r"unknown reference 99",
        problem,
    )
    assert match is not None, problem
    assert line - 10 < int(match.group(1)) <= line
    assert all(all_buttons(r) == [] for r in replies)
    assert knowledge_file(bot).read_text(encoding="utf-8") == ORIGINAL
    assert bot.live.current is before


async def test_a_warning_stops_an_upload_as_check_strict_does(bot: Bot) -> None:
    uncited = ORIGINAL.replace(
        "references:\n", 'references:\n  - id: X1\n    citation: "A source nobody cites"\n', 1
    )
    line = uncited.index("  - id: X1")
    line = uncited[:line].count("\n") + 1

    [reply] = await upload(bot, uncited)

    assert visible(reply).splitlines()[1:] == [
        f"immunosuppressants.yaml:{line}: warning: reference X1 is never cited"
    ]
    assert knowledge_file(bot).read_text(encoding="utf-8") == ORIGINAL


async def test_a_new_file_name_adds_a_file_and_a_bad_name_is_refused(bot: Bot) -> None:
    extra = "topics:\n  - id: extra-topic\n    title: Extra\n    phrases: [extra words]\n"

    [preview] = await upload(bot, extra, name="ours.yaml")
    [refused] = await upload(bot, extra, name="../escape.yaml")

    assert (
        visible(preview).splitlines()[0]
        == "Preview: upload of ours.yaml, adding ours.yaml as a new file"
    )
    assert visible(refused).startswith("Send a knowledge file named like immunosuppressants.yaml")
    _, [applied] = await press(bot, button(preview, "Apply"))
    assert visible(applied).startswith("Applied (change #1, upload of ours.yaml)")
    assert (bot.path.parent / "ours.yaml").read_text(encoding="utf-8") == extra
    assert not (bot.path.parent.parent / "escape.yaml").exists()


async def test_rollback_goes_back_step_by_step(bot: Bot) -> None:
    first, second = with_phrase("wobbly legs"), with_phrase("wobbly legs, jelly knees")
    for text in (first, second):
        [preview] = await upload(bot, text)
        await press(bot, button(preview, "Apply"))
    assert knowledge_file(bot).read_text(encoding="utf-8") == second

    [undo_second] = await bot.command("/rollback", user_id=ADMIN)
    title, *changes = visible(undo_second).splitlines()[:3]
    assert re.fullmatch(
        r"Preview: roll back change #2 \(upload of immunosuppressants\.yaml by 777 \(Ann\), "
        r"\d{4}-\d\d-\d\d \d\d:\d\d UTC\)",
        title,
    ), title
    assert changes == [
        "Changes: 0 added, 0 removed, 1 changed",
        "phrases changed: azathioprine.time-to-work (-jelly knees)",
    ]
    await press(bot, button(undo_second, "Apply"))
    assert knowledge_file(bot).read_text(encoding="utf-8") == first

    [undo_first] = await bot.command("/rollback", user_id=ADMIN)
    assert "roll back change #1 " in visible(undo_first)
    await press(bot, button(undo_first, "Apply"))
    assert knowledge_file(bot).read_text(encoding="utf-8") == ORIGINAL

    [nothing] = await bot.command("/rollback", user_id=ADMIN)
    assert visible(nothing) == "There is no change left to roll back."
    still = await bot.ask("imuran wobbly legs")
    assert still.params["text"].startswith("<b>Azathioprine</b>\n")


async def test_rollback_of_an_added_file_removes_it(bot: Bot) -> None:
    extra = "topics:\n  - id: extra-topic\n    title: Extra\n    phrases: [extra words]\n"
    [preview] = await upload(bot, extra, name="ours.yaml")
    await press(bot, button(preview, "Apply"))

    [undo] = await bot.command("/rollback", user_id=ADMIN)
    await press(bot, button(undo, "Apply"))

    assert not (bot.path.parent / "ours.yaml").exists()
    assert "removed: topic.extra-topic" in visible(undo)


async def test_export_sends_the_knowledge_files_as_documents(bot: Bot) -> None:
    extra = "topics:\n  - id: extra-topic\n    title: Extra\n    phrases: [extra words]\n"
    [preview] = await upload(bot, extra, name="ours.yaml")
    await press(bot, button(preview, "Apply"))
    mark = bot.mark()

    bot.server.push_command("/export", user_id=ADMIN)
    await bot.barrier(ADMIN, ADMIN)

    documents = [c for c in bot.sent_since(mark, "sendDocument") if c.status == 200]
    assert [d.result["document"]["file_name"] for d in documents] == [
        "immunosuppressants.yaml",
        "ours.yaml",
    ]
    contents = [bot.server.file_content(d.result["document"]["file_id"]) for d in documents]
    assert contents == [ORIGINAL.encode("utf-8"), extra.encode("utf-8")]
    assert documents[0].params["caption"] == (
        f"immunosuppressants.yaml, knowledge version {bot.live.current.version}"
    )


async def test_teach_from_an_unanswered_question(bot: Bot) -> None:
    await bot.ask("why are my legs so wobbly")
    [listing] = await bot.command("/unanswered", user_id=ADMIN)
    assert visible(listing).splitlines()[1].endswith(": why are my legs so wobbly")

    _, [drugs] = await press(bot, button(listing, "Teach 1: why are my legs so wobbly"))
    assert (
        visible(drugs) == "Teach: why are my legs so wobbly\nWhich medicine is this question about?"
    )
    _, [topics] = await press(bot, button(drugs, "Azathioprine"))
    assert visible(topics).endswith("Azathioprine: which topic answers it?")
    _, [prompt] = await press(bot, button(topics, "Side effects"))
    assert visible(prompt).startswith(
        "Teach: add the phrase why are my legs so wobbly to azathioprine.side-effects?"
    )
    # The admin corrects the phrase by replying to the prompt.
    mark = bot.mark()
    bot.server.push_update(
        {
            "message": {
                "message_id": 900_001,
                "date": int(time.time()),
                "chat": {"id": ADMIN, "type": "private", "first_name": "Ann"},
                "from": {"id": ADMIN, "is_bot": False, "first_name": "Ann"},
                "text": "Wobbly legs!",
                "reply_to_message": prompt.result,
            }
        }
    )
    [preview] = await bot.messages(mark, ADMIN)
    assert visible(preview).splitlines()[:3] == [
        "Preview: teach azathioprine.side-effects the phrase 'wobbly legs' "
        "(from: why are my legs so wobbly)",
        "Changes: 0 added, 0 removed, 1 changed",
        "phrases changed: azathioprine.side-effects (+wobbly legs)",
    ]

    _, [applied] = await press(bot, button(preview, "Apply"))

    assert visible(applied).startswith("Applied (change #1, teach of immunosuppressants.yaml)")
    reply = await bot.ask("imuran wobbly legs")
    assert reply.params["text"].startswith("<b>Azathioprine: Side effects</b>")
    [empty] = await bot.command("/unanswered", user_id=ADMIN)
    assert visible(empty) == "No unanswered questions recorded."
    # Only the phrase was added: every other line of the file is as it was.
    new_lines = knowledge_file(bot).read_text(encoding="utf-8").splitlines()
    edits = [d for d in difflib.ndiff(ORIGINAL.splitlines(), new_lines) if d[:1] in "+-"]
    assert edits == ["+         phrases: [wobbly legs]"]


async def test_history_is_the_audit_trail(bot: Bot) -> None:
    [empty] = await bot.command("/history", user_id=ADMIN)
    assert visible(empty) == "No change was applied from Telegram yet."
    [preview] = await upload(bot, with_phrase("wobbly legs"))
    await press(bot, button(preview, "Apply"))
    [undo] = await bot.command("/rollback", user_id=OTHER_ADMIN)
    await press(bot, button(undo, "Apply"), user_id=OTHER_ADMIN)

    [history] = await bot.command("/history", user_id=ADMIN)

    lines = visible(history).splitlines()
    assert lines[0] == "Knowledge changes (newest first, times in UTC)"
    assert re.fullmatch(
        r"#2 \d{4}-\d\d-\d\d \d\d:\d\d: rollback \(undoes #1\) of immunosuppressants\.yaml "
        r"by 778 \(Ann\): 0 added, 0 removed, 1 changed",
        lines[1],
    ), lines[1]
    assert lines[2] == "  phrases changed: azathioprine.time-to-work (-wobbly legs)"
    assert re.fullmatch(
        r"#1 .*: upload of immunosuppressants\.yaml by 777 \(Ann\): 0 added, 0 removed, 1 changed",
        lines[3],
    ), lines[3]
    assert lines[4] == "  phrases changed: azathioprine.time-to-work (+wobbly legs)"


async def test_two_admins_apply_at_once_the_second_is_refused(bot: Bot) -> None:
    [mine] = await upload(bot, with_phrase("wobbly legs"), user_id=ADMIN)
    [theirs] = await upload(bot, with_phrase("jelly knees"), user_id=OTHER_ADMIN)

    (_, [first]), (_, [second]) = await asyncio.gather(
        press(bot, button(mine, "Apply"), user_id=ADMIN),
        press(bot, button(theirs, "Apply"), user_id=OTHER_ADMIN),
    )

    outcomes = sorted([visible(first), visible(second)])
    assert outcomes[0].startswith("Applied (change #1, upload of immunosuppressants.yaml)")
    assert outcomes[1].startswith(
        "Not applied: The knowledge changed after this preview was made (another admin "
        "applied a change, or it was reloaded)"
    )
    # Nothing lost: the file is exactly one of the two uploads, the history has one step.
    on_disk = knowledge_file(bot).read_text(encoding="utf-8")
    assert on_disk in {with_phrase("wobbly legs"), with_phrase("jelly knees")}
    assert [s.seq for s in admin(bot).store.history()] == [1]
    assert bot.live.current.version == admin(bot).store.live.current.version
    assert "wobbly legs" in on_disk or "jelly knees" in on_disk


async def test_a_read_only_knowledge_is_never_edited(bot: Bot) -> None:
    admin(bot).store.protected = bot.path.parent.resolve()

    [reply] = await upload(bot, with_phrase("wobbly legs"))

    assert visible(reply).startswith(
        f"The knowledge is read from {bot.path.parent}, which the bot must not change"
    )
    assert "init-knowledge" in visible(reply)
    assert bot.server.downloads == []
    assert knowledge_file(bot).read_text(encoding="utf-8") == ORIGINAL
