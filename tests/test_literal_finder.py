"""Finding which of many fixed strings a text holds, in one pass."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.literal_finder import LiteralFinder


@pytest.mark.parametrize(
    ("literals", "text", "found"),
    [
        # Overlapping strings are all found: one inside another, and one ending in another.
        (("bleed", "bleeding", "eding"), "no bleeding now", {"bleed", "bleeding", "eding"}),
        # Plain substrings, not words: "kill" is in "skills".
        (("kill",), "new skills", {"kill"}),
        # Strings with spaces, and a string given twice.
        ((" dose", " dose", "lethal"), "a lethal dose", {" dose", "lethal"}),
        # Nothing present; and no strings at all.
        (("fever",), "all fine", set()),
        ((), "anything", set()),
    ],
)
def test_found_in(literals: tuple[str, ...], text: str, found: set[str]) -> None:
    assert LiteralFinder(literals).found_in(text) == found


@given(
    st.lists(st.text(alphabet="abc ", min_size=1, max_size=4), max_size=8),
    st.text(alphabet="abc ", max_size=40),
)
def test_found_in_is_every_string_that_is_a_substring(literals: list[str], text: str) -> None:
    assert LiteralFinder(literals).found_in(text) == {w for w in literals if w in text}
