"""Tables for the matcher: names, typos, look-alikes, topics and cues."""

from __future__ import annotations

import pytest

from bot.knowledge import KnowledgeBase, load_knowledge
from bot.matching import Matcher, match_question, normalize


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return load_knowledge()


@pytest.fixture(scope="module")
def matcher(kb: KnowledgeBase) -> Matcher:
    return Matcher.build(kb)


@pytest.mark.parametrize(
    ("question", "drugs"),
    [
        ("azathioprine", ("azathioprine",)),
        ("IMURAN???", ("azathioprine",)),
        ("azamun side effects", ("azathioprine",)),
        ("azathiprine", ("azathioprine",)),
        ("azothiaprine", ("azathioprine",)),
        ("cyclosprine", ("cyclosporine",)),
        ("ciclosporin", ("cyclosporine",)),
        ("cyclosporin a", ("cyclosporine",)),
        ("Sandimmune", ("cyclosporine",)),
        ("neoral", ("cyclosporine",)),
        ("cellcept", ("mycophenolate",)),
        ("cell cept", ("mycophenolate",)),
        ("celcept", ("mycophenolate",)),
        ("mycophenolate mofetil", ("mycophenolate",)),
        ("MMF", ("mycophenolate",)),
        ("dapson", ("dapsone",)),
        ("diphenylsulfone", ("dapsone",)),
        ("rapamycin", ("sirolimus",)),
        ("rapamune", ("sirolimus",)),
        ("sirolimis", ("sirolimus",)),
        ("cyclosporine vs cellcept", ("cyclosporine", "mycophenolate")),
        ("imuran, or dapsone?", ("azathioprine", "dapsone")),
    ],
)
def test_covered_names_typos_and_brands(matcher: Matcher, question: str, drugs: tuple[str]) -> None:
    assert matcher.match(question).drugs == drugs


@pytest.mark.parametrize(
    "question",
    [
        "tacrolimus",
        "tacrolimus side effects",
        "tacrolimis side effects",
        "temsirolimus",
        "everolimus and grapefruit",
        "everolimas",
        "azithromycin",
        "azithromicin with food",
        "cyclophosphamide",
        "cyclobenzaprine",
        "cycloserine",
        "dapagliflozin",
        "daptomycin",
        "dapoxetine",
        "pimecrolimus cream",
        "zotarolimus",
        "methotrexate",
        "mercaptopurine",
        "ridaforolimus",  # not in the list: caught by its drug-like ending
        "neural",
    ],
)
def test_look_alikes_never_match_a_covered_drug(matcher: Matcher, question: str) -> None:
    assert matcher.match(question).drugs == ()


@pytest.mark.parametrize(
    ("question", "other"),
    [
        ("tacrolimus side effects", ("tacrolimus",)),
        ("tacrolimis", ("tacrolimus",)),
        ("ridaforolimus", ("ridaforolimus",)),
        ("can i take tacrolimus with cyclosporine", ("tacrolimus",)),
    ],
)
def test_uncovered_drug_names_are_reported(
    matcher: Matcher, question: str, other: tuple[str]
) -> None:
    assert matcher.match(question).other_drugs == other


@pytest.mark.parametrize(
    ("question", "topic"),
    [
        ("imuran side efects", "side-effects"),
        ("will imuran make me tired", "side-effects"),
        ("does cellcept mess with my stomach", "side-effects"),
        ("when does dapsone kick in", "time-to-work"),
        ("how long before imuran works", "time-to-work"),
        ("grapefruit cyclosporine?", "interactions"),
        ("st john's wort and ciclosporin", "interactions"),
        ("St. Johns Wort cyclosporine", "interactions"),
        ("does dapsone need a blood test", "tests"),
        ("can I take azathioprine while pregnant", "pregnancy"),
        ("how does sirolimus work", "how-it-works"),
        ("siroliums how does it wrk", "how-it-works"),
        ("does cyclosporine damage your kidneys", "serious-risks"),
        ("is cellcept any good", "effectiveness"),
    ],
)
def test_topics(matcher: Matcher, question: str, topic: str) -> None:
    assert matcher.match(question).topics[0] == topic


@pytest.mark.parametrize(
    ("question", "flag", "expected"),
    [
        ("how many mg of imuran should I take", "dose", True),
        ("what dose of dapsone", "dose", True),
        ("imuran side effects", "dose", False),
        ("I missed a dose of cellcept", "dose", False),
        ("fever and chills on azathioprine", "urgent", True),
        ("vomiting blood on cellcept", "urgent", True),
        ("blood in my stool since starting mmf", "urgent", True),
        ("imuran side effects", "urgent", False),
        ("which of these can damage the kidneys", "across", True),
        ("and the side effects?", "follow_up", True),
        ("hi there", "greeting", True),
        ("thanks!", "thanks", True),
        ("are immunosuppressants fda approved", "about_class", True),
    ],
)
def test_cues(matcher: Matcher, question: str, flag: str, expected: bool) -> None:
    assert getattr(matcher.match(question), flag) is expected


@pytest.mark.parametrize(
    ("question", "uncovered"),
    [
        ("how do I store imuran", "storage"),
        ("forgot to take my dapsone dose", "missed doses"),
        ("can I drink alcohol on cyclosporine", "alcohol"),
        ("imuran side effects", None),
    ],
)
def test_uncovered_topics(matcher: Matcher, question: str, uncovered: str | None) -> None:
    assert matcher.match(question).uncovered_topic == uncovered


@pytest.mark.parametrize(
    "question", ["", "   ", "💊❓", "asdfghjkl", "'; DROP TABLE users; --", "<b>", "x" * 10_000]
)
def test_nothing_to_answer(matcher: Matcher, question: str) -> None:
    match = matcher.match(question)
    assert match.drugs == ()
    assert match.is_empty


def test_entry_phrases_point_at_one_drug(matcher: Matcher) -> None:
    match = matcher.match("which one needs a DNA test")
    assert "azathioprine.tests" in match.entries
    assert all(key.startswith("azathioprine.") for key in match.entries)


def test_match_question_builds_its_own_index(kb: KnowledgeBase) -> None:
    assert match_question(kb, "imuran").drugs == ("azathioprine",)


@pytest.mark.parametrize(
    ("text", "normalized"),
    [
        ("St. John\u2019s Wort!!", "st johns wort"),
        ("  IMURAN\tside-effects ", "imuran side effects"),
        ("\uff43\uff45\uff4c\uff4c\uff43\uff45\uff50\uff54", "cellcept"),  # full-width letters
        ("a_b", "a b"),
    ],
)
def test_normalize(text: str, normalized: str) -> None:
    assert normalize(text) == normalized
