"""Tests for the fake Telegram Bot API server, driven by a real ``telegram.Bot``.

These pin down the fake's behaviour against python-telegram-bot's actual HTTP client,
so the end-to-end bot tests built on it can trust what they observe.
"""

from __future__ import annotations

import asyncio
import datetime as dtm
import json
import threading
import time
import urllib.error
import urllib.request
import warnings
from collections.abc import AsyncIterator, Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from telegram import (
    Bot,
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InputTextMessageContent,
    MenuButtonCommands,
    MessageEntity,
    Update,
)
from telegram.constants import ChatAction
from telegram.error import (
    BadRequest,
    Conflict,
    EndPointNotFound,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.ext import (
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
)
from telegram.warnings import PTBDeprecationWarning

from tests.fake_bot_api import (
    BOT_USERNAME,
    DEFAULT_USER_ID,
    ApiCall,
    FakeBotApi,
    UploadedFile,
)

JSONDict = dict[str, Any]


@pytest.fixture
def server() -> Iterator[FakeBotApi]:
    with FakeBotApi() as fake:
        yield fake


@pytest.fixture
async def bot(server: FakeBotApi) -> AsyncIterator[Bot]:
    # `async with` runs Bot.initialize(), which itself calls getMe.
    async with Bot(
        server.token, base_url=server.base_url, base_file_url=server.base_file_url
    ) as real_bot:
        yield real_bot


def _http(
    server: FakeBotApi,
    method: str,
    body: bytes | None = None,
    content_type: str = "application/json",
    token: str | None = None,
) -> tuple[int, JSONDict]:
    """Raw HTTP call (no PTB), for wire-format checks PTB can't express."""
    request = urllib.request.Request(
        f"{server.url}/bot{token or server.token}/{method}",
        data=body,
        headers={"Content-Type": content_type} if body is not None else {},
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return int(response.status), json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


# --------------------------------------------------------------------- lifecycle


def test_serves_on_loopback_and_stops(server: FakeBotApi) -> None:
    assert server.url.startswith("http://127.0.0.1:")
    assert int(server.url.rsplit(":", 1)[1]) > 0
    status, body = _http(server, "getMe")
    assert status == 200
    assert body["ok"] is True
    assert body["result"]["username"] == BOT_USERNAME
    assert server.calls_to("getMe")[0].http_method == "GET"

    server.stop()
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(f"{server.url}/bot{server.token}/getMe", timeout=2)


def test_stop_is_prompt_while_long_poll_waits() -> None:
    fake = FakeBotApi(max_poll_timeout=30).start()
    results: list[tuple[int, JSONDict]] = []
    poller = threading.Thread(
        target=lambda: results.append(_http(fake, "getUpdates", b'{"timeout": 30}'))
    )
    poller.start()
    fake.wait_for("getUpdates", timeout=5)

    started = time.monotonic()
    fake.stop()
    poller.join(timeout=5)

    assert time.monotonic() - started < 2
    assert not poller.is_alive()
    assert results == [(200, {"ok": True, "result": []})]


# ------------------------------------------------------------------- basic API


async def test_get_me_returns_bot_username(server: FakeBotApi, bot: Bot) -> None:
    me = await bot.get_me()

    assert bot.username == BOT_USERNAME
    assert me.username == BOT_USERNAME
    assert me.is_bot is True
    assert me.id == int(server.token.split(":")[0])
    assert me.can_join_groups is True
    assert me.supports_inline_queries is True
    assert len(server.calls_to("getMe")) == 2  # initialize() + explicit call


async def test_send_message_records_parsed_inline_keyboard(server: FakeBotApi, bot: Bot) -> None:
    markup = InlineKeyboardMarkup(
        [
            [InlineKeyboardButton("Yes", callback_data="yes")],
            [InlineKeyboardButton("No", url="https://example.org")],
        ]
    )

    first = await bot.send_message(chat_id=DEFAULT_USER_ID, text="Hello", reply_markup=markup)
    second = await bot.send_message(chat_id=DEFAULT_USER_ID, text="123")

    # The returned Message is what PTB de_json'ed from the fake's answer.
    assert first.text == "Hello"
    assert first.chat.id == DEFAULT_USER_ID
    assert first.chat.type == "private"
    assert first.from_user is not None and first.from_user.username == BOT_USERNAME
    assert first.reply_markup == markup
    assert second.message_id == first.message_id + 1

    [params, second_params] = server.sent_messages(chat_id=DEFAULT_USER_ID)
    assert params["chat_id"] == DEFAULT_USER_ID  # form value "1001" decoded to int
    assert params["reply_markup"] == {
        "inline_keyboard": [
            [{"text": "Yes", "callback_data": "yes"}],
            [{"text": "No", "url": "https://example.org"}],
        ]
    }
    assert second_params["text"] == "123"  # text stays a string, never JSON-decoded
    assert server.sent_messages(chat_id=42) == []
    assert server.calls_to("sendMessage")[0].result["message_id"] == first.message_id


async def test_send_message_enforces_telegram_limits(server: FakeBotApi, bot: Bot) -> None:
    with pytest.raises(BadRequest, match=r"(?i)message is too long"):
        await bot.send_message(DEFAULT_USER_ID, "x" * 4097)
    # HTML tags don't count towards the limit, like on Telegram.
    ok = await bot.send_message(DEFAULT_USER_ID, "<b>" + "x" * 4096 + "</b>", parse_mode="HTML")
    assert ok.text == "x" * 4096

    too_long_data = InlineKeyboardMarkup([[InlineKeyboardButton("a", callback_data="d" * 65)]])
    with pytest.raises(BadRequest, match=r"(?i)BUTTON_DATA_INVALID"):
        await bot.send_message(DEFAULT_USER_ID, "hi", reply_markup=too_long_data)

    assert [c.failed for c in server.calls_to("sendMessage")] == [True, False, True]
    assert len(server.sent_messages()) == 1


# --------------------------------------------------------------------- updates


async def test_get_updates_returns_pushed_updates_and_confirms_by_offset(
    server: FakeBotApi, bot: Bot
) -> None:
    sent = await bot.send_message(DEFAULT_USER_ID, "Pick one")
    pushed = [
        server.push_message("hello there", username="ann"),
        server.push_command("/start deep-link"),
        server.push_callback_query("choice:1"),
        server.push_inline_query("prednisone"),
        server.push_sticker(),
        server.push_photo(caption="my pills"),
    ]
    assert [u["update_id"] for u in pushed] == list(range(1, 7))

    updates = await bot.get_updates(timeout=0)

    assert [u.update_id for u in updates] == [u["update_id"] for u in pushed]
    message, command, callback, inline, sticker, photo = updates
    assert message.message is not None
    assert message.message.text == "hello there"
    assert message.message.from_user is not None
    assert message.message.from_user.username == "ann"

    assert command.message is not None
    assert command.message.entities == (
        MessageEntity(type=MessageEntity.BOT_COMMAND, offset=0, length=len("/start")),
    )
    assert command.message.parse_entities(["bot_command"]) == {
        command.message.entities[0]: "/start"
    }

    assert callback.callback_query is not None
    assert callback.callback_query.data == "choice:1"
    assert callback.callback_query.message is not None
    # By default the button sits on the last message the bot sent to that chat.
    assert callback.callback_query.message.message_id == sent.message_id

    assert inline.inline_query is not None
    assert inline.inline_query.query == "prednisone"
    assert inline.inline_query.from_user.id == DEFAULT_USER_ID

    assert sticker.message is not None and sticker.message.sticker is not None
    assert sticker.message.sticker.type == "regular"
    assert sticker.message.sticker.is_animated is False

    assert photo.message is not None
    assert len(photo.message.photo) == 2
    assert photo.message.caption == "my pills"

    # Confirming a prefix keeps the rest; confirming all empties the queue.
    remaining = await bot.get_updates(offset=callback.update_id, timeout=0)
    assert [u.update_id for u in remaining] == [u.update_id for u in updates[2:]]
    assert await bot.get_updates(offset=updates[-1].update_id + 1, timeout=0) == ()
    assert server.pending_updates == []


async def test_get_updates_honours_limit_and_allowed_updates(server: FakeBotApi, bot: Bot) -> None:
    for text in ("one", "two", "three"):
        server.push_message(text)
    server.push_inline_query("query")

    limited = await bot.get_updates(limit=2, timeout=0)
    assert [u.message.text for u in limited if u.message] == ["one", "two"]

    only_inline = await bot.get_updates(allowed_updates=[Update.INLINE_QUERY], timeout=0)
    assert len(only_inline) == 1
    assert only_inline[0].inline_query is not None
    assert server.calls_to("getUpdates")[-1].params["allowed_updates"] == ["inline_query"]


async def test_get_updates_long_poll_is_capped_and_wakes_on_push(
    server: FakeBotApi, bot: Bot
) -> None:
    started = time.monotonic()
    assert await bot.get_updates(timeout=30) == ()
    elapsed = time.monotonic() - started
    assert 0.8 <= elapsed < 3  # waited, but only up to max_poll_timeout (1s)
    assert server.calls_to("getUpdates")[-1].params["timeout"] == 30

    slow = FakeBotApi(max_poll_timeout=10).start()
    try:
        async with Bot(slow.token, base_url=slow.base_url) as slow_bot:
            timer = threading.Timer(0.2, slow.push_message, args=("late",))
            timer.start()
            started = time.monotonic()
            updates = await slow_bot.get_updates(timeout=10)
            timer.join()
        assert time.monotonic() - started < 5
        assert [u.message.text for u in updates if u.message] == ["late"]
    finally:
        slow.stop()


async def test_negative_offset_and_drop_pending_updates(server: FakeBotApi, bot: Bot) -> None:
    for text in ("a", "b", "c"):
        server.push_message(text)

    last = await bot.get_updates(offset=-1, timeout=0)
    assert [u.message.text for u in last if u.message] == ["c"]

    server.push_message("d")
    assert await bot.delete_webhook(drop_pending_updates=True) is True
    assert server.pending_updates == []


async def test_push_update_raw_and_callback_on_explicit_message(
    server: FakeBotApi, bot: Bot
) -> None:
    raw = server.push_update(
        {"edited_message": {"message_id": 77, "date": 0, "chat": {"id": 5, "type": "private"}}}
    )
    cb = server.push_callback_query("x", chat_id=5, user_id=5, message_id=500)

    updates = await bot.get_updates(timeout=0)

    assert raw["update_id"] + 1 == cb["update_id"]
    assert updates[0].edited_message is not None
    assert updates[0].edited_message.message_id == 77
    assert updates[1].callback_query is not None
    assert updates[1].callback_query.message is not None
    assert updates[1].callback_query.message.message_id == 500
    # The synthesized button message is stored, so the bot can edit it.
    edited = await bot.edit_message_text("done", chat_id=5, message_id=500)
    assert isinstance(edited, object) and getattr(edited, "text", None) == "done"


# ------------------------------------------------------------- fault injection


@pytest.mark.parametrize("timedelta_mode", [False, True])
async def test_fail_next_429_raises_retry_after(
    server: FakeBotApi, bot: Bot, monkeypatch: pytest.MonkeyPatch, timedelta_mode: bool
) -> None:
    # PTB 22.x: RetryAfter.retry_after is an int (with a PTBDeprecationWarning) unless
    # the PTB_TIMEDELTA env var opts in to datetime.timedelta; it is read on access.
    if timedelta_mode:
        monkeypatch.setenv("PTB_TIMEDELTA", "true")
    else:
        monkeypatch.delenv("PTB_TIMEDELTA", raising=False)
    server.fail_next("sendMessage", status=429, retry_after=1)

    with pytest.raises(RetryAfter) as excinfo, warnings.catch_warnings():
        # RetryAfter.__init__ reads its own property, which warns in int mode.
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        await bot.send_message(DEFAULT_USER_ID, "hi")

    if timedelta_mode:
        assert excinfo.value.retry_after == dtm.timedelta(seconds=1)
    else:
        with pytest.warns(PTBDeprecationWarning, match="PTB_TIMEDELTA"):
            assert excinfo.value.retry_after == 1

    # times=1: the retry goes through, and both attempts are recorded.
    await bot.send_message(DEFAULT_USER_ID, "hi")
    calls = server.calls_to("sendMessage")
    assert [(c.failed, c.status) for c in calls] == [(True, 429), (False, 200)]
    assert calls[0].error == "Too Many Requests: retry after 1"
    assert len(server.sent_messages()) == 1


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (500, NetworkError),
        (502, NetworkError),
        (400, BadRequest),
        (403, Forbidden),
        (409, Conflict),
    ],
)
async def test_fail_next_maps_to_ptb_exception(
    server: FakeBotApi, bot: Bot, status: int, expected: type[TelegramError]
) -> None:
    server.fail_next("sendMessage", status=status, description=f"boom {status}")

    with pytest.raises(TelegramError) as excinfo:
        await bot.send_message(DEFAULT_USER_ID, "hi")

    # 5xx map to the NetworkError base class itself, not BadRequest/TimedOut subclasses.
    assert type(excinfo.value) is expected
    assert f"boom {status}" in str(excinfo.value)
    assert server.calls_to("sendMessage")[0].status == status


