"""Every fixed sentence the bot says, in one place.

Facts live in the knowledge files and the cue sentences in the language file; these
are the bot's own words around them: refusals, "not covered", greetings, notices.
"""

from __future__ import annotations

__all__ = [
    "CANNOT_COMPARE",
    "CANNOT_TELL_PAIR",
    "CLASS_TITLE",
    "COVERAGE",
    "COVERAGE_MORE",
    "CRISIS_IN_HAND",
    "DOSE_CLARIFY",
    "DOSE_REFUSAL",
    "ENGLISH_ONLY",
    "FLOOD_NOTICE",
    "GREETING_TAIL",
    "HELLO",
    "HELP_HTML",
    "IF_IT_HAPPENS",
    "IF_STILL_FEELING",
    "IF_THOUGHTS_COME_BACK",
    "IF_THOUGHTS_LIKE_THESE",
    "IF_YOU_MEAN_OTHER",
    "NOT_COVERED_NAMES",
    "NOT_COVERED_PLAIN",
    "NOT_COVERED_TAIL",
    "NOT_COVERED_UNKNOWN",
    "NOT_MENTIONED",
    "NOT_SURE",
    "NO_TOPIC_FOR_DRUG",
    "OUTDATED_BUTTON",
    "SOMETHING_WENT_WRONG",
    "START_HTML",
    "STILL_TO_DO",
    "TEXT_ONLY_HTML",
    "TOO_MANY",
    "UNCOVERED_TOPIC",
    "URGENT_TITLE",
    "WELCOME",
    "WHICH_MEDICINE",
]

DOSE_REFUSAL = (
    "I can't give a dose: how much to take is for the doctor who prescribes it, "
    "and your pharmacist can explain your prescription. Here is what my sources say."
)
DOSE_CLARIFY = (
    "I can't give a dose: how much to take is for the doctor who prescribes it. "
    "Which medicine would you like to know about?"
)
#: A message in another language: it may tell a crisis no pattern of ours reads, so the
#: reply says what to do then too.
ENGLISH_ONLY = (
    "Sorry, I can only read English for now. If you are unwell (a fever, bleeding, or trouble "
    "breathing), or someone has swallowed tablets that are not theirs or too many, contact your "
    "doctor or call emergency services now. If you are thinking of "
    "ending your life or harming yourself, call your local emergency number or a crisis line "
    "now. Otherwise please ask again in English, or ask your doctor or pharmacist."
)
#: A drug we do not cover named with one we do, and the pair is not in the sources.
CANNOT_TELL_PAIR = (
    "I can't tell whether {others} {is_are} safe to take with {drugs}: my sources do not cover "
    "that combination. Please check with your pharmacist before taking them together."
)
#: "it" after a drug we do not cover was asked with ours: the answer is ours only.
IF_YOU_MEAN_OTHER = (
    "If you mean {others}, my sources do not cover that, so please ask your doctor or "
    "pharmacist. What follows is about {drugs} only."
)
#: A drug we do not cover compared with one we do.
CANNOT_COMPARE = (
    "I can't compare {others} with {drugs}: {others} {is_are} not covered by my sources. "
    "Please ask your doctor or pharmacist; below you can choose what my sources say about "
    "{drugs}."
)
#: A drug we do not cover compared with one we do whose entries name it without comparing.
NOT_COMPARED = (
    "My sources do not compare {others} with {drugs}, and {others} {is_are} not covered by them. "
    "Which treatment suits you is a question for your haematologist. Below is where my sources "
    "mention {others} for {drugs}."
)
#: A drug we do not cover that the covered drug's entries only name in passing.
NAMED_ONLY = (
    "My sources do not cover {others}, so please ask your doctor or pharmacist about "
    "{others}. Below is only where they mention {others} for {drugs}."
)
NOT_MENTIONED = (
    'My sources do not mention "{phrase}" for {drug}: that is not the same as saying it cannot '
    "happen. Below is what they do say; ask your doctor or pharmacist about it."
)
#: The title of a class-wide entry given for a drug that has no entry of its own on it.
CLASS_TITLE = "{title} (said of these medicines as a group, not of {drug} by name)"
NO_TOPIC_FOR_DRUG = (
    'My sources do not cover "{topic}" for {drug}. Please ask your pharmacist or doctor.'
)
UNCOVERED_TOPIC = (
    "My sources say nothing about {topic} for {drugs}. Please ask your doctor or pharmacist."
)
TOO_MANY = "That is a lot at once: ask about the other medicines one at a time."
WHICH_MEDICINE = (
    "Which medicine do you mean? My sources have {topic} for the ones below. For any other "
    "medicine, or for ITP itself, please ask your doctor or haematology team."
)
HELLO = "Hello!"
WELCOME = "You're welcome!"
GREETING_TAIL = (
    "Ask me about side effects, how long one takes to work, interactions, tests or pregnancy."
)
NOT_COVERED_NAMES = "I can't answer that: {names} {is_are} not covered."
NOT_COVERED_UNKNOWN = "I can't answer that: I don't know {names}, and my sources do not cover it."
NOT_COVERED_PLAIN = "I can't answer that: it is not covered by my sources."
NOT_COVERED_TAIL = "Please ask your doctor or pharmacist."
#: A message about a drug with words the bot could not read: never the overview as if it answered.
NOT_SURE = (
    "I'm not sure I understood what you asked about {drug}. If someone is very unwell, bleeding, "
    "has swallowed tablets or is thinking of ending their life, call your local emergency "
    "number now. Below is what it is in general; choose a topic for more, or ask your doctor "
    "or pharmacist."
)
COVERAGE = (
    "I answer questions about these ITP immunosuppressants only, from cited sources: {names}."
)
COVERAGE_MORE = "{count} more (see /drugs)"

