"""Tests of knowledge/schema.json, the JSON Schema editors use to check the knowledge file.

The loader (bot.knowledge) is the source of truth. The schema gives volunteer admins the
same checks as they type, as far as a JSON Schema can. These tests hold the two together:

* every broken variant in ``BOTH_REJECT`` is rejected by the schema AND by the loader, with
  problems written as ``path:line: message``;
* ``LOADER_ONLY`` lists what a schema cannot check (cross-references, duplicates, names
  shared by two drugs): the schema accepts these, the loader rejects them;
* ``BOTH_ACCEPT`` lists lenient corners the schema mirrors on purpose (numbers as text...);
* ``KNOWN_DIFFERENCES`` documents where the two must differ, and why.

The schema sees the file as ``yaml.safe_load`` reads it (YAML 1.1 values); the loader reads
the YAML nodes and keeps every scalar's text as written. Most differences come from that.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator

from bot.knowledge import KnowledgeError, load_knowledge

ROOT = Path(__file__).resolve().parent.parent
SCHEMA_FILE = ROOT / "knowledge" / "schema.json"
REAL_FILE = ROOT / "knowledge" / "immunosuppressants.yaml"
MODELINE = "# yaml-language-server: $schema=schema.json"

#: A small valid knowledge file modelled on the real one; the cases below edit it.
VALID = """\
# yaml-language-server: $schema=schema.json
references:
  - id: 1
    citation: "Wikipedia: Alphazine"
  - id: 3
    citation: "Medline Plus: Alphazine"
    link: https://medlineplus.gov/druginfo/meds/a000001.html
  - id: page
    citation: "The seed page itself."
  - id: D1
    citation: "Guideline one. Med J 2022;1(1):1-2."
topics:
  - id: side-effects
    title: Side effects
    phrases: [side effects, make me tired]
  - id: time-to-work
    title: How long it takes to work
    phrases: [how long, kick in]
general:
  - id: about
    title: What immunosuppressants are
    phrases: [what are immunosuppressants]
    answer: >-
      Immunosuppressants reduce the strength of the immune system [page].
    references: [page]
  - id: pregnancy
    title: Pregnancy and breastfeeding
    answer: "Talk to your doctor before a pregnancy [3]."
    references: [3]
caution:
  title: A word of caution
  answer: >-
    They can raise the risk of infections [3].
    General information, not medical advice.
  references: [3]
urgent:
  phrases: [fever, chills]
  answer: >-
    Contact your doctor now.
    Fever needs a clinician straight away [3].
  references: [3]
other_drugs: [tacrolimus, everolimus]
drugs:
  - id: alphazine
    name: Alphazine
    names: [alphazine, Alphabrand]
    link: https://medlineplus.gov/druginfo/meds/a000002.html
    overview:
      answer: >-
        Alphazine is an immunosuppressant [page].
        It is slow to work [1].
      references: [page, 1]
    entries:
      - id: time-to-work
        phrases: [four months]
        answer: "Alphazine takes about four months to work [1][D1]."
        references: [1, D1]
      - id: side-effects
        title: Side effects of alphazine
        answer: "Alphazine can make you tired [3]."
        references: [3]
  - id: betamab
    name: Betamab
    names: [betamab]
    overview:
      answer: "Betamab is an immunosuppressant [page]."
      references: [page]
    entries: []
"""

CAUTION_BLOCK = """\
caution:
  title: A word of caution
  answer: >-
    They can raise the risk of infections [3].
    General information, not medical advice.
  references: [3]
"""
URGENT_BLOCK = """\
urgent:
  phrases: [fever, chills]
  answer: >-
    Contact your doctor now.
    Fever needs a clinician straight away [3].
  references: [3]
