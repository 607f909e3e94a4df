"""Read a patient's question: which drugs, which topics, and what kind of question.

The reading runs in stages over one question, each a module of its own: the text is
folded into words (:mod:`bot.text`), drug names are found (:mod:`bot.drug_names`),
the other words are corrected and matched against the phrase index
(:mod:`bot.phrase_index`), and the cues of the language fire (:mod:`bot.cues`).
This module runs them in order and scores the topics.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.cues import CueReader
from bot.drug_names import DrugNameIndex
from bot.knowledge import KnowledgeBase
from bot.language import Language
from bot.lexicon import EnglishWords, english_words
from bot.phrase_index import PhraseIndex
from bot.text import edit_limit, normalize, stem

__all__ = ["Match", "Matcher", "edit_limit", "match_question", "normalize"]

_MAX_WORDS = 300  # a question longer than this is read by its first 300 words only


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


class Matcher:
    """The indexes of one knowledge base, built once and reused for every question."""

    def __init__(self, kb: KnowledgeBase, lexicon: EnglishWords | None = None) -> None:
        """Index the names, phrases and cues of ``kb``.

        Args:
            kb: the validated knowledge.
            lexicon: English words (default: loaded on first need).
        """
        self.kb = kb
        self.lexicon = lexicon
        language = kb.language
        self.phrase_index = PhraseIndex(kb, self._english, language.common_words)
        self.drug_names = DrugNameIndex(kb, self.phrase_index.vocabulary, self._english)
        self.cues = CueReader(language)
        self._shorthand = dict(language.shorthand)
        self._medicine_cues = frozenset(language.medicine_cues)

    @classmethod
    def build(cls, kb: KnowledgeBase, lexicon: EnglishWords | None = None) -> Matcher:
        """Index ``kb`` (see the constructor)."""
        return cls(kb, lexicon)

    @property
    def language(self) -> Language:
        """The word lists and cues this matcher reads with."""
        return self.kb.language

    @property
    def vocabulary(self) -> frozenset[str]:
        """Every word the bot reads as a word, never as a drug name."""
        return self.phrase_index.vocabulary

    def clear_caches(self) -> None:
        """Forget every word looked up so far (the answers never depend on it)."""
        self.drug_names.clear_cache()
        self.phrase_index.clear_cache()

    def _english(self) -> EnglishWords:
        if self.lexicon is None:
            self.lexicon = english_words()
        return self.lexicon

    def match(self, text: str) -> Match:
        """Read one question.

        Args:
            text: the question as the user typed it (any Unicode, any length).

        Returns:
            The drugs, topics and cues found in it.
        """
        normalized = " ".join(
            self.drug_names.unglue(self._shorthand.get(w, w))
            for w in normalize(text).split()[:_MAX_WORDS]
        )
        words = tuple(stem(w) for w in normalized.split())
        if not words:
            return Match(words=())

        names = self.drug_names.find(words)
        drugs, others, used, other = names.drugs, names.others, names.used, names.other
        names_at = list(used)  # where covered names stand, before phrases mark more words
        corrected = [
            w if used[i] or other[i] else stem(self.phrase_index.correct(w))
            for i, w in enumerate(words)
        ]
        # Words that are neither ours, nor English, nor a typo of English: a name we do
        # not know. Right after "on", "taking"... it is surely a medicine.
        unknown: list[str] = []
        for i, word in enumerate(words):
            if used[i] or other[i] or not self.drug_names.is_unknown(word, corrected[i]):
                continue
            if i > 0 and words[i - 1] in self._medicine_cues:
                others.append(word)
                other[i] = True
            else:
                unknown.append(word)

        hits = self.phrase_index.hits(corrected)
        # Cue phrases first: a red flag's words then count for no topic.
        fired = self.cues.fire_phrases(hits, corrected, used)
        scores: dict[tuple[str, str], int] = {}
        found: list[str] = []
        for i, size, targets in hits:
            if any(used[i : i + size]):
                continue
            for target in targets:
                if target.kind == "cue":
                    continue
                score_key = (target.kind, target.key)
                scores[score_key] = scores.get(score_key, 0) + target.weight
                if target.kind in ("topic", "entry"):
                    found.append(" ".join(corrected[i : i + size]))
        fired |= self.cues.fire_patterns(normalized, " ".join(corrected))
        if "how-it-works" in fired:
            key = ("topic", self.language.roles.how_it_works)
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
            dose=("dose" in fired or self.cues.dose_verb_before_drug(words, names_at))
            and "uncovered.missed-doses" not in fired,
            urgent="red-flag" in fired,
            uncovered_topic=uncovered,
            bleeding="bleeding" in fired,
            across="across" in fired,
            switched_to_other=self.cues.switched_to_other(
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


def match_question(kb: KnowledgeBase, text: str) -> Match:
    """Read one question against ``kb`` (builds a fresh index: prefer :class:`Matcher`).

    Args:
        kb: the knowledge to match against.
        text: the question.

    Returns:
        The match.
    """
    return Matcher.build(kb).match(text)


def _ranked(scores: dict[tuple[str, str], int]) -> list[tuple[tuple[str, str], int]]:
    return sorted(scores.items(), key=lambda item: -item[1])


def _best(scores: dict[str, int], keep: int = 3) -> tuple[str, ...]:
    """Return the topics scoring at least half the best score, best first."""
    if not scores:
        return ()
    top = max(scores.values())
    ranked = sorted(scores.items(), key=lambda item: -item[1])
    return tuple(k for k, s in ranked if s * 2 >= top)[:keep]
