"""The knowledge the bot serves right now, behind one reference that a reload swaps."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from pathlib import Path

from bot.answers import Answer, Context, answer_question
from bot.changes import KnowledgeChanges, diff_knowledge
from bot.cue_examples import cue_example_problems
from bot.knowledge import KnowledgeBase, KnowledgeError, load_knowledge
from bot.matching import Matcher

__all__ = ["LiveKnowledge", "LoadedKnowledge"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class LoadedKnowledge:
    """A validated knowledge base together with the matcher built for it."""

    kb: KnowledgeBase
    matcher: Matcher

    @classmethod
    def load(cls, path: Path) -> LoadedKnowledge:
        """Load, validate and index a knowledge file or folder.

        Raises:
            KnowledgeError: with every problem of the file, including every cue
                example that does not behave as written.
        """
        kb = load_knowledge(path)
        matcher = Matcher.build(kb)
        problems = cue_example_problems(matcher)
        if problems:
            raise KnowledgeError(problems)
        return cls(kb, matcher)

    def answer(self, text: str, context: Context | None = None) -> Answer:
        """Answer one question from this knowledge."""
        return answer_question(self.kb, self.matcher, text, context)


class LiveKnowledge:
    """Holds the live knowledge; :meth:`reload` validates a new file, then swaps it in.

    Readers take :attr:`current` once per question and use that snapshot to the
    end, so a reload in the middle of an answer never mixes two versions.
    """

    def __init__(self, path: Path) -> None:
        """Load the file at ``path``; raises KnowledgeError if it is invalid."""
        self.path = path
        self._current = LoadedKnowledge.load(path)
        self._lock = threading.Lock()

    @property
    def current(self) -> LoadedKnowledge:
        """The knowledge to answer from now."""
        return self._current

    def reload(self) -> KnowledgeChanges:
        """Load the file again and, only if all of it is valid, serve it from now on.

        Returns:
            What changed, entry by entry.

        Raises:
            KnowledgeError: the new file is invalid; the old knowledge stays live.
        """
        with self._lock:
            new = LoadedKnowledge.load(self.path)
            changes = diff_knowledge(self._current.kb, new.kb)
            self._current = new
        logger.info("knowledge reloaded from %s: %s", self.path, changes.summary())
        return changes