async def test_fail_next_times_and_default_description(server: FakeBotApi, bot: Bot) -> None:
    server.fail_next("getMe", status=500, times=2)

    for _ in range(2):
        with pytest.raises(NetworkError, match="Internal Server Error"):
            await bot.get_me()
    assert (await bot.get_me()).username == BOT_USERNAME
    assert [c.failed for c in server.calls_to("getMe")] == [False, True, True, False]


async def test_delay_next_makes_client_time_out(server: FakeBotApi, bot: Bot) -> None:
    server.delay_next("getMe", 1.5)

    with pytest.raises(TimedOut):
        await bot.get_me(read_timeout=0.3)
    # The next call is not delayed.
    assert (await bot.get_me(read_timeout=2)).username == BOT_USERNAME
    assert len(server.wait_for("getMe", count=3, timeout=5)) == 3


async def test_unknown_method_returns_404(server: FakeBotApi, bot: Bot) -> None:
    with pytest.raises(EndPointNotFound):
        await bot.do_api_request("fancyNewMethod")

    [call] = server.calls_to("fancyNewMethod")
    assert call.failed is True
    assert call.status == 404
    assert _http(server, "fancyNewMethod", b"{}") == (
        404,
        {"ok": False, "error_code": 404, "description": "Not Found: method not found"},
    )


