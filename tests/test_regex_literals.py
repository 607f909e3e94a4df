"""The words a pattern cannot match without, read from the pattern itself."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.knowledge import KnowledgeBase
from bot.regex_literals import required_words, text_words
from bot.text import normalize


@pytest.mark.parametrize(
    ("pattern", "words"),
    [
        # A run of letters (with its spaces), or one of a group of alternatives.
        (r"\b(lethal|fatal) dose\b", (" dose",)),
        (r"\b(lethal|fatal|deadly)\b", ("deadly", "fatal", "lethal")),
        # Lookarounds require nothing; what follows them does.
        (r"^(?!.*\bno\b).*\b(fever|chills)\b", ("chills", "fever")),
        # A group that may be left out requires nothing; a repeated one does.
        (r"\b(very )?(pale|yellow) skin\b", (" skin",)),
        (r"(abc)+d", ("abc",)),
        # Nothing long enough to be worth looking for first.
        (r"\b(a|b) \d+\b", None),
        (r"\d+ ?k\b", None),
        # An alternative with no word of its own: no list at all.
        (r"\b(lethal|\d+)\b", None),
    ],
)
def test_required_words(pattern: str, words: tuple[str, ...] | None) -> None:
    assert required_words(re.compile(pattern)) == words


@pytest.mark.parametrize(
    ("pattern", "in_match", "in_text"),
    [
        # A look-ahead that must hold: its words are in the text, not in the (empty) match.
        (r"^(?!.*\bif\b)(?=.*\b(typo|meant))", None, ("meant", "typo")),
        # A look-behind that must hold, likewise.
        (r"(?<=\bpassing )blood\b", ("blood",), ("passing ",)),
        # Alternatives that share a start are parsed as that start, then the rest of each
        # ("p" then "lt|latelet"): the text holds the start joined with one of them.
        (r"\b(plt|platelets?)\b", None, ("platelet", "plt")),
        (r"\bpl(t|atelets?)( count)?\b", None, ("platelet", "plt")),
        # A look-ahead that must not hold requires nothing, in the match or the text.
        (r"^(?!.*\bnever\b).*\bfever\b", ("fever",), ("fever",)),
    ],
)
def test_text_words_count_what_a_lookaround_needs(
    pattern: str, in_match: tuple[str, ...] | None, in_text: tuple[str, ...] | None
) -> None:
    compiled = re.compile(pattern)
    assert (required_words(compiled), text_words(compiled)) == (in_match, in_text)


def test_a_pattern_that_ignores_case_is_searched_as_it_is() -> None:
    flagged = re.compile(r"\bfever\b", re.IGNORECASE)
    assert (required_words(flagged), text_words(flagged)) == (None, None)


def _patterns(kb: KnowledgeBase) -> list[re.Pattern[str]]:
    return [
        p
        for cue in kb.language.cues
        for p in (*cue.patterns, *(q for s in cue.signals for q in s.patterns))
    ]


def test_every_match_of_the_knowledge_holds_one_of_its_words(kb: KnowledgeBase) -> None:
    # Every example and counter-example of every cue, against every pattern: where a
    # pattern matches, the words said to be required are there.
    texts = [
        normalize(t) for cue in kb.language.cues for t in (*cue.examples, *cue.counter_examples)
    ]
    for pattern in _patterns(kb):
        for words in (required_words(pattern), text_words(pattern)):
            if words is None:
                continue
            for text in texts:
                if pattern.search(text):
                    assert any(w in text for w in words), (pattern.pattern, text)


@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz 0123456789", max_size=60))
def test_a_match_always_holds_a_required_word(text: str) -> None:
    pattern = re.compile(r"\b(die|dying|dead) (of|from) (the )?(heat|shame)\b")
    words = required_words(pattern)
    assert words is not None
    if pattern.search(text):
        assert any(w in text for w in words)
