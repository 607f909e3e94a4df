"""How the bot reads a message, as data: word lists, cues and topic roles.

The model only; the loader lives with the rest of the knowledge loader
(:mod:`bot.knowledge`), so that the language file is validated, reloaded and
diffed together with the facts. Nothing here decides anything: the matcher
(:mod:`bot.matching`) and the composer (:mod:`bot.rendering`) read these values.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

__all__ = [
    "LIST_ROLES",
    "ROLE_NAMES",
    "VOCABULARY_LISTS",
    "Cue",
    "Language",
    "LearnedCue",
    "Roles",
    "Signal",
]

#: The word lists of ``vocabulary`` (besides ``shorthand``, a mapping).
VOCABULARY_LISTS = (
    "common-words",
    "drug-suffixes",
    "negations",
    "negation-fillers",
    "not-symptoms",
    "dose-verbs",
    "medicine-cues",
    "pair-words",
    "own-leads",
    "generic-words",
    "frame-words",
    "foreign-words",
    "advice-openings",
    "undo-negation",
    "overview-words",
    "word-forms",
    "phrase-fillers",
    "sentence-breaks",
    "count-units",
)
#: Roles a topic can play, each naming one topic id (``listing``: several).
ROLE_NAMES = (
    "side-effects",
    "serious-risks",
    "interactions",
    "how-it-works",
    "contraindications",
    "class-overview",
    "listing",
    "class-wide",
    "class-risks",
    "background",
    "calm-topics",
)
#: The roles that name a list of topic ids rather than one.
LIST_ROLES = ("listing", "class-wide", "class-risks", "background", "calm-topics")


@dataclass(frozen=True)
class Signal:
    """One kind of hint a cue weighs with others ("a plan", "finality"), never enough alone."""

    name: str
    weight: int
    patterns: tuple[re.Pattern[str], ...]


@dataclass(frozen=True)
class Cue:
    """Something a message can say: a red flag, a dose question, a greeting..."""

    id: str
    phrases: tuple[str, ...]
    """Whole-word phrases, folded like the message."""
    patterns: tuple[re.Pattern[str], ...]
    """Regular expressions searched in the folded message."""
    examples: tuple[str, ...]
    """Whole messages the cue must fire on."""
    counter_examples: tuple[str, ...]
    """Whole messages it must not fire on."""
    negatable: bool = False
    """Read like a clinician: "no fever" and "had a fever last week, fine now" do not fire."""
    urgent: bool = False
    """A red flag: the reply opens with what to do now."""
    below: int | None = None
    """Fire only when a pattern's captured ``count`` is below this number."""
    says: str = ""
    """A sentence the reply opens with when the cue fires (after any urgent text)."""
    with_topic: str = ""
    """Say ``says`` only when the reply answers this topic."""
    hides_topic: str = ""
    """A topic the reply leaves out when the cue fires: the team told to stop, so the
    stopping entry's "keep taking it when you feel well" would contradict them."""
    overrides: tuple[str, ...] = ()
    """Cues that no longer count when this one fires (``*``: every other cue)."""
    speaks_of: tuple[str, ...] = ()
    """Urgent cues it speaks of without raising them ("what happens if you double dose"):
    the chat remembers them for one turn, and a turn that says it happened raises them."""
    doubts: tuple[str, ...] = ()
    """Urgent cues of the same message it casts doubt on (a learned reading that the
    message tells no emergency): what to do is said as advice ("If it happens"), not
    as an alarm, and the chat remembers them for one turn like those spoken of. The
    chat's earlier alarms are untouched."""
    quiets: str = ""
    """``always`` or ``unless-present``: the negatable cues of its clause do not count
    (a red flag told as past, over, or asked about), unless, for ``unless-present``, a
    ``present`` cue says it is happening now; ``sentence``: those of its whole sentence,
    unless a clause says it is happening now ("hypothetically, if..."); ``sentence-always``:
    those of its whole sentence, whatever their time ("my dog had a nosebleed this morning")."""
    quiets_only: tuple[str, ...] = ()
    """The red flags its quieting is about (a normal temperature quiets a fever, not the
    low neutrophil count told in the same clause); empty: every red flag it reaches."""
    spares: tuple[str, ...] = ()
    """Red flags its quieting never reaches: "plats 14, bit of a nosebleed earlier,
    stopped now" tells the bleed as over, not the count, which is a reading."""
    present: bool = False
    own_news: bool = False
    """A clause with it tells news of its own ("count 25 last week"): the time it tells
    says nothing of the red flag told before it ("hit my head hard on a cupboard door")."""
    ends_alarms: bool = False
    """Says a red flag told earlier in the chat is over ("gone now", "haven't had that"),
    so its alarm is not said again; an explanation or a question does not ("he says it's
    just the cold weather")."""
    any_form: bool = False
    """Its phrases match with any word swapped for another of the word's ``word-forms``
    group ("want to die" also finds "wanting to die", "take them all" "taking them all")."""
    timeless: bool = False
    """The past does not quiet it (a crisis told as past still gets the crisis reply).
    An urgent one stands over the chat's next questions until a turn takes it back."""
    reads_numbers: bool = False
    """The chat speaks of a blood result (platelets, haemoglobin): a later message that
    only gives a number ("today it's 12") is read with ``label`` put before it, and
    against the number told before it (a fall)."""
    reminds_after: bool = False
    """An urgent timeless cue whose alarm, standing over a later question on another
    subject, follows that question's answer instead of opening it (a contact, an extra
    dose: a call to make today, said once at the top already)."""
    asks_ahead: bool = False
    """A question about what can happen ("does dapsone make your lips blue"): the red
    flags it quiets come with what to do if they happen ("If it happens")."""
    feeling: bool = False
    """Tells how the writer feels (fear, low mood): a turn that tells only this is heard
    with the cue's ``says`` sentence, never answered with the chat's drug's overview."""
    undoubted: bool = False
    """Tells a red flag as the patient's own, now ("cellcept making my gums bleed,
    normal?"): the learned no-emergency opinion never doubts the message's red flags."""
    eases_crisis: bool = False
    """Tells, after a crisis in the chat, that it is in hand ("I've rung Samaritans and my
    sister is staying with me"): a question asked with it is answered, and the crisis
    lines follow the answer instead of the crisis reply opening it."""
    foreign: bool = False
    """Counts only in a message in another language."""
    remembered: bool = False
    """The chat keeps it for its next questions ("my son is 9", then "side effects?")."""
    signals: tuple[Signal, ...] = ()
    """Hints weighed together: the cue also fires when the weights of the different
    signals a message holds add up to ``threshold`` ("a plan" and "finality")."""
    threshold: int = 0
    topic: str = ""
    """A topic the message asks about when the cue fires ("period late": pregnancy)."""
    label: str = ""
    """How a reply names what the cue found ("missed doses"), where it says so."""
    note: str = ""
    where: str = field(default="", compare=False)
    """``path:line`` of its definition, for messages."""


