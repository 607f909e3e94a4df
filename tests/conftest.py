"""Shared test configuration: print the evaluation score by category at the end of a run."""

from __future__ import annotations

import pytest


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print the evaluation table when the evaluation test ran."""
    from tests.evaluation import LAST_REPORT

    if LAST_REPORT:
        terminalreporter.section("evaluation score by category")
        terminalreporter.write_line(LAST_REPORT[0].table())
