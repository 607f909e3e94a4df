"""Compose the reply to a question from the knowledge: what to say, never how it looks.

The reply opens with what to do now when a cue of the language calls for it (a red
flag, a dangerous count, a poisoning), then any acknowledging sentence the language
gives (fear, low mood), then notices, then the cited entries and the caution. A
crisis gets its own reply and nothing else.
"""

from __future__ import annotations

import functools
import re
import weakref
from collections.abc import Iterable
from dataclasses import dataclass, replace

from bot import replies
from bot.knowledge import Alert, Drug, Entry, KnowledgeBase, Reference
from bot.language import Cue
from bot.matching import Match, Matcher
from bot.text import normalize, stem

__all__ = [
    "Answer",
    "Button",
    "Context",
    "Section",
    "answer_for_callback",
    "answer_per_section",
    "answer_question",
    "compose_answer",
    "drug_buttons",
]

_MAX_TOPICS_PER_DRUG = 3
_MAX_SECTIONS = 6
# A phone shows a dozen buttons comfortably; Telegram refuses a keyboard of ~100.
_MAX_BUTTONS = 12
# Drugs named in "what I cover": all of a small file, a sample of a large one.
_MAX_COVERAGE_NAMES = 12
_MAX_ECHOED_NAME = 40


@dataclass(frozen=True)
class Section:
    """One entry of the knowledge as it appears in a reply."""

    title: str
    text: str
    entry_key: str
    drug_id: str | None
    link: str | None = None
    cites: tuple[str, ...] = ()
    """Reference ids, for a section made of several entries (the alerts)."""
    checked: str | None = None
    """``YYYY-MM``: when the entry was last compared with its sources."""


@dataclass(frozen=True)
class Button:
    """An inline keyboard button: a label and the callback data it sends back."""

    label: str
    data: str


@dataclass(frozen=True)
class Context:
    """What the previous reply in a chat was about, for follow-up questions."""

    drugs: tuple[str, ...]
    topics: tuple[str, ...]
    cues: frozenset[str] = frozenset()
    """Remembered cues said earlier in the chat ("my son is 9"): they still hold."""
    crisis: frozenset[str] = frozenset()
    """The cues of a crisis reply earlier in the chat: a reply with nothing else to
    say repeats it rather than "not covered", and any other reply opens with it."""
    alarms: frozenset[str] = frozenset()
    """Urgent cues of the previous reply: "what should I do" next repeats them."""
    strangers: tuple[str, ...] = ()
    """Drugs we do not cover that the chat is about: a follow-up is still about them."""
    count: str = ""
    """The blood result the chat told last ("90" of "plt 90 last week"): a bare number
    told next is read as the result it came to ("today 41": a fall from 90)."""
    count_of: str = ""
    """The cue (``reads-numbers``) whose result ``count`` is: platelets, haemoglobin..."""
    count_earlier: tuple[str, ...] = ()
    """Results of the same kind the chat told before ``count``, the oldest first: a fall
    told one number per turn (60, then 35, then 22) is read from each of them."""
    named: tuple[str, ...] = ()
    """Covered drugs the chat has named, the first first: "going back to the first one"
    is about ``named[0]`` (kept by the conversation memory)."""
    heard: frozenset[str] = frozenset()
    """Urgent red flags the previous question spoke of without raising them ("what
    happens if you double dose"): a turn that says it happened raises them."""
    paired: tuple[str, ...] = ()
    """Medicines we do not cover that the previous question asked about with ours
    ("ibuprofen with cyclosporine"): "and with azathioprine?" asks the same of it."""
    own: tuple[str, ...] = ()
    """Our drugs the chat told as the writer's own ("I'm on aza"), kept by the
    conversation memory: "what about me?" after a question for someone else asks of them."""


@dataclass(frozen=True)
class Answer:
    """A reply, ready to be rendered for the terminal or for Telegram."""

    kind: str
    """``answer``, ``no_entry`` (a notice only: the sources do not cover what was asked),
    ``clarify``, ``not_covered``, ``greeting``, ``crisis`` or ``foreign``."""
    urgent: Section | None
    notices: tuple[str, ...]
    sections: tuple[Section, ...]
    references: tuple[Reference, ...]
    caution: Section | None
    buttons: tuple[Button, ...]
    drugs: tuple[str, ...]
    """Drug ids the reply answers about; empty when nothing covered was answered."""
    topics: tuple[str, ...]
    """Keys of the entries the reply gives."""
    subject: tuple[str, ...] = ()
    """Drug ids asked about that the reply had no entry for ("how long before cellcept
    works"): a follow-up still leans on them."""
    asked: tuple[str, ...] = ()
    """Topics a question back ("which medicine?") is waiting to answer."""
    kept_cues: frozenset[str] = frozenset()
    """Cues of this question or of the chat that the chat goes on remembering."""
    crisis: frozenset[str] = frozenset()
    """Crisis cues of this reply or earlier in the chat."""
    strangers: tuple[str, ...] = ()
    """Drugs we do not cover that a "not covered" reply is about."""
    mentioned: tuple[str, ...] = ()
    """Covered drugs the question named, answered or not ("I'm on ciclosporin, what is
    eltrombopag?"): the chat's memory of the drugs it named keeps them."""
    own: tuple[str, ...] = ()
    """Our drugs the question told as the writer's own (see ``Context.own``)."""
    alarms: frozenset[str] = frozenset()
    """Urgent cues this reply opened with, or said again after its answer (a contact
    told earlier, under "From earlier in this chat"): they stand for the next turns."""
    count: str = ""
    """The blood result the question told, if any (see ``Context.count``)."""
    count_of: str = ""
    """The cue whose result ``count`` is (see ``Context.count_of``)."""
    count_earlier: tuple[str, ...] = ()
    """Results told before ``count`` in the chat (see ``Context.count_earlier``)."""
    heard: frozenset[str] = frozenset()
    """Red flags the question spoke of without raising them (see ``Context.heard``)."""
    understood: bool = True
    """False when the bot could not read what was asked and says so above an overview:
    admins see such a question among the unanswered ones."""
    paired: tuple[str, ...] = ()
    """Medicines we do not cover that the question asked about with ours (see
    ``Context.paired``)."""

    @property
    def checked(self) -> str | None:
        """Return the oldest ``checked`` month of the entries shown (``YYYY-MM``), if any."""
        return min((s.checked for s in self.sections if s.checked), default=None)

    @property
    def context(self) -> Context | None:
        """Return what a follow-up question may lean on, if anything."""
        if not self.drugs:
            if (
                self.subject
                or self.asked
                or self.kept_cues
                or self.crisis
                or self.strangers
                or self.count
                or self.alarms
                or self.heard
            ):
                return Context(
                    self.subject,
                    self.asked,
                    self.kept_cues,
                    self.crisis,
                    self.alarms,
                    self.strangers if not self.subject else (),
                    self.count,
                    self.count_of,
                    self.count_earlier,
                    heard=self.heard,
                    paired=self.paired,
                )
            return None
        topics = tuple(
            s.entry_key.split(".", 1)[1]
            for s in self.sections
            if s.drug_id and not s.entry_key.endswith(".overview")
        )
        return Context(
            self.drugs,
            tuple(dict.fromkeys(topics)),
            self.kept_cues,
            self.crisis,
            self.alarms,
            count=self.count,
            count_of=self.count_of,
            count_earlier=self.count_earlier,
            heard=self.heard,
            paired=self.paired,
        )


# "the first one", "back to mine": the drug the chat named first (a cue id).
_FIRST_NAMED = "first-named"
# "do the two interact", "together ok?": a question about a pair of medicines (a cue id).
_PAIR_QUESTION = "pair-question"
# "do the two interact", "together ok?": the question means both medicines the chat named,
# not only the one we do not cover ("can she have grapefruit") (a cue id).
_BOTH_MEANT = "both-meant"
# "what are the side effects of it", "the new one": a medicine not named (a cue id).
_REFERS_BACK = "refers-back"
# "now the doctor also wants azathioprine": the chat's drug and the one added (a cue id).
_ADDED_DRUG = "added-drug"

#: Cues that tell another medicine as taken with ours ("I also take allopurinol", "GP
#: gave me trimethoprim"): what the knowledge says of the pair is what matters.
_TOLD_TAKEN = frozenset({_ADDED_DRUG, "interaction-in-hand"})
#: Cues that say what the patient does with their own medicine (stop it, change it,
#: share it): said even where the reply cannot answer about the medicine named with it.
_OWN_ACTIONS = frozenset({"stop-intent", "someone-elses-medicine"})
# A chat that spoke of a blood result, then a message that gives only a number: a cue
# id of the language file (the result talk cues, reads-numbers, are remembered).
_BARE_COUNT = "bare-count"
# A platelet count read at any level (a cue id).
_COUNT_REPORTED = "count.reported"
# "last month it was 2,100": a number told as past (a cue id).
_TOLD_AS_PAST = "time.past"
# "she seems ok, should I ring someone": asks what to do about what it tells (a cue id).
_ASKS_WHAT_TO_DO = "asks-what-to-do"
# "what happens if you double dose", then "asking because I just did": a cue id.
_IT_HAPPENED = "it-happened"
# "take tonight's one with the morning one", "double up": more at once than prescribed (a cue id).
_MORE_THAN_PRESCRIBED = "more-than-prescribed"
# "forget I said that", "only joking": words that take back what was said (a cue id).
_RETRACTED = "retracted"
# How many results told before the latest the chat keeps, to read a fall from.
_EARLIER_COUNTS = 4
# The last number of a message, with what comes before it.
_LAST_NUMBER = re.compile(r"^(.*?)(\d+(?:[.,]\d+)?)(?!.*\d)", re.S)
# A number after count talk's words, as a folded message writes it ("45k", "11 000"),
# that is no dose, no time and no count of tablets.
# A result below 10 may have a decimal part ("neutrophils were 2.0" folds to "2 0"); one
# in thousands a group of three ("ANC 2,400" folds to "2 400").
_TOLD_COUNT = re.compile(
    r"\b(\d{1,3} \d{3}|\d \d{1,2}|\d+k?)\b(?! ?(mg|mcg|ml|g|tablets?|pills?|caps?|capsules?|days?"
    r"|weeks?|wks?|months?|years?|yrs?|hours?|hrs?|times|x|am|pm|percent)\b)"
)


