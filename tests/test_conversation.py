"""Tests of bot.conversation: ConversationMemory with a fake clock."""

from __future__ import annotations

import pytest

from bot import replies
from bot.composing import Answer, Context
from bot.conversation import DEFAULT_MEMORY_SECONDS, ConversationMemory
from bot.knowledge import load_knowledge
from bot.live import LoadedKnowledge
from bot.matching import Matcher
from bot.rendering import render_plain

AZA = Context(drugs=("azathioprine",), topics=("side-effects",))
CSA = Context(drugs=("cyclosporine",), topics=("interactions",))
MMF = Context(drugs=("mycophenolate",), topics=())


class FakeClock:
    """A clock that only moves when the test says so."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def test_default_ttl_is_fifteen_minutes() -> None:
    assert DEFAULT_MEMORY_SECONDS == 900


def test_unknown_chat_recalls_nothing(clock: FakeClock) -> None:
    memory = ConversationMemory(ttl_seconds=60, clock=clock)

    assert memory.recall("nobody") is None
    assert len(memory) == 0


@pytest.mark.parametrize("elapsed", [0, 1, 59.9, 60], ids=["now", "1s", "59.9s", "exactly-ttl"])
def test_recall_within_ttl(clock: FakeClock, elapsed: float) -> None:
    memory = ConversationMemory(ttl_seconds=60, clock=clock)
    memory.remember(42, AZA)

    clock.advance(elapsed)

    assert memory.recall(42) == AZA


@pytest.mark.parametrize("elapsed", [60.001, 61, 3600], ids=["just-after", "61s", "1h"])
def test_expiry_after_ttl(clock: FakeClock, elapsed: float) -> None:
    memory = ConversationMemory(ttl_seconds=60, clock=clock)
    memory.remember(42, AZA)

    clock.advance(elapsed)

    assert memory.recall(42) is None
    assert len(memory) == 0  # the expired chat is dropped, not kept around


def test_remembering_again_restarts_the_ttl(clock: FakeClock) -> None:
    memory = ConversationMemory(ttl_seconds=60, clock=clock)
    memory.remember(42, AZA)
    clock.advance(50)
    memory.remember(42, CSA)

    clock.advance(50)

    assert memory.recall(42) == CSA


def test_none_context_keeps_the_previous_one(clock: FakeClock) -> None:
    memory = ConversationMemory(ttl_seconds=60, clock=clock)
    memory.remember(42, AZA)
    clock.advance(30)

    memory.remember(42, None)

    assert memory.recall(42) == AZA
    clock.advance(31)  # None did not refresh the time: 61 s since AZA was remembered
    assert memory.recall(42) is None


def test_none_context_for_a_new_chat_stores_nothing(clock: FakeClock) -> None:
    memory = ConversationMemory(ttl_seconds=60, clock=clock)

    memory.remember(7, None)

    assert memory.recall(7) is None
    assert len(memory) == 0


def test_chats_are_kept_apart(clock: FakeClock) -> None:
    memory = ConversationMemory(ttl_seconds=60, clock=clock)

    memory.remember(1, AZA)
    memory.remember(2, CSA)

    assert (memory.recall(1), memory.recall(2)) == (AZA, CSA)


def test_max_chats_evicts_the_oldest(clock: FakeClock) -> None:
    memory = ConversationMemory(ttl_seconds=60, max_chats=2, clock=clock)
    memory.remember("a", AZA)
    memory.remember("b", CSA)

    memory.remember("c", MMF)

    assert len(memory) == 2
    assert memory.recall("a") is None
    assert (memory.recall("b"), memory.recall("c")) == (CSA, MMF)


def test_max_chats_counts_a_refreshed_chat_as_newest(clock: FakeClock) -> None:
    memory = ConversationMemory(ttl_seconds=60, max_chats=2, clock=clock)
    memory.remember("a", AZA)
    memory.remember("b", CSA)
    memory.remember("a", AZA)  # "a" is now the most recent; "b" is the oldest

    memory.remember("c", MMF)

    assert memory.recall("b") is None
    assert (memory.recall("a"), memory.recall("c")) == (AZA, MMF)


def test_forget(clock: FakeClock) -> None:
    memory = ConversationMemory(ttl_seconds=60, clock=clock)
    memory.remember(1, AZA)
    memory.remember(2, CSA)

    memory.forget(1)
    memory.forget("never seen")  # forgetting an unknown chat is harmless

    assert memory.recall(1) is None
    assert memory.recall(2) == CSA
    assert len(memory) == 1


@pytest.fixture(scope="module")
def knowledge() -> LoadedKnowledge:
    kb = load_knowledge()
    return LoadedKnowledge(kb, Matcher.build(kb))


def test_after_a_not_covered_reply_the_chat_forgets_its_drug(knowledge: LoadedKnowledge) -> None:
    memory = ConversationMemory()
    for question in ("cyclosporine side effects", "what about tacrolimus?"):
        memory.after("chat", knowledge.answer(question, memory.recall("chat")))
    follow_up = knowledge.answer("and the interactions?", memory.recall("chat"))
    assert follow_up.drugs == ()
    assert "cyclosporine.interactions" not in follow_up.topics


@pytest.mark.parametrize(
    ("between", "kind"),
    [
        # Nothing the bot can read, no drug of another name: the chat's drug, under a
        # plain "not sure", and it stays.
        ("what's the weather like", "answer"),
        ("should I be concerned about WBC", "answer"),
        # The crisis reply: the chat's drug stays, and so does the crisis.
        ("honestly i want to die", "crisis"),
        # A message in another language.
        ("hola, tengo una pregunta", "foreign"),
    ],
)
def test_a_reply_about_nothing_new_keeps_the_chat_drug(
    knowledge: LoadedKnowledge, between: str, kind: str
) -> None:
    memory = ConversationMemory()
    memory.after("chat", knowledge.answer("I'm on sirolimus", memory.recall("chat")))
    reply = knowledge.answer(between, memory.recall("chat"))
    assert reply.kind == kind
    memory.after("chat", reply)
    context = memory.recall("chat")
    assert context is not None
    assert context.drugs == ("sirolimus",)
    assert bool(context.crisis) == (kind == "crisis")
    follow_up = knowledge.answer("and grapefruit?", context)
    assert follow_up.drugs == ("sirolimus",)


@pytest.mark.parametrize(
    ("turns", "drugs"),
    [
        # The drug switched to is named first, the old one after it.
        (
            [
                "used to be on azathioprine for like a year",
                "switched to dapsone last week cos aza did nothing",
                "how long til it kicks in",
            ],
            ("dapsone",),
        ),
        # A correction: the other drug is someone else's.
        (
            [
                "I'm on ciclosporin",
                "sorry no I meant azathioprine, the imuran one, ciclosporin is my sister's",
                "can I drink at my cousin's wedding",
            ],
            ("azathioprine",),
        ),
        # A correction that names the drug denied: the other one, and it alone after.
        (
            [
                "I'm on azathioprine",
                "actually I got it wrong, it's ciclosporin not azathioprine",
                "can I have grapefruit?",
            ],
            ("cyclosporine",),
        ),
        (
            [
                "I'm on ciclosporin",
                "no wait, not ciclosporin, it's sirolimus",
                "and the sun?",
            ],
            ("sirolimus",),
        ),
        # Two people, two drugs: "she" asks about hers, "me" about the writer's own.
        (
            [
                "I take azathioprine and my wife takes ciclosporin",
                "what about mine with alcohol?",
                "and can she drink alcohol on hers?",
            ],
            ("cyclosporine",),
        ),
        (
            [
                "I take azathioprine, my husband takes sirolimus",
                "can he have grapefruit?",
                "and can I?",
            ],
            ("azathioprine",),
        ),
        # The patient takes a drug we do not cover that the chat's drug speaks of.
        (
            [
                "what's the difference between cellcept and myfortic",
                "I'm on myfortic, can I drink?",
            ],
            (),
        ),
        # A drug added to the chat's drug: both, and both again in the next follow-up.
        (
            [
                "I take ciclosporin",
                "now doctor also wants azathioprine. Together ok?",
                "and can I take St John's wort for mood",
            ],
            ("cyclosporine", "azathioprine"),
        ),
        # A drug that replaces the chat's drug: the new one alone.
        (
            [
                "I was on ciclosporin",
                "they stopped it and now I'm on azathioprine as well",
                "side effects?",
            ],
            ("azathioprine",),
        ),
        # Two drugs compared, then "which one": those two, never every drug with the topic.
        (
            ["dapsone or sirolimus, can you compare them?", "which one works faster"],
            ("dapsone", "sirolimus"),
        ),
        # ... and with a medicine we do not cover: never a drug the chat did not name.
        (
            [
                "Hi I take ciclosporin and azathioprine",
                "which one shouldn't I take ibuprofen with?",
            ],
            ("cyclosporine", "azathioprine"),
        ),
        # A drug named in a message in another language is the chat's drug.
        (
            ["Tomo azatioprina desde hace un mes", "sorry english better, can I drink wine on it"],
            ("azathioprine",),
        ),
        # Another medicine for a complaint, after the chat's drug: the pair, and the chat's
        # drug after it (language.yaml, pair-question).
        (
            [
                "can i drink on aza",
                "what about paracetamol for hangovers",
                "and does it make me burn in the sun",
            ],
            ("azathioprine",),
        ),
        # A pair asked after a turn about a medicine we do not cover: the pair with the
        # drug the patient named (azathioprine and allopurinol must not be combined).
        (
            ["I'm on Imuran", "What about prednisolone?", "Is it safe with my allopurinol?"],
            ("azathioprine",),
        ),
        # One drug in the chat: "which one" still asks across all of them.
        (
            ["does dapsone cause a rash", "which one works fastest"],
            ("azathioprine", "dapsone", "sirolimus"),
        ),
    ],
)
def test_a_follow_up_is_about_the_drugs_the_chat_means(
    knowledge: LoadedKnowledge, turns: list[str], drugs: tuple[str, ...]
) -> None:
    reply, _memory = _talk(knowledge, turns)
    assert reply.drugs == drugs


def test_a_drug_named_after_a_pregnancy_gets_its_pregnancy_entry(
    knowledge: LoadedKnowledge,
) -> None:
    reply, _memory = _talk(knowledge, ["I'm pregnant", "I take azathioprine"])
    assert reply.topics == ("azathioprine.pregnancy",)


@pytest.mark.parametrize(
    ("turns", "alarm", "opens"),
    [
        # A count told, then the number it came to: a fall to half or less is one.
        (
            ["Ron is on ciclosporin", "his platelets were 90 last week", "today they're 41"],
            "count.falling",
            True,
        ),
        (
            [
                "I take azathioprine full stop",
                "my platelets were 120 in the summer",
                "the nurse phoned and said they are 48 now",
            ],
            "count.falling",
            True,
        ),
        # The number may come with how long it took to fall.
        (
            ["im on mycofenolate", "platlets wer 120", "now there 50 in 5 days"],
            "count.falling",
            True,
        ),
        # A turn that only names the drug keeps the alarm at the top.
        (
            ["my plt was 88 last Tuesday", "today it's 31", "on azathioprine"],
            "count.falling",
            True,
        ),
        # An explanation someone else gives ends no alarm.
        (
            [
                "my husband Ahmed is on dapsone",
                "his lips are a bit blue around the mouth",
                "he says it's just the cold weather",
            ],
            "red-flag.breathing",
            True,
        ),
        # A reply about something else in between does not lose the count.
        (
            ["on dapsone, plt 150 last month", "can I drink on it", "now it's 60"],
            "count.falling",
            True,
        ),
        # A fall told one number per turn is read from each count told before.
        (
            ["my platelets were 60 on monday, on imuran", "now 35", "and today 22"],
            "count.falling",
            True,
        ),
        (["plt 60 last week", "plt 35 on wednesday", "plt 22 today"], "count.falling", True),
        # A count told with its label is read after the chat's too.
        (["plt 110 in march on mmf", "plt 45 now"], "count.falling", True),
        # Up, then a little down: no fall from any count told before.
        (["plt 30 in june on mmf", "plt 80 now", "plt 65 today"], "count.falling", False),
        # A rise, or a small fall, is no alarm.
        (["on dapsone, plt 40 last month", "today it's 80"], "count.falling", False),
        (["on sirolimus, platelets 60 last week", "now they're 55"], "count.falling", False),
        # A low count told a moment ago still opens the next reply, until a new one is told.
        (
            ["got my bloods back", "platelets 13", "on imuran since may"],
            "count.platelets-low",
            True,
        ),
        (["platelets 13 on imuran", "sorry typo, platelets 130"], "count.platelets-low", False),
        # So is a haemoglobin, neutrophil or white cell result (reads-numbers): a fall, or a
        # low one, told as a bare number after it opens the reply; a rise does not.
        (["on dapsone since january", "hb was 120 before", "its 92 now"], "count.other-low", True),
        (["on imuran", "my neutrophils were 2.0", "now 0.9"], "count.other-low", True),
        (["on imuran", "white count was 4.5 last month", "today 2.1"], "count.other-low", True),
        (["on dapsone, hb 125 last month", "now 130"], "count.other-low", False),
        # A number told with its month is a result too.
        (
            ["my dad is on cellcept", "his hb was 128 in may", "102 in june"],
            "count.other-low",
            True,
        ),
        # A result in thousands, and one told as past, came before the one told now.
        (
            ["my son's ANC is 2,400 on cellcept", "last month it was 2,100, so it's going up?"],
            "count.other-low",
            False,
        ),
        (["my son's ANC is 2,400 on cellcept", "now 1,100"], "count.other-low", True),
        (["plt 45 last week on rapamune", "today they're 12k"], "count.platelets-low", True),
        # A bare number after a haemoglobin is no platelet count, though the chat spoke of
        # platelets before it.
        (["plt 85 on dapsone", "hb was 120 last week", "its 92 now"], "count.platelets-low", False),
        # "What should I do" after a red flag: what to do now again; not once told as over.
        (["on mmf", "had a fever since last night", "what should I do"], "red-flag.fever", True),
        (
            ["mmf", "had a fever last weekend", "gone now, can i go to a festival"],
            "red-flag.fever",
            False,
        ),
        # A swallowed tablet stands however the child seems.
        (
            ["I'm on dapsone", "my son is 3, he's just swallowed one", "he seems fine now"],
            "poisoning.child",
            True,
        ),
        # Thanks after an alarm: what to do now again (test_composing: and it alone).
        (
            ["nosebleed for an hour and wont stop, on imuran", "ok thanks"],
            "red-flag.bleeding",
            True,
        ),
        # Thanks with a question asks: what to do now again, never "You're welcome!".
        (
            [
                "my wife is on dapsone, her lips are grey and she's breathless",
                "ok thanks what should i do now",
            ],
            "red-flag.breathing",
            True,
        ),
        # So does an extra dose, asked about next ("should I ring someone")...
        (
            [
                "my mum is 82 on imuran and she took her morning tablet twice",
                "she seems ok, should i ring someone",
            ],
            "poisoning.extra-dose",
            True,
        ),
        # ...until help is in hand.
        (
            [
                "took my cellcept twice by mistake",
                "rang the pharmacist, they said skip tonight's and carry on",
                "can i have grapefruit with it",
            ],
            "poisoning.extra-dose",
            False,
        ),
        # Help already there or on its way ends an alarm too.
        (
            [
                "on dapsone, temp 39 and shivering",
                "went to urgent care, theyve got me on iv antibiotics, feeling better already",
            ],
            "red-flag.fever",
            False,
        ),
        (
            [
                "my mum is on cellcept and her nose has been bleeding for an hour",
                "we are in a&e now theyre looking after her. will they need to know",
            ],
            "red-flag.bleeding",
            False,
        ),
        # ...until a turn says it never happened (a cue that overrides it).
        (
            [
                "my little girl has swallowed one of my dapsone tablets",
                "false alarm, found it under the sofa and the packet count matches",
            ],
            "poisoning.child",
            False,
        ),
        # A red flag still happening opens the reply to a new question too.
        (
            [
                "nosebleed started an hour ago and is still going, on sirolimus",
                "also can i have grapefruit juice with it?",
            ],
            "red-flag.bleeding",
            True,
        ),
        # A later turn that takes a red flag back ends it (language.yaml, corrected)...
        (
            [
                "im on azathioprine and my gums were bleeding when I brushed",
                "sorry no that was LAST YEAR before I was diagnosed!! nothing now",
            ],
            "red-flag.bleeding",
            False,
        ),
        (
            [
                "am on the neoral",
                "the wean next door's got chickenpox",
                "naw wait, the doctor's seen him and it's a heat rash, no chickenpox efter aw",
            ],
            "exposure",
            False,
        ),
        (["plt 8", "typo. 88. up from 61. on MMF"], "count.platelets-low", False),
        # ...and so does one that says a clinician has since seen it (seen-and-cleared).
        (
            [
                "black poo this morning, on cellcept",
                "nurse rang back, it's the iron tablets the GP started last week, they checked"
                " my Hb today and it's fine. Does iron interfere with mycophenolate?",
            ],
            "red-flag.blood-in-output",
            False,
        ),
        # ...but a correction that lowers the count is read as the new count.
        (
            ["on dapsone, platelets 90 this morning", "sorry the phone wrote 90, I meant 9"],
            "count.platelets-low",
            True,
        ),
        # A question on the alarm's own subject keeps it; so does a new subject, for a
        # contact or a swallowed tablet (time does not end them), until a turn takes it
        # back.
        (
            [
                "my daughter's friend has chickenpox and was round yesterday, she's on imuran",
                "is she more likely to catch infections on it?",
            ],
            "exposure",
            True,
        ),
        (
            [
                "my daughter's friend has chickenpox and was round yesterday, she's on imuran",
                "can she have alcohol",
            ],
            "exposure",
            True,
        ),
        (
            [
                "my grandson's got chickenpox and was here all day yesterday, I'm on azathioprine",
                "he lives in Canada, haven't seen him since summer",
            ],
            "exposure",
            False,
        ),
        # A red flag told after a drug we do not cover still opens the reply.
        (
            [
                "how long does dapsone take to work",
                "is it alright with my blood pressure tablets, amlodipine",
                "oh also my lips have gone a funny bluish colour this afternoon",
            ],
            "red-flag.breathing",
            True,
        ),
        # A red flag asked about, or told as over, is raised once the next turn says it
        # is happening now (language.yaml, it-happened)...
        (
            ["what happens if you double dose cellcept", "asking because I just did"],
            "poisoning.extra-dose",
            True,
        ),
        (
            [
                "had a nosebleed this morning, stopped after 10 min, im on dapsone",
                "its started again, 25 minutes now",
            ],
            "red-flag.bleeding",
            True,
        ),
        # A red flag the learned no-emergency cue doubted is heard the same way.
        (
            [
                "if I accidentally took a double dose of cyclosporine what would happen",
                "asking because I just did",
            ],
            "poisoning.extra-dose",
            True,
        ),
        # ...never when the turn denies it, nor two turns later.
        (
            ["what happens if you double dose cellcept", "I haven't done it, just asking"],
            "poisoning.extra-dose",
            False,
        ),
        (
            [
                "what happens if you double dose cellcept",
                "can I drink alcohol on it",
                "asking because I just did",
            ],
            "poisoning.extra-dose",
            False,
        ),
        # An alarm told in a message naming no drug stands for the next turn.
        (
            [
                "my nan has shingles and I was at hers all afternoon",
                "i take cellcept. should i worry",
            ],
            "exposure",
            True,
        ),
        # ... until the team has advised on it (cue clinician-advised).
        (
            [
                "how do I take rapamune liquid properly",
                "oh no I think I just took it twice",
                "ok I rang the team, they said no harm done and to carry on as normal",
            ],
            "poisoning.extra-dose",
            False,
        ),
        # Better, not over: blue lips that look "a bit better now" still open the reply.
        (
            [
                "the wife reckons my lips are looking blue and I'm puffed out, on dapsone",
                "they look a bit better now I'm sat down, still need to do something?",
            ],
            "red-flag.breathing",
            True,
        ),
        # A question about the list just given is no report.
        (
            ["what should I watch out for on cellcept", "does that include black poo"],
            "red-flag.blood-in-output",
            False,
        ),
        # Help in hand (cue help-in-hand) ends the alarm, a count's too ...
        (
            [
                "my son on dapsone has had a nosebleed for 40 minutes and it won't stop",
                "ok I've rung the ward and they're seeing him at 4",
                "can he still do PE tomorrow",
            ],
            "red-flag.prolonged-bleed",
            False,
        ),
        (
            [
                "on sirolimus 2 months",
                "bloods today plt 14",
                "ok ive called them. do the tablets need the fridge?",
            ],
            "count.platelets-low",
            False,
        ),
        # ... but help not reached does not.
        (
            [
                "temp 38.9 on cellcept",
                "called 111, still waiting, temp still 39",
                "can I take paracetamol",
            ],
            "red-flag.fever",
            True,
        ),
    ],
)
def test_what_to_do_now_across_turns(
    knowledge: LoadedKnowledge, turns: list[str], alarm: str, opens: bool
) -> None:
    reply, _memory = _talk(knowledge, turns)
    assert (alarm in reply.alarms) is opens


@pytest.mark.parametrize(
    ("turns", "alarm", "opens"),
    [
        # A contact or an extra dose (reminds-after) follows the answer to a question on
        # another subject: what to do now was said at the top already.
        (
            [
                "my nan came on sunday and today she's got shingles on her face, I'm on cellcept",
                "should i get the shingles vaccine then",
            ],
            "exposure",
            False,
        ),
        (
            [
                "my daughter's friend has chickenpox and was round yesterday, she's on imuran",
                "can she have alcohol",
            ],
            "exposure",
            False,
        ),
        (
            [
                "my husband is on azathioprine and just told me he doubled his dose",
                "how long till it works properly then, he's impatient",
            ],
            "poisoning.extra-dose",
            False,
        ),
        # A question on its own subject, or one that asks nothing new, opens with it.
        (
            [
                "my daughter's friend has chickenpox and was round yesterday, she's on imuran",
                "is she more likely to catch infections on it?",
            ],
            "exposure",
            True,
        ),
        (
            [
                "my mum is 82 on imuran and she took her morning tablet twice",
                "she seems ok, should i ring someone",
            ],
            "poisoning.extra-dose",
            True,
        ),
        # A swallowed tablet and a red flag still happening open every reply.
        (
            [
                "my 2 year old just swallowed one of my rapamune tablets",
                "how should i keep them from now on",
            ],
            "poisoning.child",
            True,
        ),
        (
            [
                "nosebleed started an hour ago and is still going, on sirolimus",
                "also can i have grapefruit juice with it?",
            ],
            "red-flag.bleeding",
            True,
        ),
    ],
)
def test_a_standing_alarm_opens_a_reply_on_its_subject_and_follows_one_on_another(
    knowledge: LoadedKnowledge, turns: list[str], alarm: str, opens: bool
) -> None:
    reply, _memory = _talk(knowledge, turns)
    told = next(a.entry.answer for a in knowledge.kb.alerts if a.cue == alarm)
    reminders = [s.text for s in reply.sections if s.title == replies.STILL_TO_DO]
    assert alarm in reply.alarms
    if opens:
        assert reply.urgent is not None
        assert told in reply.urgent.text
        assert reminders == []
    else:
        assert reply.urgent is None
        assert reminders == [told]
        # The answer comes first: the reminder is the last section.
        assert reply.sections[-1].title == replies.STILL_TO_DO


def test_a_crisis_repeated_for_a_question_it_cannot_answer_still_opens_later_replies(
    knowledge: LoadedKnowledge,
) -> None:
    # The crisis reply again for "is the flu jab alright", then a drug question: the
    # crisis told two turns back still opens the reply.
    memory = ConversationMemory()
    turns = [
        "I'm on azathioprine",
        "I have said my goodbyes to the family and I am ready to be done",
        "One more thing, is it alright to have the flu jab at the chemist?",
    ]
    for turn in turns:
        memory.after("chat", knowledge.answer(turn, memory.recall("chat")))
    context = memory.recall("chat")
    assert context is not None
    assert context.crisis == frozenset({"crisis"})
    reply = knowledge.answer("And the sherry at Christmas, is that alright with it?", context)
    crisis_opening = render_plain(knowledge.answer("i want to die", None)).split("\n")[0]
    assert render_plain(reply).startswith(crisis_opening)
    assert reply.drugs == ("azathioprine",)


@pytest.mark.parametrize(
    ("turn", "title"),
    [
        # Told in hand, with a question: answered, and the crisis lines follow.
        (
            "ive rung samaritans and my sister is staying with me. does imuran affect sleep",
            replies.IF_THOUGHTS_COME_BACK,
        ),
        (
            "her GP knows and is visiting tomorrow. can she have the flu jab on imuran",
            replies.IF_THOUGHTS_COME_BACK,
        ),
        # A question on a calm topic (vaccines, pregnancy, what it is for): answered too.
        ("can she have the flu jab on imuran", replies.IF_STILL_FEELING),
        ("is imuran ok in pregnancy", replies.IF_STILL_FEELING),
        # Told in hand and nothing asked: heard, with the crisis lines after it.
        ("her GP knows and is visiting tomorrow", replies.IF_THOUGHTS_COME_BACK),
        ("i told my mum. she's driving me to a&e now", replies.IF_THOUGHTS_COME_BACK),
        # A safety plan is no "plan", and its "safety" asks no topic of ours.
        (
            "ok I called my crisis team. they've made a safety plan with me and I'm "
            "staying with my sister tonight",
            replies.IF_THOUGHTS_COME_BACK,
        ),
        (
            "we rang the out-of-hours GP and someone is coming out to see her tonight",
            replies.IF_THOUGHTS_COME_BACK,
        ),
        # Help not reached, or a question that may seek means (side effects, what makes
        # it stronger, amounts): the crisis reply opens it.
        ("I rang the samaritans but no one answered. does imuran affect sleep", ""),
        ("I rang the samaritans but no one answered", ""),
        ("does grapefruit make imuran stronger", ""),
        ("what are the side effects of imuran", ""),
        # Help in hand never opens the way to an amount.
        ("ive rung samaritans and my sister is here. how many imuran can I take at once", ""),
    ],
)
def test_a_crisis_in_hand_or_a_calm_question_after_it_is_answered_first(
    knowledge: LoadedKnowledge, turn: str, title: str
) -> None:
    reply, memory = _talk(knowledge, ["my mum says she wants to die", turn])
    crisis_lines = next(a.entry.answer for a in knowledge.kb.alerts if a.cue == "crisis")
    crisis_opening = render_plain(knowledge.answer("i want to die", None)).split("\n")[0]
    closing_titles = {replies.IF_THOUGHTS_COME_BACK, replies.IF_STILL_FEELING}
    closing = [(s.title, s.text) for s in reply.sections if s.title in closing_titles]
    if title:
        assert reply.kind != "crisis"
        assert reply.urgent is None
        assert closing == [(title, crisis_lines)]
    else:
        assert render_plain(reply).startswith(crisis_opening)
        assert closing == []
    # The chat keeps its crisis either way: "ok thanks" gets the crisis reply again,
    # or, once the chat told it is in hand, is heard with the crisis lines after it.
    context = memory.recall("chat")
    assert context is not None
    assert context.crisis == frozenset({"crisis"})
    thanked = knowledge.answer("ok thanks", context)
    if title == replies.IF_THOUGHTS_COME_BACK:
        assert thanked.kind != "crisis"
        assert [(s.title, s.text) for s in thanked.sections if s.title in closing_titles] == [
            (title, crisis_lines)
        ]
    else:
        assert thanked.kind == "crisis"


@pytest.mark.parametrize(
    "later",
    [
        # Help in hand is heard for the turn that tells it only: a later turn's doubt
        # ("locked herself in") is no weaker than the crisis told before.
        "shes locked herself in the bathroom. does imuran affect sleep",
        "how many would it take",
    ],
)
def test_a_crisis_told_in_hand_is_heard_and_the_chat_keeps_its_crisis(
    knowledge: LoadedKnowledge, later: str
) -> None:
    turns = ["I just want to die", "her GP knows and is visiting tomorrow"]
    heard, memory = _talk(knowledge, turns)
    assert heard.notices == (replies.CRISIS_IN_HAND,)
    assert heard.sections[-1].title == replies.IF_THOUGHTS_COME_BACK
    reply = knowledge.answer(later, memory.recall("chat"))
    crisis_opening = render_plain(knowledge.answer("i want to die", None)).split("\n")[0]
    assert render_plain(reply).startswith(crisis_opening)


def test_help_in_hand_is_heard_though_the_learned_opinion_hears_an_emergency(
    knowledge: LoadedKnowledge,
) -> None:
    # The learned emergency opinion guesses from the crisis words; no rule reads a red flag.
    turns = [
        "i cant do this anymore, i want to die",
        "i rang samaritans like you said. talked for an hour. my sister's coming over",
    ]
    heard, _memory = _talk(knowledge, turns)
    assert heard.notices == (replies.CRISIS_IN_HAND,)
    assert heard.sections[-1].title == replies.IF_THOUGHTS_COME_BACK


@pytest.mark.parametrize(
    "question",
    [
        "can I take my evening ciclosporin together with the morning one",
        "anyway, can I take 2 dapsone tomorrow if I miss one today",
        # Thanks after a crisis: never a cheery "You're welcome!" and a menu.
        "ok thanks",
    ],
)
def test_more_at_once_or_thanks_after_a_crisis_gets_the_crisis_reply_alone(
    knowledge: LoadedKnowledge, question: str
) -> None:
    reply, _memory = _talk(knowledge, ["I just want to go to sleep and not wake up", question])
    assert reply.kind == "crisis"
    assert reply.drugs == ()


def test_a_low_count_told_after_a_crisis_opens_the_crisis_reply(
    knowledge: LoadedKnowledge,
) -> None:
    memory = ConversationMemory()
    for turn in ["I have said my goodbyes to the family and I am ready to be done"]:
        memory.after("chat", knowledge.answer(turn, memory.recall("chat")))

    reply = knowledge.answer("my platelets are 8", memory.recall("chat"))

    assert reply.kind == "crisis"
    assert reply.notices[0].startswith("Contact your haematology team today")
    assert any("116 123" in notice for notice in reply.notices[1:])


def test_a_crisis_told_after_an_uncovered_medicine_gets_the_crisis_reply(
    knowledge: LoadedKnowledge,
) -> None:
    # The chat's uncovered medicine (calpol) must never turn a crisis into "not covered".
    memory = ConversationMemory()
    for turn in ["does azathioprine interact with ibuprofen", "ok thanks and what about calpol"]:
        memory.after("chat", knowledge.answer(turn, memory.recall("chat")))

    reply = knowledge.answer("i want to end my life tonight", memory.recall("chat"))

    assert reply.kind == "crisis"
    assert reply.drugs == ()


@pytest.mark.parametrize(
    ("turns", "drugs"),
    [
        # "the first one": the drug the chat named first, never the one asked about last.
        (
            [
                "Can I have grapefruit juice with my ciclosporin?",
                "What about dapsone, my friend is on that, any foods she should avoid?",
                "going back to the first one, is orange juice ok with it or is that citrus too?",
            ],
            ("cyclosporine",),
        ),
        # "back to mine" after a drug we do not cover: the chat's own drug again.
        (
            [
                "does sirolimus make you burn in the sun",
                "what about tacrolimus, my mate's on that, same deal?",
                "ok back to mine, is factor 50 enough or do I need to cover up too",
            ],
            ("sirolimus",),
        ),
        # A drug named in the message itself wins.
        (
            [
                "can i breastfeed on aza",
                "what if i was on mmf instead",
                "the first one was fine for me, but what about dapsone and the milk",
            ],
            ("dapsone",),
        ),
    ],
)
def test_the_first_one_is_the_drug_the_chat_named_first(
    knowledge: LoadedKnowledge, turns: list[str], drugs: tuple[str, ...]
) -> None:
    reply, memory = _talk(knowledge, turns)
    assert reply.drugs == drugs
    context = memory.recall("chat")
    assert context is not None
    assert context.named[0] == knowledge.answer(turns[0]).drugs[0]


def test_the_two_after_an_uncovered_medicine_is_the_pair_with_the_chats_drug(
    knowledge: LoadedKnowledge,
) -> None:
    # The covered drug was named in a message answered "not covered": it still counts.
    reply, _memory = _talk(
        knowledge,
        [
            "I'm on ciclosporin and my haem wants to add eltrombopag. What is eltrombopag?",
            "do the two interact",
        ],
    )
    assert reply.kind != "not_covered"
    assert render_plain(reply).startswith(
        "I can't tell whether eltrombopag is safe to take with cyclosporine"
    )


@pytest.mark.parametrize(
    ("turns", "crisis_first"),
    [
        # In hand, then two plain questions: both answered, the crisis lines after them.
        (["ive rung the samaritans and my friend is here now. does cellcept stop you sleeping",
          "ok thanks, and can i open the capsules"], False),
        (["ive rung the samaritans and my friend is here now. does cellcept stop you sleeping",
          "ok", "is alcohol ok on it"], False),
        # Told again after it was in hand: the crisis reply opens the next answers again.
        (["ive rung the samaritans and my friend is here now. does cellcept stop you sleeping",
          "actually i still want to die", "can i open the capsules"], True),
    ],
)  # fmt: skip
def test_a_crisis_in_hand_holds_for_later_questions_until_told_again(
    knowledge: LoadedKnowledge, turns: list[str], crisis_first: bool
) -> None:
    reply, _ = _talk(knowledge, ["i cant do this anymore, i want to kill myself", *turns])
    crisis_lines = next(a.entry.answer for a in knowledge.kb.alerts if a.cue == "crisis")
    crisis_opening = render_plain(knowledge.answer("i want to die", None)).split("\n")[0]
    assert render_plain(reply).startswith(crisis_opening) is crisis_first
    if not crisis_first:
        assert reply.drugs == ("mycophenolate",)
        closing = [s.text for s in reply.sections if s.title == replies.IF_THOUGHTS_COME_BACK]
        assert closing == [crisis_lines]


def _talk(knowledge: LoadedKnowledge, turns: list[str]) -> tuple[Answer, ConversationMemory]:
    """Ask ``turns`` in one chat; return the last reply and the chat's memory."""
    memory = ConversationMemory()
    reply: Answer | None = None
    for turn in turns:
        reply = knowledge.answer(turn, memory.recall("chat"))
        memory.after("chat", reply)
    assert reply is not None
    return reply, memory


