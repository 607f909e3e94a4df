"""Warnings about a valid knowledge base: things that load but will not serve patients well.

Errors (:mod:`bot.knowledge`) stop a file from going live; warnings point an admin at
what is probably a slip: a reference nobody cites, a fact without its marker, a
phrase that cannot decide between two topics, two drug names a typo could confuse.
``python -m bot check --strict`` treats them as errors.
"""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import date
from itertools import combinations

from rapidfuzz.distance import OSA

from bot.knowledge import MARKER_RE, Entry, KnowledgeBase
from bot.matching import edit_limit, normalize

__all__ = ["CHECK_AGAIN_AFTER_MONTHS", "review_knowledge"]

#: An entry not compared with its sources for this long is due for a check.
CHECK_AGAIN_AFTER_MONTHS = 12

# A sentence ends at . ! or ? followed by a space, or at the end of the text.
_SENTENCE_RE = re.compile(r"[^.!?]+(?:[.!?]+(?=\s|$)|$)")


def _uncited_sentences(entry: Entry, advice: tuple[str, ...]) -> list[str]:
    """Return the sentences that state something without a marker.

    Sentences that advise rather than state a fact ("Ask your pharmacist...", the
    language's ``advice-openings``) need no citation.
    """
    sentences = [s.strip() for s in _SENTENCE_RE.findall(entry.answer) if s.strip()]
    return [
        s
        for s in sentences
        if not MARKER_RE.search(s) and not f"{normalize(s)} ".startswith(advice)
    ]


def _months_since(checked: str, today: date) -> int:
    year, _, month = checked.partition("-")
    return (today.year - int(year)) * 12 + today.month - int(month)


def review_knowledge(kb: KnowledgeBase, today: date | None = None) -> tuple[str, ...]:
    """List the warnings for a knowledge base, each as ``path:line: warning: message``.

    Args:
        kb: a knowledge base that loaded without errors.
        today: the date to measure the age of ``checked`` dates from (default: today).

    Returns:
        The warnings, in file order of the things they name.
    """
    today = today or date.today()
    warnings: list[str] = []
    everything = (
        *kb.entries(),
        kb.caution,
        kb.urgent,
        *(e for a in kb.alerts for e in a.entries),
    )
    advice = tuple(f"{normalize(o)} " for o in kb.language.advice_openings)

    cited = {ref_id for entry in everything for ref_id in entry.references}
    for ref in kb.references:
        if ref.id not in cited:
            warnings.append(f"{ref.where}: warning: reference {ref.id} is never cited")

    for entry in everything:
        for sentence in _uncited_sentences(entry, advice):
            shown = sentence if len(sentence) <= 60 else sentence[:57] + "..."
            warnings.append(
                f"{entry.where}: warning: {entry.key}: sentence without a citation marker: "
                f"{shown!r}"
            )

    # The caution and the red flags are the project's own wording, checked with the
    # code that uses them; every answer a question can reach needs its date.
    for entry in kb.entries():
        if entry.checked is None:
            warnings.append(
                f"{entry.where}: warning: {entry.key}: no 'checked' date: compare it with its "
                "sources, then add checked: YYYY-MM"
            )
        elif _months_since(entry.checked, today) >= CHECK_AGAIN_AFTER_MONTHS:
            warnings.append(
                f"{entry.where}: warning: {entry.key}: last checked {entry.checked}, "
                f"{CHECK_AGAIN_AFTER_MONTHS} months ago or more: compare it with its sources again"
            )

    for topic in kb.topics:
        if not topic.phrases:
            warnings.append(
                f"{topic.where}: warning: topic '{topic.id}' has no phrases, so no question "
                "can reach it"
            )
    for entry in kb.general:
        if not entry.phrases:
            warnings.append(
                f"{entry.where}: warning: general entry '{entry.topic_id}' has no phrases, "
                "so no question can reach it"
            )

    names = [(drug, normalize(name)) for drug in kb.drugs for name in drug.names]
    for (drug_a, name_a), (drug_b, name_b) in combinations(names, 2):
        if drug_a.id == drug_b.id or len(name_a) < 5 or len(name_b) < 5:
            continue
        limit = edit_limit(min(name_a, name_b, key=len))
        if OSA.distance(name_a, name_b) <= limit:
            warnings.append(
                f"{drug_b.overview.where}: warning: name '{name_b}' of '{drug_b.id}' is a typo "
                f"away from '{name_a}' of '{drug_a.id}': a misspelt question could reach "
                "either"
            )

    topic_phrases = {topic.id: topic.phrases for topic in kb.topics}
    for drug in kb.drugs:
        claims: dict[str, dict[str, None]] = defaultdict(dict)
        for entry in drug.entries:
            for phrase in (*topic_phrases.get(entry.topic_id, ()), *entry.phrases):
                claims[normalize(phrase)][entry.topic_id] = None
        for phrase, topics in claims.items():
            if len(topics) > 1:
                warnings.append(
                    f"{drug.overview.where}: warning: drug '{drug.id}': phrase '{phrase}' is "
                    f"claimed by topics {', '.join(repr(t) for t in topics)}"
                )
    return tuple(warnings)
