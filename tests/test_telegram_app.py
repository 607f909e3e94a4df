"""End-to-end tests of the Telegram bot against the fake Bot API server.

Every test runs the real :func:`bot.telegram_app.build_application` (real PTB polling,
request encoding, AIORateLimiter and error mapping) against :class:`FakeBotApi` on
127.0.0.1, and asserts on what the fake server recorded.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import logging
import os
import re
import signal
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from telegram import Update
from telegram.ext import Application

from bot.live import LiveKnowledge
from bot.settings import Settings
from bot.telegram_app import COMMANDS, build_application
from tests.conftest import E2E_WAIT as WAIT
from tests.conftest import barrier, wait_delivered
from tests.fake_bot_api import DEFAULT_USER_ID, ApiCall, FakeBotApi, JSONDict

KNOWLEDGE_SOURCE = Path(__file__).resolve().parent.parent / "knowledge" / "immunosuppressants.yaml"
USER = DEFAULT_USER_ID
OTHER_USER = 2002
ADMIN = 777

DRUGS = {
    "azathioprine": "Azathioprine",
    "cyclosporine": "Cyclosporine",
    "mycophenolate": "Mycophenolate mofetil",
    "dapsone": "Dapsone",
    "sirolimus": "Sirolimus",
}
DRUG_BUTTONS = [[{"text": name, "callback_data": f"d:{i}"}] for i, name in DRUGS.items()]
GRAPEFRUIT_TITLE = "<b>Cyclosporine: Interactions with food, herbs and medicines</b>"
SORRY = "Sorry, something went wrong on my side. Please try again in a moment."

# --------------------------------------------------------------------- Telegram HTML

#: The tags Telegram's HTML parse mode accepts.
_TELEGRAM_TAGS = frozenset(
    {
        "a",
        "b",
        "blockquote",
        "code",
        "del",
        "em",
        "i",
        "ins",
        "pre",
        "s",
        "span",
        "strike",
        "strong",
        "tg-emoji",
        "tg-spoiler",
        "u",
    }
)
# Attributes with a value (href="...") or without one (<blockquote expandable>).
_TAG_RE = re.compile(r'<(/?)([A-Za-z][A-Za-z0-9-]*)((?:\s+[a-z-]+(?:="[^"<>]*")?)*)\s*>')
_ENTITY_RE = re.compile(r"&(?:lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);")


def telegram_html_problems(text: str) -> list[str]:
    """Why Telegram would refuse ``text`` with parse_mode HTML (empty when it is fine).

    The fake server checks lengths but does not parse markup, so the tests do: only
    supported tags, properly nested, and every other ``<``, ``>`` and ``&`` escaped.
    """
    problems: list[str] = []
    stack: list[str] = []
    plain: list[str] = []
    position = 0
    for match in _TAG_RE.finditer(text):
        plain.append(text[position : match.start()])
        position = match.end()
        closing, name = match.group(1), match.group(2).lower()
        if name not in _TELEGRAM_TAGS:
            problems.append(f"unsupported tag {match.group()!r}")
        elif not closing:
            stack.append(name)
        elif not stack or stack.pop() != name:
            problems.append(f"unbalanced {match.group()!r}")
    plain.append(text[position:])
    rest = "".join(plain)
    problems += [f"raw {char!r} in the text" for char in "<>" if char in rest]
    for amp in re.finditer("&", rest):
        if not _ENTITY_RE.match(rest, amp.start()):
            problems.append(f"unescaped '&' at {rest[amp.start() : amp.start() + 12]!r}")
    problems += [f"unclosed <{name}>" for name in stack]
    return problems


def assert_html_reply(call: ApiCall) -> None:
    """The call is a delivered HTML message Telegram could parse."""
    assert call.method == "sendMessage"
    assert call.status == 200, call.error
    assert call.params["parse_mode"] == "HTML"
    assert call.params["link_preview_options"] == {"is_disabled": True}
    assert telegram_html_problems(call.params["text"]) == [], call.params["text"]


def visible(call: ApiCall) -> str:
    """The text as the user sees it (markup removed, entities decoded)."""
    return str(call.result["text"])


def all_buttons(call: ApiCall) -> list[JSONDict]:
    markup = call.params.get("reply_markup") or {"inline_keyboard": []}
    return [button for row in markup["inline_keyboard"] for button in row]


def buttons_of(call: ApiCall) -> list[JSONDict]:
    """The buttons that lead to the knowledge (``d:`` drug, ``e:`` entry), in order.

    Every button Telegram would get is checked against its 64-byte callback_data limit.
    """
    buttons = all_buttons(call)
    for button in buttons:
        assert 1 <= len(button["callback_data"].encode()) <= 64, button
    return [b for b in buttons if b["callback_data"].startswith(("d:", "e:"))]


# ----------------------------------------------------------------------- the harness


@dataclass
class Bot:
    """A running bot, the fake server it talks to and its knowledge file."""

    server: FakeBotApi
    app: Application  # type: ignore[type-arg]  # PTB's generics
    live: LiveKnowledge
    path: Path
    barrier_ids: set[str] = field(default_factory=set)

    def mark(self) -> int:
        """Index of the next recorded call, to look only at what follows."""
        return len(self.server.calls)

    async def messages(self, mark: int, chat_id: int = USER, count: int = 1) -> list[ApiCall]:
        """Wait for ``count`` delivered messages to ``chat_id`` since ``mark``."""
        calls = await wait_delivered(self.server, chat_id, since=mark, count=count, timeout=WAIT)
        for call in calls:
            if call.params.get("parse_mode") is not None:
                assert_html_reply(call)
        return calls

    async def ask(self, text: str, user_id: int = USER, chat_id: int | None = None) -> ApiCall:
        """Send a message and return the bot's one reply."""
        mark = self.mark()
        self.server.push_message(text, chat_id=chat_id, user_id=user_id)
        [reply] = await self.messages(mark, chat_id if chat_id is not None else user_id)
        return reply

    async def command(self, text: str, user_id: int = USER) -> list[ApiCall]:
        """Send a command and return every message of the reply."""
        mark = self.mark()
        self.server.push_command(text, user_id=user_id)
        await self.barrier(user_id, user_id)
        replies = [c for c in self.sent_since(mark) if c.status == 200]
        assert replies, f"no reply to {text!r}"
        assert all(c.params["chat_id"] == user_id for c in replies)
        for call in replies:
            assert_html_reply(call)
        return replies

    async def barrier(self, chat_id: int = USER, user_id: int = USER) -> None:
        """Wait until every update pushed so far to ``chat_id`` has been fully handled."""
        self.barrier_ids.add(await barrier(self.server, chat_id, user_id))

    async def settled(self) -> None:
        """Wait until every update handled so far is marked done in the inbox, on disk."""
        delivery = self.app.bot.delivery
        deadline = time.monotonic() + WAIT
        while delivery.waiting:
            assert time.monotonic() < deadline, f"{delivery.waiting} update(s) never marked done"
            await asyncio.sleep(0.01)
        assert delivery.writer is not None
        await delivery.writer.flushed()

    def sent_since(self, mark: int, method: str = "sendMessage") -> list[ApiCall]:
        """Calls of ``method`` since ``mark``, except the barriers' answers."""
        return [
            c
            for c in self.server.calls[mark:]
            if c.method == method and c.params.get("callback_query_id") not in self.barrier_ids
        ]

    def edit_knowledge(self, old: str, new: str) -> int:
        """Replace ``old`` (which must occur) in the knowledge file; return its line."""
        text = self.path.read_text(encoding="utf-8")
        assert old in text, f"the knowledge file no longer contains {old!r}"
        self.path.write_text(text.replace(old, new, 1), encoding="utf-8")
        return text[: text.index(old)].count("\n") + 1