def test_keeping_both_after_a_pair_answers_the_pair_first(knowledge: LoadedKnowledge) -> None:
    turns = [
        "Dad is on azathioprine",
        "he's also on allopurinol for gout",
        "his GP started it last week, should he keep taking both?",
    ]
    reply, _memory = _talk(knowledge, turns)

    assert reply.topics[:2] == ("azathioprine.interactions", "azathioprine.stopping")


def test_a_pair_the_sources_cannot_judge_keeps_the_chat_on_interactions(
    knowledge: LoadedKnowledge,
) -> None:
    reply, _memory = _talk(
        knowledge, ["can i take ibuprofen on dapsone", "what about on cyclosporin"]
    )
    assert reply.topics == ("cyclosporine.interactions",)


@pytest.mark.parametrize(
    ("turns", "notice"),
    [
        # The medicine asked with the first drug is asked with the one named next.
        (
            ["can I take ibuprofen with cyclosporine", "and with azathioprine?"],
            "I can't tell whether ibuprofen is safe to take with azathioprine",
        ),
        (
            ["is naproxen ok with dapsone", "and with mycophenolate?"],
            "I can't tell whether naproxen is safe to take with mycophenolate",
        ),
        # Another medicine asked next is asked with the chat's drug.
        (
            ["Can I take Advil with my cyclosporine?", "Tylenol then?"],
            "I can't tell whether tylenol is safe to take with cyclosporine",
        ),
        (
            ["neoral and nurofen together, yes or no", "what about paracetamol then"],
            "I can't tell whether paracetamol is safe to take with cyclosporine",
        ),
    ],
)
def test_a_follow_up_pair_keeps_the_medicine_asked_before(
    knowledge: LoadedKnowledge, turns: list[str], notice: str
) -> None:
    reply, _memory = _talk(knowledge, turns)

    assert reply.notices[0].startswith(notice)
    assert reply.drugs == ()