@dataclass(frozen=True)
class LearnedCue:
    """Whole messages, labelled, from which a model learns to hear one cue.

    The model (:mod:`bot.learned_cue`) fires the cue on a message its rules miss
    when it is at least ``threshold`` sure (a cue that ``doubts`` others: on a message
    where one of them fired). It also learns from the cue's own
    examples (said) and from its counter-examples and every other cue's messages
    (not said).
    """

    cue: str
    threshold: float
    examples: tuple[str, ...]
    """Messages that say the cue."""
    counter_examples: tuple[str, ...]
    """Messages that do not."""
    opposite: str = ""
    """A cue the same model hears where it is at least ``opposite_threshold`` sure the
    message does not say ``cue`` ("tells no emergency" against "tells an emergency")."""
    opposite_threshold: float = 0.0
    min_words: int = 1
    """The fewest words a message must have for the model (and its opposite) to hear it."""
    doubt_below: float = 0.0
    """Where the rules fired the cue and the model holds it less likely than this, the
    cue is doubted: said as advice beside the answer, not as the whole reply (0: never)."""
    where: str = field(default="", compare=False)


@dataclass(frozen=True)
class LearnedTopics:
    """Whole messages, each under the topic it asks about, from which a model learns to
    tell what a question asks where no topic phrase matches ("took my sirolimus at 8
    instead of 7, does an hour matter": when to take it).

    One model a topic learns from that topic's messages and phrases (said) and every
    other topic's (not said). The matcher asks them only about a question that names
    one of our medicines and none other, raises no red flag, and matched no topic.
    """

    threshold: float
    topics: tuple[tuple[str, tuple[str, ...]], ...]
    """Each topic id with its messages."""
    min_words: int = 1
    """The fewest words a question must have for the models to read it."""
    where: str = field(default="", compare=False)


