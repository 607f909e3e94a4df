"""Cues: what a message says besides drugs and topics (a red flag, a dose question...).

Every cue is data (knowledge/language.yaml). A cue fires on one of its phrases,
found by the phrase index, unless a negatable cue's phrase is denied ("no fever",
"hay fever"), or on one of its patterns over the folded message.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Set
from dataclasses import dataclass

from bot.language import Cue, Language
from bot.literal_finder import LiteralFinder
from bot.phrase_index import PhraseHit
from bot.regex_literals import required_words, text_words
from bot.text import words_of

__all__ = ["CueReader", "marked_runs", "platelet_value"]

# Words that join a list of symptoms, so that one negation denies them all.
_LIST_WORDS = frozenset({"or", "nor"})
# The longest clause that may only tell the time of the clauses around it ("years ago").
_TIME_ONLY_WORDS = 4
# The words before an anchored pattern's core that still belong to it ("not had a fever").
_CORE_LEAD_WORDS = 3
# Words around a drug's name that are never a dose verb themselves.
_POSSESSIVES = ("my", "the", "his", "her")


#: A platelet count (x10^9/L) under which a fall by a third is already a fast fall.
_NEAR_LOW = 30

#: How a folded lab unit's power of ten ends right before its power ("x10 12", "x 10 9").
_POWER_OF_TEN = ("x10 ", "x 10 ")


class CueReader:
    """Fires the cues of one language on a message's words."""

    def __init__(self, language: Language) -> None:
        """Prepare the language's lists as sets for the hot path."""
        self.language = language
        self._negations = frozenset(language.negations)
        self._fillers = frozenset(language.negation_fillers)
        self._not_symptoms = frozenset(words_of(p) for p in language.not_symptoms)
        self._undo_negation = frozenset(language.undo_negation)
        self._dose_verbs = frozenset(language.dose_verbs)
        #: Cues read like a clinician: negation and the past do not fire them.
        self.negatable = frozenset(c.id for c in language.cues if c.negatable)
        #: Negatable cues that the past quiets too ("had a fever last week").
        self.tensed = frozenset(c.id for c in language.cues if c.negatable and not c.timeless)
        #: Cues that count only in a message in another language.
        self.foreign_only = frozenset(c.id for c in language.cues if c.foreign)
        #: (cue id, topic id) for the cues that say which topic is asked.
        self.topics = tuple((c.id, c.topic) for c in language.cues if c.topic)
        self.urgent = frozenset(c.id for c in language.cues if c.urgent)
        #: Cues that tell a crisis is in hand ("my sister is driving me to the GP now").
        self.eases_crisis = frozenset(c.id for c in language.cues if c.eases_crisis)
        self._patterns = tuple(c for c in language.cues if c.patterns)
        self._pattern_cues = {c.id: c for c in self._patterns}
        self._signalled = tuple(c for c in language.cues if c.signals)
        # Each pattern with the words it cannot match without: searched only where one is.
        self._gated = {c.id: _Gated.of(c.patterns) for c in self._patterns}
        self._gated_signals = {
            (c.id, s.name): _Gated.of(s.patterns) for c in self._signalled for s in c.signals
        }
        # Which of those words a text holds is found for all patterns in one pass.
        self._needed_words = LiteralFinder(
            word
            for gated in (*self._gated.values(), *self._gated_signals.values())
            for word in gated.needs
        )
        # Per needed word, the cues with a pattern that needs it; cues with a pattern that
        # needs no word are looked at for every text.
        self._looked_at_always = frozenset(c.id for c in self._patterns if self._gated[c.id].always)
        cues_by_word: dict[str, list[str]] = {}
        for cue_id, gated in self._gated.items():
            for word in gated.needs:
                cues_by_word.setdefault(word, []).append(cue_id)
        self._cues_by_word = {word: frozenset(ids) for word, ids in cues_by_word.items()}
        # Cues where one match may count and another not: a negation before it, a count
        # too high, a fall too small. The others stop at their first match.
        self._weighed = frozenset(
            c.id
            for c in self._patterns
            if c.negatable
            or c.below is not None
            or any("(?P<before>" in p.pattern or "(?P<was>" in p.pattern for p in c.patterns)
        )
        # A pattern that spells a negation itself ("cant see the point") is denied only
        # by one before it; any other is denied by one inside it too ("lips arent blue").
        spelt = re.compile(r"\b(" + "|".join(map(re.escape, sorted(self._negations))) + r")\b")
        self._denied_inside = frozenset(
            p
            for c in self._patterns
            if c.negatable
            for p in c.patterns
            if not spelt.search(p.pattern)
        )
        self._overrides = tuple((c.id, c.overrides) for c in language.cues if c.overrides)
        self._speaks_of = {c.id: frozenset(c.speaks_of) for c in language.cues if c.speaks_of}
        self._quiets_only = {c.id: frozenset(c.quiets_only) for c in language.cues if c.quiets_only}
        self._spares = {c.id: frozenset(c.spares) for c in language.cues if c.spares}
        self._quiet_always = frozenset(c.id for c in language.cues if c.quiets == "always")
        self._quiet_unless = frozenset(c.id for c in language.cues if c.quiets == "unless-present")
        self._quiet_sentence = frozenset(c.id for c in language.cues if c.quiets == "sentence")
        self._quiet_sentence_always = frozenset(
            c.id for c in language.cues if c.quiets == "sentence-always"
        )
        # The words a clause that only tells the time is made of ("years ago", "before
        # any of this"): those of the past and over cues' phrases. A bare "no" tells no
        # time: "H? no, normal, WBC 2.1 L" still reports the low white cells.
        self._time_words = (
            frozenset(
                word
                for c in language.cues
                if c.quiets in ("always", "unless-present")
                for phrase in c.phrases
                for word in words_of(phrase)
            )
            - self._negations
        )
        self._present = frozenset(c.id for c in language.cues if c.present)
        self._own_news = frozenset(c.id for c in language.cues if c.own_news)
        #: Cues that say a red flag told before is over ("gone now", "scan was clear").
        self.ends_alarms = frozenset(c.id for c in language.cues if c.ends_alarms)
        #: Cues that tell a red flag as the patient's own now: never doubted by a model.
        self.undoubted = frozenset(c.id for c in language.cues if c.undoubted)
        self.asking_ahead = frozenset(c.id for c in language.cues if c.asks_ahead)
        # Cues that tell a red flag as past, over or someone else's: a question asked with
        # one ("ended up in A&E in June with a nosebleed... does it slow healing?") asks
        # nothing ahead about that red flag.
        self.telling_otherwise = frozenset(
            c.id for c in language.cues if c.quiets and not c.asks_ahead
        )
        # Read by id: a denial of a list ("Bleeding, bruising, fever: none of those").
        self._list_denial = frozenset(c.id for c in language.cues if c.id == "denied-after")
        #: Cues that say their sentence tells no red flag happening now.
        self.sentence_quieting = self._quiet_sentence | self._quiet_sentence_always
        self.quieting = (
            self._quiet_always
            | self._quiet_unless
            | self._quiet_sentence
            | self._quiet_sentence_always
        )
        # The quieting cues each cue takes back in its sentence ("thought it was the
        # filter, but it's not" takes back the filter).
        self._takes_back = {
            c.id: frozenset(c.overrides) & self.quieting
            for c in language.cues
            if frozenset(c.overrides) & self.quieting
        }
        #: The cues that reading clause by clause needs: red flags and what tells their time.
        self.clause_cues = (
            self.tensed
            | self.quieting
            | self._present
            | self._own_news
            | frozenset(self._takes_back)
        )
        # Cues the engine reads by id to tell which drug a message is about.
        self._switch = _patterns_of(language, "switch")
        self._switched_off_ours = _patterns_of(language, "switched-off-ours")
        self._moved_on = _patterns_of(language, "moved-on")
        self._next_question = _patterns_of(language, "next-question")
        self._moved_to_first = _patterns_of(language, "moved-to-first")
        self._name_denied = _patterns_of(language, "name-denied")
        self._on_it_now = _patterns_of(language, "on-it-now")
        self._asks_of_other = _patterns_of(language, "asks-of-other")
        self._switched_to = _patterns_of(language, "switched-to")
        self._started_other = _patterns_of(language, "started-other")
        self._instead_of = _patterns_of(language, "instead-of")
        self._likened_to = _patterns_of(language, "likened-to")
        self._tried_before = _patterns_of(language, "tried-before")
        self._still_on_ours = _patterns_of(language, "still-on-ours")

    def fire_phrases(self, hits: list[PhraseHit], words: list[str], used: list[bool]) -> set[str]:
        """Return the cues whose phrases the message holds; an urgent cue's words become ``used``.

        A red flag's words ("blood" in "vomiting blood") then say nothing more about
        the topic, which defaults to side effects.
        """
        fired: set[str] = set()
        for i, size, targets in hits:
            if any(used[i : i + size]):
                continue
            for target in targets:
                if target.kind != "cue":
                    continue
                if target.key in self.negatable and self.denied(words, i, size):
                    continue
                fired.add(target.key)
                if target.key in self.urgent:
                    used[i : i + size] = [True] * size
        return fired

    def fire_patterns(self, *texts: str, only: frozenset[str] | None = None) -> set[str]:
        """Return the cues one of whose patterns matches one of ``texts``.

        A negatable cue's match right after a negation does not count ("no blood in my
        poo"); a cue with ``below`` counts only a captured number below it.
        """
        fired: set[str] = set()
        found = tuple((text, self._needed_words.found_in(text)) for text in dict.fromkeys(texts))
        looked_at = set(self._looked_at_always)
        for _text, words in found:
            for word in words:
                looked_at.update(self._cues_by_word.get(word, ()))
        if only is not None:
            looked_at &= only
        # Only the cues a text holds a needed word of (or that need none) are searched.
        for cue_id in looked_at:
            cue = self._pattern_cues[cue_id]
            # Every match is weighed only where one may not count (a negation before it,
            # a count too high); otherwise the first match decides. Patterns are searched
            # one by one: joined into one alternation, Python's engine was slower.
            searches = self._gated[cue.id].searches(found)
            hit = any(pattern.search(text) for pattern, text in searches)
            if hit and cue.id in self._weighed:
                hit = any(
                    self._counts(cue, m)
                    for pattern, text in searches
                    for m in pattern.finditer(text)
                )
            if hit:
                fired.add(cue.id)
        for cue in self._signalled:
            if cue.id in fired or (only is not None and cue.id not in only):
                continue
            # Hints that are nothing alone ("a plan", "finality") add up, each kind once.
            weight = sum(
                signal.weight
                for signal in cue.signals
                if any(
                    self._counts(cue, m)
                    for pattern, text in self._gated_signals[cue.id, signal.name].searches(found)
                    for m in pattern.finditer(text)
                )
            )
            if weight >= cue.threshold:
                fired.add(cue.id)
        return fired

    def _counts(self, cue: Cue, found: re.Match[str]) -> bool:
        if cue.negatable:
            before, inside = _around_core(found)
            if self._negated(before) or (
                found.re in self._denied_inside and not self._negations.isdisjoint(inside)
            ):
                return False
        groups = found.groupdict()
        if groups.get("before") and groups.get("after"):
            # "went from 142 to 41": a fall to half or less is a fast fall. So is a fall
            # by a third or more to under 30 ("40 to 22 this week"): it is nearing the
            # under-20 line of the guidelines.
            was = platelet_value(groups["before"])
            now = platelet_value(groups["after"])
            return now * 2 <= was or (now < _NEAR_LOW and now * 3 <= was * 2)
        if groups.get("was") and groups.get("now"):
            # "Hb from 132 to 101": any fall of a result the patient reports.
            # "2 1" is how "2.1" reads once the text is folded.
            return _decimal(groups["now"]) < _decimal(groups["was"])
        if cue.below is None:
            return True
        if groups.get("lakh"):
            # "0.15 lakh/cumm": a lakh is 100,000 per microlitre, 100 x10^9/L.
            return _decimal(groups["lakh"]) * 100 < cue.below
        if groups.get("tenk"):
            # "1.5 x10^4/microlitre" is 15 x10^9/L.
            return _decimal(groups["tenk"]) * 10 < cue.below
        if groups.get("upto"):
            # "platelets below 20", "less than 20": the count is under the number told.
            return platelet_value(groups["upto"]) <= cue.below
        if "count" not in found.re.groupindex:
            # A pattern with no number to weigh says the count is low in words
            # ("down to single figures").
            return True
        count = groups.get("count")
        # "0.15 x10^12": the 12 is the unit's power, never a count.
        if count is not None and found.string[: found.start("count")].endswith(_POWER_OF_TEN):
            return False
        return count is not None and platelet_value(count) < cue.below

    def quieted(self, fired: set[str], flags: Set[str]) -> frozenset[str]:
        """Return the red flags of ``flags`` a clause's cues tell as past, over or asked about."""
        quieting = fired & self._quiet_always
        if not fired & self._present:
            quieting |= fired & self._quiet_unless
        return self._reach(quieting, flags)

    def _reach(self, quieting: set[str], flags: Set[str]) -> frozenset[str]:
        """Return the red flags of ``flags`` that these quieting cues speak for.

        Each quiets those its ``quiets-only`` lists, or every one: "Neut 0.4, temp 37.9"
        tells a normal temperature, which says nothing of the neutrophils.
        """
        reach: set[str] = set()
        for cue_id in quieting:
            only = self._quiets_only.get(cue_id)
            # "stopped now" quiets the bleed told with it, never the count (``spares``).
            reach |= (flags if only is None else only) - self._spares.get(cue_id, frozenset())
        return frozenset(flags) & reach

    def spared(self, fired: set[str]) -> frozenset[str]:
        """Return the red flags that the quieting cues of ``fired`` never quiet (``spares``)."""
        return frozenset().union(*(self._spares.get(c, frozenset()) for c in fired))

    def present(self, fired: set[str]) -> bool:
        """Return True when a clause's cues say its red flags are happening now."""
        return bool(fired & self._present)

    def quiets_sentence(self, fired: set[str], words: list[str]) -> bool:
        """Return True when a clause quiets the red flags of its sentence unless present.

        "Hypothetically, if my daughter bumped her head..." (a ``sentence`` cue), or a
        clause that only tells the time ("years ago, before any of this, I had black
        stools"): made only of the words of past and over phrases, and numbers.
        """
        if fired & self._quiet_sentence:
            return True
        return (
            bool(words)
            and len(words) <= _TIME_ONLY_WORDS
            and bool(fired & self.quieting)
            # A quieting cue of one red flag ("temp 37.9") does not quiet the rest.
            and not fired & self._quiets_only.keys()
            and not fired & (self.tensed | self._own_news)
            and all(w in self._time_words or w.isdigit() for w in words)
        )

    def taken_back(self, fired: set[str]) -> frozenset[str]:
        """Return the quieting cues that the cues of a sentence take back."""
        return frozenset().union(*(self._takes_back.get(c, frozenset()) for c in fired))

    def silences_sentence(self, fired: set[str]) -> bool:
        """Return True when a clause quiets its sentence's red flags whatever their time."""
        return bool(fired & self._quiet_sentence_always)

    def resolves(self, fired: set[str], flags: Set[str]) -> frozenset[str]:
        """Return the red flags of ``flags`` that a clause says are over ("fine now").

        A question ("mostly wanted to ask if...") quiets its own clause only: it says
        nothing of the fevers told before it. A clause that tells its own red flag over
        ("a nosebleed that stopped") says nothing of the clauses before it ("Count was
        12."), unless it denies a whole list ("Bleeding, bruising, fever: none of those");
        nor does one with news of its own ("hit my head, count 25 last week": ``own-news``).
        """
        ending = fired & self._quiet_always & self.ends_alarms
        if not ending or fired & self._own_news:
            return frozenset()
        if fired & self.tensed and not fired & self._list_denial:
            return frozenset()
        return self._reach(ending, flags)

    def spoken_of(self, fired: set[str]) -> frozenset[str]:
        """Return the urgent cues the fired cues speak of without raising them."""
        return frozenset().union(*(self._speaks_of.get(c, frozenset()) for c in fired))

    def settle(self, fired: set[str]) -> tuple[set[str], set[str]]:
        """Drop the cues that a fired cue overrides (a crisis: every other cue).

        Returns:
            The cues that still count, and the ids of those dropped.
        """
        dropped: set[str] = set()
        for cue_id, overridden in self._overrides:
            if cue_id in fired:
                if "*" in overridden:
                    return {cue_id}, fired - {cue_id} | {"*"}
                dropped |= fired & set(overridden) | set(overridden)
                fired = fired - set(overridden)
        return fired, dropped

    def denied(self, words: list[str], start: int, size: int) -> bool:
        """Return True when a symptom is denied ("no fever") or no symptom ("hay fever")."""
        # Only "no fever", "not any fever", "without a high fever": the negation right
        # before the symptom, past filler words. Two words back may be another clause
        # ("not eating, fever": the comma is gone by now), so it never counts.
        after_phrase = words[start + size] if start + size < len(words) else ""
        if self._negated(words[:start]) and after_phrase not in self._undo_negation:
            return True
        phrase = tuple(words[start : start + size])
        before = (words[start - 1], *phrase) if start > 0 else ()
        after = (*phrase, words[start + size]) if start + size < len(words) else ()
        return before in self._not_symptoms or after in self._not_symptoms

    def _negated(self, before: list[str]) -> bool:
        """Return True when the words before a symptom end in a negation, past fillers.

        A list carries its negation along: in "no fever or bleeding" the "no" denies the
        bleeding too, so "or"/"nor" and the one or two words before it are stepped over.
        """
        i = len(before) - 1
        while i >= 0 and before[i] in self._fillers:
            i -= 1
        if i >= 0 and before[i] in _LIST_WORDS:
            for gap in (2, 3):
                j = i - gap
                while j >= 0 and before[j] in self._fillers:
                    j -= 1
                if j >= 0 and before[j] in self._negations:
                    return True
        return i >= 0 and before[i] in self._negations

    def dose_verb_before_drug(self, words: tuple[str, ...], names_at: list[bool]) -> bool:
        """Return True for "more sirolimus", "up my dapsone", "reduce the cellcept"."""
        for i, is_name in enumerate(names_at):
            if is_name and (i == 0 or not names_at[i - 1]):
                before = [w for w in words[max(0, i - 3) : i] if w not in _POSSESSIVES]
                if before and before[-1] in self._dose_verbs:
                    return True
        return False

    def moved_on_at(self, words: tuple[str, ...], names_at: list[bool]) -> tuple[int, int] | None:
        """Return where the covered name stands that the patient moved on to.

        "was on azathioprine for a year, now switched to sirolimus": the question is
        about sirolimus; the words between the names say so (cue ``moved-on``), or the
        words before the first name say it is the one moved to (``moved-to-first``).
        """
        runs = marked_runs(names_at)
        if len(runs) < 2:
            return None
        # "switched to dapsone last week cos aza did nothing", "sorry, I meant
        # azathioprine, ciclosporin is my sister's": the words just before the first
        # name say it is the patient's drug now (cue ``moved-to-first``).
        before = " ".join(words[max(0, runs[0][0] - _SWITCH_WINDOW) : runs[0][0]])
        if any(p.search(before) for p in self._moved_to_first):
            return runs[0]
        # "not azathioprine, I'm on dapsone", "I'm not on imuran any more, I'm on dapsone
        # now": the first name is denied, so the last is the patient's (cue
        # ``name-denied``); "it's ciclosporin not azathioprine" denies the second.
        if any(p.search(before) for p in self._name_denied):
            return runs[-1]
        if len(runs) == 2:
            just_before_second = " ".join(words[max(runs[0][1], runs[1][0] - 3) : runs[1][0]])
            if any(p.search(just_before_second) for p in self._name_denied):
                return runs[0]
        # "switched me from azathioprine to mycophenolate because the aza did nothing":
        # the name right after "from X to" is the one moved to, whatever is named later.
        if _from_to(words, runs[0][0], " ".join(words[runs[0][1] : runs[1][0]])):
            return runs[1]
        between = " ".join(words[runs[0][1] : runs[-1][0]])
        moved = _from_to(words, runs[0][0], between)
        return runs[-1] if moved or any(p.search(between) for p in self._moved_on) else None

    def questions_at(self, words: tuple[str, ...]) -> list[int]:
        """Return where each question after the first starts (cue ``next-question``).

        "can I have a few drinks and is a bit of sun ok": the second question starts at
        "and", so its topic is answered too, however much the first one says.
        """
        text = " ".join(words)
        starts = {
            text.count(" ", 0, found.start())
            for pattern in self._next_question
            for found in pattern.finditer(text)
        }
        return sorted(s for s in starts if s > 0)

    def asks_of_other(self, words: tuple[str, ...], other: list[bool]) -> bool:
        """Return True when the question is asked of a drug we do not cover, as its subject.

        "does pred interact with alcohol?", "can the eltrombopag cause headaches": the
        words before its first name open the question (cue ``asks-of-other``), so it is
        asked of that drug alone, whatever drug the chat spoke of before.
        """
        first = next((i for i, is_other in enumerate(other) if is_other), None)
        if first is None:
            return False
        before = " ".join(words[:first])
        return any(p.search(before) for p in self._asks_of_other)

    def takes_other(self, words: tuple[str, ...], other: list[bool]) -> bool:
        """Return True when the patient says they take a drug we do not cover now.

        "I'm on myfortic, can I drink?": the words just before its name say so (cue
        ``on-it-now``); "the GP wants to start allopurinol" does not.
        """
        return any(
            p.search(" ".join(words[max(0, i - _SWITCH_WINDOW) : i]))
            for i, is_other in enumerate(other)
            if is_other
            for p in self._on_it_now
        )

    def tried_before(self, words: tuple[str, ...], at: int) -> bool:
        """Return True when the words right after the name at ``at`` tell it as tried and over.

        "after the romiplostim shots stopped working, is skin cancer a worry on
        rapamycin": cue ``tried-before`` says so, and such a name owns no topic word.
        """
        after = " ".join(words[at + 1 : at + 1 + _SWITCH_WINDOW])
        return any(p.search(after) for p in self._tried_before)

    def switched_to_other(
        self,
        words: tuple[str, ...],
        names_at: list[bool],
        other: list[bool],
        others: list[str],
        asks_pair: bool = False,
    ) -> bool:
        """Return True when the question is about a drug not ours, a covered one only in passing.

        "stopped imuran, now on tacrolimus", "switched from cellcept to myfortic, myfortic
        side effects?", "imuran is fine but what about X": the drug we do not cover comes
        last, after a switch, or is the one named twice.
        """
        covered = [i for i, is_name in enumerate(names_at) if is_name]
        uncovered = [i for i, is_other in enumerate(other) if is_other]
        if not covered or not uncovered:
            return False
        if covered[-1] > uncovered[-1]:
            # "they put me on pred, then eltrombopag, and now I'm on aza": the words just
            # before the covered name told last say it is taken now (cue ``on-it-now``).
            before = " ".join(words[max(0, covered[-1] - _SWITCH_WINDOW) : covered[-1]])
            if any(p.search(before) for p in self._on_it_now):
                return False
        if uncovered[0] < covered[0]:
            # "GP put him on co-codamol ... don't know if he's taken his azathioprine":
            # the words just before the covered name (cue ``still-on-ours``) say it is
            # still taken, so the other one was added, not switched to.
            ours_before = " ".join(words[max(0, covered[0] - _SWITCH_WINDOW) : covered[0]])
            if any(p.search(ours_before) for p in self._still_on_ours):
                return False
            # "mum's been switched to myfortic, same rules as cellcept?", "I take now
            # myfortic instead of cellcept": the words just before the drug we do not
            # cover (cue ``switched-to``) or right after it (``instead-of``) say so.
            before = " ".join(words[max(0, uncovered[0] - _SWITCH_WINDOW) : uncovered[0]])
            after = " ".join(words[uncovered[0] + 1 : covered[0]])
            if any(p.search(before) for p in self._switched_to) or any(
                p.search(after) for p in self._instead_of
            ):
                return True
            # "I take now myfortic, same rules as cellcept?": weaker words (cue
            # ``started-other``) say so too, unless the message asks about the two
            # together ("started sertraline, does it clash with dapsone?").
            if not asks_pair and any(p.search(before) for p in self._started_other):
                return True
        if uncovered[-1] < covered[-1]:
            return False
        between = " ".join(words[covered[0] + 1 : uncovered[-1]])
        named_twice = len(others) > len(set(others))
        # "switched me from cyclosporine to tacrolimus": from the covered one to another.
        from_to = _from_to(words, covered[0], between)
        # A switch word between the two, read with what follows in view: "on rapamycin
        # after the romiplostim shots stopped working" tells the drug we do not cover as
        # the one before, and only the words after its name say so.
        rest = " ".join(words[covered[0] + 1 :])
        # "I'm on sirolimus and my GP just started me on clarithromycin": the covered drug
        # told as taken now, only words that say it was left (cue ``switched-off-ours``)
        # make the other one a switch; "started me on" adds it.
        ours_before = " ".join(words[max(0, covered[0] - _SWITCH_WINDOW) : covered[0]])
        taken_now = any(p.search(ours_before) for p in self._on_it_now)
        switch = self._switched_off_ours if taken_now else self._switch
        return (
            named_twice
            or from_to
            or any(m.start() < len(between) for p in switch for m in p.finditer(rest))
        )

    def likens_to_ours(
        self, words: tuple[str, ...], names_at: list[bool], other: list[bool]
    ) -> bool:
        """Return True when a drug we do not cover is likened to a covered one named after it.

        "is methotrexate safe in pregnancy like azathioprine is?": the words just before
        the covered name (cue ``likened-to``) liken the two, so the question is about the
        drug we do not cover, and the covered drug's facts must not answer it.
        """
        covered = [i for i, is_name in enumerate(names_at) if is_name]
        uncovered = [i for i, is_other in enumerate(other) if is_other]
        return any(
            p.search(" ".join(words[max(u + 1, c - _SWITCH_WINDOW) : c]))
            for c in covered
            for u in uncovered
            if u < c
            for p in self._likened_to
        )


