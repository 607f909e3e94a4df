"""Benchmark the bot against synthetic knowledge files of 10 to 10,000 drug entries.

For each size it writes a made-up but valid knowledge file (same format as
``knowledge/immunosuppressants.yaml``: references, the ten topics, general, caution,
urgent, other_drugs, drugs) into a temporary folder, checks it with
:func:`bot.knowledge.load_knowledge` (what ``python -m bot check`` runs), then measures:

* load + validation + index time (:meth:`LoadedKnowledge.load`, best of 3);
* traced memory (tracemalloc peak during one load, and what the loaded object keeps);
* time per question for ``matcher.match`` alone, and for the full answer
  (:meth:`LoadedKnowledge.answer` + :func:`render_plain`), each on a freshly loaded
  knowledge so that neither pass warms the per-word caches of the other.

Drug names are generated from syllables, with look-alikes (a covered drug one or two
letters from another covered drug, and one or two letters from a drug listed in
``other_drugs``). Questions imitate real traffic: a name and a topic phrase, a one-edit
typo of a name (first letter kept), look-alike names, two drugs, a topic only, off-topic
text and dose questions, each with varied wording so no per-question cache could help.

Prints figures and PASS/MISS against the goals; asserts nothing, and is never collected
by pytest (its name does not start with ``test_``).

Usage::

    /work/venv/bin/python benchmarks/bench_knowledge_scale.py \
        [--sizes 10,100,1000,10000] [--questions 2000] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import json
import os
import platform
import pstats
import random
import resource
import sys
import tempfile
import time
import tracemalloc
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rapidfuzz import process  # noqa: E402  (after the path is set up)
from rapidfuzz.distance import OSA  # noqa: E402

from bot.knowledge import KnowledgeError, load_knowledge  # noqa: E402
from bot.live import LoadedKnowledge  # noqa: E402
from bot.rendering import render_plain  # noqa: E402

GOAL_QUESTION_MS = 1.0  # per question, at 10,000 entries
GOAL_LOAD_MS = 2000.0
GOAL_MEMORY_MB = 200.0
GOAL_SIZE = 10_000

TOPIC_IDS = (
    "how-it-works",
    "effectiveness",
    "time-to-work",
    "side-effects",
    "serious-risks",
    "interactions",
    "tests",
    "who-should-not",
    "pregnancy",
    "uses",
)

# The shared topics, with phrases patients use (a subset of the real file's).
TOPICS: dict[str, tuple[str, list[str]]] = {
    "how-it-works": (
        "How it works",
        [
            "how does it work", "how it works", "what does it do", "mechanism",
            "mechanism of action", "immune system", "white blood cells", "t cells",
            "b cells", "lymphocytes", "antibodies", "suppress", "what kind of drug",
        ],
    ),
    "effectiveness": (
        "How well it works in ITP",
        [
            "does it work", "will it work", "how well", "how effective", "effective",
            "success rate", "response rate", "chances", "worth trying", "studies",
            "evidence", "raise my platelets", "remission", "relapse", "cure",
        ],
    ),
    "time-to-work": (
        "How long it takes to work",
        [
            "how long", "how long does it take", "kick in", "start working", "take effect",
            "when will it work", "how soon", "how quickly", "how fast", "weeks", "months",
            "not working yet", "time frame", "faster",
        ],
    ),
    "side-effects": (
        "Side effects",
        [
            "side effects", "side effect", "side affects", "make me tired", "tired",
            "fatigue", "upset stomach", "headache", "dizzy", "hair loss", "rash", "nausea",
            "insomnia", "weight gain", "feel sick", "no energy",
        ],
    ),
    "serious-risks": (
        "Serious risks",
        [
            "dangerous", "is it dangerous", "is it safe", "serious", "serious side effects",
            "risks", "kidney damage", "high blood pressure", "cancer", "bone marrow",
            "long term", "life threatening", "warnings",
        ],
    ),
    "interactions": (
        "Interactions with food, herbs and medicines",
        [
            "grapefruit", "grapefruit juice", "food", "foods to avoid", "drink", "diet",
            "st johns wort", "herbal", "supplements", "other medicines", "interact",
            "interactions", "mix with", "take together", "antacids",
        ],
    ),
    "tests": (
        "Tests before and during treatment",
        [
            "test", "tests", "blood test", "blood tests", "bloodwork", "genetic test",
            "monitoring", "blood levels", "trough", "checkups", "screening",
            "before starting", "lab tests",
        ],
    ),
    "who-should-not": (
        "Who should not take it",
        [
            "who should not", "shouldnt take", "cant take", "not allowed", "allergic",
            "allergy", "contraindications", "sulfa allergy", "not suitable", "safe for me",
            "avoid if",
        ],
    ),
    "pregnancy": (
        "Pregnancy and breastfeeding",
        [
            "pregnant", "pregnancy", "breastfeeding", "breast milk", "trying for a baby",
            "trying to conceive", "getting pregnant", "contraception", "birth control",
            "expecting a baby",
        ],
    ),
    "uses": (
        "What it is used for",
        [
            "used for", "what is it used for", "what is it for", "why was i given",
            "other uses", "transplant", "rejection", "fda approved", "lupus", "autoimmune",
            "second line", "third line",
        ],
    ),
}  # fmt: skip

GENERAL = (
    (
        "about",
        "What these medicines are",
        [
            "what are immunosuppressants",
            "immunosuppressant",
            "immunosuppressants",
            "anti-rejection",
        ],
        "Immunosuppressants are medicines that reduce the strength of the immune system [page].",
    ),
    (
        "place-in-itp",
        "These medicines in ITP",
        ["itp treatment", "treatment options", "which drugs", "what drugs", "first line"],
        "They are a second or third-line treatment for ITP [page].",
    ),
    (
        "pregnancy",
        "Pregnancy and breastfeeding",
        ["pregnant", "pregnancy", "breastfeeding", "trying for a baby", "conceive"],
        "These medicines should not be used in pregnancy or while breastfeeding [R1][R2].",
    ),
    (
        "infections-cancer",
        "Infections and cancer risk",
        ["infections", "infection risk", "catch infections", "latent virus", "cancer risk"],
        "They can raise the risk of infections and of some cancers [R1].",
    ),
)

URGENT_PHRASES = [
    "fever", "high temperature", "chills", "signs of infection", "bleeding", "nosebleed",
    "bleeding gums", "blood in stool", "black stool", "vomiting blood", "coughing up blood",
    "blood in urine", "cant breathe", "trouble breathing", "chest pain", "fainted",
    "severe headache", "purple spots", "unusual bruising", "yellow eyes", "jaundice",
]  # fmt: skip

REAL_OTHER_DRUGS = [
    "tacrolimus", "everolimus", "azithromycin", "erythromycin", "cyclophosphamide",
    "methotrexate", "mercaptopurine", "rituximab", "prednisone", "prednisolone",
    "dexamethasone", "eltrombopag", "romiplostim", "avatrombopag", "fostamatinib", "danazol",
    "ivig", "warfarin", "aspirin", "ibuprofen", "paracetamol", "metformin", "atorvastatin",
    "omeprazole", "amoxicillin", "ciprofloxacin", "leflunomide", "adalimumab", "fluconazole",
]  # fmt: skip

ONSETS = (
    "b", "c", "d", "f", "g", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z",
    "br", "cl", "dr", "fl", "gr", "kr", "pr", "tr", "st", "th", "qu", "x",
)  # fmt: skip
VOWELS = ("a", "e", "i", "o", "u", "a", "e", "o", "ai", "eo", "y")
CODAS = ("", "", "", "l", "n", "r", "s", "x", "m", "rv", "lc", "nt")
GENERIC_ENDINGS = (
    "tinib", "prine", "zumab", "vastin", "olol", "mycin", "pride", "dronate", "lukast",
    "fenac", "setron", "tegravir", "profen", "oxacin", "parin", "sartan", "lisib", "cerin",
    "dolan", "rimol", "zepine", "tamide", "quine", "barol", "nuride",
)  # fmt: skip
BRAND_ENDINGS = ("ex", "ix", "yn", "ara", "iva", "on", "el", "ora", "ax", "eon")

# Drug-specific phrases for entries: a made-up term (a gene, a lab, a product) per topic.
ENTRY_PHRASE_TEMPLATES: dict[str, tuple[str, ...]] = {
    "how-it-works": ("{w} receptor", "{w} pathway", "{w} enzyme"),
    "effectiveness": ("{w} trial", "{w} study", "{n} percent"),
    "time-to-work": ("{n} weeks", "{n} months", "loading phase"),
    "side-effects": ("{w} rash", "{w} syndrome", "metallic taste"),
    "serious-risks": ("{w} toxicity", "{w} failure", "{w} gene"),
    "interactions": ("{w} juice", "{w} tea", "{w} supplement"),
    "tests": ("{w} test", "{w} levels", "{w} screening"),
    "who-should-not": ("{w} deficiency", "{w} allergy", "{w} disease"),
    "pregnancy": ("{w} contraception", "pregnancy register", "{w} milk"),
    "uses": ("{w} disease", "{w} syndrome", "{w} transplant"),
}

ANSWER_TEMPLATES: dict[str, tuple[str, ...]] = {
    "overview": (
        "{name} (brand {brand}) is a made-up medicine used as a second-line treatment",
        "It is not approved for ITP in this synthetic file",
        "About {n} in 10 patients responded in a small study",
    ),
    "how-it-works": (
        "{name} blocks the {w} pathway in white blood cells",
        "That lowers the immune attack on platelets",
        "It acts mainly on B cells and T cells",
    ),
    "effectiveness": (
        "In one study {n}0% of patients responded to {name}",
        "Many who responded later relapsed",
        "The evidence comes from small studies",
    ),
    "time-to-work": (
        "{name} takes about {n} weeks to raise the platelet count",
        "Some people need {n} months before a response",
        "It is judged only after a full course",
    ),
    "side-effects": (
        "Side effects of {name} include tiredness, headache and nausea",
        "Some people get a rash or dizziness",
        "Hair loss has also been reported",
    ),
    "serious-risks": (
        "{name} may damage the kidneys",
        "It can raise blood pressure",
        "Rarely it causes {w} toxicity",
    ),
    "interactions": (
        "Grapefruit juice can raise the level of {name} in the blood",
        "Herbal supplements can lower it",
        "Tell your pharmacist about every other medicine you take",
    ),
    "tests": (
        "Blood tests are done before starting {name}",
        "Blood levels are checked during treatment",
        "A {w} test may be needed first",
    ),
    "who-should-not": (
        "People allergic to {name} should not take it",
        "It is not suitable for people with {w} deficiency",
        "Ask your doctor whether it is safe for you",
    ),
    "pregnancy": (
        "{name} should not be used in pregnancy",
        "It passes into breast milk",
        "Use contraception while taking it",
    ),
    "uses": (
        "{name} is a second or third-line treatment for ITP",
        "It is also used after an organ transplant",
        "It is used for some autoimmune diseases such as lupus",
    ),
}


# --------------------------------------------------------------------------- the file


@dataclass
class SynthDrug:
    """One generated drug: its names and which topics it has entries for."""

    id: str
    brands: list[str]
    topics: list[str]
    refs: list[str]
    lookalike_of: str | None = None


@dataclass
class SynthKnowledge:
    """What was generated, for writing the file and for generating questions."""

    drugs: list[SynthDrug]
    other_drugs: list[str]
    other_lookalikes: dict[str, str] = field(default_factory=dict)
    """Look-alike drug not covered (in other_drugs) -> the covered drug it resembles."""
    entry_phrases: list[tuple[str, str]] = field(default_factory=list)
    """(drug id, phrase) of drug-specific entry phrases."""

    @property
    def entries(self) -> int:
        return sum(1 + len(d.topics) for d in self.drugs)


def _word(rng: random.Random, syllables: int) -> str:
    return "".join(
        rng.choice(ONSETS) + rng.choice(VOWELS) + rng.choice(CODAS) for _ in range(syllables)
    )


def _variant(rng: random.Random, word: str, edits: Sequence[int]) -> str:
    """Return ``word`` with one of ``edits`` letters changed (never the first letter)."""
    letters = list(word)
    for pos in rng.sample(range(1, len(letters)), rng.choice(edits)):
        choices = "aeiou" if letters[pos] in "aeiouy" else "bcdfgklmnprstvz"
        letters[pos] = rng.choice([c for c in choices if c != letters[pos]])
    return "".join(letters)


def one_edit_typo(rng: random.Random, word: str) -> str:
    """Return ``word`` with one typing mistake (drop, add, swap or change a letter)."""
    pos = rng.randrange(1, len(word) - 1)
    op = rng.choice(("drop", "add", "swap", "change"))
    if op == "drop":
        return word[:pos] + word[pos + 1 :]
    if op == "add":
        return word[:pos] + rng.choice("aeiounrst") + word[pos:]
    if op == "swap" and word[pos] != word[pos + 1]:
        return word[:pos] + word[pos + 1] + word[pos] + word[pos + 2 :]
    return word[:pos] + rng.choice([c for c in "aeioulnrst" if c != word[pos]]) + word[pos + 1 :]


def generate(entries: int, seed: int) -> SynthKnowledge:
    """Generate drugs until there are exactly ``entries`` drug entries (about 9 per drug)."""
    rng = random.Random(seed)
    taken: set[str] = {w for _, phrases in TOPICS.values() for p in phrases for w in p.split()}
    taken.update(REAL_OTHER_DRUGS)

    def fresh(make: Callable[[], str]) -> str:
        for _ in range(1000):
            name = make()
            if name not in taken and len(name) >= 5:
                taken.add(name)
                return name
        raise RuntimeError("could not generate a fresh name")

    drugs: list[SynthDrug] = []
    other_drugs = list(REAL_OTHER_DRUGS)
    other_lookalikes: dict[str, str] = {}
    ref_count = 2  # R1, R2 are the class-level references
    remaining = entries
    while remaining > 0:
        size = min(remaining, rng.randint(8, 10))  # the overview + 7 to 9 topic entries
        lookalike_of: str | None = None
        if drugs and rng.random() < 0.25:
            # A covered look-alike: one or two letters from an earlier covered drug.
            lookalike_of = rng.choice(drugs).id
            generic = fresh(partial(_variant, rng, lookalike_of, (1, 1, 2)))
        else:
            generic = fresh(lambda: _word(rng, rng.choice((1, 2))) + rng.choice(GENERIC_ENDINGS))
        brands = [
            fresh(lambda: (_word(rng, 2) + rng.choice(BRAND_ENDINGS)).capitalize())
            for _ in range(rng.choice((1, 1, 2)))
        ]
        refs = [f"R{ref_count + k + 1}" for k in range(rng.randint(2, 4))]
        ref_count += len(refs)
        topics = rng.sample(TOPIC_IDS, size - 1)
        topics.sort(key=TOPIC_IDS.index)
        drugs.append(SynthDrug(generic, brands, topics, refs, lookalike_of))
        if rng.random() < 0.2:
            # A look-alike we do not cover: its typos must never give the covered drug.
            other = fresh(partial(_variant, rng, generic, (1, 2)))
            other_drugs.append(other)
            other_lookalikes[other] = generic
        remaining -= size
    return SynthKnowledge(drugs, other_drugs, other_lookalikes)


def _q(value: str) -> str:
    """A YAML double-quoted scalar (JSON strings are valid YAML)."""
    return json.dumps(value, ensure_ascii=False)


def _flow(values: Iterable[str]) -> str:
    return "[" + ", ".join(_q(v) for v in values) + "]"


def _answer(
    rng: random.Random, kind: str, drug: SynthDrug, refs: Sequence[str]
) -> tuple[str, list[str]]:
    """Return answer text citing every one of ``refs`` (and nothing else), and the refs."""
    sentences = ANSWER_TEMPLATES[kind]
    fill = {
        "name": drug.id.capitalize(),
        "brand": drug.brands[0],
        "n": str(rng.randint(2, 9)),
        "w": _word(rng, 2),
    }
    parts = []
    for i, sentence in enumerate(sentences):
        # Each reference cited once; the last sentence carries any left over.
        cited = [refs[i]] if i < len(refs) else []
        if i == len(sentences) - 1:
            cited = list(refs[i:])
        markers = "".join(f"[{r}]" for r in cited)
        parts.append(f"{sentence.format(**fill)} {markers}".rstrip() + ".")
    return " ".join(parts), list(refs)


def write_knowledge(synth: SynthKnowledge, path: Path, seed: int) -> None:
    """Write ``synth`` as a knowledge file in the format of the real one."""
    rng = random.Random(seed)
    out: list[str] = [
        "# yaml-language-server: $schema=schema.json",
        "# Synthetic knowledge file written by benchmarks/bench_knowledge_scale.py.",
        "",
        "references:",
        '  - id: R1\n    citation: "Synthetic class reference one."',
        '  - id: R2\n    citation: "Synthetic class reference two."\n'
        "    link: https://example.org/class-two",
        "  - id: page",
        '    citation: "The synthetic patient page this file pretends to be built from."',
    ]
    for drug in synth.drugs:
        for ref in drug.refs:
            out.append(f"  - id: {ref}")
            out.append(
                "    citation: "
                + _q(
                    f"{_word(rng, 2).capitalize()} A et al. “Outcomes of {drug.id} in "
                    f"adult ITP.” J Synth Haematol. {rng.randint(1990, 2024)};"
                    f"{rng.randint(1, 99)}({rng.randint(1, 12)}):{rng.randint(1, 900)}."
                )
            )
            if rng.random() < 0.3:
                out.append(f"    link: https://example.org/{drug.id}/{ref.lower()}")
    out += ["", "topics:"]
    for topic_id in TOPIC_IDS:
        title, phrases = TOPICS[topic_id]
        out += [f"  - id: {topic_id}", f"    title: {_q(title)}", f"    phrases: {_flow(phrases)}"]
    out += ["", "general:"]
    for entry_id, title, phrases, answer in GENERAL:
        refs = sorted({m for m in ("R1", "R2", "page") if f"[{m}]" in answer})
        out += [
            f"  - id: {entry_id}",
            f"    title: {_q(title)}",
            f"    phrases: {_flow(phrases)}",
            f"    answer: {_q(answer)}",
            f"    references: {_flow(refs)}",
        ]
    out += [
        "",
        "caution:",
        "  title: A word of caution",
        "  answer: "
        + _q(
            "Do not use these medicines in pregnancy; they raise the risk of infections [R1]. "
            "General information, not medical advice [R2]."
        ),
        "  references: [R1, R2]",
        "",
        "urgent:",
        f"  phrases: {_flow(URGENT_PHRASES)}",
        "  answer: "
        + _q("Contact your doctor now, or call emergency services if it is severe [R1]."),
        "  references: [R1]",
        "",
        f"other_drugs: {_flow(synth.other_drugs)}",
        "",
        "drugs:",
    ]
    synth.entry_phrases.clear()
    for drug in synth.drugs:
        out += [
            f"  - id: {drug.id}",
            f"    name: {_q(drug.id.capitalize())}",
            f"    names: {_flow([drug.id, *drug.brands])}",
            f"    link: https://example.org/drugs/{drug.id}.html",
            "    overview:",
        ]
        refs = ["page", *rng.sample(drug.refs, min(2, len(drug.refs)))]
        text, refs = _answer(rng, "overview", drug, refs)
        out += [f"      answer: {_q(text)}", f"      references: {_flow(refs)}", "    entries:"]
        for topic_id in drug.topics:
            out.append(f"      - id: {topic_id}")
            if rng.random() < 0.6:
                phrases = sorted(
                    {
                        t.format(w=_word(rng, 2), n=rng.randint(2, 12))
                        for t in rng.sample(ENTRY_PHRASE_TEMPLATES[topic_id], rng.randint(1, 3))
                    }
                )
                out.append(f"        phrases: {_flow(phrases)}")
                synth.entry_phrases.extend((drug.id, p) for p in phrases)
            refs = rng.sample(drug.refs, rng.randint(1, min(3, len(drug.refs))))
            if rng.random() < 0.2:
                refs.append("page")
            text, refs = _answer(rng, topic_id, drug, refs)
            out += [f"        answer: {_q(text)}", f"        references: {_flow(refs)}"]
    path.write_text("\n".join(out) + "\n", encoding="utf-8")


# --------------------------------------------------------------------------- questions


@dataclass(frozen=True)
class Question:
    """A question, its kind, and the covered drugs a correct reading finds (None: any)."""

    text: str
    kind: str
    expect: tuple[str, ...] | None
    ambiguous: bool = False
    """A misspelt name at least as close to another drug (same first letter) as to its own."""


PREFIXES = (
    "", "", "", "hi, ", "quick question: ", "my mum is on it - ", "doctor said ", "hey ",
    "sorry to ask but ", "so ", "ok ", "help! ",
)  # fmt: skip
SUFFIXES = ("?", "?", "??", "", " thanks", " pls", " x", "?!", " asap", " :(", "...")
TOPIC_TEMPLATES = (
    "{name} {phrase}",
    "does {name} cause {phrase}",
    "{phrase} with {name}",
    "what about {phrase} on {name}",
    "i started {name} last week, {phrase}",
    "is {phrase} normal on {name}",
    "{name}: {phrase}",
)
TWO_DRUG_TEMPLATES = (
    "can i take {a} with {b}",
    "{a} or {b}, which is better for {phrase}",
    "switching from {a} to {b}, {phrase}",
    "{a} and {b} together {phrase}",
)
DOSE_TEMPLATES = (
    "how many mg of {name} should i take",
    "what dose of {name} is normal",
    "can i double my {name} dose",
    "how much {name} should i take a day",
    "{name} dosage for adults",
)
OFF_TOPIC = (
    "what is the weather in paris tomorrow",
    "recommend a good pizza place near me",
    "who won the football last night",
    "how do i reset my router password",
    "tell me a joke about cats",
    "best way to learn the guitar",
    "is the train station open on sunday",
)


def questions(synth: SynthKnowledge, count: int, seed: int) -> list[Question]:
    """Return ``count`` varied questions about this knowledge, like real traffic."""
    rng = random.Random(seed)
    phrases = [p for _, ps in TOPICS.values() for p in ps]
    names: list[tuple[str, str]] = [(d.id, n) for d in synth.drugs for n in (d.id, *d.brands)]
    lookalikes = [d for d in synth.drugs if d.lookalike_of]
    other_lookalikes = list(synth.other_lookalikes)
    kinds = (
        ["name+topic"] * 28
        + ["typo"] * 20
        + ["look-alike"] * 10
        + ["two drugs"] * 10
        + ["topic only"] * 10
        + ["entry phrase"] * 5
        + ["off-topic"] * 9
        + ["dose"] * 8
    )

    def styled(text: str) -> str:
        text = rng.choice(PREFIXES) + text + rng.choice(SUFFIXES)
        roll = rng.random()
        if roll < 0.1:
            return text.capitalize()
        if roll < 0.13:
            return text.upper()
        return text

    by_letter: dict[str, list[str]] = defaultdict(list)
    for known in {n.casefold() for _, n in names} | {o.casefold() for o in synth.other_drugs}:
        by_letter[known[:1]].append(known)

    def ambiguous(word: str, meant: str) -> bool:
        """True if another known name with the same first letter is at least as close."""
        distance = OSA.distance(word, meant)
        rivals = process.extract(
            word, by_letter[word[:1]], scorer=OSA.distance, score_cutoff=distance, limit=2
        )
        return any(rival != meant for rival, _, _ in rivals)

    out: list[Question] = []
    for i in range(count):
        kind = rng.choice(kinds)
        unclear = False
        drug_id, name = rng.choice(names)
        phrase = rng.choice(phrases)
        if kind == "name+topic":
            text = rng.choice(TOPIC_TEMPLATES).format(name=name, phrase=phrase)
            expect: tuple[str, ...] | None = (drug_id,)
        elif kind == "typo":
            typo = one_edit_typo(rng, drug_id)
            text = rng.choice(TOPIC_TEMPLATES).format(name=typo, phrase=phrase)
            expect, unclear = (drug_id,), ambiguous(typo, drug_id)
        elif kind == "look-alike":
            if other_lookalikes and (not lookalikes or rng.random() < 0.5):
                # A drug we do not cover, or a typo of it: must not give the covered one.
                other = rng.choice(other_lookalikes)
                word = other if rng.random() < 0.5 else one_edit_typo(rng, other)
                expect, unclear = (), ambiguous(word, other)
            elif lookalikes:
                drug = rng.choice(lookalikes)
                word, expect = drug.id, (drug.id,)
            else:
                word, expect = drug_id, (drug_id,)
            text = rng.choice(TOPIC_TEMPLATES).format(name=word, phrase=phrase)
        elif kind == "two drugs":
            other_id, other_name = rng.choice(names)
            text = rng.choice(TWO_DRUG_TEMPLATES).format(a=name, b=other_name, phrase=phrase)
            expect = tuple(dict.fromkeys((drug_id, other_id)))
        elif kind == "topic only":
            text = phrase if rng.random() < 0.5 else f"{phrase} on this medicine"
            expect = ()
        elif kind == "entry phrase":
            if synth.entry_phrases:
                _, entry_phrase = rng.choice(synth.entry_phrases)
            else:
                entry_phrase = phrase
            text = rng.choice((f"what about the {entry_phrase}", f"{entry_phrase} {name}"))
            expect = None
        elif kind == "off-topic":
            if rng.random() < 0.5:
                text = rng.choice(OFF_TOPIC)
            else:
                text = " ".join(_word(rng, rng.randint(1, 3)) for _ in range(rng.randint(2, 7)))
            expect = None
        else:
            text = rng.choice(DOSE_TEMPLATES).format(name=name)
            expect = (drug_id,)
        text = styled(text)
        if rng.random() < 0.2:
            text = f"{text} #{i}"
        out.append(Question(text, kind, expect, unclear))
    return out


# --------------------------------------------------------------------------- measuring


@dataclass
class Timings:
    """Per-question times of one pass, wall-clock and CPU, in ms."""

    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)


@dataclass
class GcPauses:
    """Garbage-collector pauses seen during a pass (installed as a gc callback)."""

    pauses_ms: list[float] = field(default_factory=list)
    full: int = 0
    _start: float = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._start = time.perf_counter()
            return
        self.pauses_ms.append((time.perf_counter() - self._start) * 1000)
        if info.get("generation") == 2:
            self.full += 1


@dataclass
class Row:
    """The figures for one size."""

    entries: int
    drugs: int
    file_kb: float
    load_ms: float
    load_cpu_ms: float
    peak_mb: float
    kept_mb: float
    match: Timings
    answer: Timings
    answer_by_kind: dict[str, list[float]]
    reading: Counter[str]
    answer_kinds: Counter[str]
    longest_reply: int
    most_buttons: int
    gc: GcPauses


def percentile(values: Sequence[float], pct: float) -> float:
    """Return the nearest-rank percentile of ``values``."""
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


def load_timed(path: Path) -> tuple[LoadedKnowledge, float, float]:
    """Load once; return the knowledge, wall-clock ms and CPU ms."""
    wall, cpu = time.perf_counter(), time.thread_time()
    knowledge = LoadedKnowledge.load(path)
    return knowledge, (time.perf_counter() - wall) * 1000, (time.thread_time() - cpu) * 1000


def measure(entries: int, count: int, profile: bool) -> Row:
    """Generate, check and measure one knowledge file of ``entries`` drug entries."""
    seed = 1000 + entries
    synth = generate(entries, seed)
    with tempfile.TemporaryDirectory(prefix="bench-knowledge-") as tmp:
        path = Path(tmp) / "synthetic.yaml"
        write_knowledge(synth, path, seed)
        try:
            load_knowledge(path)  # exactly what `python -m bot check <file>` runs
        except KnowledgeError as error:
            print(f"generated file for {entries} entries is INVALID:", file=sys.stderr)
            for problem in error.problems[:30]:
                print(f"  {problem}", file=sys.stderr)
            raise SystemExit(1) from error
        file_kb = path.stat().st_size / 1024
        qs = questions(synth, count, seed)

        # Only one loaded knowledge alive at a time, as in the bot: a full garbage
        # collection walks every live object, so extra copies would slow it down.
        load_ms = load_cpu_ms = float("inf")
        for _ in range(3):
            gc.collect()
            _, wall, cpu = load_timed(path)
            load_ms, load_cpu_ms = min(load_ms, wall), min(load_cpu_ms, cpu)

        gc.collect()
        tracemalloc.start()
        traced = LoadedKnowledge.load(path)
        kept, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        del traced
        gc.collect()

        # Each pass on a freshly loaded knowledge, so that neither warms the per-word
        # caches of the other.
        matcher = LoadedKnowledge.load(path).matcher
        match = Timings()
        reading: Counter[str] = Counter()
        for q in qs:
            wall, cpu = time.perf_counter(), time.thread_time()
            found = matcher.match(q.text)
            match.cpu.append((time.thread_time() - cpu) * 1000)
            match.wall.append((time.perf_counter() - wall) * 1000)
            reading[_reading(q, found.drugs)] += 1
        del matcher
        gc.collect()

        knowledge = LoadedKnowledge.load(path)
        answer = Timings()
        by_kind: dict[str, list[float]] = defaultdict(list)
        answer_kinds: Counter[str] = Counter()
        longest = most_buttons = 0
        pauses = GcPauses()
        gc.callbacks.append(pauses)
        try:
            for q in qs:
                wall, cpu = time.perf_counter(), time.thread_time()
                reply = knowledge.answer(q.text)
                text = render_plain(reply)
                answer.cpu.append((time.thread_time() - cpu) * 1000)
                answer.wall.append((time.perf_counter() - wall) * 1000)
                by_kind[q.kind].append(answer.wall[-1])
                answer_kinds[reply.kind] += 1
                longest = max(longest, len(text))
                most_buttons = max(most_buttons, len(reply.buttons))
        finally:
            gc.callbacks.remove(pauses)
        del knowledge
        gc.collect()

        if profile:
            print(f"\n--- cProfile, {entries:,} entries: LoadedKnowledge.load ---")
            _profile(lambda: LoadedKnowledge.load(path), 14)
            fresh = LoadedKnowledge.load(path)
            print(f"--- cProfile, {entries:,} entries: {count:,} x answer + render_plain ---")
            _profile(lambda: [render_plain(fresh.answer(q.text)) for q in qs], 18)
            del fresh
            gc.collect()

    return Row(
        entries=synth.entries,
        drugs=len(synth.drugs),
        file_kb=file_kb,
        load_ms=load_ms,
        load_cpu_ms=load_cpu_ms,
        peak_mb=peak / 2**20,
        kept_mb=kept / 2**20,
        match=match,
        answer=answer,
        answer_by_kind=dict(by_kind),
        reading=reading,
        answer_kinds=answer_kinds,
        longest_reply=longest,
        most_buttons=most_buttons,
        gc=pauses,
    )


def _reading(q: Question, found: tuple[str, ...]) -> str:
    """Classify how the matcher read the drugs of a question with a known answer."""
    if q.expect is None:
        return "n/a"
    if q.ambiguous:
        return "ambiguous"
    if set(found) == set(q.expect):
        return "right"
    if set(found) - set(q.expect):
        return "wrong drug"
    return "missed"


def _profile(run: Callable[[], object], lines: int) -> None:
    profiler = cProfile.Profile()
    profiler.enable()
    run()
    profiler.disable()
    stats = pstats.Stats(profiler)
    stats.strip_dirs().sort_stats("tottime").print_stats(lines)


# --------------------------------------------------------------------------- report


def verdict(ok: bool) -> str:
    """PASS or MISS."""
    return "PASS" if ok else "MISS"


def _load_average() -> str:
    try:
        return " ".join(f"{v:.2f}" for v in os.getloadavg())
    except OSError:
        return "unknown"


def main(argv: Sequence[str] | None = None) -> None:
    """Run the benchmark and print the results."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--sizes", default="10,100,1000,10000", help="entry counts, comma-separated"
    )
    parser.add_argument("--questions", type=int, default=2000, help="questions per size")
    parser.add_argument(
        "--profile", action="store_true", help="also print a cProfile of load and answers"
    )
    args = parser.parse_args(argv)
    sizes = [int(s.strip().replace("_", "")) for s in args.sizes.split(",") if s.strip()]

    print(
        f"Python {platform.python_version()} ({platform.python_implementation()}), "
        f"{platform.platform()}, {os.cpu_count()} CPUs"
    )
    print(
        "One process, one thread, on this machine (not a dedicated one); "
        f"load average at start: {_load_average()}"
    )
    print(f"{args.questions:,} questions per size. Per-question times in ms.")
    print("load = LoadedKnowledge.load (parse + validate + index), best of 3, wall-clock;")
    print("peak / kept MB = tracemalloc during / after one load (knowledge + matcher);")
    print("match = matcher.match; answer = LoadedKnowledge.answer + render_plain; wall-clock.")
    header = (
        f"{'entries':>8} {'drugs':>6} {'file KB':>8} {'load ms':>8} {'peak MB':>8} "
        f"{'kept MB':>8} {'match p50':>10} {'match p99':>10} {'answer p50':>11} "
        f"{'answer p99':>11}"
    )
    print(header)
    print("-" * len(header))
    rows: list[Row] = []
    started = time.perf_counter()
    for size in sizes:
        row = measure(size, args.questions, args.profile)
        rows.append(row)
        print(
            f"{row.entries:>8,} {row.drugs:>6,} {row.file_kb:>8,.0f} {row.load_ms:>8,.1f} "
            f"{row.peak_mb:>8.1f} {row.kept_mb:>8.1f} "
            f"{percentile(row.match.wall, 50):>10.3f} {percentile(row.match.wall, 99):>10.3f} "
            f"{percentile(row.answer.wall, 50):>11.3f} {percentile(row.answer.wall, 99):>11.3f}",
            flush=True,
        )

    print("\nThe same in CPU time of this thread (time.thread_time: leaves out waiting for a CPU):")
    for row in rows:
        print(
            f"{row.entries:>8,} entries: load {row.load_cpu_ms:,.1f} ms; "
            f"match p50 {percentile(row.match.cpu, 50):.3f} "
            f"p99 {percentile(row.match.cpu, 99):.3f}; "
            f"answer p50 {percentile(row.answer.cpu, 50):.3f} "
            f"p99 {percentile(row.answer.cpu, 99):.3f}"
        )

    print("\nGarbage-collector pauses during the answer pass:")
    for row in rows:
        pauses = row.gc.pauses_ms
        print(
            f"{row.entries:>8,} entries: {len(pauses)} collections ({row.gc.full} full), "
            f"{sum(pauses):.1f} ms in all, longest {max(pauses, default=0.0):.2f} ms"
        )

    print("\nHow the matcher read the drugs named (questions with a known right reading;")
    print("ambiguous = a misspelling as close to another name with the same first letter):")
    for row in rows:
        known = sum(v for k, v in row.reading.items() if k != "n/a")
        parts = ", ".join(
            f"{k} {row.reading[k]}/{known}" for k in ("right", "wrong drug", "missed", "ambiguous")
        )
        print(f"{row.entries:>8,} entries: {parts}")
    print("\nReplies (kinds), longest reply and most buttons on one reply:")
    for row in rows:
        kinds = ", ".join(f"{k} {v}" for k, v in sorted(row.answer_kinds.items()))
        print(
            f"{row.entries:>8,} entries: {kinds}; longest {row.longest_reply:,} chars; "
            f"{row.most_buttons:,} buttons"
        )

    biggest = rows[-1]
    print(f"\nAnswer time by question kind at {biggest.entries:,} entries (wall-clock ms):")
    for kind, values in sorted(biggest.answer_by_kind.items()):
        print(
            f"  {kind:<13} n={len(values):>4}  p50 {percentile(values, 50):7.3f}  "
            f"p99 {percentile(values, 99):7.3f}  max {max(values):7.3f}"
        )

    goal_row = next((r for r in rows if r.entries == GOAL_SIZE), None)
    print(f"\nGoals, judged on wall-clock at {GOAL_SIZE:,} entries:")
    if goal_row is None:
        print(f"  not judged: run with --sizes including {GOAL_SIZE}")
    else:
        checks = (
            ("answer p50 < 1 ms", percentile(goal_row.answer.wall, 50), GOAL_QUESTION_MS, "ms"),
            ("answer p99 < 1 ms", percentile(goal_row.answer.wall, 99), GOAL_QUESTION_MS, "ms"),
            ("match p50 < 1 ms", percentile(goal_row.match.wall, 50), GOAL_QUESTION_MS, "ms"),
            ("match p99 < 1 ms", percentile(goal_row.match.wall, 99), GOAL_QUESTION_MS, "ms"),
            ("load < 2 s", goal_row.load_ms, GOAL_LOAD_MS, "ms"),
            ("memory < 200 MB", goal_row.peak_mb, GOAL_MEMORY_MB, "MB (tracemalloc peak)"),
        )
        for label, value, goal, unit in checks:
            print(f"  {verdict(value < goal)}  {label:<18} measured {value:,.3f} {unit}")
    max_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"\nprocess max RSS {max_rss_mb:,.0f} MB (whole benchmark); "
        f"load average at end: {_load_average()}; total run time "
        f"{time.perf_counter() - started:.1f} s"
    )


if __name__ == "__main__":
    main()
