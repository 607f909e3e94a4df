"""Cues read like a clinician: each kind of red flag, negation, the past, counts, crisis."""

from __future__ import annotations

import pytest

from bot.cues import platelet_value
from bot.matching import Matcher

ALERTING = (
    "crisis",
    "red-flag.fever",
    "red-flag.bleeding",
    "red-flag.blood-in-output",
    "red-flag.breathing",
    "red-flag.neuro",
    "red-flag.head-injury",
    "red-flag.skin",
    "count.platelets-low",
    "count.falling",
    "count.other-low",
    "poisoning.child",
    "poisoning.extra-dose",
    "exposure",
)


def fired(matcher: Matcher, text: str) -> set[str]:
    return set(matcher.match(text).cues) & set(ALERTING)


@pytest.mark.parametrize(
    ("question", "cue"),
    [
        ("the worst headache of my life, on cyclosporine", "red-flag.neuro"),
        ("wee the colour of cola this morning", "red-flag.blood-in-output"),
        ("black sticky poo since yesterday on cellcept", "red-flag.blood-in-output"),
        ("sores all over the inside of my mouth on dapsone", "red-flag.skin"),
        ("he keeps fainting and looks grey", "red-flag.neuro"),
        ("fell over and hit my head on the cupboard, plt 15", "red-flag.head-injury"),
        ("plt 9 this morning", "count.platelets-low"),
        ("count of 14 on todays bloods", "count.platelets-low"),
        ("11k platelets today", "count.platelets-low"),
        ("platelets came back at 11,000", "count.platelets-low"),
        ("platelet count was twelve this morning", "count.platelets-low"),
        ("my count has halved since monday", "count.falling"),
        # A fall by a third to under 30 nears the under-20 line.
        ("platelets went from 40 to 22 this week, on aza", "count.falling"),
        ("hb came back 85 on aza", "count.other-low"),
        ("hb was 78 last week, i'm on dapsone", "count.other-low"),
        ("neut 0.8 L on my results", "count.other-low"),
        ("haemoglobin down to 98 from 130", "count.other-low"),
        ("my 2 yr old got into my azathioprine, might have eaten one", "poisoning.child"),
        ("took my morning aza twice by mistake", "poisoning.extra-dose"),
        ("kid at nursery has chickenpox, they played all morning", "exposure"),
        ("they'd all be better off if I was gone", "crisis"),
        ("how many imuran would it take to be fatal", "crisis"),
        ("had a fever last week and now my gums are bleeding", "red-flag.bleeding"),
        ("never had a fever before but now i do", "red-flag.fever"),
        (
            "came up in a rash and running a temperature, started dapsone 3 weeks ago",
            "red-flag.fever",
        ),
    ],
)
def test_each_kind_of_alert_fires_in_the_patients_words(
    matcher: Matcher, question: str, cue: str
) -> None:
    assert cue in fired(matcher, question)


@pytest.mark.parametrize(
    "question",
    [
        "no temperature at all, just asking",
        "had a high temp on Monday, fine now",
        "had a nosebleed last week, stopped by itself, fine since",
        "not had a single nosebleed since starting dapsone",
        "when is my chickenpox jab due",
        "is the shingles jab ok on azathioprine",
        "does mycophenolate cause black stools",
        "plt 20 today, 22 last month",
        "platelets up to 88 from 40",
        "platelets went from 30 to 24 this week, on aza",
        "my hb was 95 last month and now its 128, on dapsone",
        "this drug is killing my appetite",
        "dying for a pint after the week ive had",
        "dad had a fall last month, didnt hit his head",
        "can i take imuran twice a day",
    ],
)
def test_no_false_alarm(matcher: Matcher, question: str) -> None:
    assert fired(matcher, question) == set()


def test_a_crisis_overrides_every_other_cue(matcher: Matcher) -> None:
    match = matcher.match("plt 8 again and honestly hoping i just bleed out this time")
    assert match.exclusive
    assert match.cues == frozenset({"crisis"})


def test_an_extra_dose_is_no_dose_question(matcher: Matcher) -> None:
    match = matcher.match("took an extra MMF by mistake, feel fine tho")
    assert "poisoning.extra-dose" in match.cues
    assert not match.dose


@pytest.mark.parametrize(
    ("text", "value"),
    [("9", 9.0), ("11k", 11.0), ("11 000", 11.0), ("150", 150.0), ("150000", 150.0)],
)
def test_platelet_counts_are_read_in_thousands_per_microlitre(text: str, value: float) -> None:
    assert platelet_value(text) == value


@pytest.mark.parametrize(
    ("question", "foreign"),
    [
        ("Tengo fiebre y estoy tomando azatioprina", True),
        ("Czy mogę brać mykofenolan w ciąży?", True),
        ("imuran ka side effect kya hai", True),  # never guessed at, even with a name in it
        ("can i take imuran with food", False),
        # English words of four letters or more count as English too.
        ("pwede ba with food or empty stomach ang sirolimus? nurse said either lang daw", False),
        (
            "Mi nuh have nuh fever, mi jus waan know if di yellow fever shot good pon azathioprine",
            False,
        ),
        (
            "mere papa azathioprine le rahe hain ITP ke liye, kya woh dahi aur chawal kha sakte",
            True,
        ),
    ],
)
def test_messages_in_other_languages(matcher: Matcher, question: str, foreign: bool) -> None:
    assert matcher.match(question).foreign is foreign


@pytest.mark.parametrize(
    ("question", "cue", "fires"),
    [
        # A pattern that reads the whole message ("^(?!...).*"): a negation far back in
        # the story says nothing about its core.
        (
            "sorry, rambling, I've not been right, I took a load of my tablets on friday night",
            "crisis",
            True,
        ),
        # A negation just before the core still denies it.
        ("I have not had a fever since starting dapsone", "red-flag.fever", False),
    ],
)
def test_a_negation_denies_only_the_core_of_a_pattern(
    matcher: Matcher, question: str, cue: str, fires: bool
) -> None:
    assert (cue in matcher.match(question).cues) is fires
