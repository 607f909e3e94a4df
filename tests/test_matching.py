"""Tables for the matcher: names, typos, look-alikes, topics and cues."""

from __future__ import annotations

import dataclasses

import pytest

from bot.composing import answer_question
from bot.knowledge import KnowledgeBase
from bot.matching import Matcher, match_question, normalize


@pytest.mark.parametrize(
    ("question", "drugs"),
    [
        ("azathioprine", ("azathioprine",)),
        ("IMURAN???", ("azathioprine",)),
        ("azamun side effects", ("azathioprine",)),
        # A name's possessive, its apostrophe folded away.
        ("this aza's gonna be the death of me", ("azathioprine",)),
        ("the MMF's side effects", ("mycophenolate",)),
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
        ("tacrolimis", ("tacrolimis",)),  # a misspelling the file lists itself
        ("ridaforolimus", ("ridaforolimus",)),
        ("can i take tacrolimus with cyclosporine", ("tacrolimus",)),
        # The everyday word of a several-word name is no name alone (common-words).
        ("can i take my migraine tablets with cellcept", ("migraine tablets",)),
        ("I get migraines on cellcept, is that a side effect?", ()),
        ("my thyroid is underactive, can I take dapsone", ()),
        ("God take this sickness away from her, how long before dapsone works", ()),
        ("protein in my urine on ciclosporin", ()),
        # A name we do not know, joined to one of ours by a pair word (pair-words).
        ("cyclizine with ciclosporin", ("cyclizine",)),
        ("azathioprine and cyclizine", ("cyclizine",)),
        ("can i take ciclosporin with my brekky", ()),
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
    ("question", "topics"),
    [
        # Each question's best topic, though the first says more (language.yaml,
        # next-question).
        (
            "on sirolimus, is it ok to have a few drinks and is a bit of sun at the beach ok",
            ("alcohol", "sun-and-skin"),
        ),
        # One question: only the topics that score near the best.
        ("can i have a few drinks on sirolimus at the beach", ("alcohol",)),
    ],
)
def test_topics_of_each_question(matcher: Matcher, question: str, topics: tuple[str, ...]) -> None:
    assert matcher.match(question).topics == topics


@pytest.mark.parametrize(
    ("question", "topics"),
    [
        # No topic phrase: the learned topics (learned-topics.yaml) tell what it asks.
        ("took my sirolimos at 8 insted of 7 does 1 hr matter", ("how-to-take",)),
        ("wat happens if u miss ur azathioprin", ("missed-dose",)),
        # Never beside another medicine, a red flag or a dose: their replies say more.
        ("took my sirolimos at 8 insted of 7 with naproxen does 1 hr matter", ()),
        ("took my sirolimos at 8 insted of 7 and now a fever of 39, does 1 hr matter", ()),
        # Too few words to weigh.
        ("sirolimus 8 or 7", ()),
    ],
)
def test_learned_topics_read_a_question_no_phrase_matches(
    matcher: Matcher, question: str, topics: tuple[str, ...]
) -> None:
    assert matcher.match(question).topics == topics


@pytest.mark.parametrize(
    ("question", "crisis"),
    [
        # Crisis words, no crisis: the learned model doubts what the patterns read.
        (
            "My sertraline leaflet has a warning about suicidal thoughts. Does azathioprine"
            " have the same warning? I'm fine, just reading all my leaflets properly for once.",
            False,
        ),
        ("ive just taken 20 of my azathioprine on purpose about an hour ago", True),
        # Never doubted where a cue tells it as happening now.
        ("i used to self harm when i was 13 and its started again this week", True),
        # Never doubted in another language.
        ("もう死にたい。薬を全部まとめて飲もうかと考えています。", True),
    ],
)
def test_a_crisis_the_model_is_sure_is_none_is_doubted(
    matcher: Matcher, question: str, crisis: bool
) -> None:
    match = matcher.match(question)
    assert ("crisis" in match.cues) is crisis
    assert ("crisis" in match.asked_flags) is not crisis


def test_help_told_in_hand_is_no_crisis_the_model_guessed(matcher: Matcher) -> None:
    message = "I've told my partner everything and she's driving me to the GP now"
    # The crisis model alone hears a crisis in it ("told ... everything"): the test
    # means something only while it does.
    assert dict(matcher.learned)["crisis"].hears(message)
    match = matcher.match(message)
    assert "crisis-in-hand" in match.cues
    assert "crisis" not in match.cues


@pytest.mark.parametrize(
    ("question", "red_flag", "fires"),
    [
        # A normal temperature quiets a fever (quiets-only), not the neutrophils.
        ("Neut 0.4, temp 37.9, on mycophenolate", "count.other-low", True),
        ("temp 37.9, neutrophils 0.4 on mycophenolate", "count.other-low", True),
        ("fever yesterday, temp 36.8 now, on azathioprine", "red-flag.fever", False),
    ],
)
def test_a_quieting_cue_quiets_only_its_own_red_flags(
    matcher: Matcher, question: str, red_flag: str, fires: bool
) -> None:
    assert (red_flag in matcher.match(question).cues) is fires


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
        # A count read as normal: no learned emergency either (an Indian lab's grouping).
        ("platelet count 1,20,000 per cumm", "urgent", False),
        ("plt 1,50,000/cumm on azathioprine", "urgent", False),
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
    ("question", "uncovered", "topic"),
    [
        # What the knowledge covers is a topic now, for the drugs that have an entry.
        ("how do I store imuran", None, "storage"),
        ("forgot to take my dapsone dose", None, "missed-dose"),
        ("can I drink alcohol on cyclosporine", None, "alcohol"),
        # What no source covers for any drug stays a cue of the language.
        ("can I drive on dapsone", "driving", None),
        ("imuran side effects", None, "side-effects"),
    ],
)
def test_uncovered_topics(
    matcher: Matcher, question: str, uncovered: str | None, topic: str | None
) -> None:
    match = matcher.match(question)
    assert match.uncovered_topic == uncovered
    assert (match.topics[:1] or (None,))[0] == topic


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
        ("PLT 16x10^3/mm3", "plt 16 x10 3 mm3"),  # a lab's number glued to its unit
        ("मैं जीना नहीं।", "मैं जीना नहीं"),  # Hindi vowel signs stay in their words
        ("plt 1,50,000/cumm", "plt 150000 cumm"),  # digits grouped the Indian way
        ("plt 150,000 and 12,000", "plt 150 000 and 12 000"),  # thousands stay as they were
    ],
)
def test_normalize(text: str, normalized: str) -> None:
    assert normalize(text) == normalized