async def test_wrong_token_is_unauthorized(server: FakeBotApi) -> None:
    with pytest.raises(InvalidToken):
        async with Bot("999:wrong", base_url=server.base_url):
            pass
    assert server.calls[-1].status == 401


# ---------------------------------------------------------------- wait helpers


async def test_wait_for_async_lets_bot_loop_run(server: FakeBotApi, bot: Bot) -> None:
    async def send_later() -> None:
        await asyncio.sleep(0.1)
        await bot.send_message(DEFAULT_USER_ID, "first")
        await bot.send_message(DEFAULT_USER_ID, "second")

    mark = len(server.calls)
    task = asyncio.create_task(send_later())
    calls = await server.wait_for_async("sendmessage", count=2, timeout=5, since=mark)
    await task

    assert [c.params["text"] for c in calls] == ["first", "second"]


def test_wait_for_timeout_reports_recorded_calls(server: FakeBotApi) -> None:
    _http(server, "getMe")

    def is_goodbye(call: ApiCall) -> bool:
        return call.params.get("text") == "bye"

    started = time.monotonic()
    with pytest.raises(AssertionError, match="is_goodbye") as excinfo:
        server.wait_for(is_goodbye, timeout=0.2)
    assert time.monotonic() - started < 2
    assert "getMe x1" in str(excinfo.value)