@contextlib.asynccontextmanager
async def running_bot(
    tmp_path: Path,
    edit: Callable[[str], str] | None = None,
    *,
    folder: bool = False,
    admins: tuple[int, ...] = (ADMIN,),
) -> AsyncIterator[Bot]:
    """Run the real application against a fresh fake server, like ``run_polling`` does.

    ``post_init`` is only called by ``run_polling``/``run_webhook``, so it is called here
    in the same order: initialize, post_init, start polling, start. With ``folder``,
    KNOWLEDGE_PATH is a folder holding the file, as the admins' set-up has it.
    """
    path = (tmp_path / "knowledge" if folder else tmp_path) / "immunosuppressants.yaml"
    path.parent.mkdir(exist_ok=True)
    text = KNOWLEDGE_SOURCE.read_text(encoding="utf-8")
    path.write_text(edit(text) if edit else text, encoding="utf-8")
    knowledge_path = path.parent if folder else path
    # A short long-poll keeps shutdown (which waits for the current poll) fast.
    with FakeBotApi(max_poll_timeout=0.25) as server:
        settings = Settings.from_env(
            {
                "TELEGRAM_BOT_TOKEN": server.token,
                "ADMIN_IDS": ",".join(str(a) for a in admins),
                "KNOWLEDGE_PATH": str(knowledge_path),
                "TELEGRAM_BASE_URL": server.url,
                # Anything the bot writes stays in the test's folder.
                "DATA_PATH": str(tmp_path / "data" / "questions.sqlite3"),
            }
        )
        assert (settings.token, settings.admin_ids, settings.knowledge_path) == (
            server.token,
            frozenset(admins),
            knowledge_path,
        )
        assert settings.base_url == server.base_url
        live = LiveKnowledge(knowledge_path)
        app = build_application(settings, live)
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
                await app.updater.stop()
                await app.stop()


