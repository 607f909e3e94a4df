"""The phrase index: phrases of an any-form cue in every form of their words."""

from __future__ import annotations

import pytest

from bot.knowledge import KnowledgeBase
from bot.lexicon import english_words
from bot.phrase_index import MAX_FORMS_PER_PHRASE, PhraseIndex, every_form, word_forms_of
from bot.text import words_of

FORMS = word_forms_of(["want wants wanting", "my his her", "die dies dying"])


@pytest.mark.parametrize(
    ("phrase", "expected"),
    [
        ("end it", ["end it"]),
        ("want out", ["want out", "wants out", "wanting out"]),
        (
            "end my life",
            ["end my life", "end his life", "end her life"],
        ),
        (
            "want to die",
            [
                "want to die",
                "want to dies",
                "want to dying",
                "wants to die",
                "wants to dies",
                "wants to dying",
                "wanting to die",
                "wanting to dies",
                "wanting to dying",
            ],
        ),
    ],
)
def test_every_form_gives_the_phrase_first_then_each_other_form(
    phrase: str, expected: list[str]
) -> None:
    assert list(every_form(phrase, FORMS)) == expected


def test_every_form_stops_at_its_limit_and_keeps_the_phrase() -> None:
    many = word_forms_of(["a b c d e f"])
    forms = list(every_form("a a a a", many))
    assert forms[0] == "a a a a"
    assert len(forms) == MAX_FORMS_PER_PHRASE
    assert len(set(forms)) == len(forms)


@pytest.mark.parametrize(
    ("phrase", "kind", "weight"),
    [
        # A question's frame alone weighs as one word, however many words it has.
        ("is it safe", "topic", 1),
        ("how safe", "topic", 1),
        # A phrase that names something weighs its words.
        ("safe in pregnancy", "topic", 3),
        ("how to take", "topic", 3),
    ],
)
def test_a_phrase_of_only_frame_words_weighs_as_one_word(
    kb: KnowledgeBase, phrase: str, kind: str, weight: int
) -> None:
    index = PhraseIndex(kb, english_words, kb.language.common_words)
    targets = index.phrases[tuple(words_of(phrase))]
    assert {t.weight for t in targets if t.kind == kind} == {weight}
