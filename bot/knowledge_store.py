"""Changing the live knowledge safely: preview, apply atomically, keep history, roll back.

A change (an uploaded file, a taught phrase, a rollback) is first a *proposal*: the
new file is validated together with the rest of the knowledge exactly like
``python -m bot check --strict`` and compared with the live knowledge. Applying it
writes the file atomically (a temporary file in the same folder, fsync, rename),
keeps the replaced version and an audit record in the history folder, then swaps
the live knowledge as ``/reload`` does. A proposal expires after a while, and is
refused when anything changed the knowledge after it was made, so a change is never
applied over a newer version. No Telegram here: :mod:`bot.admin` is the edge.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import secrets
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from bot import knowledge as knowledge_module
from bot.changes import KnowledgeChanges, diff_knowledge
from bot.knowledge import KnowledgeError, knowledge_files
from bot.live import LiveKnowledge, LoadedKnowledge, knowledge_version
from bot.review import review_knowledge

__all__ = [
    "BUNDLED_KNOWLEDGE_PATH",
    "PREVIEW_SECONDS",
    "HistoryStep",
    "KnowledgeStore",
    "Proposal",
    "StoreError",
    "atomic_write",
]

logger = logging.getLogger(__name__)

#: Where a regular install keeps the knowledge it ships; never edited in place.
BUNDLED_KNOWLEDGE_PATH = Path(knowledge_module.__file__).resolve().parent / "bundled_knowledge"
#: How long a preview can be applied.
PREVIEW_SECONDS = 15 * 60
#: The largest knowledge file accepted (the shipped one is about 45 KB).
MAX_FILE_BYTES = 2 * 1024 * 1024
HISTORY_FOLDER = ".history"
_FILE_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,80}\.yaml$")
_TEMP_SUFFIX = ".tmp"
_READ_ONLY = (
    "The knowledge is read from {where}, which the bot must not change (the copy inside "
    "the installed package, or a folder it cannot write). Set KNOWLEDGE_PATH to a writable "
    "folder of your own (`python -m bot init-knowledge DIR` fills one) and restart the bot."
)


class StoreError(Exception):
    """A change that cannot be made now; the message says why, for an admin."""


@dataclass(frozen=True)
class Proposal:
    """A validated change waiting for an admin's Apply."""

    id: str
    action: str
    """``upload``, ``teach`` or ``rollback``."""
    file: str
    """The file's name inside the knowledge folder."""
    content: bytes | None
    """The new content; None removes the file (rolling back an added file)."""
    base_version: str
    """The live knowledge version the change was made against."""
    created: float
    changes: KnowledgeChanges
    undoes: int | None = None
    """For a rollback: the history step it undoes."""


@dataclass(frozen=True)
class HistoryStep:
    """One applied change, as the audit trail records it."""

    seq: int
    time: float
    admin: str
    action: str
    file: str
    summary: str
    lines: tuple[str, ...]
    undoes: int | None = None

    @property
    def when(self) -> str:
        """The time of the change as ``YYYY-MM-DD HH:MM`` (UTC)."""
        return time.strftime("%Y-%m-%d %H:%M", time.gmtime(self.time))


