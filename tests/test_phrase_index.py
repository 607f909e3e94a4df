"""The phrase index: phrases of an any-form cue in every form of their words."""

from __future__ import annotations

import pytest

from bot.phrase_index import MAX_FORMS_PER_PHRASE, every_form, word_forms_of

FORMS = word_forms_of(["want wants wanting", "my his her", "die dies dying"])


@pytest.mark.parametrize(
    ("phrase", "expected"),
    [
        ("end it", ["end it"]),
        ("want out", ["want out", "wants out", "wanting out"]),
        (
            "end my life",
            ["end my life", "end his life", "end her life"],
        ),
        (
            "want to die",
            [
                "want to die",
                "want to dies",
                "want to dying",
                "wants to die",
                "wants to dies",
                "wants to dying",
                "wanting to die",
                "wanting to dies",
                "wanting to dying",
            ],
        ),
    ],
)
def test_every_form_gives_the_phrase_first_then_each_other_form(
    phrase: str, expected: list[str]
) -> None:
    assert list(every_form(phrase, FORMS)) == expected


def test_every_form_stops_at_its_limit_and_keeps_the_phrase() -> None:
    many = word_forms_of(["a b c d e f"])
    forms = list(every_form("a a a a", many))
    assert forms[0] == "a a a a"
    assert len(forms) == MAX_FORMS_PER_PHRASE
    assert len(set(forms)) == len(forms)