# ------------------------------------------------------------ other methods


async def test_commands_webhook_and_misc_methods(server: FakeBotApi, bot: Bot) -> None:
    commands = [BotCommand("start", "Start the bot"), BotCommand("help", "How to use")]
    assert await bot.set_my_commands(commands) is True
    assert await bot.get_my_commands() == tuple(commands)
    assert server.calls_to("setMyCommands")[0].params["commands"] == [
        {"command": "start", "description": "Start the bot"},
        {"command": "help", "description": "How to use"},
    ]
    with pytest.raises(BadRequest, match=r"(?i)BOT_COMMAND_INVALID"):
        await bot.set_my_commands([BotCommand("Start", "uppercase is invalid")])
    assert await bot.delete_my_commands() is True
    assert await bot.get_my_commands() == ()

    assert await bot.set_webhook("https://example.invalid/hook") is True
    assert (await bot.get_webhook_info()).url == "https://example.invalid/hook"
    with pytest.raises(Conflict):
        await bot.get_updates(timeout=0)
    assert await bot.delete_webhook() is True
    assert (await bot.get_webhook_info()).url == ""

    assert await bot.send_chat_action(DEFAULT_USER_ID, ChatAction.TYPING) is True
    assert await bot.set_chat_menu_button(menu_button=MenuButtonCommands()) is True
    assert await bot.get_chat_menu_button() == MenuButtonCommands()
    assert await bot.answer_callback_query("123", text="Saved") is True
    assert await bot.close() is True
    assert await bot.log_out() is True
    assert server.calls_to("sendChatAction")[0].params["action"] == "typing"


