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

__all__ = ["Match", "Matcher", "match_question", "normalize"]

_MAX_PHRASE_WORDS = 6
_MAX_WORDS = 300  # a question longer than this is read by its first 300 words only

# Words a patient uses that never name a drug, so they are never "corrected"
# into a drug name (``neural`` is one letter from ``neoral``).
_COMMON_WORDS = frozenset(
    """
    a about above after again against all also am an and any are as at be because been
    before being below between both but by can cant could did didnt do does doesnt doing
    dont down during each few for from further had has have having he her here hers him
    his how i if in into is isnt it its just me more most my no nor not now of off on
    once only or other our out over own same she should so some such than that the their
    them then there these they this those through to too under until up very was we were
    what when where which while who whom why will with would you your yours im ive id
    ill youre hes shes thats whats please pls plz thanks thank hello hi hey ok okay yes
    yeah want know tell think need help really much many lot since started taking take
    took taken get got getting feel feeling felt day days week weeks month months year
    years time times doctor doctors nurse pharmacist medicine medicines medication
    medications drug drugs pill pills tablet tablets treatment treatments daughter son
    husband wife partner child kid kids mum mom dad mother father normal neural general
    mineral natural numeral rapid simple sample people person problem problems question
    platelets platelet count itp immune system body blood again still because
    """.split()  # noqa: SIM905  (a word list reads better as prose than as 200 quoted strings)
)

# A word ending like these is a drug name even when we have never heard of it.
_DRUG_SUFFIXES = (
    "limus", "mycin", "micin", "cillin", "floxacin", "azole", "mab", "nib", "pril",
    "sartan", "olol", "statin", "prazole", "gliflozin", "gliptin", "tidine", "triptan",
    "vir", "cycline", "platin", "trexate", "parin", "xaban", "gatran", "phosphamide",
    "thiazide", "semide", "dipine", "afil", "oxetine", "aline", "azepam", "zolam",
    "barbital", "caine", "cort", "olone", "asone", "sone", "tinib", "ximab", "zumab",
    "mumab", "cept", "kinra", "rsen", "tide", "glutide", "trombopag", "romostim",
)  # fmt: skip

# Cues that a question compares drugs or asks across all of them.
_ACROSS_RE = re.compile(
    r"\b(which|any of|all of|each of|these|them|compare|comparison|anyone|any immunosuppressant)\b"
)
# Cues that a short question continues the previous one ("and the side effects?").
_FOLLOW_UP_RE = re.compile(r"^(and|also|what about|how about|same for|plus|ok and|so)\b")
_DOSE_RE = re.compile(
    r"\b(dose|doses|dosage|dosing|overdose|mg|mgs|milligrams?|mcg|micrograms?|"
    r"how many (pills|tablets|capsules)|how much (of it )?(should|do|can|to|shall|must) "
    r"(i|he|she|we|they|my \w+)? ?(take|give|have)|how much \w+ (should|do|can) "
    r"(i|he|she|we|they)|double (up|the|my)|increase (the|my)|decrease (the|my)|"
    r"lower (the|my)|take (more|less|extra)|how often (should|do) (i|we))\b"
)
# Questions the sources never answer: name them so the reply can say so plainly.
_UNCOVERED_TOPICS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "missed doses",
        re.compile(
            r"\b(miss(ed|ing)?|forg[oe]t+(en)?|skip(ped|ping)?)\b.{0,40}\b(dose|pill|tablet)"
        ),
    ),
    (
        "storage",
        re.compile(r"\b(stor(e|ed|ing|age)|fridge|refrigerat\w*|keep it|room temperature)\b"),
    ),
    ("alcohol", re.compile(r"\b(alcohol|beer|wine|drinking|booze|drunk|vodka)\b")),
    ("vaccines", re.compile(r"\b(vaccin\w*|jabs?|flu shot|booster)\b")),
    (
        "stopping the medicine",
        re.compile(
            r"\b(stop(ping)?|quit(ting)?|come off|coming off|wean\w*) (taking )?"
            r"(it|the|my|this)\b"
        ),
    ),
)
# Texting shorthand, expanded before matching.
_SHORTHAND = {
    "wrk": "work",
    "wrks": "works",
    "efx": "effects",
    "sfx": "side effects",
    "preg": "pregnant",
    "bc": "because",
    "u": "you",
    "ur": "your",
    "r": "are",
    "meds": "medicine",
    "med": "medicine",
}
# "how does X work" asks how a drug works, however many words X has; "how long" does not.
_HOW_IT_WORKS_RE = re.compile(r"\bhow (does|do|did|would|will) (?!.*\blong\b).{0,60}\bwork")
# The question is about immunosuppressants as a class rather than one drug.
_CLASS_RE = re.compile(r"\b(imm?un\w*su+p+res+\w*|immune su+p+res+\w*|anti ?rejection)\b")
# Blood where it should never be, however it is worded ("blood in my poo", "been sick
# and there's blood in it"): a red flag even when no listed phrase matches.
_BLOOD_RE = re.compile(
    r"\bblood\w*\b.{0,30}\b(poo+p?|stool|stools|vomit\w*|sick|pee|urine|wee|cough\w*|spit\w*|"
    r"nappy|diaper|toilet|loo)\b|\b(poo+p?|stool|stools|vomit\w*|sick|pee|urine|wee|cough\w*|"
    r"spit\w*|puk\w*|threw up|throwing up)\b.{0,30}\bblood"
)
_GREETING_RE = re.compile(
    r"^(hi+|hello+|hey+|hiya|yo|good (morning|afternoon|evening)|howdy|greetings|start)\b"
)
_THANKS_RE = re.compile(r"\b(thanks?|thank you|thx|ty|cheers|much appreciated)\b")


