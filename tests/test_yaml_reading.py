"""The node reader: shapes checked one node at a time, every problem with its line."""

from __future__ import annotations

import pytest
import yaml

from bot.yaml_reading import NodeReader, compose_nodes, lowered


def _read(text: str) -> tuple[NodeReader, yaml.Node]:
    reader = NodeReader()
    reader.file = "k.yaml"
    node = compose_nodes(text)
    assert node is not None
    return reader, node


@pytest.mark.parametrize(
    ("text", "problems"),
    [
        ("- a\n- b\n", ["k.yaml:1: thing: expected a mapping of keys to values"]),
        ("a: 1\na: 2\n", ["k.yaml:2: thing: key 'a' appears twice"]),
        ("a: 1\n", []),
    ],
)
def test_mapping_reports_shape_and_duplicates(text: str, problems: list[str]) -> None:
    reader, node = _read(text)
    reader.mapping(node, "thing")
    assert reader.problems == problems


@pytest.mark.parametrize(
    ("text", "value", "problems"),
    [
        ("id: heart-1\n", "heart-1", []),
        (
            "id: Heart\n",
            None,
            ["k.yaml:1: thing: id 'Heart' must be lowercase letters, digits and dashes"],
        ),
        ("other: x\n", None, ["k.yaml:1: thing: missing 'id'"]),
        ("id: [a]\n", None, ["k.yaml:1: thing: 'id' must be text"]),
    ],
)
def test_identifier(text: str, value: str | None, problems: list[str]) -> None:
    reader, node = _read(text)
    fields = reader.mapping(node, "thing")
    assert fields is not None
    assert reader.identifier(fields, node, "thing") == value
    assert reader.problems == problems


@pytest.mark.parametrize(
    ("text", "value", "problems"),
    [
        ("f: true\n", True, []),
        ("f: false\n", False, []),
        ("g: 1\n", False, []),
        ("f: yes\n", False, ["k.yaml:1: thing: 'f' must be true or false"]),
    ],
)
def test_flag(text: str, value: bool, problems: list[str]) -> None:
    reader, node = _read(text)
    fields = reader.mapping(node, "thing")
    assert fields is not None
    assert reader.flag(fields, "f", "thing") is value
    assert reader.problems == problems


def test_text_list_names_every_bad_item_in_one_pass() -> None:
    reader, node = _read("l:\n  - a\n  - ''\n  - [x]\n  - b\n")
    fields = reader.mapping(node, "thing")
    assert fields is not None
    assert reader.text_list(fields, "l", node, "thing") == ("a", "b")
    assert reader.problems == [
        "k.yaml:3: thing: every item of 'l' must be non-empty text",
        "k.yaml:4: thing: every item of 'l' must be non-empty text",
    ]


def test_lowered_keeps_first_order_once() -> None:
    assert lowered(["B", "a", "b", "A"]) == ("b", "a")
