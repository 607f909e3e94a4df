"""The language file: loaded, checked (examples run), diffed and reloaded like the facts."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot import live as live_module
from bot.changes import diff_knowledge
from bot.cue_examples import cue_example_problems
from bot.knowledge import DEFAULT_KNOWLEDGE_PATH, KnowledgeError, load_knowledge
from bot.live import LiveKnowledge, LoadedKnowledge
from bot.matching import Matcher
from tests.test_knowledge import edit, line_of, lines_of

GREETING_EXAMPLES = """    examples:
      - "hello there"
      - "good morning"
"""


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A copy of the shipped knowledge folder, to edit."""
    for source in DEFAULT_KNOWLEDGE_PATH.glob("*.yaml"):
        shutil.copy(source, tmp_path / source.name)
    return tmp_path


@pytest.fixture
def rules_folder(folder: Path) -> Path:
    """The shipped knowledge without its learned cue: the rules alone, to test a rule."""
    (folder / "learned-crisis.yaml").unlink()
    return folder


def rewrite(folder: Path, name: str, old: str, new: str) -> tuple[Path, str]:
    path = folder / name
    text = edit(path.read_text(encoding="utf-8"), old, new)
    path.write_text(text, encoding="utf-8")
    return path, text


def line_starting(text: str, start: str) -> int:
    """Return the number of the first line of ``text`` that starts with ``start``."""
    return next(n for n, got in enumerate(text.splitlines(), start=1) if got.startswith(start))


def problems(folder: Path) -> tuple[str, ...]:
    with pytest.raises(KnowledgeError) as info:
        LoadedKnowledge.load(folder)
    return info.value.problems


def test_the_shipped_language_keeps_every_example() -> None:
    loaded = LoadedKnowledge.load(DEFAULT_KNOWLEDGE_PATH)
    assert all(cue.examples for cue in loaded.kb.language.cues)


def test_an_example_that_does_not_fire_is_reported_with_its_line(folder: Path) -> None:
    path, text = rewrite(
        folder, "language.yaml", GREETING_EXAMPLES, GREETING_EXAMPLES + '      - "zzz nothing"\n'
    )
    line = line_of(text, "  - id: greeting")
    assert problems(folder) == (
        f"{path}:{line}: cue 'greeting': example \"zzz nothing\" does not fire",
    )


def test_a_counter_example_that_fires_is_reported(folder: Path) -> None:
    old = """    not:
      - "which painkiller is best for a headache"
"""
    path, text = rewrite(folder, "language.yaml", old, old + '      - "which one is fastest"\n')
    line = line_of(text, "  - id: across")
    assert problems(folder) == (
        f"{path}:{line}: cue 'across': \"which one is fastest\" fires but must not",
    )


def test_a_pattern_that_does_not_compile_is_an_error(folder: Path) -> None:
    path, text = rewrite(
        folder,
        "language.yaml",
        "      - '\\b(false alarm|ignore (that|my last|what i said)|forget (that|what i said))\\b'",
        "      - '\\b(false alarm|ignore (that'",
    )
    line = line_of(text, "      - '\\b(false alarm|ignore (that'")
    (problem,) = problems(folder)
    assert problem.startswith(f"{path}:{line}: cue 'corrected': pattern does not compile: ")


@pytest.mark.parametrize(
    ("old", "new", "role", "unknown"),
    [
        (
            "  side-effects: side-effects ",
            "  side-effects: side-efects ",
            "side-effects",
            "side-efects",
        ),
        (
            "  calm-topics: [surgery-and-dental,",
            "  calm-topics: [surgery-and-dentist,",
            "calm-topics",
            "surgery-and-dentist",
        ),
    ],
)
def test_a_role_naming_a_missing_topic_fails(
    folder: Path, old: str, new: str, role: str, unknown: str
) -> None:
    path, text = rewrite(folder, "immunosuppressants.yaml", old, new)
    line = line_starting(text, new)
    assert problems(folder) == (f"{path}:{line}: role '{role}': unknown topic '{unknown}'",)


def test_an_alert_for_a_cue_that_does_not_exist_fails(folder: Path) -> None:
    path, text = rewrite(
        folder, "immunosuppressants.yaml", "  - id: exposure\n", "  - id: exposures\n"
    )
    line = line_of(text, "  - id: exposures")
    assert problems(folder) == (f"{path}:{line}: alert 'exposures': no such cue",)


