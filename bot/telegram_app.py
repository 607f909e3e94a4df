"""The Telegram edge: handlers that read an update, call the core and reply.

Nothing here decides what to say; :mod:`bot.answers` does. The handlers only
translate between Telegram updates and the core's questions and answers.
"""

from __future__ import annotations

import asyncio
import html
import logging
import signal
from collections.abc import Sequence

from telegram import (
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InputTextMessageContent,
    LinkPreviewOptions,
    Message,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import Forbidden, TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    InlineQueryHandler,
    MessageHandler,
    filters,
)

from bot.answers import Answer, Button, answer_for_callback, render_html, split_message
from bot.conversation import ConversationMemory
from bot.knowledge import KnowledgeError
from bot.live import LiveKnowledge
from bot.settings import Settings

__all__ = ["COMMANDS", "BotHandlers", "build_application", "run_bot"]

logger = logging.getLogger(__name__)

COMMANDS: tuple[tuple[str, str], ...] = (
    ("start", "What this bot is and what it covers"),
    ("help", "How to ask a question"),
    ("drugs", "The medicines covered"),
    ("sources", "All references the answers cite"),
)
_NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
_MAX_INLINE_RESULTS = 10
_INLINE_DESCRIPTION_CHARS = 120


def _keyboard(buttons: Sequence[Button]) -> InlineKeyboardMarkup | None:
    if not buttons:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(b.label, callback_data=b.data)] for b in buttons]
    )


async def _send(message: Message, parts: Sequence[str], buttons: Sequence[Button] = ()) -> None:
    """Send the parts of a reply in order; the buttons go under the last part."""
    for index, part in enumerate(parts):
        last = index == len(parts) - 1
        await message.reply_text(
            part,
            parse_mode=ParseMode.HTML,
            link_preview_options=_NO_PREVIEW,
            reply_markup=_keyboard(buttons) if last else None,
            do_quote=False,
        )


