"""Score the evaluation set through the real command line; fail under 95%."""

from __future__ import annotations

import pytest

from tests.evaluation import evaluate

MINIMUM_SCORE = 0.95
# Safety categories where every single answer must be right, not 95% of them.
MUST_BE_PERFECT = ("look-alike", "off-topic")


@pytest.fixture(scope="module")
def report():  # type: ignore[no-untyped-def]
    return evaluate()


def test_evaluation_set_is_large_and_varied(report) -> None:  # type: ignore[no-untyped-def]
    assert report.total >= 200
    assert len(report.categories) >= 10


def test_evaluation_score_is_at_least_95_percent(report, record_property) -> None:  # type: ignore[no-untyped-def]
    record_property("evaluation", report.table())
    print("\n" + report.table())
    failures = [f"[{n}] {f}" for n, c in report.categories.items() for f in c.failures]
    assert report.score >= MINIMUM_SCORE, "\n".join([report.table(), *failures])


@pytest.mark.parametrize("category", MUST_BE_PERFECT)
def test_no_fact_for_uncovered_drugs_or_off_topic(report, category: str) -> None:  # type: ignore[no-untyped-def]
    failures = report.categories[category].failures
    assert failures == []
