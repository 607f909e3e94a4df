"""How the bot reads a message, as data: word lists, cues and topic roles.

The model only; the loader lives with the rest of the knowledge loader
(:mod:`bot.knowledge`), so that the language file is validated, reloaded and
diffed together with the facts. Nothing here decides anything: the matcher
(:mod:`bot.matching`) and the composer (:mod:`bot.answers`) read these values.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

__all__ = ["ROLE_NAMES", "VOCABULARY_LISTS", "Cue", "Language", "Roles"]

#: The word lists of ``vocabulary`` (besides ``shorthand``, a mapping).
VOCABULARY_LISTS = (
    "common-words",
    "drug-suffixes",
    "negations",
    "negation-fillers",
    "not-symptoms",
    "dose-verbs",
    "medicine-cues",
    "generic-words",
)
#: Roles a topic can play, each naming one topic id (``listing``: several).
ROLE_NAMES = (
    "side-effects",
    "serious-risks",
    "interactions",
    "how-it-works",
    "contraindications",
    "class-overview",
    "listing",
)


@dataclass(frozen=True)
class Cue:
    """Something a message can say: a red flag, a dose question, a greeting..."""

    id: str
    phrases: tuple[str, ...]
    """Whole-word phrases, folded like the message."""
    patterns: tuple[re.Pattern[str], ...]
    """Regular expressions searched in the folded message."""
    examples: tuple[str, ...]
    """Whole messages the cue must fire on."""
    counter_examples: tuple[str, ...]
    """Whole messages it must not fire on."""
    negatable: bool = False
    """A phrase right after "no", "not"... does not fire ("no fever")."""
    label: str = ""
    """How a reply names what the cue found ("missed doses"), where it says so."""
    note: str = ""
    where: str = field(default="", compare=False)
    """``path:line`` of its definition, for messages."""


@dataclass(frozen=True)
class Roles:
    """Which topic plays which part in a reply ("" where no topic plays it)."""

    side_effects: str
    serious_risks: str
    interactions: str
    how_it_works: str
    contraindications: str
    class_overview: str
    listing: tuple[str, ...]


@dataclass(frozen=True)
class Language:
    """Every word list and cue the matcher reads with."""

    common_words: tuple[str, ...]
    drug_suffixes: tuple[str, ...]
    negations: tuple[str, ...]
    negation_fillers: tuple[str, ...]
    not_symptoms: tuple[str, ...]
    dose_verbs: tuple[str, ...]
    medicine_cues: tuple[str, ...]
    generic_words: tuple[str, ...]
    shorthand: tuple[tuple[str, str], ...]
    cues: tuple[Cue, ...]
    roles: Roles

    def cue(self, cue_id: str) -> Cue | None:
        """Return the cue with this id, if declared."""
        for cue in self.cues:
            if cue.id == cue_id:
                return cue
        return None