@pytest.fixture
async def bot(tmp_path: Path) -> AsyncIterator[Bot]:
    async with running_bot(tmp_path) as running:
        yield running


# ------------------------------------------------------------------------- start-up


async def test_startup_registers_the_commands(bot: Bot) -> None:
    calls = await bot.server.wait_for_async("setMyCommands", timeout=WAIT)

    # The menu everybody sees: the default scope (admins may get a menu of their own).
    [call] = [c for c in calls if c.params.get("scope") in (None, {"type": "default"})]
    assert call.status == 200
    assert [c["command"] for c in call.params["commands"]] == ["start", "help", "drugs", "sources"]
    assert call.params["commands"] == [{"command": n, "description": d} for n, d in COMMANDS]
    # The admin-only /reload is not advertised to everybody.
    assert "reload" not in {c["command"] for c in call.params["commands"]}
    # Polling asks for every update type, callback and inline queries included.
    [poll, *_] = await bot.server.wait_for_async("getUpdates", timeout=WAIT)
    assert {"message", "callback_query", "inline_query"} <= set(poll.params["allowed_updates"])


# ------------------------------------------------------------------------- commands


async def test_start_introduces_the_bot_with_drug_buttons(bot: Bot) -> None:
    [reply] = await bot.command("/start")

    assert reply.params["chat_id"] == USER
    text = reply.params["text"]
    assert text.startswith("<b>ITP medication helper</b>\n")
    assert "immunosuppressants used for immune thrombocytopenia (ITP)" in text
    assert "Azathioprine, Cyclosporine, Mycophenolate mofetil, Dapsone, Sirolimus" in text
    assert "not medical advice" in text
    assert reply.params["reply_markup"] == {"inline_keyboard": DRUG_BUTTONS}


async def test_help_lists_the_commands(bot: Bot) -> None:
    [reply] = await bot.command("/help")

    text = reply.params["text"]
    assert text.startswith("<b>How to ask</b>\n")
    assert "<i>and the side effects?</i>" in text
    assert "contact your doctor now" in text
    for name, description in COMMANDS:
        assert f"/{name} - {description}" in text
    assert "/reload" not in text
    assert "reply_markup" not in reply.params


async def test_drugs_lists_every_drug_as_a_button(bot: Bot) -> None:
    [reply] = await bot.command("/drugs")

    text = reply.params["text"]
    assert text.startswith("The medicines I cover (tap one):\n\n")
    lines = text.split("\n\n", 1)[1].splitlines()
    assert [re.sub(r"^<b>(.*?)</b>: .*$", r"\1", line) for line in lines] == list(DRUGS.values())
    assert "Imuran, Azamun" in lines[0]
    assert "Sandimmune, Neoral" in lines[1]
    assert reply.params["reply_markup"] == {"inline_keyboard": DRUG_BUTTONS}


async def test_drugs_does_not_repeat_the_drug_name_among_its_other_names(bot: Bot) -> None:
    [reply] = await bot.command("/drugs")

    lines = reply.params["text"].split("\n\n", 1)[1].splitlines()
    for line in lines:
        name, others = re.fullmatch(r"<b>(.*?)</b>: (.*)", line).groups()  # type: ignore[union-attr]
        assert name.casefold() not in {o.casefold() for o in others.split(", ")}, line


async def test_sources_lists_every_reference(bot: Bot) -> None:
    replies = await bot.command("/sources")

    text = "\n".join(r.params["text"] for r in replies)
    assert text.startswith("<b>Sources</b>\n")
    assert "[1] Wikipedia: Azathioprine" in text
    assert "[2] Quiquandon I et al." in text
    assert (
        '[3] <a href="https://medlineplus.gov/druginfo/meds/a682167.html">'
        "Medline Plus: Azathioprine</a>"
    ) in text
    for ref in bot.live.current.kb.references:
        assert f"[{ref.id}] " in text
    assert all(len(visible(r)) <= 4096 for r in replies)


