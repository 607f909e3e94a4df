"""Settings.from_env: every variable, every problem named, no secret ever echoed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.knowledge import DEFAULT_KNOWLEDGE_PATH
from bot.settings import DEFAULT_PORT, Settings, SettingsError

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "123456789:AAHsecretPartOfTheToken_-xyz"
SECRET = "s3cret-Webhook_token"


@pytest.fixture
def knowledge(tmp_path: Path) -> Path:
    path = tmp_path / "knowledge.yaml"
    path.write_text("{}\n", encoding="utf-8")  # only its existence is checked here
    return path


def _error(env: dict[str, str]) -> SettingsError:
    with pytest.raises(SettingsError) as excinfo:
        Settings.from_env(env)
    return excinfo.value


def test_full_valid_environment(knowledge: Path) -> None:
    settings = Settings.from_env(
        {
            "TELEGRAM_BOT_TOKEN": f"  {TOKEN}\n",
            "ADMIN_IDS": " 12, -34 ,56,",
            "KNOWLEDGE_PATH": str(knowledge),
            "TELEGRAM_BASE_URL": "http://127.0.0.1:8081/",
            "WEBHOOK_URL": "https://bot.example.org/telegram/hook",
            "WEBHOOK_SECRET": SECRET,
            "PORT": "8443",
            "UNRELATED": "ignored",
        }
    )

    assert settings == Settings(
        token=TOKEN,
        admin_ids=frozenset({12, -34, 56}),
        knowledge_path=knowledge,
        base_url="http://127.0.0.1:8081/bot",
        webhook_url="https://bot.example.org/telegram/hook",
        port=8443,
        webhook_secret=SECRET,
    )
    assert settings.webhook_path == "telegram/hook"


def test_only_the_token_gives_the_defaults() -> None:
    settings = Settings.from_env({"TELEGRAM_BOT_TOKEN": TOKEN})

    assert settings.token == TOKEN
    assert settings.admin_ids == frozenset()
    assert settings.knowledge_path == DEFAULT_KNOWLEDGE_PATH
    assert settings.base_url is None
    assert settings.webhook_url is None
    assert settings.webhook_secret is None
    assert settings.port == DEFAULT_PORT
    assert settings.webhook_path == ""
    assert settings.inbox_path == Path("data") / "questions-inbox.sqlite3"


def test_the_inbox_sits_next_to_the_data_path() -> None:
    settings = Settings.from_env({"TELEGRAM_BOT_TOKEN": TOKEN, "DATA_PATH": "/srv/itp/log.db"})

    assert settings.inbox_path == Path("/srv/itp/log-inbox.db")


@pytest.mark.parametrize("token", [None, "", "   "])
def test_missing_token_is_named(token: str | None) -> None:
    env = {} if token is None else {"TELEGRAM_BOT_TOKEN": token}

    error = _error(env)

    assert len(error.problems) == 1
    assert error.problems[0].startswith("TELEGRAM_BOT_TOKEN is not set")
    assert "TELEGRAM_BOT_TOKEN" in str(error)


@pytest.mark.parametrize(
    "token",
    [
        "AAHsecretPartOfTheToken",
        "123456789AAHsecretPartOfTheToken",
        "abc:AAHsecretPartOfTheToken",
        "123456789:AAH secretPartOfTheToken",
        "123456789:AAHsecret/PartOfTheToken",
        "123456789:",
    ],
)
def test_malformed_token_is_named_but_never_echoed(token: str) -> None:
    error = _error({"TELEGRAM_BOT_TOKEN": token})

    assert error.problems == ("TELEGRAM_BOT_TOKEN is malformed (expected digits:letters)",)
    assert "secretPart" not in str(error)
    assert "secretPart" not in repr(error)
    assert token not in str(error)


def test_bad_admin_id_is_named_with_its_value() -> None:
    error = _error({"TELEGRAM_BOT_TOKEN": TOKEN, "ADMIN_IDS": "1, 2,x"})

    [problem] = error.problems
    assert problem.startswith("ADMIN_IDS has 'x'")
    assert "not a numeric Telegram user id" in problem


def test_every_bad_admin_id_is_named() -> None:
    error = _error({"TELEGRAM_BOT_TOKEN": TOKEN, "ADMIN_IDS": "@ann, 1.5, 42"})

    assert [p.split(",")[0] for p in error.problems] == [
        "ADMIN_IDS has '@ann'",
        "ADMIN_IDS has '1.5'",
    ]


@pytest.mark.parametrize("raw", ["", "   ", ",", " , ,"])
def test_empty_admin_ids_means_no_admin(raw: str) -> None:
    settings = Settings.from_env({"TELEGRAM_BOT_TOKEN": TOKEN, "ADMIN_IDS": raw})

    assert settings.admin_ids == frozenset()


def test_nonexistent_knowledge_path_is_named(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "knowledge.yaml"

    error = _error({"TELEGRAM_BOT_TOKEN": TOKEN, "KNOWLEDGE_PATH": str(missing)})

    assert error.problems == (f"KNOWLEDGE_PATH points to {missing}, which does not exist",)


def test_knowledge_path_may_be_a_folder(tmp_path: Path) -> None:
    settings = Settings.from_env({"TELEGRAM_BOT_TOKEN": TOKEN, "KNOWLEDGE_PATH": str(tmp_path)})

    assert settings.knowledge_path == tmp_path


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("http://127.0.0.1:8081", "http://127.0.0.1:8081/bot"),
        ("http://127.0.0.1:8081/", "http://127.0.0.1:8081/bot"),
        ("http://127.0.0.1:8081/bot", "http://127.0.0.1:8081/bot"),
        ("https://api.example.org/bot/", "https://api.example.org/bot"),
    ],
)
def test_base_url_ends_with_bot(raw: str, expected: str) -> None:
    settings = Settings.from_env({"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_BASE_URL": raw})

    assert settings.base_url == expected
    assert settings.base_url.endswith("/bot")


def test_base_url_needs_a_scheme() -> None:
    error = _error({"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_BASE_URL": "127.0.0.1:8081"})

    assert error.problems == ("TELEGRAM_BASE_URL must start with http:// or https://",)


def test_webhook_without_secret_is_refused() -> None:
    error = _error({"TELEGRAM_BOT_TOKEN": TOKEN, "WEBHOOK_URL": "https://bot.example.org/hook"})

    [problem] = error.problems
    assert problem.startswith("WEBHOOK_SECRET is not set")


def test_plain_http_webhook_is_refused() -> None:
    error = _error(
        {
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "WEBHOOK_URL": "http://bot.example.org/hook",
            "WEBHOOK_SECRET": SECRET,
        }
    )

    assert error.problems == ("WEBHOOK_URL must start with https:// (Telegram requires it)",)


@pytest.mark.parametrize("secret", ["has space", "semi;colon", "x" * 257, "ünïcode"])
def test_malformed_webhook_secret_is_named_but_never_echoed(secret: str) -> None:
    error = _error(
        {
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "WEBHOOK_URL": "https://bot.example.org/hook",
            "WEBHOOK_SECRET": secret,
        }
    )

    assert error.problems == ("WEBHOOK_SECRET must be 1-256 characters of A-Z, a-z, 0-9, _ and -",)
    assert secret not in str(error)


@pytest.mark.parametrize("port", ["abc", "0", "65536", "-1", "80.5", "8 080"])
def test_bad_port_is_named(port: str) -> None:
    error = _error({"TELEGRAM_BOT_TOKEN": TOKEN, "PORT": port})

    assert error.problems == (f"PORT must be a number from 1 to 65535, not {port!r}",)


@pytest.mark.parametrize("port", ["1", "443", "65535", " 8443 "])
def test_good_port(port: str) -> None:
    assert Settings.from_env({"TELEGRAM_BOT_TOKEN": TOKEN, "PORT": port}).port == int(port)


def test_unicode_digit_port_is_a_settings_error() -> None:
    error = _error({"TELEGRAM_BOT_TOKEN": TOKEN, "PORT": "²"})

    assert error.problems == ("PORT must be a number from 1 to 65535, not '²'",)


def test_several_problems_are_reported_together(tmp_path: Path) -> None:
    error = _error(
        {
            "TELEGRAM_BOT_TOKEN": "not-a-token",
            "ADMIN_IDS": "1,bob",
            "KNOWLEDGE_PATH": str(tmp_path / "missing.yaml"),
            "TELEGRAM_BASE_URL": "ftp://x",
            "WEBHOOK_URL": "http://bot.example.org/hook",
            "PORT": "abc",
        }
    )

    named = [p.split(" ", 1)[0] for p in error.problems]
    assert named == [
        "TELEGRAM_BOT_TOKEN",
        "ADMIN_IDS",
        "KNOWLEDGE_PATH",
        "TELEGRAM_BASE_URL",
        "PORT",
        "WEBHOOK_URL",
        "WEBHOOK_SECRET",
    ]
    assert str(error) == "; ".join(error.problems)
    assert "not-a-token" not in str(error)


def test_repr_hides_the_token_and_the_secret() -> None:
    settings = Settings.from_env(
        {
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "WEBHOOK_URL": "https://bot.example.org/hook",
            "WEBHOOK_SECRET": SECRET,
            "ADMIN_IDS": "7",
        }
    )

    for text in (repr(settings), str(settings), f"{settings!r}"):
        assert TOKEN not in text
        assert "secretPart" not in text
        assert SECRET not in text
        assert "https://bot.example.org/hook" in text  # the rest is still shown
        assert "frozenset({7})" in text


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("https://bot.example.org/hook", "hook"),
        ("https://bot.example.org/telegram/hook/", "telegram/hook"),
        ("https://bot.example.org:8443/a/b?x=1", "a/b"),
        ("https://bot.example.org", ""),
    ],
)
def test_webhook_path_comes_from_the_webhook_url(url: str, path: str) -> None:
    settings = Settings.from_env(
        {"TELEGRAM_BOT_TOKEN": TOKEN, "WEBHOOK_URL": url, "WEBHOOK_SECRET": SECRET}
    )

    assert settings.webhook_path == path


def test_settings_are_frozen() -> None:
    settings = Settings.from_env({"TELEGRAM_BOT_TOKEN": TOKEN})

    with pytest.raises(AttributeError):
        settings.token = "2:other"  # type: ignore[misc]


# ----------------------------------------------------------------- python -m bot run


def _run_bot(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", "run"],
        cwd=ROOT,
        env={"PATH": os.environ["PATH"], **env},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def test_run_with_an_empty_environment_fails_naming_the_token() -> None:
    result = _run_bot({})

    assert result.returncode != 0
    assert result.returncode == 2
    assert "TELEGRAM_BOT_TOKEN" in result.stderr
    assert "configuration error" in result.stderr
    assert "Traceback" not in result.stderr


def test_run_with_a_malformed_token_never_prints_it() -> None:
    result = _run_bot({"TELEGRAM_BOT_TOKEN": "AAHsecretPartOfTheToken", "PORT": "abc"})

    assert result.returncode == 2
    assert "TELEGRAM_BOT_TOKEN is malformed" in result.stderr
    assert "PORT must be a number" in result.stderr
    assert "secretPart" not in result.stderr + result.stdout
