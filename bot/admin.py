"""The admins' side of the bot in Telegram: run the knowledge without a shell.

Upload a knowledge file and see a preview (its problems, or what it changes) with
Apply and Cancel; roll back; export; teach a phrase from an unanswered question;
see the statistics and the audit trail. Every handler here is registered behind
python-telegram-bot's ``filters.User`` (callback buttons behind the same ids), so a
stranger's update never reaches them: a stranger's document is never downloaded.
The decisions (validation, atomic writes, history) are in :mod:`bot.knowledge_store`
and :mod:`bot.teach`; these handlers only translate.
"""

from __future__ import annotations

import asyncio
import html
import logging
import re
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from telegram import Message, Update, User
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.composing import Button
from bot.knowledge import KnowledgeError
from bot.knowledge_store import (
    MAX_FILE_BYTES,
    PREVIEW_SECONDS,
    KnowledgeStore,
    Proposal,
    StoreError,
)
from bot.live import LiveKnowledge
from bot.matching import normalize
from bot.records import QuestionLog
from bot.rendering import split_message
from bot.teach import TeachError, add_phrase, suggest_phrase
from bot.telegram_send import send_html

__all__ = ["ADMIN_COMMANDS", "AdminHandlers"]

logger = logging.getLogger(__name__)

ADMIN_COMMANDS: tuple[tuple[str, str], ...] = (
    ("reload", "Reload the knowledge file (admins)"),
    ("stats", "Questions of the last 7 days (admins)"),
    ("unanswered", "Latest unanswered questions, to teach from (admins)"),
    ("export", "Send the knowledge files (admins)"),
    ("rollback", "Undo the latest knowledge change (admins)"),
    ("history", "Who changed the knowledge, and what (admins)"),
)
_UNANSWERED_SHOWN = 20
_HISTORY_SHOWN = 10
_LINES_PER_STEP = 5
_BUTTON_LABEL_CHARS = 40
_TEACH_SECONDS = PREVIEW_SECONDS


@dataclass
class _Teaching:
    """One admin teaching the knowledge one unanswered question, step by step."""

    id: str
    question: str
    created: float
    drug_id: str | None = None
    topic_id: str | None = None
    topics: tuple[str, ...] = ()
    prompts: set[tuple[int, int]] = field(default_factory=set)


class _AdminCallbackHandler(CallbackQueryHandler[Any, Any]):
    """A CallbackQueryHandler that only sees the admins' presses.

    Anyone else's press (a forged ``k:`` button) falls through to the bot's general
    button handler, which answers it as an outdated button.
    """

    def __init__(self, callback: Any, pattern: str, admins: filters.User) -> None:
        super().__init__(callback, pattern=pattern)
        self._admins = admins

    def check_update(self, update: object) -> Any:
        """Match an admin's press of a button of ours."""
        if not isinstance(update, Update) or update.callback_query is None:
            return None
        if update.callback_query.from_user.id not in self._admins.user_ids:
            return None
        return super().check_update(update)


class _ReplyToTeachPrompt(filters.MessageFilter):
    """A text reply to one of the bot's "which phrase?" prompts of an open teaching."""

    def __init__(self, handlers: AdminHandlers) -> None:
        super().__init__(name="reply_to_teach_prompt")
        self._handlers = handlers

    def filter(self, message: Message) -> bool:
        reply_to = message.reply_to_message
        return (
            reply_to is not None
            and self._handlers.teaching_for_prompt(message.chat.id, reply_to.message_id) is not None
        )


def _who(user: User | None) -> str:
    # Admins are staff: which admin changed what is recorded, by id and name.
    return "unknown" if user is None else f"{user.id} ({user.full_name})"


def _preview_text(proposal: Proposal, title: str) -> str:
    changes = proposal.changes
    details = "\n".join(html.escape(line) for line in changes.lines()) or "no entry changed"
    minutes = PREVIEW_SECONDS // 60
    return (
        f"<b>Preview</b>: {html.escape(title)}\n"
        f"Changes: {html.escape(changes.summary())}\n{details}\n\n"
        f"Apply within {minutes} minutes, or Cancel. Nothing has changed yet."
    )


def _preview_buttons(proposal: Proposal) -> list[Button]:
    return [Button("Apply", f"k:a:{proposal.id}"), Button("Cancel", f"k:c:{proposal.id}")]


def _problems_text(error: KnowledgeError, what: str) -> str:
    problems = "\n".join(html.escape(p) for p in error.problems)
    count = len(error.problems)
    return (
        f"<b>Not applied</b>: {html.escape(what)} has {count} "
        f"problem{'s' if count != 1 else ''} (as <code>check --strict</code> reports them). "
        f"Nothing changed.\n{problems}"
    )


