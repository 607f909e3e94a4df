"""The learned cue: features, training and how a match uses what the model hears."""

from __future__ import annotations

import pytest

from bot import learned_cue
from bot.learned_cue import message_features, train_model
from bot.matching import Matcher

SAID = (
    "i want it all to stop for good",
    "nobody would miss me if i was gone",
    "i have been saving my tablets to take them all at once",
    "i cannot face another day of this",
)
NOT_SAID = (
    "can i drink alcohol on azathioprine",
    "how long does it take to work",
    "i forgot my tablets this morning",
    "is it ok in the sun",
    "my day was long, can i take it with food",
    "does it stop working after a while",
)


@pytest.mark.parametrize(
    ("message", "features"),
    [
        ("Done.", {"done"}),
        ("no point", {"no", "point", "no point"}),
        ("Can't GO on", {"cant", "go", "on", "cant go", "go on", "cant _ on"}),
        ("", set()),
    ],
)
def test_features_are_stems_pairs_and_pairs_one_word_apart(
    message: str, features: set[str]
) -> None:
    assert message_features(message) == features


def test_the_model_hears_what_it_learned_and_not_the_rest() -> None:
    model = train_model(SAID, NOT_SAID, 0.5)

    assert [model.hears(m) for m in SAID] == [True] * len(SAID)
    assert [model.hears(m) for m in NOT_SAID] == [False] * len(NOT_SAID)


def test_training_twice_gives_the_same_model() -> None:
    first = train_model(SAID, NOT_SAID, 0.9)
    learned_cue._trained.cache_clear()  # train again, not from the cache
    second = train_model(SAID, NOT_SAID, 0.9)

    assert dict(first.weights) == dict(second.weights)
    assert first.bias == second.bias


@pytest.mark.parametrize(("said", "not_said"), [((), NOT_SAID), (SAID, ())])
def test_a_model_without_both_kinds_of_message_hears_nothing(
    said: tuple[str, ...], not_said: tuple[str, ...]
) -> None:
    model = train_model(said, not_said, 0.5)

    assert [model.hears(m) for m in SAID + NOT_SAID] == [False] * len(SAID + NOT_SAID)


@pytest.mark.parametrize(("threshold", "heard"), [(0.5, True), (0.999999, False)])
def test_the_threshold_decides_what_is_heard(threshold: float, heard: bool) -> None:
    model = train_model(SAID, NOT_SAID, threshold)

    assert model.hears("i cannot face it, i want it to stop for good") is heard


def test_the_shipped_knowledge_trains_a_crisis_model(matcher: Matcher) -> None:
    assert matcher.learned is not None
    cue_id, model = matcher.learned
    assert cue_id == "crisis"
    assert model.threshold == matcher.language.learned.threshold  # type: ignore[union-attr]


def test_a_crisis_the_rules_read_says_nothing_else(matcher: Matcher) -> None:
    message = "i want to kill myself, and i took all my dapsone tablets"
    match = matcher.match(message)

    assert match.exclusive
    assert match.heard_with == ()