@dataclass(frozen=True)
class Match:
    """What a question is about, before any answer is composed."""

    words: tuple[str, ...]
    drugs: tuple[str, ...] = ()
    """Covered drug ids named in the question, in order of first mention."""
    other_drugs: tuple[str, ...] = ()
    """Names of drugs we do not cover, as the question wrote them."""
    topics: tuple[str, ...] = ()
    """Topic ids, best first."""
    entries: tuple[str, ...] = ()
    """Keys of drug entries named by one of their own phrases ("dna test")."""
    general: tuple[str, ...] = ()
    """Ids of class-level entries the question names."""
    dose: bool = False
    urgent: bool = False
    uncovered_topic: str | None = None
    across: bool = False
    about_class: bool = False
    """The question names immunosuppressants as a class."""
    general_score: int = 0
    """How strongly the best class-level entry matched (words of its phrase)."""
    entry_score: int = 0
    """How strongly the best drug entry matched by its own phrases."""
    follow_up: bool = False
    greeting: bool = False
    thanks: bool = False

    @property
    def is_empty(self) -> bool:
        """Return True when nothing the knowledge can answer was recognised."""
        return not (self.drugs or self.topics or self.entries or self.general or self.urgent)


@dataclass(frozen=True)
class _Target:
    kind: str  # "topic", "entry", "general" or "urgent"
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
    _vocabulary_by_letter: dict[str, list[str]] = field(default_factory=dict)
    _indexed: set[tuple[tuple[str, ...], str, str]] = field(default_factory=set)
    _drug_cache: dict[str, tuple[str, str] | None] = field(default_factory=dict)
    _word_cache: dict[str, str] = field(default_factory=dict)

    @classmethod
    def build(cls, kb: KnowledgeBase) -> Matcher:
        """Index the names and phrases of ``kb``.

        Args:
            kb: the validated knowledge.

        Returns:
            A matcher for that knowledge.
        """
        matcher = cls(kb)
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
        matcher._add_phrases(kb.urgent.phrases, "urgent", "urgent")
        matcher._indexed.clear()  # only needed while building
        vocabulary = {w for key in matcher.phrases for w in key}
        matcher.vocabulary = frozenset(vocabulary | _COMMON_WORDS)
        # The distinctive word of a several-word uncovered name stands for it alone
        # ("mycophenolic" of "mycophenolic acid"), so it is never read as a typo of ours.
        for key, name in list(matcher.other_names.items()):
            for word in key if len(key) > 1 else ():
                if len(word) >= 7 and word not in matcher.vocabulary:
                    matcher.other_names.setdefault((word,), name)
        matcher._single_names = [" ".join(k) for k in matcher.names if len(k) == 1]
        matcher._single_others = [" ".join(k) for k in matcher.other_names if len(k) == 1]
        matcher._names_by_letter = _by_first_letter(matcher._single_names)
        matcher._others_by_letter = _by_first_letter(matcher._single_others)
        matcher._vocabulary_by_letter = _by_first_letter(w for w in vocabulary if len(w) >= 4)
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
        if len(word) >= 5 and word not in self.vocabulary and not word.isdigit():
            limit = edit_limit(word)
            # A typo rarely changes the first letter: comparing with the names that
            # share it is both faster and never loses an equally close candidate.
            covered = process.extractOne(
                word,
                self._names_by_letter.get(word[0], ()),
                scorer=OSA.distance,
                score_cutoff=limit,
            )
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
                result = ("other", other[0])
            elif word.endswith(_DRUG_SUFFIXES) and 7 <= len(word) <= 25:
                result = ("other", word)
        if len(self._drug_cache) < 100_000:
            self._drug_cache[word] = result
        return result

    def _correct(self, word: str) -> str:
        """Return the vocabulary word a misspelt topic word most likely meant."""
        if word in self.vocabulary or len(word) < 5 or not word.isalpha():
            return word
        cached = self._word_cache.get(word)
        if cached is not None:
            return cached
        best = process.extractOne(
            word,
            self._vocabulary_by_letter.get(word[0], ()),
            scorer=OSA.distance,
            score_cutoff=edit_limit(word),
        )
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
        normalized = " ".join(_SHORTHAND.get(w, w) for w in normalize(text).split()[:_MAX_WORDS])
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

        corrected = [w if used[i] else _stem(self._correct(w)) for i, w in enumerate(words)]
        scores: dict[tuple[str, str], int] = {}
        # Red-flag phrases first: their words ("blood" in "vomiting blood") then say
        # nothing more about the topic, which defaults to side effects.
        for urgent_pass in (True, False):
            for size in range(min(_MAX_PHRASE_WORDS, len(corrected)), 0, -1):
                for i in range(len(corrected) - size + 1):
                    if any(used[i : i + size]):
                        continue
                    for target in self.phrases.get(tuple(corrected[i : i + size]), ()):
                        if (target.kind == "urgent") != urgent_pass:
                            continue
                        score_key = (target.kind, target.key)
                        scores[score_key] = scores.get(score_key, 0) + target.weight
                        if urgent_pass:
                            used[i : i + size] = [True] * size

        if _HOW_IT_WORKS_RE.search(" ".join(corrected)):
            scores[("topic", "how-it-works")] = scores.get(("topic", "how-it-works"), 0) + 2
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
            (name for name, pattern in _UNCOVERED_TOPICS if pattern.search(normalized)), None
        )
        return Match(
            words=words,
            drugs=tuple(dict.fromkeys(drugs)),
            other_drugs=tuple(dict.fromkeys(others)),
            topics=topics,
            entries=entries,
            general=general,
            dose=bool(_DOSE_RE.search(normalized)) and uncovered != "missed doses",
            urgent=("urgent", "urgent") in scores or bool(_BLOOD_RE.search(normalized)),
            uncovered_topic=uncovered,
            across=bool(_ACROSS_RE.search(normalized)),
            about_class=bool(_CLASS_RE.search(normalized) or _CLASS_RE.search(" ".join(corrected))),
            general_score=general_ranked[0][1] if general_ranked else 0,
            entry_score=max((v for (kind, _), v in scores.items() if kind == "entry"), default=0),
            follow_up=bool(_FOLLOW_UP_RE.search(normalized)),
            greeting=bool(_GREETING_RE.search(normalized)),
            thanks=bool(_THANKS_RE.search(normalized)),
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