async def test_sources_longer_than_one_message_is_split(tmp_path: Path) -> None:
    extra = "".join(
        f'  - id: X{i}\n    citation: "Extra source {i}: {"a long citation " * 12}"\n'
        for i in range(60)
    )

    async with running_bot(
        tmp_path, lambda t: t.replace("references:\n", "references:\n" + extra, 1)
    ) as b:
        replies = await b.command("/sources")

    assert len(replies) >= 2
    assert all(len(r.params["text"]) <= 4096 for r in replies)
    text = "\n".join(r.params["text"] for r in replies)
    ids = re.findall(r"^\[([A-Za-z0-9]+)\] ", text, re.MULTILINE)
    assert ids == [ref.id for ref in b.live.current.kb.references]
    assert len(ids) == 60 + 69  # the extra ones and the shipped ones
    assert "[2] Quiquandon I et al." in text


# ------------------------------------------------------------------------ questions


async def test_question_gets_a_cited_html_answer(bot: Bot) -> None:
    reply = await bot.ask("grapefruit cyclosporine?")

    assert reply.params["chat_id"] == USER
    text = reply.params["text"]
    assert text.startswith(
        GRAPEFRUIT_TITLE + "\nAvoid grapefruit juice, because it interferes with ciclosporin"
    )
    assert "can raise the level of cyclosporine in your blood [5]" in text
    assert "<i>A word of caution: " in text
    # The sources fold away in an expandable quote, with when they were last checked.
    assert "\n\n<blockquote expandable><b>Sources</b>\n[P13] " in text
    assert "\n[5] Schwarz UI et al." in text
    assert text.endswith("\nChecked against these sources: November 2026</blockquote>")
    assert buttons_of(reply) == []  # a complete answer: nothing to choose from
    # The order: answer, caution, then the sources it cites.
    shown = visible(reply)
    assert shown.index("Grapefruit") < shown.index("A word of caution") < shown.index("Sources")


async def test_follow_up_remembers_the_drug_per_chat(bot: Bot) -> None:
    overview = await bot.ask("imuran")
    assert overview.params["text"].startswith("<b>Azathioprine</b>\n")
    assert {"text": "Side effects", "callback_data": "e:azathioprine.side-effects"} in buttons_of(
        overview
    )

    follow_up = await bot.ask("and the side effects?")
    assert follow_up.params["text"].startswith("<b>Azathioprine: Side effects</b>\n")
    assert "Side effects of azathioprine include" in follow_up.params["text"]

    # Another chat never asked about azathioprine: nothing leaks from the first one.
    elsewhere = await bot.ask("and the side effects?", user_id=OTHER_USER)
    assert elsewhere.params["chat_id"] == OTHER_USER
    assert "Azathioprine: Side effects" not in elsewhere.params["text"]
    assert "Side effects of azathioprine" not in elsewhere.params["text"]
    assert elsewhere.params["text"].startswith("Which medicine do you mean?")
    assert [b["callback_data"] for b in buttons_of(elsewhere)] == [
        f"e:{drug}.side-effects" for drug in DRUGS
    ]


async def test_conversation_memory_keeps_the_named_drug_and_the_red_flag_first(bot: Bot) -> None:
    await bot.ask("my daughter takes mycophenolate")
    follow_up = await bot.ask("could it cause cancer")
    text = follow_up.params["text"]
    # The child named in the first message is remembered: the child line comes first.
    assert text.startswith("If this is about a child: my sources do not cover children")
    assert "<b>Mycophenolate mofetil: Serious risks</b>" in text
    assert "Sirolimus" not in text
    # Another chat that never named a drug gets no drug's entry for the same words.
    elsewhere = await bot.ask("could it cause cancer", user_id=OTHER_USER)
    assert "Mycophenolate mofetil: Serious risks" not in elsewhere.params["text"]
    urgent = await bot.ask("plt 9 this morning")
    assert urgent.params["text"].startswith("\u26a0\ufe0f <b>")


async def test_a_crisis_gets_the_crisis_reply_and_nothing_else(bot: Bot) -> None:
    reply = await bot.ask("how many imuran would it take to be fatal")
    text = visible(reply)
    assert "116 123" in text
    assert "988" in text
    assert "Azathioprine" not in text
    assert "dose" not in text
    assert buttons_of(reply) == []


