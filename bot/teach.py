"""Teaching the knowledge a phrasing patients use: add a phrase to one drug's entry.

The YAML text is edited in place, at the lines the parser reports, so that every
comment, line break and quoting style an editor chose stays as it was; only the new
phrase is added. No Telegram here.
"""

from __future__ import annotations

import json
import re

import yaml

from bot.knowledge import Drug
from bot.matching import normalize

__all__ = ["TeachError", "add_phrase", "suggest_phrase"]

_PLAIN_RE = re.compile(r"^[a-z0-9][a-z0-9 '-]*$")
_MAX_PHRASE_WORDS = 8


class TeachError(Exception):
    """The phrase cannot be added; the message says why, for an admin."""


def suggest_phrase(question: str, drug: Drug) -> str:
    """Propose the phrase to learn from a question: its words without the drug's names.

    Args:
        question: the unanswered question (normalized or not).
        drug: the drug the admin attached it to.

    Returns:
        The question's words without the drug's names (the name already picks the
        drug; the rest is what should pick the topic), or the whole question when
        nothing else is left.
    """
    text = f" {normalize(question)} "
    for name in sorted((normalize(n) for n in drug.names), key=len, reverse=True):
        if name:
            text = text.replace(f" {name} ", " ")
    words = text.split()
    return " ".join(words) if words else normalize(question)


def _yaml_scalar(phrase: str) -> str:
    """The phrase as a YAML scalar: plain when that reads back as the same string."""
    if _PLAIN_RE.match(phrase) and yaml.safe_load(f"[{phrase}]") == [phrase]:
        return phrase
    return json.dumps(phrase, ensure_ascii=False)  # a JSON string is a YAML double-quoted one


def _mapping_get(node: yaml.MappingNode, key: str) -> yaml.Node | None:
    for key_node, value in node.value:
        if isinstance(key_node, yaml.ScalarNode) and key_node.value == key:
            found: yaml.Node = value
            return found
    return None


def _find_entry(root: yaml.Node, drug_id: str, topic_id: str) -> yaml.MappingNode:
    drugs = _mapping_get(root, "drugs") if isinstance(root, yaml.MappingNode) else None
    if not isinstance(drugs, yaml.SequenceNode):
        raise TeachError("this file has no drugs")
    for drug in drugs.value:
        drug_key = _mapping_get(drug, "id") if isinstance(drug, yaml.MappingNode) else None
        if not isinstance(drug_key, yaml.ScalarNode) or drug_key.value != drug_id:
            continue
        entries = _mapping_get(drug, "entries")
        if isinstance(entries, yaml.SequenceNode):
            for entry in entries.value:
                if not isinstance(entry, yaml.MappingNode):
                    continue
                entry_key = _mapping_get(entry, "id")
                if isinstance(entry_key, yaml.ScalarNode) and entry_key.value == topic_id:
                    return entry
    raise TeachError(f"no entry '{topic_id}' of '{drug_id}' in this file")


def add_phrase(text: str, drug_id: str, topic_id: str, phrase: str) -> str:
    """Return ``text`` with ``phrase`` added to the phrases of one drug's entry.

    Args:
        text: a knowledge file's YAML.
        drug_id: the drug.
        topic_id: the topic of the drug's entry.
        phrase: the phrase to add.

    Returns:
        The new YAML text; only the phrase is added.

    Raises:
        TeachError: the phrase is empty, too long or already there, or the entry is
            not in this file.
    """
    phrase = " ".join(phrase.split())
    if not phrase or len(phrase.split()) > _MAX_PHRASE_WORDS:
        raise TeachError(f"a phrase is 1 to {_MAX_PHRASE_WORDS} words")
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    if root is None:
        raise TeachError("this file is empty")
    entry = _find_entry(root, drug_id, topic_id)
    phrases = _mapping_get(entry, "phrases")
    scalar = _yaml_scalar(phrase)
    if phrases is None:
        # No phrases yet: a line of its own right under the entry's `id`, indented like it.
        id_key = next(
            k for k, _ in entry.value if isinstance(k, yaml.ScalarNode) and k.value == "id"
        )
        line_end = text.find("\n", id_key.start_mark.index)
        line_end = len(text) if line_end < 0 else line_end + 1
        head = text[:line_end] if text[:line_end].endswith("\n") else text[:line_end] + "\n"
        indent = " " * id_key.start_mark.column
        return f"{head}{indent}phrases: [{scalar}]\n{text[line_end:]}"
    if not isinstance(phrases, yaml.SequenceNode):
        raise TeachError(f"the phrases of '{drug_id}.{topic_id}' are not a list")
    known = {normalize(item.value) for item in phrases.value if isinstance(item, yaml.ScalarNode)}
    if normalize(phrase) in known:
        raise TeachError(f"'{phrase}' is already a phrase of '{drug_id}.{topic_id}'")
    if phrases.flow_style:
        # `[a, b]`: insert before the closing bracket.
        close = phrases.end_mark.index - 1
        separator = ", " if phrases.value else ""
        return f"{text[:close].rstrip()}{separator}{scalar}{text[close:]}"
    # A block list: a new `- phrase` line after the last item, indented like it.
    last = phrases.value[-1]
    line_start = text.rfind("\n", 0, last.start_mark.index) + 1
    prefix = text[line_start : last.start_mark.index]
    line_end = text.find("\n", last.end_mark.index)
    line_end = len(text) if line_end < 0 else line_end + 1
    head = text[:line_end] if text[:line_end].endswith("\n") else text[:line_end] + "\n"
    return f"{head}{prefix}{scalar}\n{text[line_end:]}"
