"""The drug-name index: which covered drugs, and which drugs we do not cover, a message names.

Names are read on whole words, never substrings, so a covered name inside another
drug's name (``sirolimus`` in ``temsirolimus``) never matches. Typos are forgiven by
edit distance, and only when no drug we do not cover is at least as close: that is
what keeps look-alike drugs out.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from rapidfuzz import process
from rapidfuzz.distance import OSA, Indel, Levenshtein

from bot.knowledge import KnowledgeBase
from bot.lexicon import EnglishWords
from bot.phrase_index import LONGEST_WORD
from bot.text import edit_limit, words_of

__all__ = ["DrugNameIndex", "NamesFound"]

_DOUBLED = re.compile(r"(.)\1+")


@dataclass
class NamesFound:
    """The names one message holds, and which of its words they take."""

    drugs: list[str] = field(default_factory=list)
    """Covered drug ids, in order of first mention."""
    others: list[str] = field(default_factory=list)
    """Names of drugs we do not cover, as the index knows them."""
    used: list[bool] = field(default_factory=list)
    """Words that are a covered drug's name."""
    other: list[bool] = field(default_factory=list)
    """Words that are a name we do not cover (still readable as a phrase)."""
    guessed: dict[int, str] = field(default_factory=dict)
    """Words read as a misspelt name we do not cover, by position: a piece of one of
    our names typed by voice may still claim them ("sigh closporin")."""


