"""One settings object, built from the environment and checked at start-up."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

from bot.inbox import inbox_path_for
from bot.knowledge import DEFAULT_KNOWLEDGE_PATH
from bot.records import DEFAULT_DATA_PATH

__all__ = ["Settings", "SettingsError"]

_TOKEN_RE = re.compile(r"^\d+:[A-Za-z0-9_-]+$")
# Telegram accepts 1-256 characters A-Z, a-z, 0-9, _ and - as a webhook secret token.
_SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
DEFAULT_PORT = 8080


class SettingsError(Exception):
    """The environment is missing a variable or has a malformed one; names every one."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(problems))


@dataclass(frozen=True)
class Settings:
    """How the bot runs. Built by :meth:`from_env`; the token never appears in its repr."""

    token: str = field(repr=False)
    admin_ids: frozenset[int] = frozenset()
    knowledge_path: Path = DEFAULT_KNOWLEDGE_PATH
    base_url: str | None = None
    """Bot API base URL ending in ``/bot`` (a local Bot API server, or the fake one in tests)."""
    webhook_url: str | None = None
    port: int = DEFAULT_PORT
    webhook_secret: str | None = field(default=None, repr=False)
    data_path: Path = DEFAULT_DATA_PATH
    """The SQLite file of the question log."""
    retention_days: int = 90

    @property
    def webhook_path(self) -> str:
        """The local path the webhook server listens on: the path of ``webhook_url``."""
        return urlparse(self.webhook_url or "").path.strip("/")

    @property
    def inbox_path(self) -> Path:
        """The SQLite file of the inbox of updates not answered yet, next to ``data_path``."""
        return inbox_path_for(self.data_path)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        """Read the settings from environment variables.

        Args:
            env: the environment (``os.environ``).

        Returns:
            The settings.

        Raises:
            SettingsError: naming every missing or malformed variable.
        """
        problems: list[str] = []

        token = env.get("TELEGRAM_BOT_TOKEN", "").strip()
        if not token:
            problems.append("TELEGRAM_BOT_TOKEN is not set (the token @BotFather gave you)")
        elif not _TOKEN_RE.match(token):
            # Never echo the token itself: it is a secret even when malformed.
            problems.append("TELEGRAM_BOT_TOKEN is malformed (expected digits:letters)")

        admin_ids: set[int] = set()
        for raw in env.get("ADMIN_IDS", "").split(","):
            value = raw.strip()
            if not value:
                continue
            if re.fullmatch(r"-?\d+", value):
                admin_ids.add(int(value))
            else:
                problems.append(
                    f"ADMIN_IDS has {value!r}, which is not a numeric Telegram user id "
                    "(use comma-separated numbers)"
                )

        knowledge_path = Path(env.get("KNOWLEDGE_PATH", "").strip() or DEFAULT_KNOWLEDGE_PATH)
        if not knowledge_path.exists():
            problems.append(f"KNOWLEDGE_PATH points to {knowledge_path}, which does not exist")

        base_url = env.get("TELEGRAM_BASE_URL", "").strip() or None
        if base_url is not None:
            if not base_url.startswith(("http://", "https://")):
                problems.append("TELEGRAM_BASE_URL must start with http:// or https://")
            base_url = base_url.rstrip("/")
            if not base_url.endswith("/bot"):
                base_url += "/bot"

        webhook_url = env.get("WEBHOOK_URL", "").strip() or None
        webhook_secret = env.get("WEBHOOK_SECRET", "").strip() or None
        port = DEFAULT_PORT
        raw_port = env.get("PORT", "").strip()
        if raw_port:
            if re.fullmatch(r"[0-9]{1,5}", raw_port) and 0 < int(raw_port) < 65536:
                port = int(raw_port)
            else:
                problems.append(f"PORT must be a number from 1 to 65535, not {raw_port!r}")
        if webhook_url is not None:
            if not webhook_url.startswith("https://"):
                problems.append("WEBHOOK_URL must start with https:// (Telegram requires it)")
            if webhook_secret is None:
                problems.append(
                    "WEBHOOK_SECRET is not set: webhook mode needs it so that only Telegram "
                    "can post updates"
                )
        if webhook_secret is not None and not _SECRET_RE.match(webhook_secret):
            problems.append("WEBHOOK_SECRET must be 1-256 characters of A-Z, a-z, 0-9, _ and -")

        data_path = Path(env.get("DATA_PATH", "").strip() or DEFAULT_DATA_PATH)
        if data_path.exists() and data_path.is_dir():
            problems.append(f"DATA_PATH points to the folder {data_path}; give a file path")
        retention_days = 90
        raw_retention = env.get("RETENTION_DAYS", "").strip()
        if raw_retention:
            if re.fullmatch(r"[0-9]{1,6}", raw_retention) and int(raw_retention) > 0:
                retention_days = int(raw_retention)
            else:
                problems.append(
                    f"RETENTION_DAYS must be a whole number of days above 0, not {raw_retention!r}"
                )

        if problems:
            raise SettingsError(problems)
        return cls(
            token=token,
            admin_ids=frozenset(admin_ids),
            knowledge_path=knowledge_path,
            base_url=base_url,
            webhook_url=webhook_url,
            port=port,
            webhook_secret=webhook_secret,
            data_path=data_path,
            retention_days=retention_days,
        )