async def test_answer_inline_query_records_parsed_results(server: FakeBotApi, bot: Bot) -> None:
    result = InlineQueryResultArticle(
        id="1", title="Prednisone", input_message_content=InputTextMessageContent("Dose info")
    )
    assert await bot.answer_inline_query("42", [result], cache_time=0) is True

    params = server.calls_to("answerInlineQuery")[0].params
    assert params["inline_query_id"] == "42"
    assert params["cache_time"] == 0
    assert params["results"] == [
        {
            "type": "article",
            "id": "1",
            "title": "Prednisone",
            "input_message_content": {"message_text": "Dose info"},
        }
    ]


async def test_edit_message_text(server: FakeBotApi, bot: Bot) -> None:
    sent = await bot.send_message(DEFAULT_USER_ID, "v1")

    edited = await bot.edit_message_text("v2", chat_id=DEFAULT_USER_ID, message_id=sent.message_id)

    assert not isinstance(edited, bool)
    assert edited.text == "v2"
    assert edited.edit_date is not None
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_text("v2", chat_id=DEFAULT_USER_ID, message_id=sent.message_id)
    with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
        await bot.edit_message_text("v3", chat_id=DEFAULT_USER_ID, message_id=9999)
    assert await bot.edit_message_text("inline", inline_message_id="abc") is True


async def test_file_download_via_base_file_url(server: FakeBotApi, bot: Bot) -> None:
    update = server.push_photo()
    file_id = update["message"]["photo"][-1]["file_id"]

    tg_file = await bot.get_file(file_id)
    content = await tg_file.download_as_bytearray()

    assert tg_file.file_path is not None
    assert tg_file.file_path.startswith(server.base_file_url)
    assert bytes(content) == server.file_content(file_id)
    with pytest.raises(BadRequest, match=r"(?i)invalid file_id"):
        await bot.get_file("nope")


async def test_pushed_document_is_served_and_its_download_recorded(
    server: FakeBotApi, bot: Bot
) -> None:
    update = server.push_document(b"drugs: []\n", "mine.yaml", user_id=777)
    document = update["message"]["document"]
    assert document["file_name"] == "mine.yaml"
    assert document["file_size"] == 10
    assert server.downloads == []

    tg_file = await bot.get_file(document["file_id"])
    content = await tg_file.download_as_bytearray()

    assert bytes(content) == b"drugs: []\n"
    assert tg_file.file_path == f"{server.base_file_url}{server.token}/documents/file_1.yaml"
    assert server.downloads == ["documents/file_1.yaml"]


async def test_send_document_keeps_the_bytes(server: FakeBotApi, bot: Bot) -> None:
    message = await bot.send_document(DEFAULT_USER_ID, b"a: 1\n", filename="k.yaml")

    assert message.document is not None
    assert message.document.file_name == "k.yaml"
    assert server.file_content(message.document.file_id) == b"a: 1\n"
    with pytest.raises(BadRequest, match=r"(?i)file must be non-empty"):
        await bot.send_document(DEFAULT_USER_ID, b"", filename="empty.yaml")


# ----------------------------------------------------------------- wire format


async def test_multipart_upload_parsed_for_registered_method(server: FakeBotApi, bot: Bot) -> None:
    def send_document(params: JSONDict) -> JSONDict:
        return {
            "message_id": 1,
            "date": 0,
            "chat": {"id": params["chat_id"], "type": "private"},
            "document": {"file_id": "doc", "file_unique_id": "doc-u"},
        }

    server.register_method("sendDocument", send_document)
    payload = b"\x00\r\n--binary\r\n\xff"

    message = await bot.send_document(DEFAULT_USER_ID, payload, filename="a.bin", caption="42")

    assert message.document is not None and message.document.file_id == "doc"
    params = server.calls_to("sendDocument")[0].params
    assert params["chat_id"] == DEFAULT_USER_ID
    assert params["caption"] == "42"
    assert params["document"] == UploadedFile(
        filename="a.bin", content_type="application/octet-stream", data=payload
    )