def answer_question(
    kb: KnowledgeBase, matcher: Matcher, text: str, context: Context | None = None
) -> Answer:
    """Answer one question.

    Args:
        kb: the knowledge to answer from.
        matcher: the index built for ``kb``.
        text: the question as typed.
        context: what the previous reply of this chat was about, if recent.

    Returns:
        The composed answer.
    """
    match = matcher.match(text)
    if context is not None and context.named and _FIRST_NAMED in match.cues and not match.drugs:
        if context.paired:
            # "im on eltrombopag and cellcept", then "side effects of the first one": the
            # first may be the medicine we do not cover, so the answer says whom it is about.
            match = replace(match, cues=match.cues | {_REFERS_BACK})
        else:
            # "Can I have grapefruit with my ciclosporin?", "what about dapsone?", then
            # "going back to the first one, is orange juice ok?": the drug named first.
            match = replace(match, drugs=context.named[:1], cues=match.cues - {_ADDED_DRUG})
    folded = _folded(kb)
    talk = _result_talk(folded, context)
    told_of = ""
    if (
        context is not None
        and talk is not None
        and _BARE_COUNT in match.cues
        # "today they're 12k": a count read at any level (count.reported) is still read
        # with the label, so that a low one is heard.
        and not any(c.startswith("count.") and c != _COUNT_REPORTED for c in match.cues)
        and _talk_in(folded, match.cues) is None
    ):
        # "plt 85 last month", then "today it's 12": the number is a platelet count,
        # read with the cue's label ("platelets") put before it; "hb was 120", then
        # "its 92 now": a haemoglobin.
        label = talk.label
        match = matcher.match(_LAST_NUMBER.sub(lambda m: f"{m[1]}{label} {m[2]}", text, count=1))
        last = _LAST_NUMBER.match(text)
        told = last[2] if last is not None else ""
        told_of = talk.id
    else:
        told, told_of = _told_count(folded, match)
        talk = next((c for c in folded.result_talks if c.id == told_of), None)
    earlier = _earlier_counts(context, told, told_of)
    if talk is not None and earlier:
        added = _fall_in_chat(matcher, folded, talk, told, earlier, _TOLD_AS_PAST in match.cues)
        if added:
            match = replace(match, cues=match.cues | added, urgent=True)
    low = folded.low_count
    if (
        context is not None
        and low is not None
        and low.id in context.alarms
        and not told
        and not match.exclusive
        and not any(c.startswith("count.") for c in match.cues)
        and low.id not in _overridden(folded, match.cues)
    ):
        # "platelets 13", then "on imuran since may": the count told a moment ago is
        # still today's count, so what to do about it still opens the reply, unless
        # this turn takes it back ("typo. 88.": cue corrected-count).
        match = replace(match, cues=match.cues | {low.id}, urgent=True)
    if (
        context is not None
        and _IT_HAPPENED in match.cues
        and not match.exclusive
        and (raised := context.heard - _overridden(folded, match.cues | context.heard))
    ):
        # "what happens if you double dose cellcept", then "asking because I just did":
        # the red flag the chat asked about is now told as happening, so what to do
        # now opens the reply (less what this turn, or another of them, overrides).
        match = replace(match, cues=match.cues | raised, urgent=True)
    answer = compose_answer(kb, match, context)
    if not told:
        return answer
    return replace(answer, count=told, count_of=told_of, count_earlier=earlier)


def _earlier_counts(context: Context | None, told: str, told_of: str) -> tuple[str, ...]:
    """Return the results of the kind told now that the chat told before, the oldest first."""
    if context is None or not told or not context.count or context.count_of not in ("", told_of):
        return ()
    return (*context.count_earlier, context.count)[-_EARLIER_COUNTS:]


def _fall_in_chat(
    matcher: Matcher,
    folded: _Folded,
    talk: Cue,
    told: str,
    earlier: tuple[str, ...],
    told_as_past: bool,
) -> set[str]:
    """Return the urgent count cues a result raises read after those the chat told.

    Read after each result told before it ("platelets 60", "now 35", "and today 22": a
    fall from 60), only what that reading adds about a fall counts, never an old count.
    A number told as past ("last month it was 2,100") came before the latest one.
    """
    pairs = [(told, earlier[-1])] if told_as_past else [(older, told) for older in earlier]
    old_low = folded.low_count.id if folded.low_count is not None else ""
    added: set[str] = set()
    for older, newer in pairs:
        fall = matcher.match(f"{talk.label} {older} then {newer}")
        added |= {c for c in fall.cues & folded.urgent if c.startswith("count.") and c != old_low}
    return added


def _talk_in(folded: _Folded, cues: Iterable[str]) -> Cue | None:
    """Return the first result talk cue (``reads-numbers``) among ``cues``, if any."""
    return next((c for c in folded.result_talks if c.id in cues), None)


def _result_talk(folded: _Folded, context: Context | None) -> Cue | None:
    """Return the result talk a bare number in the chat's next message is read with.

    The one whose result the chat told last ("hb was 120"), else the first the chat spoke
    of ("plt 85 last month", in a chat that never gave a number with it).
    """
    if context is None:
        return None
    told = next((c for c in folded.result_talks if c.id == context.count_of), None)
    return told if told is not None and told.id in context.cues else _talk_in(folded, context.cues)


def _told_count(folded: _Folded, match: Match) -> tuple[str, str]:
    """Return the blood result a message tells ("90" of "plt 90 last week") and its talk."""
    talk = _talk_in(folded, match.cues)
    if talk is None:
        return "", ""
    text = " ".join(match.words)
    for pattern in talk.patterns:
        found = pattern.search(text)
        if found is not None:
            # The last count of a series is the latest ("plt 22 then 15 now 9").
            numbers = _TOLD_COUNT.findall(text, found.end(), found.end() + 80)
            return (numbers[-1][0], talk.id) if numbers else ("", "")
    return "", ""


def _standing_alarms(kb: KnowledgeBase, match: Match, context: Context | None) -> frozenset[str]:
    """Return the chat's previous alarms that still stand after ``match``.

    A red flag told as over ("gone now, can I go to a festival") no longer stands; a
    swallowed tablet does, however the child seems ("he seems fine now, do I still go"),
    unless a cue that overrides it says so ("false alarm, found it under the sofa").
    """
    if context is None:
        return frozenset()
    folded = _folded(kb)
    # What the message's cues override now no longer stands either, nor a count alarm
    # once a new count is told ("sorry typo, platelets 130"): the new count decides.
    alarms = context.alarms - _overridden(folded, match.cues)
    if _BARE_COUNT in match.cues or any(c.startswith("count.") for c in match.cues):
        alarms = frozenset(a for a in alarms if not a.startswith("count."))
    if match.cues.isdisjoint(folded.over):
        return alarms
    return alarms - folded.tensed


def _overridden(folded: _Folded, cues: Iterable[str]) -> frozenset[str]:
    """Return the cues that ``cues`` override."""
    return frozenset(other for cue_id in cues for other in folded.overridden_by.get(cue_id, ()))


def _on_subject(kb: KnowledgeBase, alarms: frozenset[str], match: Match) -> frozenset[str]:
    """Return the alarms whose alert's topics the message asks about."""
    asked = set(match.topics)
    return frozenset(a.cue for a in kb.alerts if a.cue in alarms and asked & set(a.topics))


