"""Read a patient's question: which drugs, which topics, and what kind of question.

The reading runs in stages over one question, each a module of its own: the text is
folded into words (:mod:`bot.text`), drug names are found (:mod:`bot.drug_names`),
the other words are corrected and matched against the phrase index
(:mod:`bot.phrase_index`), and the cues of the language fire (:mod:`bot.cues`).
This module runs them in order and scores the topics.
"""

from __future__ import annotations

import bisect
import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace

from bot.cues import CueReader, marked_runs
from bot.drug_names import DrugNameIndex
from bot.knowledge import KnowledgeBase
from bot.language import Language
from bot.learned_cue import LearnedModel, message_features, train_model
from bot.lexicon import EnglishWords, english_words
from bot.phrase_index import PhraseIndex
from bot.text import edit_limit, normalize, stem

__all__ = ["Match", "Matcher", "edit_limit", "match_question", "normalize"]

_MAX_WORDS = 300  # a question longer than this is read by its first 300 words only
# A reply answers a question's best topics, at most this many.
_MAX_TOPICS = 3
_ENGLISH_MIN_LETTERS = 4  # shorter English words ("con", "de") are other languages' too
#: Letters of scripts written without spaces between words: Thai, Japanese kana, Chinese
#: characters, Korean syllables.
_UNSPACED_SCRIPT = re.compile("[\u0e00-\u0e7f\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")
# Where a sentence ends: . ! ? ; a new line, or a slash standing for one ("fever last
# night / gone now"; never the point of "38.5", never "10/10" or "and/or"). The words
# that end one too ("full stop", "anyway") are language data: ``sentence-breaks``.
_SENTENCE_PUNCTUATION = r"(?<=[.!?;])(?<!\.\.)(?=\s|[A-Za-z])|\n+|\s/\s"


def _sentence_end(breaks: tuple[str, ...]) -> re.Pattern[str]:
    """Return where a sentence ends: its punctuation, or one of the words ``breaks``."""
    words = "|".join(
        r"\s+".join(re.escape(w) for w in phrase.split())
        for phrase in sorted(breaks, key=len, reverse=True)
    )
    return re.compile(rf"{_SENTENCE_PUNCTUATION}|\b(?:{words})\b", re.IGNORECASE)


# Where a clause ends inside a sentence.
# The longest clause that may be one item of a list of symptoms ("bleeding, bruising").
_LIST_ITEM_WORDS = 3
_CLAUSE_END = re.compile(r",|\bcomma\b|\bbut\b|\band\b|\bthough\b", re.IGNORECASE)


#: The units a number said in words ends with after its tens ("twenty eight").
_UNITS = {
    "one": "1", "two": "2", "three": "3", "four": "4", "five": "5",
    "six": "6", "seven": "7", "eight": "8", "nine": "9",
}  # fmt: skip


def _joined_numbers(typed: list[str], shorthand: dict[str, str]) -> list[str]:
    """Return the words with their shorthand read, a number said in words as one number.

    "platelets twenty eight" (voice typing) is the count 28, never 20 then 8: the tens
    a shorthand entry reads as a number ("twenty": "20") and the units word after it
    join. Digits typed apart ("20 8") stay apart.
    """
    words = [shorthand.get(w, w) for w in typed]
    joined: list[str] = []
    i = 0
    while i < len(words):
        word = words[i]
        tens = not typed[i].isdigit() and len(word) == 2 and word.endswith("0") and word[0] != "0"
        if tens and i + 1 < len(typed) and typed[i + 1] in _UNITS:
            joined.append(word[0] + _UNITS[typed[i + 1]])
            i += 2
            continue
        joined.append(word)
        i += 1
    return joined


#: A platelet count read from the message, at any level (a cue id).
_COUNT_READ = "count.reported"

#: A capitalised word with a possessive ("Yusuf's", with a straight or a curly
#: apostrophe): a person's name.
_PERSON = re.compile(r"\b([A-Z][a-z]{2,})(?:'|\u2019)s\b")


