"""Shared test configuration and the end-to-end waits every bot test uses.

The waits are plain functions over :class:`tests.fake_bot_api.FakeBotApi`, imported by
the end-to-end modules (``from tests.conftest import ...``), so that "wait for the
reply" and "wait until the bot has handled everything" are written once.
"""

from __future__ import annotations

import pytest

from bot.knowledge import KnowledgeBase, load_knowledge
from bot.matching import Matcher
from tests.fake_bot_api import ApiCall, FakeBotApi

#: A button press that names no entry: the bot answers it with a notice, never a message.
BARRIER_DATA = "e:barrier.none"
#: How long an end-to-end wait gives the bot. It bounds only a failing test: a passing
#: one goes on as soon as the call arrives. An admin's upload is checked whole before
#: its preview, which took 15 to 40 s on slow CI machines.
E2E_WAIT = 120.0
#: How long a bot started as its own process (``python -m bot run``) gets to poll: a cold
#: start trains the learned cues and runs every cue example, 30 to 40 s on a slow machine.
START_WAIT = 300.0


@pytest.fixture(scope="session")
def kb() -> KnowledgeBase:
    """The shipped knowledge (facts, alerts and language), loaded once."""
    return load_knowledge()


@pytest.fixture(scope="session")
def matcher(kb: KnowledgeBase) -> Matcher:
    """The matcher built for the shipped knowledge."""
    return Matcher.build(kb)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print the evaluation table when the evaluation test ran."""
    from tests.evaluation import REPORTS

    for name, report in sorted(REPORTS.items()):
        terminalreporter.section(f"evaluation score by category: {name}")
        terminalreporter.write_line(report.table())


async def wait_delivered(
    server: FakeBotApi, chat_id: int, *, since: int, count: int = 1, timeout: float = E2E_WAIT
) -> list[ApiCall]:
    """Wait for ``count`` messages delivered to ``chat_id`` since call index ``since``."""

    def delivered(call: ApiCall) -> bool:
        return (
            call.method in {"sendMessage", "sendDocument"}
            and call.status == 200
            and call.params.get("chat_id") == chat_id
        )

    delivered.__name__ = f"delivered_to_{chat_id}"
    return await server.wait_for_async(delivered, count=count, timeout=timeout, since=since)


async def press_button(
    server: FakeBotApi,
    data: str,
    *,
    chat_id: int,
    user_id: int,
    message_id: int | None = None,
    timeout: float = E2E_WAIT,
) -> tuple[str, ApiCall]:
    """Press an inline button and wait until the bot acknowledged the press.

    Returns:
        The callback query id and the bot's answerCallbackQuery call.
    """
    since = len(server.calls)
    update = server.push_callback_query(
        data, chat_id=chat_id, user_id=user_id, message_id=message_id
    )
    query_id = str(update["callback_query"]["id"])

    def answered(call: ApiCall) -> bool:
        return (
            call.method == "answerCallbackQuery"
            and call.status is not None
            and call.params.get("callback_query_id") == query_id
        )

    answered.__name__ = f"answered_{query_id}"
    [call] = await server.wait_for_async(answered, timeout=timeout, since=since)
    return query_id, call


async def barrier(server: FakeBotApi, chat_id: int, user_id: int | None = None) -> str:
    """Wait until every update pushed so far to ``chat_id`` has been fully handled.

    A chat's updates are handled in order, error handlers included, so once a button
    press pushed now is answered, everything pushed before it is done. The press is an
    outdated button: it is answered with a notice, never a message.

    Returns:
        The id of the barrier's callback query, to leave its answer out of assertions.
    """
    query_id, _ = await press_button(
        server, BARRIER_DATA, chat_id=chat_id, user_id=chat_id if user_id is None else user_id
    )
    return query_id
