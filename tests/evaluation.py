"""Score the bot on tests/evaluation.yaml through ``python -m bot ask --json`` (stdin batch).

Run it directly to see the score by category and every failure:
``python tests/evaluation.py [EVALUATION_YAML]``.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
EVALUATION_PATH = Path(__file__).resolve().parent / "evaluation.yaml"
URGENT_OPENING = "contact your doctor now"
HOLDOUT_PATH = Path(__file__).resolve().parent / "evaluation_holdout.yaml"
BLIND_PATH = Path(__file__).resolve().parent / "evaluation_blind.yaml"
REDTEAM_PATH = Path(__file__).resolve().parent / "evaluation_redteam.yaml"
BLIND3_PATH = Path(__file__).resolve().parent / "evaluation_blind3.yaml"
PRACTICAL_PATH = Path(__file__).resolve().parent / "evaluation_practical.yaml"
#: The reports computed in this process by file name, for pytest's terminal summary.
REPORTS: dict[str, Report] = {}


@dataclass
class CategoryScore:
    passed: int = 0
    total: int = 0
    failures: list[str] = field(default_factory=list)


@dataclass
class Report:
    categories: dict[str, CategoryScore]

    @property
    def passed(self) -> int:
        return sum(c.passed for c in self.categories.values())

    @property
    def total(self) -> int:
        return sum(c.total for c in self.categories.values())

    @property
    def score(self) -> float:
        return self.passed / self.total if self.total else 0.0

    def table(self) -> str:
        lines = [f"{'category':<16}{'passed':>8}{'total':>7}{'score':>8}"]
        for name, cat in sorted(self.categories.items()):
            lines.append(f"{name:<16}{cat.passed:>8}{cat.total:>7}{cat.passed / cat.total:>8.1%}")
        lines.append(f"{'all':<16}{self.passed:>8}{self.total:>7}{self.score:>8.1%}")
        return "\n".join(lines)


def fold(text: str) -> str:
    """Lowercase, drop apostrophes, turn other punctuation into spaces."""
    text = re.sub("['\u2019]", "", text.casefold())
    return " ".join(re.sub(r"[^\w%]+", " ", text).split())


def check_item(item: dict[str, Any], reply: dict[str, Any]) -> list[str]:
    """Return why a reply fails its item (empty when it passes)."""
    problems = []
    expected = set(item.get("drugs") or [])
    got = set(reply["drugs"])
    if got != expected:
        problems.append(f"drugs {sorted(got)} != expected {sorted(expected)}")
    text = fold(reply["text"])
    for fact in item.get("facts") or []:
        if not any(fold(alt) in text for alt in fact.split("|")):
            problems.append(f"missing fact {fact!r}")
    if item.get("urgent") and not reply["text"].lower().startswith(URGENT_OPENING):
        problems.append("does not open with 'Contact your doctor now'")
    if not expected and not item.get("facts") and reply["topics"]:
        problems.append(f"gave entries {reply['topics']} for an uncovered question")
    return problems


def ask_batch(questions: list[str]) -> list[dict[str, Any]]:
    """Answer every question with one ``python -m bot ask --json`` process (stdin batch)."""
    result = subprocess.run(
        [sys.executable, "-m", "bot", "ask", "--json"],
        input="".join(q.replace("\n", " ") + "\n" for q in questions),
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    replies = [json.loads(line) for line in result.stdout.splitlines()]
    if len(replies) != len(questions):
        raise AssertionError(f"{len(questions)} questions but {len(replies)} replies")
    return replies


def evaluate(path: Path = EVALUATION_PATH) -> Report:
    items: list[dict[str, Any]] = yaml.safe_load(path.read_text(encoding="utf-8"))
    replies = ask_batch([item["q"] for item in items])
    categories: dict[str, CategoryScore] = defaultdict(CategoryScore)
    for item, reply in zip(items, replies, strict=True):
        cat = categories[item["category"]]
        cat.total += 1
        problems = check_item(item, reply)
        if problems:
            cat.failures.append(f"{item['q']!r}: {'; '.join(problems)}")
        else:
            cat.passed += 1
    report = Report(dict(categories))
    REPORTS[path.name] = report
    return report


if __name__ == "__main__":
    report = evaluate(Path(sys.argv[1]) if len(sys.argv) > 1 else EVALUATION_PATH)
    for name, cat in sorted(report.categories.items()):
        for failure in cat.failures:
            print(f"FAIL [{name}] {failure}")
    print(report.table())
