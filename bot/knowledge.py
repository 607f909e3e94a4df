"""The knowledge model and its loader.

The model is a tree of frozen dataclasses holding tuples, so a loaded
:class:`KnowledgeBase` can be shared by every handler without locks. The loader
reads the YAML node tree (not plain Python values) so that every problem can
name the line it comes from, and it collects every problem before failing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from bot.language import Language
from bot.language_loading import LANGUAGE_PARTS, LEARNED_CUE, LEARNED_TOPICS, LanguageReader
from bot.yaml_reading import compose_nodes, lowered

__all__ = [
    "DEFAULT_KNOWLEDGE_PATH",
    "DEFAULT_LANGUAGE_FILE",
    "Drug",
    "Entry",
    "KnowledgeBase",
    "KnowledgeError",
    "Reference",
    "Topic",
    "dose_or_level",
    "load_knowledge",
]


def _default_knowledge_path() -> Path:
    """The knowledge shipped with the bot: inside the installed package, or the checkout's.

    A regular install (``pip install .``, a wheel) carries the knowledge as
    ``bot/bundled_knowledge/``; a source checkout and an editable install read the
    repository's ``knowledge/`` folder, where the admins edit it.
    """
    package = Path(__file__).resolve().parent
    bundled = package / "bundled_knowledge"
    return bundled if bundled.is_dir() else package.parent / "knowledge"


#: The knowledge folder used when ``KNOWLEDGE_PATH`` is not set.
DEFAULT_KNOWLEDGE_PATH = _default_knowledge_path()
#: The language file read with a knowledge file that brings no language of its own.
DEFAULT_LANGUAGE_FILE = DEFAULT_KNOWLEDGE_PATH / "language.yaml"
# The bundled files of labelled messages the learned cues are trained on.
_LEARNED_FILE_PREFIX = "learned-"
_LEARNED_TOPICS_FILE = "learned-topics.yaml"
_FACT_PARTS = (
    "references",
    "topics",
    "roles",
    "alerts",
    "general",
    "caution",
    "urgent",
    "other_drugs",
    "drugs",
)

#: A citation marker in answer text: ``[2]``, ``[D1]``, ``[page]``.
MARKER_RE = re.compile(r"\[([A-Za-z0-9_-]+)\]")
#: ``checked``: the month a person last compared an entry with its sources.
_CHECKED_RE = re.compile(r"^[0-9]{4}-(0[1-9]|1[0-2])$")
# A dose, a tablet count or a blood level in answer text: the bot never gives one.
_DOSE_UNIT = (
    r"mg|mcg|\u00b5g|\u03bcg|ug|ng|g|grams?|milligrams?|micrograms?|nanograms?|ml|mls"
    r"|millilit(?:re|er)s?|mmol|iu"
)
_DOSE_RE = re.compile(
    rf"(?<![\d.,])\d[\d.,]*\s*(?:{_DOSE_UNIT})(?![\w\u00b5\u03bc])"
    r"|(?<![\w\u00b5\u03bc])(?:mg|mcg|\u00b5g|\u03bcg|ng/ml|mg/kg|ml|milligrams?|micrograms?"
    r"|nanograms?|millilit(?:re|er)s?)(?![\w\u00b5\u03bc])"
    r"|\b(?:\d+|one|two|three|four|five|six|half an?|half)\s+(?:tablets?|capsules?|pills?)\b",
    re.IGNORECASE,
)
# Longest texts allowed: an answer must fit one Telegram message with its references
# and the caution (4096 characters), and read well on a phone.
MAX_ANSWER_CHARS = 1500
MAX_CITATION_CHARS = 600
MAX_TITLE_CHARS = 100


def dose_or_level(text: str) -> str | None:
    """Return the first dose, tablet count or blood level written in ``text``, if any.

    Args:
        text: answer text.

    Returns:
        The offending words ("5-15 ng/mL" gives "15 ng"), or None.
    """
    found = _DOSE_RE.search(text)
    return found.group(0) if found else None


@dataclass(frozen=True)
class Reference:
    """A source that answers cite by id."""

    id: str
    citation: str
    link: str | None = None
    where: str = field(default="", compare=False)
    """``path:line`` of its definition, for messages."""


@dataclass(frozen=True)
class Topic:
    """A kind of question (side effects, interactions...) shared by all drugs."""

    id: str
    title: str
    phrases: tuple[str, ...]
    safety_net: str | None = None
    """An alert whose words come under "If it happens" when the sources say nothing on
    this topic for the drug asked ("what happens if you take too many imuran")."""
    where: str = field(default="", compare=False)


@dataclass(frozen=True)
class Entry:
    """One answer: a drug's topic, a class-level entry, the overview or the caution."""

    key: str
    """Unique id, ``"<drug>.<topic>"`` for drug entries, ``"general.<id>"`` otherwise."""
    drug_id: str | None
    topic_id: str
    title: str
    phrases: tuple[str, ...]
    answer: str
    references: tuple[str, ...]
    checked: str | None = None
    """``YYYY-MM``: when a person last compared this entry with its sources."""
    given_with: tuple[str, ...] = ()
    """Medicines we do not cover that this entry's answer says the drug is given
    together with ("sometimes given together with prednisone"): asked whether the two
    may be taken together, the reply answers with this entry, not "can't tell"."""
    where: str = field(default="", compare=False)
    """``path:line`` of its definition, for messages."""


