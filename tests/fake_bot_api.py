"""A fake Telegram Bot API HTTP server for end-to-end tests.

The real python-telegram-bot (PTB) ``Bot``/``Application`` talks to this server over
plain HTTP on 127.0.0.1, so tests exercise PTB's real request encoding, error mapping
and polling loop without ever reaching the internet::

    with FakeBotApi() as server:
        app = (
            ApplicationBuilder()
            .token(server.token)
            .base_url(server.base_url)            # f"{server.url}/bot"
            .base_file_url(server.base_file_url)  # f"{server.url}/file/bot"
            .build()
        )
        ...
        server.push_command("/start")
        [call] = await server.wait_for_async("sendMessage")

Only the standard library is used and the server runs in its own thread, so it works
with whatever event loop (or none) the test uses.

Wire format notes (checked against PTB 22.8 ``HTTPXRequest``): PTB posts every call as
``application/x-www-form-urlencoded`` (``multipart/form-data`` when uploading files),
where each value is either the raw string or ``json.dumps`` of the value.  That means
``chat_id`` arrives as ``"42"`` and ``reply_markup`` as a JSON string; the parser below
turns those back into Python objects so tests can assert on structured ``params``.
JSON bodies (``application/json``) and query strings are accepted as well.
"""

from __future__ import annotations

import asyncio
import copy
import html
import http.client
import itertools
import json
import logging
import re
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self, cast
from urllib.parse import parse_qsl, unquote, urlsplit

__all__ = [
    "BOT_USERNAME",
    "DEFAULT_TOKEN",
    "DEFAULT_USER_ID",
    "ApiCall",
    "ApiError",
    "FakeBotApi",
    "UploadedFile",
    "WebhookDelivery",
]

JSONDict = dict[str, Any]
MethodHandler = Callable[[JSONDict], Any]
CallPredicate = Callable[["ApiCall"], bool]

_LOGGER = logging.getLogger(__name__)

#: Token in the real ``<bot id>:<secret>`` shape; PTB derives nothing from it, but
#: keeping the shape means code that splits the token (e.g. for logging) still works.
DEFAULT_TOKEN = "123456789:AAFakeTokenForTestsOnly-abcdefghijklmn"
BOT_USERNAME = "itp_helper_bot"
#: Default Telegram user (and private chat) id used by the ``push_*`` builders.
DEFAULT_USER_ID = 1001

#: Real Telegram limits that bots commonly trip over; enforcing them here makes the
#: end-to-end tests catch the same mistakes production would.
MAX_MESSAGE_LENGTH = 4096
MAX_CALLBACK_DATA_BYTES = 64
MAX_UPDATES_LIMIT = 100

#: Update types Telegram withholds unless explicitly listed in ``allowed_updates``.
_OPT_IN_UPDATE_TYPES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})

#: Form fields that are always strings in the Bot API.  Everything else is JSON-decoded
#: (PTB ``json.dumps`` non-string values), but decoding e.g. a message text of ``"123"``
#: or ``"true"`` would silently change its type.
_STRING_FIELDS = frozenset(
    {
        "action",
        "business_connection_id",
        "callback_query_id",
        "caption",
        "data",
        "description",
        "emoji",
        "file_id",
        "inline_message_id",
        "inline_query_id",
        "ip_address",
        "language_code",
        "message_text",
        "name",
        "next_offset",
        "parse_mode",
        "query",
        "secret_token",
        "short_description",
        "switch_pm_parameter",
        "switch_pm_text",
        "text",
        "title",
        "url",
    }
)

#: Fields whose value is a JSON object/array.  Telegram accepts them JSON-encoded as a
#: string even inside JSON bodies, so they are decoded from strings regardless of source.
_JSON_FIELDS = frozenset(
    {
        "allowed_updates",
        "button",
        "caption_entities",
        "commands",
        "entities",
        "link_preview_options",
        "media",
        "menu_button",
        "reply_markup",
        "reply_parameters",
        "results",
        "scope",
    }
)

#: The header Telegram sends the webhook's secret token in.
WEBHOOK_SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"

_HTML_TAG_RE = re.compile(r"</?[a-zA-Z][^>]*>")
_COMMAND_RE = re.compile(r"^[a-z0-9_]{1,32}$")
_DISPOSITION_PARAM_RE = re.compile(r'\b(name|filename)="((?:[^"\\]|\\.)*)"')


@dataclass
class ApiCall:
    """One request received by the fake server.

    ``status`` is ``None`` while the call is still being served (a ``getUpdates`` long
    poll or a call slowed down by :meth:`FakeBotApi.delay_next`); every other call is
    recorded together with its outcome, atomically.
    """

    method: str
    params: JSONDict
    http_method: str = "POST"
    status: int | None = None
    failed: bool = False
    #: The ``result`` returned to the client on success (e.g. the sent Message dict).
    result: Any = None
    #: Telegram's error ``description`` when the call failed.
    error: str | None = None
    timestamp: float = field(default_factory=time.monotonic)


@dataclass(frozen=True)
class WebhookDelivery:
    """One attempt of the fake server to post an update to the bot's webhook."""

    update_id: int
    #: The HTTP status the bot answered, or ``None`` when the connection failed.
    status: int | None
    error: str | None = None
    timestamp: float = field(default_factory=time.monotonic)

    @property
    def acknowledged(self) -> bool:
        """Telegram forgets an update once its webhook answered 2xx."""
        return self.status is not None and 200 <= self.status < 300


@dataclass(frozen=True)
class UploadedFile:
    """A file part of a ``multipart/form-data`` request (e.g. ``send_document``)."""

    filename: str | None
    content_type: str
    data: bytes


