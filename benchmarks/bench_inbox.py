"""Inbox benchmark: what one answer costs in disk writes and time, idle and under a burst.

Prints figures; asserts nothing (speed is measured here, never in a timed test).
Usage: ``python benchmarks/bench_inbox.py [--answers 3000]``. Linux only (it reads the
thread's write counters in ``/proc``).

The inbox store (:class:`bot.inbox.Inbox`) runs alone in this thread, with the writes the
running bot makes for each answer: the update admitted (one transaction, fsync'd) and
marked done (one transaction, not fsync'd), and, when nothing is left waiting, the
write-ahead log checkpointed and truncated. Two patterns:

- idle: one question at a time, so every answer pays all of it;
- burst: getUpdates batches of 100 admitted at once, done marks written 10 at a time.
  The running bot writes done marks sooner, a few at a time (``bench_load.py`` prints its
  real transactions per reply): this pattern is the cost if they were batched harder.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.inbox import Inbox, minimal_update  # noqa: E402  (after the path is set up)


def _io() -> dict[str, int]:
    """This thread's I/O counters: bytes passed to write calls, and how many calls."""
    path = Path(f"/proc/self/task/{threading.get_native_id()}/io")
    fields = dict(line.split(": ") for line in path.read_text().splitlines())
    return {key: int(value) for key, value in fields.items()}


def _payload(update_id: int) -> str:
    update = {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": int(time.time()),
            "chat": {"id": 700_000_000 + update_id, "type": "private", "first_name": "Ann"},
            "from": {"id": 700_000_000 + update_id, "is_bot": False, "first_name": "Ann"},
            "text": "can I take grapefruit juice with cyclosporine?",
        },
    }
    kept = minimal_update(update)
    assert kept is not None
    return json.dumps(kept, separators=(",", ":"))


Counts = tuple[int, int, int]
"""Transactions, fsync'd transactions, checkpoints (the inbox ran empty)."""


def idle(inbox: Inbox, answers: int) -> Counts:
    """One question at a time."""
    for update_id in range(1, answers + 1):
        inbox.write([(update_id, _payload(update_id))])
        inbox.write([], [update_id])
    return 2 * answers, answers, answers


def burst(inbox: Inbox, answers: int) -> Counts:
    """Batches of 100 admitted, done marks 10 at a time."""
    first = 10_000_000
    transactions = synced = checkpoints = 0
    for start in range(first, first + answers, 100):
        ids = range(start, min(start + 100, first + answers))
        inbox.write([(update_id, _payload(update_id)) for update_id in ids])
        transactions, synced = transactions + 1, synced + 1
        for done in range(0, len(ids), 10):
            inbox.write([], ids[done : done + 10])
            transactions += 1
        checkpoints += inbox.unfinished_count == 0
    return transactions, synced, checkpoints


def measure(name: str, pattern: Callable[[Inbox, int], Counts], answers: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        inbox = Inbox(Path(folder) / "questions-inbox.sqlite3")
        before, started = _io(), time.perf_counter()
        transactions, synced, checkpoints = pattern(inbox, answers)
        seconds, after = time.perf_counter() - started, _io()
        inbox.close()
    written = after["wchar"] - before["wchar"]
    calls = after["syscw"] - before["syscw"]
    print(
        f"{name:5}: per answer {transactions / answers:.2f} transactions "
        f"({synced / answers:.2f} with fsync), {checkpoints / answers:.2f} checkpoints, "
        f"{calls / answers:.1f} write calls, "
        f"{written / answers / 1024:.1f} KiB written, {seconds / answers * 1000:.3f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--answers", type=int, default=3000, help="answers per pattern")
    args = parser.parse_args()
    print(f"Inbox benchmark: {args.answers} answers per pattern, SQLite {sqlite3.sqlite_version}.")
    measure("idle", idle, args.answers)
    measure("burst", burst, args.answers)
    print(
        "Bytes are what SQLite passed to write calls (WAL frames of 4 KiB pages, checkpoints\n"
        "into the database file); the disk may merge them. A transaction with fsync costs one\n"
        "fdatasync; a checkpoint (the inbox ran empty: the log is copied into the database\n"
        "file and truncated, so no deleted question stays in it) costs three (strace -c)."
    )


if __name__ == "__main__":
    main()