def compose_answer(kb: KnowledgeBase, match: Match, context: Context | None = None) -> Answer:
    """Decide what to reply to a matched question.

    Args:
        kb: the knowledge to answer from.
        match: what the question is about.
        context: what the previous reply of this chat was about, if recent.

    Returns:
        The answer: what to do now, entries with their references and the caution,
        a question back with buttons, or a plain "I can't answer that".
    """
    context = _still_valid(kb, context)
    folded = _folded(kb)
    asked_nothing = _says_nothing_new(match)
    if context is not None and context.cues:
        # "my son is 9 and has ITP", then "what are the side effects": still a child;
        # unless a cue of this turn overrides it ("she's locked herself in": the crisis
        # the chat told was in hand is not any more).
        carried = context.cues - _overridden(folded, match.cues)
        # A cue told earlier still overrides what it overrides: "my haematologist told
        # me to stop it", then "so should I keep taking it?" is the team's plan, never
        # "don't stop on your own".
        match = replace(match, cues=(match.cues - _overridden(folded, carried)) | carried)
        if _names_only_drugs(match):
            # "I'm pregnant", then "I take azathioprine": the topic the cue told before
            # asks, for the drug named now.
            told = tuple(c.topic for c in kb.language.cues if c.topic and c.id in context.cues)
            match = replace(match, topics=tuple(dict.fromkeys((*match.topics, *told))))
    hidden = {folded.hides[c] for c in match.cues if c in folded.hides}
    if hidden:
        # "my haematologist told me to stop it but I feel fine, should I carry on?": the
        # stopping entry ("keep taking it when you feel well") would contradict the team.
        match = replace(match, topics=tuple(t for t in match.topics if t not in hidden))
    interactions = kb.language.roles.interactions
    if (
        context is not None
        and context.paired
        and match.drugs
        and match.follow_up
        and _PAIR_QUESTION in match.cues
        and not match.other_drugs
        and set(match.topics) <= {interactions}
    ):
        # "can I take ibuprofen with cyclosporine", then "and with azathioprine?": the
        # same medicine with the drug named now, never that drug's list alone (which
        # would read as "ibuprofen is fine with it").
        match = replace(match, other_drugs=context.paired, topics=(interactions,))
    elif (
        context is not None
        and context.paired
        and context.drugs
        and match.other_drugs
        # "rituximab or dapsone, which is better", then "tell me about rituximab": the
        # same medicine asked of alone, no new pair.
        and not set(match.other_drugs) <= set(context.paired)
        and set(match.topics) <= {interactions}
        and not (match.drugs or match.general or match.urgent)
    ):
        # "can I take Advil with my cyclosporine?", then "Tylenol then?": the medicine
        # named now with the chat's drug, never a bare "not covered".
        match = replace(match, cues=match.cues | {_PAIR_QUESTION})
    else:
        match = _pair_asked_again(context, match)
    standing = _standing_alarms(kb, match, context)
    reminded: frozenset[str] = frozenset()
    if not (asked_nothing or _names_only_drugs(match)):
        # A new question keeps the red flags a later turn can say are over ("a
        # nosebleed for an hour", then "can I have grapefruit"), and a contact or a
        # swallowed tablet, which time does not end ("my grandson's got chickenpox",
        # then "can I still take paracetamol while I wait"), until a turn takes it
        # back ("he lives in Canada, haven't seen him": a cue that overrides it).
        # A question on the alarm's own subject keeps it too.
        on_subject = _on_subject(kb, standing, match)
        standing &= folded.tensed | folded.lasting | on_subject
        if not (match.thanks or match.urgent or _ASKS_WHAT_TO_DO in match.cues):
            # A question on another subject ("my nan has shingles", then "should I get
            # the shingles jab then") is answered first when the alarm is a call to make
            # today (reminds-after): it was said at the top, and saying it there again
            # buries the answer. It follows the answer until a turn takes it back; a
            # question on its own subject ("what counts as contact"), or one that asks
            # what to do ("she seems ok, should I ring someone"), still opens with it.
            reminded = (standing & folded.reminds_after) - on_subject
            standing -= reminded
    alarm_again = bool(standing) and not (match.exclusive or match.greeting)
    if alarm_again:
        # "my daughter's friend has chickenpox", then "what should I do": what to do now
        # again, until a turn says it is over ("gone now").
        match = replace(match, cues=match.cues | standing, urgent=True)
    told_crisis: frozenset[str] = frozenset()
    # A turn after a crisis that asks about no amount may be answered first (below).
    after_crisis = context is not None and bool(context.crisis) and not _seeks_means(match)
    # "I've rung Samaritans and my sister is staying with me. should I take my aza
    # tonight": the crisis is in hand and a question is asked, so it is answered, and
    # the crisis lines follow the answer.
    told_in_hand = after_crisis and not match.cues.isdisjoint(folded.eases_crisis)
    in_hand = (
        told_in_hand
        and not asked_nothing
        and bool(
            match.drugs
            or match.other_drugs
            or match.follow_up
            # "they've made a safety plan with me": a topic's word with no medicine in
            # the message or the chat asks nothing of ours ("which medicine?" to it
            # would be cold); the turn is heard as telling the crisis is in hand.
            or (match.topics and context is not None and context.drugs)
        )
    )
    # "I rang Samaritans like you said, my sister's coming over": a turn that only tells
    # it is in hand is heard, with the crisis lines after it; a red flag told in it
    # keeps the crisis reply, with what to do now.
    # The learned emergency opinion guesses from crisis words themselves ("talked for an
    # hour, my sister's coming over"): only a red flag a rule read keeps the crisis reply.
    in_hand_only = (
        told_in_hand and not in_hand and not (match.cues & folded.urgent) - folded.guessed
    )
    # "does imuran affect the flu jab", "what is it for": a question only on topics that
    # tell no emergency and seek no means (the roles' calm, background and class-wide
    # topics) is answered too, and the crisis lines follow it. Amounts, doses,
    # "stronger" (the interactions), side effects and anything urgent keep the crisis
    # reply first.
    calm_question = (
        after_crisis
        and bool(match.topics)
        and set(match.topics) <= folded.calm_after_crisis
        and not (match.urgent or match.other_drugs or match.thanks)
    )
    eased = in_hand or calm_question
    if in_hand_only and context is not None:
        heard = _message_only("answer", replies.CRISIS_IN_HAND, ())
        answer = _with_reminder(kb, heard, context.crisis, replies.IF_THOUGHTS_COME_BACK)
    elif (
        context is not None
        and context.crisis
        and not match.exclusive
        and not eased
        and (
            asked_nothing
            or match.thanks
            or match.greeting
            or _seeks_means(match)
            # "i dont see a future", then "im on dapsone": nothing asked, nothing to answer.
            or _names_only_drugs(match)
            or not (match.drugs or match.other_drugs or match.follow_up)
        )
    ):
        # "she's been self harming again", then "what should I do", "how many would it
        # take", "can I take two tomorrow", "ok thanks" (never a cheery "You're welcome!"),
        # "forget I said that" or "I just want to know for safety": the crisis
        # reply again, never a cold "not covered", a dose refusal or "which medicine?".
        # A red flag or count told now ("my platelets are 8") opens it: what to do now.
        flags = tuple(sorted(match.cues & folded.urgent))
        answer = _exclusive(kb, replace(match, cues=context.crisis, heard_with=flags))
        # The crisis told before is still the chat's crisis (this turn's own cues,
        # "is the flu jab alright", have no crisis reply to repeat later).
        told_crisis = context.crisis
    elif match.thanks and alarm_again:
        # "ok thanks" after an alarm: what to do now again, alone; never a cheery
        # "You're welcome!" and a menu, nor the whole answer over again.
        thanked = _AnswerBuilder(kb, match)
        thanked.add_alerts()
        answer = thanked.build("answer", drugs=())
    elif (
        context is not None
        and context.strangers
        and not match.exclusive
        and not (match.drugs or match.other_drugs or match.greeting or match.thanks)
        # "my friend is on everolimus...", then "does mine affect fertility?": the
        # writer's own drug, never the friend's.
        and not (context.own and _ASKS_FOR_SELF in match.cues)
        and (
            match.topics
            or match.entries
            or match.general
            or match.follow_up
            or match.dose
            or match.urgent
        )
    ):
        if (
            _PAIR_QUESTION in match.cues
            and _BOTH_MEANT in match.cues
            and context.named
            and not match.urgent
        ):
            # "I'm on ciclosporin... what is eltrombopag?", then "do the two interact":
            # the pair, so the reply says it cannot tell, never a bare "not covered".
            paired = replace(match, drugs=context.named, other_drugs=context.strangers)
            answer = _compose(kb, paired, None)
        else:
            # "I'm starting tacrolimus", then "does grapefruit matter": still not
            # covered, never the covered drugs that speak of grapefruit.
            strangers = _AnswerBuilder(kb, match)
            # What to do now opens it: "my lips have gone bluish" after "amlodipine?".
            strangers.add_alerts()
            answer = _not_covered(kb, context.strangers, (), strangers)
    else:
        answer = _compose(kb, match, context)
        if context is not None and context.crisis and answer.kind != "crisis":
            # A crisis told earlier in the chat opens every reply that follows it, or
            # follows it once the chat tells it is in hand.
            if not eased:
                answer = _with_crisis_first(kb, answer, context.crisis)
            else:
                title = replies.IF_THOUGHTS_COME_BACK if in_hand else replies.IF_STILL_FEELING
                answer = _with_reminder(kb, answer, context.crisis, title)
    answer = _may_mean_the_other(kb, context, match, answer)
    if reminded and answer.kind != "crisis":
        answer = _with_reminder(kb, answer, reminded)
    crisis = told_crisis or (frozenset(match.cues) if answer.kind == "crisis" else frozenset())
    alarms = match.cues & folded.urgent
    return replace(
        answer,
        # A crisis told again, or means sought, after the chat told it was in hand: it
        # is no longer in hand (the next questions get the crisis reply first again).
        kept_cues=(match.cues & folded.remembered)
        - (folded.eases_crisis if answer.kind == "crisis" else frozenset()),
        crisis=crisis or (context.crisis if context is not None else frozenset()),
        alarms=(alarms if answer.urgent is not None else frozenset()) | reminded,
        asked=answer.asked or (tuple(match.topics) if answer.kind == "not_covered" else ()),
        mentioned=match.drugs if answer.kind != "crisis" else (),
        own=match.own if answer.kind != "crisis" else (),
        heard=frozenset(match.heard_flags),
        # "im on cellcept and my gp wants me on omeprazole": a medicine we do not cover
        # named with ours is asked about with it, whatever the words.
        paired=match.other_drugs
        if _PAIR_QUESTION in match.cues or (match.drugs and answer.kind != "crisis")
        else answer.paired,
    )


def _compares(match: Match) -> bool:
    """Return True when the message compares medicines rather than asks to take them together."""
    return "comparison" in match.cues and _PAIR_QUESTION not in match.cues


def _pair_asked_again(context: Context | None, match: Match) -> Match:
    """Read a pair question as asked of the medicine we do not cover the chat was about.

    "my doctor mentioned rituximab", then "can I take it with my azathioprine": the pair
    of rituximab with azathioprine; azathioprine's own lists there would read as "no
    problem with it". (An "it" that asks no pair: ``_may_mean_the_other``.)
    """
    # "I'm on tacrolimus", then "is it like ciclosporin": the two compared, which the
    # bot cannot do; ciclosporin's own facts would read as tacrolimus's.
    compares = _compares(match)
    if context is None or match.other_drugs or not (compares or _PAIR_QUESTION in match.cues):
        return match
    if context.strangers and match.drugs and _REFERS_BACK in match.cues:
        return replace(
            match,
            other_drugs=context.strangers,
            likens_to_ours=match.likens_to_ours or compares,
        )
    if compares:
        return match
    if context.paired and context.drugs and not match.drugs:
        # "im on cellcept and my gp wants me on omeprazole", then "is it safe to take
        # together": the same pair, never cellcept's own lists.
        return replace(match, other_drugs=context.paired)
    return match


def _may_mean_the_other(
    kb: KnowledgeBase, context: Context | None, match: Match, answer: Answer
) -> Answer:
    """Say whom an answer about our drug is about when "it" may mean the other medicine.

    "I'm on rapamune, should they start me on a statin with it", then "does it put you
    at risk of skin cancer": "it" may be either. Sirolimus is answered, under a line that
    says the statin is not covered and that what follows is about sirolimus only, so its
    facts never read as the statin's.
    """
    if (
        context is None
        or not context.paired
        or _REFERS_BACK not in match.cues
        or match.drugs
        or match.other_drugs
        or answer.kind != "answer"
        or answer.urgent is not None
        or not answer.drugs
    ):
        return answer
    ours = (d.name.lower() for d in (kb.drug(i) for i in answer.drugs) if d is not None)
    notice = replies.IF_YOU_MEAN_OTHER.format(others=_names(context.paired), drugs=_names(ours))
    # The next "it" may still mean the other medicine.
    return replace(answer, notices=(notice, *answer.notices), paired=context.paired)


def _alerts_section(entries: list[Entry], title: str = "") -> Section:
    """Return one section saying what to do now for each alert entry, in order."""
    return Section(
        title=title,
        text="\n".join(e.answer for e in entries),
        entry_key=entries[0].key,
        drug_id=None,
        cites=tuple(dict.fromkeys(r for e in entries for r in e.references)),
    )


def _seeks_means(match: Match) -> bool:
    """Return True when a turn after a crisis asks about amounts or takes it back.

    "how many would it take", "can I take two tomorrow", "forget I said that": the
    crisis reply again, whatever else the turn tells ("I've rung Samaritans").
    """
    return match.dose or _MORE_THAN_PRESCRIBED in match.cues or _RETRACTED in match.cues


def _with_crisis_first(kb: KnowledgeBase, answer: Answer, crisis: frozenset[str]) -> Answer:
    """Open ``answer`` with the crisis reply told earlier in the chat."""
    entries = [a.entry for a in kb.alerts if a.cue in crisis]
    if not entries:
        return answer
    parts: list[Entry | Section] = [*entries]
    urgent = _alerts_section(entries)
    if answer.urgent is not None:
        parts.append(answer.urgent)
        urgent = replace(
            urgent,
            text=f"{urgent.text}\n{answer.urgent.text}",
            cites=tuple(dict.fromkeys((*urgent.cites, *answer.urgent.cites))),
        )
    references = tuple(dict.fromkeys((*_references(kb, parts), *answer.references)))
    return replace(answer, urgent=urgent, references=references)


