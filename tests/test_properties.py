"""Property-based tests: any text in, valid Telegram replies out.

Hypothesis throws arbitrary Unicode, markup, injection attempts and drug names
with typos at the matcher and the composer, and every reply must still be valid
Telegram HTML within Telegram's limits. The knowledge and its matcher are built
once for the whole module.
"""

from __future__ import annotations

import re
import unicodedata
from html.parser import HTMLParser

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from bot.composing import Answer, Button, Context, Section, answer_for_callback, answer_question
from bot.knowledge import Reference, load_knowledge
from bot.matching import Matcher, normalize
from bot.rendering import TELEGRAM_MESSAGE_LIMIT, render_html, render_plain, split_message

KB = load_knowledge()
MATCHER = Matcher.build(KB)
# A second index whose caches are emptied before every use: answers must not
# depend on what earlier questions left in the caches.
COLD_MATCHER = Matcher.build(KB)

CALLBACK_DATA_BYTES = 64  # Telegram: callback_data is 1-64 bytes
INLINE_ID_BYTES = 64  # Telegram: an inline result id is 1-64 bytes
INLINE_TITLE_CHARS = 100  # what telegram_app.inline keeps of a title
INLINE_DESCRIPTION_CHARS = 120  # what telegram_app.inline keeps of a description
MAX_INLINE_RESULTS = 10

FAST = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
MEDIUM = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# --------------------------------------------------------------------------- Telegram HTML

# Telegram's supported tags and the attributes each may (or must) carry.
_ALLOWED_TAGS = {
    "b": set(),
    "strong": set(),
    "i": set(),
    "em": set(),
    "u": set(),
    "ins": set(),
    "s": set(),
    "strike": set(),
    "del": set(),
    "span": {"class"},
    "tg-spoiler": set(),
    "a": {"href"},
    "code": {"class"},
    "pre": set(),
    "blockquote": {"expandable"},
    "tg-emoji": {"emoji-id"},
}
_REQUIRED_ATTRS = {"a": {"href"}, "span": {"class"}, "tg-emoji": {"emoji-id"}}
_ENTITY_RE = re.compile(r"&(?:lt|gt|amp|quot|#[0-9]+|#x[0-9a-fA-F]+);")
_NAMED_ENTITIES = {"lt", "gt", "amp", "quot"}


class _TelegramHTMLValidator(HTMLParser):
    """Collect every way a string breaks Telegram's HTML parse mode."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.errors: list[str] = []
        self.stack: list[str] = []
        self.text_parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        raw = self.get_starttag_text() or ""
        if tag not in _ALLOWED_TAGS:
            self.errors.append(f"unsupported tag {raw!r}")
            return
        names = [name for name, _ in attrs]
        unknown = set(names) - _ALLOWED_TAGS[tag]
        if unknown:
            self.errors.append(f"unsupported attributes {sorted(unknown)} in {raw!r}")
        missing = _REQUIRED_ATTRS.get(tag, set()) - set(names)
        if missing:
            self.errors.append(f"missing attributes {sorted(missing)} in {raw!r}")
        if tag == "span" and dict(attrs).get("class") != "tg-spoiler":
            self.errors.append(f"a span must be class='tg-spoiler': {raw!r}")
        if tag == "a" and not (dict(attrs).get("href") or "").strip():
            self.errors.append(f"empty href in {raw!r}")
        if tag == "a" and "a" in self.stack:
            self.errors.append("a link inside a link")
        self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.errors.append(f"self-closing tag {self.get_starttag_text()!r}")

    def handle_endtag(self, tag: str) -> None:
        if not self.stack:
            self.errors.append(f"</{tag}> closes nothing")
        elif self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes <{self.stack[-1]}> (bad nesting)")
        else:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        for char in "<>&":
            if char in data:
                self.errors.append(f"raw {char!r} in text {data[:60]!r}")
        self.text_parts.append(data)

    def handle_entityref(self, name: str) -> None:
        if name not in _NAMED_ENTITIES:
            self.errors.append(f"unsupported entity &{name};")

    def handle_charref(self, name: str) -> None:
        if not re.fullmatch(r"[0-9]+|[xX][0-9a-fA-F]+", name):
            self.errors.append(f"bad character reference &#{name};")

    def handle_comment(self, data: str) -> None:
        self.errors.append(f"comment <!--{data[:40]}-->")

    def handle_decl(self, decl: str) -> None:
        self.errors.append(f"declaration <!{decl[:40]}>")

    def handle_pi(self, data: str) -> None:
        self.errors.append(f"processing instruction <?{data[:40]}>")

    def unknown_decl(self, data: str) -> None:
        self.errors.append(f"unknown declaration {data[:40]!r}")


def telegram_html_errors(message: str) -> list[str]:
    """Return why ``message`` is not valid Telegram HTML (empty when it is valid)."""
    parser = _TelegramHTMLValidator()
    parser.feed(message)
    parser.close()
    errors = list(parser.errors)
    if parser.stack:
        errors.append(f"unclosed tags {parser.stack}")
    # Every & must open one of the entities Telegram knows, semicolon included
    # (HTMLParser forgives a missing semicolon; Telegram does not).
    for found in re.finditer("&", message):
        if not _ENTITY_RE.match(message, found.start()):
            errors.append(
                f"unescaped & at {found.start()}: {message[found.start() : found.start() + 12]!r}"
            )
    return errors


def assert_valid_messages(messages: list[str]) -> None:
    """Every message is non-empty, within Telegram's length limit and valid HTML."""
    assert messages, "no message at all"
    for message in messages:
        assert message.strip(), f"an empty message in {messages!r}"
        assert len(message) <= TELEGRAM_MESSAGE_LIMIT, len(message)
        errors = telegram_html_errors(message)
        assert not errors, f"{errors}\nin message:\n{message}"