@pytest.mark.parametrize(
    ("turns", "opening"),
    [
        # "it" after a medicine we do not cover, with ours named: the pair.
        (
            ["my doctor mentioned rituximab", "can I take it with my azathioprine"],
            "I can't tell whether rituximab is safe to take with azathioprine",
        ),
        (
            ["doctor suggested romiplostim", "does it interact with cellcept"],
            "I can't tell whether romiplostim is safe to take with mycophenolate mofetil",
        ),
    ],
)
def test_it_after_a_medicine_not_covered_is_that_medicine(
    knowledge: LoadedKnowledge, turns: list[str], opening: str
) -> None:
    reply, _memory = _talk(knowledge, turns)

    assert render_plain(reply).startswith(opening)
    assert reply.drugs == ()


@pytest.mark.parametrize(
    ("turns", "other", "drug"),
    [
        # "it" after a pair with ours may mean either: ours is answered, under a line
        # that says the other is not covered and whom the answer is about.
        (
            [
                "I'm on azathioprine",
                "my haematologist wants to add eltrombopag, is that ok together?",
                "what are the side effects of it?",
            ],
            "eltrombopag",
            "azathioprine",
        ),
        (
            ["is tacrolimus ok with mycophenolate", "does it cause kidney problems"],
            "tacrolimus",
            "mycophenolate mofetil",
        ),
        (
            [
                "my cholesterol came back high, I'm on rapamune",
                "should they start me on a statin with it",
                "does it put you at risk of anything else, like skin cancer",
            ],
            "statins",
            "sirolimus",
        ),
    ],
)
def test_it_after_a_pair_says_whom_the_answer_is_about(
    knowledge: LoadedKnowledge, turns: list[str], other: str, drug: str
) -> None:
    reply, _memory = _talk(knowledge, turns)

    assert reply.notices[0] == replies.IF_YOU_MEAN_OTHER.format(others=other, drugs=drug)
    assert reply.drugs