"""
DRUGS_BLOCK = VALID[VALID.index("drugs:\n") :]
TOPICS_BLOCK = VALID[VALID.index("topics:\n") : VALID.index("general:\n")]


# --------------------------------------------------------------------------- helpers


def edit(text: str, old: str, new: str) -> str:
    """Replace the one occurrence of ``old`` in ``text`` by ``new``."""
    assert text.count(old) == 1, f"{old!r} must occur exactly once"
    return text.replace(old, new)


def load_schema() -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    return schema


def schema_errors(text: str) -> list[Any]:
    """Validate YAML ``text``, read by ``yaml.safe_load`` as editors read it, against the schema."""
    validator = Draft202012Validator(load_schema())
    return list(validator.iter_errors(yaml.safe_load(text)))


def error_paths(errors: list[Any]) -> list[tuple[Any, ...]]:
    return [tuple(error.absolute_path) for error in errors]


def write(folder: Path, text: str, name: str = "knowledge.yaml") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def loader_problems(path: Path) -> tuple[str, ...]:
    """Load ``path``, expect a KnowledgeError and return its problems."""
    with pytest.raises(KnowledgeError) as info:
        load_knowledge(path)
    return info.value.problems


def assert_located(problems: tuple[str, ...], path: Path) -> None:
    """Every problem names the file and a line: ``path:line: message``."""
    located = re.compile(rf"^{re.escape(str(path))}:\d+: ")
    assert problems, "the loader raised without a problem"
    for problem in problems:
        assert located.match(problem), f"problem without path:line: {problem!r}"


def subschemas(node: Any, where: str = "#") -> Iterator[tuple[str, dict[str, Any]]]:
    """Yield every schema object inside ``node`` with its JSON pointer."""
    if isinstance(node, dict):
        yield where, node
        for key in ("properties", "$defs"):
            for name, sub in node.get(key, {}).items():
                yield from subschemas(sub, f"{where}/{key}/{name}")
        for key in ("items", "additionalProperties"):
            if isinstance(node.get(key), dict):
                yield from subschemas(node[key], f"{where}/{key}")


def resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    """Follow a local ``$ref`` (``#/$defs/name``) chain, merging the referring node on top."""
    merged = dict(node)
    while "$ref" in merged:
        ref = merged.pop("$ref")
        assert ref.startswith("#/$defs/"), f"only local $defs references: {ref}"
        target = schema["$defs"][ref.removeprefix("#/$defs/")]
        merged = {**target, **merged}
    return merged


# --------------------------------------------------------------------------- the schema itself


def test_schema_is_a_valid_draft_2020_12_schema() -> None:
    schema = load_schema()

    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert "$id" not in schema, "used by relative path from the YAML file's modeline"
    assert schema["title"]


def test_every_property_has_a_description_for_admins() -> None:
    schema = load_schema()
    missing = [
        f"{where}/properties/{name}"
        for where, node in subschemas(schema)
        for name, prop in node.get("properties", {}).items()
        if not resolve(schema, prop).get("description")
    ]
    assert missing == []


def test_every_object_rejects_unknown_keys() -> None:
    schema = load_schema()
    open_objects = [
        where
        for where, node in subschemas(schema)
        if "properties" in node and node.get("additionalProperties") is not False
    ]
    assert open_objects == []


def test_schema_examples_are_valid_values() -> None:
    schema = load_schema()
    for where, node in subschemas(schema):
        for example in node.get("examples", []):
            standalone = {"$defs": schema["$defs"], **node}
            errors = list(Draft202012Validator(standalone).iter_errors(example))
            assert errors == [], f"{where}: example {example!r}: {errors[0].message}"


# --------------------------------------------------------------------------- the real file


def test_real_file_passes_the_schema() -> None:
    text = REAL_FILE.read_text(encoding="utf-8")

    errors = schema_errors(text)

    assert [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors] == []


def test_real_file_points_editors_at_the_schema() -> None:
    first_line = REAL_FILE.read_text(encoding="utf-8").splitlines()[0]

    assert first_line == MODELINE
    assert (REAL_FILE.parent / first_line.split("$schema=", 1)[1]).resolve() == SCHEMA_FILE


# --------------------------------------------------------------------------- agreement


def test_small_valid_file_passes_schema_and_loader(tmp_path: Path) -> None:
    assert schema_errors(VALID) == []
    kb = load_knowledge(write(tmp_path, VALID))
    assert [drug.id for drug in kb.drugs] == ["alphazine", "betamab"]


#: (old, new, a fragment of a loader problem, the schema error's location in the data).
BOTH_REJECT = [
    pytest.param(
        "other_drugs: [tacrolimus, everolimus]\n",
        "other_drugs: [tacrolimus, everolimus]\nnotes: draft\n",
        "file: unknown key 'notes'",
        (),
        id="unknown-top-level-key",
    ),
    pytest.param(
        "    names: [alphazine, Alphabrand]\n",
        "    names: [alphazine, Alphabrand]\n    dose: see your doctor\n",
        "drug 'alphazine': unknown key 'dose'",
        ("drugs", 0),
        id="unknown-key-in-drug",
    ),
    pytest.param(
        "        title: Side effects of alphazine\n",
        "        title: Side effects of alphazine\n        note: check with Ann\n",
        "topic 'side-effects' of 'alphazine': unknown key 'note'",
        ("drugs", 0, "entries", 1),
        id="unknown-key-in-drug-entry",
    ),
    pytest.param(
        '    citation: "Guideline one. Med J 2022;1(1):1-2."\n',
        '    citation: "Guideline one. Med J 2022;1(1):1-2."\n    url: https://example.org\n',
        "reference D1: unknown key 'url'",
        ("references", 3),
        id="unknown-key-in-reference",
    ),
    pytest.param(
        "    phrases: [how long, kick in]\n",
        "    phrases: [how long, kick in]\n    answer: soon\n",
        "topic 'time-to-work': unknown key 'answer'",
        ("topics", 1),
        id="unknown-key-in-topic",
    ),
    pytest.param(
        "    phrases: [what are immunosuppressants]\n",
        "    phrases: [what are immunosuppressants]\n    phrase: immunosuppressant\n",
        "general entry 'about': unknown key 'phrase'",
        ("general", 0),
        id="unknown-key-in-general-entry",
    ),
    pytest.param(
        "  title: A word of caution\n",
        "  title: A word of caution\n  refs: [3]\n",
        "caution: unknown key 'refs'",
        ("caution",),
        id="unknown-key-in-caution",
    ),
    pytest.param(
        "      references: [page, 1]\n",
        "      references: [page, 1]\n      link: https://example.org\n",
        "overview of 'alphazine': unknown key 'link'",
        ("drugs", 0, "overview"),
        id="unknown-key-in-overview",
    ),
    pytest.param(
        '        answer: "Alphazine can make you tired [3]."\n',
        "",
        "topic 'side-effects' of 'alphazine': missing 'answer'",
        ("drugs", 0, "entries", 1),
        id="missing-answer",
    ),
    pytest.param(
        "\n    references: [page]\n  - id: pregnancy\n",
        "\n  - id: pregnancy\n",
        "general entry 'about': missing 'references'",
        ("general", 0),
        id="missing-references",
    ),
    pytest.param(
        '        answer: "Alphazine can make you tired [3]."\n',
        '        answer: ""\n',
        "topic 'side-effects' of 'alphazine': 'answer' is empty",
        ("drugs", 0, "entries", 1, "answer"),
        id="empty-answer",
    ),
    pytest.param(
        '        answer: "Alphazine can make you tired [3]."\n',
        '        answer: "   "\n',
        "topic 'side-effects' of 'alphazine': 'answer' is empty",
        ("drugs", 0, "entries", 1, "answer"),
        id="blank-answer",
    ),
    pytest.param(
        '        answer: "Alphazine can make you tired [3]."\n',
        "        answer:\n",
        "topic 'side-effects' of 'alphazine': 'answer' must be text",
        ("drugs", 0, "entries", 1, "answer"),
        id="answer-left-blank-is-null",
    ),
    pytest.param(
        '        answer: "Alphazine can make you tired [3]."\n',
        "        answer:\n          - Alphazine can make you tired [3].\n",
        "topic 'side-effects' of 'alphazine': 'answer' must be text",
        ("drugs", 0, "entries", 1, "answer"),
        id="answer-is-a-list",
    ),
    pytest.param(
        "    link: https://medlineplus.gov/druginfo/meds/a000001.html\n",
        "    link: medlineplus.gov/druginfo/meds/a000001.html\n",
        "reference 3: link must start with https:// or http://",
        ("references", 1, "link"),
        id="no-scheme-link-in-reference",
    ),
    pytest.param(
        "    link: https://medlineplus.gov/druginfo/meds/a000002.html\n",
        "    link: http://medlineplus.gov/druginfo/meds/a000002.html\n",
        "drug 'alphazine': link must start with https://",
        ("drugs", 0, "link"),
        id="http-link-in-drug",
    ),
    pytest.param(
        "  - id: alphazine\n",
        "  - id: Alphazine\n",
        "drug: id 'Alphazine' must be lowercase letters, digits and dashes",
        ("drugs", 0, "id"),
        id="drug-id-uppercase",
    ),
    pytest.param(
        "  - id: alphazine\n",
        "  - id: alpha zine\n",
        "drug: id 'alpha zine' must be lowercase letters, digits and dashes",
        ("drugs", 0, "id"),
        id="drug-id-with-space",
    ),
    pytest.param(
        "  - id: about\n",
        "  - id: About_us\n",
        "general entry: id 'About_us' must be lowercase letters, digits and dashes",
        ("general", 0, "id"),
        id="general-id-underscore",
    ),
    pytest.param(
        "  - id: D1\n",
        '  - id: ""\n',
        "reference: 'id' is empty",
        ("references", 3, "id"),
        id="reference-id-empty",
    ),
    pytest.param(
        "    names: [alphazine, Alphabrand]\n",
        "    names: alphazine, Alphabrand\n",
        "drug 'alphazine': 'names' must be a list",
        ("drugs", 0, "names"),
        id="names-not-a-list",
    ),
    pytest.param(
        "    names: [alphazine, Alphabrand]\n",
        "    names: []\n",
        "drug 'alphazine': 'names' is empty",
        ("drugs", 0, "names"),
        id="names-empty",
    ),
    pytest.param(
        "    entries: []\n",
        "    entries: none\n",
        "drug 'betamab': 'entries' must be a list",
        ("drugs", 1, "entries"),
        id="entries-not-a-list",
    ),
    pytest.param(
        "    entries: []\n",
        "",
        "drug 'betamab': missing 'entries'",
        ("drugs", 1),
        id="missing-entries",
    ),
    pytest.param(
        '    overview:\n      answer: "Betamab is an immunosuppressant [page]."\n'
        "      references: [page]\n",
        "",
        "drug 'betamab': missing 'overview'",
        ("drugs", 1),
        id="missing-overview",
    ),
    pytest.param(
        CAUTION_BLOCK,
        "",
        "missing 'caution'",
        (),
        id="missing-caution",
    ),
    pytest.param(
        URGENT_BLOCK,
        "",
        "missing 'urgent'",
        (),
        id="missing-urgent",
    ),
    pytest.param(
        DRUGS_BLOCK,
        "",
        "missing 'drugs'",
        (),
        id="missing-drugs",
    ),
    pytest.param(
        DRUGS_BLOCK,
        "drugs: []\n",
        "no drugs",
        ("drugs",),
        id="no-drugs",
    ),
    pytest.param(
        "    title: Side effects\n",
        "",
        "topic 'side-effects': missing 'title'",
        ("topics", 0),
        id="topic-without-title",
    ),
    pytest.param(
        "    phrases: [side effects, make me tired]\n",
        "    phrases: side effects\n",
        "topic 'side-effects': 'phrases' must be a list",
        ("topics", 0, "phrases"),
        id="topic-phrases-not-a-list",
    ),
    pytest.param(
        "        phrases: [four months]\n",
        "        phrases: []\n",
        "topic 'time-to-work' of 'alphazine': 'phrases' is empty",
        ("drugs", 0, "entries", 0, "phrases"),
        id="entry-phrases-empty",
    ),
    pytest.param(
        "    title: Pregnancy and breastfeeding\n",
        "",
        "general entry 'pregnancy': missing 'title'",
        ("general", 1),
        id="general-entry-without-title",
    ),
    pytest.param(
        '    citation: "Wikipedia: Alphazine"\n',
        "",
        "reference 1: missing 'citation'",
        ("references", 0),
        id="reference-without-citation",
    ),
    pytest.param(
        "  references: [3]\nurgent:\n",
        "  references: 3\nurgent:\n",
        "caution: 'references' must be a list",
        ("caution", "references"),
        id="references-not-a-list",
    ),
    pytest.param(
        "        references: [1, D1]\n",
        "        references: [1, {id: D1}]\n",
        "every item of 'references' must be non-empty text",
        ("drugs", 0, "entries", 0, "references", 1),
        id="reference-item-not-text",
    ),
    pytest.param(
        "other_drugs: [tacrolimus, everolimus]\n",
        "other_drugs: tacrolimus\n",
        "other_drugs: 'other_drugs' must be a list",
        ("other_drugs",),
        id="other-drugs-not-a-list",
    ),
    pytest.param(
        TOPICS_BLOCK,
        "topics: side-effects\n",
        "'topics' must be a list",
        ("topics",),
        id="topics-not-a-list",
    ),
]


@pytest.mark.parametrize(("old", "new", "loader_says", "schema_path"), BOTH_REJECT)
def test_schema_and_loader_both_reject(
    tmp_path: Path, old: str, new: str, loader_says: str, schema_path: tuple[Any, ...]
) -> None:
    text = edit(VALID, old, new)
    path = write(tmp_path, text)

    errors = schema_errors(text)
    problems = loader_problems(path)

    assert errors, "the schema accepts it"
    assert schema_path in error_paths(errors), [
        (p, e.message) for p, e in zip(error_paths(errors), errors, strict=True)
    ]
    assert_located(problems, path)
    assert any(loader_says in problem for problem in problems), problems


#: What only the loader can catch: the schema checks one value at a time, not how values
#: relate (markers vs references, ids used twice, names shared between drugs).
LOADER_ONLY = [
    pytest.param(
        '        answer: "Alphazine can make you tired [3]."\n        references: [3]\n',
        '        answer: "Alphazine can make you tired [7]."\n        references: [7]\n',
        "topic 'side-effects' of 'alphazine': unknown reference 7",
        id="unknown-reference-id",
    ),
    pytest.param(
        '        answer: "Alphazine can make you tired [3]."\n',
        '        answer: "Alphazine can make you tired [3][D1]."\n',
        "topic 'side-effects' of 'alphazine': marker [D1] is not in its 'references'",
        id="marker-not-listed",
    ),
    pytest.param(
        '        answer: "Alphazine can make you tired [3]."\n        references: [3]\n',
        '        answer: "Alphazine can make you tired [3]."\n        references: [3, 1]\n',
        "reference 1 is listed but never cited in the answer",
        id="reference-listed-not-cited",
    ),
    pytest.param(
        "  - id: betamab\n",
        "  - id: alphazine\n",
        "duplicate drug id",
        id="duplicate-drug-id",
    ),
    pytest.param(
        "  - id: D1\n",
        "  - id: page\n",
        "duplicate reference id",
        id="duplicate-reference-id",
    ),
    pytest.param(
        "  - id: time-to-work\n    title:",
        "  - id: side-effects\n    title:",
        "duplicate topic id",
        id="duplicate-topic-id",
    ),
    pytest.param(
        "  - id: pregnancy\n",
        "  - id: about\n",
        "general entry 'about': duplicate id",
        id="duplicate-general-id",
    ),
    pytest.param(
        "      - id: time-to-work\n",
        "      - id: side-effects\n",
        "topic 'side-effects' of 'alphazine': duplicate topic",
        id="two-entries-for-one-topic",
    ),
    pytest.param(
        "      - id: time-to-work\n",
        "      - id: dosing\n",
        "topic 'dosing' of 'alphazine': unknown topic",
        id="entry-of-undeclared-topic",
    ),
    pytest.param(
        "    names: [betamab]\n",
        "    names: [betamab, ALPHABRAND]\n",
        "drug 'betamab': name 'ALPHABRAND' is already a name of drug 'alphazine'",
        id="name-claimed-by-two-drugs",
    ),
    pytest.param(
        "    name: Betamab\n",
        "    name: Betamab\n    name: Betamab XR\n",
        "drug: key 'name' appears twice",
        id="duplicate-key",
    ),
]


@pytest.mark.parametrize(("old", "new", "loader_says"), LOADER_ONLY)
def test_schema_accepts_what_only_the_loader_can_catch(
    tmp_path: Path, old: str, new: str, loader_says: str
) -> None:
    text = edit(VALID, old, new)
    path = write(tmp_path, text)

    problems = loader_problems(path)

    assert schema_errors(text) == []
    assert_located(problems, path)
    assert any(loader_says in problem for problem in problems), problems


#: Lenient corners of the loader that the schema mirrors on purpose.
BOTH_ACCEPT = [
    pytest.param(
        "    title: Side effects\n",
        "    title: 2024\n",
        id="number-as-text",
    ),
    pytest.param(
        "    phrases: [how long, kick in]\n",
        "    phrases: [how long, 4, true]\n",
        id="numbers-and-booleans-as-phrases",
    ),
    pytest.param(
        "  - id: betamab\n",
        "  - id: 42\n",
        id="number-as-drug-id",
    ),
    pytest.param(
        "  - id: 3\n",
        '  - id: "3"\n',
        id="reference-id-as-quoted-number",
    ),
    pytest.param(
        "other_drugs: [tacrolimus, everolimus]\n",
        "other_drugs: []\n",
        id="empty-other-drugs",
    ),
    pytest.param(
        "    phrases: [side effects, make me tired]\n",
        "    phrases: []\n",
        id="topic-with-empty-phrases",
    ),
    pytest.param(
        "    phrases: [side effects, make me tired]\n",
        "",
        id="topic-without-phrases",
    ),
    pytest.param(
        "other_drugs: [tacrolimus, everolimus]\n",
        "",
        id="no-other-drugs",
    ),
    pytest.param(
        "  phrases: [fever, chills]\n",
        "",
        id="urgent-without-phrases",
    ),
    pytest.param(
        "  title: A word of caution\n",
        "  id: anything\n",
        id="caution-ignored-id-and-default-title",
    ),
    pytest.param(
        "  answer: >-\n    They can raise the risk of infections [3].\n"
        "    General information, not medical advice.\n  references: [3]\n",
        "  answer: General information, not medical advice.\n  references: []\n",
        id="empty-references",
    ),
    pytest.param(
        "    link: https://medlineplus.gov/druginfo/meds/a000002.html\n",
        "",
        id="drug-without-link",
    ),
]


@pytest.mark.parametrize(("old", "new"), BOTH_ACCEPT)
def test_schema_and_loader_both_accept(tmp_path: Path, old: str, new: str) -> None:
    text = edit(VALID, old, new)

    assert schema_errors(text) == []
    load_knowledge(write(tmp_path, text))


# --------------------------------------------------------------------------- known differences

#: Where the schema and the loader must differ. The loader keeps each scalar's text as
#: written and collapses spaces; the schema sees PyYAML's (or the editor's) typed values.
#: (old, new, accepted by the schema, accepted by the loader).
KNOWN_DIFFERENCES = [
    # PyYAML reads `no` as false; the loader reads the text "no", a valid id.
    pytest.param("  - id: betamab\n", "  - id: no\n", False, True, id="boolean-looking-id"),
    # The loader strips the spaces, the schema's pattern does not.
    pytest.param("  - id: betamab\n", '  - id: " betamab "\n', False, True, id="spaced-id"),
    pytest.param(
        "    link: https://medlineplus.gov/druginfo/meds/a000002.html\n",
        '    link: " https://medlineplus.gov/druginfo/meds/a000002.html"\n',
        False,
        True,
        id="spaced-link",
    ),
    # PyYAML reads a date, not text; the loader keeps "2024-01-01".
    pytest.param("    name: Betamab\n", "    name: 2024-01-01\n", False, True, id="date-as-text"),
    # Reference ids are integer or text in the schema; the loader takes any scalar (a
    # reference "1.5" can never be cited, as markers hold no dot).
    pytest.param(
        "  - id: page\n",
        '  - id: 1.5\n    citation: "Never cited."\n  - id: page\n',
        False,
        True,
        id="float-reference-id",
    ),
    # PyYAML reads +1 as the integer 1; the loader reads "+1", not a valid id.
    pytest.param("  - id: betamab\n", "  - id: +1\n", True, False, id="signed-number-id"),
]


@pytest.mark.parametrize(("old", "new", "schema_accepts", "loader_accepts"), KNOWN_DIFFERENCES)
def test_known_differences(
    tmp_path: Path, old: str, new: str, schema_accepts: bool, loader_accepts: bool
) -> None:
    text = edit(VALID, old, new)
    path = write(tmp_path, text)

    assert (schema_errors(text) == []) is schema_accepts
    if loader_accepts:
        load_knowledge(path)
    else:
        assert_located(loader_problems(path), path)


def test_folder_part_file_fails_the_schema_alone(tmp_path: Path) -> None:
    """A folder's files are merged: one holds caution and urgent, another may add drugs only.

    The loader accepts the folder, but the schema checks one file at a time and requires
    caution, urgent and drugs, so a part file without them is flagged in the editor. Such a
    file should not carry the schema modeline.
    """
    write(tmp_path, VALID, "1-base.yaml")
    part = (
        "drugs:\n"
        "  - id: gammacort\n"
        "    name: Gammacort\n"
        "    names: [gammacort]\n"
        "    overview:\n"
        '      answer: "Gammacort is an immunosuppressant [page]."\n'
        "      references: [page]\n"
        "    entries: []\n"
    )
    write(tmp_path, part, "2-more.yaml")

    kb = load_knowledge(tmp_path)

    assert [drug.id for drug in kb.drugs] == ["alphazine", "betamab", "gammacort"]
    # A file is either facts (caution, urgent and drugs) or a language (vocabulary and cues).
    (error,) = schema_errors(part)
    assert error.message.endswith("is not valid under any of the given schemas")
