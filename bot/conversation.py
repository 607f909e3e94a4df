"""Short-lived memory of what each chat last asked about, for follow-up questions."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import replace

from bot.composing import Answer, Context

__all__ = ["DEFAULT_MEMORY_SECONDS", "ConversationMemory"]

DEFAULT_MEMORY_SECONDS = 15 * 60


class ConversationMemory:
    """Remember the drugs and topics of each chat's last answer for a while.

    Only drug and topic ids are kept, never the text of a message, and the
    oldest chats are forgotten first once ``max_chats`` is reached, so memory
    use stays bounded however many people write.
    """

    def __init__(
        self,
        ttl_seconds: float = DEFAULT_MEMORY_SECONDS,
        max_chats: int = 50_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._ttl = ttl_seconds
        self._max = max_chats
        self._clock = clock
        self._chats: OrderedDict[Hashable, tuple[float, Context]] = OrderedDict()

    def recall(self, chat: Hashable) -> Context | None:
        """Return the chat's last context if it is recent enough.

        Args:
            chat: the chat's key.

        Returns:
            The context, or None when there is none or it has expired.
        """
        item = self._chats.get(chat)
        if item is None:
            return None
        at, context = item
        if self._clock() - at > self._ttl:
            del self._chats[chat]
            return None
        return context

    def remember(self, chat: Hashable, context: Context | None) -> None:
        """Store the context of the chat's latest answer (None keeps the previous one).

        Args:
            chat: the chat's key.
            context: what the latest answer was about.
        """
        if context is None:
            return
        self._chats[chat] = (self._clock(), context)
        self._chats.move_to_end(chat)
        while len(self._chats) > self._max:
            self._chats.popitem(last=False)

    def after(self, chat: Hashable, answer: Answer) -> None:
        """Keep what an answer was about; forget the chat's drug after a drug not covered.

        "what about tacrolimus?" then "and the interactions?" must not answer for the
        drug asked about before the switch. A reply about nothing new ("which one do
        you mean?", the crisis reply) keeps the drug asked about before it.
        """
        previous = self.recall(chat)
        named = _named(previous, answer)
        if answer.kind == "not_covered" and answer.strangers:
            # The chat is now about the drug we do not cover, and only about it; the
            # drugs it named before are still there to go back to ("back to mine").
            self.forget(chat)
            if answer.context is not None:
                own = previous.own if previous is not None else ()
                self.remember(chat, replace(answer.context, named=named, own=own))
            return
        context = answer.context
        if context is None or (not context.drugs and previous is not None and previous.drugs):
            if previous is None:
                self.remember(chat, context)
                return
            context = replace(
                previous,
                topics=context.topics
                if context is not None and context.topics
                else previous.topics,
                # A crisis reply's cues are the chat's whole (it drops a crisis in hand
                # that the turn told again), never added to the ones before it.
                cues=context.cues
                if context is not None and answer.kind == "crisis"
                else previous.cues | (context.cues if context is not None else frozenset()),
                crisis=context.crisis if context is not None else previous.crisis,
                count=context.count if context is not None and context.count else previous.count,
                count_of=context.count_of
                if context is not None and context.count
                else previous.count_of,
                count_earlier=context.count_earlier
                if context is not None and context.count
                else previous.count_earlier,
                # Only the turn just answered speaks of red flags a next turn can raise.
                heard=context.heard if context is not None else frozenset(),
            )
        elif previous is not None and previous.count and not context.count:
            # A count told earlier still stands until another is told.
            context = replace(
                context,
                count=previous.count,
                count_of=previous.count_of,
                count_earlier=previous.count_earlier,
            )
        own = _own(previous, answer)
        self.remember(chat, replace(context, named=named, own=own) if context is not None else None)

    def forget(self, chat: Hashable) -> None:
        """Drop what the chat asked about."""
        self._chats.pop(chat, None)

    def __len__(self) -> int:
        return len(self._chats)


def _named(previous: Context | None, answer: Answer) -> tuple[str, ...]:
    """The covered drugs a chat has named so far, the first first, with this answer's
    (and those its question named that the answer did not speak of)."""
    before = previous.named if previous is not None else ()
    return tuple(dict.fromkeys((*before, *answer.drugs, *answer.subject, *answer.mentioned)))


def _own(previous: Context | None, answer: Answer) -> tuple[str, ...]:
    """The covered drugs the chat has told as the writer's own, with this answer's."""
    before = previous.own if previous is not None else ()
    return tuple(dict.fromkeys((*before, *answer.own)))
