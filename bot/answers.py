"""Compose the reply to a question from the knowledge, and render it.

Composition decides *what* to say (which entries, which notices, which buttons)
and never touches Telegram; rendering turns an :class:`Answer` into plain text
for the terminal or into escaped HTML messages of at most 4096 characters.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace

from bot.knowledge import Drug, Entry, KnowledgeBase, Reference
from bot.matching import Match, Matcher, normalize

__all__ = [
    "TELEGRAM_MESSAGE_LIMIT",
    "Answer",
    "Button",
    "Context",
    "Section",
    "answer_for_callback",
    "answer_per_section",
    "answer_question",
    "compose_answer",
    "drug_buttons",
    "render_html",
    "render_plain",
    "render_sources_html",
    "split_message",
]

TELEGRAM_MESSAGE_LIMIT = 4096
_MAX_TOPICS_PER_DRUG = 2
_MAX_SECTIONS = 6
# A phone shows a dozen buttons comfortably; Telegram refuses a keyboard of ~100.
_MAX_BUTTONS = 12
# Drugs named in "what I cover": all of a small file, a sample of a large one.
_MAX_COVERAGE_NAMES = 12
_MAX_ECHOED_NAME = 40


@dataclass(frozen=True)
class Section:
    """One entry of the knowledge as it appears in a reply."""

    title: str
    text: str
    entry_key: str
    drug_id: str | None
    link: str | None = None


@dataclass(frozen=True)
class Button:
    """An inline keyboard button: a label and the callback data it sends back."""

    label: str
    data: str


@dataclass(frozen=True)
class Context:
    """What the previous reply in a chat was about, for follow-up questions."""

    drugs: tuple[str, ...]
    topics: tuple[str, ...]


@dataclass(frozen=True)
class Answer:
    """A reply, ready to be rendered for the terminal or for Telegram."""

    kind: str
    """``answer``, ``clarify``, ``not_covered`` or ``greeting``."""
    urgent: Section | None
    notices: tuple[str, ...]
    sections: tuple[Section, ...]
    references: tuple[Reference, ...]
    caution: Section | None
    buttons: tuple[Button, ...]
    drugs: tuple[str, ...]
    """Drug ids the reply answers about; empty when nothing covered was answered."""
    topics: tuple[str, ...]
    """Keys of the entries the reply gives."""

    @property
    def context(self) -> Context | None:
        """Return what a follow-up question may lean on, if anything."""
        if not self.drugs:
            return None
        topics = tuple(
            s.entry_key.split(".", 1)[1]
            for s in self.sections
            if s.drug_id and not s.entry_key.endswith(".overview")
        )
        return Context(self.drugs, tuple(dict.fromkeys(topics)))


# --------------------------------------------------------------------------- composing


def answer_question(
    kb: KnowledgeBase, matcher: Matcher, text: str, context: Context | None = None
) -> Answer:
    """Answer one question.

    Args:
        kb: the knowledge to answer from.
        matcher: the index built for ``kb``.
        text: the question as typed.
        context: what the previous reply of this chat was about, if recent.

    Returns:
        The composed answer.
    """
    return compose_answer(kb, matcher.match(text), context)


def compose_answer(kb: KnowledgeBase, match: Match, context: Context | None = None) -> Answer:
    """Decide what to reply to a matched question.

    Args:
        kb: the knowledge to answer from.
        match: what the question is about.
        context: what the previous reply of this chat was about, if recent.

    Returns:
        The answer: entries with their references and the caution, a question
        back with buttons, or a plain "I can't answer that".
    """
    if context is not None:
        # A reload may have removed what the chat talked about.
        context = Context(
            tuple(d for d in context.drugs if kb.drug(d) is not None),
            tuple(t for t in context.topics if kb.topic(t) is not None),
        )
        if not context.drugs:
            context = None
    drugs = list(match.drugs)
    topics = list(match.topics)
    asks_something = bool(topics or match.dose or match.uncovered_topic or match.urgent)
    if (
        not drugs
        and context is not None
        and not match.across
        and not match.other_drugs
        and not match.entries
        and not match.general
        and asks_something
    ):
        drugs = list(context.drugs)
    if drugs and not topics and context is not None and match.follow_up:
        topics = list(context.topics)
    if match.switched_to_other:
        # "I stopped imuran and started tacrolimus, side effects?": the facts of the
        # covered drug would be read as the new drug's.
        drugs = []

    if not drugs:
        return _compose_without_drug(kb, match, topics)

    builder = _AnswerBuilder(kb)
    if match.urgent:
        builder.urgent = _section(kb.urgent, "")
    if match.dose:
        builder.notices.append(
            "I can't give a dose: how much to take is for the doctor who prescribes it, "
            "and your pharmacist can explain your prescription. Here is what my sources say."
        )
    covered = [d for d in (kb.drug(i) for i in drugs) if d is not None]
    if match.uncovered_topic:
        builder.notices.append(
            f"My sources say nothing about {match.uncovered_topic} for "
            f"{_names(d.name.lower() for d in covered)}. Please ask your doctor or pharmacist."
        )
    if match.urgent and not topics:
        # Bleeding also points at the serious risks (bone marrow failure, low blood
        # counts); any other red flag at the side effects.
        roles = kb.language.roles
        topics = (
            [roles.side_effects, roles.serious_risks] if match.bleeding else [roles.side_effects]
        )
    if match.other_drugs and not topics:
        # "azithromycin with dapsone ok?": a covered drug next to another drug is
        # a question about taking them together.
        topics = [kb.language.roles.interactions]
    answered = [drug.id for drug in covered if builder.add_drug(drug, match, topics)]
    # "cyclosporine and st john's wort": a name our own answer speaks of is no
    # stranger; any other drug named gets its "not covered" first.
    spoken_of = " ".join(normalize(s.text) for s in builder.sections)
    strangers = tuple(n for n in match.other_drugs if normalize(n) not in spoken_of)
    if strangers:
        builder.notices.insert(
            0,
            f"{_capitalized(_names(strangers))} {_is_are(strangers)} not covered: I have no "
            f"information on {'them' if len(strangers) > 1 else 'it'}. Please ask your doctor "
            "or pharmacist.",
        )
    return builder.build("answer", drugs=tuple(answered))


def _compose_without_drug(kb: KnowledgeBase, match: Match, topics: list[str]) -> Answer:
    builder = _AnswerBuilder(kb)
    if match.urgent:
        builder.urgent = _section(kb.urgent, "")
    asks_something = bool(
        match.entries or match.topics or match.general or match.urgent or match.dose
    )
    if (match.other_drugs and not (match.across and match.entries)) or (
        match.unknown_words and asks_something
    ):
        # "which one is given alongside prednisone" asks which covered drug; anything
        # else naming a drug we do not cover, or a name we do not know ("prograf
        # trough level"), gets no fact of a covered drug, only the red-flag advice.
        return _not_covered(
            kb, match.other_drugs, match.unknown_words, kb.urgent if match.urgent else None
        )
    # "which immunosuppressant do you stay on for 4 months": a drug entry named by
    # its own phrase beats the bare "what immunosuppressants are".
    class_overview = kb.language.roles.class_overview
    precise_general = [g for g in match.general if g != class_overview]
    prefer_general = not match.entries or (
        match.about_class and bool(precise_general) and match.general_score > match.entry_score
    )
    if (
        match.general
        and prefer_general
        and (match.about_class or match.across or match.general_score >= 2)
    ):
        # The class-level entries answer questions about immunosuppressants as a
        # group; "what immunosuppressants are" only when nothing more precise matched.
        chosen = [g for g in match.general if g != class_overview] or list(match.general)
        for entry_id in chosen:
            general = kb.general_entry(entry_id)
            if general is not None:
                builder.add_entry(general)
    if not builder.sections:
        for key in match.entries:
            entry = kb.find_entry(key)
            if entry is not None:
                builder.add_entry(entry)
    if not builder.sections and topics:
        topic_id = topics[0]
        fallback = kb.general_entry(topic_id)
        holders = list(kb.drugs_with_topic(topic_id))
        if fallback is not None:
            builder.add_entry(fallback)
        elif holders and (match.across or len(holders) <= 2):
            for drug in holders:
                entry = drug.entry(topic_id)
                if entry is not None:
                    builder.add_entry(entry)
        elif holders and not match.urgent:
            topic = kb.topic(topic_id)
            title = topic.title.lower() if topic else topic_id
            return _clarify(
                f"Which medicine do you mean? My sources have {title} for these:",
                [Button(d.name, f"e:{d.id}.{topic_id}") for d in holders[:_MAX_BUTTONS]],
            )
    if builder.sections or builder.urgent is not None:
        drugs = tuple(dict.fromkeys(s.drug_id for s in builder.sections if s.drug_id))
        return builder.build("answer", drugs=drugs)
    if match.dose:
        return _clarify(
            "I can't give a dose: how much to take is for the doctor who prescribes it. "
            "Which medicine would you like to know about?",
            drug_buttons(kb),
        )
    if match.greeting or match.thanks:
        opening = "You're welcome!" if match.thanks and not match.greeting else "Hello!"
        return _message_only(
            "greeting",
            f"{opening} {_coverage(kb)} Ask me about side effects, how long one takes "
            "to work, interactions, tests or pregnancy.",
            drug_buttons(kb),
        )
    return _not_covered(kb, ())


def answer_for_callback(kb: KnowledgeBase, data: str) -> Answer | None:
    """Answer a button press: ``e:<entry key>`` or ``d:<drug id>``.

    Args:
        kb: the knowledge to answer from.
        data: the callback data of the pressed button.

    Returns:
        The answer, or None when the button no longer matches the knowledge
        (an old message after a reload).
    """
    kind, _, value = data.partition(":")
    builder = _AnswerBuilder(kb)
    if kind == "d":
        drug = kb.drug(value)
        if drug is None:
            return None
        builder.add_overview(drug)
        return builder.build("answer", drugs=(drug.id,))
    if kind == "e":
        entry = kb.find_entry(value)
        if entry is None or entry.key in ("general.caution", "general.urgent"):
            return None
        builder.add_entry(entry)
        return builder.build("answer", drugs=(entry.drug_id,) if entry.drug_id else ())
    return None


def answer_per_section(kb: KnowledgeBase, answer: Answer) -> list[Answer]:
    """Split an answer into one answer per section, each complete on its own.

    Each part keeps the red-flag advice and the notices (a dose question, a drug not
    covered), its own references and the caution: inline results are sent one at a
    time, and none may lose "Contact your doctor now".

    Args:
        kb: the knowledge the answer came from.
        answer: the answer to split.

    Returns:
        One answer per section; the answer itself when it has no section.
    """
    if not answer.sections:
        return [answer]
    parts = []
    for section in answer.sections:
        pieces: list[Entry | Section] = [section]
        if answer.urgent is not None:
            pieces.insert(0, answer.urgent)
        if answer.caution is not None:
            pieces.append(answer.caution)
        parts.append(
            Answer(
                kind=answer.kind,
                urgent=answer.urgent,
                notices=answer.notices,
                sections=(section,),
                references=_references(kb, pieces),
                caution=answer.caution,
                buttons=(),
                drugs=(section.drug_id,) if section.drug_id else (),
                topics=(section.entry_key,),
            )
        )
    return parts


def _unmentioned(phrases: Iterable[str], entry: Entry, generic: frozenset[str]) -> list[str]:
    """Return the specific phrases of a question that an entry's answer never mentions.

    A word counts as mentioned when a word of the answer starts like it ("dizzy" and
    "dizziness"), so only what is truly absent ("hair loss", "kidney") is returned.
    """
    answer_words = normalize(entry.answer).split()
    own = {normalize(p) for p in entry.phrases}
    missing: list[str] = []
    # Longest first, so "hair loss" is said once and "hair" not again.
    for phrase in sorted(phrases, key=len, reverse=True):
        content = [w for w in phrase.split() if len(w) >= 3 and w not in generic]
        if not content or phrase in own or any(set(content) <= set(m.split()) for m in missing):
            continue
        if not any(any(a.startswith(w[:4]) for a in answer_words) for w in content):
            missing.append(phrase)
    return missing[:2]


class _AnswerBuilder:
    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        self.urgent: Section | None = None
        self.notices: list[str] = []
        self.sections: list[Section] = []
        self.buttons: list[Button] = []

    def add_entry(self, entry: Entry, title: str | None = None, link: str | None = None) -> bool:
        """Add a section for ``entry``; return False when it is there already or no room."""
        if any(s.entry_key == entry.key for s in self.sections):
            return False
        if len(self.sections) >= _MAX_SECTIONS:
            self.notices.append(
                "That is a lot at once: ask about the other medicines one at a time."
            )
            return False
        if title is None:
            drug = self.kb.drug(entry.drug_id) if entry.drug_id else None
            title = f"{drug.name}: {entry.title}" if drug else entry.title
        self.sections.append(
            Section(
                title=title,
                text=entry.answer,
                entry_key=entry.key,
                drug_id=entry.drug_id,
                link=link,
            )
        )
        return True

    def add_overview(self, drug: Drug) -> None:
        if self.add_entry(drug.overview, drug.name, drug.link):
            self.buttons.extend(Button(e.title, f"e:{e.key}") for e in drug.entries[:_MAX_BUTTONS])

    def add_drug(self, drug: Drug, match: Match, topics: list[str]) -> bool:
        """Add what the sources say about ``drug``; return True if any of it fitted."""
        before = len(self.sections)
        chosen: list[Entry] = [
            e for e in drug.entries if e.key in match.entries and e.topic_id in topics
        ]
        missing: list[str] = []
        for topic_id in topics:
            entry = drug.entry(topic_id)
            if entry is not None:
                if entry not in chosen:
                    chosen.append(entry)
            elif topic_id != self.kb.language.roles.contraindications or not chosen:
                missing.append(topic_id)
        chosen = chosen[:_MAX_TOPICS_PER_DRUG]
        for entry in chosen:
            self.add_entry(entry)
            if entry.topic_id in self.kb.language.roles.listing:
                generic = frozenset(self.kb.language.generic_words)
                for phrase in _unmentioned(match.phrases, entry, generic):
                    self.notices.append(
                        f'My sources do not mention "{phrase}" for {drug.name.lower()}: '
                        "that is not the same as saying it cannot happen. Below is what they "
                        "do say; ask your doctor or pharmacist about it."
                    )
        answered = bool(chosen)
        for topic_id in missing:
            fallback = self.kb.general_entry(topic_id)
            if fallback is not None:
                # The class-level entry speaks for every immunosuppressant.
                self.add_entry(fallback, f"{drug.name}: {fallback.title}")
                answered = True
                continue
            if chosen:
                continue
            topic = self.kb.topic(topic_id)
            title = topic.title.lower() if topic else topic_id
            self.notices.append(
                f"My sources say nothing about {title} for {drug.name.lower()}. "
                "Please ask your doctor or pharmacist."
            )
        if not answered and not any(s.drug_id == drug.id for s in self.sections):
            self.add_overview(drug)
        return len(self.sections) > before

    def build(self, kind: str, drugs: tuple[str, ...]) -> Answer:
        caution = _section(self.kb.caution, self.kb.caution.title)
        parts: list[Entry | Section] = [*self.sections, caution]
        if self.urgent is not None:
            parts.insert(0, self.urgent)
        references = _references(self.kb, parts)
        return Answer(
            kind=kind,
            urgent=self.urgent,
            notices=tuple(dict.fromkeys(self.notices)),
            sections=tuple(self.sections),
            references=references,
            caution=caution,
            buttons=tuple(self.buttons),
            drugs=drugs,
            topics=tuple(s.entry_key for s in self.sections),
        )


def _section(entry: Entry, title: str) -> Section:
    return Section(title=title, text=entry.answer, entry_key=entry.key, drug_id=entry.drug_id)


def _references(kb: KnowledgeBase, parts: Iterable[Entry | Section]) -> tuple[Reference, ...]:
    """Return the references the parts cite, in order of first citation."""
    seen: dict[str, Reference] = {}
    for part in parts:
        entry = part if isinstance(part, Entry) else kb.find_entry(part.entry_key)
        if entry is None:
            continue
        for ref_id in entry.references:
            ref = kb.reference(ref_id)
            if ref is not None and ref_id not in seen:
                seen[ref_id] = ref
    return tuple(seen.values())


def _message_only(kind: str, text: str, buttons: Iterable[Button]) -> Answer:
    """An answer that states no fact: a question back, a greeting, "not covered"."""
    return Answer(
        kind=kind,
        urgent=None,
        notices=(text,),
        sections=(),
        references=(),
        caution=None,
        buttons=tuple(buttons),
        drugs=(),
        topics=(),
    )


def _clarify(question: str, buttons: Iterable[Button]) -> Answer:
    return _message_only("clarify", question, buttons)


def _not_covered(
    kb: KnowledgeBase,
    other_drugs: tuple[str, ...],
    unknown: tuple[str, ...] = (),
    urgent: Entry | None = None,
) -> Answer:
    if other_drugs:
        opening = f"I can't answer that: {_names(other_drugs)} {_is_are(other_drugs)} not covered."
    elif unknown:
        quoted = _names(f'"{w}"' for w in unknown[:3])
        opening = f"I can't answer that: I don't know {quoted}, and my sources do not cover it."
    else:
        opening = "I can't answer that: it is not covered by my sources."
    answer = _message_only(
        "not_covered",
        f"{opening} {_coverage(kb)} Please ask your doctor or pharmacist.",
        drug_buttons(kb),
    )
    if urgent is None:
        return answer
    # A red flag is answered whatever else the message says.
    return replace(answer, urgent=_section(urgent, ""), references=_references(kb, [urgent]))


def _coverage(kb: KnowledgeBase) -> str:
    described = []
    for drug in kb.drugs[:_MAX_COVERAGE_NAMES]:
        brands = [n for n in drug.names if n[:1].isupper() and n.lower() != drug.name.lower()]
        suffix = f" ({', '.join(brands[:2])})" if brands else ""
        described.append(f"{drug.name.lower()}{suffix}")
    if len(kb.drugs) > _MAX_COVERAGE_NAMES:
        described.append(f"{len(kb.drugs) - _MAX_COVERAGE_NAMES} more (see /drugs)")
    return (
        "I answer questions about these ITP immunosuppressants only, from cited sources: "
        f"{_names(described)}."
    )


def drug_buttons(kb: KnowledgeBase) -> tuple[Button, ...]:
    """Return a button per covered drug, at most a phone's worth of them."""
    return tuple(Button(d.name, f"d:{d.id}") for d in kb.drugs[:_MAX_BUTTONS])


