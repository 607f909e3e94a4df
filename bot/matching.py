"""Read a patient's question: which drugs, which topics, and what kind of question.

The matcher works on words, never on substrings, so that a covered name hidden
inside another drug's name (``sirolimus`` in ``temsirolimus``) never matches.
Typos are forgiven by edit distance on whole words, and only when no drug we do
not cover is at least as close: that is what keeps look-alike drugs out.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

from rapidfuzz import process
from rapidfuzz.distance import OSA, Indel

from bot.knowledge import KnowledgeBase
from bot.language import Language
from bot.lexicon import EnglishWords, english_words

__all__ = ["Match", "Matcher", "match_question", "normalize"]

_MAX_PHRASE_WORDS = 6
_LONGEST_NAME = 30
_MAX_WORDS = 300  # a question longer than this is read by its first 300 words only

# Every word list and cue is data: see knowledge/language.yaml and bot/language.py.


@dataclass(frozen=True)
class Match:
    """What a question is about, before any answer is composed."""

    words: tuple[str, ...]
    drugs: tuple[str, ...] = ()
    """Covered drug ids named in the question, in order of first mention."""
    other_drugs: tuple[str, ...] = ()
    """Names of drugs we do not cover, as the question wrote them."""
    unknown_words: tuple[str, ...] = ()
    """Words that are neither ours nor English: perhaps a medicine we do not know."""
    phrases: tuple[str, ...] = ()
    """The topic and entry phrases found, as matched ("hair", "grapefruit")."""
    topics: tuple[str, ...] = ()
    """Topic ids, best first."""
    entries: tuple[str, ...] = ()
    """Keys of drug entries named by one of their own phrases ("dna test")."""
    general: tuple[str, ...] = ()
    """Ids of class-level entries the question names."""
    dose: bool = False
    urgent: bool = False
    bleeding: bool = False
    """The red flag is bleeding, bruising or blood where it should not be."""
    uncovered_topic: str | None = None
    across: bool = False
    switched_to_other: bool = False
    """A drug we do not cover is named last, as the one switched to ("now on prograf")."""
    about_class: bool = False
    """The question names immunosuppressants as a class."""
    general_score: int = 0
    """How strongly the best class-level entry matched (words of its phrase)."""
    entry_score: int = 0
    """How strongly the best drug entry matched by its own phrases."""
    follow_up: bool = False
    greeting: bool = False
    thanks: bool = False
    cues: frozenset[str] = frozenset()
    """Ids of every cue of the language that fired."""

    @property
    def is_empty(self) -> bool:
        """Return True when nothing the knowledge can answer was recognised."""
        return not (self.drugs or self.topics or self.entries or self.general or self.urgent)


@dataclass(frozen=True)
class _Target:
    kind: str  # "topic", "entry", "general" or "cue"
    key: str
    weight: int


@dataclass
class Matcher:
    """An index over one knowledge base, built once and reused for every question."""

    kb: KnowledgeBase
    names: dict[tuple[str, ...], str] = field(default_factory=dict)
    other_names: dict[tuple[str, ...], str] = field(default_factory=dict)
    phrases: dict[tuple[str, ...], list[_Target]] = field(default_factory=dict)
    vocabulary: frozenset[str] = frozenset()
    _single_names: list[str] = field(default_factory=list)
    _single_others: list[str] = field(default_factory=list)
    _names_by_letter: dict[str, list[str]] = field(default_factory=dict)
    _others_by_letter: dict[str, list[str]] = field(default_factory=dict)
    _vocabulary_by_letter: dict[tuple[str, int], list[str]] = field(default_factory=dict)
    _indexed: set[tuple[tuple[str, ...], str, str]] = field(default_factory=set)
    lexicon: EnglishWords | None = None
    _prefixes: frozenset[tuple[str, ...]] = frozenset()
    _glue_prefixes: dict[str, list[str]] = field(default_factory=dict)
    _tails: dict[str, str] = field(default_factory=dict)
    _name_starts: frozenset[str] = frozenset()
    _name_seconds: frozenset[str] = frozenset()
    _drug_cache: dict[str, tuple[str, str] | None] = field(default_factory=dict)
    _word_cache: dict[str, str] = field(default_factory=dict)
    # The language, as sets and mappings for the hot path.
    _suffixes: tuple[str, ...] = ()
    _negations: frozenset[str] = frozenset()
    _fillers: frozenset[str] = frozenset()
    _not_symptoms: frozenset[tuple[str, ...]] = frozenset()
    _dose_verbs: frozenset[str] = frozenset()
    _medicine_cues: frozenset[str] = frozenset()
    _shorthand: dict[str, str] = field(default_factory=dict)
    _negatable: frozenset[str] = frozenset()

    @property
    def language(self) -> Language:
        """The word lists and cues this matcher reads with."""
        return self.kb.language

    @classmethod
    def build(cls, kb: KnowledgeBase, lexicon: EnglishWords | None = None) -> Matcher:
        """Index the names and phrases of ``kb``.

        Args:
            kb: the validated knowledge.
            lexicon: English words (default: loaded on first need).

        Returns:
            A matcher for that knowledge.
        """
        matcher = cls(kb, lexicon=lexicon)
        for drug in kb.drugs:
            for name in drug.names:
                matcher.names[_words(name)] = drug.id
        for name in kb.other_drugs:
            key = _words(name)
            if key and key not in matcher.names:
                matcher.other_names[key] = name
        for topic in kb.topics:
            matcher._add_phrases(topic.phrases, "topic", topic.id)
        for drug in kb.drugs:
            for entry in drug.entries:
                matcher._add_phrases(entry.phrases, "entry", entry.key)
        for entry in kb.general:
            matcher._add_phrases(entry.phrases, "general", entry.topic_id)
        language = kb.language
        for cue in language.cues:
            matcher._add_phrases(cue.phrases, "cue", cue.id)
        matcher._suffixes = language.drug_suffixes
        matcher._negations = frozenset(language.negations)
        matcher._fillers = frozenset(language.negation_fillers)
        matcher._not_symptoms = frozenset(tuple(p.split()) for p in language.not_symptoms)
        matcher._dose_verbs = frozenset(language.dose_verbs)
        matcher._medicine_cues = frozenset(language.medicine_cues)
        matcher._shorthand = dict(language.shorthand)
        matcher._negatable = frozenset(c.id for c in language.cues if c.negatable)
        matcher._indexed.clear()  # only needed while building
        matcher._prefixes = frozenset(
            key[:n] for key in matcher.phrases for n in range(1, len(key) + 1)
        )
        vocabulary = {w for key in matcher.phrases for w in key}
        matcher.vocabulary = frozenset(vocabulary | set(language.common_words))
        # The distinctive word of a several-word uncovered name stands for it alone
        # ("mycophenolic" of "mycophenolic acid"), so it is never read as a typo of ours.
        for key, name in list(matcher.other_names.items()):
            for word in key if len(key) > 1 else ():
                if (
                    len(word) >= 7
                    and word not in matcher.vocabulary
                    and (word,) not in matcher.names
                ):
                    matcher.other_names.setdefault((word,), name)
        matcher._single_names = [" ".join(k) for k in matcher.names if len(k) == 1]
        matcher._single_others = [" ".join(k) for k in matcher.other_names if len(k) == 1]
        matcher._names_by_letter = _by_first_letter(matcher._single_names)
        matcher._others_by_letter = _by_first_letter(matcher._single_others)
        for word in sorted(w for w in vocabulary if len(w) >= 4):
            matcher._vocabulary_by_letter.setdefault((word[0], len(word)), []).append(word)
        matcher._name_starts = frozenset(n[:2] for n in matcher._single_names if len(n) >= 7)
        matcher._name_seconds = frozenset(n[1:3] for n in matcher._single_names if len(n) >= 7)
        for name in sorted(matcher._single_names, key=len, reverse=True):
            if len(name) >= 5:
                matcher._glue_prefixes.setdefault(name[:5], []).append(name)
            # Names that differ from a word only by its first letter ("sellcept").
            matcher._tails.setdefault(name[1:], name)
        return matcher

    def _add_phrases(self, phrases: Iterable[str], kind: str, key: str) -> None:
        for phrase in phrases:
            words = _words(phrase)
            if not words:
                continue
            phrase_key = words[:_MAX_PHRASE_WORDS]
            if (phrase_key, kind, key) in self._indexed:
                continue
            self._indexed.add((phrase_key, kind, key))
            self.phrases.setdefault(phrase_key, []).append(_Target(kind, key, len(words)))

    # -- drugs ------------------------------------------------------------------------

    def _fuzzy_drug(self, word: str) -> tuple[str, str] | None:
        """Return ("covered", drug id) or ("other", name) for a misspelt drug name."""
        if word in self._drug_cache:
            return self._drug_cache[word]
        result: tuple[str, str] | None = None
        # No drug name is longer than 30 letters: longer words are never compared.
        if 5 <= len(word) <= _LONGEST_NAME and word not in self.vocabulary and not word.isdigit():
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
            if covered is not None and (
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
        if len(self._drug_cache) < 100_000:
            self._drug_cache[word] = result
        return result

    def _english(self) -> EnglishWords:
        if self.lexicon is None:
            self.lexicon = english_words()
        return self.lexicon

    def _unglue(self, word: str) -> str:
        """Split a covered name glued to the next word ("imuransideeffects")."""
        if len(word) < 8 or (word,) in self.names or word in self.vocabulary:
            return word
        for name in self._glue_prefixes.get(word[:5], ()):
            if word.startswith(name) and len(word) - len(name) >= 3:
                return f"{name} {word[len(name) :]}"
        return word

    def _first_letter_typo(self, word: str) -> tuple[str, float, int] | None:
        """Return a name that differs from ``word`` only by its first letter ("sellcept")."""
        name = self._tails.get(word[1:]) if len(word) >= 6 else None
        return (name, 1, 0) if name is not None else None

    def _is_unknown(self, word: str, corrected: str) -> bool:
        if not 4 <= len(word) <= _LONGEST_NAME or not word.isalpha():
            return False
        if word != corrected or word in self.vocabulary:
            return False
        english = self._english()
        return not english.is_word(word) and not english.near_word(word)

    def _correct(self, word: str) -> str:
        """Return the vocabulary word a misspelt topic word most likely meant."""
        if word in self.vocabulary or not 5 <= len(word) <= _LONGEST_NAME or not word.isalpha():
            return word
        if self._english().is_word(word):
            # "fewer" is a word of its own, never a typo of "fever".
            return word
        cached = self._word_cache.get(word)
        if cached is not None:
            return cached
        limit = edit_limit(word)
        # Only words of a length within reach of ``limit`` edits can be the one meant.
        best: tuple[str, float, int] | None = None
        for length in range(len(word) - limit, len(word) + limit + 1):
            bucket = self._vocabulary_by_letter.get((word[0], length), ())
            found = process.extractOne(word, bucket, scorer=OSA.distance, score_cutoff=limit)
            if found is not None and (best is None or found[1] < best[1]):
                best = found
        corrected = best[0] if best is not None else word
        if len(self._word_cache) < 100_000:
            self._word_cache[word] = corrected
        return corrected

    # -- the whole question ---------------------------------------------------------------

    def match(self, text: str) -> Match:
        """Read one question.

        Args:
            text: the question as the user typed it (any Unicode, any length).

        Returns:
            The drugs, topics and cues found in it.
        """
        normalized = " ".join(
            self._unglue(self._shorthand.get(w, w)) for w in normalize(text).split()[:_MAX_WORDS]
        )
        words = tuple(_stem(w) for w in normalized.split())
        if not words:
            return Match(words=())

        drugs: list[str] = []
        others: list[str] = []
        # used: a covered drug's name, never read as a phrase; other: a drug we do not
        # cover, still readable as a phrase ("given alongside prednisone").
        used = [False] * len(words)
        other = [False] * len(words)
        # Multi-word names first ("mycophenolate mofetil", "cyclosporin a"), then
        # names written as two words ("cell cept"), then single words.
        for size in (3, 2):
            for i in range(len(words) - size + 1):
                if any(used[i : i + size]):
                    continue
                chunk = words[i : i + size]
                joined = ("".join(chunk),)
                drug = self.names.get(chunk) or self.names.get(joined)
                other_name = self.other_names.get(chunk) or self.other_names.get(joined)
                if drug is not None:
                    drugs.append(drug)
                    used[i : i + size] = [True] * size
                elif other_name is not None:
                    others.append(other_name)
                    other[i : i + size] = [True] * size
        for i, word in enumerate(words):
            if used[i] or other[i]:
                continue
            drug = self.names.get((word,))
            if drug is not None:
                drugs.append(drug)
                used[i] = True
                continue
            other_name = self.other_names.get((word,))
            if other_name is not None:
                others.append(other_name)
                other[i] = True
                continue
            fuzzy = self._fuzzy_drug(word)
            if fuzzy is not None:
                if fuzzy[0] == "covered":
                    drugs.append(fuzzy[1])
                    used[i] = True
                else:
                    others.append(fuzzy[1])
                    other[i] = True

        # A name cut into pieces by voice typing ("sigh row limus", "cell sept"): two or
        # three words that are no name alone, read together.
        for size in (3, 2):
            for i in range(len(words) - size + 1):
                if any(used[i : i + size]) or any(other[i : i + size]):
                    continue
                chunk = words[i : i + size]
                if not all(w.isalpha() for w in chunk):
                    continue
                glued = "".join(chunk)
                # Voice typing keeps a name's first sounds: only pieces that start like
                # one of our names are worth comparing.
                if len(glued) < 8 or (
                    glued[:2] not in self._name_starts and glued[1:3] not in self._name_seconds
                ):
                    continue
                fuzzy = self._fuzzy_drug(glued)
                if fuzzy is not None and fuzzy[0] == "covered":
                    drugs.append(fuzzy[1])
                    used[i : i + size] = [True] * size
        names_at = list(used)  # where covered names stand, before phrases mark more words
        corrected = [
            w if used[i] or other[i] else _stem(self._correct(w)) for i, w in enumerate(words)
        ]
        # Words that are neither ours, nor English, nor a typo of English: a name we do
        # not know. Right after "on", "taking"... it is surely a medicine.
        unknown: list[str] = []
        for i, word in enumerate(words):
            if used[i] or other[i] or not self._is_unknown(word, corrected[i]):
                continue
            if i > 0 and words[i - 1] in self._medicine_cues:
                others.append(word)
                other[i] = True
            else:
                unknown.append(word)
        scores: dict[tuple[str, str], int] = {}
        found: list[str] = []
        # Every phrase that starts at each word, found in one pass: a word that starts
        # no phrase costs one lookup.
        hits: list[tuple[int, int, list[_Target]]] = []
        for i in range(len(corrected)):
            for size in range(1, min(_MAX_PHRASE_WORDS, len(corrected) - i) + 1):
                chunk = tuple(corrected[i : i + size])
                if chunk not in self._prefixes:
                    break
                targets = self.phrases.get(chunk)
                if targets:
                    hits.append((i, size, targets))
        hits.sort(key=lambda hit: -hit[1])  # longest phrases first
        # Red-flag phrases first: their words ("blood" in "vomiting blood") then say
        # nothing more about the topic, which defaults to side effects.
        fired: set[str] = set()
        for cue_pass in (True, False):
            for i, size, targets in hits:
                if any(used[i : i + size]):
                    continue
                for target in targets:
                    if (target.kind == "cue") != cue_pass:
                        continue
                    if cue_pass:
                        if target.key in self._negatable and self._denied(corrected, i, size):
                            continue
                        fired.add(target.key)
                        used[i : i + size] = [True] * size
                        continue
                    score_key = (target.kind, target.key)
                    scores[score_key] = scores.get(score_key, 0) + target.weight
                    if target.kind in ("topic", "entry"):
                        found.append(" ".join(corrected[i : i + size]))
        corrected_text = " ".join(corrected)
        fired.update(
            cue.id
            for cue in self.language.cues
            if any(p.search(normalized) or p.search(corrected_text) for p in cue.patterns)
        )
        roles = self.language.roles
        if "how-it-works" in fired:
            key = ("topic", roles.how_it_works)
            scores[key] = scores.get(key, 0) + 2
        topic_scores: dict[str, int] = {}
        for (kind, target_key), score in scores.items():
            if kind == "topic":
                topic_scores[target_key] = topic_scores.get(target_key, 0) + score
            elif kind == "entry":
                topic_id = target_key.split(".", 1)[1]
                topic_scores[topic_id] = topic_scores.get(topic_id, 0) + score
        topics = _best(topic_scores)
        entries = tuple(k for (kind, k), _ in _ranked(scores) if kind == "entry")
        general_ranked = [(k, score) for (kind, k), score in _ranked(scores) if kind == "general"]
        general = tuple(k for k, _ in general_ranked)

        uncovered = next(
            (
                cue.label
                for cue in self.language.cues
                if cue.id.startswith("uncovered.") and cue.id in fired
            ),
            None,
        )
        return Match(
            words=words,
            drugs=tuple(dict.fromkeys(drugs)),
            other_drugs=tuple(dict.fromkeys(others)),
            unknown_words=tuple(dict.fromkeys(unknown)),
            phrases=tuple(dict.fromkeys(found)),
            topics=topics,
            entries=entries,
            general=general,
            dose=("dose" in fired or self._dose_verb_before_drug(words, names_at))
            and "uncovered.missed-doses" not in fired,
            urgent="red-flag" in fired,
            uncovered_topic=uncovered,
            bleeding="bleeding" in fired,
            across="across" in fired,
            switched_to_other=self._switched_to_other(
                words,
                names_at,
                [o and words[i] not in self.vocabulary for i, o in enumerate(other)],
                others,
            ),
            about_class="about-class" in fired,
            general_score=general_ranked[0][1] if general_ranked else 0,
            entry_score=max((v for (kind, _), v in scores.items() if kind == "entry"), default=0),
            follow_up="follow-up" in fired,
            greeting="greeting" in fired,
            thanks="thanks" in fired,
            cues=frozenset(fired),
        )

    def _switched_to_other(
        self, words: tuple[str, ...], names_at: list[bool], other: list[bool], others: list[str]
    ) -> bool:
        """Return True when the question is about a drug not ours, a covered one only in passing.

        "stopped imuran, now on tacrolimus", "switched from cellcept to myfortic, myfortic
        side effects?", "imuran is fine but what about X": the drug we do not cover comes
        last, after a switch, or is the one named twice.
        """
        covered = [i for i, is_name in enumerate(names_at) if is_name]
        uncovered = [i for i, is_other in enumerate(other) if is_other]
        if not covered or not uncovered or uncovered[-1] < covered[-1]:
            return False
        between = " ".join(words[covered[0] + 1 : uncovered[-1]])
        named_twice = len(others) > len(set(others))
        return named_twice or any(p.search(between) for p in self._switch_patterns())

    def _denied(self, words: list[str], start: int, size: int) -> bool:
        """Return True when a symptom is denied ("no fever") or no symptom ("hay fever")."""
        # Only "no fever", "not any fever", "without a high fever": the negation right
        # before the symptom, past filler words. Two words back may be another clause
        # ("not eating, fever": the comma is gone by now), so it never counts.
        i = start - 1
        while i >= 0 and words[i] in self._fillers:
            i -= 1
        if i >= 0 and words[i] in self._negations:
            return True
        return start > 0 and (words[start - 1], *words[start : start + size]) in self._not_symptoms

    def _dose_verb_before_drug(self, words: tuple[str, ...], used: list[bool]) -> bool:
        """Return True for "more sirolimus", "up my dapsone", "reduce the cellcept"."""
        for i, is_name in enumerate(used):
            if is_name and (i == 0 or not used[i - 1]):
                before = [
                    w for w in words[max(0, i - 3) : i] if w not in ("my", "the", "his", "her")
                ]
                if before and before[-1] in self._dose_verbs:
                    return True
        return False

    def _switch_patterns(self) -> tuple[re.Pattern[str], ...]:
        cue = self.language.cue("switch")
        return cue.patterns if cue is not None else ()


def match_question(kb: KnowledgeBase, text: str) -> Match:
    """Read one question against ``kb`` (builds a fresh index: prefer :class:`Matcher`).

    Args:
        kb: the knowledge to match against.
        text: the question.

    Returns:
        The match.
    """
    return Matcher.build(kb).match(text)


def normalize(text: str) -> str:
    """Fold a question to lowercase words and digits separated by single spaces.

    Args:
        text: any Unicode text.

    Returns:
        The folded text; apostrophes vanish inside words ("john's" -> "johns").
    """
    text = unicodedata.normalize("NFKC", text).casefold()
    text = re.sub("[\u2019'`\u00b4]", "", text)
    text = re.sub(r"[^\w]+|_", " ", text)
    return " ".join(text.split())


def _words(phrase: str) -> tuple[str, ...]:
    return tuple(_stem(w) for w in normalize(phrase).split())


def _stem(word: str) -> str:
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


def _by_first_letter(words: Iterable[str]) -> dict[str, list[str]]:
    groups: dict[str, list[str]] = {}
    for word in sorted(set(words)):
        groups.setdefault(word[0], []).append(word)
    return groups


def _ranked(scores: dict[tuple[str, str], int]) -> list[tuple[tuple[str, str], int]]:
    return sorted(scores.items(), key=lambda item: -item[1])


def _best(scores: dict[str, int], keep: int = 3) -> tuple[str, ...]:
    """Return the topics scoring at least half the best score, best first."""
    if not scores:
        return ()
    top = max(scores.values())
    ranked = sorted(scores.items(), key=lambda item: -item[1])
    return tuple(k for k, s in ranked if s * 2 >= top)[:keep]