# --- the Telegram edge (HTML where the name ends in _HTML) ------------------------------

START_HTML = (
    "<b>ITP medication helper</b>\n"
    "I answer questions about immunosuppressants used for immune thrombocytopenia "
    "(ITP): {names}. Every answer comes from a cited source.\n\n"
    "This is general information, not medical advice: always check with your doctor "
    "or pharmacist.\n\n"
    "Ask in your own words, for example: <i>grapefruit cyclosporine?</i> or "
    "<i>how long before imuran works</i>."
)
HELP_HTML = (
    "<b>How to ask</b>\n"
    "Name the medicine and what you want to know: side effects, how long it takes, "
    "interactions with food or herbs, tests, pregnancy...\n"
    "Examples: <i>imuran side effects</i>, <i>does dapsone need a blood test</i>, "
    "<i>sirolimus and grapefruit</i>. You can follow up with <i>and the side "
    "effects?</i>\n\n"
    "If you have a fever, bleeding or feel very unwell, contact your doctor now.\n\n"
    "{commands}"
)
FLOOD_NOTICE = (
    "You are sending messages faster than I can answer them well. Please wait a few "
    "seconds, then ask again, one question at a time."
)
OUTDATED_BUTTON = "This button is out of date. Please ask your question again."
TEXT_ONLY_HTML = (
    "I can only read text questions. Type one, for example: <i>grapefruit cyclosporine?</i>"
)
SOMETHING_WENT_WRONG = "Sorry, something went wrong on my side. Please try again in a moment."
#: The title of an inline result that opens with what to do now.
URGENT_TITLE = "What to do now"
#: Title of what to do about a red flag the patient asks about ahead ("what if I hit my head").
IF_IT_HAPPENS = "If it happens"
#: What to do now about a red flag an earlier turn told, after the answer to a question
#: on another subject.
STILL_TO_DO = "From earlier in this chat, if not done yet"
#: Title of the crisis lines beside an answer, where crisis words were read but no crisis
#: ("my leaflet warns of suicidal thoughts, does azathioprine?").
IF_THOUGHTS_LIKE_THESE = "If you ever have thoughts like these"
#: A turn after a crisis that only tells help is in hand ("I rang Samaritans").
CRISIS_IN_HAND = "I'm really glad you reached out for help, and thank you for telling me."
#: Title of the crisis lines after an answer, once the chat told its crisis is in hand.
IF_THOUGHTS_COME_BACK = "If those thoughts come back or get worse"
#: Title of the crisis lines after the answer to a calm question asked after a crisis.
IF_STILL_FEELING = "If you still feel the way you said earlier"