def _names(names: Iterable[str]) -> str:
    # A made-up "drug" name is echoed back: never at any length.
    items = [n if len(n) <= _MAX_ECHOED_NAME else n[: _MAX_ECHOED_NAME - 3] + "..." for n in names]
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} and {items[-1]}"


def _capitalized(text: str) -> str:
    return text[:1].upper() + text[1:]


def _is_are(items: tuple[str, ...]) -> str:
    return "are" if len(items) > 1 else "is"


# --------------------------------------------------------------------------- rendering


def render_plain(answer: Answer) -> str:
    """Render an answer as plain text for the terminal.

    Args:
        answer: the composed answer.

    Returns:
        The text, paragraphs separated by blank lines.
    """
    paragraphs: list[str] = []
    if answer.urgent is not None:
        paragraphs.append(answer.urgent.text)
    paragraphs.extend(answer.notices)
    for section in answer.sections:
        body = section.text
        if section.link:
            body += f"\nMore: {section.link}"
        paragraphs.append(f"{section.title}\n{body}")
    if answer.kind == "clarify" or (answer.buttons and not answer.sections):
        paragraphs.append("Choose: " + " | ".join(b.label for b in answer.buttons))
    elif answer.buttons:
        paragraphs.append("More on this: " + " | ".join(b.label for b in answer.buttons))
    if answer.caution is not None:
        paragraphs.append(f"{answer.caution.title}: {answer.caution.text}")
    if answer.references:
        lines = ["Sources:"]
        for ref in answer.references:
            link = f" {ref.link}" if ref.link else ""
            lines.append(f"[{ref.id}] {ref.citation}{link}")
        paragraphs.append("\n".join(lines))
    return "\n\n".join(paragraphs)