def assert_valid_buttons(buttons: tuple[Button, ...]) -> None:
    """Every button has a label and callback data Telegram accepts and the bot understands."""
    for button in buttons:
        assert button.label.strip()
        assert 1 <= len(button.data.encode("utf-8")) <= CALLBACK_DATA_BYTES, button.data
        assert answer_for_callback(KB, button.data) is not None, button.data


def test_the_validator_accepts_telegram_html_and_rejects_the_rest() -> None:
    assert not telegram_html_errors(
        '<b>bold &amp; <i>it</i></b> <a href="https://x.y/?a=1&amp;b=2">l</a>'
    )
    assert not telegram_html_errors("&lt;script&gt; &#60; &#x3C; &quot;")
    assert not telegram_html_errors('<span class="tg-spoiler">s</span><tg-spoiler>t</tg-spoiler>')
    for bad in (
        "<script>x</script>",
        "<b>unclosed",
        "</b>",
        "<b><i>x</b></i>",
        "a < b",
        "a > b",
        "fish & chips",
        "&amp without semicolon",
        "&nbsp;",
        "<a>no href</a>",
        '<span class="x">y</span>',
        "<br/>",
        "<!-- c -->",
        '<b onclick="x">y</b>',
    ):
        assert telegram_html_errors(bad), bad


# --------------------------------------------------------------------------- strategies

DRUG_IDS = [d.id for d in KB.drugs]
TOPIC_IDS = [t.id for t in KB.topics]
COVERED_NAMES = sorted({n for d in KB.drugs for n in d.names})
LOOK_ALIKES = [
    "tacrolimus",
    "temsirolimus",
    "everolimus",
    "azithromycin",
    "cyclophosphamide",
    "cyclobenzaprine",
    "dapagliflozin",
]
FRAGMENTS = [
    "",
    " ",
    "\n",
    "\t",
    "\r\n",
    "\u00a0",
    "\u200b",
    "\u202e",
    "\x00",
    "\x07",
    "\x1b[31m",
    "\ufeff",
    "<b>",
    "</b>",
    "</i>",
    "<i>",
    "<a href='x'>",
    '<a href="javascript:alert(1)">',
    "</a>",
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<tg-spoiler>",
    "<pre>",
    "&amp;",
    "&",
    "&lt;",
    "&#60;",
    "&nbsp;",
    "<",
    ">",
    "<<>>",
    "*_`[]()",
    "**bold**",
    "[link](http://x)",
    "'; DROP TABLE x; --",
    "$(rm -rf /)",
    "`rm -rf /`",
    "{{7*7}}",
    "%s%s%n",
    "\\",
    "\U0001f48a",
    "\U0001f469\u200d\U0001f469\u200d\U0001f467",
    "\U0001f1ec\U0001f1e7",
    "\u26a0\ufe0f",
    "ما هي الآثار الجانبية",
    "תופעות לוואי",
    "副作用は何ですか",
    "побочные эффекты",
    "İSTANBUL ǅ ß ﬁ ㎎",
    "side effects",
    "grapefruit",
    "how long",
    "pregnant",
    "blood test",
    "vomiting blood",
    "missed dose",
    "how much should i take",
    "which one",
    "hi",
    "thanks",
    "and the side effects?",
    "mg",
]
TYPOS = ["azathiprine", "cyclosprine", "celcept", "dapson", "sirolimis", "imuran", "IMURAN???"]