def _with_reminder(
    kb: KnowledgeBase, answer: Answer, alarms: frozenset[str], title: str = replies.STILL_TO_DO
) -> Answer:
    """Close ``answer`` with what to do now about ``alarms``, told earlier in the chat."""
    entries = [a.entry for a in kb.alerts if a.cue in alarms]
    if not entries:
        return answer
    reminder = _alerts_section(entries, title)
    references = tuple(dict.fromkeys((*answer.references, *_references(kb, [reminder]))))
    return replace(answer, sections=(*answer.sections, reminder), references=references)


def _names_only_drugs(match: Match) -> bool:
    """Return True for a short message that only names a covered drug ("on imuran")."""
    return (
        bool(match.drugs)
        and len(match.words) <= _DRUG_ONLY_WORDS
        and _says_nothing_new(replace(match, drugs=()))
    )


def _says_nothing_new(match: Match) -> bool:
    """Return True for a message that names no drug, topic, red flag or greeting."""
    return not (
        match.drugs
        or match.other_drugs
        or match.topics
        or match.entries
        or match.general
        or match.urgent
        or match.dose
        or match.greeting
        or match.thanks
        or match.uncovered_topic
    )


#: The cue of a follow-up that asks the same for the writer ("what about me?").
_ASKS_FOR_SELF = "asks-for-self"
#: The cue of a follow-up that asks about the other person ("can she have grapefruit?").
_ASKS_FOR_OTHER = "asks-for-other"

#: Cues that say the patient moved on from a drug: a drug named now replaces the chat's.
_MOVED_ON = frozenset({"moved-on", "instead-of", "stopped-already"})


def _compose(kb: KnowledgeBase, match: Match, context: Context | None) -> Answer:
    if match.exclusive:
        return _exclusive(kb, match)
    if context is not None and context.own and _ASKS_FOR_SELF in match.cues and not match.drugs:
        # "I'm on aza", "my wife is on cellcept, can she drink?", then "what about me?":
        # the drug the writer told as their own, on the topic asked before; "what about
        # me, can I take allopurinol?" asks the other medicine with it.
        match = replace(match, drugs=context.own, follow_up=True)
    elif (
        context is not None
        and context.own
        and _ASKS_FOR_OTHER in match.cues
        and _ASKS_FOR_SELF not in match.cues
        and not match.drugs
        and (theirs := tuple(d for d in context.named if d not in context.own))
    ):
        # "I take azathioprine and my wife takes ciclosporin", then "can she have
        # grapefruit?" or "and her with antacids?": the other person's drug, never the
        # writer's own.
        match = replace(match, drugs=theirs, follow_up=True)
    if match.foreign:
        # What to do now, if the message shows it in its own language, then "English only".
        foreign = _AnswerBuilder(kb, match)
        foreign.add_alerts()
        urgent = foreign.urgent_section()
        # "Tomo azatioprina desde hace un mes", then "sorry english better, can I drink
        # wine on it": the drug it named is what the chat is about.
        answer = replace(
            _message_only("foreign", replies.ENGLISH_ONLY, ()), subject=tuple(match.drugs)
        )
        # What its cues say comes first ("estoy embarazada": do not stop the medicine on
        # your own, tell your team), before "English only".
        said = foreign.says()
        if said:
            answer = replace(answer, notices=tuple(dict.fromkeys((*said, *answer.notices))))
        if urgent is None:
            return answer
        return replace(answer, urgent=urgent, references=_references(kb, [urgent]))
    drugs = list(match.drugs)
    if (
        drugs
        and context is not None
        and _ADDED_DRUG in match.cues
        and not match.other_drugs
        and not match.cues & _MOVED_ON
        and not set(drugs) & set(context.drugs)
    ):
        # "I take ciclosporin", then "now the doctor also wants azathioprine, together
        # ok?": the drug added and the chat's drug, both.
        drugs = [*context.drugs, *drugs]
    topics = list(match.topics)
    asks_something = bool(
        topics
        or match.dose
        or match.uncovered_topic
        or match.urgent
        or match.entries
        or (match.other_drugs and _PAIR_QUESTION in match.cues)
        # "I'm on ciclosporin", then "what about nurofen": a medicine the chat's drug's
        # own entries speak of, asked as a follow-up, is asked about with it ("tell me
        # about rituximab" asks about rituximab alone).
        # So is one told as taken with it ("I also take allopurinol", "the doctor
        # prescribed ketoconazole"): the entry on the pair says what to do.
        or bool(
            (match.follow_up or match.cues & _TOLD_TAKEN)
            and match.other_drugs
            and context is not None
            and context.drugs
            and not _strangers(kb, _drugs_of(kb, context.drugs), match.other_drugs)
        )
    )
    # "does pred interact with alcohol?" asks of pred alone; "does nurofen interact with
    # it?" asks of the pair with the chat's drug.
    asked_of_other = match.asks_of_other and _REFERS_BACK not in match.cues
    if (
        not drugs
        and context is not None
        and not match.across
        and not match.about_class
        and not match.unknown_words
        and asks_something
        and (
            # "what about st johns wort" after cyclosporine: a drug the chat's drug
            # speaks of; "can I take omeprazole with it": a pair with the chat's drug.
            # "I'm on myfortic, can I drink?" is about the patient's own drug, though
            # the chat's mycophenolate entries speak of it.
            (
                not _strangers(kb, _drugs_of(kb, context.drugs), match.other_drugs)
                # "I take allopurinol for gout already!!" tells it as taken beside ours.
                and (not match.takes_other or bool(match.cues & _TOLD_TAKEN))
                and not asked_of_other
            )
            or (_PAIR_QUESTION in match.cues and not asked_of_other)
        )
    ):
        # "my daughter takes mycophenolate" then "could it cause cancer": the chat's
        # drug, never the drug whose entry happens to hold the phrase.
        drugs = list(context.drugs)
        if not drugs and match.other_drugs and _PAIR_QUESTION in match.cues:
            # "I'm on Imuran", "what about prednisolone?", then "is it safe with my
            # allopurinol": after a turn about a drug we do not cover, a pair is asked
            # with the drugs the patient named (allopurinol with azathioprine).
            drugs = list(context.named)
    elif (
        not drugs
        and context is not None
        and match.across
        and len(context.drugs) > 1
        and asks_something
        and not match.unknown_words
    ):
        # "dapsone or sirolimus?", then "which one works faster" or "which one shouldn't
        # I take ibuprofen with": the chat's drugs, never every drug whose entries hold
        # the topic or the other medicine.
        drugs = list(context.drugs)
    elif (
        not drugs
        and context is not None
        and match.across
        and context.paired
        and (context.drugs or context.named)
        and asks_something
        and not match.unknown_words
    ):
        # "I'm on azathioprine and prednisolone", then "which one makes me tired?": ours,
        # said beside "not covered" for the other, never every drug with the topic.
        drugs = list(context.drugs or context.named)
        match = replace(
            match, other_drugs=tuple(dict.fromkeys((*match.other_drugs, *context.paired)))
        )
    # "I am on sirolimus", then "should I be concerned about WBC": a follow-up the bot
    # cannot read gets the chat's drug under a plain "not sure", never "not covered".
    unread_follow_up = (
        not drugs
        and not asks_something
        and context is not None
        and bool(context.drugs)
        and not (match.other_drugs or match.unknown_words or match.greeting or match.thanks)
    )
    if unread_follow_up and context is not None:
        saying = [c for c in kb.language.cues if c.says and c.id in match.cues]
        felt = [c.says for c in saying if c.feeling]
        if felt and len(felt) == len(saying):
            # "im just really low today, nothing is working": a turn that only tells how
            # the writer feels is heard, and the chat stays on its drug; the drug's
            # overview under "not sure" would answer a question nobody asked. A turn
            # that tells more ("ive decided to stop it, im fed up") says that too.
            heard = _message_only("answer", felt[0], ())
            return replace(heard, notices=tuple(felt), subject=tuple(context.drugs))
        drugs = list(context.drugs)
    if drugs and not topics and context is not None and (match.follow_up or not context.drugs):
        # "and the side effects?", or the drug named after "which medicine?": the topic
        # asked before.
        topics = list(context.topics)
    interactions = kb.language.roles.interactions
    if (
        drugs
        and context is not None
        and _PAIR_QUESTION in match.cues
        and not match.drugs
        and not match.other_drugs
        and interactions in context.topics
        and interactions not in topics
    ):
        # "he's also on allopurinol", then "should he keep taking both?": the pair the
        # chat spoke of comes first, with what it says to do, before what else is asked.
        topics = [interactions, *topics]
    if match.switched_to_other:
        interactions_only = set(topics) <= {kb.language.roles.interactions}
        if not interactions_only or _strangers(kb, _drugs_of(kb, drugs), match.other_drugs):
            # "I stopped imuran and started tacrolimus, side effects?": the facts of the
            # covered drug would be read as the new drug's.
            drugs = []
        else:
            # "my cellcept has changed to myfortic, same thing?": a switch the covered
            # drug's entries speak of, answered where they speak of it.
            topics = [kb.language.roles.interactions]

    builder = _AnswerBuilder(kb, match, unsure=unread_follow_up)
    alerts = builder.add_alerts()
    if not drugs:
        return _compose_without_drug(kb, match, topics, builder)

    if match.dose:
        builder.notices.append(replies.DOSE_REFUSAL)
    covered = [d for d in (kb.drug(i) for i in drugs) if d is not None]
    if match.uncovered_topic:
        builder.notices.append(
            replies.UNCOVERED_TOPIC.format(
                topic=match.uncovered_topic, drugs=_names(d.name.lower() for d in covered)
            )
        )
    asked = set(topics)
    # What a red flag points to comes with what was asked ("fever on imuran, can I
    # still have my flu jab": the vaccines and the infection entries).
    pointed = [t for alert in alerts for t in alert.topics]
    if builder.generic_urgent and not pointed:
        # A red flag the knowledge has no alert of its own for: the side effects.
        pointed = [kb.language.roles.side_effects]
    topics = list(dict.fromkeys([*topics, *(t for t in pointed if t)]))
    # "not asking about bactrim, just dapsone": a drug put aside is no second medicine.
    strangers = [] if "set-aside" in match.cues else _strangers(kb, covered, match.other_drugs)
    if strangers and (
        # "just been given febuxostat for his gout": the entry named by its own
        # phrase (gout treatments) answers it, with the pair it cannot judge first.
        (_PAIR_QUESTION in match.cues and not _names_an_entry(covered, interactions, match))
        # "melatonin gummies to help me sleep, on dapsone": what is asked is melatonin's.
        # Unless it names what the covered drug's own interactions speak of ("on
        # cyclosporine, also on amlodipine, and she loves her grapefruit").
        or (
            match.topics_of_others
            and asked - {interactions}
            and "comparison" not in match.cues
            and not _asks_about_an_item(kb, covered, match)
        )
        # "is methotrexate safe in pregnancy like azathioprine is?": azathioprine's
        # pregnancy facts would read as methotrexate's.
        or match.likens_to_ours
        or not asked
        or (asked <= {interactions} and not _asks_about_an_item(kb, covered, match))
    ):
        # "naproxen with imuran?", "is romiplostim better than cyclosporine": nothing of
        # the covered drug's own entries answers that, and its facts next to it would
        # read as "naproxen is fine" or as a comparison. What a red flag points to still
        # comes ("38.9 and shivery, can I take paracetamol": the infection entry).
        if _compares(match):
            builder.notices.insert(0, _about_pair(replies.CANNOT_COMPARE, strangers, covered))
        else:
            builder.notices.insert(0, _about_pair(replies.CANNOT_TELL_PAIR, strangers, covered))
        # An infection told or asked with it ("amoxicillin for my tooth infection, on
        # neoral") is answered too: the class-wide infection advice a red flag points to
        # is about the patient, never about the pair.
        told = [t for t in topics if t in kb.language.roles.class_wide]
        flagged = [t for t in dict.fromkeys([*pointed, *told]) if t in _folded(kb).alert_topics]
        answered = [d.id for d in covered if flagged and builder.add_drug(d, flagged, set())]
        for drug in () if answered else covered:
            builder.add_topic_buttons(drug)
        subject = tuple(d.id for d in covered)
        answer = builder.build("answer", drugs=tuple(answered), subject=subject)
        if answered or _PAIR_QUESTION not in match.cues:
            return answer
        # "can I take ibuprofen on dapsone", then "what about on cyclosporin": the chat
        # goes on asking about what may be taken with the drug named next.
        return replace(answer, asked=(interactions,))
    speaking = _topics_speaking_of(kb, covered, match.other_drugs)
    if (
        speaking
        and interactions not in speaking
        and interactions not in topics
        and (not topics or _PAIR_QUESTION in match.cues or set(topics) <= set(speaking))
    ):
        # "rituximab or dapsone, which is better": only what is used when rituximab
        # cannot be speaks of it; the interactions, silent on it, would read as "no
        # problem", and the entry alone as a comparison.
        others = list(match.other_drugs)
        given = _topics_given_with(kb, covered, others)
        if _PAIR_QUESTION in match.cues and given:
            # "can azathioprine be taken with prednisone": the entry that says they are
            # given together answers it.
            topics = [*given, interactions, *topics]
        elif _PAIR_QUESTION in match.cues:
            # "can I have rituximab while on dapsone": the pair is not judged there.
            topics = [*speaking, interactions, *topics]
            builder.notices.insert(0, _about_pair(replies.CANNOT_TELL_PAIR, others, covered))
        else:
            topics = [*speaking, *topics]
            template = replies.NOT_COMPARED if "comparison" in match.cues else replies.NAMED_ONLY
            builder.notices.insert(0, _about_pair(template, others, covered))
    elif (
        match.other_drugs
        and interactions not in topics
        and (not topics or _PAIR_QUESTION in match.cues or match.cues & _TOLD_TAKEN)
    ):
        # "ibuprofen with ciclosporin?", "is nurofen ok with ciclosporin for my period
        # pain": the entry that speaks of the pair comes first.
        topics = [interactions, *topics]
    answered = [drug.id for drug in covered if builder.add_drug(drug, topics, asked)]
    if strangers:
        # "omeprazole and dapsone": the pair is what was asked, so it is the pair that
        # my sources cannot judge; "tacrolimus or sirolimus for sun" compares them.
        template = replies.CANNOT_COMPARE if _compares(match) else replies.CANNOT_TELL_PAIR
        builder.notices.insert(0, _about_pair(template, strangers, covered))
    elif (
        len(covered) > 1
        and _PAIR_QUESTION in match.cues
        and asked <= {interactions}
        and not _speak_of_each_other(kb, covered)
    ):
        # "any interactions between dapsone and sirolimus?": each drug's own list of
        # interactions says nothing of the other, which must not read as "no problem".
        others = [d.name.lower() for d in covered[1:]]
        builder.notices.insert(0, _about_pair(replies.CANNOT_TELL_PAIR, others, covered[:1]))
    return builder.build("answer", drugs=tuple(answered), subject=tuple(d.id for d in covered))