@pytest.mark.parametrize(
    "question",
    [
        "temp of 39 on azathioprine",
        "im on cellcept and my temperature is 38.4",
        "101F on imuran what do i do",
        "38C and aching all over on cellcept",
        "my son on imuran has a sore throat and 39.5",
        "my poo is black since starting mycophenolate",
        "my pee is pink on cyclosporine",
        "my lips look blueish on dapsone",
        "spat out blood brushing my teeth, on dapsone",
        "theres blood in my poo since starting cellcept",
        "been sick and theres blood in it, im on mycophenolate",
        "i'm burning up on cellcept",
        # A clause with news of its own does not make the knock before it past
        # (language.yaml, own-news).
        "hit my head hard on a cupboard door, count 25 last week, on mycophenolate",
        # A bleed told with the question it comes with, or behind a fright's idiom.
        "what can i take for heavy periods on sirolimus",
        "my periods have been really heavy this month on cellcept, what can i take",
        "i nearly died when my nose started pouring blood, its still going, on imuran",
        # An infection a doctor treats now is still told to the patient's own team.
        "on cellcept and being treated for bronchitis",
        # A knock to the head in the words patients use.
        "think i might have concussion, on sirolimus, plt 30",
        "slipped on ice hit back of my head, on cellcept",
    ],
)
def test_red_flags_in_the_patients_own_words(matcher: Matcher, question: str) -> None:
    assert matcher.match(question).urgent is True


@pytest.mark.parametrize(
    "question",
    [
        "NO FEVER or anything, just tired on imuran",
        "not bleeding or anything, just curious about cellcept side effects",
        "yellow fever vaccine and azathioprine?",
        "hay fever and cellcept",
        "which has fewer side effects, imuran or cellcept",
        "taking 40 5mg tablets",
        # ...while a clause that only tells the time still does.
        "hit my head on a cupboard door last week, on mycophenolate",
        # A symptom had twice is no double dose; a habit of muddle is no stroke.
        "had diarrhoea twice today on mycophenolate",
        "my mum gets muddled, can she take imuran with food",
        # A count in lakhs is a hundred thousand a lakh.
        "my platelet count is 1 lakh, on dapsone",
        "which one also helps prevent pneumonia",
    ],
)
def test_no_red_flag_where_there_is_none(matcher: Matcher, question: str) -> None:
    assert matcher.match(question).urgent is False