words = st.one_of(
    st.sampled_from(FRAGMENTS),
    st.sampled_from(COVERED_NAMES + TYPOS + LOOK_ALIKES + list(KB.other_drugs)),
    st.text(max_size=30),
    st.text(alphabet=st.characters(codec="ascii"), max_size=30),
)
mixed_text = st.lists(words, max_size=25).flatmap(
    lambda parts: st.sampled_from([" ", "", "\n", ", ", "<br>"]).map(lambda sep: sep.join(parts))
)
long_text = st.tuples(
    st.one_of(words, st.text(min_size=1, max_size=50)), st.integers(1, 10_000)
).map(lambda pair: (pair[0] * pair[1])[:10_000])
any_text = st.one_of(
    st.text(),
    st.text(alphabet=st.characters(categories=("Cc", "Cf", "Zs", "Zl", "Zp", "Mn")), max_size=50),
    mixed_text,
    long_text,
)
contexts = st.one_of(
    st.none(),
    st.builds(
        Context,
        drugs=st.lists(st.sampled_from([*DRUG_IDS, "removed-drug"]), max_size=3, unique=True).map(
            tuple
        ),
        topics=st.lists(
            st.sampled_from([*TOPIC_IDS, "removed-topic"]), max_size=3, unique=True
        ).map(tuple),
    ),
)


def ask(text: str, context: Context | None = None) -> Answer:
    return answer_question(KB, MATCHER, text, context)


# --------------------------------------------------------------------------- 1. any text


@FAST
@given(text=any_text, context=contexts)
@example(text="", context=None)
@example(text="<b>imuran</b> & <i>grapefruit", context=None)
@example(text="\u200b\u202e", context=Context(("removed-drug",), ("removed-topic",)))
@example(text="and the side effects?", context=Context(tuple(DRUG_IDS), tuple(TOPIC_IDS)))
@example(text="'; DROP TABLE x; -- $(rm -rf /) *_`[]() &amp; &", context=None)
def test_any_question_gets_valid_telegram_messages(text: str, context: Context | None) -> None:
    answer = ask(text, context)
    assert answer.kind in {
        "answer",
        "no_entry",
        "clarify",
        "not_covered",
        "greeting",
        "crisis",
        "foreign",
    }
    assert_valid_messages(render_html(answer))
    assert render_plain(answer).strip()
    assert_valid_buttons(answer.buttons)


live_contexts = st.one_of(
    st.none(),
    st.builds(
        Context,
        drugs=st.lists(st.sampled_from(DRUG_IDS), min_size=1, max_size=3, unique=True).map(tuple),
        topics=st.lists(st.sampled_from(TOPIC_IDS), max_size=3, unique=True).map(tuple),
    ),
)


@FAST
@given(text=st.one_of(any_text, mixed_text), context=live_contexts)
def test_an_answer_always_answers_something(text: str, context: Context | None) -> None:
    answer = ask(text, context)
    if answer.kind == "answer":
        assert answer.sections or answer.urgent, answer.notices
    if answer.drugs:
        assert answer.sections
    for notice in answer.notices:
        assert " for ." not in notice, notice
        assert "  " not in notice, notice


@pytest.mark.parametrize("question", ["side effects?", "how should i store it"])
def test_a_follow_up_on_a_drug_no_longer_in_the_knowledge(question: str) -> None:
    stale = Context(drugs=("removed-drug",), topics=("side-effects",))
    answer = ask(question, stale)
    assert answer.sections or answer.kind != "answer", render_plain(answer)
    assert all(" for ." not in notice for notice in answer.notices), answer.notices


# --------------------------------------------------------------------------- 2. no echo

_TAG_OPENING_RE = re.compile(r"</?[A-Za-z][\w-]*")
_BOT_TAGS = {"<b", "</b", "<i", "</i", "<a", "</a"}
# Random tokens made of letters then digits: never a drug name, never a drug suffix.
tokens = st.tuples(
    st.text(alphabet="bcdfghjkqvxz", min_size=3, max_size=6), st.integers(10_000, 10**9)
).map(lambda pair: f"{pair[0]}{pair[1]}")


