"""What changed between two versions of the knowledge, entry by entry."""

from __future__ import annotations

from dataclasses import dataclass

from bot.knowledge import Entry, KnowledgeBase
from bot.language import VOCABULARY_LISTS

__all__ = ["KnowledgeChanges", "diff_knowledge"]


@dataclass(frozen=True)
class KnowledgeChanges:
    """Entries and references added, removed or changed by a new knowledge file."""

    added: tuple[str, ...]
    removed: tuple[str, ...]
    text_changed: tuple[str, ...]
    phrases_changed: tuple[str, ...]
    references_changed: tuple[str, ...]
    phrase_edits: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = ()
    """For each key of ``phrases_changed``: the phrases added and the phrases removed."""

    @property
    def is_empty(self) -> bool:
        """Return True when nothing changed."""
        return not (
            self.added
            or self.removed
            or self.text_changed
            or self.phrases_changed
            or self.references_changed
        )

    def lines(self) -> list[str]:
        """Return one line per change, for a reply or the terminal."""
        out = [f"added: {key}" for key in self.added]
        out += [f"removed: {key}" for key in self.removed]
        out += [f"text changed: {key}" for key in self.text_changed]
        edits = {key: (added, removed) for key, added, removed in self.phrase_edits}
        for key in self.phrases_changed:
            added, removed = edits.get(key, ((), ()))
            detail = ", ".join([*(f"+{p}" for p in added), *(f"-{p}" for p in removed)])
            out.append(f"phrases changed: {key}" + (f" ({detail})" if detail else ""))
        out += [f"reference changed: {key}" for key in self.references_changed]
        return out

    def summary(self) -> str:
        """Return a one-line count of the changes."""
        changed = {*self.text_changed, *self.phrases_changed}
        changed.update(f"reference {r}" for r in self.references_changed)
        return f"{len(self.added)} added, {len(self.removed)} removed, {len(changed)} changed"


def _all_entries(kb: KnowledgeBase) -> dict[str, Entry]:
    entries = {entry.key: entry for entry in kb.entries()}
    entries[kb.caution.key] = kb.caution
    entries[kb.urgent.key] = kb.urgent
    for topic in kb.topics:
        # Topic phrases are shared by all drugs: track them as an entry of their own.
        entries[f"topic.{topic.id}"] = Entry(
            f"topic.{topic.id}", None, topic.id, topic.title, topic.phrases, topic.title, ()
        )
    # The list of drugs we do not cover decides what gets "not covered": track it too.
    entries["general.other-drugs"] = Entry(
        "general.other-drugs", None, "other-drugs", "Drugs not covered", kb.other_drugs, "", ()
    )
    for drug in kb.drugs:
        entries[f"{drug.id}.names"] = Entry(
            f"{drug.id}.names", drug.id, "names", drug.name, drug.names, drug.link or "", ()
        )
    # The language decides how every message is read: each cue and word list is tracked
    # like an entry, its phrases, patterns and examples as its "phrases".
    language = kb.language
    for cue in language.cues:
        items = (
            *cue.phrases,
            *(f"pattern {p.pattern}" for p in cue.patterns),
            *(f"example {e}" for e in cue.examples),
            *(f"not {e}" for e in cue.counter_examples),
        )
        text = f"{cue.label} negatable={cue.negatable}"
        entries[f"cue.{cue.id}"] = Entry(f"cue.{cue.id}", None, cue.id, cue.id, items, text, ())
    for name in VOCABULARY_LISTS:
        words = getattr(language, name.replace("-", "_"))
        entries[f"vocabulary.{name}"] = Entry(f"vocabulary.{name}", None, name, name, words, "", ())
    for name, mapping in (
        ("shorthand", language.shorthand),
        ("also-known-as", language.also_known_as),
        ("said-as", language.said_as),
        ("sounds-like", language.sounds_like),
    ):
        pairs = tuple(f"{word}={text}" for word, text in mapping)
        entries[f"vocabulary.{name}"] = Entry(f"vocabulary.{name}", None, name, name, pairs, "", ())
    entries["roles"] = Entry("roles", None, "roles", "roles", (), repr(language.roles), ())
    for learned in language.learned:
        messages = (
            *(f"example {m}" for m in learned.examples),
            *(f"not {m}" for m in learned.counter_examples),
        )
        text = f"cue={learned.cue} threshold={learned.threshold}"
        key = f"learned-cue.{learned.cue}"
        entries[key] = Entry(key, None, "learned-cue", "", messages, text, ())
    return entries


def diff_knowledge(old: KnowledgeBase, new: KnowledgeBase) -> KnowledgeChanges:
    """Compare two knowledge bases.

    Args:
        old: the knowledge being replaced.
        new: the knowledge replacing it.

    Returns:
        The keys of the entries added, removed, and changed (text, title or
        cited references; phrases or names), and of the references changed.
    """
    before, after = _all_entries(old), _all_entries(new)
    common = [key for key in after if key in before]
    old_refs = {r.id: r for r in old.references}
    new_refs = {r.id: r for r in new.references}
    return KnowledgeChanges(
        added=tuple(k for k in after if k not in before)
        + tuple(f"reference {r}" for r in new_refs if r not in old_refs),
        removed=tuple(k for k in before if k not in after)
        + tuple(f"reference {r}" for r in old_refs if r not in new_refs),
        text_changed=tuple(
            k
            for k in common
            if (before[k].answer, before[k].title, before[k].references)
            != (after[k].answer, after[k].title, after[k].references)
        ),
        phrases_changed=tuple(k for k in common if before[k].phrases != after[k].phrases),
        phrase_edits=tuple(
            (
                k,
                tuple(p for p in after[k].phrases if p not in before[k].phrases),
                tuple(p for p in before[k].phrases if p not in after[k].phrases),
            )
            for k in common
            if before[k].phrases != after[k].phrases
        ),
        references_changed=tuple(
            r for r in new_refs if r in old_refs and old_refs[r] != new_refs[r]
        ),
    )
