"""English words: real words are never typos, typos of English are not unknown names."""

from __future__ import annotations

from bot.lexicon import EnglishWords, english_words


def test_small_lexicon() -> None:
    lexicon = EnglishWords({"fewer": 10, "because": 50, "fever": 20})
    assert lexicon.is_word("fewer")
    assert not lexicon.is_word("prograf")
    assert lexicon.near_word("becuase")
    assert not lexicon.near_word("prograf")
    assert len(lexicon) == 3


def test_words_in_frequency_order_are_accepted() -> None:
    lexicon = EnglishWords(["because", "people"])
    assert lexicon.near_word("peeple")


def test_the_real_english_list() -> None:
    lexicon = english_words()
    assert english_words() is lexicon  # loaded once
    assert len(lexicon) > 100_000
    for word in ("fewer", "tummy", "grapefruit", "kidneys"):
        assert lexicon.is_word(word), word
    for name in ("afinitor", "zorblex"):
        assert not lexicon.is_word(name) and not lexicon.near_word(name), name
    # One letter from "program": the typo check cannot tell; the knowledge file's list
    # of drugs we do not cover names it instead.
    assert lexicon.near_word("prograf")