def _patterns_of(language: Language, cue_id: str) -> tuple[re.Pattern[str], ...]:
    """Return the patterns of the cue ``cue_id``, or none when the language lacks it."""
    cue = language.cue(cue_id)
    return cue.patterns if cue is not None else ()


#: How many words before a drug's name may say the patient switched to it.
_SWITCH_WINDOW = 5


def _from_to(words: tuple[str, ...], start: int, between: str) -> bool:
    """Return True for "from <the name at start> to <the next name>"."""
    return start > 0 and words[start - 1] == "from" and between in ("to", "onto")


def marked_runs(marks: list[bool]) -> list[tuple[int, int]]:
    """Return the (start, end) of each run of marked words."""
    runs: list[tuple[int, int]] = []
    for i, marked in enumerate(marks):
        if marked and (i == 0 or not marks[i - 1]):
            runs.append((i, i + 1))
        elif marked:
            runs[-1] = (runs[-1][0], i + 1)
    return runs


@dataclass(frozen=True)
class _Gated:
    """A group of patterns, each with the words it cannot match without.

    A pattern is searched only in a text that holds one of its words (most messages
    hold none of a cue's); one with no such words is searched in every text.
    """

    always: tuple[re.Pattern[str], ...]
    #: Each other pattern with its words.
    gated: tuple[tuple[re.Pattern[str], frozenset[str]], ...]
    #: The words of all of them: a text with none of these needs no look at each pattern.
    needs: frozenset[str]
    #: Per word, the indexes in ``gated`` of the patterns that need it, so a text's words
    #: pick their patterns without a look at every pattern of the cue.
    by_word: dict[str, tuple[int, ...]]

    @classmethod
    def of(cls, patterns: tuple[re.Pattern[str], ...]) -> _Gated:
        """Read each pattern's needed words from the expression itself."""
        always: list[re.Pattern[str]] = []
        gated: list[tuple[re.Pattern[str], frozenset[str]]] = []
        for pattern in patterns:
            words = text_words(pattern)
            if words is None:
                always.append(pattern)
            else:
                gated.append((pattern, frozenset(words)))
        by_word: dict[str, list[int]] = {}
        for index, (_pattern, needed) in enumerate(gated):
            for word in needed:
                by_word.setdefault(word, []).append(index)
        return cls(
            tuple(always),
            tuple(gated),
            frozenset(by_word),
            {word: tuple(indexes) for word, indexes in by_word.items()},
        )

    def searches(
        self, found: tuple[tuple[str, frozenset[str]], ...]
    ) -> list[tuple[re.Pattern[str], str]]:
        """Return the (pattern, text) pairs worth searching, given each text's words found."""
        pairs = [(pattern, text) for pattern in self.always for text, _words in found]
        for text, words in found:
            present = self.needs & words
            if not present:
                continue
            if len(present) == 1:
                indexes: Iterable[int] = self.by_word[next(iter(present))]
            else:
                # In the patterns' own order, each once.
                indexes = sorted({i for word in present for i in self.by_word[word]})
            pairs.extend((self.gated[i][0], text) for i in indexes)
        return pairs