def _compose_without_drug(
    kb: KnowledgeBase, match: Match, topics: list[str], builder: _AnswerBuilder
) -> Answer:
    asks_something = bool(
        match.entries or match.topics or match.general or match.urgent or match.dose
    )
    if (match.other_drugs and not (match.across and match.entries)) or (
        match.unknown_words and asks_something
    ):
        # Anything naming a drug we do not cover, or a name we do not know ("prograf
        # trough level"), gets no fact of a covered drug, only what to do now.
        return _not_covered(kb, match.other_drugs, match.unknown_words, builder)
    class_overview = kb.language.roles.class_overview
    precise_general = [g for g in match.general if g != class_overview]
    # "which immunosuppressant do you stay on for 4 months": a drug entry named by
    # its own phrase beats the bare "what immunosuppressants are"; a class entry as
    # strong as it answers a question about the class that asks for no one drug ("do
    # immunosuppressants cause cancer").
    prefer_general = not match.entries or (
        match.about_class
        and bool(precise_general)
        and (
            match.general_score > match.entry_score
            or (match.general_score == match.entry_score and not match.across)
        )
    )
    if (
        match.general
        and prefer_general
        and (match.about_class or match.across or match.general_score >= 2)
    ):
        # The class-level entries answer questions about immunosuppressants as a
        # group; "what immunosuppressants are" only when nothing more precise matched.
        for entry_id in precise_general or list(match.general):
            general = kb.general_entry(entry_id)
            if general is not None:
                builder.add_entry(general)
    if not builder.sections and match.across:
        # "which one can cause PML": the entries named by their own phrases answer
        # which drug it is; a message that names one of ours ("Dad is on ciclosporin,
        # allopurinol and ibuprofen... all of it") gets only that drug's, never the
        # facts of drugs the patient does not take.
        named = set(match.drugs)
        for key in match.entries:
            entry = kb.find_entry(key)
            if entry is not None and (not named or entry.drug_id in named):
                builder.add_entry(entry)
    if not builder.sections and topics:
        topic_id = topics[0]
        fallback = kb.general_entry(topic_id)
        holders = list(kb.drugs_with_topic(topic_id))
        if fallback is not None:
            builder.add_entry(fallback)
        elif holders and match.across:
            for drug in holders:
                entry = drug.entry(topic_id)
                if entry is not None:
                    builder.add_entry(entry)
        elif holders and not builder.alerts and not builder.generic_urgent and not builder.advice:
            # A topic phrase names no drug ("grapefruit with blood pressure pills"):
            # ask which medicine, never answer with the one whose entry holds it.
            topic = kb.topic(topic_id)
            title = topic.title.lower() if topic else topic_id
            # "what is the G6PD test for": the drugs whose own entries hold the words.
            named = {k.split(".", 1)[0] for k in match.entries if k.endswith(f".{topic_id}")}
            holders = [d for d in holders if d.id in named] or holders
            # "can I stop my steroids now": what the cues say ("don't stop on your
            # own") comes with the question back.
            which = _clarify(
                replies.WHICH_MEDICINE.format(topic=title),
                [Button(d.name, f"e:{d.id}.{topic_id}") for d in holders[:_MAX_BUTTONS]],
            )
            return replace(which, asked=(topic_id,), notices=(*builder.says(), *which.notices))
    if (
        builder.sections
        or builder.alerts
        or builder.advice
        or builder.generic_urgent
        or builder.notices
        or builder.says()
    ):
        drugs = tuple(dict.fromkeys(s.drug_id for s in builder.sections if s.drug_id))
        return builder.build("answer", drugs=drugs)
    if match.dose:
        return _clarify(replies.DOSE_CLARIFY, drug_buttons(kb))
    if match.greeting or match.thanks:
        opening = replies.WELCOME if match.thanks and not match.greeting else replies.HELLO
        return _message_only(
            "greeting", f"{opening} {_coverage(kb)} {replies.GREETING_TAIL}", drug_buttons(kb)
        )
    return _not_covered(kb, ())


def _exclusive(kb: KnowledgeBase, match: Match) -> Answer:
    """The reply to a cue that overrides everything (a crisis): its alert alone."""
    alerts = [a for a in kb.alerts if a.cue in match.cues]
    entries = [a.entry for a in alerts] or [kb.urgent]
    # Red flags told with a crisis only the learned model heard, or after a crisis told
    # earlier in the chat, open the reply: the model may be wrong, and what to do now
    # about a swallowed tablet, a bleed or a low count is never left out.
    entries = [a.entry for a in kb.alerts if a.cue in match.heard_with] + entries
    return Answer(
        kind="crisis",
        urgent=None,
        notices=tuple(e.answer for e in entries),
        sections=(),
        references=_references(kb, entries),
        caution=None,
        buttons=(),
        drugs=(),
        topics=tuple(e.key for e in entries),
    )


def _still_valid(kb: KnowledgeBase, context: Context | None) -> Context | None:
    """Drop what a reload removed from what the chat talked about."""
    if context is None:
        return None
    context = replace(
        context,
        drugs=tuple(d for d in context.drugs if kb.drug(d) is not None),
        topics=tuple(t for t in context.topics if kb.topic(t) is not None),
        own=tuple(d for d in context.own if kb.drug(d) is not None),
    )
    kept = (
        context.drugs
        or context.topics
        or context.cues
        or context.crisis
        or context.strangers
        or context.alarms
    )
    return context if kept else None