@pytest.mark.parametrize(
    "question",
    [
        "is 50 enough of imuran",
        "is 100mg of azathioprine too much",
        "IMURAN HOW MUCH",
        "dapsone 100 or 50?",
        "can i up my sirolimus to 3",
        "more sirolimus = faster results?",
        "can i take 2 cellcept at once",
        "should i take cellcept twice a day or once",
        "can I cut the cellcept pills in half",
        "whats the max amount of cyclosporine",
    ],
)
def test_dose_questions_without_the_word_dose(matcher: Matcher, question: str) -> None:
    assert matcher.match(question).dose is True


@pytest.mark.parametrize(
    "question",
    [
        "how many people respond to dapsone",
        "how much does imuran help",
        "does imuran lower my immune system",
        "how long before imuran works",
    ],
)
def test_not_dose_questions(matcher: Matcher, question: str) -> None:
    assert matcher.match(question).dose is False


@pytest.mark.parametrize(
    ("question", "drugs"),
    [
        ("imuransideeffects", ("azathioprine",)),
        ("dapsoneg6pd", ("dapsone",)),
        ("sellcept side effects", ("mycophenolate",)),
        ("cirolimus and sun", ("sirolimus",)),
    ],
)
def test_glued_and_first_letter_typos(matcher: Matcher, question: str, drugs: tuple[str]) -> None:
    assert matcher.match(question).drugs == drugs


def test_unknown_names_are_reported_and_known_words_are_not(matcher: Matcher) -> None:
    assert matcher.match("zorblex trough level ok?").unknown_words == ("zorblex",)
    assert matcher.match("which one needs a blood test becuase").unknown_words == ()
    # Right after "on", an unknown name is surely a medicine.
    assert matcher.match("now on zorblex, side effects?").other_drugs == ("zorblex",)
    # A capitalised name with a possessive is a person's, never a medicine's.
    assert matcher.match("Yusuf's platelets were 88 last month").unknown_words == ()
    assert matcher.match("Clive\u2019s count is 41 today").unknown_words == ()


@pytest.mark.parametrize(
    ("question", "switched"),
    [
        ("I stopped imuran and started tacrolimus, side effects of the new one?", True),
        ("switched from cellcept to myfortic, myfortic side effects?", True),
        ("dapsone is fine but what about dapagliflozin side effects", True),
        ("can i take tacrolimus with cyclosporine", False),
        ("can i take cyclosporine with tacrolimus", False),
        ("on imuran and prednisone, before they started it they did a gene test", False),
        ("they put me on pred, then eltrombopag, and now im on aza. flu jab ok?", False),
        ("mum's been switched to myfortic, same rules as cellcept?", True),
        # Weaker words (cue started-other): the drug we do not cover, unless the pair is
        # asked about.
        ("mum's been given myfortic, is it like cellcept", True),
        ("Started sertraline last month. Does it clash with dapsone?", False),
    ],
)
def test_questions_about_the_drug_switched_to(
    matcher: Matcher, question: str, switched: bool
) -> None:
    assert matcher.match(question).switched_to_other is switched


# Someone else's story, then the patient's nosebleeds after a change of subject.
_DOG_THEN_PATIENT = (
    "the dog's been a nightmare, ate a sock, anyway I keep getting nosebleeds that"
    " take about an hour to stop, on mycophenolate"
)


@pytest.mark.parametrize(
    "question",
    [
        "not eating, fever",
        "no energy, fever on imuran",
        "havent slept, fever",
        "not hungry, chills, on cellcept",
        "not sure, bleeding gums",
        "not good, shortness of breath on imuran",
        "never had a fever before but now i do on imuran",
        # Someone else's story ends where the subject changes ("anyway").
        _DOG_THEN_PATIENT,
    ],
)
def test_a_negation_in_another_clause_does_not_hide_a_red_flag(
    matcher: Matcher, question: str
) -> None:
    assert matcher.match(question).urgent is True