def _people(text: str) -> set[str]:
    """Return the folded forms of the people named with a possessive ("Yusuf's")."""
    return {
        form
        for name in _PERSON.findall(text)
        for form in (name.lower(), name.lower() + "s", stem(name.lower() + "s"))
    }


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
    """A cue that needs what-to-do-now fired (see ``cues``)."""
    exclusive: bool = False
    """A cue fired that overrides every other (a crisis): nothing else is said."""
    foreign: bool = False
    """The message is in another language."""
    uncovered_topic: str | None = None
    across: bool = False
    switched_to_other: bool = False
    """A drug we do not cover is named last, as the one switched to ("now on prograf")."""
    takes_other: bool = False
    """A drug we do not cover is named as one the patient takes ("I'm on myfortic")."""
    asks_of_other: bool = False
    """The question is asked of a drug we do not cover, as its subject ("does pred
    interact with alcohol?"): never answered with the chat's drug."""
    likens_to_ours: bool = False
    """A drug we do not cover is likened to a covered one ("is methotrexate safe in
    pregnancy like azathioprine is?"): the question is about the one we do not cover."""
    about_class: bool = False
    """The question names immunosuppressants as a class."""
    general_score: int = 0
    """How strongly the best class-level entry matched (words of its phrase)."""
    entry_score: int = 0
    """How strongly the best drug entry matched by its own phrases."""
    follow_up: bool = False
    own: tuple[str, ...] = ()
    """Our drugs the message tells as the writer's own ("I'm on aza", "my imuran")."""
    topics_of_others: bool = False
    """Every topic phrase speaks of a drug we do not cover ("melatonin gummies to help me
    sleep, on dapsone", "paracetamol for period pain, I'm on sirolimus")."""
    greeting: bool = False
    thanks: bool = False
    asked_flags: tuple[str, ...] = ()
    """Red flags asked about ahead, as what to do if they happen ("what if I hit my head
    on mmf"): what to do is said as advice, never as an alarm."""
    heard_flags: tuple[str, ...] = ()
    """Urgent red flags the question spoke of without raising them: asked about, told as
    past or over ("what if you double dose", "had a nosebleed, stopped after 10 min").
    The chat remembers them for one turn: "asking because I just did" raises them."""
    cues: frozenset[str] = frozenset()
    """Ids of every cue of the language that fired."""
    heard_with: tuple[str, ...] = ()
    """Red flags whose lines open a crisis reply: told in a message whose crisis only
    the learned model heard (a guess must never hide them), or, as the composer sets
    it, told after a crisis earlier in the chat."""

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
        self._pair_words = frozenset(language.pair_words)
        self._own_leads = frozenset(
            tuple(stem(w) for w in lead.split()) for lead in language.own_leads
        )
        self._foreign_words = frozenset(language.foreign_words)
        self._common_words = frozenset(language.common_words)
        self._overview_words = frozenset(stem(w) for w in language.overview_words)
        self._name_words = frozenset(
            stem(word)
            for drug in kb.drugs
            for name in (drug.name, *drug.names)
            for word in normalize(name).split()
        )
        self._negations = frozenset(language.negations)
        self._sentence_end = _sentence_end(language.sentence_breaks)
        self._count_units = tuple(
            sorted((tuple(u.split()) for u in language.count_units), key=len, reverse=True)
        )
        self._glued_k = ("k",) in self._count_units
        models = {cue_id: model for cue_id, model in _learned_models(language)}
        #: The learned cues that fire where the rules miss (a crisis), with their models.
        self.learned = tuple(
            (cue.id, models[cue.id]) for cue in language.cues if cue.id in models and not cue.doubts
        )
        #: The cues that override every other one (a crisis).
        self.exclusive = frozenset(cue.id for cue in language.cues if "*" in cue.overrides)
        #: The learned cues that doubt a message's red flags, each with what it doubts.
        self.doubting = tuple(
            (cue.id, frozenset(cue.doubts), models[cue.id])
            for cue in language.cues
            if cue.id in models and cue.doubts
        )
        #: The rule cues that doubt a message's red flags or crisis, each with what it
        #: doubts ("does dapsone cause suicidal thoughts?" asks about the words).
        self.rule_doubting = tuple(
            (cue.id, frozenset(cue.doubts))
            for cue in language.cues
            if cue.doubts and cue.id not in models
        )
        #: The learned cues whose rules' reading the model may doubt, with how unlikely
        #: it must hold it (a model that learned nothing doubts nothing).
        self.doubted_below = tuple(
            (learned.cue, models[learned.cue], learned.doubt_below)
            for learned in language.learned
            if learned.doubt_below and learned.cue in models and models[learned.cue].weights
        )
        #: Each topic's learned model, for a question no topic phrase matches.
        self.topic_models = _learned_topic_models(kb)

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

    def _present_red_flags(self, text: str, named: set[str]) -> set[str]:
        """Return the negatable cues of the clauses that tell them as present.

        A clause told as past or asked about ("had a fever on monday", "does it cause
        black stools") does not count; nor does one the next clause says is over ("...,
        fine now", or "... I don't have it"). Clauses end at a sentence end, a comma,
        "but" or "and".
        """
        kept: set[str] = set()
        # The clause that says a red flag is over may open the next sentence ("black
        # stools can happen. havent had that"), so clauses are read as one run.
        clauses: list[set[str]] = []
        sizes: list[int] = []
        quiet_sentence: list[bool] = []
        spared_sentence: list[frozenset[str]] = []
        silent_sentence: list[bool] = []
        for sentence in self._sentence_end.split(text):
            parts = [c for c in _CLAUSE_END.split(sentence) if c.strip(" .!?;")]
            fired_parts = [self._clause_cues(c) for c in parts]
            # A red flag told across clauses ("a rash all over my back and a
            # temperature") is read on its sentence, which the sentence's own cues quiet.
            whole = self._clause_cues(sentence) if parts else set()
            # A cue of the sentence may override a quieting cue of one of its clauses:
            # "thought it was the snap filter lol, but it's not" takes back the excuse.
            overridden = self.cues.taken_back(whole.union(*fired_parts))
            if overridden:
                fired_parts = [fired - overridden for fired in fired_parts]
                whole -= overridden
            quieting_parts = [
                fired
                for part, fired in zip(parts, fired_parts, strict=True)
                if self.cues.quiets_sentence(fired, [stem(w) for w in normalize(part).split()])
            ]
            quiet = bool(quieting_parts)
            # Whose red flag it is may be told across clauses too ("my sister is on
            # mycophenolate and had a high temperature").
            silent = any(map(self.cues.silences_sentence, (*fired_parts, whole)))
            spanning = (whole & self.cues.tensed) - set().union(*fired_parts)
            # Its parts are weighed together too: "my hb was 125 last month and now its
            # 92" is a fall told today, though its first part alone is past.
            sentence_cues = whole.union(*fired_parts)
            if spanning and not (quiet or silent):
                kept |= spanning - self.cues.quieted(sentence_cues, spanning)
            clauses.extend(fired_parts)
            sizes.extend(len(part.split()) for part in parts)
            quiet_sentence.extend([quiet] * len(parts))
            spared_sentence.extend([self.cues.spared(set().union(*quieting_parts))] * len(parts))
            silent_sentence.extend([silent] * len(parts))
        for i, fired in enumerate(clauses):
            flags = fired & self.cues.tensed
            flags -= self.cues.quieted(fired, flags)
            if not flags:
                continue
            if silent_sentence[i]:
                continue
            if quiet_sentence[i] and not self.cues.present(fired):
                # "platelets 8 and my gums bled, stopped now": the count is a reading.
                flags &= spared_sentence[i]
                if not flags:
                    continue
            kept |= flags - self._resolved_after(clauses, sizes, i, flags)
        # A red flag told across sentences ("Platelet Count ....... 9 L") that no clause
        # or sentence says is past, over or not the patient's still counts.
        seen = set().union(*clauses) | kept
        quieting = any(c & self.cues.quieting for c in clauses)
        if not quieting:
            kept |= named - seen
        return kept

    def _resolved_after(
        self, clauses: list[set[str]], sizes: list[int], i: int, flags: set[str]
    ) -> frozenset[str]:
        """Return the red flags of clause ``i`` that a later clause says are over or denied.

        The next clause does ("a fever on Monday, fine now"), or one after a list of
        short symptom names ("Bleeding, bruising, fever: none of those").
        """
        for j in range(i + 1, len(clauses)):
            resolved = self.cues.resolves(clauses[j], flags)
            if resolved:
                return resolved
            if sizes[j] > _LIST_ITEM_WORDS:
                break
        return frozenset()

    def _own_drugs(self, words: tuple[str, ...], names_at: list[bool]) -> tuple[str, ...]:
        """Return our drugs named right after words that tell they are the writer's own."""
        own: list[str] = []
        for start, end in marked_runs(names_at):
            if any(
                len(lead) <= start and words[start - len(lead) : start] == lead
                for lead in self._own_leads
            ):
                own.extend(self.drug_names.find(words[start:end]).drugs)
        return tuple(dict.fromkeys(own))

    def without_units(self, normalized: str) -> str:
        """Return a folded message with the units a count is written in left out after
        each number (``count-units``, longest first; a ``k`` among them is also read glued
        to its number): "platelets 150 x10 3 ul last week now 30 x10 3 ul" reads as
        "platelets 150 last week now 30", and "180k to 40k" as "180 to 40"."""
        words = normalized.split()
        kept: list[str] = []
        i = 0
        while i < len(words):
            word = words[i]
            if self._glued_k and len(word) > 1 and word[-1] == "k" and word[:-1].isdigit():
                word = word[:-1]
            kept.append(word)
            i += 1
            if word.isdigit():
                for unit in self._count_units:
                    if tuple(words[i : i + len(unit)]) == unit:
                        i += len(unit)
                        break
        return " ".join(kept)

    def _clause_cues(self, clause: str) -> set[str]:
        normalized = " ".join(self._shorthand.get(w, w) for w in normalize(clause).split())
        corrected = [stem(self.phrase_index.correct(stem(w))) for w in normalized.split()]
        if not corrected:
            return set()
        hits = self.phrase_index.hits(corrected)
        fired = self.cues.fire_phrases(hits, corrected, [False] * len(corrected))
        patterns = self.cues.fire_patterns(
            normalized,
            " ".join(corrected),
            self.without_units(normalized),
            only=self.cues.clause_cues,
        )
        return (fired & self.cues.clause_cues) | patterns

    def _asked_ahead(self, fired: set[str], quieted: set[str], overridden: set[str]) -> set[str]:
        """Return the red flags whose what-to-do comes as advice ("If it happens").

        "what should I do if my child swallowed my tablets": the red flags the message
        names, quieted, overridden or only spoken of. "does dapsone make your lips blue":
        the urgent ones it names, unless a cue tells their time (past, someone else's).
        """
        if "what-to-do-if" in fired:
            return quieted | overridden | self.cues.spoken_of(fired)
        if fired & self.cues.asking_ahead and not fired & self.cues.telling_otherwise:
            return quieted & self.cues.urgent
        return set()

    def _paired_with_ours(self, names_at: list[bool], words: tuple[str, ...], i: int) -> bool:
        """Return True when the word at ``i`` is joined to one of our names by a pair word.

        "cyclizine with ciclosporin", "azathioprine and cyclizine": the name we do not know
        is a second medicine asked about with ours.
        """
        before = i >= 2 and names_at[i - 2] and words[i - 1] in self._pair_words
        after = i + 2 < len(words) and names_at[i + 2] and words[i + 1] in self._pair_words
        return before or after

    def _says_more_than_names(self, words: tuple[str, ...]) -> bool:
        """Return True when a word of the message is more than a name or an everyday word.

        "I'm on dapsone for ITP", "my consultant wants to start me on imuran, what do I
        need to know": only names, overview and common words, which no learned model can
        read an emergency or a topic from.
        """
        return any(
            w not in self._overview_words
            and w not in self._common_words
            and w not in self._name_words
            for w in words
        )

    def _asks_calm_topic(self, scores: dict[tuple[str, str], int]) -> bool:
        """Return True when a topic phrase of the message names a calm topic (an operation)."""
        calm = self.language.roles.calm_topics
        return any(
            key.split(".", 1)[-1] in calm for kind, key in scores if kind in ("topic", "entry")
        )

    def _learned_topic(self, text: str, word_count: int) -> tuple[str, ...]:
        """Return the topic the learned models hold ``text`` asks about, if sure enough."""
        if not self.topic_models:
            return ()
        first = self.topic_models[0][1]  # every topic model has the file's threshold and min-words
        if word_count < first.min_words:
            return ()
        features = message_features(text)
        best, topic_id = max(
            (model.probability_of(features), topic_id) for topic_id, model in self.topic_models
        )
        return (topic_id,) if best >= first.threshold else ()

    def _foreign(self, words: list[str]) -> bool:
        """Return True for a message in another language (its everyday words, not English)."""
        # A word with letters outside English's alphabet ("gorączkę") is no English word.
        # Scripts written without spaces (Chinese, Japanese, Thai) hold a sentence in one
        # "word": each of their letters counts as a word.
        foreign = sum(
            max(1, len(_UNSPACED_SCRIPT.findall(w)))
            for w in words
            if w in self._foreign_words or not w.isascii()
        )
        if foreign < 2:
            return False
        # English mixed in counts too ("pwede ba with food or empty stomach ang
        # sirolimus? nurse said either lang daw"): the everyday words, and words of
        # English of four letters or more (shorter ones, "con", "de", are other
        # languages' too).
        english = sum(
            1
            for w in words
            if w in self._common_words
            or (
                len(w) >= _ENGLISH_MIN_LETTERS
                and w.isascii()
                and w not in self._foreign_words
                and self._english().is_word(w)
            )
        )
        return foreign > english

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
        said = normalize(text).split()[:_MAX_WORDS]
        normalized = " ".join(
            self.drug_names.unglue(w) for w in _joined_numbers(said, self._shorthand)
        )
        words = tuple(stem(w) for w in normalized.split())
        if not words:
            return Match(words=())

        names = self.drug_names.find(words)
        drugs, others, used, other = names.drugs, names.others, names.used, names.other
        names_at = list(used)  # where covered names stand, before phrases mark more words
        moved_on = self.cues.moved_on_at(words, names_at)
        if moved_on is not None and len(set(drugs)) > 1:
            # The drug the patient moved on to is the one asked about.
            latest = self.drug_names.find(words[moved_on[0] : moved_on[1]]).drugs
            drugs = latest or drugs
        corrected = [
            w if used[i] or other[i] else stem(self.phrase_index.correct(w))
            for i, w in enumerate(words)
        ]
        for i, w in enumerate(words):
            # "sirolimis and ibuprofin for my back": a misspelt name we do not cover
            # reads as the name the entries spell ("ibuprofen"), never as another word.
            respelt = self.drug_names.respelt(w, self.phrase_index.correct(w)) if other[i] else None
            if respelt is not None:
                spelt, known = respelt
                corrected[i] = stem(spelt)
                typed = self.drug_names.other_names.get((w,))
                others = [known if name == typed else name for name in others]
        # Words that are neither ours, nor English, nor a typo of English: a name we do
        # not know. Right after "on", "taking"... it is surely a medicine.
        unknown: list[str] = []
        people: set[str] | None = None
        for i, word in enumerate(words):
            if used[i] or other[i] or not self.drug_names.is_unknown(word, corrected[i]):
                continue
            if people is None:
                people = _people(text)
            if word in people:
                continue
            if (i > 0 and words[i - 1] in self._medicine_cues) or self._paired_with_ours(
                names_at, words, i
            ):
                others.append(word)
                other[i] = True
            else:
                unknown.append(word)

        if drugs:
            # "on rapamycin after the romiplostim shots stopped working": a drug the
            # patient tried before is their story, not a second medicine taken with ours.
            tried = {
                name
                for start, end in marked_runs(other)
                if self.cues.tried_before(words, end - 1)
                for name in self.drug_names.find(words[start:end]).others
            }
            others = [name for name in others if name not in tried]
        hits = self.phrase_index.hits(corrected)
        # Cue phrases first: a red flag's words then count for no topic.
        fired = self.cues.fire_phrases(hits, corrected, used)
        plain, plain_hits = self.phrase_index.hits_past_fillers(corrected)
        if plain_hits:
            fired |= self.cues.fire_phrases(plain_hits, plain, [False] * len(plain))
        scores: dict[tuple[str, str], int] = {}
        found: list[str] = []
        topic_at: list[int] = []
        questions_at = self.cues.questions_at(words)
        # The topic scores of each question the message asks, by where it starts.
        asked: list[dict[str, int]] = [{} for _ in range(len(questions_at) + 1)]
        for i, size, targets in hits:
            if any(used[i : i + size]):
                continue
            # "which raises platelets faster, ivig or steroids": a phrase that is only the
            # name of a medicine we do not cover names no entry of one of ours, unless one
            # of ours is named ("is imuran given with steroids"). Its topic still counts
            # for a drug the chat named ("what about his st john's wort").
            names_only = not drugs and all(other[i : i + size])
            for target in targets:
                if target.kind == "cue" or (names_only and target.kind == "entry"):
                    continue
                score_key = (target.kind, target.key)
                scores[score_key] = scores.get(score_key, 0) + target.weight
                if target.kind in ("topic", "entry"):
                    found.append(" ".join(corrected[i : i + size]))
                    topic_at.append(i)
                    topic_id = target.key.split(".", 1)[1] if target.kind == "entry" else target.key
                    question = asked[bisect.bisect_right(questions_at, i)]
                    question[topic_id] = question.get(topic_id, 0) + target.weight
        fired |= self.cues.fire_patterns(
            normalized,
            " ".join(corrected),
            self.without_units(normalized),
        )
        named_flags = fired & self.cues.tensed
        if named_flags:
            # "had a fever last week, fine now. is my rash from dapsone?": only the red
            # flags of sentences told as present count.
            fired = (fired - self.cues.tensed) | self._present_red_flags(text, named_flags)
        heard_with: tuple[str, ...] = ()
        for cue_id, model in self.learned:
            # A crisis, which overrides every other cue, is heard whatever else fired,
            # except help told in hand ("I've told my partner everything and she's
            # driving me to the GP now"): the model guesses from the crisis's own words
            # there, and only a rule hears a crisis told again with it.
            if (
                cue_id in self.exclusive
                and cue_id not in fired
                and not fired & self.cues.eases_crisis
                and model.hears(text)
            ):
                heard_with = tuple(sorted(fired & self.cues.urgent))
                fired.add(cue_id)
        # A message in another language is never guessed at, even where a drug's name
        # and a topic word can be picked out of it ("puedo tomar alcohol con azatioprina").
        foreign = self._foreign(normalized.split())
        if not foreign:
            fired -= self.cues.foreign_only
        doubted: set[str] = set()
        for cue_id, model, below in self.doubted_below:
            # A crisis the patterns read in a message the crisis model is sure says none
            # ("my sertraline leaflet warns of suicidal thoughts, does azathioprine?") is
            # doubted before it overrides the rest, so the question is answered too. Never
            # in another language, where the model has too few messages to be sure, nor
            # where a cue tells it as happening now ("it's started again this week").
            if (
                cue_id in fired
                and not foreign
                and not self.cues.present(fired)
                and model.probability(text) < below
            ):
                doubted.add(cue_id)
                fired.discard(cue_id)
        for cue_id, doubts in self.rule_doubting:
            # Doubted before a crisis overrides the rest, so the question is answered
            # too; never where a cue tells it as happening now ("I've been having them").
            if cue_id in fired and fired & doubts and not self.cues.present(fired):
                doubted |= fired & doubts
                fired -= doubts
        before_settling = fired
        fired, dropped = self.cues.settle(fired)
        # "overdid it at the gym and hurt myself": a cue that overrides the crisis (hurt
        # by accident) also takes back its doubted reading, so no crisis lines follow.
        doubted -= dropped
        # "if my child swallowed my tablets what should I do": a red flag another cue
        # reads as not happening ("if ... what should I do" is a near miss) is still
        # what the question asks about, so its alert is said as advice.
        overridden_flags = (
            (before_settling - fired) & self.cues.urgent if "*" not in dropped else set()
        )
        for cue_id, doubts, model in self.doubting:
            # Read only where a red flag it doubts fired: the model weighs the message
            # whole ("if I took a double dose by mistake what would happen"). Never
            # where a cue tells the red flag as the patient's own now ("cellcept making
            # my gums bleed, normal?"): a worried question about it is still a report.
            if fired & doubts and not fired & self.cues.undoubted and model.hears(text):
                doubted |= fired & doubts
                fired = (fired - doubts) | {cue_id}
        for cue_id, model in self.learned:
            # Any other learned cue is a backstop: it speaks only where no rule raised a
            # red flag (a rule's own alert says more, and a later turn can take a rule's
            # back), nor took one back ("false alarm, found it under the sofa"), nor told
            # one as over ("scan was clear, headache's gone today").
            # Nor where a platelet count was read and is not low: a number is read, not
            # guessed ("platelet count 1,20,000 per cumm").
            # Nor where a cue says its sentence tells nothing happening now ("it's the
            # snap filter lol", "reading the info and it's all bleeding"), nor where the
            # rules read a red flag and told it as past or denied ("hit my head last week").
            # It does speak in another language: most of what it catches there the rules
            # miss ("Me he tomado la ciclosporina dos veces esta mañana"): on five stored
            # sets, silencing it there lost more red flags than false alarms it saved.
            # Nor where the message is only names and everyday words ("I'm on dapsone
            # for ITP"): nothing in it can tell an emergency. Nor where it asks a topic
            # the roles call calm ("op in 3 weeks, I'm on cellcept", "positive pregnancy
            # test"): the rules read any red flag told with it.
            backstop = (
                cue_id not in self.exclusive
                and not fired & (self.cues.ends_alarms | self.cues.sentence_quieting)
                and _COUNT_READ not in fired
                and not named_flags - fired
                and self._says_more_than_names(words)
                and not self._asks_calm_topic(scores)
            )
            if backstop and not (fired | dropped) & self.cues.urgent and model.hears(text):
                fired.add(cue_id)
        if "how-it-works" in fired:
            key = ("topic", self.language.roles.how_it_works)
            scores[key] = scores.get(key, 0) + 2
        phrase_best = max((s for (kind, _), s in scores.items() if kind == "topic"), default=0)
        for cue_id, topic_id in self.cues.topics:
            # "my period is 2 weeks late": the cue says which topic is asked, beside any a
            # phrase asks ("what should I watch for": the serious risks and, by the cue,
            # the side effects).
            if cue_id in fired and self.kb.topic(topic_id) is not None:
                key = ("topic", topic_id)
                scores[key] = max(scores.get(key, 0) + 2, phrase_best)
        topic_scores: dict[str, int] = {}
        for (kind, target_key), score in scores.items():
            if kind == "topic":
                topic_scores[target_key] = topic_scores.get(target_key, 0) + score
            elif kind == "entry":
                topic_id = target_key.split(".", 1)[1]
                topic_scores[topic_id] = topic_scores.get(topic_id, 0) + score
        if not topic_scores:
            # A red flag asked about or denied ("yellow skin is a dapsone thing? I don't
            # have it") asks about what its alert would have shown.
            for cue_id in sorted(named_flags - fired):
                alert = self.kb.alert(cue_id)
                for topic_id in alert.topics if alert is not None else ():
                    topic_scores[topic_id] = 1
        topics = _best(topic_scores)
        # "took my sirolimus at 8 instead of 7, does an hour matter": no phrase of a
        # topic, but the words of questions that asked it. Never beside a red flag, a
        # dose or another medicine, whose replies must not read as an answer.
        if (
            not topics
            and not any(kind == "general" for kind, _ in scores)
            and drugs
            and not others
            and not foreign
            and not fired & (self.cues.urgent | {"dose"})
            # "my consultant wants to start me on imuran, what do I need to know": the
            # overview's words ask for the overview, which answers them.
            and self._says_more_than_names(words)
        ):
            topics = self._learned_topic(text, len(words))
        if len(asked) > 1:
            # "is it ok to have a few drinks and is a bit of sun ok": the best topic of
            # each question, though one says more than another.
            each = (t for question in asked for t in _best(question, keep=1))
            topics = tuple(dict.fromkeys((*topics, *each)))[:_MAX_TOPICS]
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
            dose=(
                "dose" in fired
                or ("dose" not in dropped and self.cues.dose_verb_before_drug(words, names_at))
            )
            and "uncovered.missed-doses" not in fired,
            urgent=bool(fired & self.cues.urgent),
            exclusive="*" in dropped,
            foreign=foreign,
            uncovered_topic=uncovered,
            asked_flags=tuple(
                sorted(doubted | self._asked_ahead(fired, named_flags - fired, overridden_flags))
            ),
            heard_flags=tuple(
                sorted(
                    (
                        ((named_flags - fired) & self.cues.urgent)
                        | self.cues.spoken_of(fired)
                        | doubted
                    )
                    - fired
                )
            ),
            across="across" in fired,
            switched_to_other=self.cues.switched_to_other(
                words,
                names_at,
                [o and words[i] not in self.vocabulary for i, o in enumerate(other)],
                others,
                asks_pair="pair-question" in fired,
            ),
            takes_other=self.cues.takes_other(words, other),
            asks_of_other=self.cues.asks_of_other(words, other),
            likens_to_ours=self.cues.likens_to_ours(words, names_at, other),
            own=self._own_drugs(words, names_at),
            about_class="about-class" in fired,
            general_score=general_ranked[0][1] if general_ranked else 0,
            entry_score=max((v for (kind, _), v in scores.items() if kind == "entry"), default=0),
            follow_up="follow-up" in fired,
            topics_of_others=_all_of_others(
                topic_at,
                names_at,
                # "Neoral, NOT Prograf. side effects?": a name put aside owns nothing.
                # "after the romiplostim shots stopped working": nor does one tried before.
                [
                    o
                    and not (i and words[i - 1] in self._negations)
                    and not self.cues.tried_before(words, i)
                    for i, o in enumerate(other)
                ],
            ),
            greeting="greeting" in fired,
            thanks="thanks" in fired,
            cues=frozenset(fired),
            heard_with=heard_with if "*" in dropped else (),
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