@dataclass(frozen=True)
class Alert:
    """What the reply opens with when a cue of the language fires (a red flag, a crisis)."""

    cue: str
    """The id of the cue in the language."""
    entry: Entry
    topics: tuple[str, ...]
    """Topics whose entries follow for the drug asked about, when no topic was asked."""
    together: tuple[str, ...] = ()
    """Cues whose red flags, told with this one, need one instruction for both (a
    platelet count under 20 with bleeding: emergency care now)."""
    together_entry: Entry | None = None
    """What the reply opens with instead when one of ``together`` fired too; their own
    alerts are left out."""

    @property
    def entries(self) -> tuple[Entry, ...]:
        """Every text this alert may open a reply with."""
        return (self.entry,) if self.together_entry is None else (self.entry, self.together_entry)


@dataclass(frozen=True)
class Drug:
    """A covered drug with its names, overview and topic entries."""

    id: str
    name: str
    names: tuple[str, ...]
    link: str | None
    overview: Entry
    entries: tuple[Entry, ...]

    def entry(self, topic_id: str) -> Entry | None:
        """Return this drug's entry for ``topic_id``, if it has one."""
        for entry in self.entries:
            if entry.topic_id == topic_id:
                return entry
        return None


@dataclass(frozen=True)
class KnowledgeBase:
    """Everything the bot may say, as loaded from one or more YAML files."""

    sources: tuple[str, ...]
    references: tuple[Reference, ...]
    topics: tuple[Topic, ...]
    general: tuple[Entry, ...]
    caution: Entry
    urgent: Entry
    other_drugs: tuple[str, ...]
    drugs: tuple[Drug, ...]
    language: Language
    alerts: tuple[Alert, ...] = ()

    # Lookups by id, built once: answers look up entries on the hot path, and a
    # knowledge file may hold thousands of them.
    _drugs_by_id: dict[str, Drug] = field(init=False, repr=False, compare=False)
    _topics_by_id: dict[str, Topic] = field(init=False, repr=False, compare=False)
    _refs_by_id: dict[str, Reference] = field(init=False, repr=False, compare=False)
    _general_by_id: dict[str, Entry] = field(init=False, repr=False, compare=False)
    _entries_by_key: dict[str, Entry] = field(init=False, repr=False, compare=False)
    _drugs_by_topic: dict[str, tuple[Drug, ...]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # object.__setattr__: the dataclass is frozen; these are derived, never changed.
        object.__setattr__(self, "_drugs_by_id", {d.id: d for d in self.drugs})
        object.__setattr__(self, "_topics_by_id", {t.id: t for t in self.topics})
        object.__setattr__(self, "_refs_by_id", {r.id: r for r in self.references})
        object.__setattr__(self, "_general_by_id", {e.topic_id: e for e in self.general})
        object.__setattr__(
            self,
            "_entries_by_key",
            {
                e.key: e
                for e in (
                    *self.entries(),
                    self.caution,
                    self.urgent,
                    *(e for a in self.alerts for e in a.entries),
                )
            },
        )
        by_topic: dict[str, list[Drug]] = {}
        for drug in self.drugs:
            for entry in drug.entries:
                by_topic.setdefault(entry.topic_id, []).append(drug)
        object.__setattr__(self, "_drugs_by_topic", {t: tuple(ds) for t, ds in by_topic.items()})

    def drug(self, drug_id: str) -> Drug | None:
        """Return the drug with this id, if covered."""
        return self._drugs_by_id.get(drug_id)

    def topic(self, topic_id: str) -> Topic | None:
        """Return the topic with this id, if declared."""
        return self._topics_by_id.get(topic_id)

    def reference(self, ref_id: str) -> Reference | None:
        """Return the reference with this id, if any."""
        return self._refs_by_id.get(ref_id)

    def drugs_with_topic(self, topic_id: str) -> tuple[Drug, ...]:
        """Return the drugs that have an entry for ``topic_id``, in file order."""
        return self._drugs_by_topic.get(topic_id, ())

    def alert(self, cue_id: str) -> Alert | None:
        """Return what the reply opens with when cue ``cue_id`` fires, if the knowledge says."""
        for alert in self.alerts:
            if alert.cue == cue_id:
                return alert
        return None

    def general_entry(self, entry_id: str) -> Entry | None:
        """Return the class-level entry with this id, if any."""
        return self._general_by_id.get(entry_id)

    def entries(self) -> Iterator[Entry]:
        """Yield every answerable entry: overviews, drug entries, class entries."""
        for drug in self.drugs:
            yield drug.overview
            yield from drug.entries
        yield from self.general

    def find_entry(self, key: str) -> Entry | None:
        """Return the entry with this key (``"cyclosporine.interactions"``), if any."""
        return self._entries_by_key.get(key)

    def summary(self) -> str:
        """Return a one-line count of drugs, entries and references."""
        entries = sum(1 for _ in self.entries())
        return (
            f"{len(self.drugs)} drugs, {entries} entries, "
            f"{len(self.references)} references, {len(self.topics)} topics"
        )


class KnowledgeError(Exception):
    """A knowledge file that cannot be used; ``problems`` lists every one found."""

    def __init__(self, problems: Iterable[str]) -> None:
        self.problems: tuple[str, ...] = tuple(problems)
        super().__init__("\n".join(self.problems))


# --------------------------------------------------------------------------- loading


def knowledge_files(path: Path) -> list[Path]:
    """Return the YAML files behind ``path``: the file itself, or a folder's ``*.yaml``.

    Args:
        path: a ``.yaml`` file or a folder of them.

    Returns:
        The files, sorted by name.

    Raises:
        KnowledgeError: the path does not exist or holds no YAML file.
    """
    try:
        if path.is_dir():
            files = sorted(p for p in path.glob("*.yaml") if p.is_file())
            if not files:
                raise KnowledgeError([f"{path}: no *.yaml knowledge file in this folder"])
            return files
        if not path.exists():
            raise KnowledgeError([f"{path}: no such file"])
    except OSError as error:
        raise KnowledgeError([f"{path}: cannot read: {error.strerror or error}"]) from error
    return [path]


def load_knowledge(path: str | Path = DEFAULT_KNOWLEDGE_PATH) -> KnowledgeBase:
    """Load and validate a knowledge file, or every ``*.yaml`` file of a folder.

    Facts without a language of their own read with the bundled ``language.yaml`` and
    the bundled ``learned-*.yaml`` files (the messages its learned cues are trained on).

    Args:
        path: the file or folder (default: the ``knowledge/`` folder of this project).

    Returns:
        The validated knowledge.

    Raises:
        KnowledgeError: with every problem found, each as ``path:line: message``.
    """
    files = knowledge_files(Path(path))
    builder = _Builder()
    parsed = [(file, builder.parse_file(file)) for file in files]
    if not builder.unreadable and not builder.top_keys & set(LANGUAGE_PARTS):
        # A knowledge file without its own language reads with the bundled one, and
        # with the bundled learned cues some of its cues are heard by.
        files.append(DEFAULT_LANGUAGE_FILE)
        parsed.append((DEFAULT_LANGUAGE_FILE, builder.parse_file(DEFAULT_LANGUAGE_FILE)))
        if LEARNED_CUE not in builder.top_keys:
            for learned in knowledge_files(DEFAULT_KNOWLEDGE_PATH):
                # The learned topics name the bundled facts' topics: a file of facts
                # of its own has its own topics, and brings its own learned topics.
                if learned.name.startswith(_LEARNED_FILE_PREFIX) and learned.name != (
                    _LEARNED_TOPICS_FILE
                ):
                    files.append(learned)
                    parsed.append((learned, builder.parse_file(learned)))
    elif not builder.unreadable and builder.top_keys <= {
        *LANGUAGE_PARTS,
        "roles",
        LEARNED_CUE,
        LEARNED_TOPICS,
    }:
        # A language file alone ("diff old/language.yaml new/language.yaml") reads with
        # the bundled facts, so that what changes is only how messages are read.
        for facts in knowledge_files(DEFAULT_KNOWLEDGE_PATH):
            if facts.name != DEFAULT_LANGUAGE_FILE.name:
                files.append(facts)
                parsed.append((facts, builder.parse_file(facts)))
    # Two passes, so that an entry of one file may cite a reference or use a
    # topic declared in another file of the same folder.
    for parts in (
        ("references", "topics", "roles", LEARNED_CUE, LEARNED_TOPICS, *LANGUAGE_PARTS),
        ("general", "caution", "urgent", "alerts", "other_drugs", "drugs"),
    ):
        for file, fields in parsed:
            if fields is not None:
                builder.add_parts(file, fields, parts)
    return builder.finish([str(f) for f in files])


class _Builder(LanguageReader):
    """Collects the parts of one or more files, then cross-checks them."""

    def __init__(self) -> None:
        super().__init__()
        self.references: dict[str, tuple[Reference, str]] = {}
        self.topics: dict[str, tuple[Topic, str]] = {}
        self.general: list[Entry] = []
        self.general_where: dict[str, str] = {}
        self.caution: Entry | None = None
        self.urgent: Entry | None = None
        self.other_drugs: list[str] = []
        self.drugs: list[Drug] = []
        self.drug_where: dict[str, str] = {}
        # Entries to cross-check once every file is read: (where, label, entry).
        self.cited: list[tuple[str, str, Entry]] = []
        self.names: dict[str, tuple[str, str]] = {}
        self.unreadable = False
        self.top_keys: set[str] = set()
        self.alerts: dict[str, Alert] = {}
        # Topics' safety nets, checked against the alerts once every file is read.
        self.safety_nets: list[tuple[str, str, str]] = []
        #: Where each entry's ``given-with`` is, its label and its names.
        self.given_with: list[tuple[str, str, tuple[str, ...]]] = []

    # -- parts --------------------------------------------------------------------

    def parse_file(self, file: Path) -> dict[str, yaml.Node] | None:
        """Read one file into its top-level fields, or record why it cannot be read."""
        self.file = str(file)
        try:
            text = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            self.problems.append(f"{file}:1: cannot read the file: {exc}")
            self.unreadable = True
            return None
        try:
            root = compose_nodes(text)
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            if exc.context_mark is not None and any(
                word in (exc.context or "") for word in ("flow", "quoted")
            ):
                # An unclosed [ { or quote is noticed lines later: name where it opened.
                mark = exc.context_mark
            line = mark.line + 1 if mark is not None else 1
            detail = " ".join(str(exc.problem or exc).split())
            self.problems.append(f"{file}:{line}: YAML syntax error: {detail}")
            self.unreadable = True
            return None
        except yaml.YAMLError as exc:
            self.problems.append(f"{file}:1: YAML error: {exc}")
            self.unreadable = True
            return None
        if root is None:
            self.problems.append(f"{file}:1: the file is empty")
            self.unreadable = True
            return None
        fields = self.mapping(root, "file")
        if fields is None:
            self.unreadable = True
            return None
        self.top_keys.update(fields)
        self.unknown_keys(
            root, (*_FACT_PARTS, *LANGUAGE_PARTS, LEARNED_CUE, LEARNED_TOPICS), "file"
        )
        return fields

    def add_parts(self, file: Path, fields: dict[str, yaml.Node], parts: tuple[str, ...]) -> None:
        """Add the listed top-level parts of one parsed file."""
        self.file = str(file)
        adders = {
            "alerts": self.add_alert,
            "references": self.add_reference,
            "topics": self.add_topic,
            "general": self.add_general,
            "drugs": self.add_drug,
        }
        for key in parts:
            node = fields.get(key)
            if node is None:
                continue
            if key == "caution":
                self.caution = self.single_entry(node, "caution", self.caution)
            elif key == "urgent":
                self.urgent = self.single_entry(node, "urgent", self.urgent)
            elif key in (*LANGUAGE_PARTS, "roles", LEARNED_CUE, LEARNED_TOPICS):
                self.add_language_part(key, node)
            elif key == "other_drugs":
                self.other_drugs.extend(
                    self.text_list(fields, "other_drugs", node, "other_drugs", allow_empty=True)
                )
            elif not isinstance(node, yaml.SequenceNode):
                self.problem(node, f"'{key}' must be a list")
            else:
                for item in node.value:
                    adders[key](item)

    def add_alert(self, node: yaml.Node) -> None:
        fields = self.mapping(node, "alert")
        if fields is None:
            return
        cue_id = self.text(fields, "id", node, "alert")
        label = f"alert '{cue_id}'" if cue_id else "alert"
        topics = self.text_list(fields, "topics", node, label, required=False, allow_empty=True)
        for topic_id in topics:
            if topic_id not in self.topics:
                self.problem(fields["topics"], f"{label}: unknown topic '{topic_id}'")
        entry = self.entry(
            node,
            fields,
            key=f"alert.{cue_id}",
            drug_id=None,
            topic_id=f"alert-{cue_id}",
            label=label,
            title="",
            extra_keys=("topics", "together"),
        )
        together, together_entry = self.alert_together(fields, label, cue_id)
        if cue_id is None or entry is None:
            return
        if cue_id in self.alerts:
            self.problem(
                node, f"{label}: duplicate alert (first at {self.alerts[cue_id].entry.where})"
            )
            return
        self.alerts[cue_id] = Alert(cue_id, entry, topics, together, together_entry)

    def alert_together(
        self, fields: dict[str, yaml.Node], label: str, cue_id: str | None
    ) -> tuple[tuple[str, ...], Entry | None]:
        """Read an alert's ``together``: the cues told with it, and what to say for both."""
        node = fields.get("together")
        if node is None:
            return (), None
        together = self.mapping(node, f"{label}: together")
        if together is None:
            return (), None
        cues = self.text_list(together, "cues", node, f"{label}: together")
        entry = self.entry(
            node,
            together,
            key=f"alert.{cue_id}.together",
            drug_id=None,
            topic_id=f"alert-{cue_id}",
            label=f"{label}: together",
            title="",
            extra_keys=("cues",),
        )
        return tuple(cues), entry

    def add_reference(self, node: yaml.Node) -> None:
        fields = self.mapping(node, "reference")
        if fields is None:
            return
        ref_id = self.text(fields, "id", node, "reference")
        label = f"reference {ref_id}" if ref_id else "reference"
        self.unknown_keys(node, ("id", "citation", "link"), label)
        citation = self.text(fields, "citation", node, label)
        self.at_most(fields, "citation", citation, MAX_CITATION_CHARS, label)
        # A reference's link is given exactly as its source sheet lists it, and a few
        # sources are only on http://; a drug's own link is always https://.
        link = self.link(fields, node, label, allow_http=True)
        if ref_id is None or citation is None:
            return
        if ref_id in self.references:
            self.problem(
                node, f"{label}: duplicate reference id (first at {self.references[ref_id][1]})"
            )
            return
        self.references[ref_id] = (
            Reference(ref_id, citation, link, self.where(node)),
            self.where(node),
        )

    def add_topic(self, node: yaml.Node) -> None:
        fields = self.mapping(node, "topic")
        if fields is None:
            return
        topic_id = self.identifier(fields, node, "topic")
        label = f"topic '{topic_id}'" if topic_id else "topic"
        self.unknown_keys(node, ("id", "title", "phrases", "safety-net"), label)
        title = self.text(fields, "title", node, label)
        self.at_most(fields, "title", title, MAX_TITLE_CHARS, label)
        # A topic without phrases is allowed (check warns): it is reached by buttons only.
        phrases = self.text_list(fields, "phrases", node, label, required=False, allow_empty=True)
        safety_net = self.text(fields, "safety-net", node, label, required=False)
        if topic_id is None or title is None:
            return
        if topic_id in self.topics:
            self.problem(node, f"{label}: duplicate topic id (first at {self.topics[topic_id][1]})")
            return
        if safety_net is not None:
            # Checked in finish(): the alerts come after the topics in the file.
            self.safety_nets.append((self.where(fields["safety-net"]), label, safety_net))
        self.topics[topic_id] = (
            Topic(topic_id, title, lowered(phrases), safety_net, self.where(node)),
            self.where(node),
        )

    def entry(
        self,
        node: yaml.Node,
        fields: dict[str, yaml.Node],
        *,
        key: str,
        drug_id: str | None,
        topic_id: str,
        label: str,
        title: str | None,
        extra_keys: tuple[str, ...] = (),
    ) -> Entry | None:
        self.unknown_keys(
            node,
            ("id", "title", "phrases", "answer", "references", "checked", *extra_keys),
            label,
        )
        answer = self.text(fields, "answer", node, label)
        checked = self.text(fields, "checked", node, label, required=False)
        if checked is not None and not _CHECKED_RE.match(checked):
            self.problem(
                fields["checked"],
                f"{label}: checked '{checked}' must be the month it was checked, "
                "as YYYY-MM (e.g. 2026-11)",
            )
            checked = None
        dose = dose_or_level(answer) if answer is not None else None
        if dose is not None:
            self.problem(
                fields["answer"],
                f"{label}: answer gives a dose or level ({dose!r}); the bot never gives a "
                "dose, a tablet count or a target level",
            )
        refs = tuple(
            _ref_id(r) for r in self.text_list(fields, "references", node, label, allow_empty=True)
        )
        phrases = self.text_list(fields, "phrases", node, label, required=False)
        given_with = (
            lowered(self.text_list(fields, "given-with", node, label, required=False))
            if "given-with" in extra_keys
            else ()
        )
        if given_with:
            self.given_with.append((self.where(fields["given-with"]), label, given_with))
        own_title = self.text(fields, "title", node, label, required=False)
        if answer is not None and len(answer) > MAX_ANSWER_CHARS:
            self.problem(
                fields["answer"],
                f"{label}: answer is {len(answer)} characters; keep it under "
                f"{MAX_ANSWER_CHARS} so that it fits one message on a phone",
            )
        self.at_most(fields, "title", own_title, MAX_TITLE_CHARS, label)
        if answer is None:
            return None
        entry = Entry(
            key=key,
            drug_id=drug_id,
            topic_id=topic_id,
            title=own_title or title or topic_id,
            phrases=lowered(phrases),
            answer=answer,
            references=refs,
            checked=checked,
            given_with=given_with,
            where=self.where(node),
        )
        self.cited.append((self.where(fields.get("answer", node)), label, entry))
        return entry

    def add_general(self, node: yaml.Node) -> None:
        fields = self.mapping(node, "general entry")
        if fields is None:
            return
        entry_id = self.identifier(fields, node, "general entry")
        label = f"general entry '{entry_id}'" if entry_id else "general entry"
        if "title" not in fields:
            self.problem(node, f"{label}: missing 'title'")
        entry = self.entry(
            node,
            fields,
            key=f"general.{entry_id}",
            drug_id=None,
            topic_id=entry_id or "",
            label=label,
            title=None,
        )
        if entry is None or entry_id is None:
            return
        if entry_id in self.general_where:
            self.problem(node, f"{label}: duplicate id (first at {self.general_where[entry_id]})")
            return
        self.general_where[entry_id] = self.where(node)
        self.general.append(entry)

    def single_entry(self, node: yaml.Node, name: str, previous: Entry | None) -> Entry | None:
        fields = self.mapping(node, name)
        if fields is None:
            return previous
        if previous is not None:
            self.problem(node, f"'{name}' is defined in more than one file")
        return self.entry(
            node,
            fields,
            key=f"general.{name}",
            drug_id=None,
            topic_id=name,
            label=name,
            title=name.capitalize(),
        )

    def add_drug(self, node: yaml.Node) -> None:
        fields = self.mapping(node, "drug")
        if fields is None:
            return
        drug_id = self.identifier(fields, node, "drug")
        label = f"drug '{drug_id}'" if drug_id else "drug"
        self.unknown_keys(node, ("id", "name", "names", "link", "overview", "entries"), label)
        name = self.text(fields, "name", node, label)
        names = self.text_list(fields, "names", node, label)
        link = self.link(fields, node, label)
        if drug_id is not None and drug_id in self.drug_where:
            self.problem(node, f"{label}: duplicate drug id (first at {self.drug_where[drug_id]})")
            return
        if drug_id is not None:
            self.drug_where[drug_id] = self.where(node)
        all_names = tuple(dict.fromkeys(n for n in (drug_id, name, *names) if n))
        names_node = fields.get("names", node)
        # An invalid id is already reported; its names cannot be checked against it.
        for alias in all_names if drug_id is not None else ():
            folded = alias.casefold()
            owner = self.names.get(folded)
            if owner is not None and owner[0] != drug_id:
                self.problem(
                    names_node,
                    f"{label}: name '{alias}' is already a name of drug '{owner[0]}' ({owner[1]})",
                )
            elif owner is None:
                self.names[folded] = (drug_id or "?", self.where(names_node))

        overview: Entry | None = None
        overview_node = fields.get("overview")
        if overview_node is None:
            self.problem(node, f"{label}: missing 'overview'")
        else:
            overview_fields = self.mapping(overview_node, f"overview of '{drug_id}'")
            if overview_fields is not None:
                overview = self.entry(
                    overview_node,
                    overview_fields,
                    key=f"{drug_id}.overview",
                    drug_id=drug_id,
                    topic_id="overview",
                    label=f"overview of '{drug_id}'",
                    title=name,
                )

        entries: list[Entry] = []
        entries_node = fields.get("entries")
        if entries_node is None:
            self.problem(node, f"{label}: missing 'entries'")
        elif not isinstance(entries_node, yaml.SequenceNode):
            self.problem(entries_node, f"{label}: 'entries' must be a list")
        else:
            seen: dict[str, str] = {}
            for item in entries_node.value:
                item_fields = self.mapping(item, f"entry of '{drug_id}'")
                if item_fields is None:
                    continue
                topic_id = self.text(item_fields, "id", item, f"entry of '{drug_id}'")
                entry_label = f"topic '{topic_id}' of '{drug_id}'"
                topic = self.topics.get(topic_id or "")
                if topic_id is not None and topic is None:
                    self.problem(
                        item_fields["id"],
                        f"{entry_label}: unknown topic (declare it under 'topics')",
                    )
                if topic_id is not None and topic_id in seen:
                    self.problem(
                        item, f"{entry_label}: duplicate topic (first at {seen[topic_id]})"
                    )
                    continue
                if topic_id is not None:
                    seen[topic_id] = self.where(item)
                entry = self.entry(
                    item,
                    item_fields,
                    key=f"{drug_id}.{topic_id}",
                    drug_id=drug_id,
                    topic_id=topic_id or "",
                    label=entry_label,
                    title=topic[0].title if topic else None,
                    extra_keys=("given-with",),
                )
                if entry is not None and topic_id is not None:
                    entries.append(entry)
        if drug_id is None or name is None or overview is None:
            return
        self.drugs.append(
            Drug(
                id=drug_id,
                name=name,
                names=all_names,
                link=link,
                overview=overview,
                entries=tuple(entries),
            )
        )

    # -- cross-checks ---------------------------------------------------------------

    def finish(self, sources: list[str]) -> KnowledgeBase:
        for where, label, entry in self.cited:
            cited = {_ref_id(m) for m in MARKER_RE.findall(entry.answer)}
            listed = set(entry.references)
            for ref_id in entry.references:
                if ref_id not in self.references:
                    self.problems.append(f"{where}: {label}: unknown reference {ref_id}")
            for ref_id in sorted(cited - listed):
                self.problems.append(
                    f"{where}: {label}: marker [{ref_id}] is not in its 'references'"
                )
            for ref_id in sorted(listed - cited):
                self.problems.append(
                    f"{where}: {label}: reference {ref_id} is listed but never cited in the answer"
                )
        known_others = set(lowered(self.other_drugs))
        for where, label, names in self.given_with:
            for name in names:
                if name not in known_others:
                    self.problems.append(
                        f"{where}: {label}: given-with '{name}' is not in 'other_drugs'"
                    )
        for where, label, cue_id in self.safety_nets:
            if cue_id not in self.alerts:
                self.problems.append(f"{where}: {label}: safety-net '{cue_id}' is no alert")
        first = sources[0] if sources else "knowledge"
        # Whole-file checks only when every file could be read: a file that did not
        # parse is one problem, not four.
        if not self.unreadable:
            for part in ("caution", "urgent", "drugs"):
                if part not in self.top_keys:
                    self.problems.append(f"{first}:1: missing '{part}'")
            if "drugs" in self.top_keys and not self.drugs and not self.problems:
                self.problems.append(f"{first}:1: no drugs")
        language = (
            self.language(
                first,
                set(self.topics),
                set(self.general_where),
                (
                    (alert.entry.where, cue)
                    for alert in self.alerts.values()
                    for cue in (alert.cue, *alert.together)
                ),
            )
            if not self.unreadable
            else None
        )
        if self.problems or self.caution is None or self.urgent is None or language is None:
            raise KnowledgeError(self.problems)
        return KnowledgeBase(
            sources=tuple(sources),
            references=tuple(ref for ref, _ in self.references.values()),
            topics=tuple(topic for topic, _ in self.topics.values()),
            general=tuple(self.general),
            caution=self.caution,
            urgent=self.urgent,
            other_drugs=lowered(self.other_drugs),
            drugs=tuple(self.drugs),
            language=language,
            alerts=tuple(self.alerts.values()),
        )


def _ref_id(value: str) -> str:
    return value.strip()