def test_the_medicine_of_a_comparison_asked_of_alone_is_not_covered(
    knowledge: LoadedKnowledge,
) -> None:
    # "tell me about rituximab" after "rituximab or dapsone": no new pair with dapsone.
    reply, _memory = _talk(
        knowledge,
        ["they offered me rituximab or dapsone, which is better", "tell me about rituximab"],
    )

    assert reply.kind == "not_covered"
    assert render_plain(reply).startswith("I can't answer that: rituximab is not covered.")


def test_it_with_our_drug_named_gets_no_line_about_the_other(
    knowledge: LoadedKnowledge,
) -> None:
    # Our drug named after a pair: the answer is plainly about it.
    reply, _memory = _talk(
        knowledge, ["is tacrolimus ok with mycophenolate", "does it cause tiredness on dapsone"]
    )

    assert reply.drugs == ("dapsone",)
    assert not any(n.startswith("If you mean") for n in reply.notices)


@pytest.mark.parametrize(
    ("turns", "topic"),
    [
        (
            ["I'm on aza", "my wife is on cellcept, can she drink?", "what about me?"],
            "azathioprine.alcohol",
        ),
        (
            ["i take imuran and my son takes sirolimus", "can he have grapefruit?", "and me?"],
            "azathioprine.interactions",
        ),
        # After a friend's medicine we do not cover: the writer's own, never "not covered".
        (
            ["I'm on aza", "my friend is on everolimus, any side effects?", "and what about mine?"],
            "azathioprine.side-effects",
        ),
        (
            ["I'm on aza", "my friend is on everolimus", "does mine affect fertility?"],
            "azathioprine.pregnancy",
        ),
    ],
)
def test_what_about_me_asks_of_the_writers_own_drug(
    knowledge: LoadedKnowledge, turns: list[str], topic: str
) -> None:
    reply, _ = _talk(knowledge, turns)
    assert reply.drugs == ("azathioprine",)
    assert reply.topics == (topic,)


