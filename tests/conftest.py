"""Shared test configuration: print the evaluation score by category at the end of a run."""

from __future__ import annotations

import pytest


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print the evaluation table when the evaluation test ran."""
    from tests.evaluation import REPORTS

    for name, report in sorted(REPORTS.items()):
        terminalreporter.section(f"evaluation score by category: {name}")
        terminalreporter.write_line(report.table())
