"""Render a composed :class:`~bot.composing.Answer`: plain text, or Telegram HTML.

Composition (:mod:`bot.composing`) decides *what* to say; this module decides how it
looks: plain text for the terminal, escaped HTML messages of at most 4096
characters for Telegram, with the sources folded in an expandable quote.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable

from bot.composing import Answer
from bot.knowledge import Reference

__all__ = [
    "TELEGRAM_MESSAGE_LIMIT",
    "checked_line",
    "render_html",
    "render_plain",
    "render_sources_html",
    "split_message",
]

TELEGRAM_MESSAGE_LIMIT = 4096


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
        # An alert that informs (a count reported) has no title of its own.
        paragraphs.append(f"{section.title}\n{body}" if section.title else body)
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
        if answer.checked:
            lines.append(checked_line(answer.checked))
        paragraphs.append("\n".join(lines))
    return "\n\n".join(paragraphs)


_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def checked_line(checked: str) -> str:
    """Say when the facts shown were last compared with their sources, as NHS pages do.

    Args:
        checked: a month as ``YYYY-MM``.

    Returns:
        "Checked against these sources: November 2026".
    """
    year, _, month = checked.partition("-")
    return f"Checked against these sources: {_MONTHS[int(month) - 1]} {year}"


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
        paragraphs.append(f"<b>{esc(section.title)}</b>\n{body}" if section.title else body)
    if answer.caution is not None:
        paragraphs.append(f"<i>{esc(answer.caution.title)}: {esc(answer.caution.text)}</i>")
    if answer.references:
        # Folded away: on a phone, a dozen citations would drown a short answer.
        sources = render_sources_html(answer.references)
        if answer.checked:
            sources += f"\n{esc(checked_line(answer.checked))}"
        paragraphs.append(f"{_QUOTE_OPEN}{sources}{_QUOTE_CLOSE}")
    return split_message("\n\n".join(_untag_long_lines(p) for p in paragraphs))


_QUOTE_OPEN = "<blockquote expandable>"
_QUOTE_CLOSE = "</blockquote>"


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
    that markup, which never spans a line, stays balanced in every part. The one
    tag that spans lines, the expandable blockquote of the sources, is closed at the
    end of a part and opened again at the start of the next.

    Args:
        text: the message (HTML or plain).
        limit: the largest part allowed.

    Returns:
        The parts, none longer than ``limit`` (one part for a short text).
    """
    quoted = _QUOTE_OPEN in text
    # Room for the closing and reopening tags a cut blockquote needs.
    room = limit - len(_QUOTE_OPEN) - len(_QUOTE_CLOSE) if quoted and len(text) > limit else limit
    parts = [p for p in _split(text, room, ("\n\n", "\n", " ")) if p.strip()]
    if quoted:
        parts = _close_quotes(parts)
    return parts or [text[:limit]]


def _close_quotes(parts: list[str]) -> list[str]:
    """Close a blockquote left open at the end of a part, and reopen it in the next."""
    balanced: list[str] = []
    open_quote = False
    for part in parts:
        text = part
        if open_quote:
            text = _QUOTE_OPEN + text.lstrip("\n")
        open_quote = text.count(_QUOTE_OPEN) > text.count(_QUOTE_CLOSE)
        if open_quote:
            text = text.rstrip("\n") + _QUOTE_CLOSE
        balanced.append(text)
    return balanced


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
    packed: list[str] = []
    current = ""
    for piece in text.split(separator):
        for place, part in enumerate(_split(piece, limit, rest)):
            # Only a piece's first part follows the separator; its other parts follow
            # the part before them directly ("&amp;&amp;" cut in two), so they are never
            # joined to it with a separator the text did not have.
            candidate = f"{current}{separator}{part}" if current else part
            if place == 0 and len(candidate) <= limit:
                current = candidate
            else:
                if current:
                    packed.append(current)
                current = part
    if current:
        packed.append(current)
    return packed