@dataclass(frozen=True)
class Roles:
    """Which topic plays which part in a reply ("" where no topic plays it)."""

    side_effects: str
    serious_risks: str
    interactions: str
    how_it_works: str
    contraindications: str
    class_overview: str
    listing: tuple[str, ...]
    class_wide: tuple[str, ...] = ()
    """Topics whose class-wide entry follows a drug's own entry (vaccines...)."""
    class_risks: tuple[str, ...] = ()
    """Class-wide entries on risks: "can cellcept cause cancer" is answered there."""
    background: tuple[str, ...] = ()
    """Topics that describe the drug, never answer "does it cause X" (what it is used for)."""
    calm_topics: tuple[str, ...] = ()
    """Topics asked without telling an emergency ("op in 3 weeks", "positive pregnancy
    test"): the learned emergency backstop stays silent on a message asking one."""


@dataclass(frozen=True)
class Language:
    """Every word list and cue the matcher reads with."""

    common_words: tuple[str, ...]
    drug_suffixes: tuple[str, ...]
    negations: tuple[str, ...]
    negation_fillers: tuple[str, ...]
    not_symptoms: tuple[str, ...]
    dose_verbs: tuple[str, ...]
    medicine_cues: tuple[str, ...]
    pair_words: tuple[str, ...]
    """Words that join two medicines ("cyclizine with ciclosporin"): a name we do not know
    joined by one to one of ours is a second medicine, never a word to pass over."""
    own_leads: tuple[str, ...]
    """Words right before one of our drugs that tell it is the writer's own ("I'm on",
    "I take", "my"): "what about me?" later in the chat asks about that drug."""
    generic_words: tuple[str, ...]
    frame_words: tuple[str, ...]
    """Words of a question's frame that ask about no topic ("is it safe", "is that ok"):
    a topic phrase made only of them never outweighs one that names something."""
    foreign_words: tuple[str, ...]
    advice_openings: tuple[str, ...]
    """How a sentence that advises, rather than states a fact, begins: it needs no citation."""
    undo_negation: tuple[str, ...]
    """Words right after a denied symptom that undo the denial ("never had a fever before")."""
    overview_words: tuple[str, ...]
    """Words of a message that asks for a drug's overview ("tell me about", "just started"):
    a message with other words the bot did not read gets no overview as if it answered."""
    shorthand: tuple[tuple[str, str], ...]
    word_forms: tuple[str, ...]
    """Groups of words, each one line ("want wants wanting"), that stand for each other in
    the phrases of an ``any-form`` cue: the forms of a verb, the same word with his or her."""
    phrase_fillers: tuple[str, ...]
    """Words that only colour a phrase ("really", "honestly"): an ``any-form`` cue's
    phrases are also found with them left out ("I don't really want to live")."""
    sentence_breaks: tuple[str, ...]
    """Words that end a sentence as a full stop does: punctuation said to voice typing
    ("full stop") and a change of subject ("anyway"), which ends whose symptom it is."""
    count_units: tuple[str, ...]
    """Units a lab writes after a blood count that do not change its number (x10^3/uL,
    x10^9/L, k/uL): the count cues also read the message with them left out."""
    also_known_as: tuple[tuple[str, str], ...]
    """Other names of medicines, each with the name the sources use."""
    said_as: tuple[tuple[str, str], ...]
    """Patients' words for a sign, each with the words the sources use ("puffy":
    "swelling"): a sign the answer names in its own words is no "not mentioned"."""
    sounds_like: tuple[tuple[str, str], ...]
    """Spellings and the sound they stand for, in order ("igh" -> "i", "ph" -> "f"): a
    name typed by voice ("sigh closporin") is compared with ours by how it sounds."""
    cues: tuple[Cue, ...]
    roles: Roles
    learned: tuple[LearnedCue, ...] = ()
    """Messages that teach models to hear cues rules miss (a crisis; no emergency)."""
    learned_topics: LearnedTopics | None = None
    """Messages that teach models what a question no topic phrase matches asks."""

    def cue(self, cue_id: str) -> Cue | None:
        """Return the cue with this id, if declared."""
        for cue in self.cues:
            if cue.id == cue_id:
                return cue
        return None
