"""Teaching a phrase: the YAML is edited in place, only the phrase is added."""

from __future__ import annotations

import pytest
import yaml

from bot.knowledge import load_knowledge
from bot.teach import TeachError, add_phrase, suggest_phrase
from tests.test_knowledge import REAL_FILE

FLOW = """\
drugs:
  - id: alpha
    entries:
      - id: side-effects   # a comment stays
        phrases: [tired, "sleepy"]
        answer: x
"""
BLOCK = """\
drugs:
  - id: alpha
    entries:
      - id: side-effects
        phrases:
          - tired
          - sleepy
        answer: x
"""
NONE = """\
drugs:
  - id: alpha
    entries:
      - id: side-effects
        answer: x
"""


@pytest.mark.parametrize(
    ("text", "phrase", "expected"),
    [
        (FLOW, "wobbly legs", FLOW.replace('"sleepy"]', '"sleepy", wobbly legs]')),
        (BLOCK, "wobbly legs", BLOCK.replace("- sleepy\n", "- sleepy\n          - wobbly legs\n")),
        (
            NONE,
            "wobbly legs",
            NONE.replace("side-effects\n", "side-effects\n        phrases: [wobbly legs]\n"),
        ),
        (FLOW, "yes", FLOW.replace('"sleepy"]', '"sleepy", "yes"]')),
        (FLOW, "  extra   spaces ", FLOW.replace('"sleepy"]', '"sleepy", extra spaces]')),
    ],
)
def test_add_phrase(text: str, phrase: str, expected: str) -> None:
    result = add_phrase(text, "alpha", "side-effects", phrase)
    assert result == expected
    entry = yaml.safe_load(result)["drugs"][0]["entries"][0]
    assert entry["phrases"][-1] == " ".join(phrase.split())


@pytest.mark.parametrize(
    ("drug", "topic", "phrase", "message"),
    [
        ("alpha", "side-effects", "tired", "'tired' is already a phrase of 'alpha.side-effects'"),
        ("alpha", "dosing", "x", "no entry 'dosing' of 'alpha' in this file"),
        ("beta", "side-effects", "x", "no entry 'side-effects' of 'beta' in this file"),
        ("alpha", "side-effects", " ", "a phrase is 1 to 8 words"),
        (
            "alpha",
            "side-effects",
            "one two three four five six seven eight nine",
            "a phrase is 1 to 8 words",
        ),
    ],
)
def test_add_phrase_refuses(drug: str, topic: str, phrase: str, message: str) -> None:
    with pytest.raises(TeachError) as caught:
        add_phrase(FLOW, drug, topic, phrase)
    assert str(caught.value) == message


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Can I drink wine on Imuran?", "can i drink wine on"),
        ("azathioprine", "azathioprine"),
        ("why are my legs so wobbly", "why are my legs so wobbly"),
    ],
)
def test_suggest_phrase_leaves_out_the_drugs_names(question: str, expected: str) -> None:
    drug = load_knowledge(REAL_FILE).drug("azathioprine")
    assert drug is not None
    assert suggest_phrase(question, drug) == expected