class ApiError(Exception):
    """Raised by method handlers to answer with a Telegram error response.

    Custom handlers registered with :meth:`FakeBotApi.register_method` may raise it too.
    """

    def __init__(self, status: int, description: str, parameters: JSONDict | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters


@dataclass
class _Fault:
    status: int
    description: str
    parameters: JSONDict | None
    remaining: int


@dataclass
class _Delay:
    seconds: float
    remaining: int


@dataclass(frozen=True)
class _Method:
    name: str
    handler: MethodHandler
    #: Blocking handlers (``getUpdates``) run outside the lock and are recorded as
    #: in-progress first, so ``wait_for("getUpdates")`` sees a poll that is waiting.
    blocking: bool = False


def _utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit Telegram uses for entity offsets/limits."""
    return len(text.encode("utf-16-le")) // 2


def _reject_constant(value: str) -> Any:
    # json.loads would otherwise turn the strings "NaN"/"Infinity" into floats.
    raise ValueError(value)


def _decode_form_value(key: str, value: str) -> Any:
    """Undo PTB's ``json.dumps`` of non-string form values (ints, bools, lists, dicts)."""
    if key in _STRING_FIELDS:
        return value
    try:
        decoded = json.loads(value, parse_constant=_reject_constant)
    except ValueError:
        return value
    # A quoted JSON string can only come from a client that double-encoded a string;
    # keep the raw value so we never strip characters the client actually sent.
    return value if isinstance(decoded, str) else decoded


def _normalize_params(params: JSONDict) -> JSONDict:
    """Decode JSON-encoded nested fields and numeric-string chat ids."""
    for key in _JSON_FIELDS & params.keys():
        value = params[key]
        if isinstance(value, str) and value.lstrip()[:1] in ("{", "["):
            try:
                params[key] = json.loads(value)
            except ValueError as exc:
                raise ApiError(400, f"Bad Request: can't parse {key} JSON object") from exc
    for key in ("chat_id", "user_id", "message_id", "offset", "limit", "timeout"):
        value = params.get(key)
        if isinstance(value, str) and value.lstrip("-").isdigit():
            params[key] = int(value)
    return params


def _parse_multipart(content_type: str, body: bytes) -> JSONDict:
    """Parse ``multipart/form-data``; file parts become :class:`UploadedFile`.

    Hand-rolled on purpose: the ``cgi`` module is gone in Python 3.13 and the ``email``
    parser may rewrite line endings inside binary payloads.
    """
    match = re.search(r'boundary="?([^";]+)"?', content_type)
    if match is None:
        raise ApiError(400, "Bad Request: multipart boundary is missing")
    delimiter = b"--" + match.group(1).encode("latin-1")
    params: JSONDict = {}
    for raw_part in body.split(delimiter)[1:]:
        if raw_part.startswith(b"--"):  # closing delimiter
            break
        part = raw_part.removeprefix(b"\r\n").removesuffix(b"\r\n")
        head, _, data = part.partition(b"\r\n\r\n")
        headers: dict[str, str] = {}
        for line in head.decode("utf-8", "replace").split("\r\n"):
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        disposition = dict(_DISPOSITION_PARAM_RE.findall(headers.get("content-disposition", "")))
        field_name = disposition.get("name")
        if field_name is None:
            continue
        if "filename" in disposition:
            params[field_name] = UploadedFile(
                filename=unquote(disposition["filename"]),
                content_type=headers.get("content-type", "application/octet-stream"),
                data=data,
            )
        else:
            params[field_name] = _decode_form_value(field_name, data.decode("utf-8"))
    return params


def _parse_params(content_type: str, body: bytes, query: str) -> JSONDict:
    """Merge query-string and body parameters into one normalized dict."""
    params: JSONDict = {k: _decode_form_value(k, v) for k, v in parse_qsl(query)}
    media_type = content_type.split(";", 1)[0].strip().lower()
    if body:
        if media_type == "application/json":
            try:
                decoded = json.loads(body)
            except ValueError as exc:
                raise ApiError(400, "Bad Request: can't parse JSON body") from exc
            if not isinstance(decoded, dict):
                raise ApiError(400, "Bad Request: JSON body must be an object")
            params.update(decoded)
        elif media_type == "multipart/form-data":
            params.update(_parse_multipart(content_type, body))
        else:
            # Telegram treats a missing/unknown content type as url-encoded, so do we.
            pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True)
            params.update({k: _decode_form_value(k, v) for k, v in pairs})
    return _normalize_params(params)


def _visible_text(text: str, parse_mode: str | None) -> str:
    """Approximate the text Telegram stores after removing HTML markup."""
    if parse_mode is not None and parse_mode.upper() == "HTML":
        return html.unescape(_HTML_TAG_RE.sub("", text))
    return text


def _error_body(status: int, description: str, parameters: JSONDict | None = None) -> JSONDict:
    body: JSONDict = {"ok": False, "error_code": status, "description": description}
    if parameters:
        body["parameters"] = parameters
    return body


def _require(params: JSONDict, name: str) -> Any:
    value = params.get(name)
    if value is None or value == "":
        raise ApiError(400, f"Bad Request: {name} is empty")
    return value


def _check_reply_markup(markup: Any) -> None:
    """Reject callback_data Telegram would reject, so bots can't ship oversized data."""
    if not isinstance(markup, dict):
        return
    for row in markup.get("inline_keyboard", []):
        for button in row:
            data = button.get("callback_data")
            if data is not None and not 1 <= len(str(data).encode()) <= MAX_CALLBACK_DATA_BYTES:
                raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")


def _describe(params: JSONDict, limit: int = 160) -> str:
    text = repr(params)
    return text if len(text) <= limit else text[: limit - 3] + "..."