def esc(text: str) -> str:
    """Escape text for Telegram HTML: ``<``, ``>`` and ``&``; quotes only matter in attributes."""
    return html.escape(text, quote=False)


def _attribute(text: str) -> str:
    return html.escape(text, quote=True)


def render_sources_html(references: Iterable[Reference]) -> str:
    """Render references as a "Sources" list, linked where a link is known.

    Args:
        references: the references, in the order to show them.

    Returns:
        One line per reference under a bold heading, every text escaped.
    """
    lines = ["<b>Sources</b>"]
    for ref in references:
        citation = esc(ref.citation)
        if ref.link:
            citation = f'<a href="{_attribute(ref.link)}">{citation}</a>'
        lines.append(f"[{esc(ref.id)}] {citation}")
    return "\n".join(lines)


def render_html(answer: Answer) -> list[str]:
    """Render an answer as Telegram HTML messages, every piece of text escaped.

    Args:
        answer: the composed answer.

    Returns:
        One or more messages, each at most 4096 characters, split between paragraphs.
    """
    paragraphs: list[str] = []
    if answer.urgent is not None:
        # The call to action in bold, the reasons after it in plain text: a wall of
        # bold reads as shouting on a phone.
        first, _, rest = answer.urgent.text.partition(". ")
        lead = f"{first}." if rest else first
        tail = f" {esc(rest)}" if rest else ""
        paragraphs.append(f"\u26a0\ufe0f <b>{esc(lead)}</b>{tail}")
    paragraphs.extend(esc(n) for n in answer.notices)
    for section in answer.sections:
        body = esc(section.text)
        if section.link:
            body += f'\n<a href="{_attribute(section.link)}">MedlinePlus drug page</a>'
        paragraphs.append(f"<b>{esc(section.title)}</b>\n{body}")
    if answer.caution is not None:
        paragraphs.append(f"<i>{esc(answer.caution.title)}: {esc(answer.caution.text)}</i>")
    if answer.references:
        paragraphs.append(render_sources_html(answer.references))
    return split_message("\n\n".join(_untag_long_lines(p) for p in paragraphs))


