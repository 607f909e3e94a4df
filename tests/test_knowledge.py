"""Tests of bot.knowledge: the real knowledge file, and every problem the loader reports.

Problem lines are compared in full (path, line and message). The line is not
hard-coded: ``line_of`` finds the offending line in the YAML text of the test, so
each assertion also checks that the loader points at the right line.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.knowledge import (
    DEFAULT_LANGUAGE_FILE,
    KnowledgeBase,
    KnowledgeError,
    dose_or_level,
    load_knowledge,
)

ROOT = Path(__file__).resolve().parent.parent
REAL_FILE = ROOT / "knowledge" / "immunosuppressants.yaml"

DRUG_IDS = ("azathioprine", "cyclosporine", "mycophenolate", "dapsone", "sirolimus")
MARKER = re.compile(r"\[([A-Za-z0-9_-]+)\]")
DOSE = re.compile(r"\d+\s*(mg|milligram)", re.IGNORECASE)

#: A small valid knowledge file; the problem tests edit one or more of its lines.
VALID = """\
references:
  - id: 1
    citation: "Source one"
    link: https://example.org/one
  - id: 2
    citation: "Source two"
topics:
  - id: side-effects
    title: Side effects
    phrases: [side effects, tired]
  - id: interactions
    title: Interactions
    phrases: [grapefruit]
general:
  - id: about
    title: About
    phrases: [what are immunosuppressants]
    answer: "Immunosuppressants calm the immune system [1]."
    references: [1]
    checked: 2026-11
caution:
  title: A word of caution
  answer: "Ask your doctor [1]."
  references: [1]
urgent:
  phrases: [fever]
  answer: "Contact your doctor now [2]."
  references: [2]
other_drugs: [tacrolimus]
drugs:
  - id: alpha
    name: Alpha
    names: [alpha, Alphabrand]
    link: https://example.org/alpha
    overview:
      answer: >-
        Alpha is a medicine [1].
        It is taken by mouth [1].
      references: [1]
      checked: 2026-11
    entries:
      - id: side-effects
        answer: "Alpha can make you tired [2]."
        references: [2]
        checked: 2026-11
"""

#: A second drug, appended to VALID (or written as a second file of a folder).
BETA = """\
  - id: beta
    name: Beta
    names: [beta, ALPHABRAND]
    overview:
      answer: "Beta is a medicine [2]."
      references: [2]
      checked: 2026-11
    entries: []
