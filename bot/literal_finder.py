"""Find which of many fixed strings a text holds, in one pass over the text.

The cue patterns are searched only in texts that hold a string they cannot match
without (see ``regex_literals``). Testing a thousand such strings one by one costs
most of a question's time; an Aho-Corasick automaton (pyahocorasick) finds every one
present, overlapping ones included ("bleed" inside "bleeding"), in one pass.
"""

from __future__ import annotations

from collections.abc import Iterable

import ahocorasick

__all__ = ["LiteralFinder"]


class LiteralFinder:
    """The set of fixed strings, and a search for all of them at once."""

    def __init__(self, literals: Iterable[str]) -> None:
        """Build the automaton of ``literals`` (any number, duplicates allowed)."""
        self._automaton = ahocorasick.Automaton()
        for literal in set(literals):
            self._automaton.add_word(literal, literal)
        # An automaton with no strings cannot be built; it then finds nothing.
        self._empty = len(self._automaton) == 0
        if not self._empty:
            self._automaton.make_automaton()

    def found_in(self, text: str) -> frozenset[str]:
        """Return the strings that occur in ``text``, as plain substrings."""
        if self._empty:
            return frozenset()
        return frozenset(literal for _end, literal in self._automaton.iter(text))