async def test_follow_up_after_a_button_press(bot: Bot) -> None:
    mark = bot.mark()
    bot.server.push_callback_query("d:cyclosporine")
    [overview] = await bot.messages(mark)
    assert overview.params["text"].startswith("<b>Cyclosporine</b>\n")

    follow_up = await bot.ask("and the side effects?")

    assert follow_up.params["text"].startswith("<b>Cyclosporine: Side effects</b>\n")


async def test_look_alike_drug_is_not_answered(bot: Bot) -> None:
    reply = await bot.ask("tacrolimus side effects")

    shown = visible(reply).lower()
    assert shown.startswith("i can't answer that: tacrolimus is not covered.")
    assert "kidney" not in shown
    assert "grapefruit" not in shown
    assert "side effects of" not in shown
    assert buttons_of(reply) == [b for [b] in DRUG_BUTTONS]


async def test_red_flag_puts_contact_your_doctor_first(bot: Bot) -> None:
    reply = await bot.ask("fever and chills on azathioprine")

    text = reply.params["text"]
    # The fever's own instruction, in bold, before any fact.
    assert text.startswith("\u26a0\ufe0f <b>Contact your doctor or haematology team now"), text[:80]
    assert "<b>Azathioprine: Side effects</b>" in text
    assert text.index("haematology team now") < text.index("Azathioprine: Side effects")


@pytest.mark.parametrize(
    "text",
    [
        "<b>hi</b> & <script>",
        "tacrolimus <i>",
        "imuran <script>alert(1)</script> side effects",
        "grapefruit & cyclosporine <",
        '<a href="https://evil.example">sirolimus</a> &amp; &lt;',
    ],
)
async def test_user_markup_never_breaks_the_reply(bot: Bot, text: str) -> None:
    reply = await bot.ask(text)

    # assert_html_reply (called by ask) checked the markup; the fake accepted it.
    assert reply.status == 200
    assert "<script>" not in reply.params["text"]
    assert "evil.example" not in reply.params["text"]


# -------------------------------------------------------------------------- buttons


async def test_button_press_sends_the_entry(bot: Bot) -> None:
    mark = bot.mark()
    update = bot.server.push_callback_query("e:cyclosporine.interactions")

    [reply] = await bot.messages(mark)
    [answered] = bot.sent_since(mark, "answerCallbackQuery")
    assert answered.params == {"callback_query_id": update["callback_query"]["id"]}
    assert answered.timestamp <= reply.timestamp
    assert reply.params["chat_id"] == USER
    assert reply.params["text"].startswith(GRAPEFRUIT_TITLE)
    assert "[5]" in reply.params["text"]
    assert "<b>Sources</b>" in reply.params["text"]


@pytest.mark.parametrize(
    "data", ["e:nope.nothing", "d:nope", "e:general.caution", "x:cyclosporine", ""]
)
async def test_outdated_button_is_answered_without_a_message(bot: Bot, data: str) -> None:
    mark = bot.mark()
    update = bot.server.push_callback_query(data)
    await bot.barrier()

    [answered] = bot.sent_since(mark, "answerCallbackQuery")
    assert answered.status == 200
    assert answered.params["callback_query_id"] == update["callback_query"]["id"]
    assert "out of date" in answered.params["text"]
    assert bot.sent_since(mark) == []
    # No crash: the bot still answers.
    assert (await bot.ask("grapefruit cyclosporine?")).params["text"].startswith(GRAPEFRUIT_TITLE)


async def test_every_drug_button_and_every_entry_button_answers(bot: Bot) -> None:
    assert [d.id for d in bot.live.current.kb.drugs] == list(DRUGS)
    for drug_id, name in DRUGS.items():
        mark = bot.mark()
        bot.server.push_callback_query(f"d:{drug_id}")
        [overview] = await bot.messages(mark)
        assert overview.params["text"].startswith(f"<b>{html.escape(name)}</b>\n")
        assert '">MedlinePlus drug page</a>' in overview.params["text"]
        entry_buttons = buttons_of(overview)
        assert entry_buttons, f"no entry buttons under {drug_id}"
        for button in entry_buttons:
            assert len(button["callback_data"].encode()) <= 64
            assert button["callback_data"].startswith(f"e:{drug_id}.")

            mark = bot.mark()
            bot.server.push_callback_query(button["callback_data"])
            [entry] = await bot.messages(mark)
            assert entry.params["text"].startswith(f"<b>{html.escape(name)}: ")
            [answered] = bot.sent_since(mark, "answerCallbackQuery")
            assert "text" not in answered.params  # not "out of date"