class DrugNameIndex:
    """Covered names and uncovered names, exact, multi-word, voice-typed and misspelt."""

    def __init__(
        self,
        kb: KnowledgeBase,
        vocabulary: frozenset[str],
        english: Callable[[], EnglishWords],
    ) -> None:
        """Index the names of ``kb``; ``vocabulary`` holds the words that are never names."""
        self._vocabulary = vocabulary
        self._english = english
        self._suffixes = kb.language.drug_suffixes
        self.names: dict[tuple[str, ...], str] = {}
        self.other_names: dict[tuple[str, ...], str] = {}
        for drug in kb.drugs:
            for name in drug.names:
                self.names[words_of(name)] = drug.id
        for name in kb.other_drugs:
            key = words_of(name)
            if key and key not in self.names:
                self.other_names[key] = name
        # The distinctive word of a several-word uncovered name stands for it alone
        # ("mycophenolic" of "mycophenolic acid"), so it is never read as a typo of ours.
        # Everyday words ("diabetes" of "diabetes tablets") never stand for a name.
        everyday = frozenset(w for c in kb.language.common_words for w in words_of(c))
        for key, name in list(self.other_names.items()):
            for word in key if len(key) > 1 else ():
                if (
                    len(word) >= 7
                    and word not in vocabulary
                    and word not in everyday
                    and (word,) not in self.names
                ):
                    self.other_names.setdefault((word,), name)
        self._single_names = [" ".join(k) for k in self.names if len(k) == 1]
        self._single_others = [" ".join(k) for k in self.other_names if len(k) == 1]
        self._names_by_letter = _by_first_letter(self._single_names)
        self._others_by_letter = _by_first_letter(self._single_others)
        self._name_starts = frozenset(n[:2] for n in self._single_names if len(n) >= 7)
        self._name_seconds = frozenset(n[1:3] for n in self._single_names if len(n) >= 7)
        self._glue_prefixes: dict[str, list[str]] = {}
        self._tails: dict[str, str] = {}
        for name in sorted(self._single_names, key=len, reverse=True):
            if len(name) >= 5:
                self._glue_prefixes.setdefault(name[:5], []).append(name)
            # Names that differ from a word only by its first letter ("sellcept").
            self._tails.setdefault(name[1:], name)
        self._sounds_like = kb.language.sounds_like
        # What each name sounds like, ours and not ours: a name typed by ear is ours
        # only when no name we do not cover sounds as close.
        self._sounds: dict[str, str] = {}
        for name in self._single_names:
            if len(name) >= 6:
                self._sounds.setdefault(self.sound(name), self.names[(name,)])
        self._other_sounds = frozenset(self.sound(n) for n in self._single_others if len(n) >= 6)
        self._sound_keys = list(self._sounds)
        self._near_ours = _OneEditIndex(self._sound_keys)
        self._near_others = _OneEditIndex(sorted(self._other_sounds))
        self._sound_starts = frozenset(k[:2] for k in self._sound_keys if len(k) >= 7)
        self._cache: dict[str, tuple[str, str] | None] = {}

    def clear_cache(self) -> None:
        """Forget the words looked up so far."""
        self._cache.clear()

    def unglue(self, word: str) -> str:
        """Split a covered name glued to the next word ("imuransideeffects")."""
        if len(word) < 8 or (word,) in self.names or word in self._vocabulary:
            return word
        for name in self._glue_prefixes.get(word[:5], ()):
            if word.startswith(name) and len(word) - len(name) >= 3:
                return f"{name} {word[len(name) :]}"
        return word

    def find(self, words: tuple[str, ...]) -> NamesFound:
        """Read the names of a message's words (already folded and stemmed)."""
        found = NamesFound(used=[False] * len(words), other=[False] * len(words))
        used, other = found.used, found.other
        # Multi-word names first ("mycophenolate mofetil", "cyclosporin a"), then
        # names written as two words ("cell cept"), then single words.
        for size in (3, 2):
            for i in range(len(words) - size + 1):
                if any(used[i : i + size]):
                    continue
                chunk = words[i : i + size]
                # Everyday words glued together are no name ("as a kid" is no "asa").
                everyday = all(w in self._vocabulary for w in chunk)
                joined = ("".join(chunk),) if not everyday else chunk
                drug = self.names.get(chunk) or self.names.get(joined)
                other_name = self.other_names.get(chunk) or self.other_names.get(joined)
                if drug is not None:
                    found.drugs.append(drug)
                    used[i : i + size] = [True] * size
                elif other_name is not None:
                    found.others.append(other_name)
                    other[i : i + size] = [True] * size
        for i, word in enumerate(words):
            if used[i] or other[i]:
                continue
            # "this aza's gonna be the death of me": a name's possessive, folded.
            drug = self.names.get((word,)) or (
                self.names.get((word[:-1],)) if word.endswith("s") else None
            )
            if drug is not None:
                found.drugs.append(drug)
                used[i] = True
                continue
            other_name = self.other_names.get((word,))
            if other_name is not None:
                found.others.append(other_name)
                other[i] = True
                continue
            fuzzy = self.fuzzy(word)
            if fuzzy is not None:
                if fuzzy[0] == "covered":
                    found.drugs.append(fuzzy[1])
                    used[i] = True
                else:
                    found.others.append(fuzzy[1])
                    other[i] = True
                    found.guessed[i] = fuzzy[1]
        if not found.drugs:
            # A name cut up by voice typing is looked for only when no name of ours was
            # read whole: gluing every run of words is the costliest step of reading.
            self._voice_typed(words, found)
        return found

    def _voice_typed(self, words: tuple[str, ...], found: NamesFound) -> None:
        """Read a name cut into pieces by voice typing ("sigh row limus", "cell sept")."""
        used, other = found.used, found.other
        for size in (5, 4, 3, 2):
            for i in range(len(words) - size + 1):
                span = range(i, i + size)
                if any(used[j] or (other[j] and j not in found.guessed) for j in span):
                    continue
                chunk = words[i : i + size]
                if not all(w.isalpha() for w in chunk):
                    continue
                glued = "".join(chunk)
                # Voice typing keeps a name's first sounds: only pieces that start like
                # one of our names are worth comparing.
                if (
                    len(glued) < 7
                    or (
                        glued[:2] not in self._name_starts
                        and glued[1:3] not in self._name_seconds
                        # How a name begins to sound depends on its first letters only.
                        and self.sound(glued[:4])[:2] not in self._sound_starts
                    )
                ):
                    continue
                fuzzy = self.fuzzy(glued)
                if fuzzy is not None and fuzzy[0] == "covered":
                    found.drugs.append(fuzzy[1])
                    used[i : i + size] = [True] * size
                    for j in span:
                        if other[j]:
                            other[j] = False
                            found.others.remove(found.guessed.pop(j))

    def fuzzy(self, word: str) -> tuple[str, str] | None:
        """Return ("covered", drug id) or ("other", name) for a misspelt drug name."""
        if word in self._cache:
            return self._cache[word]
        result: tuple[str, str] | None = None
        # No drug name is longer than 30 letters: longer words are never compared.
        if (
            5 <= len(word) <= LONGEST_WORD
            and word not in self._vocabulary
            and not word.isdigit()
            # "does dapsone kill bacteria", "stating the obvious": a common word of
            # English is the word typed, never bactrim or a statin misspelt.
            and not self._english().is_common(word)
        ):
            limit = edit_limit(word)
            # A typo rarely changes the first letter: comparing with the names that
            # share it is both faster and never loses an equally close candidate.
            covered = process.extractOne(
                word,
                self._names_by_letter.get(word[0], ()),
                scorer=OSA.distance,
                score_cutoff=limit,
            ) or self._first_letter_typo(word)
            # Deciding "covered" is where safety lies: there, every uncovered name
            # counts, whatever its first letter.
            others = self._single_others if covered else self._others_by_letter.get(word[0], ())
            other = process.extractOne(word, others, scorer=OSA.distance, score_cutoff=limit + 1)
            sounded = self._sounds_ours(word) if covered is None else None
            if sounded is not None:
                result = ("covered", sounded)
            elif covered is not None and (
                other is None
                or covered[1] < other[1]
                # Equally close by edits: the closer by insertions and deletions wins
                # ("cyclosprine" lost a letter of cyclosporine; it is no cycloserine).
                or (
                    covered[1] == other[1]
                    and Indel.distance(word, covered[0]) < Indel.distance(word, other[0])
                )
            ):
                result = ("covered", self.names[(covered[0],)])
            elif other is not None and other[1] <= limit:
                result = ("other", self.other_names.get((other[0],), other[0]))
            elif word.endswith(self._suffixes) and 7 <= len(word) <= 25:
                result = ("other", word)
        if len(self._cache) < 100_000:
            self._cache[word] = result
        return result

    def sound(self, word: str) -> str:
        """Return how ``word`` sounds: its spellings replaced, doubled letters made one."""
        for spelling, spoken in self._sounds_like:
            word = word.replace(spelling, spoken)
        return _DOUBLED.sub(r"\1", word).removesuffix("e")

    def _sounds_ours(self, word: str) -> str | None:
        """Return the covered drug id ``word`` sounds like, if no uncovered name is as close."""
        key = self.sound(word)
        drug = self._sounds.get(key)
        if drug is not None:
            return None if key in self._other_sounds else drug
        if len(key) < 6:
            return None
        found = self._near_ours.nearest(key)
        if found is None or self._near_others.nearest(key) is not None:
            return None
        # A short name one sound off must at least begin the same ("dapsoan").
        if len(key) < 8 and found[:3] != key[:3]:
            return None
        return self._sounds[found]

    def _first_letter_typo(self, word: str) -> tuple[str, float, int] | None:
        """Return a name that differs from ``word`` only by its first letter ("sellcept")."""
        name = self._tails.get(word[1:]) if len(word) >= 6 else None
        return (name, 1, 0) if name is not None else None

    def respelt(self, word: str, spelt: str) -> tuple[str, str] | None:
        """Return ``spelt`` and the name it is, when ``word`` is a name we do not cover misspelt.

        "ibuprofin" spelt "ibuprofen": one letter off only, so "prednisolone", a name of
        its own, is never read as "prednisone".
        """
        name = self.other_names.get((spelt,))
        if name is None or spelt == word or Levenshtein.distance(spelt, word) != 1:
            return None
        return spelt, name

    def is_unknown(self, word: str, corrected: str) -> bool:
        """Return True for a word that is neither ours, nor English, nor a typo of English."""
        if not 4 <= len(word) <= LONGEST_WORD or not word.isalpha():
            return False
        if word != corrected or word in self._vocabulary:
            return False
        english = self._english()
        return not english.is_word(word) and not english.near_word(word)


