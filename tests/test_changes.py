"""Tests of bot.changes: what diff_knowledge reports between two knowledge files."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.changes import KnowledgeChanges, diff_knowledge
from bot.knowledge import KnowledgeBase, load_knowledge
from tests.test_knowledge import REAL_FILE, VALID, edit, write_file

FIELDS = ("added", "removed", "text_changed", "phrases_changed", "references_changed")

INTERACTIONS_ENTRY = (
    "      - id: interactions\n"
    '        answer: "Avoid grapefruit with alpha [1]."\n'
    "        references: [1]\n"
)
REFERENCE_3 = '  - id: 3\n    citation: "Source three"\n'


def load_text(folder: Path, text: str, name: str) -> KnowledgeBase:
    """Write ``text`` as ``folder/name`` and load it."""
    return load_knowledge(write_file(folder, text, name))


def diff_texts(folder: Path, old: str, new: str) -> KnowledgeChanges:
    """Load two knowledge texts and diff them."""
    return diff_knowledge(load_text(folder, old, "old.yaml"), load_text(folder, new, "new.yaml"))


def only(changes: KnowledgeChanges, field: str) -> tuple[str, ...]:
    """Return ``changes.<field>`` after checking that every other field is empty."""
    for other in FIELDS:
        if other != field:
            assert getattr(changes, other) == (), f"unexpected {other}: {getattr(changes, other)}"
    return tuple(getattr(changes, field))


def test_identical_files_have_no_changes(tmp_path: Path) -> None:
    changes = diff_texts(tmp_path, VALID, VALID)

    assert changes == KnowledgeChanges((), (), (), (), ())
    assert changes.is_empty
    assert changes.lines() == []


def test_real_file_against_itself_has_no_changes() -> None:
    assert diff_knowledge(load_knowledge(REAL_FILE), load_knowledge(REAL_FILE)).is_empty


#: (old text, new text, field of KnowledgeChanges, expected keys)
CHANGE_CASES = [
    pytest.param(
        VALID,
        edit(VALID, "Alpha can make you tired [2].", "Alpha can make you very tired [2]."),
        "text_changed",
        ("alpha.side-effects",),
        id="answer-text",
    ),
    pytest.param(
        VALID,
        edit(VALID, '  answer: "Ask your doctor [1]."', '  answer: "Ask your pharmacist [1]."'),
        "text_changed",
        ("general.caution",),
        id="caution-text",
    ),
    pytest.param(
        VALID,
        edit(
            VALID,
            "      - id: side-effects\n",
            "      - id: side-effects\n        title: Side effects of alpha\n",
        ),
        "text_changed",
        ("alpha.side-effects",),
        id="entry-title",
    ),
    pytest.param(
        VALID,
        edit(
            VALID,
            '        answer: "Alpha can make you tired [2]."\n        references: [2]\n',
            '        answer: "Alpha can make you tired [1]."\n        references: [1]\n',
        ),
        "text_changed",
        ("alpha.side-effects",),
        id="entry-cites-another-reference",
    ),
    pytest.param(
        VALID,
        edit(
            VALID,
            "      - id: side-effects\n",
            "      - id: side-effects\n        phrases: [sleepy]\n",
        ),
        "phrases_changed",
        ("alpha.side-effects",),
        id="entry-phrases",
    ),
    pytest.param(
        VALID,
        edit(
            VALID,
            "    phrases: [side effects, tired]",
            "    phrases: [side effects, tired, sleepy]",
        ),
        "phrases_changed",
        ("topic.side-effects",),
        id="topic-phrases",
    ),
    pytest.param(
        VALID,
        edit(VALID, "  phrases: [fever]", "  phrases: [fever, chills]"),
        "phrases_changed",
        ("general.urgent",),
        id="urgent-phrases",
    ),
    pytest.param(
        VALID,
        edit(VALID, "    names: [alpha, Alphabrand]", "    names: [alpha, Alphabrand, Alphex]"),
        "phrases_changed",
        ("alpha.names",),
        id="drug-names",
    ),
    pytest.param(
        VALID,
        VALID + INTERACTIONS_ENTRY,
        "added",
        ("alpha.interactions",),
        id="added-entry",
    ),
    pytest.param(
        VALID + INTERACTIONS_ENTRY,
        VALID,
        "removed",
        ("alpha.interactions",),
        id="removed-entry",
    ),
    pytest.param(
        VALID,
        edit(VALID, "topics:\n", REFERENCE_3 + "topics:\n"),
        "added",
        ("reference 3",),
        id="added-reference",
    ),
    pytest.param(
        edit(VALID, "topics:\n", REFERENCE_3 + "topics:\n"),
        VALID,
        "removed",
        ("reference 3",),
        id="removed-reference",
    ),
    pytest.param(
        VALID,
        edit(VALID, '    citation: "Source one"', '    citation: "Source one, 2nd edition"'),
        "references_changed",
        ("1",),
        id="changed-citation",
    ),
    pytest.param(
        VALID,
        edit(VALID, "https://example.org/one", "https://example.org/one-moved"),
        "references_changed",
        ("1",),
        id="changed-reference-link",
    ),
]


@pytest.mark.parametrize(("old", "new", "field", "keys"), CHANGE_CASES)
def test_each_change_is_detected_with_its_key(
    tmp_path: Path, old: str, new: str, field: str, keys: tuple[str, ...]
) -> None:
    changes = diff_texts(tmp_path, old, new)

    assert only(changes, field) == keys
    assert not changes.is_empty


def test_added_drug_adds_its_overview_and_names(tmp_path: Path) -> None:
    beta = (
        "  - id: beta\n"
        "    name: Beta\n"
        "    names: [beta]\n"
        "    overview:\n"
        '      answer: "Beta is a medicine [2]."\n'
        "      references: [2]\n"
        "    entries: []\n"
    )

    changes = diff_texts(tmp_path, VALID, VALID + beta)

    assert sorted(only(changes, "added")) == ["beta.names", "beta.overview"]


def test_renamed_drug_changes_its_names_and_overview_title(tmp_path: Path) -> None:
    changes = diff_texts(tmp_path, VALID, edit(VALID, "    name: Alpha\n", "    name: Alphine\n"))

    assert changes.text_changed == ("alpha.overview", "alpha.names")
    assert changes.phrases_changed == ("alpha.names",)


def test_lines_and_summary(tmp_path: Path) -> None:
    new = edit(VALID, "Alpha can make you tired [2].", "Alpha can make you very tired [2].")
    new = edit(new, "  phrases: [fever]", "  phrases: [fever, chills]")
    new = edit(new, "topics:\n", REFERENCE_3 + "topics:\n") + INTERACTIONS_ENTRY

    changes = diff_texts(tmp_path, VALID, new)

    assert changes.lines() == [
        "added: alpha.interactions",
        "added: reference 3",
        "text changed: alpha.side-effects",
        "phrases changed: general.urgent (+chills)",
    ]
    assert changes.summary() == "2 added, 0 removed, 2 changed"


def test_summary_counts_a_changed_citation(tmp_path: Path) -> None:
    new = edit(VALID, '    citation: "Source one"', '    citation: "Source one, 2nd edition"')

    changes = diff_texts(tmp_path, VALID, new)

    assert changes.lines() == ["reference changed: 1"]
    assert changes.summary() != "0 added, 0 removed, 0 changed"


def test_changes_to_the_drugs_not_covered_are_listed() -> None:
    from dataclasses import replace

    from bot.changes import diff_knowledge
    from bot.knowledge import load_knowledge

    old = load_knowledge()
    new = replace(old, other_drugs=(*old.other_drugs[1:], "zorblex"))
    changes = diff_knowledge(old, new)
    assert changes.phrases_changed == ("general.other-drugs",)
    assert changes.lines() == [
        f"phrases changed: general.other-drugs (+zorblex, -{old.other_drugs[0]})"
    ]