@dataclass(frozen=True)
class _Folded:
    """What composing compares with, folded once per knowledge (not once per question)."""

    spoken: dict[str | None, str]
    """Per drug id (None: the class entries), every word its entries say or match on."""
    spoken_by_entry: dict[str, str]
    """Per entry key of a drug's entry, every word it says or matches on."""
    other_topic_phrases: frozenset[str]
    """Phrases of topics that are not lists: their own entries answer them."""
    aliases: dict[str, str]
    said_as: dict[str, str]
    """Patients' words for a sign, each with the words the sources use."""
    remembered: frozenset[str]
    """Cues the chat keeps for its next questions."""
    urgent: frozenset[str]
    """Cues that open the reply with what to do now."""
    exclusive: frozenset[str]
    """Cues whose reply is the whole reply (a crisis)."""
    result_talks: tuple[Cue, ...]
    """The cues that say a chat speaks of a blood result (``reads-numbers``); the label
    of each is the word a bare number is read with after it."""
    low_count: Cue | None
    """The cue of a platelet count below its ``below`` (the one that needs action now)."""
    over: frozenset[str]
    """Cues that say a red flag is over ("gone now"): it is not repeated from the chat."""
    overridden_by: dict[str, tuple[str, ...]]
    """Per cue, the cues it overrides (a near miss: the poisoning cues), as declared."""
    hides: dict[str, str]
    """Per cue, the topic the reply leaves out when it fires (``hides-topic``)."""
    tensed: frozenset[str]
    """Red flags that time and negation quiet (not a swallowed tablet, not a crisis)."""
    reminds_after: frozenset[str]
    """Standing alarms that follow the answer to a question on another subject."""
    eases_crisis: frozenset[str]
    """Cues that tell the chat's crisis is in hand: its lines follow the answer."""
    about_other: dict[str, tuple[Entry, ...]]
    """Per medicine we do not cover, the class entries one of whose phrases is its name
    (Myfortic): they follow its "not covered" line."""
    guessed: frozenset[str]
    """Cues a learned model hears as the opposite of its own (the emergency opinion): a
    guess from the whole message, never a red flag a rule read."""
    calm_after_crisis: frozenset[str]
    """Topics a question after a crisis may ask and be answered first (calm, background)."""
    lasting: frozenset[str]
    """Red flags that time does not quiet (a contact, a swallowed tablet, an extra dose;
    not a crisis, which the chat keeps apart): they stand over the chat's next questions
    ("she seems ok, should I ring someone")."""
    plain_words: frozenset[str]
    """Words that ask nothing of their own: everyday and overview words, the words of the
    cues' phrases and of the drugs' names (see ``_AnswerBuilder._unread``)."""
    alert_topics: frozenset[str]
    """Topics some alert points to, whose entries follow it ("if too much was taken")."""


_FOLDED: dict[int, tuple[weakref.ref[KnowledgeBase], _Folded]] = {}
# How many words a message that only names the drug has at most ("i take cellcept, should
# i worry"): a longer one tells something of its own.
_DRUG_ONLY_WORDS = 8
# A question about a drug with this many words read as nothing gets "not sure", not the
# overview ("imuran and my stupid ankles" is two words; a story is more).
_UNREAD_ENOUGH = 2


def _plain_words(kb: KnowledgeBase) -> frozenset[str]:
    language = kb.language
    lists = (
        language.common_words,
        language.overview_words,
        language.generic_words,
        language.negations,
        language.negation_fillers,
        language.undo_negation,
        language.dose_verbs,
        language.medicine_cues,
        language.foreign_words,
    )
    words = {w for listed in lists for phrase in listed for w in normalize(phrase).split()}
    words |= {w for cue in language.cues for p in cue.phrases for w in normalize(p).split()}
    words |= {w for drug in kb.drugs for name in drug.names for w in normalize(name).split()}
    return frozenset(words)


def _folded(kb: KnowledgeBase) -> _Folded:
    cached = _FOLDED.get(id(kb))
    if cached is not None and cached[0]() is kb:
        return cached[1]
    spoken_by_entry = {
        e.key: " " + " | ".join(normalize(t) for t in (e.answer, *e.phrases)) + " "
        for drug in kb.drugs
        for e in drug.entries
    }
    spoken: dict[str | None, str] = {
        drug.id: " "
        + " | ".join(
            [normalize(drug.overview.answer)]
            + [spoken_by_entry[e.key].strip() for e in drug.entries]
        )
        + " "
        for drug in kb.drugs
    }
    about_other: dict[str, tuple[Entry, ...]] = {}
    for entry in kb.general:
        for name in {normalize(p) for p in entry.phrases} & {normalize(n) for n in kb.other_drugs}:
            about_other[name] = (*about_other.get(name, ()), entry)
    # A class entry about a medicine we do not cover (Myfortic) speaks of it only to say
    # what the sources say of that medicine: it never makes that medicine one of ours.
    about = {e.key for entries in about_other.values() for e in entries}
    spoken[None] = (
        " " + " | ".join(normalize(e.answer) for e in kb.general if e.key not in about) + " "
    )
    listing = kb.language.roles.listing
    folded = _Folded(
        spoken=spoken,
        spoken_by_entry=spoken_by_entry,
        other_topic_phrases=frozenset(
            normalize(p) for t in kb.topics if t.id not in listing for p in t.phrases
        ),
        aliases={normalize(k): normalize(v) for k, v in kb.language.also_known_as},
        said_as={normalize(k): normalize(v) for k, v in kb.language.said_as},
        remembered=frozenset(c.id for c in kb.language.cues if c.remembered),
        urgent=frozenset(c.id for c in kb.language.cues if c.urgent),
        exclusive=frozenset(c.id for c in kb.language.cues if "*" in c.overrides),
        result_talks=tuple(c for c in kb.language.cues if c.reads_numbers),
        low_count=next((c for c in kb.language.cues if c.below is not None), None),
        over=frozenset(c.id for c in kb.language.cues if c.ends_alarms),
        overridden_by={c.id: c.overrides for c in kb.language.cues if c.overrides},
        hides={c.id: c.hides_topic for c in kb.language.cues if c.hides_topic},
        tensed=frozenset(c.id for c in kb.language.cues if c.negatable and not c.timeless),
        reminds_after=frozenset(c.id for c in kb.language.cues if c.reminds_after),
        eases_crisis=frozenset(c.id for c in kb.language.cues if c.eases_crisis),
        about_other=about_other,
        guessed=frozenset(c.opposite for c in kb.language.learned if c.opposite),
        calm_after_crisis=frozenset(
            (
                *kb.language.roles.calm_topics,
                *kb.language.roles.background,
                *kb.language.roles.class_wide,
            )
        ),
        lasting=frozenset(
            c.id for c in kb.language.cues if c.urgent and c.timeless and "*" not in c.overrides
        ),
        plain_words=_plain_words(kb),
        alert_topics=frozenset(t for a in kb.alerts for t in a.topics),
    )
    if len(_FOLDED) > 8:  # reloads replace the knowledge; keep the cache small
        _FOLDED.clear()
    _FOLDED[id(kb)] = (weakref.ref(kb), folded)
    return folded


def _strangers(kb: KnowledgeBase, covered: list[Drug], others: tuple[str, ...]) -> list[str]:
    """Return the drugs we do not cover that no entry of the covered drugs speaks of."""
    folded = _folded(kb)
    texts = [folded.spoken.get(d.id, "") for d in covered] + [folded.spoken[None]]
    return [
        n
        for n in others
        if not any(w in t for w in _padded_names(folded, n) for t in texts)
        and not _topics_given_with(kb, covered, [n])
    ]


def _topics_speaking_of(kb: KnowledgeBase, covered: list[Drug], names: Iterable[str]) -> list[str]:
    """Return the topics of the covered drugs' entries whose answer or phrases name a drug."""
    folded = _folded(kb)
    names = list(names)
    wanted = [w for name in names for w in _padded_names(folded, name)]
    if not wanted:
        return []
    return list(
        dict.fromkeys(
            [
                *(
                    e.topic_id
                    for drug in covered
                    for e in drug.entries
                    if any(w in folded.spoken_by_entry[e.key] for w in wanted)
                ),
                *(t for name in names for t in _topics_given_with(kb, covered, [name])),
            ]
        )
    )


def _topics_given_with(kb: KnowledgeBase, covered: list[Drug], names: list[str]) -> list[str]:
    """Return the topics of the covered drugs' entries that say the drug is given together
    with every one of ``names`` (their ``given-with``); none where one name is not."""
    folded = _folded(kb)
    topics = [
        e.topic_id
        for drug in covered
        for e in drug.entries
        if e.given_with
        and all(
            normalize(name) in e.given_with
            or folded.aliases.get(normalize(name), "") in e.given_with
            for name in names
        )
    ]
    return list(dict.fromkeys(topics)) if names else []


def _padded_names(folded: _Folded, name: str) -> tuple[str, ...]:
    """Return a medicine's name and the name the sources call it, as found in spoken text."""
    name = normalize(name)
    return (f" {name} ", f" {folded.aliases.get(name, name)} ")


def _asks_about_an_item(kb: KnowledgeBase, covered: list[Drug], match: Match) -> bool:
    """Return True when the question names an item a covered drug's interactions speak of.

    "not everolimus! sirolimus. grapefruit ok?" asks about grapefruit, which the
    sirolimus entry answers, not about everolimus with sirolimus.
    """
    generic = frozenset(kb.language.generic_words)
    said_as = _folded(kb).said_as
    content = [w for p in match.phrases for w in _content(p, generic, said_as)]
    entries = [d.entry(kb.language.roles.interactions) for d in covered]
    return bool(content) and any(e is not None and _mentions(e, content) for e in entries)


def _names_an_entry(covered: list[Drug], topic_id: str, match: Match) -> bool:
    """Return True when the message names, by its own phrase, a covered drug's entry on a topic."""
    return any(e.key in match.entries for d in covered for e in d.entries if e.topic_id == topic_id)


def _drugs_of(kb: KnowledgeBase, drug_ids: Iterable[str]) -> list[Drug]:
    return [d for d in (kb.drug(i) for i in drug_ids) if d is not None]


def _speak_of_each_other(kb: KnowledgeBase, covered: list[Drug]) -> bool:
    """Return True when an entry of one of the covered drugs names another of them."""
    spoken = _folded(kb).spoken
    return any(
        f" {normalize(name)} " in spoken.get(drug.id, "")
        for drug in covered
        for other in covered
        if other is not drug
        for name in other.names
    )


def _about_pair(template: str, strangers: list[str], covered: list[Drug]) -> str:
    """Fill a "can't tell" or "can't compare" notice for drugs we do not cover."""
    return template.format(
        others=_names(strangers),
        is_are=_is_are(tuple(strangers)),
        drugs=_names(d.name.lower() for d in covered),
    )


def answer_for_callback(kb: KnowledgeBase, data: str) -> Answer | None:
    """Answer a button press: ``e:<entry key>`` or ``d:<drug id>``.

    Args:
        kb: the knowledge to answer from.
        data: the callback data of the pressed button.

    Returns:
        The answer, or None when the button no longer matches the knowledge
        (an old message after a reload).
    """
    kind, _, value = data.partition(":")
    builder = _AnswerBuilder(kb, None)
    if kind == "d":
        drug = kb.drug(value)
        if drug is None:
            return None
        builder.add_overview(drug)
        return builder.build("answer", drugs=(drug.id,))
    if kind == "e":
        entry = kb.find_entry(value)
        if entry is None or entry.key in ("general.caution", "general.urgent"):
            return None
        if entry.key.startswith("alert."):
            return None
        builder.add_entry(entry)
        return builder.build("answer", drugs=(entry.drug_id,) if entry.drug_id else ())
    return None