@pytest.mark.parametrize(
    ("question", "urgent"),
    [
        # The excuse taken back in the same sentence: the sign counts again.
        (
            "my lips are kinda purple, thought it was the snap filter lol but its not. dapsone btw",
            True,
        ),
        ("my lips look purple in this pic, it's the snap filter lol. dapsone btw", False),
        # A fall told across clauses: the past clause does not quiet what is now.
        ("My haemoglobin is falling: 128 last month, now 104. I take dapsone.", True),
        ("my haemoglobin was 104 last month, now 128, on dapsone", False),
        # A clause that tells its own bleed over ends only that bleed, not the count...
        ("Count was 12. Had a nosebleed that stopped after 10 min. On mycophenolate", True),
        # ...and a question clause ends nothing told before it.
        (
            "fevers on and off 101-102 and night sweats, took tylenol. wanted to ask if i can "
            "take my rapamune with OJ or if thats a problem",
            True,
        ),
        # A denied list ends every item of it.
        ("Bleeding, bruising, fever: none of those. Is a sherry ok on azathioprine?", False),
    ],
)
def test_what_a_sentence_takes_back_or_tells_as_now_decides_the_alarm(
    matcher: Matcher, question: str, urgent: bool
) -> None:
    assert matcher.match(question).urgent is urgent


@pytest.mark.parametrize(
    ("breaks", "urgent"),
    [
        # "anyway" ends the dog's sentence: the nosebleeds are the patient's.
        (("full stop", "anyway"), True),
        # Without it, the whole message is one sentence about the dog.
        (("full stop",), False),
    ],
)
def test_the_words_that_end_a_sentence_are_language_data(
    kb: KnowledgeBase, breaks: tuple[str, ...], urgent: bool
) -> None:
    # Rules only: the learned backstop would hear the patient's nosebleeds either way.
    language = dataclasses.replace(kb.language, sentence_breaks=breaks, learned=())
    matcher = Matcher(dataclasses.replace(kb, language=language))
    assert matcher.match(_DOG_THEN_PATIENT).urgent is urgent


@pytest.mark.parametrize(
    "question",
    [
        "my eyes are yellow on dapsone",
        "my skin is going yellow",
        "my chest hurts on cellcept",
        "heavy period on cellcept",
        "my period is really heavy",
        "lots of bruises on my legs",
        "there is blood when i wipe",
    ],
)
def test_red_flags_in_any_word_order(matcher: Matcher, question: str) -> None:
    assert matcher.match(question).urgent is True


@pytest.mark.parametrize(
    ("question", "drugs"),
    [
        ("sigh row limus what does it do", ("sirolimus",)),
        ("cell sept giving me headaches", ("mycophenolate",)),
        # Read by how they sound (language.yaml, sounds-like).
        ("sigh closporin grape fruit", ("cyclosporine",)),
        ("as a thigh o preen side effects", ("azathioprine",)),
        ("sycloporine and grapefruit", ("cyclosporine",)),
        # Everyday words glued together are no name ("as a kid" is no "asa").
        ("never had chickenpox as a kid, on mycophenolate", ("mycophenolate",)),
        # A common word of English is the word typed, never a misspelt medicine.
        ("does dapsone kill bacteria?", ("dapsone",)),
        ("stating the obvious but can i drink on imuran", ("azathioprine",)),
    ],
)
def test_names_cut_up_by_voice_typing(matcher: Matcher, question: str, drugs: tuple[str]) -> None:
    match = matcher.match(question)
    assert match.drugs == drugs
    assert match.other_drugs == ()


@pytest.mark.parametrize(
    "question",
    [
        "took my sirolimus and now my face and throat are swelling up",
        "on MMF and suddenly weak down one side and can't get my words out",
        "dapsone and my skin is blistering and peeling",
    ],
)
def test_allergy_stroke_and_skin_red_flags(matcher: Matcher, question: str) -> None:
    assert matcher.match(question).urgent is True


def test_an_interaction_partner_named_last_is_no_switch(matcher: Matcher) -> None:
    match = matcher.match(
        "my father is taking dapsone, now the chest doctor has started him on rifampicin"
    )
    assert match.switched_to_other is False
    assert match.drugs == ("dapsone",)