_TAG_RE = re.compile(r"<[^>]*>")


def _untag_long_lines(paragraph: str, limit: int = TELEGRAM_MESSAGE_LIMIT) -> str:
    """Drop the markup of any line too long for one message.

    Such a line is split between words, and a tag opened in one message could not be
    closed in the next; every text is escaped, so each "<" left is our own tag.
    """
    if len(paragraph) <= limit:
        return paragraph
    return "\n".join(
        line if len(line) <= limit else _TAG_RE.sub("", line) for line in paragraph.split("\n")
    )


def split_message(text: str, limit: int = TELEGRAM_MESSAGE_LIMIT) -> list[str]:
    """Split a message into parts of at most ``limit`` characters.

    Splits between paragraphs first, then between lines, then between words, so
    that markup, which never spans a line, stays balanced in every part.

    Args:
        text: the message (HTML or plain).
        limit: the largest part allowed.

    Returns:
        The parts, none longer than ``limit`` (one part for a short text).
    """
    parts = [p for p in _split(text, limit, ("\n\n", "\n", " ")) if p.strip()]
    return parts or [text[:limit]]


def _split(text: str, limit: int, separators: tuple[str, ...]) -> list[str]:
    if len(text) <= limit:
        return [text]
    if not separators:
        # A single word longer than the limit: cut it, never inside an HTML entity.
        parts = []
        while text:
            cut = limit
            amp = text.rfind("&", max(0, cut - 10), cut)
            if amp > 0 and ";" not in text[amp:cut]:
                cut = amp
            parts.append(text[:cut])
            text = text[cut:]
        return parts
    separator, rest = separators[0], separators[1:]
    pieces: list[str] = []
    for piece in text.split(separator):
        pieces.extend(_split(piece, limit, rest))
    packed: list[str] = []
    current = ""
    for piece in pieces:
        candidate = f"{current}{separator}{piece}" if current else piece
        if len(candidate) <= limit:
            current = candidate
        else:
            if current:
                packed.append(current)
            current = piece
    if current:
        packed.append(current)
    return packed
