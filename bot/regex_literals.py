"""The words a regular expression cannot match without: a cheap test before the search.

A cue's patterns are searched for every message, and most of them need one word of a
short list to be in it ("kill", "lethal", "overdose"). Looking for those words as plain
substrings is far cheaper than running the expression, so the expression runs only on
messages that hold one of them (the way grep-like tools look for a required literal
first). The words are read from the expression itself; none is written by hand.
"""

from __future__ import annotations

import functools
import importlib
import re
from typing import Any

__all__ = ["required_words", "text_words"]

# Python's own parser of regular expressions: private, so it is loaded by name and any
# surprise in its shape means "no shortcut" (the expression then always runs).
_parser: Any = importlib.import_module("re._parser")
_constants: Any = importlib.import_module("re._constants")

# A shortcut only pays when its words are long enough to be rare.
_SHORTEST_USEFUL = 3

# A run joined with each alternative's start: past this many, not worth listing.
_MOST_JOINED = 64


# Each pattern is read once per load, for its own test and for its cue's (bounded: a
# reload brings new pattern objects).
@functools.lru_cache(maxsize=8192)
def required_words(pattern: re.Pattern[str]) -> tuple[str, ...] | None:
    """Return strings one of which every match of ``pattern`` contains, or None.

    None means no such list was found (or it would not be worth testing): search
    the text with the pattern itself.

    Args:
        pattern: a compiled expression, searched over folded lowercase text.

    Returns:
        The strings, shortest list of longest strings found, or None.
    """
    return _words(pattern, in_assertions=False)


@functools.lru_cache(maxsize=8192)
def text_words(pattern: re.Pattern[str]) -> tuple[str, ...] | None:
    """Return strings one of which every text ``pattern`` is found in contains, or None.

    As ``required_words``, but a look-around that must hold counts too: in
    ``^(?!.*\\bif\\b)(?=.*\\b(typo|meant))`` the match is empty, yet the text must hold
    "typo" or "meant". The words may lie outside the match, so they only gate the search.
    """
    return _words(pattern, in_assertions=True)


def _words(pattern: re.Pattern[str], *, in_assertions: bool) -> tuple[str, ...] | None:
    if pattern.flags & re.IGNORECASE:
        return None
    try:
        parsed = _parser.parse(pattern.pattern, pattern.flags)
        found = _required(list(parsed), in_assertions)
    except Exception:
        return None
    if not found or min(len(w) for w in found) < _SHORTEST_USEFUL:
        return None
    return tuple(sorted(found))


def _required(sequence: list[tuple[Any, Any]], in_assertions: bool) -> frozenset[str] | None:
    """Return the best any-of set of literals a match of ``sequence`` must hold."""
    options: list[frozenset[str]] = []
    run: list[str] = []

    def end_run() -> None:
        if run:
            options.append(frozenset(["".join(run)]))
            run.clear()

    for op, value in sequence:
        if op is _constants.LITERAL:
            run.append(chr(value))
            continue
        if in_assertions and run and op in (_constants.SUBPATTERN, _constants.BRANCH):
            # Python's parser moves the start that alternatives share out of them
            # ("plt|platelets" is "p" then "lt|latelets"): the run joined with each
            # alternative's own start is what a text holds. Only for the text's test:
            # where a match's core starts is read from its required words alone.
            leads = _leads([(op, value)])
            if leads and len(leads) <= _MOST_JOINED:
                options.append(frozenset("".join(run) + lead for lead in leads))
        end_run()
        inner: frozenset[str] | None = None
        if op is _constants.SUBPATTERN:
            inner = _required(list(value[-1]), in_assertions)
        elif op is _constants.BRANCH:
            inner = _branch(value[1], in_assertions)
        elif op is _constants.ASSERT and in_assertions:
            inner = _required(list(value[-1]), in_assertions)
        elif op in (_constants.MAX_REPEAT, _constants.MIN_REPEAT, _constants.POSSESSIVE_REPEAT):
            low, _high, item = value
            if low >= 1:
                inner = _required(list(item), in_assertions)
        if inner:
            options.append(inner)
    end_run()
    if not options:
        return None
    # The most selective: the longest shortest word, then the fewest words.
    return max(options, key=lambda o: (min(len(w) for w in o), -len(o)))


def _leads(sequence: list[tuple[Any, Any]]) -> frozenset[str] | None:
    """Return the literal starts of ``sequence``, one per way it can begin, or None.

    A start may be empty (an alternative that begins with a class or a repeat); None
    means too many ways to list.
    """
    starts = {""}
    for op, value in sequence:
        if op is _constants.LITERAL:
            starts = {start + chr(value) for start in starts}
            continue
        if op is _constants.AT:
            # A word boundary between two letters never matches; elsewhere it holds
            # no character, so the letters either side of it stay side by side.
            continue
        inner: frozenset[str] | None = None
        if op is _constants.SUBPATTERN:
            inner = _leads(list(value[-1]))
        elif op is _constants.BRANCH:
            found: set[str] = set()
            for alternative in value[1]:
                leads = _leads(list(alternative))
                if leads is None:
                    return None
                found |= leads
            inner = frozenset(found)
        if inner is None:
            break
        starts = {start + lead for start in starts for lead in inner}
        # A way through the group may end before the group does ("latelets?" starts
        # "latelet"): what follows the group need not follow the start.
        break
    return frozenset(starts)


def _branch(alternatives: list[Any], in_assertions: bool) -> frozenset[str] | None:
    """Return the union of every alternative's literals, or None if one has none."""
    union: set[str] = set()
    for alternative in alternatives:
        found = _required(list(alternative), in_assertions)
        if not found:
            return None
        union |= found
    return frozenset(union)
