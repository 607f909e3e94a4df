"""Webhook mode: a small HTTP server that takes Telegram's updates, and only Telegram's.

python-telegram-bot's own webhook server accepts bodies of any size; this one
refuses a request without the secret token before reading it as an update, and
any body larger than a real update can be, so a stranger who finds the URL can
neither inject updates nor make the bot buffer megabytes.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import signal
from collections.abc import Callable, Mapping
from http import HTTPStatus
from typing import Any

from telegram import Update
from telegram.ext import Application
from tornado.httpserver import HTTPServer
from tornado.netutil import bind_sockets
from tornado.web import Application as TornadoApplication
from tornado.web import RequestHandler

from bot.delivery import admit_update

__all__ = ["HEALTH_PATH", "MAX_UPDATE_BYTES", "SECRET_HEADER", "WebhookServer", "serve_webhook"]

logger = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# A Telegram update is at most a few kilobytes of JSON; 256 KiB leaves room to spare.
MAX_UPDATE_BYTES = 256 * 1024
#: The health check of webhook mode: no secret needed, nothing private in the answer.
HEALTH_PATH = "/healthz"
Health = Callable[[], Mapping[str, str]]


class _HealthHandler(RequestHandler):
    """Answer a platform's health check: alive, and which knowledge is live since when."""

    def initialize(self, health: Health | None) -> None:
        self.health = health

    def get(self) -> None:
        """Return 200 with the knowledge version and the time it was loaded."""
        body: dict[str, object] = {"ok": True}
        if self.health is not None:
            body.update(self.health())
        self.set_header("Cache-Control", "no-store")
        self.finish(body)


class _UpdateHandler(RequestHandler):
    """Receive one update: check the secret, the size and the JSON, then queue it."""

    def initialize(self, bot_application: Application, secret: str) -> None:  # type: ignore[type-arg]  # PTB's Application generics are too wide to spell out
        self.bot_application = bot_application
        self.secret = secret

    def _refuse(self, status: HTTPStatus, reason: str) -> None:
        self.set_status(status)
        self.finish({"ok": False, "description": reason})

    async def post(self) -> None:
        """Queue the update if the request is Telegram's and well formed."""
        token = self.request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(token.encode(), self.secret.encode()):
            logger.warning("refused a webhook request without the right secret token")
            self._refuse(HTTPStatus.FORBIDDEN, "wrong or missing secret token")
            return
        if len(self.request.body) > MAX_UPDATE_BYTES:
            self._refuse(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "body too large")
            return
        content_type = self.request.headers.get("Content-Type", "").split(";")[0].strip()
        if content_type != "application/json":
            self._refuse(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, "expected application/json")
            return
        try:
            data: Any = json.loads(self.request.body)
            if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
                raise ValueError("not an update")
            update = Update.de_json(data, self.bot_application.bot)
        except Exception as error:  # any body PTB cannot read is a bad request, not a 500
            logger.warning("refused a malformed webhook body: %s", type(error).__name__)
            self._refuse(HTTPStatus.BAD_REQUEST, "malformed update")
            return
        # Written to the inbox before the 200; a retry of an update already in it is
        # confirmed again but not answered twice.
        if await admit_update(self.bot_application, update):
            await self.bot_application.update_queue.put(update)
        self.set_status(HTTPStatus.OK)
        self.finish({"ok": True})


class WebhookServer:
    """The HTTP server of webhook mode, listening on ``host:port`` at ``/path``."""

    def __init__(
        self,
        application: Application,  # type: ignore[type-arg]  # as above
        secret: str,
        path: str,
        host: str = "0.0.0.0",  # all interfaces: the platform routes the public URL here
        port: int = 8080,
        health: Health | None = None,
    ) -> None:
        route = f"/{path.strip('/')}"
        tornado_app = TornadoApplication(
            [
                (HEALTH_PATH, _HealthHandler, {"health": health}),
                (route, _UpdateHandler, {"bot_application": application, "secret": secret}),
            ]
        )
        # Tornado itself refuses bodies over the limit (and never buffers them).
        self._server = HTTPServer(
            tornado_app, max_body_size=MAX_UPDATE_BYTES, max_buffer_size=MAX_UPDATE_BYTES
        )
        self.host = host
        self.port = port

    def start(self) -> int:
        """Start listening; return the port (the one chosen when ``port`` is 0)."""
        sockets = bind_sockets(self.port, self.host)
        self._server.add_sockets(sockets)
        self.port = int(sockets[0].getsockname()[1])
        return self.port

    async def stop(self) -> None:
        """Stop accepting requests and close open connections."""
        self._server.stop()
        await self._server.close_all_connections()


async def serve_webhook(
    application: Application,  # type: ignore[type-arg]  # as above
    *,
    webhook_url: str,
    secret: str,
    path: str,
    port: int,
    stop: asyncio.Event | None = None,
    health: Health | None = None,
) -> None:
    """Register the webhook with Telegram and serve updates until stopped.

    Stops on SIGINT or SIGTERM (or when ``stop`` is set): no new request is
    accepted, then every update already received is answered before returning.
    ``GET /healthz`` answers 200 with what ``health`` returns.
    """
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError, ValueError):
            logger.debug("cannot handle %s here", sig)
    async with application:
        if application.post_init is not None:
            await application.post_init(application)
        await application.start()
        # Listen first, then tell Telegram where to send updates.
        server = WebhookServer(application, secret, path, port=port, health=health)
        server.start()
        logger.info("webhook server listening on port %d", server.port)
        await application.bot.set_webhook(
            webhook_url, secret_token=secret, allowed_updates=Update.ALL_TYPES
        )
        try:
            await stop.wait()
        finally:
            logger.info("stopping: answering the updates already received")
            await server.stop()
            await application.stop()
            if application.post_shutdown is not None:
                await application.post_shutdown(application)