def _fsync_folder(folder: Path) -> None:
    # The rename is durable only once the folder's entry is on disk too.
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(path: Path, content: bytes) -> None:
    """Replace ``path`` with ``content`` so that a crash leaves the old or the new file.

    The content goes to a temporary file in the same folder (its name does not end in
    ``.yaml``, so the loader never reads it), is flushed to disk, then renamed over
    the target, and the folder is synced.
    """
    fd, temp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=_TEMP_SUFFIX)
    temp = Path(temp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(content)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    _fsync_folder(path.parent)


def _remove(path: Path) -> None:
    path.unlink()
    _fsync_folder(path.parent)


class KnowledgeStore:
    """Proposals, atomic apply, history and audit for the knowledge behind ``live``.

    Thread-safe: handlers call it from worker threads. Proposals live in memory (a
    restart drops them, as it should: they would be stale anyway); history and audit
    are files in ``<knowledge folder>/.history``.
    """

    def __init__(
        self,
        live: LiveKnowledge,
        *,
        history_path: Path | None = None,
        clock: Callable[[], float] = time.time,
        preview_seconds: float = PREVIEW_SECONDS,
        protected: Path = BUNDLED_KNOWLEDGE_PATH,
    ) -> None:
        self.live = live
        self.folder = live.path if live.path.is_dir() else live.path.parent
        self.history_path = history_path or self.folder / HISTORY_FOLDER
        self.clock = clock
        self._preview_seconds = preview_seconds
        self.protected = protected
        self._lock = threading.Lock()
        self._proposals: dict[str, Proposal] = {}
        self._remove_stale_temporaries()

    # -- where the knowledge lives ----------------------------------------------------

    @property
    def is_folder(self) -> bool:
        """True when KNOWLEDGE_PATH is a folder (an upload may add a file)."""
        return self.live.path.is_dir()

    def read_only_reason(self) -> str | None:
        """Why the knowledge cannot be changed here, or None when it can."""
        folder = self.folder.resolve()
        inside_package = folder == self.protected or self.protected in folder.parents
        if inside_package or not os.access(folder, os.W_OK | os.X_OK):
            return _READ_ONLY.format(where=self.folder)
        return None

    def files(self) -> list[Path]:
        """The knowledge files as they are on disk now, sorted by name."""
        return knowledge_files(self.live.path)

    def _remove_stale_temporaries(self) -> None:
        # A crash between writing a temporary file and renaming it leaves it behind.
        with contextlib.suppress(OSError):
            for stale in self.folder.glob(f".*.yaml.*{_TEMP_SUFFIX}"):
                stale.unlink(missing_ok=True)
                logger.info("removed an unfinished write: %s", stale.name)

    def target_name(self, upload_name: str) -> str:
        """The knowledge file an uploaded file replaces (or adds).

        Raises:
            StoreError: the name is not a plain ``NAME.yaml``.
        """
        if not self.is_folder:
            # One knowledge file: whatever the upload is called, it replaces it.
            return self.live.path.name
        if not _FILE_NAME_RE.match(upload_name):
            raise StoreError(
                "Send a knowledge file named like immunosuppressants.yaml: letters, digits, "
                "'-', '_' or '.', ending in .yaml. Its name says which file it replaces."
            )
        return upload_name

    # -- proposals --------------------------------------------------------------------

    def propose(
        self, action: str, file: str, content: bytes | None, undoes: int | None = None
    ) -> Proposal:
        """Validate a new version of one file with the rest of the knowledge.

        Args:
            action: ``upload``, ``teach`` or ``rollback``.
            file: the file's name in the knowledge folder.
            content: its new content (None: the file is removed).
            undoes: for a rollback, the history step it undoes.

        Returns:
            The proposal, kept until applied, cancelled or expired.

        Raises:
            StoreError: the knowledge cannot be changed here, or changed on disk
                since it was loaded.
            KnowledgeError: the new version has problems (``check --strict`` ones),
                each as ``file:line: message``; nothing changes.
        """
        reason = self.read_only_reason()
        if reason is not None:
            raise StoreError(reason)
        if content is not None and len(content) > MAX_FILE_BYTES:
            raise KnowledgeError([f"{file}: larger than {MAX_FILE_BYTES // 1024} KB"])
        live = self.live.current
        if knowledge_version(self.live.path) != live.version:
            raise StoreError(
                "The knowledge files changed on disk since they were loaded. Send /reload "
                "first (it shows what changed), then try again."
            )
        with tempfile.TemporaryDirectory(prefix="knowledge-preview-") as staging_name:
            staging = Path(staging_name)
            for current in self.files():
                if current.name != file:
                    (staging / current.name).write_bytes(current.read_bytes())
            if content is not None:
                (staging / file).write_bytes(content)
            source = staging if self.is_folder else staging / file
            prefix = f"{staging}{os.sep}"
            try:
                kb = LoadedKnowledge.load(source).kb
            except KnowledgeError as error:
                raise KnowledgeError(p.replace(prefix, "") for p in error.problems) from None
            warnings = review_knowledge(kb)
            if warnings:
                # Exactly like `check --strict`: a warning stops the change too.
                raise KnowledgeError(w.replace(prefix, "") for w in warnings)
        proposal = Proposal(
            id=secrets.token_urlsafe(6),
            action=action,
            file=file,
            content=content,
            base_version=live.version,
            created=self.clock(),
            changes=diff_knowledge(live.kb, kb),
            undoes=undoes,
        )
        with self._lock:
            self._forget_expired()
            self._proposals[proposal.id] = proposal
        return proposal

    def propose_rollback(self) -> Proposal:
        """Propose undoing the latest change not undone yet.

        Raises:
            StoreError: nothing to undo, or the file changed outside the bot since.
            KnowledgeError: the older version no longer fits the rest of the knowledge.
        """
        steps = self.history()
        undone = {step.undoes for step in steps if step.undoes is not None}
        candidates = [s for s in steps if s.action != "rollback" and s.seq not in undone]
        if not candidates:
            raise StoreError("There is no change left to roll back.")
        step = candidates[0]
        folder = self._step_folder(step.seq)
        after = (folder / "after").read_bytes() if (folder / "after").exists() else None
        target = self.folder / step.file
        now = target.read_bytes() if target.exists() else None
        if now != after:
            raise StoreError(
                f"{step.file} changed outside the bot after change #{step.seq}; rolling it "
                f"back would lose that. Its earlier versions are in {folder.parent}."
            )
        before = (folder / "before").read_bytes() if (folder / "before").exists() else None
        return self.propose("rollback", step.file, before, undoes=step.seq)

    def proposal(self, proposal_id: str) -> Proposal | None:
        """The open proposal with this id, if any."""
        with self._lock:
            self._forget_expired()
            return self._proposals.get(proposal_id)

    def cancel(self, proposal_id: str) -> bool:
        """Drop a proposal; return False when it was no longer open."""
        with self._lock:
            return self._proposals.pop(proposal_id, None) is not None

    def _forget_expired(self) -> None:
        now = self.clock()
        for key in [
            k for k, p in self._proposals.items() if now - p.created > self._preview_seconds
        ]:
            del self._proposals[key]

    # -- applying ---------------------------------------------------------------------

    def apply(self, proposal_id: str, admin: str) -> tuple[HistoryStep, KnowledgeChanges]:
        """Write a proposal's file atomically, record it, and swap the live knowledge.

        Args:
            proposal_id: the proposal to apply.
            admin: who applies it, for the audit trail.

        Returns:
            The audit record and what changed in the live knowledge.

        Raises:
            StoreError: the proposal expired, was cancelled or applied already, or the
                knowledge changed since it was made (then it must be made again).
        """
        with self._lock:
            self._forget_expired()
            proposal = self._proposals.pop(proposal_id, None)
            if proposal is None:
                raise StoreError(
                    "This preview is no longer open: it was applied or cancelled, or it "
                    f"expired ({int(self._preview_seconds // 60)} minutes). Start again."
                )
            if (
                self.live.current.version != proposal.base_version
                or knowledge_version(self.live.path) != proposal.base_version
            ):
                raise StoreError(
                    "The knowledge changed after this preview was made (another admin "
                    "applied a change, or it was reloaded), so it was not applied. "
                    "Start again from the current version."
                )
            target = self.folder / proposal.file
            before = target.read_bytes() if target.exists() else None
            seq = self._next_seq()
            folder = self._step_folder(seq)
            folder.mkdir(parents=True)
            # The replaced version is kept before anything is replaced.
            if before is not None:
                atomic_write(folder / "before", before)
            if proposal.content is not None:
                atomic_write(folder / "after", proposal.content)
                atomic_write(target, proposal.content)
            else:
                _remove(target)
            step = HistoryStep(
                seq=seq,
                time=self.clock(),
                admin=admin,
                action=proposal.action,
                file=proposal.file,
                summary=proposal.changes.summary(),
                lines=tuple(proposal.changes.lines()),
                undoes=proposal.undoes,
            )
            meta = json.dumps(asdict(step), ensure_ascii=False, indent=1)
            atomic_write(folder / "meta.json", meta.encode())
            try:
                changes = self.live.reload()
            except KnowledgeError:
                # Cannot happen for a validated proposal unless the disk failed under
                # us: put the old file back so the knowledge on disk stays the live one.
                if before is not None:
                    atomic_write(target, before)
                else:
                    _remove(target)
                (folder / "meta.json").unlink()
                raise
            logger.info(
                "change #%d applied (%s of %s): %s", seq, step.action, step.file, step.summary
            )
            return step, changes

    # -- history ----------------------------------------------------------------------

    def _step_folder(self, seq: int) -> Path:
        return self.history_path / f"{seq:06d}"

    def _next_seq(self) -> int:
        existing = [int(p.name) for p in self._step_folders()]
        return max(existing, default=0) + 1

    def _step_folders(self) -> list[Path]:
        if not self.history_path.is_dir():
            return []
        return sorted(p for p in self.history_path.iterdir() if p.name.isdigit() and p.is_dir())

    def history(self, limit: int | None = None) -> list[HistoryStep]:
        """The applied changes, newest first (a step without its record is skipped)."""
        steps: list[HistoryStep] = []
        for folder in reversed(self._step_folders()):
            meta = folder / "meta.json"
            if not meta.exists():
                continue
            data = json.loads(meta.read_text(encoding="utf-8"))
            data["lines"] = tuple(data["lines"])
            steps.append(HistoryStep(**data))
            if limit is not None and len(steps) >= limit:
                break
        return steps
