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
from bot.lexicon import EnglishWords, english_words

__all__ = ["Match", "Matcher", "match_question", "normalize"]

_MAX_PHRASE_WORDS = 6
_LONGEST_NAME = 30
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
    "|".join(
        (
            r"\b(dose|doses|dosage|dosing|overdose|mgs?|milligrams?|mcg|micrograms?)\b",
            # "100mg", "2 mg kg", "1g twice a day", "50 ml"
            r"\b\d+ ?(mg|mgs|milligrams?|mcg|g|grams?|ml)\b",
            r"\bper kg\b|\bmg kg\b",
            # "is 50 enough", "150 of imuran", "dapsone 100 or 50", "up my sirolimus to 3"
            r"\b\d+ (is )?(enough|too much|too high|too low|too little|normal|high|low|ok|right)\b",
            r"\b\d+ (of|or) [a-z]|\b\d+ or \d+\b",
            r"\b(up|increase|raise|lower|reduce|decrease|drop|cut)\b.{0,25}\bto \d+\b",
            r"\b(once|twice|two times|three times|\d+ times) (a|per) day\b",
            r"\bhow many\b(?! (weeks?|months?|days?|years?|people|patients|percent|of))",
            r"\bhow much (of it |of this |\w+ )?(should|do|can|to|shall|must|is|per|a)\b",
            r"\bhow much\b(?!.*\b(cost|costs|help|helps|work|works|risk|better|longer|time|"
            r"does|do|did)\b)",
            r"\b(max|maximum|highest|lowest|usual|normal|typical|right|correct|starting|average)"
            r" (amount|dose|dosage|strength)\b|\bwhat strength\b|\bhow strong\b",
            r"\bdouble (up|the|my)\b",
            r"\b(increase|decrease|reduce|up|double|lower|halve) (the |my )?(dose|dosage|amount|"
            r"tablets|pills|mg)\b",
            r"\btake (more|less|extra|an extra|two|2)\b|\bextra (one|pill|tablet|dose)\b",
            r"\bin half\b|\bhow often (should|do|can) (i|we|he|she|they)\b",
            # A personal blood-level target is the prescriber's call too.
            r"\bwhat should (my|his|her|their|the) (trough|level|levels|blood level)\b"
            r"|\b(trough|level) (of|is|at) \d+",
        )
    )
)
# Questions the sources never answer: name them so the reply can say so plainly.
_UNCOVERED_TOPICS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "missed doses",
        re.compile(
            r"\b(miss(ed|ing)?|forg[oe]t+(en)?|skip(ped|ping)?)\b.{0,40}\b(dose|pill|tablet)"
            r"|\bforg[oe]t\w* (to take|my|a|the|one)\b|\b(skip|skipped|missed) (my|a|the|one)\b"
        ),
    ),
    (
        "storage",
        re.compile(
            r"\b(stor(e|ed|ing|age)|fridge|refrigerat\w*|freez\w*|room temperature|"
            r"expir\w*|shelf life|kept cold|keep (it )?(cold|cool)|be kept)\b"
        ),
    ),
    ("alcohol", re.compile(r"\b(alcohol|beer|wine|drinking|booze|drunk|vodka|pint)\b")),
    ("vaccines", re.compile(r"\b(vaccin\w*|jabs?|flu shot|booster)\b")),
    (
        "stopping the medicine",
        re.compile(
            r"\b(stop(ping)?|quit(ting)?|come off|coming off|wean\w*) (taking )?(it|the|my|this)\b"
            r"|\b(can|should|could|may|how do|how to|if|is it ok to|want to|wanna) (i |we |he |"
            r"she |they |you |my \w+ )?(stop|quit|come off|wean|cut out)\b"
            r"|\b(coming off|weaning|cold turkey|tapering off|stopping)\b"
        ),
    ),
    (
        "surgery or dental work",
        re.compile(r"\b(surgery|operation|dental|dentist|tooth out|teeth out)\b"),
    ),
    ("driving", re.compile(r"\b(drive|driving)\b")),
    (
        "when or how to take it",
        re.compile(
            r"\b(empty stomach|what time|time of day|morning or (night|evening)|crush\w*)\b"
        ),
    ),
)
# Body temperatures that are a fever, however they are written ("38.5", "temp of 39",
# "101F"): normalized text has "38 5" for "38.5".
_FEVER_RE = re.compile(
    r"\b(3[89]|4[0-2])( [0-9])? ?(c|degrees?|deg|celsius)\b"
    r"|\b10[0-5]( [0-9])? ?(f|degrees?|fahrenheit)\b"
    r"|\b(temp|temps|temperature|fever|fevr|feva|feverish)\b\D{0,15}\b(3[89]|4[0-2]|10[0-5])\b"
)
# Words that, just before a symptom, say the patient does not have it.
_NEGATIONS = frozenset(
    {"no", "not", "without", "never", "dont", "didnt", "havent", "hasnt", "isnt", "nor"}
)
_NEGATION_FILLERS = frozenset({"a", "any", "high", "the", "signs", "sign", "of"})
# "fever" in these names is no symptom.
_NOT_SYMPTOMS = frozenset({("yellow", "fever"), ("hay", "fever")})
# Words just before a drug's name that make the question one of dose ("more sirolimus").
_DOSE_VERBS = frozenset(
    {"increase", "decrease", "reduce", "up", "double", "halve", "more", "extra", "less", "lower"}
)
# Words just before an unknown name that say it is a medicine ("now on prograf").
_MEDICINE_CUES = frozenset(
    {"on", "taking", "take", "started", "starting", "start", "prescribed", "given",
     "switched", "using", "onto", "tried"}
)  # fmt: skip
# Texting shorthand, expanded before matching.
_SHORTHAND = {
    "wrk": "work",
    "wrks": "works",
    "efx": "effects",
    "sfx": "side effects",
    "preg": "pregnant",
    "u": "you",
    "ur": "your",
    "r": "are",
    "meds": "medicine",
    "med": "medicine",
}
# "how does X work" asks how a drug works, however many words X has; "how long" does not.
_HOW_IT_WORKS_RE = re.compile(r"\bhow (does|do|did|would|will) (?!.*\blong\b).{0,60}\bwork")
# The question is about immunosuppressants as a class rather than one drug.
_CLASS_RE = re.compile(
    r"\b(imm?un\w*su+p+res+\w*|immune su+p+res+\w*|anti ?rejection|"
    r"(these|those|all|any of the) (drugs|meds|medicines|medications|tablets))\b"
)
# Blood where it should never be, however it is worded ("blood in my poo", "been sick
# and there's blood in it"): a red flag even when no listed phrase matches.
_BLOOD_RE = re.compile(
    r"\bblood\w*\b.{0,30}\b(poo+\w*|stool|stools|vomit\w*|sick|pee\w*|urin\w*|wee\w*|"
    r"cough\w*|spit\w*|nappy|diaper|toilet|loo)\b|\b(poo+\w*|stool|stools|vomit\w*|sick|pee\w*|"
    r"urin\w*|wee\w*|cough\w*|spit\w*|puk\w*|threw up|throwing up)\b.{0,30}\bblood"
)
# Symptoms described in the patient's own order ("my poo is black", "lips look
# blueish", "pee is pink", "sore throat and 39.5").
_SYMPTOM_RE = re.compile(
    r"\b(poo+p?|stools?|bowel movements?)\b.{0,15}\b(black|tarry|red|bloody)\b"
    r"|\b(pee|urine|wee)\b.{0,12}\b(pink|red|brown|dark|black|bloody)\b"
    r"|\blips?\b.{0,15}\bblu\w*|\b(spat|spit|spitting|spat out) (out )?blood\b"
    r"|\b(eyes?|skin)\b.{0,15}\byellow\w*|\bchest (hurts|hurting|is hurting|pains?)\b"
    r"|\bheavy (period|periods|bleeding)\b|\bperiods? (is|are)? ?(really |very |so )?heavy\b"
    r"|\b(lots of|new|many|loads of) bruises?\b|\bblood when i (wipe|pee|poo|cough|brush)\b"
    r"|\b(face|throat|tongue|lips?|eyes?)\b.{0,25}\bswell\w*|\bswell\w* up\b"
    r"|\bweak\w* (down|on) one side\b|\bget my words out\b|\bslurr\w*\b|\bblister\w*"
    r"|\b(3[89]|4[0-2]) [0-9]\b(?! ?(mg|g|ml|mcg|kg|percent))"
)
# "I stopped imuran and started tacrolimus": the question is about the new drug.
_SWITCH_RE = re.compile(
    r"\b(switch\w*|start\w*|now on|now im on|instead|replac\w*|new one|new med\w*|chang\w*|"
    r"moved (me )?(to|onto)|put me on|came off|come off|stopped|off the|forget|after|about)\b"
)
_BLEEDING_RE = re.compile(
    r"\b(bleed\w*|blood\w*|bruis\w*|petechiae|red dots|red spots|purple spots|tarry|tar|"
    r"coffee grounds|black (poo+p?|stools?)|nose pouring|period wont stop)\b"
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
        matcher._add_phrases(kb.urgent.phrases, "urgent", "urgent")
        matcher._indexed.clear()  # only needed while building
        matcher._prefixes = frozenset(
            key[:n] for key in matcher.phrases for n in range(1, len(key) + 1)
        )
        vocabulary = {w for key in matcher.phrases for w in key}
        matcher.vocabulary = frozenset(vocabulary | _COMMON_WORDS)
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
            elif word.endswith(_DRUG_SUFFIXES) and 7 <= len(word) <= 25:
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
            self._unglue(_SHORTHAND.get(w, w)) for w in normalize(text).split()[:_MAX_WORDS]
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
            if i > 0 and words[i - 1] in _MEDICINE_CUES:
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
        for urgent_pass in (True, False):
            for i, size, targets in hits:
                if any(used[i : i + size]):
                    continue
                for target in targets:
                    if (target.kind == "urgent") != urgent_pass:
                        continue
                    if urgent_pass and _denied(corrected, i, size):
                        continue
                    score_key = (target.kind, target.key)
                    scores[score_key] = scores.get(score_key, 0) + target.weight
                    if urgent_pass:
                        used[i : i + size] = [True] * size
                    elif target.kind in ("topic", "entry"):
                        found.append(" ".join(corrected[i : i + size]))

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
            unknown_words=tuple(dict.fromkeys(unknown)),
            phrases=tuple(dict.fromkeys(found)),
            topics=topics,
            entries=entries,
            general=general,
            dose=(bool(_DOSE_RE.search(normalized)) or _dose_verb_before_drug(words, names_at))
            and uncovered != "missed doses",
            urgent=("urgent", "urgent") in scores
            or any(p.search(normalized) for p in (_BLOOD_RE, _FEVER_RE, _SYMPTOM_RE)),
            uncovered_topic=uncovered,
            bleeding=bool(_BLEEDING_RE.search(normalized)),
            across=bool(_ACROSS_RE.search(normalized)),
            switched_to_other=_switched_to_other(
                words,
                names_at,
                [o and words[i] not in self.vocabulary for i, o in enumerate(other)],
                others,
            ),
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


def _switched_to_other(
    words: tuple[str, ...], names_at: list[bool], other: list[bool], others: list[str]
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
    return named_twice or bool(_SWITCH_RE.search(between))


def _denied(words: list[str], start: int, size: int) -> bool:
    """Return True when a symptom is denied ("no fever") or no symptom ("hay fever")."""
    # Only "no fever", "not any fever", "without a high fever": the negation right
    # before the symptom, past filler words. Two words back may be another clause
    # ("not eating, fever": the comma is gone by now), so it never counts.
    i = start - 1
    while i >= 0 and words[i] in _NEGATION_FILLERS:
        i -= 1
    if i >= 0 and words[i] in _NEGATIONS:
        return True
    return start > 0 and (words[start - 1], *words[start : start + size]) in _NOT_SYMPTOMS


def _dose_verb_before_drug(words: tuple[str, ...], used: list[bool]) -> bool:
    """Return True for "more sirolimus", "up my dapsone", "reduce the cellcept"."""
    for i, is_name in enumerate(used):
        if is_name and (i == 0 or not used[i - 1]):
            before = [w for w in words[max(0, i - 3) : i] if w not in ("my", "the", "his", "her")]
            if before and before[-1] in _DOSE_VERBS:
                return True
    return False


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
