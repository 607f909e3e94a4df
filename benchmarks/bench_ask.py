"""Benchmark ``python -m bot ask`` in stdin batch mode: milliseconds per question.

Prints figures; asserts nothing (speed is measured here, never in a timed test).
Usage: ``python benchmarks/bench_ask.py [N_QUESTIONS]`` (default 2,000).
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.knowledge import DEFAULT_KNOWLEDGE_PATH  # noqa: E402
from bot.lexicon import english_words  # noqa: E402
from bot.live import LoadedKnowledge  # noqa: E402
from bot.rendering import render_plain  # noqa: E402  (after the path is set up)


def questions(count: int) -> list[str]:
    """Return ``count`` questions: the evaluation set, cycled, with small variations."""
    items = yaml.safe_load((ROOT / "tests" / "evaluation.yaml").read_text(encoding="utf-8"))
    base = [item["q"] for item in items]
    out = []
    for i in range(count):
        q = base[i % len(base)]
        # Vary the text so that caches keyed on whole questions cannot help.
        out.append(q if i < len(base) else f"{q} {'?' * (i // len(base))} ({i})")
    return out


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    qs = questions(count)

    start = time.perf_counter()
    knowledge = LoadedKnowledge.load(DEFAULT_KNOWLEDGE_PATH)
    load_ms = (time.perf_counter() - start) * 1000
    # The English word list is loaded once per process (the bot warms it at start-up):
    # timed on its own, not charged to the first question.
    start = time.perf_counter()
    english_words()
    lexicon_ms = (time.perf_counter() - start) * 1000

    timings = []
    for q in qs:
        t0 = time.perf_counter()
        answer = knowledge.answer(q)
        json.dumps({"text": render_plain(answer), "drugs": list(answer.drugs)})
        timings.append((time.perf_counter() - t0) * 1000)
    timings.sort()

    # Memory in a separate pass: tracemalloc slows every allocation down.
    tracemalloc.start()
    for q in qs:
        render_plain(knowledge.answer(q))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    # The same questions through the real command line, one process, stdin batch mode.
    t0 = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "bot", "ask", "--json"],
        input="\n".join(qs) + "\n",
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    total_s = time.perf_counter() - t0
    replies = len(result.stdout.splitlines())

    print(f"questions: {count}")
    print(f"knowledge load + validation + index: {load_ms:.1f} ms")
    print(f"English word list load (once per process): {lexicon_ms:.1f} ms")
    print(
        f"in-process answer+render per question: mean {statistics.fmean(timings):.3f} ms, "
        f"p50 {timings[len(timings) // 2]:.3f} ms, p99 {timings[int(len(timings) * 0.99)]:.3f} ms"
    )
    print(f"peak traced memory while answering: {peak / 1024:.0f} KiB")
    print(
        f"python -m bot ask --json (stdin batch, {replies} replies): {total_s:.2f} s in all, "
        f"{total_s * 1000 / count:.3f} ms per question including start-up"
    )


if __name__ == "__main__":
    main()