@pytest.mark.parametrize(
    "question",
    [
        # A whole sentence told as a what-if, a dream, a leaflet or about an animal.
        "Hypothetically, if my daughter bumped her head on mycophenolate, is that an emergency",
        "had a nosebleed in a dream lol. anyway does azathioprine cause weird sleep?",
        "reading the rapamune info and it's all bleeding and infections, bit much",
        "dog ate a sock and threw up blood, we're at the vet now. can sirolimus raise cholesterol?",
        # A clause that only tells the time quiets its sentence.
        "Years ago, before any of this, I had black stools from iron tablets. Now starting dapsone",
        # A negation inside the symptom, a temperature under 38, the weather.
        "my lips arent blue or anything but what is methaemoglobinaemia, on dapsone",
        "is a temperature of 37.2 ok on ciclosporin",
        "how should I store my azathioprine? it's 40 degrees here in Queensland",
        # Symptoms denied as a list, or question and answer.
        "Bleeding, bruising, fever: none of those. Is a sherry ok on azathioprine?",
        "Fever? No. Bleeding? None. Rash? Nope. Q: dapsone and a sulfa allergy",
        # A slash written for a new line ends the sentence like one.
        "had a fever last night 38.3 / actually its gone. flu jab next week ok on cellcept?",
    ],
)
def test_what_is_not_happening_to_the_patient_now_is_no_alarm(
    matcher: Matcher, question: str
) -> None:
    assert matcher.match(question).urgent is False


@pytest.mark.parametrize(
    ("question", "cue"),
    [
        # A red flag told across clauses is read on its sentence.
        ("rash all over my chest and back and a temperature, on dapsone", "red-flag.skin"),
        # A result the patient reports as falling (was/now), a count in words.
        ("my Hb has gone from 132 to 101 in a month since I started dapsone", "count.other-low"),
        ("platelets under 10 again, haem says wait and see", "count.platelets-low"),
        # A pet that ate tablets is for the vet; shingles nearby is contact, not infection.
        ("the dog ate one of my sirolimus tablets off the floor", "poisoning.pet"),
        # A lab line whose dots are no sentence end.
        ("Platelet Count .......... 9 L   [150 - 400] 10*3/uL   dapsone", "count.platelets-low"),
        ("sat next to someone on the bus for an hour who told me she's got shingles", "exposure"),
    ],
)
def test_the_alarm_of_its_kind(matcher: Matcher, question: str, cue: str) -> None:
    match = matcher.match(question)
    assert cue in match.cues
    assert match.urgent is True
    assert not {"poisoning.child", "red-flag.shingles"} & match.cues


@pytest.mark.parametrize(
    ("question", "of_others"),
    [
        # What is asked follows the medicine we do not cover: it is that medicine's.
        ("melatonin gummies to help me sleep, on dapsone", True),
        ("paracetamol for period pain, I'm on sirolimus, is that allowed", True),
        # What is asked follows our drug, or a name put aside, or comes before any name.
        ("everolimus vs sirolimus side effects", False),
        ("Neoral, NOT Prograf. side effects?", False),
        ("side effects of imuran, I also take omeprazole", False),
        # A name tried before owns nothing ("romiplostim shots stopped working").
        ("on rapamycin after the romiplostim shots stopped working, skin cancer?", False),
    ],
)
def test_a_topic_belongs_to_the_name_before_it(
    matcher: Matcher, question: str, of_others: bool
) -> None:
    assert matcher.match(question).topics_of_others is of_others


@pytest.mark.parametrize(
    ("question", "others"),
    [
        # A drug tried before is the patient's story, not a second medicine.
        ("on rapamycin after the romiplostim shots stopped working, skin cancer?", ()),
        ("eltrombopag didnt work so now on imuran, side effects?", ()),
        # Still a second medicine when taken now, or with no covered drug named.
        ("romiplostim and rapamycin together ok?", ("romiplostim",)),
        ("eltrombopag didnt work, what next", ("eltrombopag",)),
    ],
)
def test_a_drug_tried_before_is_no_second_medicine(
    matcher: Matcher, question: str, others: tuple[str, ...]
) -> None:
    assert matcher.match(question).other_drugs == others


@pytest.mark.parametrize(
    ("question", "foreign"),
    [
        # Scripts written without spaces hold a whole sentence in one "word".
        ("吃霉酚酸酯的时候可以喝酒吗", True),
        ("ミコフェノール酸を飲んでいます。お酒は大丈夫ですか", True),
        ("มายโคฟีโนเลตกินกับแอลกอฮอล์ได้ไหม", True),
        # One such word in an English message is no other language.
        ("my nan calls it 药 but it's cellcept, can she drink", False),
    ],
)
def test_messages_in_scripts_without_spaces_are_foreign(
    matcher: Matcher, question: str, foreign: bool
) -> None:
    assert matcher.match(question).foreign is foreign