def _around_core(found: re.Match[str]) -> tuple[list[str], list[str]]:
    """Return the words before a match's core, and the words inside it that may deny it.

    A pattern anchored at the start ("^(?!...).*i took a load") matches the whole message
    up to its core: a negation far back in a long story ("I've not been right") says
    nothing about the core. Its core starts at the first word it cannot match without;
    the few words just before the core count as inside it ("not had a fever"). In any
    other pattern the core is the whole match, its first word aside.
    """
    start = found.start()
    if not found.re.pattern.startswith("^"):
        return found.string[:start].split(), found.group(0).split()[1:]
    matched = found.group(0)
    first = min(
        (i for word in required_words(found.re) or () if (i := matched.find(word)) >= 0),
        default=0,
    )
    lead = matched[:first].split()[-_CORE_LEAD_WORDS:]
    core = matched[first:].split()
    return found.string[: start + first].split(), lead + core[1:]


def platelet_value(count: str) -> float:
    """Read "9", "11k" or "11 000" as a count in x10^9/L (11,000 per microlitre is 11)."""
    digits = count.removesuffix("k").replace(" ", "")
    value = float(digits) if digits.isdigit() else float("inf")
    return value / 1000 if value >= 1000 else value


def _decimal(value: str) -> float:
    """Read a folded number as a decimal ("2 1" from "2.1") or in thousands ("2 400")."""
    whole, _, part = value.partition(" ")
    if len(part) == 3:
        # "ANC 2,400": a comma between thousands folds to a space too.
        return float(whole + part)
    return float(f"{whole}.{part}" if part else whole)
