"""Sending an HTML reply to Telegram: in parts, with buttons, retried on a network error."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions, Message
from telegram.constants import ParseMode
from telegram.error import BadRequest, NetworkError, TimedOut

from bot.composing import Button

__all__ = ["NO_PREVIEW", "keyboard", "send_html"]

logger = logging.getLogger(__name__)

NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
_SEND_ATTEMPTS = 3
_SEND_RETRY_DELAY = 0.5


def keyboard(
    buttons: Sequence[Button], vote_token: str | None = None
) -> InlineKeyboardMarkup | None:
    """One button per row, then the two vote buttons of an answer when it has a token."""
    rows = [[InlineKeyboardButton(b.label, callback_data=b.data)] for b in buttons]
    if vote_token is not None:
        rows.append(
            [
                InlineKeyboardButton("\U0001f44d Helpful", callback_data=f"v:{vote_token}:1"),
                InlineKeyboardButton("\U0001f44e Not helpful", callback_data=f"v:{vote_token}:0"),
            ]
        )
    return InlineKeyboardMarkup(rows) if rows else None


async def send_html(
    message: Message,
    parts: Sequence[str],
    buttons: Sequence[Button] = (),
    vote_token: str | None = None,
) -> Message | None:
    """Send the parts of a reply in order; the buttons go under the last part.

    Returns:
        The last message sent (None when there were no parts).
    """
    sent: Message | None = None
    for index, part in enumerate(parts):
        last = index == len(parts) - 1
        for attempt in range(_SEND_ATTEMPTS):
            try:
                sent = await message.reply_text(
                    part,
                    parse_mode=ParseMode.HTML,
                    link_preview_options=NO_PREVIEW,
                    reply_markup=keyboard(buttons, vote_token) if last else None,
                    do_quote=False,
                )
                break
            except (BadRequest, TimedOut):
                # A bad request fails again; a timed-out one may have been delivered.
                raise
            except NetworkError as error:
                # A 5xx or a dropped connection: the message did not go out; try again
                # shortly, a bounded number of times.
                if attempt == _SEND_ATTEMPTS - 1:
                    raise
                logger.warning("sending failed (%s); retrying", error)
                await asyncio.sleep(_SEND_RETRY_DELAY * (attempt + 1))
    return sent
