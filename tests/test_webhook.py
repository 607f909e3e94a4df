"""Webhook mode over real HTTP on 127.0.0.1: only Telegram's well-formed updates get in.

The real application (:func:`bot.telegram_app.build_application`) runs against the fake
Bot API; requests are posted to :class:`bot.webhook.WebhookServer` with ``http.client``
in a worker thread, so the bot's event loop keeps serving while a request is in flight.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import http.client
import json
import socket
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from telegram import Update
from telegram.ext import Application

from bot.knowledge import DEFAULT_KNOWLEDGE_PATH
from bot.live import LiveKnowledge
from bot.settings import Settings
from bot.telegram_app import build_application
from bot.webhook import (
    HEALTH_PATH,
    MAX_UPDATE_BYTES,
    SECRET_HEADER,
    WebhookServer,
    serve_webhook,
)
from tests.conftest import E2E_WAIT as WAIT
from tests.conftest import wait_delivered
from tests.fake_bot_api import ApiCall, FakeBotApi

SECRET = "s3cret_Token-for-tests"
PATH = "telegram/hook"
GOOD_CHAT = 4242
#: Refused requests carry an update for this chat: a reply to it means it got in.
INTRUDER_CHAT = 6666
GRAPEFRUIT_TITLE = "<b>Cyclosporine: Interactions with food, herbs and medicines</b>"

_update_ids = iter(range(900_000, 10**9))


def make_update(chat_id: int, text: str = "grapefruit cyclosporine?") -> dict[str, Any]:
    """A private-chat text message update, as Telegram posts it."""
    update_id = next(_update_ids)
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private", "first_name": "Ann"},
            "from": {"id": chat_id, "is_bot": False, "first_name": "Ann"},
            "text": text,
        },
    }


def encode(update: dict[str, Any]) -> bytes:
    return json.dumps(update).encode()


@dataclass
class Response:
    """What the client got: a status, or ``None`` when the server closed the connection."""

    status: int | None
    body: bytes = b""
    error: str = ""


def _post_sync(
    port: int,
    body: bytes,
    headers: dict[str, str],
    path: str,
    method: str,
) -> Response:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=WAIT)
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        return Response(response.status, response.read())
    except (ConnectionError, http.client.HTTPException) as error:
        # Refusing an oversized body may mean closing the connection mid-request.
        return Response(None, error=f"{type(error).__name__}: {error}")
    finally:
        connection.close()


async def post(
    port: int,
    body: bytes,
    *,
    secret: str | None = SECRET,
    content_type: str | None = "application/json",
    path: str = f"/{PATH}",
    method: str = "POST",
    extra_headers: dict[str, str] | None = None,
) -> Response:
    """POST ``body`` to the webhook server from a worker thread."""
    headers: dict[str, str] = {}
    if secret is not None:
        headers[SECRET_HEADER] = secret
    if content_type is not None:
        headers["Content-Type"] = content_type
    headers.update(extra_headers or {})
    return await asyncio.to_thread(_post_sync, port, body, headers, path, method)


@dataclass
class Hook:
    """A running application behind a webhook server, and the fake Bot API it answers to."""

    server: FakeBotApi
    app: Application  # type: ignore[type-arg]  # PTB's generics
    port: int
    #: Every update the webhook server put on the application's update queue.
    queued: list[Update] = field(default_factory=list)

    def replies_to(self, chat_id: int) -> list[ApiCall]:
        return [c for c in self.server.calls_to("sendMessage") if c.params["chat_id"] == chat_id]

    async def reply(self, chat_id: int, mark: int = 0) -> ApiCall:
        """Wait for the one delivered reply to ``chat_id`` since ``mark``."""
        [call] = await wait_delivered(self.server, chat_id, since=mark, timeout=WAIT)
        return call

    async def assert_nothing_processed(self) -> None:
        """Nothing got in: a good update posted now is the only one queued and answered.

        Updates are handled in the order they are queued, chats concurrently, so once
        the good update is answered anything queued before it has been handled too.
        """
        update = make_update(GOOD_CHAT)
        response = await post(self.port, encode(update))
        assert response.status == 200, response
        reply = await self.reply(GOOD_CHAT)
        assert reply.params["text"].startswith(GRAPEFRUIT_TITLE)
        await asyncio.sleep(0.1)  # room for a wrongly queued update to be answered too
        assert [u.update_id for u in self.queued] == [update["update_id"]]
        assert [c.params["chat_id"] for c in self.server.calls_to("sendMessage")] == [GOOD_CHAT]
        assert self.replies_to(INTRUDER_CHAT) == []


@functools.cache
def knowledge() -> LiveKnowledge:
    """The knowledge, loaded once: these tests never reload it."""
    return LiveKnowledge(DEFAULT_KNOWLEDGE_PATH)


def settings_for(server: FakeBotApi, tmp_path: Path) -> Settings:
    return Settings(
        token=server.token,
        base_url=server.base_url,
        data_path=tmp_path / "data" / "questions.sqlite3",
        admin_ids=frozenset({777}),
    )


@contextlib.asynccontextmanager
async def running_hook(tmp_path: Path) -> AsyncIterator[Hook]:
    """The application started (no polling) with a webhook server on 127.0.0.1:0."""
    with FakeBotApi() as server:
        settings = settings_for(server, tmp_path)
        app = build_application(settings, knowledge())
        queued: list[Update] = []
        put = app.update_queue.put

        async def spy_put(item: object) -> None:
            if isinstance(item, Update):
                queued.append(item)
            await put(item)

        app.update_queue.put = spy_put  # type: ignore[method-assign]
        async with app:
            assert app.post_init is not None
            await app.post_init(app)
            await app.start()
            hook_server = WebhookServer(
                app, SECRET, PATH, host="127.0.0.1", port=0, health=knowledge().health
            )
            port = hook_server.start()
            assert port > 0
            try:
                yield Hook(server, app, port, queued)
            finally:
                await hook_server.stop()
                await app.stop()


@pytest.fixture
async def hook(tmp_path: Path) -> AsyncIterator[Hook]:
    async with running_hook(tmp_path) as running:
        yield running


# -------------------------------------------------------------------- the happy path


async def test_update_with_the_secret_is_answered(hook: Hook) -> None:
    update = make_update(GOOD_CHAT)

    response = await post(hook.port, encode(update))

    assert response.status == 200
    assert json.loads(response.body) == {"ok": True}
    reply = await hook.reply(GOOD_CHAT)
    assert reply.params["text"].startswith(GRAPEFRUIT_TITLE)
    assert "can raise the level of cyclosporine in your blood [5]" in reply.params["text"]
    assert [u.update_id for u in hook.queued] == [update["update_id"]]


async def test_content_type_with_charset_is_accepted(hook: Hook) -> None:
    response = await post(
        hook.port, encode(make_update(GOOD_CHAT)), content_type="application/json; charset=utf-8"
    )

    assert response.status == 200
    assert (await hook.reply(GOOD_CHAT)).params["text"].startswith(GRAPEFRUIT_TITLE)


async def test_body_of_exactly_the_limit_is_accepted(hook: Hook) -> None:
    body = encode(make_update(GOOD_CHAT))
    body += b" " * (MAX_UPDATE_BYTES - len(body))  # JSON allows trailing whitespace
    assert len(body) == MAX_UPDATE_BYTES

    response = await post(hook.port, body)

    assert response.status == 200, response
    assert (await hook.reply(GOOD_CHAT)).params["text"].startswith(GRAPEFRUIT_TITLE)


# ------------------------------------------------------------------------ refusals


@pytest.mark.parametrize(
    ("secret", "label"),
    [
        (None, "no secret header"),
        ("", "empty secret"),
        ("wrong", "wrong secret"),
        (SECRET[:-1] + "X", "wrong secret of the right length"),
        (SECRET + "X", "the secret with one character more"),
        (SECRET.upper(), "the secret in another case"),
    ],
)
async def test_request_without_the_right_secret_is_refused(
    hook: Hook, secret: str | None, label: str
) -> None:
    response = await post(hook.port, encode(make_update(INTRUDER_CHAT)), secret=secret)

    assert response.status == 403, label
    assert json.loads(response.body)["ok"] is False
    assert hook.queued == []
    await hook.assert_nothing_processed()


@pytest.mark.parametrize(
    "body",
    [
        b'{"update_id": 1, "message": {',
        b"",
        b"not json at all",
        b"\xff\xfe{}",
        b'{"update_id": NaN}',
    ],
    ids=["truncated", "empty", "text", "not-utf8", "nan"],
)
async def test_malformed_json_is_refused(hook: Hook, body: bytes) -> None:
    response = await post(hook.port, body)

    assert response.status == 400, response
    assert hook.queued == []
    await hook.assert_nothing_processed()


@pytest.mark.parametrize(
    "payload",
    [
        [make_update(INTRUDER_CHAT)],
        {"message": make_update(INTRUDER_CHAT)["message"]},
        {**make_update(INTRUDER_CHAT), "update_id": "12"},
        {**make_update(INTRUDER_CHAT), "update_id": None},
        {**make_update(INTRUDER_CHAT), "update_id": 1.5},
        "an update",
        42,
        None,
    ],
    ids=["list", "no-update-id", "id-string", "id-null", "id-float", "string", "number", "null"],
)
async def test_json_that_is_not_an_update_is_refused(hook: Hook, payload: Any) -> None:
    response = await post(hook.port, json.dumps(payload).encode())

    assert response.status == 400, response
    assert hook.queued == []
    await hook.assert_nothing_processed()


async def test_update_with_a_field_of_the_wrong_type_is_refused(hook: Hook) -> None:
    payload = {"update_id": next(_update_ids), "message": "not an object"}

    response = await post(hook.port, json.dumps(payload).encode())

    assert response.status == 400, response


@pytest.mark.parametrize(
    "content_type",
    [None, "text/plain", "application/x-www-form-urlencoded", "application/jsonp"],
)
async def test_wrong_content_type_is_refused(hook: Hook, content_type: str | None) -> None:
    response = await post(hook.port, encode(make_update(INTRUDER_CHAT)), content_type=content_type)

    assert response.status == 415, response
    assert hook.queued == []
    await hook.assert_nothing_processed()


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
async def test_body_over_the_limit_is_refused(hook: Hook, chunked: bool) -> None:
    body = encode(make_update(INTRUDER_CHAT))
    body += b" " * (MAX_UPDATE_BYTES + 1 - len(body))
    assert len(body) == MAX_UPDATE_BYTES + 1
    extra: dict[str, str] = {}
    if chunked:
        # Chunked transfer encoding has no Content-Length to check up front.
        chunk_size = 16 * 1024
        chunks = [body[i : i + chunk_size] for i in range(0, len(body), chunk_size)]
        body = b"".join(b"%x\r\n%s\r\n" % (len(c), c) for c in chunks) + b"0\r\n\r\n"
        extra["Transfer-Encoding"] = "chunked"

    response = await post(hook.port, body, extra_headers=extra)

    assert response.status is None or 400 <= response.status < 500, response
    assert response.status != 200
    assert hook.queued == []
    await hook.assert_nothing_processed()


async def test_wrong_path_and_method_are_refused(hook: Hook) -> None:
    body = encode(make_update(INTRUDER_CHAT))

    elsewhere = await post(hook.port, body, path="/another/path")
    read = await post(hook.port, b"", method="GET")

    assert elsewhere.status == 404
    assert read.status == 405
    assert hook.queued == []
    await hook.assert_nothing_processed()


async def test_health_check_needs_no_secret_and_tells_the_knowledge_version(hook: Hook) -> None:
    live = knowledge().current
    loaded_at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(live.loaded_at))

    response = await post(
        hook.port, b"", secret=None, content_type=None, path=HEALTH_PATH, method="GET"
    )

    assert response.status == 200, response
    assert json.loads(response.body) == {
        "ok": True,
        "knowledge_version": live.version,
        "knowledge_loaded_at": loaded_at,
    }
    assert len(live.version) == 12
    # Nothing is read as an update there, and nothing else answers GET.
    posted = await post(hook.port, encode(make_update(INTRUDER_CHAT)), path=HEALTH_PATH)
    assert posted.status == 405
    await hook.assert_nothing_processed()


async def test_refusals_do_not_stop_the_server(hook: Hook) -> None:
    for _ in range(20):
        assert (await post(hook.port, b"{", secret="nope")).status == 403
        assert (await post(hook.port, b"[]")).status == 400

    await hook.assert_nothing_processed()


# -------------------------------------------------------------------- serve_webhook


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def wait_listening(port: int, task: asyncio.Task[None]) -> None:
    deadline = time.monotonic() + WAIT
    while True:
        assert not task.done(), "serve_webhook returned before listening"
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            assert time.monotonic() < deadline, f"nothing listens on port {port}"
            await asyncio.sleep(0.02)
            continue
        writer.close()
        await writer.wait_closed()
        return


async def test_serve_webhook_registers_then_answers_what_it_got_before_stopping(
    tmp_path: Path,
) -> None:
    with FakeBotApi() as server:
        settings = settings_for(server, tmp_path)
        app = build_application(settings, knowledge())
        port = free_port()
        url = f"https://bot.example.org/{PATH}"
        stop = asyncio.Event()
        task = asyncio.create_task(
            serve_webhook(
                app,
                webhook_url=url,
                secret=SECRET,
                path=PATH,
                port=port,
                stop=stop,
                health=knowledge().health,
            )
        )
        try:
            [registered] = await server.wait_for_async("setWebhook", timeout=WAIT)
            assert registered.status == 200
            assert registered.params["url"] == url
            assert registered.params["secret_token"] == SECRET
            assert {"message", "callback_query", "inline_query"} <= set(
                registered.params["allowed_updates"]
            )
            await wait_listening(port, task)
            health = await post(port, b"", secret=None, path=HEALTH_PATH, method="GET")
            assert health.status == 200
            assert json.loads(health.body)["knowledge_version"] == knowledge().current.version

            # The reply takes a while: stop is set while it is still on its way.
            server.delay_next("sendMessage", 0.5)
            update = make_update(GOOD_CHAT)
            response = await post(port, encode(update))
            assert response.status == 200
            stop.set()
            replied_at_stop = [c for c in server.calls_to("sendMessage") if c.status == 200]
            await asyncio.wait_for(task, timeout=WAIT)
        finally:
            stop.set()
            if not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

        assert replied_at_stop == []  # the race was real
        # serve_webhook returned only after the update it had accepted was answered.
        [reply] = server.calls_to("sendMessage")
        assert reply.status == 200
        assert reply.params["chat_id"] == GOOD_CHAT
        assert reply.params["text"].startswith(GRAPEFRUIT_TITLE)
        assert not app.running
        # And it no longer listens.
        refused = await post(port, encode(make_update(INTRUDER_CHAT)))
        assert refused.status is None
        assert server.calls_to("sendMessage") == [reply]
