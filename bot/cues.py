"""Cues: what a message says besides drugs and topics (a red flag, a dose question...).

Every cue is data (knowledge/language.yaml). A cue fires on one of its phrases,
found by the phrase index, unless a negatable cue's phrase is denied ("no fever",
"hay fever"), or on one of its patterns over the folded message.
"""

from __future__ import annotations

import re

from bot.language import Language
from bot.phrase_index import PhraseHit

__all__ = ["CueReader"]

# Words around a drug's name that are never a dose verb themselves.
_POSSESSIVES = ("my", "the", "his", "her")


class CueReader:
    """Fires the cues of one language on a message's words."""

    def __init__(self, language: Language) -> None:
        """Prepare the language's lists as sets for the hot path."""
        self.language = language
        self._negations = frozenset(language.negations)
        self._fillers = frozenset(language.negation_fillers)
        self._not_symptoms = frozenset(tuple(p.split()) for p in language.not_symptoms)
        self._dose_verbs = frozenset(language.dose_verbs)
        self._negatable = frozenset(c.id for c in language.cues if c.negatable)
        self._patterns = tuple((c.id, c.patterns) for c in language.cues if c.patterns)
        switch = language.cue("switch")
        self._switch: tuple[re.Pattern[str], ...] = switch.patterns if switch else ()

    def fire_phrases(self, hits: list[PhraseHit], words: list[str], used: list[bool]) -> set[str]:
        """Return the cues whose phrases the message holds; their words become ``used``.

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
                if target.key in self._negatable and self.denied(words, i, size):
                    continue
                fired.add(target.key)
                used[i : i + size] = [True] * size
        return fired

    def fire_patterns(self, *texts: str) -> set[str]:
        """Return the cues one of whose patterns matches one of ``texts``."""
        return {
            cue_id
            for cue_id, patterns in self._patterns
            if any(p.search(text) for p in patterns for text in texts)
        }

    def denied(self, words: list[str], start: int, size: int) -> bool:
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

    def dose_verb_before_drug(self, words: tuple[str, ...], names_at: list[bool]) -> bool:
        """Return True for "more sirolimus", "up my dapsone", "reduce the cellcept"."""
        for i, is_name in enumerate(names_at):
            if is_name and (i == 0 or not names_at[i - 1]):
                before = [w for w in words[max(0, i - 3) : i] if w not in _POSSESSIVES]
                if before and before[-1] in self._dose_verbs:
                    return True
        return False

    def switched_to_other(
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
        return named_twice or any(p.search(between) for p in self._switch)