class _OneEditIndex:
    """Finds the words one edit (Levenshtein) from a word without comparing with them all.

    Two words one edit apart share a one-letter deletion (or one is the other's), so
    only the words filed under the query's deletions are compared: at 10,000 names,
    comparing with every one was most of the load time.
    """

    def __init__(self, words: Iterable[str]) -> None:
        self._order: dict[str, int] = {}
        self._by_variant: dict[str, list[str]] = {}
        for word in words:
            if word in self._order:
                continue
            self._order[word] = len(self._order)
            for variant in _deletions(word):
                self._by_variant.setdefault(variant, []).append(word)

    def nearest(self, word: str) -> str | None:
        """Return the closest word at most one edit away, the first filed on a tie."""
        candidates = {c for v in _deletions(word) for c in self._by_variant.get(v, ())}
        near = [
            (Levenshtein.distance(word, c, score_cutoff=1), self._order[c], c) for c in candidates
        ]
        best = min(near, default=None)
        return best[2] if best is not None and best[0] <= 1 else None


def _deletions(word: str) -> set[str]:
    """``word`` itself and every word made by deleting one of its letters."""
    return {word} | {word[:i] + word[i + 1 :] for i in range(len(word))}


def _by_first_letter(words: Iterable[str]) -> dict[str, list[str]]:
    groups: dict[str, list[str]] = {}
    for word in sorted(set(words)):
        groups.setdefault(word[0], []).append(word)
    return groups