class _Server(ThreadingHTTPServer):
    """ThreadingHTTPServer that knows its :class:`FakeBotApi` (handlers need it)."""

    # Many chats answered at once open many connections: the default backlog of 5
    # would make the kernel reset them under load.
    request_queue_size = 1024

    # Daemon threads: a client that never reads its response must not block stop().
    daemon_threads = True

    def __init__(self, api: FakeBotApi, host: str) -> None:
        self.api = api
        super().__init__((host, 0), _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Default prints to stderr; route through logging so pytest captures it.
        _LOGGER.error(
            "FakeBotApi: error while handling request from %s",
            client_address,
            exc_info=sys.exc_info(),
        )


class _Handler(BaseHTTPRequestHandler):
    """Translates raw HTTP into :meth:`FakeBotApi._dispatch` calls."""

    # HTTP/1.0 closes the connection after each response; no idle keep-alive sockets
    # are left behind when the server stops between tests.
    protocol_version = "HTTP/1.0"

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def log_message(self, format: str, *args: Any) -> None:
        # BaseHTTPRequestHandler writes access logs to stderr; keep them in logging.
        _LOGGER.debug("FakeBotApi: %s", format % args)

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    # Skip optional trailers up to the terminating blank line.
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()  # CRLF after each chunk
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _handle(self, http_method: str) -> None:
        api = cast(_Server, self.server).api
        status, content_type, payload = api._dispatch(
            http_method,
            self.path,
            self.headers.get("Content-Type", ""),
            self._read_body(),
        )
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            # Expected when a test makes the client time out (delay_next).
            _LOGGER.debug("FakeBotApi: client went away before the response was written")


class FakeBotApi:
    """In-process fake of the Telegram Bot API, served over HTTP on 127.0.0.1.

    All state is guarded by one ``threading.Condition`` so HTTP handler threads, the
    test thread and ``asyncio.to_thread`` waiters can use it concurrently; the same
    condition wakes long-polling ``getUpdates`` when an update is pushed and
    ``wait_for`` when a call is recorded.
    """

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        bot_username: str = BOT_USERNAME,
        bot_first_name: str = "ITP Helper",
        max_poll_timeout: float = 1.0,
        host: str = "127.0.0.1",
    ) -> None:
        """Create a stopped server.

        Args:
            token: Token the client must use (``/bot<token>/<method>``).
            bot_username: ``username`` reported by ``getMe``.
            bot_first_name: ``first_name`` reported by ``getMe``.
            max_poll_timeout: Upper bound in seconds for a ``getUpdates`` long poll, so
                an idle bot re-polls quickly and tests/shutdown stay fast.
            host: Interface to bind; keep the loopback default so tests stay offline.
        """
        self.token = token
        self.max_poll_timeout = max_poll_timeout
        self._host = host
        prefix = token.split(":", 1)[0]
        self.bot_user: JSONDict = {
            "id": int(prefix) if prefix.isdigit() else 123456789,
            "is_bot": True,
            "first_name": bot_first_name,
            "username": bot_username,
        }

        self._cond = threading.Condition()
        self._stop_event = threading.Event()
        self._stopping = False
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

        self._calls: list[ApiCall] = []
        self._updates: list[JSONDict] = []
        self._faults: dict[str, list[_Fault]] = {}
        self._delays: dict[str, list[_Delay]] = {}
        self._next_update_id = 1
        # One counter for all messages keeps ids unique across chats, which makes the
        # (chat_id, message_id) store and test assertions simpler.
        self._message_ids = itertools.count(1)
        self._query_ids = itertools.count(4_000_000_001)
        self._file_ids = itertools.count(1)
        self._chats: dict[int, JSONDict] = {}
        self._messages: dict[tuple[int, int], JSONDict] = {}
        self._last_bot_message: dict[int, int] = {}
        self._files: dict[str, tuple[JSONDict, bytes]] = {}
        self._downloads: list[str] = []
        self._webhook: JSONDict = {}
        self._webhook_origin: str | None = None
        self._webhook_retry_after = 0.2
        self._webhook_timeout = 10.0
        self._webhook_thread: threading.Thread | None = None
        self._webhook_deliveries: list[WebhookDelivery] = []
        self._allowed_updates: list[str] = []
        self._commands: dict[tuple[str, str], list[JSONDict]] = {}
        self._menu_buttons: dict[str, JSONDict] = {}

        self._methods: dict[str, _Method] = {}
        for name, handler in (
            ("getMe", self._get_me),
            ("deleteWebhook", self._delete_webhook),
            ("setWebhook", self._set_webhook),
            ("getWebhookInfo", self._get_webhook_info),
            ("setMyCommands", self._set_my_commands),
            ("getMyCommands", self._get_my_commands),
            ("deleteMyCommands", self._delete_my_commands),
            ("sendMessage", self._send_message),
            ("editMessageText", self._edit_message_text),
            ("answerCallbackQuery", self._answer_callback_query),
            ("answerInlineQuery", self._answer_inline_query),
            ("sendChatAction", self._send_chat_action),
            ("close", self._return_true),
            ("logOut", self._return_true),
            ("setChatMenuButton", self._set_chat_menu_button),
            ("getChatMenuButton", self._get_chat_menu_button),
            ("getFile", self._get_file),
            ("sendDocument", self._send_document),
        ):
            self.register_method(name, handler)
        self._methods["getupdates"] = _Method("getUpdates", self._get_updates, blocking=True)

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> Self:
        """Bind a free port on the loopback interface and serve in a daemon thread."""
        if self._server is not None:
            raise RuntimeError("FakeBotApi is already started")
        self._server = _Server(self, self._host)
        self._thread = threading.Thread(
            # A short poll interval lets shutdown() return promptly.
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"FakeBotApi:{self._server.server_address[1]}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving; returns promptly even while a ``getUpdates`` poll is waiting."""
        with self._cond:
            self._stopping = True
            self._cond.notify_all()  # wake long polls and wait_for() callers
        self._stop_event.set()  # interrupt delay_next() sleeps
        server, thread = self._server, self._thread
        if server is not None:
            server.shutdown()
            server.server_close()
        if thread is not None:
            thread.join(timeout=5)
        if self._webhook_thread is not None:
            self._webhook_thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT`` of the running server."""
        if self._server is None:
            raise RuntimeError("FakeBotApi is not started")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def base_url(self) -> str:
        """Value for ``ApplicationBuilder.base_url`` / ``Bot(base_url=...)``."""
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        """Value for ``ApplicationBuilder.base_file_url`` / ``Bot(base_file_url=...)``."""
        return f"{self.url}/file/bot"

    # ------------------------------------------------------------ recorded calls

    @property
    def calls(self) -> list[ApiCall]:
        """Snapshot of every call received so far, in arrival order."""
        with self._cond:
            return list(self._calls)

    def calls_to(self, method: str) -> list[ApiCall]:
        """Calls of one API method (case-insensitive, like Telegram), failed ones included."""
        wanted = method.lower()
        with self._cond:
            return [c for c in self._calls if c.method.lower() == wanted]

    def sent_messages(self, chat_id: int | str | None = None) -> list[JSONDict]:
        """Params of successful ``sendMessage`` calls, optionally for one chat."""
        # Deep copies: params are shared with the recorded ApiCall objects.
        return [
            copy.deepcopy(c.params)
            for c in self.calls_to("sendMessage")
            if c.status == HTTPStatus.OK
            and (chat_id is None or str(c.params.get("chat_id")) == str(chat_id))
        ]

    def clear_calls(self) -> None:
        """Forget recorded calls (e.g. the startup getMe/deleteWebhook noise)."""
        with self._cond:
            self._calls.clear()

    def wait_for(
        self,
        what: str | CallPredicate,
        count: int = 1,
        timeout: float = 10.0,
        *,
        since: int = 0,
    ) -> list[ApiCall]:
        """Block until at least ``count`` calls match, then return all matching calls.

        Args:
            what: API method name (case-insensitive) or a predicate over :class:`ApiCall`.
                Failed and still-in-progress calls match too, so retries are visible.
            count: Minimum number of matching calls.
            timeout: Seconds to wait before failing the test.
            since: Only consider calls at index >= ``since`` (e.g. ``len(server.calls)``
                taken before the action under test).

        Raises:
            AssertionError: On timeout (or server stop), with a summary of the calls.
        """
        predicate: CallPredicate
        if isinstance(what, str):
            wanted = what.lower()
            label = repr(what)

            def by_name(call: ApiCall) -> bool:
                return call.method.lower() == wanted

            predicate = by_name
        else:
            predicate = what
            label = getattr(what, "__name__", repr(what))

        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                matches = [c for c in self._calls[since:] if predicate(c)]
                if len(matches) >= count:
                    return matches
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self._stopping:
                    reason = "server stopped" if self._stopping else f"timed out after {timeout}s"
                    raise AssertionError(
                        f"FakeBotApi: {reason} waiting for {count} call(s) matching {label}; "
                        f"got {len(matches)}.\n{self._summary_locked()}"
                    )
                self._cond.wait(remaining)

    async def wait_for_async(
        self,
        what: str | CallPredicate,
        count: int = 1,
        timeout: float = 10.0,
        *,
        since: int = 0,
    ) -> list[ApiCall]:
        """:meth:`wait_for` in a worker thread, so the bot's event loop keeps running."""
        return await asyncio.to_thread(self.wait_for, what, count, timeout, since=since)

    def summary(self) -> str:
        """Human-readable digest of recorded calls (used in assertion messages)."""
        with self._cond:
            return self._summary_locked()

    def _summary_locked(self) -> str:
        counts: dict[str, list[int]] = {}
        for call in self._calls:
            total_failed = counts.setdefault(call.method, [0, 0])
            total_failed[0] += 1
            total_failed[1] += int(call.failed)
        overview = ", ".join(
            f"{name} x{total}" + (f" ({failed} failed)" if failed else "")
            for name, (total, failed) in counts.items()
        )
        lines = [f"Recorded {len(self._calls)} call(s): {overview or 'none'}"]
        # getUpdates polls every max_poll_timeout; listing them would bury the signal.
        interesting = [(i, c) for i, c in enumerate(self._calls) if c.method != "getUpdates"]
        lines.append("Last calls (getUpdates omitted):")
        for index, call in interesting[-20:]:
            outcome = "pending" if call.status is None else str(call.status)
            flag = " FAILED" if call.failed else ""
            lines.append(f"  #{index} {call.method} {_describe(call.params)} -> {outcome}{flag}")
        return "\n".join(lines)

    # ----------------------------------------------------------- fault injection

    def fail_next(
        self,
        method: str,
        status: int = 429,
        description: str | None = None,
        retry_after: int | None = 1,
        times: int = 1,
        *,
        parameters: JSONDict | None = None,
    ) -> None:
        """Make the next ``times`` calls of ``method`` fail with a Telegram error.

        For 429 the body carries ``parameters.retry_after`` (PTB turns that into
        ``telegram.error.RetryAfter``); ``description`` defaults to Telegram's wording
        for the status.  Failed calls are still recorded with ``failed=True``.
        """
        if description is None:
            if status == HTTPStatus.TOO_MANY_REQUESTS:
                description = f"Too Many Requests: retry after {retry_after}"
            else:
                try:
                    description = HTTPStatus(status).phrase
                except ValueError:
                    description = f"Error {status}"
        extra = dict(parameters or {})
        if status == HTTPStatus.TOO_MANY_REQUESTS and retry_after is not None:
            extra.setdefault("retry_after", retry_after)
        with self._cond:
            self._faults.setdefault(method.lower(), []).append(
                _Fault(status, description, extra or None, times)
            )

    def delay_next(self, method: str, seconds: float, times: int = 1) -> None:
        """Delay the response of the next ``times`` calls of ``method`` (client timeouts)."""
        with self._cond:
            self._delays.setdefault(method.lower(), []).append(_Delay(seconds, times))

    def register_method(self, method: str, handler: MethodHandler) -> None:
        """Serve an extra API method: ``handler(params)`` returns the ``result``.

        The handler runs under the server lock and may raise :class:`ApiError`.
        """
        with self._cond:
            self._methods[method.lower()] = _Method(method, handler)

    # ---------------------------------------------------------- update builders

    def push_update(self, update: JSONDict) -> JSONDict:
        """Enqueue a raw update (``update_id`` is assigned when missing); returns a copy."""
        with self._cond:
            stored = copy.deepcopy(update)
            if "update_id" not in stored:
                stored["update_id"] = self._next_update_id
            self._next_update_id = max(self._next_update_id, int(stored["update_id"])) + 1
            self._updates.append(stored)
            self._cond.notify_all()  # wake a waiting getUpdates long poll
            return copy.deepcopy(stored)

    def push_message(
        self,
        text: str,
        chat_id: int | None = None,
        user_id: int = DEFAULT_USER_ID,
        first_name: str = "Ann",
        username: str | None = None,
        *,
        entities: list[JSONDict] | None = None,
    ) -> JSONDict:
        """Enqueue a text message from a user (private chat unless ``chat_id`` differs)."""
        extra: JSONDict = {"text": text}
        if entities:
            extra["entities"] = entities
        return self._push_user_message(extra, chat_id, user_id, first_name, username)

    def push_command(
        self,
        cmd_text: str,
        chat_id: int | None = None,
        user_id: int = DEFAULT_USER_ID,
        first_name: str = "Ann",
        username: str | None = None,
    ) -> JSONDict:
        """Enqueue ``/command [args]`` with the ``bot_command`` entity CommandHandler needs."""
        text = cmd_text if cmd_text.startswith("/") else f"/{cmd_text}"
        command = text.split(maxsplit=1)[0]  # includes an optional @botname suffix
        entity = {"type": "bot_command", "offset": 0, "length": _utf16_len(command)}
        return self.push_message(text, chat_id, user_id, first_name, username, entities=[entity])

    def push_callback_query(
        self,
        data: str,
        chat_id: int | None = None,
        user_id: int = DEFAULT_USER_ID,
        message_id: int | None = None,
        *,
        first_name: str = "Ann",
        username: str | None = None,
        message_text: str = "Please choose:",
    ) -> JSONDict:
        """Enqueue an inline-button press.

        The attached ``message`` is the stored bot message ``message_id`` (default: the
        last message the bot sent to the chat); if none exists, a bot message is
        synthesized and stored so a later ``editMessageText`` on it succeeds.
        """
        user = self._user(user_id, first_name, username)
        with self._cond:
            chat = self._chat(chat_id if chat_id is not None else user_id, user)
            if message_id is None:
                message_id = self._last_bot_message.get(chat["id"])
            message = self._messages.get((chat["id"], message_id or 0))
            if message is None:
                message = {
                    "message_id": message_id or next(self._message_ids),
                    "from": dict(self.bot_user),
                    "chat": chat,
                    "date": int(time.time()),
                    "text": message_text,
                }
                self._messages[(chat["id"], message["message_id"])] = message
            query = {
                "id": str(next(self._query_ids)),
                "from": user,
                "message": copy.deepcopy(message),
                "chat_instance": f"{chat['id']}-instance",
                "data": data,
            }
        return self.push_update({"callback_query": query})

    def push_inline_query(
        self,
        query: str,
        user_id: int = DEFAULT_USER_ID,
        *,
        first_name: str = "Ann",
        username: str | None = None,
        offset: str = "",
    ) -> JSONDict:
        """Enqueue an inline query (``@itp_helper_bot <query>`` typed by the user)."""
        inline_query = {
            "id": str(next(self._query_ids)),
            "from": self._user(user_id, first_name, username),
            "query": query,
            "offset": offset,
            "chat_type": "sender",
        }
        return self.push_update({"inline_query": inline_query})

    def push_sticker(
        self,
        chat_id: int | None = None,
        user_id: int = DEFAULT_USER_ID,
        *,
        first_name: str = "Ann",
        username: str | None = None,
        emoji: str = "\N{THUMBS UP SIGN}",
    ) -> JSONDict:
        """Enqueue a message containing a regular static sticker."""
        sticker = self._new_file("stickers", "webp", 512, 512)
        sticker.update(is_animated=False, is_video=False, type="regular", emoji=emoji)
        return self._push_user_message({"sticker": sticker}, chat_id, user_id, first_name, username)

    def push_photo(
        self,
        chat_id: int | None = None,
        user_id: int = DEFAULT_USER_ID,
        *,
        first_name: str = "Ann",
        username: str | None = None,
        caption: str | None = None,
    ) -> JSONDict:
        """Enqueue a photo message (two PhotoSize entries, like Telegram sends)."""
        sizes = [self._new_file("photos", "jpg", 90, 90), self._new_file("photos", "jpg", 800, 800)]
        extra: JSONDict = {"photo": sizes}
        if caption is not None:
            extra["caption"] = caption
        return self._push_user_message(extra, chat_id, user_id, first_name, username)

    # ------------------------------------------------------------ webhook delivery

    def deliver_webhooks_to(
        self, origin: str, *, retry_after: float = 0.2, timeout: float = 10.0
    ) -> None:
        """Post updates to the registered webhook, as Telegram does, but at ``origin``.

        While a webhook is set (``setWebhook``), Telegram posts each pending update to
        its URL as JSON, with the secret token in the ``X-Telegram-Bot-Api-Secret-Token``
        header, and forgets the update only once the bot answered 2xx; a failed
        connection, a timeout or another status is retried later, until it succeeds.
        The registered URL is https:// on a public host; the fake posts to the same path
        at ``origin`` (e.g. ``http://127.0.0.1:8443``) instead. Updates go one at a time,
        in order (Telegram may send up to ``max_connections`` at once). Every attempt is
        recorded in :attr:`webhook_deliveries`.

        Args:
            origin: scheme, host and port that stand in for the registered URL's.
            retry_after: seconds between a failed attempt and the next one.
            timeout: seconds to wait for the bot's response.
        """
        with self._cond:
            self._webhook_origin = origin.rstrip("/")
            self._webhook_retry_after = retry_after
            self._webhook_timeout = timeout
            if self._webhook_thread is None:
                self._webhook_thread = threading.Thread(
                    target=self._deliver_webhooks, name="FakeBotApi:webhook", daemon=True
                )
                self._webhook_thread.start()
            self._cond.notify_all()

    @property
    def webhook_deliveries(self) -> list[WebhookDelivery]:
        """Every attempt to post an update to the webhook, in order."""
        with self._cond:
            return list(self._webhook_deliveries)

    def _next_webhook_delivery(self) -> tuple[JSONDict, str, str | None] | None:
        """The update to post next, the URL and the secret token; call with the lock held."""
        url = str(self._webhook.get("url") or "")
        if not url or self._webhook_origin is None:
            return None
        update = next((u for u in self._updates if self._is_allowed(u)), None)
        if update is None:
            return None
        parts = urlsplit(url)
        target = f"{self._webhook_origin}{parts.path or '/'}"
        if parts.query:
            target += f"?{parts.query}"
        return copy.deepcopy(update), target, self._webhook.get("secret_token")

    def _deliver_webhooks(self) -> None:
        while True:
            with self._cond:
                while not self._stopping and (job := self._next_webhook_delivery()) is None:
                    self._cond.wait()
                if self._stopping or job is None:
                    return
                timeout, retry_after = self._webhook_timeout, self._webhook_retry_after
            update, url, secret = job
            status, error = self._post_update(url, update, secret, timeout)
            delivery = WebhookDelivery(update["update_id"], status, error)
            with self._cond:
                self._webhook_deliveries.append(delivery)
                if delivery.acknowledged:
                    self._updates = [
                        u for u in self._updates if u["update_id"] != update["update_id"]
                    ]
                self._cond.notify_all()
            if not delivery.acknowledged:
                self._stop_event.wait(retry_after)

    @staticmethod
    def _post_update(
        url: str, update: JSONDict, secret: str | None, timeout: float
    ) -> tuple[int | None, str | None]:
        parts = urlsplit(url)
        connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=timeout)
        headers = {"Content-Type": "application/json"}
        if secret:
            headers[WEBHOOK_SECRET_HEADER] = secret
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        try:
            connection.request("POST", path, body=json.dumps(update).encode(), headers=headers)
            response = connection.getresponse()
            response.read()
            return response.status, None
        except (OSError, http.client.HTTPException) as error:
            return None, f"{type(error).__name__}: {error}"
        finally:
            connection.close()

    def push_document(
        self,
        content: bytes,
        file_name: str,
        chat_id: int | None = None,
        user_id: int = DEFAULT_USER_ID,
        *,
        first_name: str = "Ann",
        username: str | None = None,
        mime_type: str = "application/x-yaml",
        caption: str | None = None,
    ) -> JSONDict:
        """Enqueue a document message; getFile and the file URL serve ``content``."""
        with self._cond:
            number = next(self._file_ids)
            info: JSONDict = {
                "file_id": f"BQACAgIAAxkBAAI-fake-document-{number}",
                "file_unique_id": f"AgAD-document-{number}",
                "file_size": len(content),
            }
            self._files[info["file_id"]] = (
                {**info, "file_path": f"documents/file_{number}.{file_name.rsplit('.', 1)[-1]}"},
                content,
            )
        extra: JSONDict = {"document": {**info, "file_name": file_name, "mime_type": mime_type}}
        if caption is not None:
            extra["caption"] = caption
        return self._push_user_message(extra, chat_id, user_id, first_name, username)

    @property
    def downloads(self) -> list[str]:
        """The ``file_path`` of every file downloaded from the file URL, in order."""
        with self._cond:
            return list(self._downloads)

    @property
    def pending_updates(self) -> list[JSONDict]:
        """Updates not yet confirmed by a ``getUpdates`` offset."""
        with self._cond:
            return copy.deepcopy(self._updates)

    def file_content(self, file_id: str) -> bytes:
        """Bytes served for a file created by ``push_photo``/``push_sticker``."""
        with self._cond:
            return self._files[file_id][1]

    # ------------------------------------------------------------ object helpers

    @staticmethod
    def _user(user_id: int, first_name: str, username: str | None) -> JSONDict:
        user: JSONDict = {
            "id": user_id,
            "is_bot": False,
            "first_name": first_name,
            "language_code": "en",
        }
        if username is not None:
            user["username"] = username
        return user

    def _chat(self, chat_id: int | str, user: JSONDict | None = None) -> JSONDict:
        """Chat dict for ``chat_id``; remembered so bot replies echo the same chat."""
        if isinstance(chat_id, str) and not chat_id.lstrip("-").isdigit():
            # "@channelusername": Telegram resolves it to a numeric channel id.
            name = chat_id.lstrip("@")
            numeric = -1_000_000_000_000 - (sum(name.encode()) % 1_000_000)
            return self._chats.setdefault(
                numeric, {"id": numeric, "type": "channel", "title": name, "username": name}
            )
        numeric = int(chat_id)
        if numeric in self._chats:
            return self._chats[numeric]
        chat: JSONDict
        if numeric > 0:
            chat = {"id": numeric, "type": "private", "first_name": "Ann"}
            if user is not None and user["id"] == numeric:
                chat["first_name"] = user["first_name"]
                if "username" in user:
                    chat["username"] = user["username"]
        else:
            kind = "supergroup" if str(numeric).startswith("-100") else "group"
            chat = {"id": numeric, "type": kind, "title": "Test group"}
        self._chats[numeric] = chat
        return chat

    def _push_user_message(
        self,
        content: JSONDict,
        chat_id: int | None,
        user_id: int,
        first_name: str,
        username: str | None,
    ) -> JSONDict:
        user = self._user(user_id, first_name, username)
        with self._cond:
            chat = self._chat(chat_id if chat_id is not None else user_id, user)
            message: JSONDict = {
                "message_id": next(self._message_ids),
                "from": user,
                "chat": copy.deepcopy(chat),
                "date": int(time.time()),
                **content,
            }
            self._messages[(chat["id"], message["message_id"])] = message
            return self.push_update({"message": message})

    def _new_file(self, folder: str, extension: str, width: int, height: int) -> JSONDict:
        """Register fake file bytes so getFile + the file URL can serve them."""
        with self._cond:
            number = next(self._file_ids)
            content = f"fake {folder} file {number}".encode()
            info: JSONDict = {
                "file_id": f"AgACAgIAAxkBAAI-fake-{folder}-{number}",
                "file_unique_id": f"AQAD-{folder}-{number}",
                "file_size": len(content),
                "width": width,
                "height": height,
            }
            self._files[info["file_id"]] = (
                {**info, "file_path": f"{folder}/file_{number}.{extension}"},
                content,
            )
            return info

    # ------------------------------------------------------------ HTTP dispatch

    def _dispatch(
        self, http_method: str, raw_path: str, content_type: str, body: bytes
    ) -> tuple[int, str, bytes]:
        """Serve one HTTP request; returns (status, content type, payload)."""
        parts = urlsplit(raw_path)
        path = unquote(parts.path)
        if path.startswith("/file/bot"):
            return self._serve_file(path.removeprefix("/file/bot"))
        if not path.startswith("/bot") or "/" not in path[4:]:
            return self._json_response(404, _error_body(404, "Not Found"))
        token, _, method = path[4:].partition("/")

        parse_error: ApiError | None = None
        params: JSONDict = {}
        try:
            params = _parse_params(content_type, body, parts.query)
        except ApiError as exc:
            parse_error = exc  # still recorded below, then answered with a 400

        with self._cond:
            entry = self._methods.get(method.lower())
            call = ApiCall(
                method=entry.name if entry else method, params=params, http_method=http_method
            )
            self._calls.append(call)
            error: ApiError | None = parse_error
            delay: float | None = None
            if token != self.token:
                error = ApiError(401, "Unauthorized")
            else:
                # Faults/delays are consumed only by correctly authenticated calls.
                fault = self._take_fault(method.lower())
                delay = self._take_delay(method.lower())
                if fault is not None:
                    error = ApiError(fault.status, fault.description, fault.parameters)
                elif entry is None:
                    error = ApiError(404, "Not Found: method not found")
            if delay is None and (error is not None or (entry is not None and not entry.blocking)):
                # Fast path: the outcome is known now, so record it atomically with the
                # call; a test that saw the call in wait_for() also sees its result.
                status, response = self._outcome(error, entry, params)
                self._complete(call, status, response)
                return self._json_response(status, response)
            # Slow path: publish the in-progress call (injected faults already count as
            # failed) and serve it outside the lock so other requests keep flowing.
            call.failed = error is not None
            self._cond.notify_all()

        if delay is not None:
            self._stop_event.wait(delay)  # interruptible, so stop() stays prompt
        status, response = self._outcome(error, entry, params)
        with self._cond:
            self._complete(call, status, response)
        return self._json_response(status, response)

    def _outcome(
        self, error: ApiError | None, entry: _Method | None, params: JSONDict
    ) -> tuple[int, JSONDict]:
        if error is not None:
            return self._error_response(error)
        assert entry is not None  # guaranteed: unknown methods always carry an error
        return self._run(entry, params)

    def _take_fault(self, key: str) -> _Fault | None:
        queue = self._faults.get(key)
        if not queue:
            return None
        fault = queue[0]
        fault.remaining -= 1
        if fault.remaining <= 0:
            queue.pop(0)
        return fault

    def _take_delay(self, key: str) -> float | None:
        queue = self._delays.get(key)
        if not queue:
            return None
        delay = queue[0]
        delay.remaining -= 1
        if delay.remaining <= 0:
            queue.pop(0)
        return delay.seconds

    def _run(self, entry: _Method, params: JSONDict) -> tuple[int, JSONDict]:
        """Run a method handler; handler bugs become 500s instead of killing the thread."""
        try:
            if entry.blocking:
                result = entry.handler(params)
            else:
                with self._cond:
                    result = entry.handler(params)
        except ApiError as exc:
            return self._error_response(exc)
        except Exception:
            _LOGGER.exception("FakeBotApi: handler for %s crashed", entry.name)
            return 500, _error_body(500, "Internal Server Error: fake handler crashed")
        return 200, {"ok": True, "result": result}

    @staticmethod
    def _error_response(error: ApiError) -> tuple[int, JSONDict]:
        return error.status, _error_body(error.status, error.description, error.parameters)

    def _complete(self, call: ApiCall, status: int, response: JSONDict) -> None:
        call.status = status
        call.failed = status != HTTPStatus.OK
        if call.failed:
            call.error = response.get("description")
        else:
            call.result = copy.deepcopy(response.get("result"))
        self._cond.notify_all()

    @staticmethod
    def _json_response(status: int, body: JSONDict) -> tuple[int, str, bytes]:
        return status, "application/json", json.dumps(body).encode()

    def _serve_file(self, rest: str) -> tuple[int, str, bytes]:
        token, _, file_path = rest.partition("/")
        with self._cond:
            if token == self.token:
                for info, content in self._files.values():
                    if info["file_path"] == file_path:
                        self._downloads.append(file_path)
                        return 200, "application/octet-stream", content
        return self._json_response(404, _error_body(404, "Not Found"))

    # ------------------------------------------------------------ API methods

    def _get_me(self, params: JSONDict) -> JSONDict:
        return {
            **self.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": True,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    def _get_updates(self, params: JSONDict) -> list[JSONDict]:
        """Long poll: confirm by offset, then wait (capped) for deliverable updates."""
        offset = int(params.get("offset") or 0)
        limit = min(max(int(params.get("limit") or MAX_UPDATES_LIMIT), 1), MAX_UPDATES_LIMIT)
        timeout = min(max(float(params.get("timeout") or 0), 0.0), self.max_poll_timeout)
        deadline = time.monotonic() + timeout
        with self._cond:
            if self._webhook.get("url"):
                raise ApiError(
                    409,
                    "Conflict: can't use getUpdates method while webhook is active; "
                    "use deleteWebhook to delete the webhook first",
                )
            allowed = params.get("allowed_updates")
            if isinstance(allowed, list):
                # Telegram remembers allowed_updates until the next call that sets it.
                self._allowed_updates = [str(kind) for kind in allowed]
            if offset < 0:
                # Negative offset: keep only the last -offset updates, forget the rest.
                self._updates = self._updates[offset:]
            elif offset > 0:
                self._updates = [u for u in self._updates if u["update_id"] >= offset]
            while True:
                ready = [u for u in self._updates if self._is_allowed(u)][:limit]
                if ready or self._stopping:
                    return copy.deepcopy(ready)
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return []
                self._cond.wait(remaining)

    def _is_allowed(self, update: JSONDict) -> bool:
        kind = next((key for key in update if key != "update_id"), "")
        if self._allowed_updates:
            return kind in self._allowed_updates
        return kind not in _OPT_IN_UPDATE_TYPES

    def _delete_webhook(self, params: JSONDict) -> bool:
        self._webhook = {}
        self._cond.notify_all()
        if params.get("drop_pending_updates"):
            self._updates.clear()
        return True

    def _set_webhook(self, params: JSONDict) -> bool:
        url = str(params.get("url") or "")
        if params.get("drop_pending_updates"):
            self._updates.clear()
        # Updates are delivered to the webhook only after deliver_webhooks_to(); otherwise
        # this only mirrors Telegram's state machine (getUpdates conflicts while it is set).
        self._webhook = {"url": url, "secret_token": params.get("secret_token")} if url else {}
        self._cond.notify_all()
        return True

    def _get_webhook_info(self, params: JSONDict) -> JSONDict:
        return {
            "url": self._webhook.get("url", ""),
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }

    @staticmethod
    def _commands_key(params: JSONDict) -> tuple[str, str]:
        scope = params.get("scope") or {"type": "default"}
        return json.dumps(scope, sort_keys=True), str(params.get("language_code") or "")

    def _set_my_commands(self, params: JSONDict) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list):
            raise ApiError(400, "Bad Request: commands is empty")
        for command in commands:
            if not _COMMAND_RE.match(str(command.get("command", ""))):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", ""))) <= 256:
                raise ApiError(400, "Bad Request: command description is invalid")
        self._commands[self._commands_key(params)] = copy.deepcopy(commands)
        return True

    def _get_my_commands(self, params: JSONDict) -> list[JSONDict]:
        return copy.deepcopy(self._commands.get(self._commands_key(params), []))

    def _delete_my_commands(self, params: JSONDict) -> bool:
        self._commands.pop(self._commands_key(params), None)
        return True

    def _send_message(self, params: JSONDict) -> JSONDict:
        chat = self._chat(_require(params, "chat_id"))
        text = params.get("text")
        if not isinstance(text, str) or not text.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        visible = _visible_text(text, params.get("parse_mode"))
        if _utf16_len(visible) > MAX_MESSAGE_LENGTH:
            raise ApiError(400, "Bad Request: message is too long")
        markup = params.get("reply_markup")
        _check_reply_markup(markup)
        message: JSONDict = {
            "message_id": next(self._message_ids),
            "from": dict(self.bot_user),
            "chat": copy.deepcopy(chat),
            "date": int(time.time()),
            "text": visible,
        }
        if params.get("entities"):
            message["entities"] = params["entities"]
        # Telegram echoes only inline keyboards back on the Message object.
        if isinstance(markup, dict) and "inline_keyboard" in markup:
            message["reply_markup"] = markup
        self._messages[(chat["id"], message["message_id"])] = message
        self._last_bot_message[chat["id"]] = message["message_id"]
        return message

    def _edit_message_text(self, params: JSONDict) -> JSONDict | bool:
        text = params.get("text")
        if not isinstance(text, str) or not text.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        markup = params.get("reply_markup")
        _check_reply_markup(markup)
        if params.get("inline_message_id"):
            return True  # Telegram returns True for inline messages
        chat = self._chat(_require(params, "chat_id"))
        message = self._messages.get((chat["id"], int(_require(params, "message_id"))))
        if message is None:
            raise ApiError(400, "Bad Request: message to edit not found")
        visible = _visible_text(text, params.get("parse_mode"))
        if message.get("text") == visible and message.get("reply_markup") == markup:
            # A classic PTB pitfall: editing to identical content is an error.
            raise ApiError(
                400,
                "Bad Request: message is not modified: specified new message content and "
                "reply markup are exactly the same as a current content and reply markup "
                "of the message",
            )
        message["text"] = visible
        message["edit_date"] = int(time.time())
        if isinstance(markup, dict) and "inline_keyboard" in markup:
            message["reply_markup"] = markup
        else:
            message.pop("reply_markup", None)
        return copy.deepcopy(message)

    def _answer_callback_query(self, params: JSONDict) -> bool:
        _require(params, "callback_query_id")
        if len(str(params.get("text") or "")) > 200:
            raise ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        return True

    def _answer_inline_query(self, params: JSONDict) -> bool:
        _require(params, "inline_query_id")
        results = params.get("results")
        if not isinstance(results, list):
            raise ApiError(400, "Bad Request: results is empty")
        if len(results) > 50:
            raise ApiError(400, "Bad Request: RESULTS_TOO_MUCH")
        ids = [str(result.get("id")) for result in results]
        if len(set(ids)) != len(ids):
            raise ApiError(400, "Bad Request: RESULT_ID_DUPLICATE")
        return True

    def _send_chat_action(self, params: JSONDict) -> bool:
        _require(params, "chat_id")
        _require(params, "action")
        return True

    def _return_true(self, params: JSONDict) -> bool:
        return True

    def _set_chat_menu_button(self, params: JSONDict) -> bool:
        button = params.get("menu_button") or {"type": "default"}
        self._menu_buttons[str(params.get("chat_id", ""))] = button
        return True

    def _get_chat_menu_button(self, params: JSONDict) -> JSONDict:
        return copy.deepcopy(
            self._menu_buttons.get(str(params.get("chat_id", "")), {"type": "default"})
        )

    def _send_document(self, params: JSONDict) -> JSONDict:
        """Store an uploaded document (readable with :meth:`file_content`) and echo it."""
        chat = self._chat(_require(params, "chat_id"))
        upload = params.get("document")
        if not isinstance(upload, UploadedFile):
            raise ApiError(400, "Bad Request: there is no document in the request")
        if not upload.data:
            raise ApiError(400, "Bad Request: file must be non-empty")
        _check_reply_markup(params.get("reply_markup"))
        number = next(self._file_ids)
        info: JSONDict = {
            "file_id": f"BQACAgIAAxkBAAI-sent-document-{number}",
            "file_unique_id": f"AgAD-sent-document-{number}",
            "file_size": len(upload.data),
            "file_name": upload.filename or "document",
            "mime_type": upload.content_type,
        }
        self._files[info["file_id"]] = (
            {**info, "file_path": f"documents/sent_{number}"},
            upload.data,
        )
        message: JSONDict = {
            "message_id": next(self._message_ids),
            "from": dict(self.bot_user),
            "chat": copy.deepcopy(chat),
            "date": int(time.time()),
            "document": info,
        }
        if params.get("caption"):
            message["caption"] = _visible_text(params["caption"], params.get("parse_mode"))
        self._messages[(chat["id"], message["message_id"])] = message
        self._last_bot_message[chat["id"]] = message["message_id"]
        return message

    def _get_file(self, params: JSONDict) -> JSONDict:
        file_id = str(_require(params, "file_id"))
        if file_id not in self._files:
            raise ApiError(400, "Bad Request: invalid file_id")
        return copy.deepcopy(self._files[file_id][0])
