"""The knowledge the bot serves right now, behind one reference that a reload swaps."""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from bot.changes import KnowledgeChanges, diff_knowledge
from bot.composing import Answer, Context, answer_question
from bot.cue_examples import cue_example_problems
from bot.knowledge import (
    DEFAULT_KNOWLEDGE_PATH,
    KnowledgeBase,
    KnowledgeError,
    knowledge_files,
    load_knowledge,
)
from bot.matching import Matcher

__all__ = ["LiveKnowledge", "LoadedKnowledge", "knowledge_version"]

logger = logging.getLogger(__name__)
_VERSION_ATTEMPTS = 3
# The knowledge contents whose cue examples all behaved as written in this process,
# each as :func:`_content_key`. Running every example takes most of a load (a whole
# match per example: 12 s of 15 on a slow machine), and its outcome depends on the
# bytes read alone, so the same bytes are not checked twice: an admin's upload is
# checked at the preview, not again when it is applied, and a test bot that loads an
# unchanged copy of the knowledge does not check it again.
_EXAMPLES_PASSED: set[str] = set()


def knowledge_version(path: Path) -> str:
    """A short fingerprint of the knowledge files on disk: their names and bytes.

    Two loads of the same files have the same version; any edit, added or removed
    file gives another one.

    Raises:
        KnowledgeError: the path holds no knowledge file or cannot be read.
    """
    digest = hashlib.sha256()
    try:
        for file in knowledge_files(path):
            content = file.read_bytes()
            digest.update(f"{file.name}\0{len(content)}\0".encode())
            digest.update(content)
    except OSError as error:
        raise KnowledgeError([f"{path}: cannot read: {error.strerror or error}"]) from error
    return digest.hexdigest()[:12]


def _content_key(version: str) -> str:
    """Name everything a load of the files of ``version`` may read: those files, and
    the bundled files a file without a language of its own reads with."""
    try:
        bundled = knowledge_version(DEFAULT_KNOWLEDGE_PATH)
    except KnowledgeError:
        # No bundled files to read: the load that succeeded read only its own.
        bundled = ""
    return f"{version}+{bundled}"


@dataclass(frozen=True)
class LoadedKnowledge:
    """A validated knowledge base together with the matcher built for it."""

    kb: KnowledgeBase
    matcher: Matcher
    version: str = ""
    """The fingerprint of the files this was loaded from (:func:`knowledge_version`)."""
    loaded_at: float = 0.0
    """When it was loaded (unix time)."""

    @classmethod
    def load(cls, path: Path) -> LoadedKnowledge:
        """Load, validate and index a knowledge file or folder.

        Raises:
            KnowledgeError: with every problem of the file, including every cue
                example that does not behave as written.
        """
        for _ in range(_VERSION_ATTEMPTS):
            # The version is taken before and after loading: equal, the files did not
            # change in between and the version names exactly what was loaded.
            before = knowledge_version(path)
            kb = load_knowledge(path)
            if knowledge_version(path) == before:
                break
        matcher = Matcher.build(kb)
        content = _content_key(before)
        if content not in _EXAMPLES_PASSED:
            problems = cue_example_problems(matcher)
            if problems:
                raise KnowledgeError(problems)
            _EXAMPLES_PASSED.add(content)
        return cls(kb, matcher, before, time.time())

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

    def health(self) -> dict[str, str]:
        """What a health check reports: the live version and when it was loaded (UTC)."""
        current = self._current
        loaded = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(current.loaded_at))
        return {"knowledge_version": current.version, "knowledge_loaded_at": loaded}

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