@FAST
@given(
    before=mixed_text,
    tag=st.sampled_from(["script", "img src=x", "tg-spoiler", "iframe", "svg", "u", "code", "B"]),
    after=mixed_text,
)
def test_markup_in_a_question_never_reaches_the_reply(before: str, tag: str, after: str) -> None:
    text = f"{before} <{tag}>{after}</{tag.split()[0]}>"
    output = "\n".join(render_html(ask(text)))
    for opening in set(_TAG_OPENING_RE.findall(text)) - _BOT_TAGS:
        assert opening not in output, opening
    assert "<script" not in output.lower()


@FAST
@given(before=mixed_text, token=tokens, after=mixed_text, context=contexts)
def test_the_question_is_never_echoed(
    before: str, token: str, after: str, context: Context | None
) -> None:
    answer = ask(f"{before} {token} {after}", context)
    output = "\n".join(render_html(answer)).casefold()
    assert token.casefold() not in output
    assert token.casefold() not in render_plain(answer).casefold()


# --------------------------------------------------------------------------- 3. not covered

# Words that name no drug and give no class-level cue ("which", "these"...).
PLAIN_WORDS = [
    "what",
    "is",
    "the",
    "my",
    "does",
    "cause",
    "can",
    "i",
    "eat",
    "with",
    "about",
    "safe",
    "during",
    "please",
    "help",
    "tell",
    "me",
    "for",
    "a",
    "it",
    "?",
    "!",
    ",",
]
TOPIC_WORDS = [
    "side effects",
    "grapefruit",
    "how long",
    "how long does it take to work",
    "pregnancy",
    "pregnant",
    "interactions",
    "blood test",
    "kidney",
    "liver",
    "hair loss",
    "infection",
    "cancer risk",
    "breastfeeding",
    "who should not take",
    "how does it work",
]
uncovered_questions = st.lists(
    st.one_of(
        st.sampled_from(PLAIN_WORDS),
        st.sampled_from(TOPIC_WORDS),
        st.sampled_from(LOOK_ALIKES),
        st.sampled_from(LOOK_ALIKES).map(str.upper),
    ),
    min_size=1,
    max_size=12,
).map(" ".join)


@FAST
@given(text=uncovered_questions, look_alike=st.sampled_from(LOOK_ALIKES))
@example(text="side effects", look_alike="tacrolimus")
@example(text="grapefruit", look_alike="cyclobenzaprine")
def test_a_look_alike_drug_gets_no_fact(text: str, look_alike: str) -> None:
    question = f"{text} {look_alike}"
    match = MATCHER.match(question)
    assert match.drugs == (), match
    answer = ask(question)
    assert answer.drugs == ()
    assert answer.sections == ()
    assert answer.kind == "not_covered"
    assert_valid_messages(render_html(answer))


# Single words of the uncovered drugs' names, long enough to be read as a drug name.
OTHER_NAME_WORDS = sorted(
    {w for name in KB.other_drugs for w in normalize(name).split() if len(w) >= 5}
    - {"mycophenolic"}
    # "dapsone gel", "mycophenolate sodium": the other form is refused, the drug is ours.
    - {normalize(name) for drug in KB.drugs for name in drug.names}
)


# The class entries about a medicine we do not cover (Myfortic): the only sections such a
# medicine's question may get, since they say what the sources say of it.
ABOUT_OTHERS = {
    e.key
    for e in KB.general
    if {normalize(p) for p in e.phrases} & set(map(normalize, KB.other_drugs))
}


@pytest.mark.parametrize("word", OTHER_NAME_WORDS)
def test_a_word_of_an_uncovered_drug_name_gets_no_fact(word: str) -> None:
    answer = ask(f"{word} side effects")
    assert answer.drugs == ()
    assert {s.entry_key for s in answer.sections} <= ABOUT_OTHERS


@pytest.mark.parametrize("question", ["mycophenolic side effects", "mycophenolic acd side effects"])
def test_mycophenolic_acid_is_never_read_as_mycophenolate(question: str) -> None:
    answer = ask(question)
    assert answer.drugs == (), answer.topics
    assert {s.entry_key for s in answer.sections} <= ABOUT_OTHERS


