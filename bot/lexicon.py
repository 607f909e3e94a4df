"""Everyday English words, to tell a patient's ordinary words from names we do not know.

Two questions need it. Is "fewer" a word in its own right, or a typo of "fever"? (A
word of English is never "corrected".) And is "prograf" some medicine we have never
heard of? (A word that is neither ours, nor English, nor one typo away from a common
English word is treated as a name we do not know, so its question gets "not
covered" instead of the facts of a covered drug that happen to match its topic.)

The word list is pyspellchecker's English frequency list, loaded once, on first use.
"""

from __future__ import annotations

import functools
import gzip
import json
import logging
import threading
from collections.abc import Iterable, Mapping
from importlib import resources

from rapidfuzz import process
from rapidfuzz.distance import OSA

__all__ = ["EnglishWords", "english_words"]

logger = logging.getLogger(__name__)

# Typo detection compares with the most frequent words only: rare words are rarely
# what a patient meant, and the lists stay short enough to scan in microseconds.
_TYPO_TARGETS = 40_000


class EnglishWords:
    """A set of English words with a typo check against the most frequent of them."""

    def __init__(self, frequencies: Mapping[str, int] | Iterable[str]) -> None:
        """Index ``frequencies`` (word to count, or plain words in frequency order)."""
        if isinstance(frequencies, Mapping):
            ranked = sorted(frequencies, key=lambda w: -frequencies[w])
        else:
            ranked = list(frequencies)
        words = [w for w in ranked if w.isalpha()]
        self._words = frozenset(words)
        self._common = frozenset(words[:_TYPO_TARGETS])
        # Grouped by first letter and length: a word one edit away has the same first
        # letter (typos rarely change it) and a length within one of the typo's.
        buckets: dict[tuple[str, int], list[str]] = {}
        for word in words[:_TYPO_TARGETS]:
            if len(word) >= 4:
                buckets.setdefault((word[0], len(word)), []).append(word)
        self._buckets = buckets
        self._near: dict[str, bool] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._words)

    def is_word(self, word: str) -> bool:
        """Return True for a word of English ("fewer", "tummy")."""
        return word in self._words

    def is_common(self, word: str) -> bool:
        """Return True for one of the most frequent English words ("stating", "bacteria"),
        which a patient typed as itself, never as a misspelt medicine."""
        return word in self._common

    def near_word(self, word: str) -> bool:
        """Return True for one typo away from a common English word ("becuase")."""
        cached = self._near.get(word)
        if cached is not None:
            return cached
        result = False
        for length in (len(word) - 1, len(word), len(word) + 1):
            candidates = self._buckets.get((word[:1], length), ())
            if process.extractOne(word, candidates, scorer=OSA.distance, score_cutoff=1):
                result = True
                break
        with self._lock:
            if len(self._near) < 100_000:
                self._near[word] = result
        return result


def _load_frequencies() -> Mapping[str, int]:
    try:
        # The packaged list read directly: five times faster than building a SpellChecker.
        raw = resources.files("spellchecker.resources").joinpath("en.json.gz").read_bytes()
        data = json.loads(gzip.decompress(raw))
        if isinstance(data, dict) and data:
            return data
    except (OSError, ValueError, ModuleNotFoundError) as error:
        logger.debug("reading the word list directly failed (%s); using the public API", error)
    from spellchecker import SpellChecker

    return dict(SpellChecker(language="en", distance=1).word_frequency.dictionary)


_LOAD_LOCK = threading.Lock()


@functools.cache
def _english_words() -> EnglishWords:
    lexicon = EnglishWords(_load_frequencies())
    logger.debug("loaded %d English words", len(lexicon))
    return lexicon


def english_words() -> EnglishWords:
    """Return the English word list, loading it on first use (a fraction of a second).

    The lock makes a question that arrives while the start-up thread is loading the
    list wait for it, instead of loading it a second time.
    """
    with _LOAD_LOCK:
        return _english_words()