def test_an_alert_told_together_with_a_cue_that_does_not_exist_fails(folder: Path) -> None:
    path, text = rewrite(
        folder,
        "immunosuppressants.yaml",
        "      cues: [red-flag.bleeding,",
        "      cues: [red-flag.bleedin,",
    )
    line = line_of(text, "  - id: count.platelets-low")
    assert problems(folder) == (f"{path}:{line}: alert 'red-flag.bleedin': no such cue",)


def test_a_cue_overriding_an_unknown_cue_fails(folder: Path) -> None:
    path, text = rewrite(
        folder,
        "language.yaml",
        "    overrides: [dose]\n    topic: missed-dose\n",
        "    overrides: [doses]\n    topic: missed-dose\n",
    )
    line = line_of(text, "  - id: missed-dose")
    assert problems(folder) == (f"{path}:{line}: cue 'missed-dose': overrides unknown cue 'doses'",)


@pytest.mark.parametrize(
    ("spoken", "named"),
    [
        ("poisoning.extra-doses", "poisoning.extra-doses"),  # no such cue
        ("dose", "dose"),  # a cue, but not an urgent one
    ],
)
def test_a_cue_speaking_of_no_urgent_cue_fails(folder: Path, spoken: str, named: str) -> None:
    path, text = rewrite(
        folder,
        "language.yaml",
        "    speaks-of: [poisoning.extra-dose]\n",
        f"    speaks-of: [{spoken}]\n",
    )
    line = line_of(text, "  - id: extra-dose-spoken-of")
    assert problems(folder) == (
        f"{path}:{line}: cue 'extra-dose-spoken-of': speaks-of '{named}', which is no urgent cue",
    )


def test_a_missing_word_list_is_named(folder: Path) -> None:
    path, text = rewrite(folder, "language.yaml", "  dose-verbs:\n", "  dose-verb:\n")
    first_list = line_of(text, "  common-words:")
    misspelt = line_of(text, "  dose-verb:")
    (unknown, missing) = problems(folder)
    assert unknown.startswith(f"{path}:{misspelt}: vocabulary: unknown key 'dose-verb' (allowed: ")
    assert missing == f"{path}:{first_list}: vocabulary: missing 'dose-verbs'"


def test_the_diff_lists_cue_and_word_list_changes(folder: Path) -> None:
    before = load_knowledge(folder)
    rewrite(
        folder, "language.yaml", GREETING_EXAMPLES, GREETING_EXAMPLES + '      - "hiya there"\n'
    )
    rewrite(folder, "language.yaml", "[nae, naw, didnt,", "[nae, naw, nah, didnt,")
    after = load_knowledge(folder)
    lines = diff_knowledge(before, after).lines()
    assert "phrases changed: cue.greeting (+example hiya there)" in lines
    assert "phrases changed: vocabulary.negations (+nah)" in lines


def test_the_diff_lists_learned_message_changes(folder: Path) -> None:
    before = load_knowledge(folder)
    rewrite(folder, "learned-crisis.yaml", "  not:\n", "  not:\n  - is it ok with tea\n")
    after = load_knowledge(folder)
    assert (
        "phrases changed: learned-cue.crisis (+not is it ok with tea)"
        in diff_knowledge(before, after).lines()
    )


def test_a_reload_with_a_broken_example_changes_nothing(folder: Path) -> None:
    live = LiveKnowledge(folder)
    before = live.current
    rewrite(
        folder, "language.yaml", GREETING_EXAMPLES, GREETING_EXAMPLES + '      - "zzz nothing"\n'
    )
    with pytest.raises(KnowledgeError):
        live.reload()
    assert live.current is before
    assert "greeting" in {c.id for c in live.current.kb.language.cues}


