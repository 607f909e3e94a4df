"""Warnings of ``python -m bot check``: exact texts, one table row per kind of slip."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from bot.cli import main
from bot.knowledge import load_knowledge
from bot.review import review_knowledge
from tests.test_knowledge import REAL_FILE, VALID, edit, line_of, write_file


def warnings_of(tmp_path: Path, text: str) -> tuple[str, ...]:
    return review_knowledge(load_knowledge(write_file(tmp_path, text)))


def test_the_valid_sample_and_the_real_file_have_no_warning(tmp_path: Path) -> None:
    assert warnings_of(tmp_path, VALID) == ()
    assert review_knowledge(load_knowledge(REAL_FILE)) == ()


def test_reference_never_cited(tmp_path: Path) -> None:
    text = edit(
        VALID,
        '    citation: "Source two"\n',
        '    citation: "Source two"\n  - id: 3\n    citation: "Unused"\n',
    )
    path = tmp_path / "knowledge.yaml"
    assert warnings_of(tmp_path, text) == (
        f"{path}:{line_of(text, '  - id: 3')}: warning: reference 3 is never cited",
    )


def test_fact_sentence_without_marker(tmp_path: Path) -> None:
    text = edit(
        VALID,
        '        answer: "Alpha can make you tired [2]."',
        '        answer: "Alpha can make you tired [2]. It also causes hiccups. Ask your doctor."',
    )
    path = tmp_path / "knowledge.yaml"
    assert warnings_of(tmp_path, text) == (
        f"{path}:{line_of(text, '      - id: side-effects')}: warning: alpha.side-effects: "
        "sentence without a citation marker: 'It also causes hiccups.'",
    )


def test_topic_without_phrases(tmp_path: Path) -> None:
    text = edit(VALID, "    phrases: [grapefruit]\n", "")
    path = tmp_path / "knowledge.yaml"
    assert warnings_of(tmp_path, text) == (
        f"{path}:{line_of(text, '  - id: interactions')}: warning: topic 'interactions' has no "
        "phrases, so no question can reach it",
    )


def test_drug_names_a_typo_apart(tmp_path: Path) -> None:
    text = VALID + (
        "  - id: beta\n"
        "    name: Beta\n"
        "    names: [alphabrant]\n"
        "    overview:\n"
        '      answer: "Beta is a medicine [2]."\n'
        "      references: [2]\n"
        "      checked: 2026-11\n"
        "    entries: []\n"
    )
    path = tmp_path / "knowledge.yaml"
    # A drug's warnings point at its overview, the first thing a patient sees of it.
    overview_line = line_of(text, '      answer: "Beta is a medicine [2]."')
    assert warnings_of(tmp_path, text) == (
        f"{path}:{overview_line}: warning: name "
        "'alphabrant' of 'beta' is a typo away from 'alphabrand' of 'alpha': a misspelt "
        "question could reach either",
    )


def test_phrase_claimed_by_two_topics_of_one_drug(tmp_path: Path) -> None:
    text = edit(
        VALID,
        "    entries:\n      - id: side-effects\n",
        "    entries:\n"
        "      - id: interactions\n"
        "        phrases: [tired]\n"
        '        answer: "Alpha has no known interactions [2]."\n'
        "        references: [2]\n"
        "        checked: 2026-11\n"
        "      - id: side-effects\n",
    )
    path = tmp_path / "knowledge.yaml"
    assert warnings_of(tmp_path, text) == (
        f"{path}:{line_of(text, '    overview:') + 1}: warning: drug 'alpha': phrase 'tired' is "
        "claimed by topics 'interactions', 'side-effects'",
    )


@pytest.mark.parametrize(("strict", "status"), [(False, 0), (True, 1)])
def test_check_prints_warnings_and_strict_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], strict: bool, status: int
) -> None:
    text = edit(VALID, "    phrases: [grapefruit]\n", "")
    path = write_file(tmp_path, text)
    assert main(["check", str(path), *(["--strict"] if strict else [])]) == status
    out = capsys.readouterr().out.splitlines()
    assert out[0].endswith(
        "warning: topic 'interactions' has no phrases, so no question can reach it"
    )
    if strict:
        assert out[-1] == "1 warning found (--strict makes them errors)"
    else:
        assert out[-1] == (f"{path}: OK: 1 drugs, 3 entries, 2 references, 2 topics (1 warning)")


def test_shipped_file_passes_check_strict(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--strict", str(REAL_FILE)]) == 0
    assert capsys.readouterr().out.startswith(f"{REAL_FILE}: OK: 5 drugs")


@pytest.mark.parametrize(
    ("checked", "today", "expected"),
    [
        (
            None,
            date(2026, 11, 28),
            "no 'checked' date: compare it with its sources, then add checked: YYYY-MM",
        ),
        (
            "2025-11",
            date(2026, 11, 1),
            "last checked 2025-11, 12 months ago or more: compare it with its sources again",
        ),
        ("2025-12", date(2026, 11, 30), None),
        ("2026-11", date(2026, 11, 28), None),
    ],
    ids=["missing", "twelve-months-old", "eleven-months-old", "this-month"],
)
def test_checked_date_missing_or_old(
    tmp_path: Path, checked: str | None, today: date, expected: str | None
) -> None:
    replacement = f"        checked: {checked}\n" if checked else ""
    text = edit(
        VALID,
        "        references: [2]\n        checked: 2026-11\n",
        f"        references: [2]\n{replacement}",
    )
    path = write_file(tmp_path, text)
    warnings = review_knowledge(load_knowledge(path), today=today)
    if expected is None:
        assert warnings == ()
    else:
        assert warnings == (
            f"{path}:{line_of(text, '      - id: side-effects')}: warning: alpha.side-effects: "
            + expected,
        )