def _learned_models(language: Language) -> Iterator[tuple[str, LearnedModel]]:
    """Train the model of each of the language's learned cues (and of their opposites).

    Each learns from its learned messages and from its cue's own examples and
    counter-examples. A cue that fires where rules miss (a crisis) also learns from
    every other cue's messages, none of which says it; a cue that doubts red flags
    learns from their examples, each of which tells one, as from those of its opposite.
    """
    for learned in language.learned:
        cue = language.cue(learned.cue)
        if cue is None:
            continue
        said = (*cue.examples, *learned.examples)
        not_said = [*cue.counter_examples, *learned.counter_examples]
        for other in language.cues:
            if other.id == learned.opposite or other.id in cue.doubts:
                not_said += other.examples
            elif not cue.doubts and other.id != cue.id:
                not_said += [*other.examples, *other.counter_examples]
        model = train_model(said, tuple(dict.fromkeys(not_said)), learned.threshold)
        model = replace(model, min_words=learned.min_words)
        yield cue.id, model
        if learned.opposite:
            yield learned.opposite, model.opposite(learned.opposite_threshold)


#: How many other topics' messages a topic's model learns from, for each of its own.
_OTHERS_PER_OWN = 4


def _learned_topic_models(kb: KnowledgeBase) -> tuple[tuple[str, LearnedModel], ...]:
    """Train one model a topic of ``kb.language.learned_topics`` (none without them).

    Each learns from its topic's messages, and the phrases of the topic and of its
    entries, against those of every other topic.
    """
    learned = kb.language.learned_topics
    if learned is None:
        return ()
    said: dict[str, list[str]] = {topic_id: list(messages) for topic_id, messages in learned.topics}
    for topic in kb.topics:
        said.setdefault(topic.id, []).extend(topic.phrases)
    for entry in kb.entries():
        said.setdefault(entry.topic_id, []).extend(entry.phrases)
    models = []
    for topic_id, _ in learned.topics:
        own = tuple(dict.fromkeys(said[topic_id]))
        others = sorted(
            {m for other, theirs in said.items() if other != topic_id for m in theirs} - set(own),
            key=_digest,
        )
        # A few times as many other messages as its own, picked by digest (the same
        # every load): on three held-out sets as good as all of them, and it trains
        # twenty topics in a fifth of the time.
        others = others[: _OTHERS_PER_OWN * len(own)]
        model = train_model(own, tuple(others), learned.threshold)
        model = replace(model, min_words=learned.min_words)
        models.append((topic_id, model))
    return tuple(models)


def _digest(message: str) -> bytes:
    return hashlib.blake2b(message.encode(), digest_size=8).digest()


def _ranked(scores: dict[tuple[str, str], int]) -> list[tuple[tuple[str, str], int]]:
    return sorted(scores.items(), key=lambda item: -item[1])


def _best(scores: dict[str, int], keep: int = _MAX_TOPICS) -> tuple[str, ...]:
    """Return the topics scoring at least half the best score, best first."""
    if not scores:
        return ()
    top = max(scores.values())
    ranked = sorted(scores.items(), key=lambda item: -item[1])
    return tuple(k for k, s in ranked if s * 2 >= top)[:keep]


def _all_of_others(topic_at: list[int], covered: list[bool], others: list[bool]) -> bool:
    """Return True when every topic phrase belongs to a drug we do not cover.

    A phrase belongs to the nearest name before it ("melatonin gummies to help me
    sleep, on dapsone": sleep is melatonin's); one before any name belongs to none.
    """
    names = [(i, is_ours) for i, is_ours in enumerate(covered) if is_ours or others[i]]
    if not topic_at or not any(others) or not any(covered):
        return False
    for at in topic_at:
        before = [ours for i, ours in names if i < at]
        if not before or before[-1]:
            return False
    return True