class AdminHandlers:
    """The admins' commands, uploads and buttons."""

    def __init__(self, live: LiveKnowledge, log: QuestionLog, store: KnowledgeStore) -> None:
        self.live = live
        self.log = log
        self.store = store
        self._teachings: dict[str, _Teaching] = {}
        self._taught: dict[str, str] = {}
        """Proposal id -> the question it teaches, marked handled once applied."""

    def register(
        self, application: Application[Any, Any, Any, Any, Any, Any], admins: filters.User
    ) -> None:
        """Add the admin handlers, each behind ``admins``, before the bot's general ones."""
        for name, callback in (
            ("reload", self.reload),
            ("stats", self.stats),
            ("unanswered", self.unanswered),
            ("export", self.export),
            ("rollback", self.rollback),
            ("history", self.history),
        ):
            application.add_handler(CommandHandler(name, callback, filters=admins))
        application.add_handler(MessageHandler(filters.Document.ALL & admins, self.document))
        application.add_handler(
            MessageHandler(
                filters.TEXT & ~filters.COMMAND & admins & _ReplyToTeachPrompt(self),
                self.teach_reply,
            )
        )
        application.add_handler(_AdminCallbackHandler(self.button, r"^k:", admins))

    # -- commands ------------------------------------------------------------------------

    async def reload(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Reload the knowledge files from disk."""
        message = update.effective_message
        if message is None:
            return
        try:
            changes = await asyncio.to_thread(self.live.reload)
        except KnowledgeError as error:
            problems = "\n".join(html.escape(p) for p in error.problems)
            text = (
                f"<b>Reload failed</b>: {len(error.problems)} problem(s). "
                f"I keep serving the previous knowledge.\n{problems}"
            )
            await send_html(message, split_message(text))
            return
        summary = self.live.current.kb.summary()
        details = "\n".join(html.escape(line) for line in changes.lines()) or "no entry changed"
        text = (
            f"<b>Knowledge reloaded</b>: {html.escape(summary)}.\n"
            f"Changes: {html.escape(changes.summary())}\n{details}"
        )
        await send_html(message, split_message(text))

    async def stats(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Show the last 7 days (or ``/stats N``) of questions, with the trend."""
        message = update.effective_message
        if message is None:
            return
        days = 7
        if context.args and re.fullmatch(r"[0-9]{1,4}", context.args[0]):
            days = max(1, min(int(context.args[0]), 3650))
        stats = await asyncio.to_thread(self.log.stats, days)
        text = "<b>Statistics</b>\n" + "\n".join(html.escape(line) for line in stats.lines())
        await send_html(message, split_message(text))

    async def unanswered(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """List the latest unanswered questions, each with a button to teach it."""
        message = update.effective_message
        if message is None:
            return
        rows = await asyncio.to_thread(self.log.unanswered, _UNANSWERED_SHOWN)
        if not rows:
            await send_html(message, ["No unanswered questions recorded."])
            return
        lines = ["<b>Latest unanswered questions</b>"]
        buttons: list[Button] = []
        for number, row in enumerate(rows, start=1):
            lines.append(f"{number}. {row.when}: {html.escape(row.question)}")
            label = row.question[:_BUTTON_LABEL_CHARS]
            buttons.append(Button(f"Teach {number}: {label}", f"k:t:{row.token}"))
        lines.append("\nTap a question to attach it to a medicine and a topic.")
        await send_html(message, split_message("\n".join(lines)), buttons)

    async def export(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Send the knowledge files as they are now, as documents."""
        message = update.effective_message
        if message is None:
            return
        files = await asyncio.to_thread(self.store.files)
        for file in files:
            content = await asyncio.to_thread(file.read_bytes)
            await message.reply_document(
                content,
                filename=file.name,
                caption=f"{file.name}, knowledge version {self.live.current.version}",
                do_quote=False,
            )

    async def rollback(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Preview undoing the latest change not undone yet."""
        message = update.effective_message
        if message is None:
            return
        try:
            proposal = await asyncio.to_thread(self.store.propose_rollback)
        except StoreError as error:
            await send_html(message, [html.escape(str(error))])
            return
        except KnowledgeError as error:
            await send_html(message, split_message(_problems_text(error, "the older version")))
            return
        step = next(s for s in self.store.history() if s.seq == proposal.undoes)
        title = (
            f"roll back change #{step.seq} ({step.action} of {step.file} by {step.admin}, "
            f"{step.when} UTC)"
        )
        await send_html(
            message, split_message(_preview_text(proposal, title)), _preview_buttons(proposal)
        )

    async def history(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Show the audit trail: the latest applied changes."""
        message = update.effective_message
        if message is None:
            return
        steps = await asyncio.to_thread(self.store.history, _HISTORY_SHOWN)
        if not steps:
            await send_html(message, ["No change was applied from Telegram yet."])
            return
        lines = ["<b>Knowledge changes</b> (newest first, times in UTC)"]
        for step in steps:
            undo = f" (undoes #{step.undoes})" if step.undoes is not None else ""
            lines.append(
                f"#{step.seq} {step.when}: {step.action}{undo} of {html.escape(step.file)} "
                f"by {html.escape(step.admin)}: {html.escape(step.summary)}"
            )
            shown = step.lines[:_LINES_PER_STEP]
            lines += [f"  {html.escape(line)}" for line in shown]
            if len(step.lines) > len(shown):
                lines.append(f"  ... and {len(step.lines) - len(shown)} more")
        await send_html(message, split_message("\n".join(lines)))

    # -- upload --------------------------------------------------------------------------

    async def document(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Preview an uploaded knowledge file: its problems, or what it would change."""
        message = update.effective_message
        if message is None or message.document is None:
            return
        document = message.document
        name = document.file_name or ""
        if not name.endswith(".yaml"):
            await send_html(message, ["Send the knowledge as a <code>.yaml</code> file."])
            return
        if document.file_size is not None and document.file_size > MAX_FILE_BYTES:
            await send_html(
                message, [f"This file is too large (over {MAX_FILE_BYTES // 1024} KB)."]
            )
            return
        reason = self.store.read_only_reason()
        if reason is not None:
            await send_html(message, [html.escape(reason)])
            return
        try:
            target = self.store.target_name(name)
        except StoreError as error:
            await send_html(message, [html.escape(str(error))])
            return
        telegram_file = await document.get_file()
        content = bytes(await telegram_file.download_as_bytearray())
        try:
            proposal = await asyncio.to_thread(self.store.propose, "upload", target, content)
        except KnowledgeError as error:
            await send_html(message, split_message(_problems_text(error, name)))
            return
        except StoreError as error:
            await send_html(message, [html.escape(str(error))])
            return
        exists = (self.store.folder / target).exists()
        title = f"upload of {name}, " + (
            f"replacing {target}" if exists else f"adding {target} as a new file"
        )
        await send_html(
            message, split_message(_preview_text(proposal, title)), _preview_buttons(proposal)
        )

    # -- buttons -------------------------------------------------------------------------

    async def button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Apply, Cancel, and the steps of teaching."""
        query = update.callback_query
        if query is None or not isinstance(query.message, Message):
            return
        message = query.message
        _, action, *rest = (query.data or "").split(":")
        argument = rest[0] if rest else ""
        if action == "a":
            await query.answer()
            await self._apply(message, argument, _who(query.from_user))
        elif action == "c":
            cancelled = self.store.cancel(argument)
            self._taught.pop(argument, None)
            await query.answer("Cancelled." if cancelled else "This preview was already closed.")
            if cancelled:
                await send_html(message, ["Cancelled. Nothing changed."])
        elif action == "t":
            await query.answer()
            await self._teach_start(message, argument)
        elif action in {"d", "p"} and len(rest) == 2 and rest[1].isdigit():
            await query.answer()
            teaching = self._teaching(argument)
            if teaching is None:
                await send_html(
                    message, ["This teaching has expired. Start again from /unanswered."]
                )
            elif action == "d":
                await self._teach_drug(message, teaching, int(rest[1]))
            else:
                await self._teach_topic(message, teaching, int(rest[1]))
        elif action == "u":
            await query.answer()
            teaching = self._teaching(argument)
            if teaching is None:
                await send_html(
                    message, ["This teaching has expired. Start again from /unanswered."]
                )
            else:
                await self._teach_preview(message, teaching, None)
        else:
            await query.answer("This button is out of date.")

    async def _apply(self, message: Message, proposal_id: str, admin: str) -> None:
        try:
            step, _ = await asyncio.to_thread(self.store.apply, proposal_id, admin)
        except StoreError as error:
            self._taught.pop(proposal_id, None)
            await send_html(message, [f"<b>Not applied</b>: {html.escape(str(error))}"])
            return
        question = self._taught.pop(proposal_id, None)
        if question is not None:
            await asyncio.to_thread(self.log.mark_handled, question)
        text = (
            f"<b>Applied</b> (change #{step.seq}, {html.escape(step.action)} of "
            f"{html.escape(step.file)}): {html.escape(step.summary)}.\n"
            f"Live now: {html.escape(self.live.current.kb.summary())}. "
            "/rollback undoes it; /history lists every change."
        )
        await send_html(message, [text])

    # -- teaching ------------------------------------------------------------------------

    def _teaching(self, teaching_id: str) -> _Teaching | None:
        now = time.time()
        for key in [k for k, t in self._teachings.items() if now - t.created > _TEACH_SECONDS]:
            del self._teachings[key]
        return self._teachings.get(teaching_id)

    def teaching_for_prompt(self, chat_id: int, message_id: int) -> _Teaching | None:
        """The open teaching whose "which phrase?" prompt is this message, if any."""
        for teaching in list(self._teachings.values()):
            if (chat_id, message_id) in teaching.prompts:
                return self._teaching(teaching.id)
        return None

    async def _teach_start(self, message: Message, token: str) -> None:
        question = await asyncio.to_thread(self.log.unanswered_question, token)
        if question is None:
            await send_html(message, ["This question is no longer in the log."])
            return
        teaching = _Teaching(secrets.token_urlsafe(6), question, time.time())
        self._teachings[teaching.id] = teaching
        kb = self.live.current.kb
        buttons = [Button(d.name, f"k:d:{teaching.id}:{i}") for i, d in enumerate(kb.drugs)]
        text = (
            f"<b>Teach</b>: <i>{html.escape(question)}</i>\nWhich medicine is this question about?"
        )
        await send_html(message, [text], buttons)

    async def _teach_drug(self, message: Message, teaching: _Teaching, index: int) -> None:
        kb = self.live.current.kb
        if not 0 <= index < len(kb.drugs):
            await send_html(message, ["This button is out of date. Start again from /unanswered."])
            return
        drug = kb.drugs[index]
        teaching.drug_id = drug.id
        teaching.topics = tuple(entry.topic_id for entry in drug.entries)
        buttons = []
        for i, entry in enumerate(drug.entries):
            topic = kb.topic(entry.topic_id)
            buttons.append(
                Button(topic.title if topic else entry.topic_id, f"k:p:{teaching.id}:{i}")
            )
        text = (
            f"<b>Teach</b>: <i>{html.escape(teaching.question)}</i>\n"
            f"{html.escape(drug.name)}: which topic answers it?"
        )
        await send_html(message, [text], buttons)

    async def _teach_topic(self, message: Message, teaching: _Teaching, index: int) -> None:
        kb = self.live.current.kb
        drug = kb.drug(teaching.drug_id or "")
        if drug is None or not 0 <= index < len(teaching.topics):
            await send_html(message, ["This button is out of date. Start again from /unanswered."])
            return
        teaching.topic_id = teaching.topics[index]
        phrase = suggest_phrase(teaching.question, drug)
        text = (
            f"<b>Teach</b>: add the phrase <code>{html.escape(phrase)}</code> to "
            f"{html.escape(drug.id)}.{html.escape(teaching.topic_id)}?\n"
            "Reply to this message with the words patients use, to add those instead, or "
            "tap the button to add this phrase. A phrase only routes questions: it adds no fact."
        )
        sent = await send_html(message, [text], [Button("Use this phrase", f"k:u:{teaching.id}")])
        if sent is not None:
            teaching.prompts.add((sent.chat.id, sent.message_id))

    async def teach_reply(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Take an admin's corrected phrase (a reply to the prompt) and preview it."""
        message = update.effective_message
        if message is None or message.reply_to_message is None or message.text is None:
            return
        teaching = self.teaching_for_prompt(message.chat.id, message.reply_to_message.message_id)
        if teaching is None:
            return
        await self._teach_preview(message, teaching, normalize(message.text))

    async def _teach_preview(
        self, message: Message, teaching: _Teaching, phrase: str | None
    ) -> None:
        kb = self.live.current.kb
        drug = kb.drug(teaching.drug_id or "")
        entry = kb.find_entry(f"{teaching.drug_id}.{teaching.topic_id}")
        if drug is None or entry is None or teaching.topic_id is None:
            await send_html(
                message, ["This teaching is out of date. Start again from /unanswered."]
            )
            return
        phrase = phrase if phrase is not None else suggest_phrase(teaching.question, drug)
        file_name = Path(entry.where.rsplit(":", 1)[0]).name
        try:
            text = await asyncio.to_thread((self.store.folder / file_name).read_text, "utf-8")
            new = add_phrase(text, drug.id, teaching.topic_id, phrase)
            proposal = await asyncio.to_thread(
                self.store.propose, "teach", file_name, new.encode("utf-8")
            )
        except (TeachError, StoreError) as error:
            await send_html(message, [f"<b>Not taught</b>: {html.escape(str(error))}"])
            return
        except KnowledgeError as error:
            await send_html(message, split_message(_problems_text(error, "the taught file")))
            return
        self._taught[proposal.id] = teaching.question
        del self._teachings[teaching.id]
        title = (
            f"teach {drug.id}.{teaching.topic_id} the phrase '{phrase}' (from: {teaching.question})"
        )
        await send_html(
            message, split_message(_preview_text(proposal, title)), _preview_buttons(proposal)
        )