def test_json_and_form_bodies_are_parsed(server: FakeBotApi) -> None:
    markup = {"inline_keyboard": [[{"text": "a", "callback_data": "b"}]]}
    status, body = _http(
        server,
        "sendMessage",
        json.dumps({"chat_id": "7", "text": "true", "reply_markup": json.dumps(markup)}).encode(),
    )
    assert status == 200
    assert body["result"]["text"] == "true"
    assert body["result"]["reply_markup"] == markup

    status, _ = _http(
        server,
        "sendMessage",
        b"chat_id=8&text=123&disable_notification=true",
        content_type="application/x-www-form-urlencoded",
    )
    assert status == 200
    first, second = server.sent_messages()
    assert first["chat_id"] == 7
    assert first["reply_markup"] == markup
    assert second == {"chat_id": 8, "text": "123", "disable_notification": True}

    assert _http(server, "sendMessage", b"not json")[0] == 400
    assert server.calls[-1].failed is True


# ----------------------------------------------------------- real Application


async def test_application_end_to_end(server: FakeBotApi) -> None:
    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("More", callback_data="more")]])
        await update.effective_message.reply_text("Welcome!", reply_markup=keyboard)

    async def more(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        await query.answer()
        await query.edit_message_text("More info")

    app = (
        ApplicationBuilder()
        .token(server.token)
        .base_url(server.base_url)
        .base_file_url(server.base_file_url)
        .build()
    )
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CallbackQueryHandler(more))

    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0)
        try:
            server.push_command("/start")
            [reply] = await server.wait_for_async("sendMessage", timeout=10)
            assert reply.params["text"] == "Welcome!"
            assert reply.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "more"

            server.push_callback_query("more")
            [edit] = await server.wait_for_async("editMessageText", timeout=10)
            assert edit.params["message_id"] == reply.result["message_id"]
            assert edit.failed is False
            assert len(server.calls_to("answerCallbackQuery")) == 1
        finally:
            await app.updater.stop()
            await app.stop()

    # start_polling deleted the webhook first, and shutdown confirmed the updates.
    assert server.calls_to("deleteWebhook")
    assert server.pending_updates == []


# ------------------------------------------------------------ webhook delivery


class _Hook:
    """A tiny webhook receiver: answers each POST with the next of ``statuses`` (then 200)."""

    def __init__(self, statuses: list[int]) -> None:
        self.statuses = statuses
        self.received: list[tuple[str, str | None, JSONDict]] = []
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                secret = self.headers.get("X-Telegram-Bot-Api-Secret-Token")
                hook.received.append((self.path, secret, json.loads(body)))
                status = hook.statuses.pop(0) if hook.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> _Hook:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


async def test_webhook_delivery_retries_until_acknowledged(server: FakeBotApi, bot: Bot) -> None:
    with _Hook([500, 502]) as hook:
        server.deliver_webhooks_to(hook.origin, retry_after=0.01)
        first = server.push_message("one")
        second = server.push_message("two")
        # Nothing is delivered before a webhook is set.
        await asyncio.sleep(0.1)
        assert hook.received == []

        assert await bot.set_webhook("https://bot.example.org/tg/hook", secret_token="s3cret")
        await asyncio.to_thread(_wait, lambda: server.pending_updates == [])

    deliveries = server.webhook_deliveries
    assert [(d.update_id, d.status) for d in deliveries] == [
        (first["update_id"], 500),
        (first["update_id"], 502),
        (first["update_id"], 200),
        (second["update_id"], 200),
    ]
    assert [d.acknowledged for d in deliveries] == [False, False, True, True]
    assert {(path, secret) for path, secret, _ in hook.received} == {("/tg/hook", "s3cret")}
    assert [body for _, _, body in hook.received] == [first, first, first, second]


async def test_webhook_delivery_survives_an_unreachable_bot(server: FakeBotApi, bot: Bot) -> None:
    with _Hook([]) as hook:
        origin = hook.origin
    # The receiver is gone: every attempt fails until the webhook is deleted.
    server.deliver_webhooks_to(origin, retry_after=0.01)
    update = server.push_message("one")
    assert await bot.set_webhook("https://bot.example.org/hook")
    await asyncio.to_thread(_wait, lambda: len(server.webhook_deliveries) >= 2)
    assert await bot.delete_webhook()

    failed = server.webhook_deliveries
    assert all(d.status is None and d.error for d in failed)
    assert {d.update_id for d in failed} == {update["update_id"]}
    # Still waiting for a delivery (or a getUpdates) that confirms it.
    assert server.pending_updates == [update]


def _wait(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    """Poll ``condition`` from a worker thread until it holds."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)