def test_a_made_up_drug_name_is_not_echoed_at_any_length() -> None:
    messages = render_html(ask("x" * 4100 + "mycin"))
    assert len(messages) == 1
    assert "x" * 100 not in messages[0]


# --------------------------------------------------------------------------- 4. the knowledge

ALL_CALLBACKS = [f"e:{e.key}" for e in KB.entries()] + [f"d:{d.id}" for d in KB.drugs]


@pytest.mark.parametrize("data", ALL_CALLBACKS)
def test_every_entry_and_overview_button_renders_valid_messages(data: str) -> None:
    assert len(data.encode("utf-8")) <= CALLBACK_DATA_BYTES
    answer = answer_for_callback(KB, data)
    assert answer is not None
    assert answer.sections
    assert_valid_messages(render_html(answer))
    assert render_plain(answer).strip()
    assert_valid_buttons(answer.buttons)


def _inline_results(answer: Answer) -> list[tuple[str, str, str, str]]:
    """Build the inline results as ``BotHandlers.inline`` does: id, title, description, text."""
    results = []
    for section in answer.sections[:MAX_INLINE_RESULTS]:
        single = answer_for_callback(KB, f"e:{section.entry_key}")
        if single is None:
            continue
        results.append(
            (
                section.entry_key[:64],
                section.title[:INLINE_TITLE_CHARS],
                section.text[:INLINE_DESCRIPTION_CHARS],
                render_html(single)[0],
            )
        )
    return results


def _assert_valid_inline(answer: Answer) -> None:
    results = _inline_results(answer)
    ids = [result_id for result_id, *_ in results]
    assert len(ids) == len(set(ids)), f"duplicate inline result ids {ids}"
    for section in answer.sections[:MAX_INLINE_RESULTS]:
        # The id is cut to 64 characters: a longer key could collide or exceed 64 bytes.
        assert 1 <= len(section.entry_key.encode("utf-8")) <= INLINE_ID_BYTES
    for _, title, description, text in results:
        assert title.strip()
        assert len(title) <= INLINE_TITLE_CHARS
        assert len(description) <= INLINE_DESCRIPTION_CHARS
        assert_valid_messages([text])


@pytest.mark.parametrize("data", ALL_CALLBACKS)
def test_every_entry_makes_a_valid_inline_result(data: str) -> None:
    answer = answer_for_callback(KB, data)
    assert answer is not None
    _assert_valid_inline(answer)


@MEDIUM
@given(text=st.one_of(mixed_text, uncovered_questions, st.text(max_size=200)))
@example(text="cyclosporine side effects grapefruit pregnancy tests")
@example(text="which ones affect pregnancy")
def test_inline_results_for_any_query_are_valid(text: str) -> None:
    _assert_valid_inline(ask(text))


def test_every_button_of_every_drug_and_topic_question_is_valid() -> None:
    for drug in KB.drugs:
        for topic in KB.topics:
            for question in (f"{drug.name} {topic.title}", f"{topic.title}", drug.name):
                answer = ask(question)
                assert_valid_buttons(answer.buttons)
                assert_valid_messages(render_html(answer))
                _assert_valid_inline(answer)


# --------------------------------------------------------------------------- render any answer

# Text as the loader keeps it: whitespace collapsed, never empty.
kb_text = st.text(min_size=1, max_size=300).map(lambda t: " ".join(t.split())).filter(bool)
long_kb_text = st.tuples(kb_text, st.integers(1, 60)).map(
    lambda pair: " ".join([pair[0]] * pair[1])
)
sections = st.builds(
    Section,
    title=kb_text,
    text=st.one_of(kb_text, long_kb_text),
    entry_key=st.just("x.y"),
    drug_id=st.none(),
    link=st.one_of(st.none(), st.just("https://example.org/?a=1&b=<2>")),
)
references = st.builds(
    Reference,
    id=st.from_regex(r"[A-Za-z0-9_-]{1,4}", fullmatch=True),
    citation=kb_text,
    link=st.one_of(st.none(), st.just("https://example.org/r?x=1&y=2")),
)
answers = st.builds(
    Answer,
    kind=st.just("answer"),
    urgent=st.one_of(st.none(), sections),
    notices=st.lists(kb_text, max_size=3).map(tuple),
    sections=st.lists(sections, max_size=6).map(tuple),
    references=st.lists(references, max_size=5).map(tuple),
    caution=st.one_of(st.none(), sections),
    buttons=st.just(()),
    drugs=st.just(()),
    topics=st.just(()),
)


