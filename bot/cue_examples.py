"""Run every cue's examples and counter-examples: the language file's own tests.

A cue is a promise in plain words ("black sticky poo" is a red flag, "no fever" is
not). `python -m bot check` and every reload keep the promise by reading each
example exactly as a patient's message is read.
"""

from __future__ import annotations

from bot.matching import Matcher

__all__ = ["cue_example_problems"]


def cue_example_problems(matcher: Matcher) -> list[str]:
    """Return one ``path:line: cue 'id': ...`` problem per example that misbehaves.

    Args:
        matcher: a matcher built for the knowledge whose language is checked.

    Returns:
        The problems, in file order; empty when every example holds.
    """
    problems: list[str] = []
    for cue in matcher.language.cues:
        for example in cue.examples:
            if cue.id not in matcher.match(example).cues:
                problems.append(f'{cue.where}: cue {cue.id!r}: example "{example}" does not fire')
        for counter in cue.counter_examples:
            if cue.id in matcher.match(counter).cues:
                problems.append(f'{cue.where}: cue {cue.id!r}: "{counter}" fires but must not')
    return problems