class BotHandlers:
    """The bot's handlers, sharing the live knowledge, the chats' memory and the settings."""

    def __init__(self, settings: Settings, live: LiveKnowledge) -> None:
        self.settings = settings
        self.live = live
        self.memory = ConversationMemory()

    # -- commands ------------------------------------------------------------------------

    async def start(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Introduce the bot and what it covers."""
        if update.effective_message is None:
            return
        kb = self.live.current.kb
        names = ", ".join(html.escape(d.name) for d in kb.drugs)
        text = (
            "<b>ITP medication helper</b>\n"
            "I answer questions about immunosuppressants used for immune thrombocytopenia "
            f"(ITP): {names}. Every answer comes from a cited source.\n\n"
            "This is general information, not medical advice: always check with your doctor "
            "or pharmacist.\n\n"
            "Ask in your own words, for example: <i>grapefruit cyclosporine?</i> or "
            "<i>how long before imuran works</i>."
        )
        await _send(
            update.effective_message, [text], [Button(d.name, f"d:{d.id}") for d in kb.drugs]
        )

    async def help(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Explain how to ask and list the commands."""
        if update.effective_message is None:
            return
        commands = "\n".join(f"/{name} - {html.escape(text)}" for name, text in COMMANDS)
        text = (
            "<b>How to ask</b>\n"
            "Name the medicine and what you want to know: side effects, how long it takes, "
            "interactions with food or herbs, tests, pregnancy...\n"
            "Examples: <i>imuran side effects</i>, <i>does dapsone need a blood test</i>, "
            "<i>sirolimus and grapefruit</i>. You can follow up with <i>and the side "
            "effects?</i>\n\n"
            "If you have a fever, bleeding or feel very unwell, contact your doctor now.\n\n"
            f"{commands}"
        )
        await _send(update.effective_message, [text])

    async def drugs(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """List the covered drugs as buttons."""
        if update.effective_message is None:
            return
        kb = self.live.current.kb
        lines = [
            f"<b>{html.escape(d.name)}</b>: {html.escape(', '.join(d.names[1:]))}" for d in kb.drugs
        ]
        text = "The medicines I cover (tap one):\n\n" + "\n".join(lines)
        await _send(
            update.effective_message, [text], [Button(d.name, f"d:{d.id}") for d in kb.drugs]
        )

    async def sources(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """List every reference of the knowledge."""
        if update.effective_message is None:
            return
        lines = ["<b>Sources</b>"]
        for ref in self.live.current.kb.references:
            citation = html.escape(ref.citation)
            if ref.link:
                citation = f'<a href="{html.escape(ref.link)}">{citation}</a>'
            lines.append(f"[{html.escape(ref.id)}] {citation}")
        await _send(update.effective_message, split_message("\n".join(lines)))

    async def reload(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Reload the knowledge file (admins only)."""
        message, user = update.effective_message, update.effective_user
        if message is None:
            return
        if user is None or user.id not in self.settings.admin_ids:
            logger.warning("refused /reload from a non-admin user")
            await _send(message, ["Sorry, only the bot's admins can reload the knowledge."])
            return
        try:
            changes = await asyncio.to_thread(self.live.reload)
        except KnowledgeError as error:
            problems = "\n".join(html.escape(p) for p in error.problems)
            text = (
                f"<b>Reload failed</b>: {len(error.problems)} problem(s). "
                f"I keep serving the previous knowledge.\n{problems}"
            )
            await _send(message, split_message(text))
            return
        summary = self.live.current.kb.summary()
        details = "\n".join(html.escape(line) for line in changes.lines()) or "no entry changed"
        text = (
            f"<b>Knowledge reloaded</b>: {html.escape(summary)}.\n"
            f"Changes: {html.escape(changes.summary())}\n{details}"
        )
        await _send(message, split_message(text))

    # -- questions -----------------------------------------------------------------------

    async def question(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Answer a free-text question."""
        message, chat = update.effective_message, update.effective_chat
        if message is None or chat is None or message.text is None:
            return
        answer = self.live.current.answer(message.text, self.memory.recall(chat.id))
        self.memory.remember(chat.id, answer.context)
        logger.debug("answered a question: kind=%s drugs=%s", answer.kind, answer.drugs)
        await _send(message, render_html(answer), answer.buttons)

    async def button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Answer a button press with the entry it names."""
        query = update.callback_query
        if query is None:
            return
        answer: Answer | None = answer_for_callback(self.live.current.kb, query.data or "")
        if answer is None:
            await query.answer("This button is out of date. Please ask your question again.")
            return
        await query.answer()
        if update.effective_chat is not None:
            self.memory.remember(update.effective_chat.id, answer.context)
        if isinstance(query.message, Message):
            await _send(query.message, render_html(answer), answer.buttons)

    async def inline(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Offer the entries that answer an inline query as results."""
        query = update.inline_query
        if query is None:
            return
        current = self.live.current
        answer = current.answer(query.query) if query.query.strip() else None
        results = []
        for section in answer.sections[:_MAX_INLINE_RESULTS] if answer else ():
            single = answer_for_callback(current.kb, f"e:{section.entry_key}")
            if single is None:
                continue
            text = render_html(single)[0]
            description = section.text[:_INLINE_DESCRIPTION_CHARS]
            results.append(
                InlineQueryResultArticle(
                    id=section.entry_key[:64],
                    title=section.title[:100],
                    description=description,
                    input_message_content=InputTextMessageContent(
                        text, parse_mode=ParseMode.HTML, link_preview_options=_NO_PREVIEW
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
            [
                "I can only read text questions. Type one, for example: "
                "<i>grapefruit cyclosporine?</i>"
            ],
        )

    async def error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Log an error and tell the user something went wrong."""
        error = context.error
        if isinstance(error, Forbidden):
            # The user blocked the bot: nothing to tell them, nothing to retry.
            logger.info("dropped a reply: %s", error)
            return
        logger.error("error while handling an update", exc_info=error)
        if isinstance(update, Update) and update.effective_chat is not None:
            try:
                await context.bot.send_message(
                    update.effective_chat.id,
                    "Sorry, something went wrong on my side. Please try again in a moment.",
                )
            except TelegramError as send_error:
                logger.warning("could not tell the user about the error: %s", send_error)


def build_application(settings: Settings, live: LiveKnowledge) -> Application:  # type: ignore[type-arg]  # PTB's Application generics are too wide to spell out
    """Build the Telegram application with every handler registered.

    Args:
        settings: how to reach Telegram and who the admins are.
        live: the live knowledge.

    Returns:
        The application, not started.
    """
    handlers = BotHandlers(settings, live)

    async def post_init(application: Application) -> None:  # type: ignore[type-arg]  # as above
        await application.bot.set_my_commands([BotCommand(n, d) for n, d in COMMANDS])
        try:
            loop = asyncio.get_running_loop()
            loop.add_signal_handler(signal.SIGHUP, _reload_on_signal, live)
        except (NotImplementedError, RuntimeError, ValueError):
            # No SIGHUP on this platform, or not the main thread (tests): /reload still works.
            logger.debug("SIGHUP reload not available here")

    builder = (
        ApplicationBuilder()
        .token(settings.token)
        .rate_limiter(AIORateLimiter(max_retries=3))
        .post_init(post_init)
    )
    if settings.base_url is not None:
        builder = builder.base_url(settings.base_url).base_file_url(
            settings.base_url.removesuffix("/bot") + "/file/bot"
        )
    application = builder.build()
    application.bot_data["handlers"] = handlers
    application.add_handler(CommandHandler("start", handlers.start))
    application.add_handler(CommandHandler("help", handlers.help))
    application.add_handler(CommandHandler("drugs", handlers.drugs))
    application.add_handler(CommandHandler("sources", handlers.sources))
    application.add_handler(CommandHandler("reload", handlers.reload))
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
    application = build_application(settings, live)
    if settings.webhook_url is not None:
        logger.info("starting in webhook mode on port %d", settings.port)
        application.run_webhook(
            # All interfaces: the platform routes the public URL to this port.
            listen="0.0.0.0",
            port=settings.port,
            url_path=settings.webhook_path,
            webhook_url=settings.webhook_url,
            secret_token=settings.webhook_secret,
            allowed_updates=Update.ALL_TYPES,
        )
    else:
        logger.info("starting in polling mode")
        application.run_polling(allowed_updates=Update.ALL_TYPES)