@MEDIUM
@given(answer=answers)
def test_render_html_of_short_knowledge_text_is_valid(answer: Answer) -> None:
    # The composer always says something: a notice, an entry or the caution.
    assume(answer.urgent or answer.notices or answer.sections or answer.caution)
    # Every line under the limit: the knowledge as it is today (answers under 500 chars).
    assume(all(len(line) < 3000 for line in "\n".join(render_html(answer)).split("\n")))
    assert_valid_messages(render_html(answer))


_LONG = " ".join(["word"] * 1100)  # 5499 characters, no line break


def test_render_html_of_a_caution_longer_than_a_message_stays_valid() -> None:
    caution = Section(title="Caution", text=_LONG, entry_key="general.caution", drug_id=None)
    answer = Answer("answer", None, (), (), (), caution, (), (), ())
    assert_valid_messages(render_html(answer))


# --------------------------------------------------------------------------- 5. split_message


@FAST
@given(
    text=st.one_of(
        st.text(max_size=3000), mixed_text, long_text, st.text(alphabet=" \n&;ab<>", max_size=3000)
    ),
    limit=st.integers(50, 5000),
)
@example(text="a" * 5001, limit=5000)
@example(text="\n\n".join(["x" * 60] * 3), limit=50)
@example(text="&amp;" * 40, limit=50)
def test_split_message_keeps_every_character_in_parts_under_the_limit(
    text: str, limit: int
) -> None:
    parts = split_message(text, limit)
    assert parts
    assert all(len(part) <= limit for part in parts)
    if text.strip():
        assert all(part.strip() for part in parts), parts
        assert "".join("".join(parts).split()) == "".join(text.split())
    if len(text) <= limit:
        assert parts == [text]


@FAST
@given(
    pieces=st.lists(
        st.sampled_from(["&amp;", "&lt;", "&gt;", "&quot;", "&#60;", "x", "yy", "&"]), max_size=400
    ),
    limit=st.integers(50, 500),
)
# Found by this test: the last pieces of a word cut in two were joined with a space.
@example(pieces=["&amp;"] * 18 + ["&"], limit=50)
def test_split_message_never_cuts_an_entity(pieces: list[str], limit: int) -> None:
    text = "".join(pieces)
    assume(text.strip())
    parts = split_message(text, limit)
    # No whitespace: the parts are consecutive slices of the text.
    assert "".join(parts) == text
    inside = {i for m in _ENTITY_RE.finditer(text) for i in range(m.start() + 1, m.end())}
    cut = 0
    for part in parts[:-1]:
        cut += len(part)
        assert cut not in inside, (text[max(0, cut - 8) : cut], text[cut : cut + 8])


# --------------------------------------------------------------------------- 6. the matcher


@FAST
@given(text=any_text)
@example(text="İ ǅ ß ﬁ ㎎ Ⅻ ²")
def test_match_is_deterministic_and_cache_independent(text: str) -> None:
    first = MATCHER.match(text)
    assert MATCHER.match(text) == first
    COLD_MATCHER.clear_caches()
    assert COLD_MATCHER.match(text) == first


@FAST
@given(
    text=st.one_of(
        any_text, st.text(alphabet=st.characters(categories=("Lu", "Lt", "Nl", "No", "Mn", "Pc")))
    )
)
@example(text="İSTANBUL ǅ ß ﬁ ㎎ Ⅻ ² snake_case  tab\there")
@example(text="John\u2019s `pill' \u00b4x")
def test_normalize_gives_lowercase_words_and_single_spaces(text: str) -> None:
    folded = normalize(text)
    assert folded == folded.strip()
    assert "  " not in folded
    assert normalize(folded) == folded
    for word in folded.split(" ") if folded else ():
        # Letters and digits, with the vowel signs of Indic scripts and Thai after them.
        assert word[0].isalnum(), word
        assert all(c.isalnum() or unicodedata.category(c).startswith("M") for c in word), word
        assert word == word.casefold(), word
        assert not any(unicodedata.category(c).startswith("Z") for c in word)


@pytest.mark.parametrize(
    "question",
    ["dapsone gel side effects", "cyclosporine eye drops and grapefruit", "mycophenolate sodium"],
)
def test_other_forms_of_our_drugs_are_not_covered(question: str) -> None:
    answer = ask(question)
    assert answer.drugs == ()
    assert answer.sections == ()