# --------------------------------------------------------------------------- inline


async def _inline(bot: Bot, query: str) -> JSONDict:
    mark = bot.mark()
    update = bot.server.push_inline_query(query)
    [call] = await bot.server.wait_for_async("answerInlineQuery", timeout=WAIT, since=mark)
    assert call.status == 200, call.error
    assert call.params["inline_query_id"] == update["inline_query"]["id"]
    return call.params


async def test_inline_query_offers_the_matching_entries(bot: Bot) -> None:
    params = await _inline(bot, "grapefruit")

    results: list[JSONDict] = params["results"]
    ids = [r["id"] for r in results]
    assert "cyclosporine.interactions" in ids
    assert "sirolimus.interactions" in ids
    assert len(set(ids)) == len(ids)
    for result in results:
        assert result["type"] == "article"
        assert 1 <= len(result["id"].encode()) <= 64
        assert 0 < len(result["title"]) <= 100
        content = result["input_message_content"]
        assert content["parse_mode"] == "HTML"
        assert telegram_html_problems(content["message_text"]) == []
        assert len(content["message_text"]) <= 4096
        assert "<b>Sources</b>" in content["message_text"]
    by_id = {r["id"]: r for r in results}
    cyclosporine = by_id["cyclosporine.interactions"]
    assert cyclosporine["title"] == "Cyclosporine: Interactions with food, herbs and medicines"
    assert cyclosporine["input_message_content"]["message_text"].startswith(GRAPEFRUIT_TITLE)
    assert cyclosporine["description"].startswith("Avoid grapefruit juice")
    assert params["cache_time"] == 60


@pytest.mark.parametrize("query", ["tacrolimus", "tacrolimus grapefruit", "", "   "])
async def test_inline_query_for_something_not_covered_offers_nothing(bot: Bot, query: str) -> None:
    params = await _inline(bot, query)

    assert params["results"] == []
    text = repr(params)
    assert "cyclosporine" not in text.lower()
    assert "sirolimus" not in text.lower()


async def test_inline_red_flag_keeps_contact_your_doctor(bot: Bot) -> None:
    params = await _inline(bot, "fever and chills on azathioprine")

    results: list[JSONDict] = params["results"]
    assert "azathioprine.side-effects" in [r["id"] for r in results]
    for result in results:
        assert result["title"].startswith("What to do now - ")
        text = result["input_message_content"]["message_text"]
        assert text.startswith(
            "\u26a0\ufe0f <b>Contact your doctor or haematology team now about a fever"
        ), text[:80]


# --------------------------------------------------------------------------- reload


async def test_admin_reload_applies_a_new_phrase(bot: Bot) -> None:
    before_reply = await bot.ask("imuran wobbly legs")
    assert before_reply.params["text"].startswith("<b>Azathioprine</b>\n")  # the overview
    before = bot.live.current
    bot.edit_knowledge("phrases: [side effects,", "phrases: [wobbly legs, side effects,")

    [reply] = await bot.command("/reload", user_id=ADMIN)

    shown = visible(reply)
    assert shown.startswith("Knowledge reloaded: 5 drugs")
    assert "Changes: 0 added, 0 removed, 1 changed" in shown
    assert shown.endswith("\nphrases changed: topic.side-effects (+wobbly legs)")
    assert bot.live.current is not before
    after = await bot.ask("imuran wobbly legs")
    # The new phrase now reaches the side effects, which do not list it: the reply says so.
    assert after.params["text"].startswith(
        'My sources do not mention "wobbly legs" for azathioprine'
    )
    assert "\n\n<b>Azathioprine: Side effects</b>\n" in after.params["text"]


async def test_reload_with_no_change_says_so(bot: Bot) -> None:
    [reply] = await bot.command("/reload", user_id=ADMIN)

    assert visible(reply).endswith("Changes: 0 added, 0 removed, 0 changed\nno entry changed")


async def test_reload_by_a_non_admin_is_ignored(bot: Bot) -> None:
    before = bot.live.current
    bot.edit_knowledge("phrases: [side effects,", "phrases: [wobbly legs, side effects,")
    mark = bot.mark()

    bot.server.push_command("/reload", user_id=USER)
    await bot.barrier(USER)

    assert bot.sent_since(mark) == []
    assert bot.live.current is before
    still = await bot.ask("imuran wobbly legs")
    assert still.params["text"].startswith("<b>Azathioprine</b>\n")