def test_the_examples_of_the_same_bytes_run_once_and_a_failure_is_not_remembered(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    checked: list[int] = []

    def counted(matcher: Matcher) -> list[str]:
        checked.append(1)
        return cue_example_problems(matcher)

    monkeypatch.setattr(live_module, "cue_example_problems", counted)
    greeting_example = '      - "good evening"\n'
    rewrite(folder, "language.yaml", GREETING_EXAMPLES, GREETING_EXAMPLES + greeting_example)
    LoadedKnowledge.load(folder)
    LoadedKnowledge.load(folder)
    assert len(checked) == 1
    broken = GREETING_EXAMPLES + greeting_example + '      - "zzz nothing"\n'
    rewrite(folder, "language.yaml", GREETING_EXAMPLES + greeting_example, broken)
    for _ in range(2):
        with pytest.raises(KnowledgeError):
            LoadedKnowledge.load(folder)
    assert len(checked) == 3


# The crisis cue's threshold, told apart from other cues' by the comment above it.
CRISIS_COMMENT_END = "two of different kinds are.\n"
CRISIS_THRESHOLD = CRISIS_COMMENT_END + "    threshold: 3\n"


@pytest.mark.parametrize(
    ("old", "new", "at", "message"),
    [
        (
            CRISIS_THRESHOLD,
            CRISIS_COMMENT_END,
            "      - name: finality\n",
            "cue 'crisis': 'signals' needs a 'threshold'",
        ),
        (
            CRISIS_THRESHOLD,
            CRISIS_COMMENT_END + "    threshold: 1\n",
            "    threshold: 1\n",
            "cue 'crisis': 'threshold' must be a whole number of 2 or more",
        ),
        (
            "      - name: finality\n        weight: 2\n",
            "      - name: finality\n        weight: 3\n",
            "        weight: 3\n",
            "cue 'crisis': signal 'finality': 'weight' must be below the threshold (3):"
            " a hint enough alone is a pattern",
        ),
        (
            "      - name: finality\n        weight: 2\n",
            "      - name: finality\n        weight: 2\n        score: 1\n",
            "        score: 1\n",
            "cue 'crisis': signal 'finality': unknown key 'score'"
            " (allowed: name, patterns, weight)",
        ),
    ],
)
def test_a_badly_weighed_signal_is_named_with_its_line(
    folder: Path, old: str, new: str, at: str, message: str
) -> None:
    path, text = rewrite(folder, "language.yaml", old, new)
    line = line_of(text, at)
    assert f"{path}:{line}: {message}" in problems(folder)


@pytest.mark.parametrize(
    ("message", "crisis"),
    [
        # Two kinds of hint: finality and a question only a person at risk asks.
        ("if i stopped my tablets and let my platelets go to zero would it be quick", True),
        # One kind alone is nothing: a plain question, and finality said of a drug.
        ("would it be quick to get my g6pd result back", False),
        ("did my platelets drop to zero on purpose or is it the itp", False),
        # Denied hints do not count.
        ("im not a burden and im not ready to give up, whats the point of sun cream", False),
    ],
)
def test_signals_fire_only_when_their_weights_add_up(
    rules_folder: Path, message: str, crisis: bool
) -> None:
    loaded = LoadedKnowledge.load(rules_folder)
    assert ("crisis" in loaded.matcher.match(message).cues) is crisis


def test_a_signal_named_twice_is_named_at_the_second(folder: Path) -> None:
    path, text = rewrite(
        folder, "language.yaml", "      - name: own intent\n", "      - name: finality\n"
    )
    second = lines_of(text, "      - name: finality")[1]
    assert problems(folder) == (
        f"{path}:{second}: cue 'crisis': signal 'finality': duplicate signal name",
    )


@pytest.mark.parametrize(
    ("file", "old", "new", "at", "message"),
    [
        (
            "language.yaml",
            "[want wants wanting wanna,",
            "[want,",
            "    [want, wish wishes wishing, end ends ending, finish finishes finishing,",
            "vocabulary: word-forms 'want' needs two words or more",
        ),
        (
            "language.yaml",
            "here hear, wasnt werent,",
            "here hear, wasnt werent here,",
            "     here hear, wasnt werent here, im hes shes theyre]",
            "vocabulary: word-forms: 'here' is in 'here hear' and 'wasnt werent here'",
        ),
        (
            "learned-crisis.yaml",
            "  threshold: 0.66",
            "  threshold: 1.5",
            "  threshold: 1.5",
            "learned-cue: 'threshold' must be a number from 0.5 up to (not including) 1",
        ),
        (
            "learned-crisis.yaml",
            "  threshold: 0.66",
            "  threshold: sure",
            "  threshold: sure",
            "learned-cue: 'threshold' must be a number from 0.5 up to (not including) 1",
        ),
        (
            "learned-calm.yaml",
            "  min-words: 4",
            "  min-words: four",
            "  min-words: four",
            "learned-cue: 'min-words' must be a whole number from 1",
        ),
        (
            "learned-crisis.yaml",
            "  cue: crisis",
            "  cue: crises",
            "  cue: crises",
            "learned-cue: no such cue 'crises'",
        ),
        (
            "language.yaml",
            "    doubts: [red-flag.fever, red-flag.shingles,",
            "    doubts: [red-flag.fever, greeting, red-flag.shingles,",
            "  - id: no-emergency-told",
            "cue 'no-emergency-told': doubts 'greeting', which is no urgent cue",
        ),
        (
            "learned-crisis.yaml",
            "  threshold: 0.66",
            "  threshold: 0.66\n  weight: 2",
            "  weight: 2",
            "learned-cue: unknown key 'weight' (allowed: cue, doubt-below, examples, min-words,"
            " not, note, opposite, opposite-threshold, threshold)",
        ),
        (
            "learned-crisis.yaml",
            "  doubt-below: 0.05",
            "  doubt-below: 0.9",
            "  doubt-below: 0.9",
            "learned-cue: 'doubt-below' must be a number above 0 up to 0.5",
        ),
        (
            "learned-topics.yaml",
            "    missed-dose:\n",
            "    missed-doses:\n",
            "    missed-doses:",
            "learned-topics: unknown topic 'missed-doses'",
        ),
        (
            "learned-topics.yaml",
            "  threshold: 0.75",
            "  threshold: 0.3",
            "  threshold: 0.3",
            "learned-topics: 'threshold' must be a number from 0.5 up to (not including) 1",
        ),
        (
            "learned-topics.yaml",
            "  min-words: 4",
            "  min-words: 0",
            "  min-words: 0",
            "learned-topics: 'min-words' must be a whole number from 1",
        ),
        (
            "learned-topics.yaml",
            "  min-words: 4",
            "  min-words: 4\n  examples: []",
            "  examples: []",
            "learned-topics: unknown key 'examples' (allowed: min-words, note, threshold, topics)",
        ),
        (
            "language.yaml",
            "    quiets-only: [red-flag.fever]",
            "    quiets-only: [red-flag.fever, greeting]",
            "  - id: normal-temperature",
            "cue 'normal-temperature': quiets-only 'greeting', which is no urgent cue",
        ),
        (
            "language.yaml",
            "    quiets: always\n    quiets-only: [red-flag.fever]",
            "    quiets-only: [red-flag.fever]",
            "    quiets-only: [red-flag.fever]",
            "cue 'normal-temperature': 'quiets-only' needs 'quiets'",
        ),
        (
            "language.yaml",
            "    spares: [count.platelets-low]",
            "    spares: [count.platelets-low, greeting]",
            "  - id: time.resolved",
            "cue 'time.resolved': spares 'greeting', which is no urgent cue",
        ),
        (
            "language.yaml",
            "    quiets: always\n    spares: [count.platelets-low]",
            "    spares: [count.platelets-low]",
            "    spares: [count.platelets-low]",
            "cue 'time.resolved': 'spares' needs 'quiets'",
        ),
        (
            "language.yaml",
            '    timeless: true\n    reminds-after: true\n    overrides: [foreign-alarm, "dose"]',
            '    reminds-after: true\n    overrides: [foreign-alarm, "dose"]',
            "  - id: poisoning.extra-dose",
            "cue 'poisoning.extra-dose': 'reminds-after' needs 'urgent' and 'timeless'",
        ),
        (
            "language.yaml",
            "    reads-numbers: true\n    label: hb\n",
            "    reads-numbers: true\n",
            "  - id: hb-talk",
            "cue 'hb-talk': 'reads-numbers' needs 'label'",
        ),
        (
            "language.yaml",
            "    eases-crisis: true\n",
            "    eases-crisis: true\n    urgent: true\n",
            "  - id: crisis-in-hand",
            "cue 'crisis-in-hand': 'eases-crisis' cannot be 'urgent'",
        ),
        (
            "language.yaml",
            "  - id: going-round\n",
            "  - id: going-round\n    feeling: true\n",
            "  - id: going-round",
            "cue 'going-round': 'feeling' needs 'says', the sentence that hears it",
        ),
    ],
)
def test_a_bad_word_forms_group_or_learned_cue_is_named_with_its_line(
    folder: Path, file: str, old: str, new: str, at: str, message: str
) -> None:
    path, text = rewrite(folder, file, old, new)
    line = line_of(text, at)
    assert problems(folder) == (f"{path}:{line}: {message}",)


def test_a_cue_learned_twice_is_named_with_both_places(folder: Path) -> None:
    path, text = rewrite(folder, "learned-crisis.yaml", "  cue: crisis", "  cue: no-emergency-told")
    first = folder / "learned-calm.yaml"
    first_line = line_of(first.read_text(encoding="utf-8"), "  cue: no-emergency-told")

    assert problems(folder) == (
        f"{path}:{line_of(text, '  cue: no-emergency-told')}: learned-cue: cue"
        f" 'no-emergency-told' is learned in more than one file (first at {first}:{first_line})",
    )


ANY_FORM = "    urgent: true\n    any-form: true\n"


@pytest.mark.parametrize(
    "message",
    [
        # Each is one of the crisis cue's phrases with a word in another form.
        "I keep wishing I was dead since I started it",
        "I'm thinking about taking them all right now",
        "i dont want to be hear any more",
        "I keep thinking about swallowing them all",
        # A filler word inside a phrase ("dont want to live").
        "I don't really want to live any more",
    ],
)
def test_an_any_form_cue_finds_its_phrases_in_every_form(rules_folder: Path, message: str) -> None:
    assert "crisis" in LoadedKnowledge.load(rules_folder).matcher.match(message).cues
    rewrite(rules_folder, "language.yaml", ANY_FORM, "    urgent: true\n")
    # Examples that need the other forms would now fail `check`: built without them.
    assert "crisis" not in Matcher.build(load_knowledge(rules_folder)).match(message).cues


@pytest.mark.parametrize(
    ("old", "new", "at", "message"),
    [
        # A pattern naming a list the vocabulary does not have.
        (
            r"'\b{wish}\b(?!",
            r"'\b{wishes}\b(?!",
            r"      - '\b{wishes}\b(?!",
            "cue 'crisis': pattern names a word class the vocabulary lacks: wishes",
        ),
        # A list name that a pattern could not write.
        (
            "    wish: [want,",
            "    Wish: [want,",
            "    Wish: [want,",
            "vocabulary: word-classes: 'Wish' must be lowercase letters and hyphens",
        ),
    ],
)
def test_a_bad_word_class_is_named_with_its_line(
    folder: Path, old: str, new: str, at: str, message: str
) -> None:
    path, text = rewrite(folder, "language.yaml", old, new)
    # The line starts with ``at``; the rest of it is the long list or pattern.
    assert f"{path}:{line_starting(text, at)}: {message}" in problems(folder)


def test_a_word_added_to_a_class_counts_in_every_pattern_that_names_it(
    rules_folder: Path,
) -> None:
    message = "i keep yearning to be dead"
    assert "crisis" not in LoadedKnowledge.load(rules_folder).matcher.match(message).cues
    rewrite(rules_folder, "language.yaml", "    wish: [want,", "    wish: [yearning to, want,")
    assert "crisis" in LoadedKnowledge.load(rules_folder).matcher.match(message).cues


def test_a_message_added_to_the_learned_cue_is_heard(folder: Path) -> None:
    message = "the purple elephant has come for me tonight"
    assert "crisis" not in LoadedKnowledge.load(folder).matcher.match(message).cues
    rewrite(folder, "learned-crisis.yaml", "  examples:\n", f"  examples:\n  - {message}\n")
    assert "crisis" in LoadedKnowledge.load(folder).matcher.match(message).cues


def test_a_red_flag_told_with_a_crisis_only_the_model_heard_opens_the_reply(
    folder: Path,
) -> None:
    # The rules read the swallowed tablets; only the model hears the crisis. A guess
    # must never hide what to do now.
    message = "my toddler swallowed my dapsone and the purple elephant has come for me"
    rewrite(folder, "learned-crisis.yaml", "  examples:\n", f"  examples:\n  - {message}\n")
    loaded = LoadedKnowledge.load(folder)
    match = loaded.matcher.match(message)
    assert match.exclusive
    assert match.heard_with == ("poisoning.child",)

    answer = loaded.answer(message)

    assert answer.kind == "crisis"
    assert answer.notices[0].startswith("Call emergency services or your poison centre now")
    assert any("116 123" in notice for notice in answer.notices[1:])