def test_a_turn_that_only_tells_low_mood_is_heard_without_the_overview(
    knowledge: LoadedKnowledge,
) -> None:
    reply, _ = _talk(
        knowledge,
        ["i'm on cellcept", "im just really low today. nothing is working and im sick of it"],
    )
    low_mood = knowledge.kb.language.cue("low-mood")
    assert low_mood is not None
    assert (reply.drugs, reply.sections, reply.notices) == ((), (), (low_mood.says,))


_TEAM_PLAN = "stop-by-clinician"
_OWN_STOP = "stop-intent"


@pytest.mark.parametrize(
    ("turns", "heard_as"),
    [
        # Told and asked in one message: the team's plan, never the stopping entry's
        # "keep taking it when you feel well".
        (
            ["my haematologist told me to stop azathioprine but i feel fine, should i carry on?"],
            _TEAM_PLAN,
        ),
        # Told, then asked later in the chat: still the team's plan, never "don't stop on
        # your own".
        (
            [
                "im on dapsone",
                "my haematologist told me to stop it because of anaemia",
                "but I feel fine, should I keep taking it",
            ],
            _TEAM_PLAN,
        ),
        # The team restarted it after the pause: stopping is the patient's own idea again.
        (
            [
                "im on aza",
                "my consultant said to stop the aza for 2 weeks around my op",
                "op went fine and theyve restarted it now",
                "can i just stop it myself now, i feel great",
            ],
            _OWN_STOP,
        ),
        # Asked as the patient's own decision, whatever the chat told before.
        (
            [
                "im on aza",
                "my consultant said to stop it for my op",
                "ive decided to stop it, im fed up",
            ],
            _OWN_STOP,
        ),
    ],
)
def test_a_stop_is_heard_as_the_team_or_the_patient_told_it(
    knowledge: LoadedKnowledge, turns: list[str], heard_as: str
) -> None:
    reply, _memory = _talk(knowledge, turns)
    other = _OWN_STOP if heard_as == _TEAM_PLAN else _TEAM_PLAN
    assert knowledge.kb.language.cue(heard_as).says in reply.notices
    assert knowledge.kb.language.cue(other).says not in reply.notices
    if heard_as == _TEAM_PLAN:
        # The stopping entry's "keep taking it when you feel well" would contradict them.
        assert not any(topic.endswith(".stopping") for topic in reply.topics)


@pytest.mark.parametrize(
    ("first", "follow_up", "drug"),
    [
        # The chat's drug's own entries name the medicine asked about.
        ("I'm on ciclosporin", "what about nurofen", "cyclosporine"),
        ("im on sirolimus", "what about ibuprofen", "sirolimus"),
    ],
)
def test_a_medicine_our_drug_speaks_of_is_asked_about_with_the_chats_drug(
    knowledge: LoadedKnowledge, first: str, follow_up: str, drug: str
) -> None:
    memory = ConversationMemory()
    memory.after("chat", knowledge.answer(first, memory.recall("chat")))
    reply = knowledge.answer(follow_up, memory.recall("chat"))
    assert reply.drugs == (drug,)
    assert reply.topics == (f"{drug}.interactions",)