def _unknown_reference(bot: Bot) -> str:
    line = bot.edit_knowledge(
        "references: [P13, P14, P19, 5, 6]\n", "references: [P13, P14, P19, 5, 6, 99]\n"
    )
    lines = bot.path.read_text(encoding="utf-8").splitlines()
    entry = max(i for i in range(line) if lines[i].strip() == "- id: interactions") + 1
    # The problem names a line of the cyclosporine interactions entry.
    where = "|".join(str(n) for n in range(entry, line + 1))
    return (
        rf"^{re.escape(str(bot.path))}:({where}): "
        "topic 'interactions' of 'cyclosporine': unknown reference 99$"
    )


def _unknown_reference_with_markup(bot: Bot) -> str:
    bot.edit_knowledge(
        "references: [P13, P14, P19, 5, 6]\n", 'references: [P13, P14, P19, 5, 6, "<b>&x"]\n'
    )
    # Shown to the admin as text, not as markup (the reply's HTML is checked too).
    return r": topic 'interactions' of 'cyclosporine': unknown reference <b>&x$"


def _invalid_yaml(bot: Bot) -> str:
    line = bot.edit_knowledge(
        "references: [P13, P14, P19, 5, 6]\n", "references: [P13, P14, P19, 5, 6\n"
    )
    return rf"^{re.escape(str(bot.path))}:({line}|{line + 1}|{line + 2}): YAML syntax error: "


@pytest.mark.parametrize(
    "breakage", [_unknown_reference, _unknown_reference_with_markup, _invalid_yaml]
)
async def test_failed_reload_keeps_the_old_knowledge(
    bot: Bot, breakage: Callable[[Bot], str]
) -> None:
    before = bot.live.current
    expected = breakage(bot)

    replies = await bot.command("/reload", user_id=ADMIN)

    shown = "\n".join(visible(r) for r in replies)
    assert shown.startswith("Reload failed: ")
    assert "I keep serving the previous knowledge." in shown
    assert re.search(expected, shown, re.MULTILINE), shown
    assert bot.live.current is before
    reply = await bot.ask("grapefruit cyclosporine?")
    assert reply.params["text"].startswith(GRAPEFRUIT_TITLE)
    assert "[5]" in reply.params["text"]


async def test_sighup_reloads_the_knowledge(bot: Bot) -> None:
    handler = signal.getsignal(signal.SIGHUP)
    if handler in (signal.SIG_DFL, signal.SIG_IGN, None):
        pytest.skip("post_init could not install the SIGHUP handler here")
    before = bot.live.current
    bot.edit_knowledge("phrases: [side effects,", "phrases: [wobbly legs, side effects,")

    os.kill(os.getpid(), signal.SIGHUP)
    # The loop runs the handler soon after the signal: wait for the swap, bounded.
    deadline = time.monotonic() + WAIT
    while bot.live.current is before and time.monotonic() < deadline:
        await asyncio.sleep(0.01)

    assert bot.live.current is not before
    reply = await bot.ask("imuran wobbly legs")
    assert "\n\n<b>Azathioprine: Side effects</b>\n" in reply.params["text"]


# ------------------------------------------------------------ Bot API errors


async def test_rate_limited_reply_is_retried(bot: Bot, monkeypatch: pytest.MonkeyPatch) -> None:
    # PTB 22 warns when RetryAfter.retry_after is an int; opt in to timedelta.
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    bot.server.fail_next("sendMessage", 429, retry_after=1)
    mark = bot.mark()

    reply = await bot.ask("grapefruit cyclosporine?")

    failed, delivered = bot.sent_since(mark)
    assert (failed.status, failed.failed) == (429, True)
    assert failed.error == "Too Many Requests: retry after 1"
    assert delivered is reply
    assert (delivered.status, delivered.failed) == (200, False)
    assert delivered.params["text"] == failed.params["text"]
    assert delivered.params["text"].startswith(GRAPEFRUIT_TITLE)
    assert delivered.timestamp - failed.timestamp >= 0.9  # it waited retry_after


async def test_server_error_is_reported_and_the_bot_keeps_going(bot: Bot) -> None:
    # Every attempt at the reply fails (1 try + 2 resends): the user is told.
    bot.server.fail_next("sendMessage", status=500, times=3)
    mark = bot.mark()

    bot.server.push_message("grapefruit cyclosporine?")
    [sorry] = await bot.messages(mark)
    next_reply = await bot.ask("imuran")

    *failed, _, _ = bot.sent_since(mark)
    assert [(c.status, c.failed) for c in failed] == [(500, True)] * 3
    assert all(c.params["text"].startswith(GRAPEFRUIT_TITLE) for c in failed)
    assert sorry.params == {"chat_id": USER, "text": SORRY}
    assert next_reply.params["text"].startswith("<b>Azathioprine</b>\n")
    assert bot.sent_since(mark) == [*failed, sorry, next_reply]


