"""Text normalisation: fold a message into the words every reading stage works on."""

from __future__ import annotations

import re
import unicodedata

__all__ = ["edit_limit", "normalize", "stem", "words_of"]


# What is not part of a word. The vowel signs of Indic scripts and Thai are marks, not
# letters, so ``\w`` alone would cut "जीना" into "ज न"; they stay inside their word
# (Devanagari's danda, its full stop, does not).
_NOT_WORD = re.compile(r"[^\w\u0900-\u0963\u0966-\u0dff\u0e31\u0e34-\u0e3a\u0e47-\u0e4e]+|_")


#: Digits grouped the Indian way: "1,50,000", "12,34,567" (a two-digit group or more).
_INDIAN_GROUPS = re.compile(r"(?<![\d,.])\d{1,2}(?:,\d{2})+,\d{3}(?![\d,])")


def normalize(text: str) -> str:
    """Fold a question to lowercase words and digits separated by single spaces.

    Args:
        text: any Unicode text.

    Returns:
        The folded text; apostrophes vanish inside words ("john's" -> "johns").
    """
    text = unicodedata.normalize("NFKC", text).casefold()
    text = re.sub("[\u2019'`\u00b4]", "", text)
    # A lab's "16x10^3/mm3" is the number 16 and its unit, as "16 x10^3" is.
    text = re.sub(r"(?<=\d)(?=x10)", " ", text)
    # An Indian lab's "1,50,000/cumm" groups digits in twos: it is 150000, never a 1.
    text = _INDIAN_GROUPS.sub(lambda m: m[0].replace(",", ""), text)
    text = _NOT_WORD.sub(" ", text)
    return " ".join(filter(None, map(_letters_and_their_marks, text.split())))


def _letters_and_their_marks(word: str) -> str:
    """Keep a word's letters, digits and the vowel signs after them (never one it starts
    with: a mark belongs to the letter before it; nor a code point Unicode leaves unassigned)."""
    if word.isascii():
        return word
    kept = "".join(c for c in word if c.isalnum() or unicodedata.category(c).startswith("M"))
    start = 0
    while start < len(kept) and not kept[start].isalnum():
        start += 1
    return kept[start:]


def words_of(phrase: str) -> tuple[str, ...]:
    """Return a phrase's words, folded and stemmed as a message's words are."""
    return tuple(stem(w) for w in normalize(phrase).split())


def stem(word: str) -> str:
    """Drop a plural ``s`` so that "kidneys" meets "kidney" (never on "-us", "-is", "-ss")."""
    if len(word) > 4 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def edit_limit(word: str) -> int:
    """How many typing mistakes a word of this length may carry and still be recognised."""
    if len(word) >= 12:
        return 3
    if len(word) >= 8:
        return 2
    return 1