def answer_per_section(kb: KnowledgeBase, answer: Answer) -> list[Answer]:
    """Split an answer into one answer per section, each complete on its own.

    Each part keeps the what-to-do-now text and the notices (a dose question, a drug
    not covered), its own references and the caution: inline results are sent one at
    a time, and none may lose "Contact your doctor now".

    Args:
        kb: the knowledge the answer came from.
        answer: the answer to split.

    Returns:
        One answer per section; the answer itself when it has no section.
    """
    if not answer.sections:
        return [answer]
    parts = []
    for section in answer.sections:
        pieces: list[Entry | Section] = [section]
        if answer.urgent is not None:
            pieces.insert(0, answer.urgent)
        if answer.caution is not None:
            pieces.append(answer.caution)
        parts.append(
            Answer(
                kind=answer.kind,
                urgent=answer.urgent,
                notices=answer.notices,
                sections=(section,),
                references=_references(kb, pieces),
                caution=answer.caution,
                buttons=(),
                drugs=(section.drug_id,) if section.drug_id else (),
                topics=(section.entry_key,),
            )
        )
    return parts


#: A name of two or more capitalised words ("National Kidney Federation", "Versus
#: Arthritis"): who says a fact, never what the fact is about.
_PROPER_NAME = re.compile(r"\b[A-Z][a-z']+(?:\s+[A-Z][a-z']+)+")


@functools.lru_cache(maxsize=512)
def _spoken_words(answer: str) -> tuple[str, ...]:
    """Return the words an answer speaks of, less the names of who says it."""
    return tuple(normalize(_PROPER_NAME.sub(" ", answer)).split())


def _mentions(entry: Entry, content: list[str]) -> bool:
    """Return True when the entry's answer speaks of one of ``content`` ("dizzy": "dizziness").

    "does sirolimus affect kidneys": the National Kidney Federation giving a grapefruit
    rule says nothing of kidneys.
    """
    answer_words = _spoken_words(entry.answer)
    return any(any(a.startswith(w[:4]) for a in answer_words) for w in content)


def _unmentioned(
    phrases: Iterable[str], entry: Entry, generic: frozenset[str], said_as: dict[str, str]
) -> list[str]:
    """Return the specific phrases of a question that an entry's answer never mentions.

    A word counts as mentioned when a word of the answer starts like it ("dizzy" and
    "dizziness"), so only what is truly absent ("hair loss", "kidney") is returned.
    """
    own = {_stemmed(p) for p in entry.phrases}
    missing: list[str] = []
    # Longest first, so "hair loss" is said once and "hair" not again.
    for phrase in sorted(phrases, key=len, reverse=True):
        content = _content(phrase, generic, said_as)
        if not content or phrase in own or any(set(content) <= set(m.split()) for m in missing):
            continue
        if not _mentions(entry, content):
            missing.append(phrase)
    return missing[:2]


def _stemmed(phrase: str) -> str:
    """Fold a phrase the way the message's phrases are found ("swollen ankles": "swollen ankle")."""
    return " ".join(stem(w) for w in normalize(phrase).split())


def _content(phrase: str, generic: frozenset[str], said_as: dict[str, str]) -> list[str]:
    """Return the words of a phrase that say what it asks, each as the sources say it.

    "ankles all puffy": the sources' "swelling" (vocabulary ``said-as``), so an answer
    that lists swelling is never "my sources do not mention puffy".
    """
    words = [w for w in phrase.split() if len(w) >= 3 and w not in generic]
    return [said for w in words for said in said_as.get(w, w).split()]


class _AnswerBuilder:
    def __init__(self, kb: KnowledgeBase, match: Match | None, *, unsure: bool = False) -> None:
        self.kb = kb
        self.match = match
        #: The bot could not read what was asked, however few words it missed.
        self.unsure = unsure
        #: The reply says so above an overview ("I'm not sure I understood").
        self.said_not_sure = False
        self.alerts: list[Alert] = []
        self.advice: list[Alert] = []
        self.generic_urgent = False
        self.notices: list[str] = []
        self.sections: list[Section] = []
        self.buttons: list[Button] = []

    def add_alerts(self) -> list[Alert]:
        """Add what to do now for every cue that calls for it, most serious first."""
        match = self.match
        if match is None:
            return []
        self.alerts = [a for a in self.kb.alerts if a.cue in match.cues]
        # "plt 9 and my gums are bleeding": one instruction for both, never a "today"
        # beside an "emergency now" that a frightened reader must choose between.
        told_with = {
            a.cue: set(a.together) & match.cues
            for a in self.alerts
            if a.together_entry is not None and set(a.together) & match.cues
        }
        if told_with:
            left_out = set().union(*told_with.values())
            # What the alerts left out point to still follows (the side effects).
            pointed = tuple(t for a in self.alerts if a.cue in left_out for t in a.topics)
            self.alerts = [
                replace(
                    a, entry=a.together_entry, topics=tuple(dict.fromkeys((*a.topics, *pointed)))
                )
                if a.cue in told_with and a.together_entry
                else a
                for a in self.alerts
                if a.cue not in left_out
            ]
        self.advice = [
            a for a in self.kb.alerts if a.cue in match.asked_flags and a.cue not in match.cues
        ]
        urgent_alerts = {a.cue for a in self.alerts if self._is_urgent(a.cue)}
        if match.urgent and not urgent_alerts:
            # An urgent cue the knowledge has no words of its own for.
            self.generic_urgent = True
        return self.alerts

    def _is_urgent(self, cue_id: str) -> bool:
        return cue_id in _folded(self.kb).urgent

    def add_entry(self, entry: Entry, title: str | None = None, link: str | None = None) -> bool:
        """Add a section for ``entry``; return False when it is there already or no room."""
        if any(s.entry_key == entry.key for s in self.sections):
            return False
        if len(self.sections) >= _MAX_SECTIONS:
            self.notices.append(replies.TOO_MANY)
            return False
        if title is None:
            drug = self.kb.drug(entry.drug_id) if entry.drug_id else None
            title = f"{drug.name}: {entry.title}" if drug else entry.title
        self.sections.append(_section_of(entry, title, link))
        return True

    def add_overview(self, drug: Drug) -> None:
        if self.add_entry(drug.overview, drug.name, drug.link):
            self.add_topic_buttons(drug)

    def add_topic_buttons(self, drug: Drug) -> None:
        known = {b.data for b in self.buttons}
        self.buttons.extend(
            Button(e.title, f"e:{e.key}")
            for e in drug.entries[:_MAX_BUTTONS]
            if f"e:{e.key}" not in known
        )

    def add_drug(self, drug: Drug, topics: list[str], asked: set[str]) -> bool:
        """Add what the sources say about ``drug``; return True if any of it fitted.

        With no topic asked the overview answers ("what is imuran?"); a topic the
        sources do not cover for the drug is said plainly, with the drug's topics as
        buttons, never answered by the overview.
        """
        before = len(self.sections)
        roles = self.kb.language.roles
        entries = self.match.entries if self.match is not None else ()
        chosen: list[Entry] = [e for e in drug.entries if e.key in entries and e.topic_id in topics]
        missing: list[str] = []
        for topic_id in topics:
            entry = drug.entry(topic_id)
            if entry is not None:
                if entry not in chosen:
                    chosen.append(entry)
            elif topic_id != roles.contraindications or not chosen:
                missing.append(topic_id)
        chosen = chosen[:_MAX_TOPICS_PER_DRUG]
        for entry in chosen:
            self.add_entry(entry)
            class_wide = self.kb.general_entry(entry.topic_id)
            if class_wide is not None and entry.topic_id in roles.class_wide:
                # Said once, under its own title: it speaks for every drug of the class.
                self.add_entry(class_wide)
        if any(e.topic_id in roles.listing for e in chosen):
            self._say_unmentioned(drug, chosen)
        answered = bool(chosen)
        for topic_id in missing:
            fallback = self.kb.general_entry(topic_id)
            if fallback is not None:
                # The class-level entry speaks for every immunosuppressant.
                # Titled as the class's, never as the drug's: the sources do not name it.
                class_level = topic_id in (*roles.class_wide, *roles.class_risks)
                self.add_entry(
                    fallback,
                    replies.CLASS_TITLE.format(title=fallback.title, drug=drug.name)
                    if class_level
                    else fallback.title,
                )
                answered = True
                continue
            # "wine on dapsone" reads as interactions and alcohol: what is answered
            # never stands in for what the sources do not cover, which is said plainly.
            topic = self.kb.topic(topic_id)
            title = topic.title.lower() if topic else topic_id
            # A topic that only other alerts point to ("the dog ate two of my imuran":
            # the vet's alert, not the overdose one) needs no "my sources do not cover".
            elsewhere = (
                self.alerts
                and topic_id in _folded(self.kb).alert_topics
                and not any(topic_id in a.topics for a in self.alerts)
            )
            if topic_id in asked and not elsewhere:
                self.notices.append(
                    replies.NO_TOPIC_FOR_DRUG.format(topic=title, drug=drug.name.lower())
                )
                if topic is not None and topic.safety_net is not None:
                    self.add_safety_net(topic_id, topic.safety_net)
        uncovered = self.match is not None and bool(self.match.uncovered_topic)
        if not answered and not any(s.drug_id == drug.id for s in self.sections):
            if asked or uncovered:
                # "can I drive on ciclosporin": the notice says the sources do not cover
                # driving; the overview after it would read as the answer, so the drug's
                # topics come as buttons instead.
                self.add_topic_buttons(drug)
            elif self.urgent_section() is None:
                dose = self.match is not None and self.match.dose
                unread = self._unread() >= _UNREAD_ENOUGH
                if not dose and (self.unsure or unread):
                    # "Pete reckons the gnomes look shifty, he's on mycophenolate": words
                    # read as nothing; the overview comes under a plain "not sure", with
                    # what to do if someone is in danger, so it never reads as the answer.
                    self.notices.append(replies.NOT_SURE.format(drug=drug.name.lower()))
                    self.said_not_sure = True
                self.add_overview(drug)
        return len(self.sections) > before

    def add_safety_net(self, topic_id: str, cue_id: str) -> None:
        """Say what to do if it happens where the sources are silent on what was asked.

        "what happens if you take too many imuran": no source answers it for
        azathioprine, so the extra-dose advice comes under "If it happens", unless the
        reply already opens with what to do about it ("my son swallowed two of my
        imuran": the child's alert) or gives it.
        """
        # "what if my child swallowed one of my imuran": the red flag the question speaks
        # of (a child's, not the extra-dose one) says what to do, where it points here.
        for heard in self.match.heard_flags if self.match is not None else ():
            spoken = self.kb.alert(heard)
            if spoken is not None and topic_id in spoken.topics:
                cue_id = heard
                break
        if any(a.cue == cue_id or topic_id in a.topics for a in self.alerts) or any(
            a.cue == cue_id for a in self.advice
        ):
            return
        alert = self.kb.alert(cue_id)
        if alert is not None:
            self.advice.append(alert)

    def _unread(self) -> int:
        """Return how many words of the question the bot read as nothing at all."""
        if self.match is None:
            return 0
        plain = _folded(self.kb).plain_words
        others = {w for name in self.match.other_drugs for w in normalize(name).split()}
        return sum(
            1
            for w in self.match.words
            if len(w) > 2 and w.isalpha() and w not in plain and w not in others
        )

    def _say_unmentioned(self, drug: Drug, chosen: list[Entry]) -> None:
        """Name what the question asks that the lists shown do not, or the entry that does.

        "can cellcept cause cancer": the class entry on cancer answers it, so no "my
        sources do not mention"; only what no entry of the drug or the class speaks of.
        A phrase of another topic ("sun", "vaccine") is that topic's business: it gets
        its own entry or its own "do not cover", never "not mentioned".
        """
        if self.match is None:
            return
        roles = self.kb.language.roles
        generic = frozenset(self.kb.language.generic_words)
        other_topics = _folded(self.kb).other_topic_phrases
        # What the alerts above say counts as shown: "skin peeling off" after the skin
        # alert is no "my sources do not mention skin".
        said = [*(e.answer for e in chosen), *(a.entry.answer for a in self.alerts)]
        shown = Entry("shown", None, "", "", (), " ".join(said), ())
        own = {_stemmed(p) for e in chosen for p in e.phrases}
        phrases = [p for p in self.match.phrases if p not in other_topics and p not in own]
        said_as = _folded(self.kb).said_as
        for phrase in _unmentioned(phrases, shown, generic, said_as):
            content = _content(phrase, generic, said_as)
            # Any entry of the drug that speaks of it ("liver" is in the alcohol entry),
            # or a class entry on risks; never a transplant mention in "what it is for".
            candidates = (
                *(e for e in drug.entries if e.topic_id not in roles.background),
                *(e for e in self.kb.general if e.topic_id in roles.class_risks),
            )
            elsewhere = [e for e in candidates if e not in chosen and _mentions(e, content)]
            if elsewhere:
                self.add_entry(elsewhere[0])
                continue
            self.notices.append(replies.NOT_MENTIONED.format(phrase=phrase, drug=drug.name.lower()))

    def says(self, only: frozenset[str] | None = None) -> list[str]:
        """The language's sentences for the cues that fired (fear, low mood...).

        ``only``: the cue ids whose sentences may be said, when not all may.
        """
        if self.match is None:
            return []
        answered = {s.entry_key.rsplit(".", 1)[-1] for s in self.sections}
        lines = []
        for cue in self.kb.language.cues:
            if cue.says and cue.id in self.match.cues and (only is None or cue.id in only):
                if cue.with_topic and cue.with_topic not in answered:
                    continue
                lines.append(cue.says)
        return lines

    def urgent_section(self) -> Section | None:
        urgent = [a.entry for a in self.alerts if self._is_urgent(a.cue)]
        if self.generic_urgent:
            urgent.append(self.kb.urgent)
        return _alerts_section(urgent) if urgent else None

    def _advice_title(self, cue_id: str) -> str:
        """Return the title of what to do about a red flag or crisis the message does not tell."""
        if cue_id in _folded(self.kb).exclusive:
            # A crisis doubted ("my leaflet warns of suicidal thoughts"): its lines still
            # come, for the reader who does have such thoughts.
            return replies.IF_THOUGHTS_LIKE_THESE
        return replies.IF_IT_HAPPENS

    def build(self, kind: str, drugs: tuple[str, ...], subject: tuple[str, ...] = ()) -> Answer:
        caution = _section(self.kb.caution, self.kb.caution.title)
        informing = [a.entry for a in self.alerts if not self._is_urgent(a.cue)]
        # "what if i took too many cellcept by mistake": the drug's own entry on it says
        # what to do, so the alert its topic would fall back on is not said again.
        answered = {
            topic.safety_net
            for s in self.sections
            if s.drug_id
            and (topic := self.kb.topic(s.entry_key.split(".", 1)[1])) is not None
            and topic.safety_net
        }
        sections = (
            [
                _section(a.entry, self._advice_title(a.cue))
                for a in self.advice
                if a.cue not in answered
            ]
            + [_section(e, "") for e in informing]
            + self.sections
        )
        urgent = self.urgent_section()
        parts: list[Entry | Section] = [*sections, caution]
        if urgent is not None:
            parts.insert(0, urgent)
        if kind == "answer" and not sections and urgent is None:
            kind = "no_entry"
        return Answer(
            kind=kind,
            urgent=urgent,
            notices=tuple(dict.fromkeys([*self.says(), *self.notices])),
            sections=tuple(sections),
            references=_references(self.kb, parts),
            caution=caution,
            buttons=tuple(self.buttons),
            drugs=drugs,
            topics=tuple(s.entry_key for s in sections),
            subject=subject if not drugs else (),
            understood=not self.said_not_sure,
        )


