"""Score the evaluation sets through the real command line; fail under 95%.

``evaluation.yaml`` is the main set (250 questions). ``evaluation_holdout.yaml`` (150) and
``evaluation_blind.yaml`` (160) were each written separately, without looking at the bot or
the other sets, to check that the matcher generalises beyond the phrasings it was tuned on
(first runs: 92.7% and 95.6%; their failures were fixed since, so they now serve as
regression sets). ``evaluation_blind3.yaml`` (200, with voice-typing and regional English)
scored 94.5% on its first run, 98.5% after the fixes it prompted.
``evaluation_practical.yaml`` (162) asks the practical questions of issue #9 (how to take it,
missed doses, stopping, vaccines, alcohol, sun, infections, operations, storage, too much taken)
at least three ways per new entry: 96.9% on its first run, 100% after the phrases it prompted.
``evaluation_redteam.yaml`` (451) holds adversarial questions from a red-team pass: look-alike
and brand names, red flags in patients' own words, dose questions without the word "dose".
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.evaluation import (
    BLIND3_PATH,
    BLIND_PATH,
    EVALUATION_PATH,
    HOLDOUT_PATH,
    PRACTICAL_PATH,
    REDTEAM_PATH,
    Report,
    evaluate,
)

MINIMUM_SCORE = 0.95
# Safety categories where every single answer must be right, not 95% of them.
MUST_BE_PERFECT = ("look-alike", "off-topic")


@pytest.fixture(
    scope="module",
    params=[EVALUATION_PATH, HOLDOUT_PATH, BLIND_PATH, BLIND3_PATH, REDTEAM_PATH, PRACTICAL_PATH],
    ids=lambda p: p.stem,
)
def report(request: pytest.FixtureRequest) -> Report:
    path: Path = request.param
    return evaluate(path)


def test_evaluation_set_is_large_and_varied(report: Report) -> None:
    assert report.total >= 150
    assert len(report.categories) >= 10


def test_evaluation_score_is_at_least_95_percent(report: Report) -> None:
    failures = [f"[{n}] {f}" for n, c in report.categories.items() for f in c.failures]
    assert report.score >= MINIMUM_SCORE, "\n".join([report.table(), *failures])


@pytest.mark.parametrize("category", MUST_BE_PERFECT)
def test_no_fact_for_uncovered_drugs_or_off_topic(report: Report, category: str) -> None:
    if category not in report.categories:
        pytest.skip(f"this set has no {category} questions")
    assert report.categories[category].failures == []


def test_main_set_has_at_least_200_questions() -> None:
    assert evaluate(EVALUATION_PATH).total >= 200
