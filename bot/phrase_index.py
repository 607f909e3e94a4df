"""The phrase index: every topic, entry and cue phrase, found word by word in a message.

Phrases are looked up in a hash table, one lookup per word that could start one,
whatever the size of the knowledge. A word the index does not know is compared
once with the index's words of reachable length, to forgive a typo ("diziness").
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from rapidfuzz import process
from rapidfuzz.distance import OSA

from bot.knowledge import KnowledgeBase
from bot.lexicon import EnglishWords
from bot.text import edit_limit, normalize, words_of

__all__ = ["LONGEST_WORD", "PhraseHit", "PhraseIndex", "Target"]

MAX_PHRASE_WORDS = 6
#: The most forms one phrase of an ``any-form`` cue is indexed under: a phrase of six
#: words, each with five forms, would otherwise be thousands of entries.
MAX_FORMS_PER_PHRASE = 64
#: No drug name or topic word is longer than this: longer words are never compared.
LONGEST_WORD = 30


@dataclass(frozen=True)
class Target:
    """What a phrase points to."""

    kind: str  # "topic", "entry", "general" or "cue"
    key: str
    weight: int


#: A phrase found in a message: where it starts, how many words, what it points to.
PhraseHit = tuple[int, int, list[Target]]


class PhraseIndex:
    """Phrases by their words, and the words they are made of (the vocabulary)."""

    def __init__(
        self, kb: KnowledgeBase, english: Callable[[], EnglishWords], common: Iterable[str]
    ) -> None:
        """Index the phrases of every topic, entry, class entry and cue of ``kb``."""
        self._english = english
        self.phrases: dict[tuple[str, ...], list[Target]] = {}
        self._indexed: set[tuple[tuple[str, ...], str, str]] = set()
        #: A topic phrase made only of a question's frame ("is it safe") weighs as one
        #: word, so that it never outweighs a phrase that names something ("is it
        #: safe to take it while pregnant").
        self._frame = frozenset(kb.language.frame_words)
        for topic in kb.topics:
            self._add(topic.phrases, "topic", topic.id)
        for drug in kb.drugs:
            for entry in drug.entries:
                self._add(entry.phrases, "entry", entry.key)
        # A class entry's phrase that names a medicine we do not cover ("myfortic") asks
        # no topic: the entry follows that medicine's "not covered" line, and nothing else.
        others = {normalize(name) for name in kb.other_drugs}
        for entry in kb.general:
            asked = tuple(p for p in entry.phrases if normalize(p) not in others)
            self._add(asked, "general", entry.topic_id)
        forms = word_forms_of(kb.language.word_forms)
        #: Words an ``any-form`` cue's phrases are also found without ("really").
        self.fillers = frozenset(kb.language.phrase_fillers)
        #: The cues whose phrases are found in every form and past fillers.
        self.any_form = frozenset(c.id for c in kb.language.cues if c.any_form)
        for cue in kb.language.cues:
            phrases = cue.phrases
            if cue.any_form:
                phrases = tuple(p for phrase in phrases for p in every_form(phrase, forms))
                # Also without fillers, as the message is read without them.
                phrases += tuple(
                    " ".join(w for w in p.split() if w not in self.fillers) for p in phrases
                )
            self._add(phrases, "cue", cue.id)
        self._indexed.clear()  # only needed while building
        self._prefixes = frozenset(key[:n] for key in self.phrases for n in range(1, len(key) + 1))
        phrase_words = {w for key in self.phrases for w in key}
        #: Every word the bot knows as a word, never a drug name or a typo.
        self.vocabulary = frozenset(phrase_words | set(common))
        self._by_letter: dict[tuple[str, int], list[str]] = {}
        for word in sorted(w for w in phrase_words if len(w) >= 4):
            self._by_letter.setdefault((word[0], len(word)), []).append(word)
        self._cache: dict[str, str] = {}

    def _add(self, phrases: Iterable[str], kind: str, key: str) -> None:
        for phrase in phrases:
            words = words_of(phrase)
            if not words:
                continue
            phrase_key = words[:MAX_PHRASE_WORDS]
            if (phrase_key, kind, key) in self._indexed:
                continue
            self._indexed.add((phrase_key, kind, key))
            weight = len(words)
            if kind != "cue" and self._frame.issuperset(words):
                weight = 1
            self.phrases.setdefault(phrase_key, []).append(Target(kind, key, weight))

    def clear_cache(self) -> None:
        """Forget the words looked up so far."""
        self._cache.clear()

    def correct(self, word: str) -> str:
        """Return the vocabulary word a misspelt word most likely meant (or the word)."""
        if word in self.vocabulary or not 5 <= len(word) <= LONGEST_WORD or not word.isalpha():
            return word
        if self._english().is_word(word):
            # "fewer" is a word of its own, never a typo of "fever".
            return word
        cached = self._cache.get(word)
        if cached is not None:
            return cached
        limit = edit_limit(word)
        # Only words of a length within reach of ``limit`` edits can be the one meant.
        best: tuple[str, float, int] | None = None
        for length in range(len(word) - limit, len(word) + limit + 1):
            bucket = self._by_letter.get((word[0], length), ())
            found = process.extractOne(word, bucket, scorer=OSA.distance, score_cutoff=limit)
            if found is not None and (best is None or found[1] < best[1]):
                best = found
        corrected = best[0] if best is not None else word
        if len(self._cache) < 100_000:
            self._cache[word] = corrected
        return corrected

    def hits_past_fillers(self, words: list[str]) -> tuple[list[str], list[PhraseHit]]:
        """Return ``words`` without filler words, and the ``any-form`` cues' phrases in them.

        "I don't really want to live": "dont want to live". No hits when ``words`` has
        no fillers: there is nothing new to find.
        """
        plain = [w for w in words if w not in self.fillers]
        if len(plain) == len(words):
            return plain, []
        found: list[PhraseHit] = []
        for i, size, targets in self.hits(plain):
            kept = [t for t in targets if t.kind == "cue" and t.key in self.any_form]
            if kept:
                found.append((i, size, kept))
        return plain, found

    def hits(self, words: list[str]) -> list[PhraseHit]:
        """Return every phrase that starts at each word, longest first."""
        found: list[PhraseHit] = []
        for i in range(len(words)):
            for size in range(1, min(MAX_PHRASE_WORDS, len(words) - i) + 1):
                chunk = tuple(words[i : i + size])
                if chunk not in self._prefixes:
                    break
                targets = self.phrases.get(chunk)
                if targets:
                    found.append((i, size, targets))
        found.sort(key=lambda hit: -hit[1])
        return found


def word_forms_of(groups: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """Return each word of the ``word-forms`` groups with every word of its group."""
    forms: dict[str, tuple[str, ...]] = {}
    for group in groups:
        words = tuple(dict.fromkeys(group.split()))
        for word in words:
            forms[word] = words
    return forms


def every_form(phrase: str, forms: dict[str, tuple[str, ...]]) -> Iterator[str]:
    """Yield ``phrase`` first, then the phrase with its words in their other forms.

    "want to die" gives "wants to die", "wanting to die"...; at most
    ``MAX_FORMS_PER_PHRASE`` phrases in all, the phrase as written always among them.
    """
    choices = [forms.get(word, (word,)) for word in phrase.split()]
    yield phrase
    for words in itertools.islice(itertools.product(*choices), MAX_FORMS_PER_PHRASE):
        variant = " ".join(words)
        if variant != phrase:
            yield variant