def _section(entry: Entry, title: str) -> Section:
    return Section(
        title=title,
        text=entry.answer,
        entry_key=entry.key,
        drug_id=entry.drug_id,
        checked=entry.checked,
    )


def _references(kb: KnowledgeBase, parts: Iterable[Entry | Section]) -> tuple[Reference, ...]:
    """Return the references the parts cite, in order of first citation."""
    seen: dict[str, Reference] = {}
    for part in parts:
        if isinstance(part, Section) and part.cites:
            ref_ids: tuple[str, ...] = part.cites
        else:
            entry = part if isinstance(part, Entry) else kb.find_entry(part.entry_key)
            if entry is None:
                continue
            ref_ids = entry.references
        for ref_id in ref_ids:
            ref = kb.reference(ref_id)
            if ref is not None and ref_id not in seen:
                seen[ref_id] = ref
    return tuple(seen.values())


def _message_only(kind: str, text: str, buttons: Iterable[Button]) -> Answer:
    """An answer that states no fact: a question back, a greeting, "not covered"."""
    return Answer(
        kind=kind,
        urgent=None,
        notices=(text,),
        sections=(),
        references=(),
        caution=None,
        buttons=tuple(buttons),
        drugs=(),
        topics=(),
    )


def _clarify(question: str, buttons: Iterable[Button]) -> Answer:
    return _message_only("clarify", question, buttons)


def _not_covered(
    kb: KnowledgeBase,
    other_drugs: tuple[str, ...],
    unknown: tuple[str, ...] = (),
    builder: _AnswerBuilder | None = None,
) -> Answer:
    if other_drugs:
        opening = replies.NOT_COVERED_NAMES.format(
            names=_names(other_drugs), is_are=_is_are(other_drugs)
        )
    elif unknown:
        opening = replies.NOT_COVERED_UNKNOWN.format(names=_names(f'"{w}"' for w in unknown[:3]))
    else:
        opening = replies.NOT_COVERED_PLAIN
    answer = replace(
        _message_only(
            "not_covered",
            f"{opening} {_coverage(kb)} {replies.NOT_COVERED_TAIL}",
            drug_buttons(kb),
        ),
        strangers=(*other_drugs, *unknown),
    )
    about_other = _folded(kb).about_other
    named = list(dict.fromkeys(e for n in other_drugs for e in about_other.get(normalize(n), ())))
    if named:
        # "myfortic and pregnancy": a class entry whose own phrase is the medicine's
        # name (a form of one of ours the sources speak of) is about that medicine,
        # never an unrelated fact beside "not covered".
        answer = replace(
            answer,
            sections=tuple(map(_section_of, named)),
            references=_references(kb, named),
        )
    if builder is None:
        return answer
    # "can I stop my prednisolone now": never a bare "not covered" where the message
    # tells what its cues speak to (do not stop on your own, low mood, a pregnancy).
    # Where it names one of ours ("I stopped imuran and started tacrolimus"), what most
    # of its cues say is about ours, which this reply does not answer; only what the
    # patient does with their own medicine is said ("don't stop or change it on your
    # own", "never share yours").
    said = (
        [] if builder.match is None else builder.says(_OWN_ACTIONS if builder.match.drugs else None)
    )
    if said:
        answer = replace(answer, notices=tuple(dict.fromkeys((*said, *answer.notices))))
    urgent = builder.urgent_section()
    if urgent is None:
        return answer
    # What to do now is said whatever else the message says.
    return replace(answer, urgent=urgent, references=_references(kb, [urgent]))


def _section_of(entry: Entry, title: str | None = None, link: str | None = None) -> Section:
    return Section(
        title=entry.title if title is None else title,
        text=entry.answer,
        entry_key=entry.key,
        drug_id=entry.drug_id,
        link=link,
        checked=entry.checked,
    )


def _coverage(kb: KnowledgeBase) -> str:
    described = []
    for drug in kb.drugs[:_MAX_COVERAGE_NAMES]:
        brands = [n for n in drug.names if n[:1].isupper() and n.lower() != drug.name.lower()]
        suffix = f" ({', '.join(brands[:2])})" if brands else ""
        described.append(f"{drug.name.lower()}{suffix}")
    if len(kb.drugs) > _MAX_COVERAGE_NAMES:
        described.append(replies.COVERAGE_MORE.format(count=len(kb.drugs) - _MAX_COVERAGE_NAMES))
    return replies.COVERAGE.format(names=_names(described))


def drug_buttons(kb: KnowledgeBase) -> tuple[Button, ...]:
    """Return a button per covered drug, at most a phone's worth of them."""
    return tuple(Button(d.name, f"d:{d.id}") for d in kb.drugs[:_MAX_BUTTONS])


def _names(names: Iterable[str]) -> str:
    # A made-up "drug" name is echoed back: never at any length.
    items = [n if len(n) <= _MAX_ECHOED_NAME else n[: _MAX_ECHOED_NAME - 3] + "..." for n in names]
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} and {items[-1]}"


def _capitalized(text: str) -> str:
    return text[:1].upper() + text[1:]


def _is_are(items: tuple[str, ...]) -> str:
    # A kind of medicine named in the plural ("sleeping tablets") is plural too.
    plural = len(items) == 1 and " " in items[0] and items[0].endswith("s")
    return "are" if len(items) > 1 or plural else "is"
