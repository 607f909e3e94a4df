"""The Telegram edge: handlers that read an update, call the core and reply.

Nothing here decides what to say; :mod:`bot.rendering` does. The handlers only
translate between Telegram updates and the core's questions and answers.
"""

from __future__ import annotations

import asyncio
import html
import logging
import signal
import sqlite3
import threading
from collections.abc import Awaitable
from typing import Any

from telegram import (
    BotCommand,
    BotCommandScopeChat,
    InlineQueryResultArticle,
    InputTextMessageContent,
    Message,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError, TimedOut
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    ApplicationHandlerStop,
    BaseUpdateProcessor,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    InlineQueryHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot import replies
from bot.admin import ADMIN_COMMANDS, AdminHandlers
from bot.composing import Answer, answer_for_callback, answer_per_section, drug_buttons
from bot.conversation import ConversationMemory
from bot.delivery import Delivery, DeliveryProcessor, build_bot
from bot.flood import FloodGuard, Verdict
from bot.knowledge import KnowledgeError
from bot.knowledge_store import KnowledgeStore
from bot.lexicon import english_words
from bot.live import LiveKnowledge
from bot.matching import normalize
from bot.records import QuestionLog
from bot.rendering import render_html, render_sources_html, split_message
from bot.settings import Settings
from bot.telegram_send import NO_PREVIEW as _NO_PREVIEW
from bot.telegram_send import send_html as _send
from bot.webhook import serve_webhook

__all__ = [
    "ADMIN_COMMANDS",
    "COMMANDS",
    "BotHandlers",
    "ChatOrderedProcessor",
    "build_application",
    "run_bot",
]

logger = logging.getLogger(__name__)

COMMANDS: tuple[tuple[str, str], ...] = (
    ("start", "What this bot is and what it covers"),
    ("help", "How to ask a question"),
    ("drugs", "The medicines covered"),
    ("sources", "All references the answers cite"),
)
FLOOD_NOTICE = replies.FLOOD_NOTICE
_MAX_INLINE_RESULTS = 10
_INLINE_DESCRIPTION_CHARS = 120
_URGENT_TITLE = replies.URGENT_TITLE


class ChatOrderedProcessor(BaseUpdateProcessor):
    """Process updates of different chats concurrently, and those of one chat in order.

    A chat's updates wait for that chat's lock while holding a concurrency slot, so
    the slots are plenty (512): a flooding user's messages are dropped in microseconds
    by the flood guard, and their queue drains long before other chats run short.
    """

    def __init__(self, max_concurrent_updates: int = 512) -> None:
        super().__init__(max_concurrent_updates)
        self._locks: dict[int, asyncio.Lock] = {}
        self._waiting: dict[int, int] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Wait for the chat's earlier updates, then run this one's handlers."""
        chat = update.effective_chat if isinstance(update, Update) else None
        if chat is None:
            await coroutine
            return
        lock = self._locks.setdefault(chat.id, asyncio.Lock())
        self._waiting[chat.id] = self._waiting.get(chat.id, 0) + 1
        try:
            async with lock:
                await coroutine
        finally:
            self._waiting[chat.id] -= 1
            if not self._waiting[chat.id]:
                # Forget idle chats so the table does not grow with every user ever seen.
                del self._waiting[chat.id]
                del self._locks[chat.id]

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to tear down."""


class BotHandlers:
    """The bot's handlers, sharing the live knowledge, the chats' memory and the settings."""

    def __init__(
        self, settings: Settings, live: LiveKnowledge, log: QuestionLog | None = None
    ) -> None:
        self.settings = settings
        self.live = live
        self.memory = ConversationMemory()
        self.flood = FloodGuard()
        self.log = log or QuestionLog(settings.data_path, settings.retention_days)

    async def flood_gate(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Stop a user's message before any handler when they send too many too fast.

        Registered in group -1: raising ApplicationHandlerStop keeps every other
        handler from seeing the update. The first message over the limit gets one notice.
        """
        message, user = update.message, update.effective_user
        if message is None or user is None:
            return
        verdict = self.flood.check(user.id)
        if verdict is Verdict.ANSWER:
            return
        if verdict is Verdict.NOTIFY:
            logger.info("a user is flooding; answering again once they slow down")
            await _send(message, [FLOOD_NOTICE])
        raise ApplicationHandlerStop

    async def ignore_admin_command(
        self, update: Update, context: ContextTypes.DEFAULT_TYPE
    ) -> None:
        """Log an admin command from someone else; they get no reply, as for any unknown one."""
        logger.warning("ignored an admin command from a non-admin user")

    async def _reply(self, message: Message, answer: Answer, question: str | None) -> None:
        """Log an answer privately, then send it; a broken log never holds a reply back."""
        token = self.log.new_token() if answer.sections else None
        if answer.kind != "greeting":
            # A red flag answered with advice only is answered, not "unanswered"; an
            # overview under "I'm not sure I understood" is not, so admins can teach it.
            entries = answer.topics if answer.understood else ()
            entries = entries or (("general.urgent",) if answer.urgent else ())
            text = normalize(question) if question else None
            try:
                await asyncio.to_thread(self.log.record, entries, text, token)
            except sqlite3.Error as error:
                logger.warning("could not log a question: %s", error)
        await _send(message, render_html(answer), answer.buttons, token)

    # -- commands ------------------------------------------------------------------------

    async def start(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Introduce the bot and what it covers."""
        if update.effective_message is None:
            return
        kb = self.live.current.kb
        names = ", ".join(html.escape(d.name) for d in kb.drugs)
        text = replies.START_HTML.format(names=names)
        await _send(update.effective_message, [text], drug_buttons(kb))

    async def help(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Explain how to ask and list the commands."""
        if update.effective_message is None:
            return
        commands = "\n".join(f"/{name} - {html.escape(text)}" for name, text in COMMANDS)
        text = replies.HELP_HTML.format(commands=commands)
        await _send(update.effective_message, [text])

    async def drugs(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """List the covered drugs as buttons."""
        if update.effective_message is None:
            return
        kb = self.live.current.kb
        lines = []
        for drug in kb.drugs:
            own = {drug.id.casefold(), drug.name.casefold()}
            others = [n for n in drug.names if n.casefold() not in own]
            lines.append(f"<b>{html.escape(drug.name)}</b>: {html.escape(', '.join(others))}")
        text = "The medicines I cover (tap one):\n\n" + "\n".join(lines)
        await _send(update.effective_message, [text], drug_buttons(kb))

    async def sources(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """List every reference of the knowledge."""
        if update.effective_message is None:
            return
        sources = render_sources_html(self.live.current.kb.references)
        await _send(update.effective_message, split_message(sources))

    # -- questions -----------------------------------------------------------------------

    async def question(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Answer a free-text question."""
        message, chat = update.effective_message, update.effective_chat
        if message is None or chat is None or message.text is None:
            return
        answer = self.live.current.answer(message.text, self.memory.recall(chat.id))
        self.memory.after(chat.id, answer)
        logger.debug("answering a question: kind=%s drugs=%s", answer.kind, answer.drugs)
        await self._reply(message, answer, message.text)

    async def button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Answer a button press with the entry it names."""
        query = update.callback_query
        if query is None:
            return
        data = query.data or ""
        if data.startswith("v:"):
            await self._vote(query.answer, data)
            return
        answer: Answer | None = answer_for_callback(self.live.current.kb, data)
        if answer is None:
            await query.answer(replies.OUTDATED_BUTTON)
            return
        try:
            await query.answer()
        except BadRequest as error:
            # A press Telegram no longer lets us acknowledge (too old): answer it anyway.
            logger.debug("could not acknowledge a button press: %s", error)
        if update.effective_chat is not None:
            self.memory.after(update.effective_chat.id, answer)
        if isinstance(query.message, Message):
            await self._reply(query.message, answer, None)

    async def _vote(self, reply: Any, data: str) -> None:
        """Count a helpful / not helpful vote, once per answer."""
        _, token, value = [*data.split(":", 2), "", ""][:3]
        counted = await asyncio.to_thread(self.log.vote, token, value == "1")
        await reply(
            "Thank you for your feedback!" if counted else "Your vote on this answer is counted."
        )

    async def inline(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Offer the entries that answer an inline query as results."""
        query = update.inline_query
        if query is None:
            return
        current = self.live.current
        results = []
        if query.query.strip():
            answer = current.answer(query.query)
            # Only entries become results, and red-flag advice: "not covered" offers
            # nothing to share, but "Contact your doctor now" always does.
            if answer.kind == "clarify":
                # "grapefruit": a search names no drug; every entry it could mean is a
                # result to choose from.
                chosen = (answer_for_callback(current.kb, b.data) for b in answer.buttons)
                parts = [
                    p for a in chosen if a is not None for p in answer_per_section(current.kb, a)
                ]
            else:
                parts = answer_per_section(current.kb, answer) if answer.sections else []
            if not parts and answer.urgent is not None:
                results.append(
                    InlineQueryResultArticle(
                        id="urgent",
                        title=_URGENT_TITLE,
                        description=answer.urgent.text[:_INLINE_DESCRIPTION_CHARS],
                        input_message_content=InputTextMessageContent(
                            render_html(answer)[0],
                            parse_mode=ParseMode.HTML,
                            link_preview_options=_NO_PREVIEW,
                        ),
                    )
                )
            for part in parts[:_MAX_INLINE_RESULTS]:
                section = part.sections[0]
                title = section.title
                if part.urgent is not None:
                    title = f"{_URGENT_TITLE} - {title}"
                results.append(
                    InlineQueryResultArticle(
                        id=section.entry_key[:64],
                        title=title[:100],
                        description=section.text[:_INLINE_DESCRIPTION_CHARS],
                        input_message_content=InputTextMessageContent(
                            render_html(part)[0],
                            parse_mode=ParseMode.HTML,
                            link_preview_options=_NO_PREVIEW,
                        ),
                    )
                )
        await query.answer(results, cache_time=60, is_personal=False)

    async def not_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Tell the sender that only text questions are understood."""
        if update.effective_message is None:
            return
        await _send(
            update.effective_message,
            [replies.TEXT_ONLY_HTML],
        )

    async def error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Log an error and tell the user something went wrong."""
        error = context.error
        if isinstance(error, Forbidden):
            # The user blocked the bot: nothing to tell them, nothing to retry.
            logger.info("dropped a reply: %s", error)
            return
        if isinstance(error, (RetryAfter, TimedOut)):
            # Telegram is throttling us, or the reply may well have arrived late: a
            # "sorry" would meet the same limit, or follow an answer that got through.
            logger.warning("reply not confirmed: %s", error)
            return
        logger.error("error while handling an update", exc_info=error)
        if isinstance(update, Update) and update.effective_chat is not None:
            try:
                await context.bot.send_message(
                    update.effective_chat.id,
                    replies.SOMETHING_WENT_WRONG,
                )
            except TelegramError as send_error:
                logger.warning("could not tell the user about the error: %s", send_error)


def build_application(
    settings: Settings,
    live: LiveKnowledge,
    log: QuestionLog | None = None,
    *,
    rate_limited: bool = True,
) -> Application:  # type: ignore[type-arg]  # PTB's Application generics are too wide to spell out
    """Build the Telegram application with every handler registered.

    Args:
        settings: how to reach Telegram and who the admins are.
        live: the live knowledge.
        log: the question log (default: opened from ``settings.data_path``).
        rate_limited: keep Telegram's flood limits (30 messages a second); benchmarks
            lift them to measure the bot itself.

    Returns:
        The application, not started.
    """
    handlers = BotHandlers(settings, live, log)
    delivery = Delivery.open(settings.inbox_path)

    async def post_init(application: Application) -> None:  # type: ignore[type-arg]  # as above
        # Before polling or the webhook starts: what the last run left unanswered goes first.
        await delivery.replay(application)
        await application.bot.set_my_commands([BotCommand(n, d) for n, d in COMMANDS])
        admin_menu = [BotCommand(n, d) for n, d in (*COMMANDS, *ADMIN_COMMANDS)]
        for admin_id in sorted(settings.admin_ids):
            try:
                # Admin commands appear in the menu of the admins' private chats only.
                await application.bot.set_my_commands(
                    admin_menu, scope=BotCommandScopeChat(admin_id)
                )
            except TelegramError as error:
                # An admin who has never opened the bot has no chat yet.
                logger.warning("could not set the admin menu for an admin: %s", error)
        try:
            loop = asyncio.get_running_loop()
            loop.add_signal_handler(signal.SIGHUP, _reload_on_signal, live)
        except (NotImplementedError, RuntimeError, ValueError):
            # No SIGHUP on this platform, or not the main thread (tests): /reload still works.
            logger.debug("SIGHUP reload not available here")

    limiter = (
        AIORateLimiter(max_retries=3)
        if rate_limited
        # No rate, but still the retries on a 429 "retry after".
        else AIORateLimiter(overall_max_rate=0, group_max_rate=0, max_retries=3)
    )

    async def post_shutdown(application: Application) -> None:  # type: ignore[type-arg]  # as above
        handlers.log.close()

    builder = (
        ApplicationBuilder()
        # The bot writes fetched updates to the inbox before they are confirmed.
        .bot(build_bot(settings, limiter, delivery))
        .concurrent_updates(DeliveryProcessor(ChatOrderedProcessor(), delivery))
        .post_init(post_init)
        .post_shutdown(post_shutdown)
    )
    application = builder.build()
    application.bot_data["handlers"] = handlers
    # Before every other handler: a flooding user's messages go no further.
    application.add_handler(TypeHandler(Update, handlers.flood_gate), group=-1)
    application.add_handler(CommandHandler("start", handlers.start))
    application.add_handler(CommandHandler("help", handlers.help))
    application.add_handler(CommandHandler("drugs", handlers.drugs))
    application.add_handler(CommandHandler("sources", handlers.sources))
    # Admin commands exist for admins only: anyone else's match the handler that
    # logs and ignores them, so a stranger sees what any unknown command gets: nothing.
    admins = filters.User(user_id=settings.admin_ids, allow_empty=False)
    admin = AdminHandlers(live, handlers.log, KnowledgeStore(live))
    application.bot_data["admin"] = admin
    admin.register(application, admins)
    application.add_handler(
        CommandHandler([name for name, _ in ADMIN_COMMANDS], handlers.ignore_admin_command)
    )
    application.add_handler(CallbackQueryHandler(handlers.button))
    application.add_handler(InlineQueryHandler(handlers.inline))
    application.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, handlers.question))
    application.add_handler(
        MessageHandler(~filters.TEXT & ~filters.StatusUpdate.ALL, handlers.not_text)
    )
    application.add_error_handler(handlers.error)
    return application


def _reload_on_signal(live: LiveKnowledge) -> None:
    try:
        live.reload()
    except KnowledgeError as error:
        logger.error(
            "reload on SIGHUP failed, still serving the previous knowledge:\n%s",
            "\n".join(error.problems),
        )


def run_bot(settings: Settings) -> None:
    """Load the knowledge, then serve Telegram by polling or by webhook until stopped.

    Raises:
        KnowledgeError: the knowledge file is invalid; the bot does not start.
    """
    live = LiveKnowledge(settings.knowledge_path)
    logger.info("knowledge loaded from %s: %s", settings.knowledge_path, live.current.kb.summary())
    # Load the English word list now, in the background, not on a patient's question.
    threading.Thread(target=english_words, name="load-english-words", daemon=True).start()
    application = build_application(settings, live)
    if settings.webhook_url is not None and settings.webhook_secret is not None:
        logger.info("starting in webhook mode on port %d", settings.port)
        asyncio.run(
            serve_webhook(
                application,
                webhook_url=settings.webhook_url,
                secret=settings.webhook_secret,
                path=settings.webhook_path,
                port=settings.port,
                health=live.health,
            )
        )
    else:
        logger.info("starting in polling mode")
        # A few retries at start-up ride out a short Bot API outage.
        application.run_polling(allowed_updates=Update.ALL_TYPES, bootstrap_retries=3)
