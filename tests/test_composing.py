"""The answer composer and renderers: citations, caution, notices, escaping, splitting."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from bot import replies
from bot.composing import Answer, Context, Section, answer_for_callback, answer_question
from bot.knowledge import KnowledgeBase
from bot.matching import Matcher
from bot.rendering import TELEGRAM_MESSAGE_LIMIT, render_html, render_plain, split_message

MARKER = re.compile(r"\[([A-Za-z0-9_-]+)\]")
DOSE_AMOUNT = re.compile(r"\b\d+(\.\d+)?\s*(mg|milligrams?|mcg|g)\b", re.IGNORECASE)


def ask(kb: KnowledgeBase, matcher: Matcher, text: str, context: Context | None = None) -> Answer:
    return answer_question(kb, matcher, text, context)


def test_entry_answer_cites_its_references_and_carries_the_caution(
    kb: KnowledgeBase, matcher: Matcher
) -> None:
    answer = ask(kb, matcher, "grapefruit cyclosporine?")
    assert answer.kind == "answer"
    assert answer.drugs == ("cyclosporine",)
    assert answer.topics == ("cyclosporine.interactions",)
    text = render_plain(answer)
    assert "Grapefruit juice" in text
    assert "[5]" in text and "[6]" in text
    assert answer.caution is not None and answer.caution.text in text
    # Every marker in the text has its reference listed under the answer, and back.
    cited = set(MARKER.findall(text.split("Sources:")[0]))
    listed = {ref.id for ref in answer.references}
    assert cited == listed
    assert "[5] Schwarz UI et al." in text


def test_every_entry_renders_with_all_its_references(kb: KnowledgeBase) -> None:
    for entry in kb.entries():
        answer = answer_for_callback(kb, f"e:{entry.key}")
        assert answer is not None, entry.key
        listed = {ref.id for ref in answer.references}
        assert set(entry.references) <= listed, entry.key
        assert not DOSE_AMOUNT.search(render_plain(answer)), entry.key


def test_drug_only_gives_overview_with_topic_buttons(kb: KnowledgeBase, matcher: Matcher) -> None:
    answer = ask(kb, matcher, "imuran")
    assert answer.topics == ("azathioprine.overview",)
    assert [b.data for b in answer.buttons][:2] == [
        "e:azathioprine.how-it-works",
        "e:azathioprine.time-to-work",
    ]
    assert all(len(b.data.encode()) <= 64 for b in answer.buttons)


def test_two_drugs_get_both_answers(kb: KnowledgeBase, matcher: Matcher) -> None:
    answer = ask(kb, matcher, "cyclosporine vs cellcept side effects")
    assert answer.drugs == ("cyclosporine", "mycophenolate")
    assert answer.topics == ("cyclosporine.side-effects", "mycophenolate.side-effects")


def test_dose_question_gives_no_amount(kb: KnowledgeBase, matcher: Matcher) -> None:
    answer = ask(kb, matcher, "how many mg of imuran should I take")
    text = render_plain(answer)
    assert text.startswith("I can't give a dose: how much to take is for the doctor")
    assert answer.drugs == ("azathioprine",)
    assert not DOSE_AMOUNT.search(text)


def test_vomiting_blood_leads_with_emergency_services(kb: KnowledgeBase, matcher: Matcher) -> None:
    answer = ask(kb, matcher, "vomiting blood on cellcept")
    text = render_plain(answer)
    assert text.startswith("Call emergency services now if you are vomiting blood")
    # Blood: the side effects and the serious risks (bleeding points at both).
    assert answer.topics == ("mycophenolate.side-effects", "mycophenolate.serious-risks")
    assert render_html(answer)[0].startswith("\u26a0\ufe0f <b>Call emergency services now")


@pytest.mark.parametrize(
    "question",
    ["tacrolimus side effects", "everolimus grapefruit", "hello how is the weather", "💊❓"],
)
def test_uncovered_questions_state_no_fact(
    kb: KnowledgeBase, matcher: Matcher, question: str
) -> None:
    answer = ask(kb, matcher, question)
    assert answer.drugs == ()
    assert answer.sections == ()
    assert answer.references == ()
    text = render_plain(answer)
    assert "kidney" not in text and "grapefruit" not in text.lower()


def test_look_alike_reply_names_the_drug_and_what_is_covered(
    kb: KnowledgeBase, matcher: Matcher
) -> None:
    text = render_plain(ask(kb, matcher, "tacrolimus side effects"))
    assert text.startswith("I can't answer that: tacrolimus is not covered.")
    assert "azathioprine (Imuran, Azamun)" in text
    assert "ask your doctor or pharmacist" in text


def test_missing_topic_says_so_and_points_to_the_doctor(
    kb: KnowledgeBase, matcher: Matcher
) -> None:
    answer = ask(kb, matcher, "how long before cellcept works")
    assert answer.notices == (
        'My sources do not cover "how long it takes to work" for mycophenolate mofetil. '
        "Please ask your pharmacist or doctor.",
    )
    # The overview would read as if it answered: the drug's topics are offered instead.
    assert answer.drugs == ()
    assert answer.sections == ()
    assert answer.buttons


def test_follow_up_uses_the_context(kb: KnowledgeBase, matcher: Matcher) -> None:
    first = ask(kb, matcher, "imuran")
    follow = ask(kb, matcher, "and the side effects?", first.context)
    assert follow.topics == ("azathioprine.side-effects",)
    alone = ask(kb, matcher, "and the side effects?")
    assert alone.kind == "clarify"
    assert alone.drugs == ()


def test_follow_up_with_another_drug_keeps_the_topic(kb: KnowledgeBase, matcher: Matcher) -> None:
    first = ask(kb, matcher, "imuran side effects")
    follow = ask(kb, matcher, "and cellcept?", first.context)
    assert follow.topics == ("mycophenolate.side-effects",)


def test_topic_across_drugs(kb: KnowledgeBase, matcher: Matcher) -> None:
    answer = ask(kb, matcher, "does grapefruit interact with any of these")
    assert answer.drugs == ("cyclosporine", "sirolimus")


def test_callback_for_a_stale_button_is_none(kb: KnowledgeBase) -> None:
    assert answer_for_callback(kb, "e:nope.nothing") is None
    assert answer_for_callback(kb, "d:tacrolimus") is None
    assert answer_for_callback(kb, "garbage") is None
    assert answer_for_callback(kb, "e:general.caution") is None


def test_html_escapes_every_piece_of_text(kb: KnowledgeBase) -> None:
    answer = answer_for_callback(kb, "e:cyclosporine.interactions")
    assert answer is not None
    hostile = replace(
        answer,
        notices=("<script>alert(1)</script> & co",),
        sections=(Section("<b>x", "a < b & c > d", "cyclosporine.interactions", None),),
    )
    html_text = "".join(render_html(hostile))
    assert "<script>" not in html_text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in html_text
    assert "<b>&lt;b&gt;x</b>" in html_text
    assert "a &lt; b &amp; c &gt; d" in html_text


def test_split_message_keeps_paragraphs_and_limit() -> None:
    paragraphs = [f"<b>Title {i}</b>\n" + ("word " * 150).strip() for i in range(20)]
    text = "\n\n".join(paragraphs)
    parts = split_message(text)
    assert len(parts) > 1
    assert all(len(p) <= TELEGRAM_MESSAGE_LIMIT for p in parts)
    assert "\n\n".join(parts) == text
    for part in parts:
        assert part.count("<b>") == part.count("</b>")


def test_split_message_cuts_long_lines_and_words_without_breaking_entities() -> None:
    long_line = "&amp;" * 2000
    parts = split_message(long_line, limit=4096)
    assert all(len(p) <= 4096 for p in parts)
    assert "".join(parts) == long_line
    assert all(p.endswith(";") for p in parts)
    assert split_message("short") == ["short"]


@pytest.mark.parametrize(
    ("question", "phrase", "drug"),
    [
        ("does imuran cause hair loss", "hair loss", "azathioprine"),
        ("does cellcept hurt your kidneys", "kidney", "mycophenolate mofetil"),
        ("does dapsone interact with grapefruit", "grapefruit", "dapsone"),
    ],
)
def test_a_list_that_does_not_name_what_was_asked_says_so(
    kb: KnowledgeBase, matcher: Matcher, question: str, phrase: str, drug: str
) -> None:
    answer = ask(kb, matcher, question)
    assert answer.notices[0] == (
        f'My sources do not mention "{phrase}" for {drug}: that is not the same as saying it '
        "cannot happen. Below is what they do say; ask your doctor or pharmacist about it."
    )
    assert answer.sections


@pytest.mark.parametrize(
    "question",
    [
        "imuran side effects",
        "will imuran make me tired",
        "grapefruit cyclosporine?",
        "dapson g6pd",
        # The patient's word for a sign the answer names in the sources' words (said-as).
        "ankles all puffy by evening on cellcept",
        # Only generic words asked: nothing specific to be absent.
        "what else should i watch for on azathioprine",
    ],
)
def test_no_such_notice_when_the_answer_names_it(
    kb: KnowledgeBase, matcher: Matcher, question: str
) -> None:
    assert not any("do not mention" in n for n in ask(kb, matcher, question).notices)


def test_red_flag_with_an_uncovered_drug_still_leads_with_the_doctor(
    kb: KnowledgeBase, matcher: Matcher
) -> None:
    answer = ask(kb, matcher, "I'm on tacrolimus and I have a fever")
    text = render_plain(answer)
    assert text.startswith("Contact your doctor or haematology team now about a fever")
    assert "tacrolimus is not covered" in text
    assert answer.drugs == ()
    assert answer.sections == ()


@pytest.mark.parametrize(
    "question",
    [
        "I stopped imuran and started tacrolimus, side effects of the new one?",
        "zorblex trough level ok?",
        "on prograf, what about grapefruit",
    ],
)
def test_questions_about_drugs_we_do_not_cover_get_no_fact(
    kb: KnowledgeBase, matcher: Matcher, question: str
) -> None:
    answer = ask(kb, matcher, question)
    assert answer.kind == "not_covered"
    assert answer.sections == ()
    assert render_plain(answer).startswith("I can't answer that")


def test_too_many_sections_never_mixes_drugs(kb: KnowledgeBase, matcher: Matcher) -> None:
    answer = ask(
        kb,
        matcher,
        "imuran, dapsone, sirolimus and cyclosporine: side effects and pregnancy?",
    )
    assert len(answer.sections) == 6
    assert "That is a lot at once: ask about the other medicines one at a time." in answer.notices
    # Cyclosporine did not fit: it is neither listed as answered nor given a link or buttons.
    assert "cyclosporine" not in answer.drugs
    assert all(s.link is None for s in answer.sections)
    assert not any("cyclosporine" in b.data for b in answer.buttons)


def test_a_drug_our_answer_speaks_of_gets_no_not_covered_notice(
    kb: KnowledgeBase, matcher: Matcher
) -> None:
    for question in ("cyclosporine and st john's wort", "dapsone with trimethoprim"):
        assert not any("not covered" in n for n in ask(kb, matcher, question).notices)
    # A pair the sources do not cover: no facts of the covered drug next to it.
    answer = ask(kb, matcher, "can i take tacrolimus with cyclosporine")
    assert answer.sections == ()
    assert answer.notices[0] == (
        "I can't tell whether tacrolimus is safe to take with cyclosporine: my sources do not "
        "cover that combination. Please check with your pharmacist before taking them together."
    )


@pytest.mark.parametrize(
    ("question", "notice"),
    [
        (
            "any interactions between dapsone and sirolimus?",
            "I can't tell whether sirolimus is safe to take with dapsone: my sources do not "
            "cover that combination. Please check with your pharmacist before taking them "
            "together.",
        ),
        # One covered drug's own list of interactions is no answer about the other.
        (
            "is dapsone ok with ciclosporin",
            "I can't tell whether cyclosporine is safe to take with dapsone: my sources do not "
            "cover that combination. Please check with your pharmacist before taking them "
            "together.",
        ),
    ],
)
def test_two_covered_drugs_no_entry_pairs_get_cannot_tell(
    kb: KnowledgeBase, matcher: Matcher, question: str, notice: str
) -> None:
    assert ask(kb, matcher, question).notices[0] == notice


@pytest.mark.parametrize(
    ("question", "notice"),
    [
        # The covered drug's pregnancy facts would read as the other drug's.
        (
            "Is methotrexate safe in pregnancy like azathioprine is?",
            "I can't compare methotrexate with azathioprine: methotrexate is not covered by my",
        ),
        (
            "Is leflunomide ok when breastfeeding, like azathioprine?",
            "I can't compare leflunomide with azathioprine: leflunomide is not covered by my",
        ),
        (
            "mercaptopurine side effects same as azathioprine?",
            "I can't compare mercaptopurine with azathioprine: mercaptopurine is not covered",
        ),
        (
            "voclosporin vs ciclosporin side effects",
            "I can't compare voclosporin with cyclosporine: voclosporin is not covered by my",
        ),
        (
            "does everolimus work the same way as sirolimus",
            "I can't compare everolimus with sirolimus: everolimus is not covered by my",
        ),
    ],
)
def test_an_uncovered_drug_likened_to_ours_gets_no_facts_of_ours(
    kb: KnowledgeBase, matcher: Matcher, question: str, notice: str
) -> None:
    answer = ask(kb, matcher, question)
    assert answer.notices[0].startswith(notice)
    assert answer.sections == ()


@pytest.mark.parametrize(
    ("question", "opening"),
    [
        ("our dog ate two of my imuran tablets", "Call your vet now"),
        ("my son swallowed two of my imuran", "Call emergency services or your poison centre now"),
    ],
)
def test_a_child_or_pet_poisoning_is_no_extra_dose(
    kb: KnowledgeBase, matcher: Matcher, question: str, opening: str
) -> None:
    text = render_plain(ask(kb, matcher, question))
    assert text.startswith(opening)
    assert "next dose" not in text


def test_a_pets_poisoning_gets_no_not_covered_notice_for_human_overdoses(
    kb: KnowledgeBase, matcher: Matcher
) -> None:
    text = render_plain(ask(kb, matcher, "our dog ate two of my imuran tablets"))
    assert 'My sources do not cover "' not in text


# ------------------------------------------------------------ sources, checked, blockquote


def test_plain_answer_lists_every_source_and_when_they_were_checked(
    kb: KnowledgeBase, matcher: Matcher
) -> None:
    text = render_plain(ask(kb, matcher, "can i have my flu jab on azathioprine"))
    sources = text[text.index("Sources:") :]
    assert "[P9] Kingston Hospital NHS FT: Rheumatology FAQs https://kingstonhospital.nhs.uk" in (
        sources
    )
    assert sources.endswith("\nChecked against these sources: November 2026")
    assert "<blockquote" not in text


def test_checked_line_shows_the_oldest_date_of_the_entries_shown(
    kb: KnowledgeBase, matcher: Matcher
) -> None:
    answer = ask(kb, matcher, "imuran and ciclosporin, can i get the yellow fever jab")
    # Each drug's own entry, and the class-wide one after azathioprine's.
    assert len(answer.sections) == 3
    older = replace(answer.sections[1], checked="2025-03")
    aged = replace(answer, sections=(answer.sections[0], older, answer.sections[2]))
    assert aged.checked == "2025-03"
    assert render_plain(aged).endswith("\nChecked against these sources: March 2025")
    assert render_html(aged)[-1].endswith(
        "\nChecked against these sources: March 2025</blockquote>"
    )
    undated = replace(answer, sections=tuple(replace(s, checked=None) for s in answer.sections))
    assert "Checked against" not in render_plain(undated)


def test_html_answer_folds_the_sources_into_an_expandable_quote(
    kb: KnowledgeBase, matcher: Matcher
) -> None:
    messages = render_html(ask(kb, matcher, "grapefruit cyclosporine?"))
    assert len(messages) == 1
    body, _, sources = messages[0].partition("\n\n<blockquote expandable><b>Sources</b>\n")
    assert "<i>A word of caution: " in body
    assert sources.startswith("[P13] ")
    assert sources.endswith("Checked against these sources: November 2026</blockquote>")
    assert sources.count("<blockquote") == 0


@pytest.mark.parametrize("limit", [300, 500, 1000])
def test_split_message_closes_and_reopens_a_cut_blockquote(limit: int) -> None:
    lines = "\n".join(f"[{i}] A citation of some length, number {i}." for i in range(60))
    text = (
        f"<b>Answer</b>\nShort text.\n\n<blockquote expandable><b>Sources</b>\n{lines}</blockquote>"
    )
    parts = split_message(text, limit=limit)
    assert len(parts) > 1
    assert all(len(p) <= limit for p in parts)
    for part in parts[1:]:
        assert part.startswith("<blockquote expandable>")
    for part in parts:
        assert part.count("<blockquote expandable>") == part.count("</blockquote>")
    quoted = "".join(p.split("<blockquote expandable>", 1)[-1] for p in parts)
    assert all(f"[{i}] A citation" in quoted for i in range(60))


def test_a_long_answer_splits_into_valid_messages_each_quote_closed(
    kb: KnowledgeBase, matcher: Matcher
) -> None:
    answer = ask(kb, matcher, "pregnant on cellcept")
    many = replace(answer, sections=answer.sections * 6)
    messages = render_html(many)
    assert len(messages) > 1
    for message in messages:
        assert len(message) <= TELEGRAM_MESSAGE_LIMIT
        assert message.count("<blockquote expandable>") == message.count("</blockquote>")


@pytest.mark.parametrize(
    ("question", "buttons"),
    [
        # Only the drugs whose own entries hold the words are offered.
        ("what is the G6PD test for", ["Dapsone"]),
        ("what is the tpmt test", ["Azathioprine"]),
    ],
)
def test_which_medicine_offers_the_drugs_whose_entries_hold_the_words(
    kb: KnowledgeBase, matcher: Matcher, question: str, buttons: list[str]
) -> None:
    answer = ask(kb, matcher, question)
    assert answer.kind == "clarify"
    assert [b.label for b in answer.buttons] == buttons
    assert answer.asked == ("tests",)


@pytest.mark.parametrize(
    ("question", "drugs", "entry"),
    [
        # A switch the covered drug's entries speak of: the entry that speaks of it.
        (
            "my cellcept has changed to myfortic at the pharmacy, same thing?",
            ("mycophenolate",),
            "mycophenolate.interactions",
        ),
        # A drug put aside is no second medicine.
        (
            "im not asking about bactrim, just dapsone - what does it interact with",
            ("dapsone",),
            "dapsone.interactions",
        ),
    ],
)
def test_a_second_name_that_is_no_second_medicine(
    kb: KnowledgeBase, matcher: Matcher, question: str, drugs: tuple[str, ...], entry: str
) -> None:
    answer = ask(kb, matcher, question)
    assert answer.drugs == drugs
    assert entry in answer.topics
    assert "I can't tell" not in render_plain(answer)


def test_a_question_about_the_crisis_lines_is_answered_not_taken_for_a_crisis(
    kb: KnowledgeBase, matcher: Matcher
) -> None:
    answer = ask(kb, matcher, "what's the Samaritans number? putting it on a poster for our group")
    assert (answer.kind, answer.topics) == ("answer", ("general.crisis-lines",))
    assert "116 123" in render_plain(answer)


def test_thanks_after_an_alarm_gets_what_to_do_now_alone(
    kb: KnowledgeBase, matcher: Matcher
) -> None:
    alarm = ask(kb, matcher, "nosebleed for an hour and wont stop, on imuran")
    assert alarm.urgent is not None
    assert alarm.sections
    thanks = ask(kb, matcher, "ok thanks", alarm.context)
    assert (thanks.kind, thanks.urgent, thanks.sections) == ("answer", alarm.urgent, ())
    # A red flag told as over leaves nothing to repeat: the thanks is answered.
    over = ask(kb, matcher, "had a temp last week, fine now, on imuran")
    assert ask(kb, matcher, "ok thanks", over.context).kind == "greeting"


def test_a_crisis_earlier_in_the_chat_is_repeated_for_a_turn_with_nothing_new(
    kb: KnowledgeBase, matcher: Matcher
) -> None:
    crisis = ask(kb, matcher, "my daughter has been self harming again")
    assert crisis.kind == "crisis"
    again = ask(kb, matcher, "what should I do", crisis.context)
    assert again.kind == "crisis"
    assert again.notices == crisis.notices
    # "thank you" too: never "You're welcome!" and a menu under the crisis reply.
    thanks = ask(kb, matcher, "thank you", crisis.context)
    assert thanks.kind == "crisis"
    assert thanks.notices == crisis.notices
    # Asked about a lethal amount, then "only for safety": no "which medicine?".
    lethal = ask(kb, matcher, "how many imuran tablets would be fatal")
    assert lethal.kind == "crisis"
    safety = ask(kb, matcher, "I mean I just want to know for safety", lethal.context)
    assert safety.kind == "crisis"
    # A drug named alone asks nothing: no overview under the crisis reply.
    future = ask(kb, matcher, "i dont see a future")
    named = ask(kb, matcher, "im on dapsone", future.context)
    assert named.kind == "crisis"
    assert named.sections == future.sections


def test_a_remembered_cue_holds_for_the_next_question(kb: KnowledgeBase, matcher: Matcher) -> None:
    first = ask(kb, matcher, "my son is 9 and takes mycophenolate")
    assert first.context is not None
    assert first.context.cues == frozenset({"child-patient"})
    follow_up = ask(kb, matcher, "what are the side effects", first.context)
    assert follow_up.drugs == ("mycophenolate",)
    assert render_plain(follow_up).startswith("If this is about a child")


def test_a_crisis_earlier_in_the_chat_opens_every_later_reply(
    kb: KnowledgeBase, matcher: Matcher
) -> None:
    crisis = ask(kb, matcher, "I've had enough of everything, I don't want to go on")
    assert crisis.kind == "crisis"
    later = ask(kb, matcher, "anyway what are cyclosporine side effects", crisis.context)
    assert later.drugs == ("cyclosporine",)
    assert later.urgent is not None
    assert later.urgent.text.startswith("I'm really sorry you're going through this")
    dose = ask(kb, matcher, "how many dapsone would it take", crisis.context)
    assert dose.kind == "crisis"


def test_a_drug_not_covered_stays_not_covered_on_follow_ups(
    kb: KnowledgeBase, matcher: Matcher
) -> None:
    first = ask(kb, matcher, "I'm starting tacrolimus")
    assert first.kind == "not_covered"
    assert first.context is not None
    assert first.context.strangers == ("tacrolimus",)
    follow_up = ask(kb, matcher, "does grapefruit matter", first.context)
    assert follow_up.kind == "not_covered"
    assert follow_up.sections == ()
    assert "tacrolimus is not covered" in render_plain(follow_up)


@pytest.mark.parametrize(
    "question", ["myfortic and pregnancy", "im on mycophenolic acid, can i breastfeed"]
)
def test_a_form_the_sources_speak_of_gets_its_own_entry_beside_not_covered(
    kb: KnowledgeBase, matcher: Matcher, question: str
) -> None:
    # Not covered, so no fact of mycophenolate mofetil; but the class entry named by the
    # form itself says what the sources say of it (not to swap forms, the contraception
    # advice written for both).
    answer = ask(kb, matcher, question)
    assert answer.kind == "not_covered"
    assert answer.drugs == ()
    assert [s.entry_key for s in answer.sections] == ["general.mycophenolic-acid"]
    assert [r.id for r in answer.references] == ["P28", "P30", "P31", "P32", "P27"]
    assert "cannot simply be swapped" in render_plain(answer)


def test_a_medicine_not_covered_likened_to_ours_later_in_the_chat_is_not_compared(
    kb: KnowledgeBase, matcher: Matcher
) -> None:
    # "I'm on tacrolimus", then "is it like ciclosporin": ciclosporin's own lists would
    # read as tacrolimus's; the bot says it cannot compare them.
    first = ask(kb, matcher, "im on tacrolimus")
    likened = ask(kb, matcher, "is it like ciclosporin", first.context)
    assert likened.sections == ()
    assert render_plain(likened).startswith(
        "I can't compare tacrolimus with cyclosporine: tacrolimus is not covered by my sources."
    )


def test_an_alarm_is_repeated_for_what_should_i_do(kb: KnowledgeBase, matcher: Matcher) -> None:
    first = ask(kb, matcher, "I'm on sirolimus")
    contact = ask(
        kb,
        matcher,
        "my daughter's friend who slept over has just come out in chickenpox",
        first.context,
    )
    assert contact.urgent is not None
    again = ask(kb, matcher, "what should I do", contact.context)
    assert again.urgent is not None
    assert again.urgent.text == contact.urgent.text


@pytest.mark.parametrize(
    ("first", "drugs"),
    [
        # From a covered drug to one we do not cover: the chat is about the new one.
        ("they switched me from cyclosporine to tacrolimus", ()),
        # From one covered drug to another: the chat is about the second.
        ("switched from imuran to cellcept", ("mycophenolate",)),
        # ...even when the first is named again after it.
        (
            "they switched me from azathioprine to mycophenolate because the aza did nothing",
            ("mycophenolate",),
        ),
    ],
)
def test_a_switch_names_the_drug_the_chat_is_about(
    kb: KnowledgeBase, matcher: Matcher, first: str, drugs: tuple[str, ...]
) -> None:
    switch = ask(kb, matcher, first)
    follow_up = ask(kb, matcher, "and the side effects?", switch.context)
    assert follow_up.drugs == drugs


@pytest.mark.parametrize(
    ("turns", "alarm"),
    [
        (
            ["on dapsone, plt 85 last month", "now it's 48", "today 16 and a bit of nose bleeding"],
            True,
        ),
        (["platelets | Hb | WBC", "32 | 118 | 5.1 on sirolimus", "sorry, today it's 12"], True),
        (["on dapsone, plt 85 last month", "today it's 90"], False),
        # No count talk before: a bare number is no platelet count.
        (["what is dapsone for", "today it's 12"], False),
    ],
)
def test_a_bare_number_after_count_talk_is_a_platelet_count(
    kb: KnowledgeBase, matcher: Matcher, turns: list[str], alarm: bool
) -> None:
    context: Context | None = None
    for turn in turns:
        answer = ask(kb, matcher, turn, context)
        context = answer.context or context
    assert ("count.platelets-low" in answer.alarms) is alarm


@pytest.mark.parametrize(
    ("question", "drugs", "absent"),
    [
        # A medicine we do not cover, asked about as a pair: nothing of the covered drug.
        ("paracetamol for period pain, I'm on sirolimus, is that allowed", (), "grapefruit"),
        # With a red flag, what the flag points to still comes (the infection entry).
        (
            "38.9 and shivery since lunch. on aza. should i just take paracetamol",
            ("azathioprine",),
            "grapefruit",
        ),
    ],
)
def test_a_medicine_not_covered_gets_only_what_a_red_flag_points_to(
    kb: KnowledgeBase, matcher: Matcher, question: str, drugs: tuple[str, ...], absent: str
) -> None:
    answer = ask(kb, matcher, question)
    text = render_plain(answer)
    assert answer.drugs == drugs
    assert "I can't tell whether paracetamol is safe to take with" in text
    assert absent not in text.casefold()


@pytest.mark.parametrize(
    ("question", "advice"),
    [
        ("what if i hit my head on mmf", "alert.red-flag.head-injury"),
        ("what should I do if I get a fever on imuran", "alert.red-flag.fever"),
        (
            "say I knocked my head at football, would that be an emergency on mmf",
            "alert.red-flag.head-injury",
        ),
        # A near miss overrides the poisoning cue; the question still asks what to do.
        ("if my child swallowed my tablets what should i do", "alert.poisoning.child"),
        ("should i go to A&E if i get a nosebleed on azathioprine", "alert.red-flag.bleeding"),
        ("what should i do if my nose bleeds on mycophenolate", "alert.red-flag.bleeding"),
        # A cue that speaks of a red flag without telling it (count-threshold-spoken-of).
        ("if my platelets drop below 20 what should i do", "alert.count.platelets-low"),
        # A question about what a drug can cause (asks-ahead).
        ("does dapsone make your lips blue", "alert.red-flag.breathing"),
    ],
)
def test_a_red_flag_asked_about_ahead_gets_what_to_do_as_advice(
    kb: KnowledgeBase, matcher: Matcher, question: str, advice: str
) -> None:
    answer = ask(kb, matcher, question)
    assert answer.urgent is None
    assert answer.sections[0].entry_key == advice
    assert answer.sections[0].title == replies.IF_IT_HAPPENS


@pytest.mark.parametrize(
    ("question", "drug"),
    [
        # Doubted by the learned crisis model.
        (
            "The nurse at clinic asked if I'd had any thoughts of harming myself and I said no,"
            " which is true. But it made me wonder, is that a side effect of dapsone?",
            "dapsone",
        ),
        # Doubted by a rule cue (asks-if-side-effect).
        ("does cyclosporine cause suicidal thoughts?", "cyclosporine"),
        ("can aza give you suicidal thoughts", "azathioprine"),
    ],
)
def test_a_doubted_crisis_answers_the_question_with_the_crisis_lines_beside_it(
    kb: KnowledgeBase, matcher: Matcher, question: str, drug: str
) -> None:
    answer = ask(kb, matcher, question)
    assert answer.kind == "answer"
    assert answer.drugs == (drug,)
    assert answer.sections[0].entry_key == "alert.crisis"
    assert answer.sections[0].title == replies.IF_THOUGHTS_LIKE_THESE


@pytest.mark.parametrize(
    "question",
    [
        "ive been having suicidal thoughts on dapsone, can it cause that",
        "can dapsone cause suicidal thoughts? i want to die",
    ],
)
def test_a_crisis_told_as_the_patients_own_is_never_doubted_by_a_rule(
    kb: KnowledgeBase, matcher: Matcher, question: str
) -> None:
    assert ask(kb, matcher, question).kind == "crisis"


@pytest.mark.parametrize(
    "question",
    [
        "I hit my head this morning, what should I do, on mmf",
        # Told as the patient's own, though asked about in worry (cue told-as-own).
        "cellcept making my gums bleed, normal?",
        "is the blood in my urine a side effect of ciclosporin",
        "is nosebleeding a side effect of sirolimus, had 3 this week",
    ],
)
def test_a_red_flag_happening_now_is_an_alarm_not_advice(
    kb: KnowledgeBase, matcher: Matcher, question: str
) -> None:
    answer = ask(kb, matcher, question)
    assert answer.urgent is not None
    assert all(s.title != replies.IF_IT_HAPPENS for s in answer.sections)


@pytest.mark.parametrize(
    ("question", "notice", "topics"),
    [
        # Only what dapsone is used for names rituximab: its interactions, silent on
        # it, would read as "no problem", and the entry alone as a comparison.
        (
            "they offered me rituximab or dapsone, which is better",
            "My sources do not compare rituximab with dapsone, and rituximab is not covered "
            "by them. Which treatment suits you is a question for your haematologist. Below "
            "is where my sources mention rituximab for dapsone.",
            ("dapsone.uses",),
        ),
        (
            "what about rituximab, i'm on dapsone",
            "My sources do not cover rituximab, so please ask your doctor or pharmacist about "
            "rituximab. Below is only where they mention rituximab for dapsone.",
            ("dapsone.uses",),
        ),
        (
            "can i have rituximab while on dapsone",
            "I can't tell whether rituximab is safe to take with dapsone: my sources do not "
            "cover that combination. Please check with your pharmacist before taking them "
            "together.",
            ("dapsone.uses", "dapsone.interactions"),
        ),
    ],
)
def test_a_medicine_our_entries_only_name_gets_where_they_name_it(
    kb: KnowledgeBase, matcher: Matcher, question: str, notice: str, topics: tuple[str, ...]
) -> None:
    answer = ask(kb, matcher, question)
    assert answer.notices[0] == notice
    assert answer.topics == topics


@pytest.mark.parametrize(
    ("question", "notices", "topics"),
    [
        # The entry that says they are given together answers the pair.
        (
            "can azathioprine be taken with prednisone",
            (),
            ("azathioprine.uses", "azathioprine.interactions"),
        ),
        ("can i take pred with imuran", (), ("azathioprine.uses", "azathioprine.interactions")),
        (
            "steroids and azathioprine together ok?",
            (),
            ("azathioprine.uses", "azathioprine.interactions"),
        ),
        # No entry of the drug gives them together: the pair cannot be told.
        (
            "can cellcept be taken with prednisone",
            (
                "I can't tell whether prednisone is safe to take with mycophenolate mofetil: my "
                "sources do not cover that combination. Please check with your pharmacist before "
                "taking them together.",
            ),
            (),
        ),
    ],
)
def test_a_pair_is_answered_where_an_entry_gives_them_together(
    kb: KnowledgeBase,
    matcher: Matcher,
    question: str,
    notices: tuple[str, ...],
    topics: tuple[str, ...],
) -> None:
    answer = ask(kb, matcher, question)
    assert answer.notices == notices
    assert answer.topics == topics


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("can i stop the prednisolone now", "not_covered"),
        ("can i just stop taking promacta", "not_covered"),
        ("can i stop my steroids now", "not_covered"),
    ],
)
def test_stopping_a_medicine_we_do_not_cover_still_says_not_on_your_own(
    kb: KnowledgeBase, matcher: Matcher, question: str, kind: str
) -> None:
    answer = ask(kb, matcher, question)
    assert answer.kind == kind
    assert answer.notices[0] == (
        "Please don't stop or change a medicine on your own: talk to your doctor first."
    )


def test_who_gives_a_fact_is_not_what_it_is_about(kb: KnowledgeBase, matcher: Matcher) -> None:
    # The National Kidney Federation's grapefruit rule says nothing of kidneys.
    answer = ask(kb, matcher, "does sirolimus affect kidneys")
    assert "sirolimus.interactions" not in answer.topics


@pytest.mark.parametrize(
    ("question", "silent_on"),
    [
        # The sources say nothing on too much azathioprine or dapsone: the topic's
        # safety net says what to do if it happens.
        ("what happens if you take too many imuran", "azathioprine"),
        ("what happens if my son takes too much dapsone", "dapsone"),
        # Their own entry answers it for mycophenolate and sirolimus.
        ("what if i took too many cellcept by mistake", None),
        ("what happens if you take too much sirolimus", None),
    ],
)
def test_a_topic_the_sources_leave_silent_gets_its_safety_net(
    kb: KnowledgeBase, matcher: Matcher, question: str, silent_on: str | None
) -> None:
    answer = ask(kb, matcher, question)
    silent = (
        [replies.NO_TOPIC_FOR_DRUG.format(topic="if too much was taken", drug=silent_on)]
        if silent_on
        else []
    )
    advice = [s.entry_key for s in answer.sections if s.title == replies.IF_IT_HAPPENS]
    assert answer.urgent is None
    assert [n for n in answer.notices if n.startswith("My sources do not cover")] == silent
    assert advice == (["alert.poisoning.extra-dose"] if silent_on else [])


def test_a_safety_net_never_repeats_the_alarm_it_would_give(
    kb: KnowledgeBase, matcher: Matcher
) -> None:
    answer = ask(kb, matcher, "i took 2 imuran by mistake")
    assert answer.urgent is not None
    assert answer.urgent.text.startswith("Contact your pharmacist, doctor or a poison line now")
    assert all(s.title != replies.IF_IT_HAPPENS for s in answer.sections)


@pytest.mark.parametrize(
    ("question", "unsure"),
    [
        # Words the bot reads as nothing: the overview only under a plain "not sure".
        ("Pete reckons the garden gnomes look shifty lately, he's on mycophenolate", True),
        ("my cousin Dave reckons the moon landing was staged, he takes azathioprine", True),
        # A request for the overview, in any words.
        ("what is imuran", False),
        ("my consultant wants to start me on imuran, what do I need to know", False),
        ("tell me about cellcept", False),
    ],
)
def test_the_overview_is_never_sent_as_if_it_answered(
    kb: KnowledgeBase, matcher: Matcher, question: str, unsure: bool
) -> None:
    answer = ask(kb, matcher, question)
    assert answer.sections[0].entry_key.endswith(".overview")
    said = replies.NOT_SURE.format(drug=kb.drug(answer.drugs[0]).name.lower())
    assert (said in answer.notices) is unsure
    # Admins see a question the bot could not read among the unanswered ones.
    assert answer.understood is not unsure


def test_a_follow_up_the_bot_cannot_read_gets_the_chat_drug_under_not_sure(
    kb: KnowledgeBase, matcher: Matcher
) -> None:
    context = ask(kb, matcher, "I am on sirolimus").context
    answer = ask(kb, matcher, "Should I be concerned about WBC", context)
    assert answer.kind == "answer"
    assert answer.drugs == ("sirolimus",)
    assert replies.NOT_SURE.format(drug="sirolimus") in answer.notices
    assert not answer.understood


@pytest.mark.parametrize(
    ("question", "opening"),
    [
        # What to do now opens the reply in English only: the learned backstop hears a
        # pregnancy told on the medicine, as it does in English.
        (
            "estoy embarazada de 8 semanas y tomo sirolimus",
            "Contact your doctor now, or call emergency services if it is severe.",
        ),
        (
            "Me he tomado la ciclosporina dos veces esta mañana sin darme cuenta. ¿Qué hago?",
            "Contact your doctor now, or call emergency services if it is severe.",
        ),
        # What to do now about a count the message shows in its own language.
        ("Meine Blutplättchen sind 7. Ich nehme Dapson.", "Contact your haematology team today"),
        # Nothing to say or do now: English only, and nothing before it.
        ("¿Puedo tomar alcohol con micofenolato?", replies.ENGLISH_ONLY[:40]),
    ],
)
def test_a_reply_in_english_only_opens_with_what_the_message_shows(
    kb: KnowledgeBase, matcher: Matcher, question: str, opening: str
) -> None:
    answer = ask(kb, matcher, question)
    assert answer.kind == "foreign"
    assert render_plain(answer).startswith(opening)
    assert replies.ENGLISH_ONLY in render_plain(answer)


def test_a_question_across_medicines_gets_only_the_named_drugs_entries(
    kb: KnowledgeBase, matcher: Matcher
) -> None:
    # Allopurinol and ibuprofen are named in azathioprine's and sirolimus's entries;
    # the patient takes neither.
    answer = ask(
        kb,
        matcher,
        "Dad (80) is on ciclosporin, ramipril, allopurinol and a statin, and the GP started"
        " him on colchicine and ibuprofen. I'm worried about all of it",
    )
    assert answer.drugs == ("cyclosporine",)
    assert [s.entry_key for s in answer.sections] == ["cyclosporine.interactions"]


@pytest.mark.parametrize(
    "question",
    [
        "Platelets <10. Bleeding from gums. On mycophenolate.",
        "black tarry poo this morning. on cyclosporine and platelets were 15 last week",
        "platelet 3 thousand. i have azatioprine. nose bleed",
    ],
)
def test_a_low_count_with_bleeding_opens_with_one_instruction(
    kb: KnowledgeBase, matcher: Matcher, question: str
) -> None:
    answer = ask(kb, matcher, question)
    text = render_plain(answer)
    assert text.startswith("Call emergency services or go to the emergency department now")
    # Never a "today" beside the "now" for the reader to choose between.
    assert "today" not in text.split("\n\n")[0]
    # What the bleeding points to still follows.
    assert any(s.entry_key.endswith(".side-effects") for s in answer.sections)


@pytest.mark.parametrize(
    ("question", "drugs", "entry"),
    [
        # A question about the class that asks for no one drug: the class entry answers.
        ("do immunosuppressants cause cancer", (), "general.infections-cancer"),
        (
            "do immunosuppressants cause cancer, i had breast cancer 10 years ago",
            (),
            "general.infections-cancer",
        ),
        # "Which one" asks for a drug: the entry named by its own phrase answers.
        (
            "which immunosuppressant do you have to stay on for 4 months before you know if"
            " it works",
            ("azathioprine",),
            "azathioprine.time-to-work",
        ),
    ],
)
def test_a_question_about_the_class_gets_the_class_entry_and_which_one_the_drug(
    kb: KnowledgeBase, matcher: Matcher, question: str, drugs: tuple[str, ...], entry: str
) -> None:
    answer = ask(kb, matcher, question)
    assert answer.drugs == drugs
    assert answer.topics == (entry,)