"""


# --------------------------------------------------------------------------- helpers


def write_file(folder: Path, text: str, name: str = "knowledge.yaml") -> Path:
    """Write ``text`` to ``folder/name`` and return the path."""
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def edit(text: str, old: str, new: str) -> str:
    """Replace the one occurrence of ``old`` in ``text`` by ``new``."""
    assert text.count(old) == 1, f"{old!r} must occur exactly once"
    return text.replace(old, new)


def lines_of(text: str, line: str) -> list[int]:
    """Return the 1-based numbers of the lines of ``text`` equal to ``line``."""
    wanted = line.rstrip()
    return [n for n, got in enumerate(text.splitlines(), start=1) if got.rstrip() == wanted]


def line_of(text: str, line: str) -> int:
    """Return the 1-based number of the one line of ``text`` equal to ``line``."""
    found = lines_of(text, line)
    assert len(found) == 1, f"{line!r} must be exactly one line of the text, found {found}"
    return found[0]


def problems_of(path: Path) -> tuple[str, ...]:
    """Load ``path``, expect a KnowledgeError and return its problems."""
    with pytest.raises(KnowledgeError) as info:
        load_knowledge(path)
    return info.value.problems


def all_answers(kb: KnowledgeBase) -> list[tuple[str, str, tuple[str, ...]]]:
    """Return (key, answer, references) of every answer, caution and urgent included."""
    everything = (*kb.entries(), kb.caution, kb.urgent, *(a.entry for a in kb.alerts))
    return [(e.key, e.answer, e.references) for e in everything]


# --------------------------------------------------------------------------- the real file


def test_real_knowledge_file_loads_and_is_consistent() -> None:
    kb = load_knowledge(REAL_FILE)

    assert tuple(drug.id for drug in kb.drugs) == DRUG_IDS
    ref_ids = {ref.id for ref in kb.references}
    assert {str(n) for n in range(1, 11)} <= ref_ids
    answers = all_answers(kb)
    for key, answer, references in answers:
        markers = set(MARKER.findall(answer))
        assert markers <= set(references), f"{key}: markers {markers} not all in {references}"
        assert set(references) <= ref_ids, f"{key}: cites undeclared references"
        assert DOSE.search(answer) is None, f"{key}: gives a dose: {DOSE.search(answer)}"
    cited = {ref for _, _, references in answers for ref in references}
    assert ref_ids - cited == set(), "references never cited by any answer"
    assert kb.urgent.answer.startswith("Contact your doctor now")


def test_default_path_is_the_knowledge_folder() -> None:
    kb = load_knowledge()

    assert str(REAL_FILE) in kb.sources
    assert kb.drug("azathioprine") is not None


# --------------------------------------------------------------------------- a valid file


def test_small_valid_file_loads_with_every_field(tmp_path: Path) -> None:
    path = write_file(tmp_path, VALID)
    kb = load_knowledge(path)

    assert kb.summary() == "1 drugs, 3 entries, 2 references, 2 topics"
    assert [(r.id, r.citation, r.link) for r in kb.references] == [
        ("1", "Source one", "https://example.org/one"),
        ("2", "Source two", None),
    ]
    assert [(t.id, t.title, t.phrases) for t in kb.topics] == [
        ("side-effects", "Side effects", ("side effects", "tired")),
        ("interactions", "Interactions", ("grapefruit",)),
    ]
    alpha = kb.drug("alpha")
    assert alpha is not None
    assert alpha.names == ("alpha", "Alpha", "Alphabrand")
    assert alpha.link == "https://example.org/alpha"
    # A folded answer is joined into single-spaced text; the title defaults to the name.
    assert alpha.overview.answer == "Alpha is a medicine [1]. It is taken by mouth [1]."
    assert (alpha.overview.key, alpha.overview.title) == ("alpha.overview", "Alpha")
    entry = alpha.entry("side-effects")
    assert entry is not None
    assert (entry.key, entry.title, entry.references) == (
        "alpha.side-effects",
        "Side effects",
        ("2",),
    )
    assert entry.where == f"{path}:{line_of(VALID, '      - id: side-effects')}"
    assert [e.key for e in kb.general] == ["general.about"]
    assert kb.caution.key == "general.caution"
    assert kb.urgent.answer == "Contact your doctor now [2]."
    assert kb.other_drugs == ("tacrolimus",)
    assert kb.find_entry("alpha.side-effects") == entry


# --------------------------------------------------------------------------- problems

SYNTAX_CASES = [
    pytest.param(
        "    name: Alpha\n",
        "    name: Alpha: beta\n",
        "    name: Alpha: beta",
        "mapping values are not allowed here",
        id="colon-in-plain-value",
    ),
    pytest.param(
        "    name: Alpha\n",
        "\tname: Alpha\n",
        "\tname: Alpha",
        "found character '\\t' that cannot start any token",
        id="tab-indent",
    ),
    pytest.param(
        '    citation: "Source two"\n',
        '   citation: "Source two"\n',
        '   citation: "Source two"',
        "expected <block end>, but found '<block mapping start>'",
        id="bad-indent",
    ),
    pytest.param(
        "    names: [alpha, Alphabrand]\n",
        "    names: [alpha, Alphabrand\n",
        "    names: [alpha, Alphabrand",
        "expected ',' or ']', but got ':'",
        id="unclosed-bracket",
    ),
]


@pytest.mark.parametrize(("old", "new", "bad_line", "message"), SYNTAX_CASES)
def test_yaml_syntax_error_names_the_offending_line(
    tmp_path: Path, old: str, new: str, bad_line: str, message: str
) -> None:
    text = edit(VALID, old, new)
    path = write_file(tmp_path, text)

    problems = problems_of(path)

    assert problems[0] == f"{path}:{line_of(text, bad_line)}: YAML syntax error: {message}"


def test_yaml_syntax_error_is_the_only_problem(tmp_path: Path) -> None:
    text = edit(VALID, "    name: Alpha\n", "    name: Alpha: beta\n")
    path = write_file(tmp_path, text)

    assert problems_of(path) == (
        f"{path}:{line_of(text, '    name: Alpha: beta')}: "
        "YAML syntax error: mapping values are not allowed here",
    )


@pytest.mark.parametrize(
    "text", ["", "# only a comment\n", "\n\n"], ids=["empty", "comment", "blank"]
)
def test_empty_file(tmp_path: Path, text: str) -> None:
    path = write_file(tmp_path, text)

    assert problems_of(path) == (f"{path}:1: the file is empty",)


#: (old, new, line the problem must point at (None: line 1), message)
PROBLEM_CASES = [
    pytest.param(
        '        answer: "Alpha can make you tired [2]."\n',
        "",
        "      - id: side-effects",
        "topic 'side-effects' of 'alpha': missing 'answer'",
        id="missing-answer",
    ),
    pytest.param(
        '        answer: "Alpha can make you tired [2]."\n        references: [2]\n',
        '        answer: "Alpha can make you tired."\n',
        "      - id: side-effects",
        "topic 'side-effects' of 'alpha': missing 'references'",
        id="missing-references",
    ),
    pytest.param(
        "    title: Interactions\n",
        "",
        "  - id: interactions",
        "topic 'interactions': missing 'title'",
        id="missing-topic-title",
    ),
    pytest.param(
        "    title: About\n",
        "",
        "  - id: about",
        "general entry 'about': missing 'title'",
        id="missing-general-title",
    ),
    pytest.param(
        "    names: [alpha, Alphabrand]\n",
        "",
        "  - id: alpha",
        "drug 'alpha': missing 'names'",
        id="missing-names",
    ),
    pytest.param(
        "    overview:\n      answer: >-\n        Alpha is a medicine [1].\n"
        "        It is taken by mouth [1].\n      references: [1]\n      checked: 2026-11\n",
        "",
        "  - id: alpha",
        "drug 'alpha': missing 'overview'",
        id="missing-overview",
    ),
    pytest.param(
        'caution:\n  title: A word of caution\n  answer: "Ask your doctor [1]."\n'
        "  references: [1]\n",
        "",
        None,
        "missing 'caution'",
        id="missing-caution",
    ),
    pytest.param(
        'urgent:\n  phrases: [fever]\n  answer: "Contact your doctor now [2]."\n'
        "  references: [2]\n",
        "",
        None,
        "missing 'urgent'",
        id="missing-urgent",
    ),
    pytest.param(
        '        answer: "Alpha can make you tired [2]."\n        references: [2]\n',
        '        answer: "Alpha can make you tired [2][11]."\n        references: [2, 11]\n',
        '        answer: "Alpha can make you tired [2][11]."',
        "topic 'side-effects' of 'alpha': unknown reference 11",
        id="unknown-reference",
    ),
    pytest.param(
        '        answer: "Alpha can make you tired [2]."\n',
        '        answer: "Alpha can make you tired [2][1]."\n',
        '        answer: "Alpha can make you tired [2][1]."',
        "topic 'side-effects' of 'alpha': marker [1] is not in its 'references'",
        id="marker-not-in-references",
    ),
    pytest.param(
        "        references: [2]\n",
        "        references: [2, 1]\n",
        '        answer: "Alpha can make you tired [2]."',
        "topic 'side-effects' of 'alpha': reference 1 is listed but never cited in the answer",
        id="reference-never-cited",
    ),
    pytest.param(
        "    phrases: [grapefruit]\n",
        "    phrases: [grapefruit]\n    safety-net: red-flag.fever\n",
        "    safety-net: red-flag.fever",
        "topic 'interactions': safety-net 'red-flag.fever' is no alert",
        id="safety-net-no-alert",
    ),
    pytest.param(
        "      - id: side-effects\n",
        "      - id: dosing\n",
        "      - id: dosing",
        "topic 'dosing' of 'alpha': unknown topic (declare it under 'topics')",
        id="unknown-topic",
    ),
    pytest.param(
        '        answer: "Alpha can make you tired [2]."\n        references: [2]\n',
        '        answer: ""\n        references: []\n',
        '        answer: ""',
        "topic 'side-effects' of 'alpha': 'answer' is empty",
        id="empty-answer",
    ),
    pytest.param(
        '        answer: "Alpha can make you tired [2]."\n        references: [2]\n',
        '        answer: "   "\n        references: []\n',
        '        answer: "   "',
        "topic 'side-effects' of 'alpha': 'answer' is empty",
        id="blank-answer",
    ),
    pytest.param(
        "    link: https://example.org/alpha\n",
        "    link: https://example.org/alpha\n    dose: 5 mg\n",
        "    dose: 5 mg",
        "drug 'alpha': unknown key 'dose' (allowed: entries, id, link, name, names, overview)",
        id="unknown-key-drug",
    ),
    pytest.param(
        "        references: [2]\n",
        "        references: [2]\n        sources: [2]\n",
        "        sources: [2]",
        "topic 'side-effects' of 'alpha': unknown key 'sources' "
        "(allowed: answer, checked, given-with, id, phrases, references, title)",
        id="unknown-key-entry",
    ),
    pytest.param(
        "        references: [2]\n",
        "        references: [2]\n        given-with: [tacrolimus, warfarin]\n",
        "        given-with: [tacrolimus, warfarin]",
        "topic 'side-effects' of 'alpha': given-with 'warfarin' is not in 'other_drugs'",
        id="given-with-not-another-drug",
    ),
    pytest.param(
        "other_drugs: [tacrolimus]\n",
        "other_drugs: [tacrolimus]\nversion: 2\n",
        "version: 2",
        "file: unknown key 'version' (allowed: alerts, caution, cues, drugs, general, learned-cue, "
        "learned-topics, other_drugs, references, roles, topics, urgent, vocabulary)",
        id="unknown-key-file",
    ),
    pytest.param(
        "    link: https://example.org/one\n",
        "    link: www.example.org/one\n",
        "    link: www.example.org/one",
        "reference 1: link must start with https:// or http://",
        id="reference-link-not-web",
    ),
    pytest.param(
        "        checked: 2026-11\n",
        "        checked: Nov 2026\n",
        "        checked: Nov 2026",
        "topic 'side-effects' of 'alpha': checked 'Nov 2026' must be the month it was "
        "checked, as YYYY-MM (e.g. 2026-11)",
        id="checked-not-a-month",
    ),
    pytest.param(
        "        checked: 2026-11\n",
        "        checked: 2026-13\n",
        "        checked: 2026-13",
        "topic 'side-effects' of 'alpha': checked '2026-13' must be the month it was "
        "checked, as YYYY-MM (e.g. 2026-11)",
        id="checked-month-13",
    ),
    pytest.param(
        "    link: https://example.org/alpha\n",
        "    link: www.example.org/alpha\n",
        "    link: www.example.org/alpha",
        "drug 'alpha': link must start with https://",
        id="drug-link-not-https",
    ),
]


@pytest.mark.parametrize(("old", "new", "bad_line", "message"), PROBLEM_CASES)
def test_one_problem_with_exact_message_and_line(
    tmp_path: Path, old: str, new: str, bad_line: str | None, message: str
) -> None:
    text = edit(VALID, old, new)
    path = write_file(tmp_path, text)
    line = 1 if bad_line is None else line_of(text, bad_line)

    assert problems_of(path) == (f"{path}:{line}: {message}",)


def test_key_appearing_twice(tmp_path: Path) -> None:
    text = edit(VALID, "    name: Alpha\n", "    name: Alpha\n    name: Alpha two\n")
    path = write_file(tmp_path, text)

    assert problems_of(path) == (
        f"{path}:{line_of(text, '    name: Alpha two')}: drug: key 'name' appears twice",
    )


def test_marker_and_uncited_reference_in_one_entry(tmp_path: Path) -> None:
    bad = '    answer: "Immunosuppressants calm the immune system [page]."'
    text = edit(VALID, '    answer: "Immunosuppressants calm the immune system [1]."', bad)
    path = write_file(tmp_path, text)
    at = f"{path}:{line_of(text, bad)}"

    assert problems_of(path) == (
        f"{at}: general entry 'about': marker [page] is not in its 'references'",
        f"{at}: general entry 'about': reference 1 is listed but never cited in the answer",
    )


def test_misspelt_entries_key_is_unknown_and_entries_missing(tmp_path: Path) -> None:
    text = edit(
        VALID,
        "    entries:\n      - id: side-effects\n"
        '        answer: "Alpha can make you tired [2]."\n        references: [2]\n'
        "        checked: 2026-11\n",
        "    entry: []\n",
    )
    path = write_file(tmp_path, text)

    assert sorted(problems_of(path)) == sorted(
        [
            f"{path}:{line_of(text, '    entry: []')}: drug 'alpha': unknown key "
            "'entry' (allowed: entries, id, link, name, names, overview)",
            f"{path}:{line_of(text, '  - id: alpha')}: drug 'alpha': missing 'entries'",
        ]
    )


def test_unknown_key_with_block_value_points_at_the_key(tmp_path: Path) -> None:
    text = edit(
        VALID,
        "    link: https://example.org/alpha\n",
        "    link: https://example.org/alpha\n    notes:\n      - first note\n",
    )
    path = write_file(tmp_path, text)

    assert problems_of(path) == (
        f"{path}:{line_of(text, '    notes:')}: drug 'alpha': unknown key 'notes' "
        "(allowed: entries, id, link, name, names, overview)",
    )


def test_caution_without_answer_is_one_problem(tmp_path: Path) -> None:
    text = edit(VALID, '  answer: "Ask your doctor [1]."\n', "")
    path = write_file(tmp_path, text)

    assert problems_of(path) == (
        f"{path}:{line_of(text, '  title: A word of caution')}: caution: missing 'answer'",
    )


def test_duplicate_reference_id(tmp_path: Path) -> None:
    text = edit(VALID, "  - id: 2\n", '  - id: 1\n    citation: "Again"\n  - id: 2\n')
    path = write_file(tmp_path, text)
    first, second = lines_of(text, "  - id: 1")

    assert problems_of(path) == (
        f"{path}:{second}: reference 1: duplicate reference id (first at {path}:{first})",
    )


def test_duplicate_drug_id(tmp_path: Path) -> None:
    text = VALID + BETA.replace("id: beta", "id: alpha").replace(
        "names: [beta, ALPHABRAND]", "names: [other]"
    )
    path = write_file(tmp_path, text)
    first, second = lines_of(text, "  - id: alpha")

    assert problems_of(path) == (
        f"{path}:{second}: drug 'alpha': duplicate drug id (first at {path}:{first})",
    )


def test_duplicate_topic_in_one_drug(tmp_path: Path) -> None:
    text = VALID + (
        "      - id: side-effects\n"
        '        answer: "Alpha can also make you dizzy [2]."\n'
        "        references: [2]\n"
    )
    path = write_file(tmp_path, text)
    first, second = lines_of(text, "      - id: side-effects")

    assert problems_of(path) == (
        f"{path}:{second}: topic 'side-effects' of 'alpha': duplicate topic "
        f"(first at {path}:{first})",
    )


@pytest.mark.parametrize("clash", ["Alphabrand", "ALPHABRAND", "alphabrand", "Alpha"])
def test_one_name_claimed_by_two_drugs_case_insensitive(tmp_path: Path, clash: str) -> None:
    text = VALID + BETA.replace("names: [beta, ALPHABRAND]", f"names: [beta, {clash}]")
    path = write_file(tmp_path, text)
    first = line_of(text, "    names: [alpha, Alphabrand]")
    second = line_of(text, f"    names: [beta, {clash}]")

    assert problems_of(path) == (
        f"{path}:{second}: drug 'beta': name '{clash}' is already a name of drug 'alpha' "
        f"({path}:{first})",
    )


def test_every_problem_of_a_file_is_reported_at_once(tmp_path: Path) -> None:
    text = VALID
    for old, new in [
        ("    link: https://example.org/one\n", "    link: www.example.org/one\n"),
        ("    title: About\n", ""),
        ("      - id: side-effects\n", "      - id: dosing\n"),
        (
            "    link: https://example.org/alpha\n",
            "    link: https://example.org/alpha\n    dose: 1\n",
        ),
        (
            '  answer: "Contact your doctor now [2]."\n',
            '  answer: "Contact your doctor now [2][7]."\n',
        ),
        ("        references: [2]\n", "        references: [2, 1]\n"),
    ]:
        text = edit(text, old, new)
    path = write_file(tmp_path, text)

    def at(line: str) -> str:
        return f"{path}:{line_of(text, line)}"

    urgent_answer = at('  answer: "Contact your doctor now [2][7]."')
    entry_answer = at('        answer: "Alpha can make you tired [2]."')

    assert sorted(problems_of(path)) == sorted(
        [
            f"{at('    link: www.example.org/one')}: reference 1: link must start with https:// "
            "or http://",
            f"{at('  - id: about')}: general entry 'about': missing 'title'",
            f"{at('      - id: dosing')}: topic 'dosing' of 'alpha': unknown topic "
            "(declare it under 'topics')",
            f"{at('    dose: 1')}: drug 'alpha': unknown key 'dose' "
            "(allowed: entries, id, link, name, names, overview)",
            f"{urgent_answer}: urgent: marker [7] is not in its 'references'",
            f"{entry_answer}: topic 'dosing' of "
            "'alpha': reference 1 is listed but never cited in the answer",
        ]
    )


# --------------------------------------------------------------------------- folders and paths


@pytest.mark.parametrize(
    ("base_name", "more_name"),
    [("1-base.yaml", "2-more.yaml"), ("2-base.yaml", "1-more.yaml")],
    ids=["drug-file-second", "drug-file-first"],
)
def test_folder_files_share_references_and_topics(
    tmp_path: Path, base_name: str, more_name: str
) -> None:
    base = write_file(tmp_path, VALID, base_name)
    more = write_file(
        tmp_path,
        "drugs:\n"
        + BETA.replace("names: [beta, ALPHABRAND]", "names: [beta, Betabrand]").replace(
            "    entries: []\n",
            "    entries:\n"
            "      - id: interactions\n"
            '        answer: "Avoid grapefruit with beta [1]."\n'
            "        references: [1]\n",
        ),
        more_name,
    )
    (tmp_path / "notes.txt").write_text("not knowledge", encoding="utf-8")

    kb = load_knowledge(tmp_path)

    # A folder without a language of its own reads with the bundled language file and
    # the bundled messages its learned cues are trained on (not the learned topics,
    # which name the bundled facts' topics).
    learned = sorted(DEFAULT_LANGUAGE_FILE.parent.glob("learned-c*.yaml"))
    assert [p.name for p in learned] == ["learned-calm.yaml", "learned-crisis.yaml"]
    assert kb.sources == (
        *(str(p) for p in sorted([base, more])),
        str(DEFAULT_LANGUAGE_FILE),
        *(str(p) for p in learned),
    )
    assert sorted(drug.id for drug in kb.drugs) == ["alpha", "beta"]
    beta = kb.drug("beta")
    assert beta is not None
    entry = beta.entry("interactions")
    assert entry is not None
    assert (entry.title, entry.references) == ("Interactions", ("1",))
    assert kb.reference("1") is not None


def test_folder_files_claiming_the_same_name(tmp_path: Path) -> None:
    first_file = write_file(tmp_path, VALID, "a.yaml")
    more_text = "drugs:\n" + BETA
    second_file = write_file(tmp_path, more_text, "b.yaml")
    first = line_of(VALID, "    names: [alpha, Alphabrand]")
    second = line_of(more_text, "    names: [beta, ALPHABRAND]")

    assert problems_of(tmp_path) == (
        f"{second_file}:{second}: drug 'beta': name 'ALPHABRAND' is already a name of "
        f"drug 'alpha' ({first_file}:{first})",
    )


def test_missing_path(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.yaml"

    assert problems_of(path) == (f"{path}: no such file",)


def test_folder_without_yaml(tmp_path: Path) -> None:
    (tmp_path / "knowledge.yml").write_text(VALID, encoding="utf-8")
    (tmp_path / "README.md").write_text("nothing here", encoding="utf-8")

    assert problems_of(tmp_path) == (f"{tmp_path}: no *.yaml knowledge file in this folder",)


def test_knowledge_error_message_joins_the_problems(tmp_path: Path) -> None:
    text = edit(VALID, "    title: About\n", "")
    path = write_file(tmp_path, text)

    with pytest.raises(KnowledgeError) as info:
        load_knowledge(path)

    assert str(info.value) == "\n".join(info.value.problems)
    assert (
        str(info.value)
        == f"{path}:{line_of(text, '  - id: about')}: general entry 'about': missing 'title'"
    )


def test_null_in_a_list_is_a_problem_not_the_word_null(tmp_path: Path) -> None:
    text = edit(VALID, "    names: [alpha, Alphabrand]\n", "    names: [alpha, null]\n")
    path = write_file(tmp_path, text)

    assert problems_of(path) == (
        f"{path}:{line_of(text, '    names: [alpha, null]')}: drug 'alpha': every item of "
        "'names' must be non-empty text",
    )


@pytest.mark.parametrize(
    ("answer", "found"),
    [
        ("Keep the trough level at 5-15 ng/mL [2].", "15 ng"),
        ("The usual dose is 50 mg a day [2].", "50 mg"),
        ("Children get 2 mg/kg [2].", "2 mg"),
        ("Take 10 micrograms [2].", "10 micrograms"),
        ("Take 100\u00b5g [2].", "100\u00b5g"),
        ("Give 5 ml per dose [2].", "5 ml"),
        ("Measure the ml per dose with the syringe [2].", "ml"),
        ("A level in ng/ml is checked [2].", "ng/ml"),
        ("The dose is counted in milligrams [2].", "milligrams"),
        ("Take two tablets in the morning [2].", "two tablets"),
    ],
)
def test_a_dose_or_level_in_an_answer_is_an_error(tmp_path: Path, answer: str, found: str) -> None:
    text = edit(
        VALID,
        '        answer: "Alpha can make you tired [2]."\n',
        f'        answer: "{answer}"\n',
    )
    path = write_file(tmp_path, text)
    answer_line = line_of(text, f'        answer: "{answer}"')

    assert problems_of(path) == (
        f"{path}:{answer_line}: topic 'side-effects' of "
        f"'alpha': answer gives a dose or level ({found!r}); the bot never gives a dose, a "
        "tablet count or a target level",
    )


@pytest.mark.parametrize(
    "answer",
    [
        "Test G6PD before starting [2].",
        "Grapefruit raised exposure about 3.5-fold [2].",
        "Use contraception for 12 weeks after treatment [2].",
        "Never take two doses together [2].",
        "Take one out of the foil strip only when it is time [2].",
    ],
)
def test_numbers_that_are_no_dose_are_allowed(answer: str) -> None:
    assert dose_or_level(answer) is None


def test_checked_is_read_into_the_entry() -> None:
    kb = load_knowledge(REAL_FILE)
    entry = kb.find_entry("azathioprine.vaccines")
    assert entry is not None
    assert entry.checked == "2026-11"
