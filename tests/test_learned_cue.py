"""The learned cue: features, training and how a match uses what the model hears."""

from __future__ import annotations

import dataclasses

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


def test_the_shipped_knowledge_trains_a_crisis_model_and_a_doubting_one_with_its_opposite(
    matcher: Matcher,
) -> None:
    learned = {cue.cue: cue for cue in matcher.language.learned}
    heard = {cue_id: model.threshold for cue_id, model in matcher.learned}
    ((calm, doubted, calm_model),) = matcher.doubting

    assert heard == {
        "crisis": learned["crisis"].threshold,
        "emergency-told": learned[calm].opposite_threshold,
    }
    assert learned[calm].opposite == "emergency-told"
    assert calm_model.threshold == learned[calm].threshold
    assert "poisoning.child" in doubted
    assert not any(c.startswith("count.") for c in doubted)  # a count is never guessed at


@pytest.mark.parametrize(
    ("message", "doubted"),
    [
        ("if my kid ever accidentally took one of my dapsone what would happen", "poisoning.child"),
        ("if I'm ever exposed to chickenpox do I need to stop my azathioprine", "exposure"),
    ],
)
def test_a_red_flag_the_model_doubts_is_advice_and_remembered(
    matcher: Matcher, message: str, doubted: str
) -> None:
    match = matcher.match(message)

    assert "no-emergency-told" in match.cues
    assert doubted not in match.cues
    assert not match.urgent
    assert doubted in match.asked_flags
    assert doubted in match.heard_flags


@pytest.mark.parametrize(
    "message",
    [
        "took two doses of my imuran by mistake this morning what do i do",
        "platelets 8 today on mmf, is that bad",
    ],
)
def test_a_red_flag_told_as_happening_is_not_doubted(matcher: Matcher, message: str) -> None:
    match = matcher.match(message)

    assert "no-emergency-told" not in match.cues
    assert match.urgent


def test_tablets_saved_up_are_a_crisis(matcher: Matcher) -> None:
    assert "crisis" in matcher.match("i have stockpiled my neoral capsules").cues


@pytest.mark.parametrize(
    "message",
    [
        # Stopping a medicine "myself" is no crisis (learned-crisis.yaml, not).
        "thinking about stopping my imuran myself, the nausea is bad",
        "thinking about taking myself off sirolimus",
    ],
)
def test_stopping_a_medicine_oneself_is_no_crisis(matcher: Matcher, message: str) -> None:
    assert "crisis" not in matcher.match(message).cues


def test_a_crisis_the_rules_read_says_nothing_else(matcher: Matcher) -> None:
    message = "i want to kill myself, and i took all my dapsone tablets"
    match = matcher.match(message)

    assert match.exclusive
    assert match.heard_with == ()


def test_a_red_flag_no_rule_reads_is_heard_by_the_backstop(matcher: Matcher) -> None:
    message = (
        "my little girl on neoral has had diarrhoea and vomiting since last night"
        " and now she's hot, can't keep her meds down"
    )
    match = matcher.match(message)

    assert match.urgent
    assert {c for c in match.cues if c.startswith(("red-flag", "emergency"))} == {"emergency-told"}


def test_the_backstop_is_silent_where_a_rule_raised_a_red_flag(matcher: Matcher) -> None:
    match = matcher.match("fever 38.9 on cyclosporine, shivering, what do i do")

    assert "red-flag.fever" in match.cues
    assert "emergency-told" not in match.cues


def test_the_backstop_is_silent_where_a_red_flag_is_told_as_over(matcher: Matcher) -> None:
    match = matcher.match(
        "went to A and E like you said, scan was clear, sent home, headache's gone"
    )

    assert "time.resolved" in match.cues
    assert not match.urgent


def test_a_large_amount_swallowed_is_never_doubted(matcher: Matcher) -> None:
    message = "what would happen if somebody swallowed 60 neoral capsules. would it be quick"
    match = matcher.match(message)

    # Heard as a crisis too ("would it be quick"), what to do now about the tablets
    # opens the crisis reply (test_language: a red flag told with a crisis).
    assert "poisoning.large" in match.cues | set(match.heard_with)
    assert match.urgent
    assert "no-emergency-told" not in match.cues


@pytest.mark.parametrize("message", ["imuran 0", "imuran 3 dapsone"])
def test_the_backstop_does_not_weigh_a_few_words(matcher: Matcher, message: str) -> None:
    assert not matcher.match(message).urgent


def test_a_model_hears_no_message_shorter_than_its_fewest_words() -> None:
    model = dataclasses.replace(train_model(SAID, NOT_SAID, 0.5), min_words=4)

    assert model.probability("nobody would miss me") > 0.5
    assert not model.hears("nobody would miss")
    assert model.hears("nobody would miss me")