@pytest.mark.parametrize(
    ("question", "cue"),
    [
        # "stopped now" tells the bleed as over, never the count told with it.
        ("platelets 8 and my gums bled but it's stopped now", "count.platelets-low"),
        ("plats 14 bit of a nosebleed earlier, stopped now", "count.platelets-low"),
        # Blood vomited is a red flag now, though it has stopped.
        (
            "my dad threw up blood once but it's stopped now, he's on azathioprine",
            "red-flag.blood-passed",
        ),
    ],
)
def test_a_red_flag_that_stopping_does_not_end(matcher: Matcher, question: str, cue: str) -> None:
    match = matcher.match(question)
    assert cue in match.cues
    assert match.urgent is True


def test_a_count_told_as_past_and_risen_stays_quiet(matcher: Matcher) -> None:
    match = matcher.match("platelets 9 two months ago but now 80, fine now")
    assert match.urgent is False


@pytest.mark.parametrize(
    ("question", "others"),
    [
        # A name we do not cover, one letter off, reads as the name the entries spell.
        ("sirolimis and ibuprofin for my back ok", ("ibuprofen",)),
        # A name of its own is never read as another one.
        (
            "dexamethasone pulses vs prednisolone, which is better for ITP",
            ("dexamethasone", "prednisolone"),
        ),
    ],
)
def test_a_misspelt_name_we_do_not_cover(
    matcher: Matcher, question: str, others: tuple[str, ...]
) -> None:
    assert matcher.match(question).other_drugs == others


@pytest.mark.parametrize(
    "question",
    [
        "I'm on dapsone for ITP",
        "my mum is on imuran for her itp",
        # A calm topic asked (roles: calm-topics): an operation, a pregnancy test.
        "op in 3 weeks, i'm on cellcept",
        "positive pregnancy test this morning, on imuran",
        # A run of counts is a count read, whatever its level.
        "im on month 2 and my plt went 35, 50, 72",
    ],
)
def test_names_and_everyday_words_tell_no_emergency(matcher: Matcher, question: str) -> None:
    match = matcher.match(question)
    assert "emergency-told" not in match.cues
    assert match.urgent is False


@pytest.mark.parametrize(
    ("question", "low"),
    [
        # A number said in words is one number: 28, never 20 then 8.
        ("platelets twenty eight voice typing on mycophenolate", False),
        ("platelets nineteen today on imuran", True),
        ("platelets twenty one, on dapsone", False),
        # Digits typed apart stay apart.
        ("count went 35, 20, 9 on imuran", True),
    ],
)
def test_a_number_said_in_words_is_one_count(matcher: Matcher, question: str, low: bool) -> None:
    assert ("count.platelets-low" in matcher.match(question).cues) is low


@pytest.mark.parametrize(
    ("question", "drugs", "others"),
    [
        # Ours told as taken now: "started me on" adds the other drug.
        (
            "im on sirolimus and my GP just started me on clarithromycin for a chest infection",
            ("sirolimus",),
            ("clarithromycin",),
        ),
        # Words that say ours was left make it a switch.
        ("im on imuran but theyre switching me to tacrolimus, side effects?", (), ("tacrolimus",)),
    ],
)
def test_a_drug_added_to_ours_is_no_switch(
    kb: KnowledgeBase,
    matcher: Matcher,
    question: str,
    drugs: tuple[str, ...],
    others: tuple[str, ...],
) -> None:
    assert answer_question(kb, matcher, question).drugs == drugs
    assert matcher.match(question).other_drugs == others


@pytest.mark.parametrize(
    ("message", "read"),
    [
        ("platelets 150 x 10^3/uL last week now 30 x 10^3/uL", "platelets 150 last week now 30"),
        ("plt dropped 180k to 40k", "plt dropped 180 to 40"),
        ("plt 14 x10^9/L today", "plt 14 today"),
        # A unit that changes the number stays for the count cues to read.
        ("plt 15.2 x10^4/uL", "plt 15 2 x10 4 ul"),
        # Not after a number: not a unit.
        ("k so my plt is fine", "k so my plt is fine"),
    ],
)
def test_count_units_are_left_out_after_a_number(matcher: Matcher, message: str, read: str) -> None:
    assert matcher.without_units(normalize(message)) == read
