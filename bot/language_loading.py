"""Loading the language part of the knowledge: word lists, roles and cues.

Kept apart from the facts loader because it reads a different file with its own
rules; :mod:`bot.knowledge` brings both together and cross-checks them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import yaml

from bot.language import (
    LIST_ROLES,
    ROLE_NAMES,
    VOCABULARY_LISTS,
    Cue,
    Language,
    LearnedCue,
    LearnedTopics,
    Roles,
    Signal,
)
from bot.yaml_reading import NodeReader, lowered

__all__ = ["LANGUAGE_PARTS", "LEARNED_CUE", "LEARNED_TOPICS", "LanguageReader"]

LANGUAGE_PARTS = ("vocabulary", "cues")
# Labelled whole messages a model learns a cue from; optional, like "roles".
LEARNED_CUE = "learned-cue"
# Labelled whole messages models learn the topic of a question from; optional too.
LEARNED_TOPICS = "learned-topics"
_LEARNED_TOPICS_KEYS = ("threshold", "min-words", "note", "topics")
_LEARNED_KEYS = (
    "cue",
    "threshold",
    "opposite",
    "opposite-threshold",
    "min-words",
    "doubt-below",
    "note",
    "examples",
    "not",
)
# The vocabulary's word-to-text mappings, besides its word lists.
_MAPPINGS = ("shorthand", "also-known-as", "said-as", "sounds-like")
# Named lists of words that cue patterns write as {name} ("{wish} ... {own-death}").
_WORD_CLASSES = "word-classes"
# A {name} in a pattern; a repeat count ({0,6}) is not a name.
_CLASS_NAME = re.compile(r"\{([a-z][a-z-]*)\}")
_CUE_KEYS = (
    "id",
    "note",
    "label",
    "negatable",
    "urgent",
    "below",
    "says",
    "with-topic",
    "hides-topic",
    "overrides",
    "speaks-of",
    "doubts",
    "quiets",
    "quiets-only",
    "spares",
    "present",
    "own-news",
    "ends-alarms",
    "any-form",
    "timeless",
    "reminds-after",
    "reads-numbers",
    "eases-crisis",
    "undoubted",
    "asks-ahead",
    "feeling",
    "foreign",
    "remembered",
    "topic",
    "phrases",
    "patterns",
    "signals",
    "threshold",
    "examples",
    "not",
)
_SIGNAL_KEYS = ("name", "weight", "patterns")


class LanguageReader(NodeReader):
    """Reads ``vocabulary``, ``roles`` and ``cues``, then builds the :class:`Language`."""

    def __init__(self) -> None:
        super().__init__()
        self.vocabulary: dict[str, tuple[str, ...]] = {}
        self.shorthand: dict[str, str] = {}
        self.also_known_as: dict[str, str] = {}
        self.said_as: dict[str, str] = {}
        self.sounds_like: dict[str, str] = {}
        #: Each word class as an alternation ready to put into a pattern.
        self.word_classes: dict[str, str] = {}
        self.cues: dict[str, Cue] = {}
        self.roles: dict[str, tuple[tuple[str, ...], str]] = {}
        self.language_where: dict[str, str] = {}
        self.learned: dict[str, LearnedCue] = {}
        #: Where each cue a model hears is learned (its own or as an opposite).
        self.learned_where: dict[str, str] = {}
        self.learned_topics: LearnedTopics | None = None
        self.learned_topic_where: dict[str, str] = {}
        #: Cues with no rules of their own: a learned model must hear them.
        self.unruled: list[Cue] = []

    def add_language_part(self, key: str, node: yaml.Node) -> None:
        # Each learned cue may have a file of its own; the loader checks their cues differ.
        if key in self.language_where and key != LEARNED_CUE:
            self.problem(node, f"'{key}' is defined in more than one file")
            return
        self.language_where[key] = self.where(node)
        {
            "vocabulary": self.add_vocabulary,
            "roles": self.add_roles,
            "cues": self.add_cues,
            LEARNED_CUE: self.add_learned_cue,
            LEARNED_TOPICS: self.add_learned_topics,
        }[key](node)

    def add_learned_cue(self, node: yaml.Node) -> None:
        """Read ``learned-cue``: the cue a model hears, its threshold and its messages."""
        fields = self.mapping(node, LEARNED_CUE)
        if fields is None:
            return
        self.unknown_keys(node, _LEARNED_KEYS, LEARNED_CUE)
        cue_id = self.text(fields, "cue", node, LEARNED_CUE)
        value = self.threshold(fields, "threshold", node)
        opposite = self.text(fields, "opposite", node, LEARNED_CUE, required=False) or ""
        opposite_value = self.threshold(fields, "opposite-threshold", node, required=bool(opposite))
        min_words = self.min_words(fields, node, LEARNED_CUE)
        doubt_below = self.doubt_below(fields, node)
        examples = self.text_list(fields, "examples", node, LEARNED_CUE)
        counter = self.text_list(fields, "not", node, LEARNED_CUE)
        for heard in (cue_id, opposite or None):
            if heard is not None and heard in self.learned_where:
                self.problem(
                    node,
                    f"{LEARNED_CUE}: cue '{heard}' is learned in more than one file"
                    f" (first at {self.learned_where[heard]})",
                )
                return
        if (
            cue_id is not None
            and value is not None
            and (opposite_value is not None or not opposite)
        ):
            learned = LearnedCue(
                cue_id,
                value,
                examples,
                counter,
                opposite,
                opposite_value or 0.0,
                min_words,
                doubt_below,
                self.where(node),
            )
            self.learned[cue_id] = learned
            self.learned_where.update(
                dict.fromkeys(filter(None, (cue_id, opposite)), learned.where)
            )

    def add_learned_topics(self, node: yaml.Node) -> None:
        """Read ``learned-topics``: a threshold and, under each topic id, its messages."""
        fields = self.mapping(node, LEARNED_TOPICS)
        if fields is None:
            return
        self.unknown_keys(node, _LEARNED_TOPICS_KEYS, LEARNED_TOPICS)
        value = self.threshold(fields, "threshold", node, label=LEARNED_TOPICS)
        min_words = self.min_words(fields, node, LEARNED_TOPICS)
        topics_node = fields.get("topics")
        if topics_node is None:
            self.problem(node, f"{LEARNED_TOPICS}: missing 'topics'")
            return
        by_topic = self.mapping(topics_node, f"{LEARNED_TOPICS}: topics")
        if by_topic is None:
            return
        topics = tuple(
            (
                topic_id,
                self.text_list(by_topic, topic_id, topics_node, f"{LEARNED_TOPICS}: {topic_id}"),
            )
            for topic_id in by_topic
        )
        #: Where each topic's messages start, to name the line of an unknown topic.
        self.learned_topic_where = {
            key.value: self.where(key) for key, _ in topics_node.value if key.value in by_topic
        }
        if value is not None:
            self.learned_topics = LearnedTopics(value, topics, min_words, self.where(node))

    def doubt_below(self, fields: dict[str, yaml.Node], node: yaml.Node) -> float:
        """Read ``doubt-below``: a number above 0 up to 0.5 (0, never, when not given)."""
        text = self.text(fields, "doubt-below", node, LEARNED_CUE, required=False)
        if text is None:
            return 0.0
        try:
            value = float(text)
        except ValueError:
            value = -1.0
        if not 0 < value <= 0.5:
            self.problem(
                fields["doubt-below"],
                f"{LEARNED_CUE}: 'doubt-below' must be a number above 0 up to 0.5",
            )
            return 0.0
        return value

    def min_words(self, fields: dict[str, yaml.Node], node: yaml.Node, label: str) -> int:
        """Read ``min-words``: a whole number from 1 (1 when not given)."""
        min_words = self.text(fields, "min-words", node, label, required=False)
        if min_words is None:
            return 1
        if not min_words.isdigit() or int(min_words) < 1:
            self.problem(fields["min-words"], f"{label}: 'min-words' must be a whole number from 1")
            return 1
        return int(min_words)

    def threshold(
        self,
        fields: dict[str, yaml.Node],
        key: str,
        node: yaml.Node,
        *,
        required: bool = True,
        label: str = LEARNED_CUE,
    ) -> float | None:
        """Read a learned model's threshold: a number from 0.5 up to (not including) 1."""
        threshold = self.text(fields, key, node, label, required=required)
        try:
            value = float(threshold) if threshold is not None else None
        except ValueError:
            value = None
        if value is not None and not 0.5 <= value < 1:
            value = None
        if threshold is not None and value is None:
            self.problem(
                fields[key],
                f"{label}: '{key}' must be a number from 0.5 up to (not including) 1",
            )
        return value

    def add_vocabulary(self, node: yaml.Node) -> None:
        fields = self.mapping(node, "vocabulary")
        if fields is None:
            return
        self.unknown_keys(node, (*VOCABULARY_LISTS, *_MAPPINGS, _WORD_CLASSES), "vocabulary")
        for name in VOCABULARY_LISTS:
            words = self.text_list(fields, name, node, "vocabulary")
            self.vocabulary[name] = tuple(w.casefold() for w in words)
        self.check_word_forms(fields.get("word-forms"))
        self.shorthand = self.word_mapping(fields, "shorthand", node)
        self.also_known_as = self.word_mapping(fields, "also-known-as", node)
        self.said_as = self.word_mapping(fields, "said-as", node)
        self.sounds_like = self.word_mapping(fields, "sounds-like", node)
        self.add_word_classes(fields.get(_WORD_CLASSES))

    def add_word_classes(self, node: yaml.Node | None) -> None:
        """Read ``word-classes``: each a list of words or phrases, kept as an alternation."""
        if node is None:
            return
        classes = self.mapping(node, f"vocabulary: {_WORD_CLASSES}") or {}
        for name, words_node in classes.items():
            label = f"vocabulary: {_WORD_CLASSES}"
            if not _CLASS_NAME.fullmatch("{" + name + "}"):
                self.problem(words_node, f"{label}: '{name}' must be lowercase letters and hyphens")
                continue
            words = self.text_list(classes, name, node, label)
            # Longest first: the alternation then takes "end it all" before "end it".
            folded = sorted({w.casefold() for w in words}, key=lambda w: (-len(w), w))
            self.word_classes[name] = "(?:" + "|".join(re.escape(w) for w in folded) + ")"

    def check_word_forms(self, node: yaml.Node | None) -> None:
        """Each ``word-forms`` group holds two words or more, and a word is in one group only."""
        if not isinstance(node, yaml.SequenceNode):
            return
        group_of: dict[str, str] = {}
        for item in node.value:
            if not isinstance(item, yaml.ScalarNode):
                continue  # reported by text_list
            group = " ".join(str(item.value).casefold().split())
            words = group.split()
            if len(words) < 2:
                self.problem(item, f"vocabulary: word-forms '{group}' needs two words or more")
            for word in words:
                first = group_of.setdefault(word, group)
                if first != group:
                    self.problem(
                        item, f"vocabulary: word-forms: '{word}' is in '{first}' and '{group}'"
                    )

    def word_mapping(
        self, fields: dict[str, yaml.Node], key: str, owner: yaml.Node
    ) -> dict[str, str]:
        node = fields.get(key)
        if node is None:
            self.problem(owner, f"vocabulary: missing '{key}'")
            return {}
        result: dict[str, str] = {}
        for word, value in (self.mapping(node, f"vocabulary: {key}") or {}).items():
            if not isinstance(value, yaml.ScalarNode) or not str(value.value).strip():
                self.problem(value, f"vocabulary: {key} '{word}' must map to text")
                continue
            result[word.casefold()] = " ".join(str(value.value).casefold().split())
        return result

    def add_roles(self, node: yaml.Node) -> None:
        fields = self.mapping(node, "roles")
        if fields is None:
            return
        self.unknown_keys(node, ROLE_NAMES, "roles")
        for name in ROLE_NAMES:
            value = fields.get(name)
            if value is None:
                continue  # a role left out is played by no topic
            if name in LIST_ROLES:
                self.roles[name] = (self.text_list(fields, name, node, "roles"), self.where(value))
            else:
                topic_id = self.text(fields, name, node, "roles")
                if topic_id is not None:
                    self.roles[name] = ((topic_id,), self.where(value))

    def add_cues(self, node: yaml.Node) -> None:
        if not isinstance(node, yaml.SequenceNode):
            self.problem(node, "'cues' must be a list")
            return
        for item in node.value:
            fields = self.mapping(item, "cue")
            if fields is None:
                continue
            cue_id = self.text(fields, "id", item, "cue")
            label = f"cue '{cue_id}'" if cue_id else "cue"
            self.unknown_keys(item, _CUE_KEYS, label)
            phrases = self.text_list(fields, "phrases", item, label, required=False)
            patterns = self.compiled(fields, item, label)
            signals, threshold = self.signals(fields, item, label)
            doubts = self.text_list(fields, "doubts", item, label, required=False)
            unruled = not phrases and "patterns" not in fields and not signals
            examples = self.text_list(fields, "examples", item, label)
            counter = self.text_list(fields, "not", item, label, required=False)
            flags = {
                name: self.flag(fields, name, label)
                for name in (
                    "negatable",
                    "urgent",
                    "present",
                    "own-news",
                    "ends-alarms",
                    "any-form",
                    "timeless",
                    "reminds-after",
                    "reads-numbers",
                    "eases-crisis",
                    "undoubted",
                    "asks-ahead",
                    "feeling",
                    "foreign",
                    "remembered",
                )
            }
            if flags["reminds-after"] and not (flags["urgent"] and flags["timeless"]):
                self.problem(item, f"{label}: 'reminds-after' needs 'urgent' and 'timeless'")
            if flags["feeling"] and not fields.get("says"):
                self.problem(item, f"{label}: 'feeling' needs 'says', the sentence that hears it")
            if flags["eases-crisis"] and flags["urgent"]:
                self.problem(item, f"{label}: 'eases-crisis' cannot be 'urgent'")
            if flags["reads-numbers"] and "label" not in fields:
                self.problem(item, f"{label}: 'reads-numbers' needs 'label'")
            quiets = self.text(fields, "quiets", item, label, required=False) or ""
            if quiets not in ("", "always", "unless-present", "sentence", "sentence-always"):
                self.problem(
                    fields["quiets"],
                    f"{label}: 'quiets' must be always, unless-present, sentence"
                    " or sentence-always",
                )
            below = self.text(fields, "below", item, label, required=False)
            if below is not None and not below.isdigit():
                self.problem(fields["below"], f"{label}: 'below' must be a whole number")
                below = None
            if below is not None and not any("(?P<count>" in p.pattern for p in patterns):
                self.problem(
                    fields["below"], f"{label}: 'below' needs a pattern with (?P<count>...)"
                )
            overrides = self.text_list(fields, "overrides", item, label, required=False)
            speaks_of = self.text_list(fields, "speaks-of", item, label, required=False)
            quiets_only = self.text_list(fields, "quiets-only", item, label, required=False)
            if quiets_only and not quiets:
                self.problem(fields["quiets-only"], f"{label}: 'quiets-only' needs 'quiets'")
            spares = self.text_list(fields, "spares", item, label, required=False)
            if spares and not quiets:
                self.problem(fields["spares"], f"{label}: 'spares' needs 'quiets'")
            if cue_id is None:
                continue
            if cue_id in self.cues:
                self.problem(
                    item, f"{label}: duplicate cue id (first at {self.cues[cue_id].where})"
                )
                continue
            self.cues[cue_id] = Cue(
                id=cue_id,
                phrases=lowered(phrases),
                patterns=tuple(patterns),
                examples=examples,
                counter_examples=counter,
                negatable=flags["negatable"],
                urgent=flags["urgent"],
                present=flags["present"],
                own_news=flags["own-news"],
                ends_alarms=flags["ends-alarms"],
                any_form=flags["any-form"],
                timeless=flags["timeless"],
                reminds_after=flags["reminds-after"],
                eases_crisis=flags["eases-crisis"],
                undoubted=flags["undoubted"],
                asks_ahead=flags["asks-ahead"],
                feeling=flags["feeling"],
                reads_numbers=flags["reads-numbers"],
                foreign=flags["foreign"],
                remembered=flags["remembered"],
                signals=signals,
                threshold=threshold,
                quiets=quiets,
                quiets_only=quiets_only,
                spares=spares,
                below=int(below) if below is not None else None,
                says=self.text(fields, "says", item, label, required=False) or "",
                with_topic=self.text(fields, "with-topic", item, label, required=False) or "",
                hides_topic=self.text(fields, "hides-topic", item, label, required=False) or "",
                topic=self.text(fields, "topic", item, label, required=False) or "",
                overrides=overrides,
                speaks_of=speaks_of,
                doubts=doubts,
                label=self.text(fields, "label", item, label, required=False) or "",
                note=self.text(fields, "note", item, label, required=False) or "",
                where=self.where(item),
            )
            if unruled:
                # A learned model may hear it alone (checked once every file is read).
                self.unruled.append(self.cues[cue_id])

    def compiled(
        self, fields: dict[str, yaml.Node], item: yaml.Node, label: str
    ) -> tuple[re.Pattern[str], ...]:
        """Compile the ``patterns`` of a cue or a signal; each one that does not is a problem."""
        patterns: list[re.Pattern[str]] = []
        patterns_node = fields.get("patterns")
        for pattern_node, text in zip(
            patterns_node.value if isinstance(patterns_node, yaml.SequenceNode) else (),
            self.text_list(fields, "patterns", item, label, required=False),
            strict=False,
        ):
            unknown = [n for n in _CLASS_NAME.findall(text) if n not in self.word_classes]
            if unknown:
                self.problem(
                    pattern_node,
                    f"{label}: pattern names a word class the vocabulary lacks: {unknown[0]}",
                )
                continue
            text = _CLASS_NAME.sub(lambda m: self.word_classes[m[1]], text)
            try:
                patterns.append(re.compile(text))
            except re.error as error:
                self.problem(pattern_node, f"{label}: pattern does not compile: {error}")
        return tuple(patterns)

    def signals(
        self, fields: dict[str, yaml.Node], item: yaml.Node, label: str
    ) -> tuple[tuple[Signal, ...], int]:
        """Read a cue's ``signals`` and the ``threshold`` their weights must reach."""
        node = fields.get("signals")
        threshold_text = self.text(fields, "threshold", item, label, required=False)
        if node is None:
            if threshold_text is not None:
                self.problem(fields["threshold"], f"{label}: 'threshold' needs 'signals'")
            return (), 0
        if not isinstance(node, yaml.SequenceNode) or not node.value:
            self.problem(node, f"{label}: 'signals' must be a list of signals")
            return (), 0
        threshold = 0
        if threshold_text is None:
            self.problem(node, f"{label}: 'signals' needs a 'threshold'")
        elif not threshold_text.isdigit() or int(threshold_text) < 2:
            self.problem(
                fields["threshold"], f"{label}: 'threshold' must be a whole number of 2 or more"
            )
        else:
            threshold = int(threshold_text)
        signals: list[Signal] = []
        for signal_node in node.value:
            signal_fields = self.mapping(signal_node, f"{label}: signal")
            if signal_fields is None:
                continue
            name = self.text(signal_fields, "name", signal_node, f"{label}: signal")
            where = f"{label}: signal '{name}'" if name else f"{label}: signal"
            self.unknown_keys(signal_node, _SIGNAL_KEYS, where)
            weight = self.text(signal_fields, "weight", signal_node, where)
            patterns = self.compiled(signal_fields, signal_node, where)
            if "patterns" not in signal_fields:
                self.problem(signal_node, f"{where}: needs 'patterns'")
            if weight is not None and not weight.isdigit():
                self.problem(signal_fields["weight"], f"{where}: 'weight' must be a whole number")
                continue
            if weight is not None and threshold and int(weight) >= threshold:
                self.problem(
                    signal_fields["weight"],
                    f"{where}: 'weight' must be below the threshold ({threshold}):"
                    " a hint enough alone is a pattern",
                )
                continue
            if name is not None and any(s.name == name for s in signals):
                self.problem(signal_node, f"{where}: duplicate signal name")
                continue
            if name is not None and weight is not None:
                signals.append(Signal(name, int(weight), patterns))
        return tuple(signals), threshold

    def language(
        self,
        first: str,
        topic_ids: set[str],
        general_ids: set[str],
        alert_cues: Iterable[tuple[str, str]],
    ) -> Language | None:
        """Build the language once every file is read, checking the roles' topics.

        Args:
            first: the first file read, named by problems of no one place.
            topic_ids: the topics declared in the facts.
            general_ids: the general entries declared in the facts.
            alert_cues: (where, cue id) of every alert, whose cue must exist.
        """
        for part in LANGUAGE_PARTS:
            if part not in self.language_where:
                self.problems.append(f"{first}:1: missing '{part}'")
        for name, (ids, where) in self.roles.items():
            known = general_ids if name == "class-overview" else topic_ids
            if name == "class-wide":
                known = general_ids & topic_ids
            if name == "class-risks":
                known = general_ids
            kind = "general entry" if name == "class-overview" else "topic"
            for topic_id in ids:
                if topic_id not in known:
                    self.problems.append(f"{where}: role '{name}': unknown {kind} '{topic_id}'")
        for topic_id, where in self.learned_topic_where.items():
            if topic_id not in topic_ids:
                self.problems.append(f"{where}: {LEARNED_TOPICS}: unknown topic '{topic_id}'")
        for where, cue_id in alert_cues:
            if self.cues and cue_id not in self.cues:
                self.problems.append(f"{where}: alert '{cue_id}': no such cue")
        for learned in self.learned.values():
            for heard in filter(None, (learned.cue, learned.opposite)):
                if self.cues and heard not in self.cues:
                    self.problems.append(f"{learned.where}: {LEARNED_CUE}: no such cue '{heard}'")
        for cue in self.unruled:
            if cue.id not in self.learned_where:
                self.problems.append(
                    f"{cue.where}: cue '{cue.id}': needs 'phrases', 'patterns' or 'signals',"
                    f" or a {LEARNED_CUE} that hears it"
                )
        for cue in self.cues.values():
            for other in cue.overrides:
                if other != "*" and other not in self.cues:
                    self.problems.append(
                        f"{cue.where}: cue '{cue.id}': overrides unknown cue '{other}'"
                    )
            for other in cue.speaks_of:
                spoken = self.cues.get(other)
                if spoken is None or not spoken.urgent:
                    self.problems.append(
                        f"{cue.where}: cue '{cue.id}': speaks-of '{other}', which is no urgent cue"
                    )
            for key, others in (("quiets-only", cue.quiets_only), ("spares", cue.spares)):
                for other in others:
                    quieted = self.cues.get(other)
                    if quieted is None or not quieted.urgent:
                        self.problems.append(
                            f"{cue.where}: cue '{cue.id}': {key} '{other}', which is no urgent cue"
                        )
            for other in cue.doubts:
                doubted = self.cues.get(other)
                if doubted is None or not doubted.urgent:
                    self.problems.append(
                        f"{cue.where}: cue '{cue.id}': doubts '{other}', which is no urgent cue"
                    )
            heard_by_rules = bool(cue.phrases or cue.patterns or cue.signals)
            if cue.doubts and cue.id not in self.learned_where and not heard_by_rules:
                self.problems.append(
                    f"{cue.where}: cue '{cue.id}': doubts other cues, so its patterns or"
                    f" phrases or a {LEARNED_CUE} must hear it"
                )
        if len(self.vocabulary) < len(VOCABULARY_LISTS):
            return None
        role = {name: self.roles.get(name, (("",), ""))[0] for name in ROLE_NAMES}
        for name in LIST_ROLES:
            role[name] = tuple(t for t in role[name] if t)
        words = self.vocabulary
        return Language(
            common_words=words["common-words"],
            drug_suffixes=words["drug-suffixes"],
            negations=words["negations"],
            negation_fillers=words["negation-fillers"],
            not_symptoms=words["not-symptoms"],
            dose_verbs=words["dose-verbs"],
            medicine_cues=words["medicine-cues"],
            pair_words=words["pair-words"],
            own_leads=words["own-leads"],
            generic_words=words["generic-words"],
            frame_words=words["frame-words"],
            foreign_words=words["foreign-words"],
            advice_openings=words["advice-openings"],
            undo_negation=words["undo-negation"],
            overview_words=words["overview-words"],
            shorthand=tuple(self.shorthand.items()),
            word_forms=words["word-forms"],
            phrase_fillers=words["phrase-fillers"],
            sentence_breaks=words["sentence-breaks"],
            count_units=words["count-units"],
            also_known_as=tuple(self.also_known_as.items()),
            said_as=tuple(self.said_as.items()),
            sounds_like=tuple(self.sounds_like.items()),
            cues=tuple(self.cues.values()),
            roles=Roles(
                side_effects=role["side-effects"][0],
                serious_risks=role["serious-risks"][0],
                interactions=role["interactions"][0],
                how_it_works=role["how-it-works"][0],
                contraindications=role["contraindications"][0],
                class_overview=role["class-overview"][0],
                listing=role["listing"],
                class_wide=role["class-wide"],
                class_risks=role["class-risks"],
                background=role["background"],
                calm_topics=role["calm-topics"],
            ),
            learned=tuple(self.learned.values()),
            learned_topics=self.learned_topics,
        )