async def test_blocked_by_the_user_is_dropped_silently(
    bot: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    bot.server.fail_next(
        "sendMessage", status=403, description="Forbidden: bot was blocked by the user"
    )
    mark = bot.mark()

    with caplog.at_level(logging.INFO, logger="bot.telegram_app"):
        bot.server.push_message("grapefruit cyclosporine?")
        next_reply = await bot.ask("imuran")

    [failed, delivered] = bot.sent_since(mark)
    assert (failed.status, failed.error) == (403, "Forbidden: bot was blocked by the user")
    assert delivered is next_reply
    assert next_reply.params["text"].startswith("<b>Azathioprine</b>\n")
    assert all(SORRY not in c.params.get("text", "") for c in bot.server.calls_to("sendMessage"))
    ours = [r for r in caplog.records if r.name == "bot.telegram_app"]
    assert any("dropped a reply" in r.getMessage() for r in ours)
    assert not [r for r in ours if r.levelno >= logging.ERROR]


# ----------------------------------------------------------------------- not text


@pytest.mark.parametrize("push", ["push_sticker", "push_photo"])
async def test_non_text_message_gets_a_hint(bot: Bot, push: str) -> None:
    mark = bot.mark()
    pusher: Callable[..., Any] = getattr(bot.server, push)
    pusher()

    [reply] = await bot.messages(mark)

    assert reply.params["text"] == (
        "I can only read text questions. Type one, for example: <i>grapefruit cyclosporine?</i>"
    )
    assert "reply_markup" not in reply.params


async def test_photo_caption_is_not_read_as_a_question(bot: Bot) -> None:
    mark = bot.mark()
    bot.server.push_photo(caption="grapefruit cyclosporine?")

    [reply] = await bot.messages(mark)

    assert visible(reply).startswith("I can only read text questions.")


# -------------------------------------------------------------------- group chats


async def test_command_addressed_to_the_bot_in_a_group(bot: Bot) -> None:
    group = -100123
    mark = bot.mark()
    bot.server.push_command("/start@other_bot", chat_id=group)
    bot.server.push_command("/start@itp_helper_bot", chat_id=group)

    [reply] = await bot.messages(mark, chat_id=group)
    await bot.barrier(group)

    assert reply.params["text"].startswith("<b>ITP medication helper</b>")
    assert len(bot.sent_since(mark)) == 1  # /start@other_bot was not for us


# ------------------------------------------------------------- found in review


async def test_a_broken_question_log_never_holds_a_reply_back(
    bot: Bot, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import sqlite3

    def locked(*args: Any, **kwargs: Any) -> str:
        raise sqlite3.OperationalError("database is locked")

    monkeypatch.setattr(bot.app.bot_data["handlers"].log, "record", locked)
    with caplog.at_level(logging.WARNING, logger="bot.telegram_app"):
        reply = await bot.ask("vomiting blood on cellcept")
    assert visible(reply).startswith(
        "\u26a0\ufe0f Call emergency services now if you are vomiting blood"
    )
    assert "could not log a question: database is locked" in caplog.text


async def test_inline_red_flag_without_a_drug_offers_the_advice(bot: Bot) -> None:
    mark = bot.mark()
    bot.server.push_inline_query("i have a fever")
    [call] = await bot.server.wait_for_async("answerInlineQuery", timeout=WAIT, since=mark)
    [result] = call.params["results"]
    assert result["title"] == "What to do now"
    text = result["input_message_content"]["message_text"]
    assert text.startswith(
        "\u26a0\ufe0f <b>Contact your doctor or haematology team now about a fever"
    )


async def test_a_button_too_old_to_acknowledge_is_still_answered(bot: Bot) -> None:
    bot.server.fail_next(
        "answerCallbackQuery", status=400, description="Bad Request: query is too old"
    )
    mark = bot.mark()
    bot.server.push_callback_query("e:cyclosporine.interactions", chat_id=USER, user_id=USER)
    [reply] = await bot.messages(mark)
    assert reply.params["text"].startswith(GRAPEFRUIT_TITLE)
