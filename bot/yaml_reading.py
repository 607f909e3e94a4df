"""Reading YAML as nodes, so every problem names the file and line it comes from.

:class:`NodeReader` is the base of the knowledge loaders: it checks the shape of
one node at a time and collects every problem instead of stopping at the first.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import yaml

__all__ = ["ID_RE", "NodeReader", "compose_nodes", "lowered"]

ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
# libyaml's parser where PyYAML was built with it: the same nodes and line marks, faster.
_FAST_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def compose_nodes(text: str) -> yaml.Node | None:
    """Parse YAML into nodes, fast; on an error, parse again for PyYAML's clearer message."""
    try:
        return yaml.compose(text, Loader=_FAST_LOADER)
    except yaml.YAMLError as fast_error:
        try:
            return yaml.compose(text, Loader=yaml.SafeLoader)
        except RecursionError:
            # Nesting too deep for the pure-Python parser: libyaml's message will do.
            raise fast_error from None


def lowered(values: Iterable[str]) -> tuple[str, ...]:
    """Return ``values`` casefolded, each once, in their first order."""
    return tuple(dict.fromkeys(v.casefold() for v in values))


class NodeReader:
    """Checks nodes of the file being read; ``problems`` collects ``path:line: message``."""

    def __init__(self) -> None:
        self.problems: list[str] = []
        self.file = ""

    def where(self, node: yaml.Node) -> str:
        return f"{self.file}:{node.start_mark.line + 1}"

    def problem(self, node: yaml.Node, message: str) -> None:
        self.problems.append(f"{self.where(node)}: {message}")

    def mapping(self, node: yaml.Node, label: str) -> dict[str, yaml.Node] | None:
        if not isinstance(node, yaml.MappingNode):
            self.problem(node, f"{label}: expected a mapping of keys to values")
            return None
        result: dict[str, yaml.Node] = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
            if not isinstance(key, str):
                self.problem(key_node, f"{label}: keys must be plain words")
                continue
            if key in result:
                self.problem(key_node, f"{label}: key '{key}' appears twice")
            result[key] = value_node
        return result

    def unknown_keys(self, node: yaml.Node, allowed: Iterable[str], label: str) -> None:
        if not isinstance(node, yaml.MappingNode):
            return
        allowed_set = set(allowed)
        for key_node, _ in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
            if isinstance(key, str) and key not in allowed_set:
                self.problem(
                    key_node,
                    f"{label}: unknown key '{key}' (allowed: {', '.join(sorted(allowed_set))})",
                )

    def text(
        self,
        fields: dict[str, yaml.Node],
        key: str,
        owner: yaml.Node,
        label: str,
        *,
        required: bool = True,
    ) -> str | None:
        node = fields.get(key)
        if node is None:
            if required:
                self.problem(owner, f"{label}: missing '{key}'")
            return None
        if not isinstance(node, yaml.ScalarNode) or node.tag == "tag:yaml.org,2002:null":
            self.problem(node, f"{label}: '{key}' must be text")
            return None
        value = " ".join(str(node.value).split())
        if not value:
            self.problem(node, f"{label}: '{key}' is empty")
            return None
        return value

    def text_list(
        self,
        fields: dict[str, yaml.Node],
        key: str,
        owner: yaml.Node,
        label: str,
        *,
        required: bool = True,
        allow_empty: bool = False,
    ) -> tuple[str, ...]:
        node = fields.get(key)
        if node is None:
            if required:
                self.problem(owner, f"{label}: missing '{key}'")
            return ()
        if not isinstance(node, yaml.SequenceNode):
            self.problem(node, f"{label}: '{key}' must be a list")
            return ()
        values: list[str] = []
        for item in node.value:
            if (
                not isinstance(item, yaml.ScalarNode)
                or item.tag == "tag:yaml.org,2002:null"
                or not str(item.value).strip()
            ):
                self.problem(item, f"{label}: every item of '{key}' must be non-empty text")
                continue
            values.append(" ".join(str(item.value).split()))
        if not values and not allow_empty:
            self.problem(node, f"{label}: '{key}' is empty")
        return tuple(values)

    def at_most(
        self, fields: dict[str, yaml.Node], key: str, value: str | None, limit: int, label: str
    ) -> None:
        if value is not None and len(value) > limit:
            self.problem(fields[key], f"{label}: {key} is longer than {limit} characters")

    def link(
        self,
        fields: dict[str, yaml.Node],
        owner: yaml.Node,
        label: str,
        *,
        allow_http: bool = False,
    ) -> str | None:
        value = self.text(fields, "link", owner, label, required=False)
        if value is None:
            return None
        if allow_http and not value.startswith(("https://", "http://")):
            self.problem(fields["link"], f"{label}: link must start with https:// or http://")
        elif not allow_http and not value.startswith("https://"):
            self.problem(fields["link"], f"{label}: link must start with https://")
        return value

    def identifier(self, fields: dict[str, yaml.Node], owner: yaml.Node, label: str) -> str | None:
        value = self.text(fields, "id", owner, label)
        if value is not None and not ID_RE.match(value):
            self.problem(
                fields["id"],
                f"{label}: id '{value}' must be lowercase letters, digits and dashes",
            )
            return None
        return value

    def flag(self, fields: dict[str, yaml.Node], key: str, label: str) -> bool:
        node = fields.get(key)
        if node is None:
            return False
        if not isinstance(node, yaml.ScalarNode) or node.value not in ("true", "false"):
            self.problem(node, f"{label}: '{key}' must be true or false")
            return False
        return bool(node.value == "true")
