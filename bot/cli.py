"""The command line: ask, chat, check, diff, stats, init-knowledge and run."""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TextIO

from bot.changes import diff_knowledge
from bot.composing import Answer
from bot.conversation import ConversationMemory
from bot.knowledge import DEFAULT_KNOWLEDGE_PATH, KnowledgeError, load_knowledge
from bot.live import LoadedKnowledge
from bot.rendering import render_plain
from bot.review import review_knowledge

__all__ = ["main"]

logger = logging.getLogger(__name__)

#: What ``init-knowledge`` copies: the knowledge, its schema and its editors' guide.
_SHIPPED = frozenset({".yaml", ".json", ".md"})


def _knowledge_path(value: str | None) -> Path:
    return Path(value or os.environ.get("KNOWLEDGE_PATH") or DEFAULT_KNOWLEDGE_PATH)


def _print_problems(error: KnowledgeError, out: TextIO) -> None:
    for problem in error.problems:
        print(problem, file=out)
    count = len(error.problems)
    print(f"{count} problem{'s' if count != 1 else ''} found", file=out)


def _load(path: Path) -> LoadedKnowledge | None:
    try:
        return LoadedKnowledge.load(path)
    except KnowledgeError as error:
        _print_problems(error, sys.stderr)
        return None


def _as_json(answer: Answer) -> str:
    return json.dumps(
        {
            "text": render_plain(answer),
            "drugs": list(answer.drugs),
            "topics": list(answer.topics),
            "urgent": answer.urgent is not None or answer.kind == "crisis",
            "kind": answer.kind,
        },
        ensure_ascii=False,
    )


def _ask(args: argparse.Namespace) -> int:
    knowledge = _load(_knowledge_path(args.knowledge))
    if knowledge is None:
        return 1
    questions: Iterable[str] = [args.question] if args.question is not None else sys.stdin
    first = True
    for line in questions:
        question = line.rstrip("\n")
        if args.question is None and not question.strip():
            continue
        answer = knowledge.answer(question)
        if args.json:
            print(_as_json(answer))
        else:
            if not first:
                print("\n" + "-" * 40)
            print(render_plain(answer))
        first = False
    return 0


def _chat(args: argparse.Namespace) -> int:
    knowledge = _load(_knowledge_path(args.knowledge))
    if knowledge is None:
        return 1
    memory = ConversationMemory()
    print("Ask about an ITP immunosuppressant (an empty line or Ctrl-D quits).")
    while True:
        try:
            question = input("> ")
        except (EOFError, KeyboardInterrupt):
            print()
            return 0
        if not question.strip():
            return 0
        answer = knowledge.answer(question, memory.recall("console"))
        memory.after("console", answer)
        print(render_plain(answer) + "\n")


def _check(args: argparse.Namespace) -> int:
    path = _knowledge_path(args.path)
    try:
        kb = LoadedKnowledge.load(path).kb
    except KnowledgeError as error:
        _print_problems(error, sys.stdout)
        return 1
    warnings = review_knowledge(kb)
    for warning in warnings:
        print(warning)
    if warnings and args.strict:
        count = len(warnings)
        print(f"{count} warning{'s' if count != 1 else ''} found (--strict makes them errors)")
        return 1
    count = len(warnings)
    suffix = f" ({count} warning{'s' if count != 1 else ''})" if warnings else ""
    print(f"{path}: OK: {kb.summary()}{suffix}")
    return 0


def _diff(args: argparse.Namespace) -> int:
    try:
        old, new = load_knowledge(Path(args.old)), load_knowledge(Path(args.new))
    except KnowledgeError as error:
        _print_problems(error, sys.stdout)
        return 1
    changes = diff_knowledge(old, new)
    for line in changes.lines():
        print(line)
    print(changes.summary() if not changes.is_empty else "no changes")
    return 0


def _stats(args: argparse.Namespace) -> int:
    from bot.records import DEFAULT_DATA_PATH, QuestionLog

    path = Path(args.data or os.environ.get("DATA_PATH") or DEFAULT_DATA_PATH)
    if not path.exists():
        print(f"{path}: no question log yet (the bot creates it when it runs)")
        return 0
    retention = int(os.environ.get("RETENTION_DAYS", "90") or 90)
    log = QuestionLog(path, retention)
    try:
        if args.unanswered:
            rows = log.unanswered(args.unanswered)
            for row in rows:
                print(f"{row.when}  {row.question}")
            if not rows:
                print("no unanswered questions recorded")
        else:
            for line in log.stats(args.days).lines():
                print(line)
    finally:
        log.close()
    return 0


def _init_knowledge(args: argparse.Namespace) -> int:
    target = Path(args.dir)
    source = DEFAULT_KNOWLEDGE_PATH
    files = sorted(p for p in source.iterdir() if p.is_file() and p.suffix in _SHIPPED)
    if target.exists() and not target.is_dir():
        print(f"{target} is a file; give a folder", file=sys.stderr)
        return 1
    existing = sorted(p.name for p in target.glob("*.yaml")) if target.is_dir() else []
    if existing:
        print(
            f"{target} already holds knowledge ({', '.join(existing)}); nothing copied",
            file=sys.stderr,
        )
        return 1
    target.mkdir(parents=True, exist_ok=True)
    for file in files:
        shutil.copyfile(file, target / file.name)
    print(f"copied {len(files)} files from {source} to {target}")
    print(f"now set KNOWLEDGE_PATH={target.resolve()}")
    return 0


def _run(args: argparse.Namespace) -> int:
    # Imported here so that ask/check work without touching the Telegram stack.
    from telegram.error import TelegramError

    from bot.settings import Settings, SettingsError
    from bot.telegram_app import run_bot

    try:
        settings = Settings.from_env(os.environ)
    except SettingsError as error:
        print(f"configuration error: {error}", file=sys.stderr)
        return 2
    try:
        run_bot(settings)
    except KnowledgeError as error:
        _print_problems(error, sys.stderr)
        return 1
    except TelegramError as error:
        # A wrong token or an unreachable Bot API at start-up: say so, no traceback.
        print(f"could not start the bot: {error}", file=sys.stderr)
        return 1
    return 0


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of ``python -m bot``."""
    parser = argparse.ArgumentParser(
        prog="python -m bot",
        description="ITP medication helper: cited answers about ITP immunosuppressants.",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    ask = commands.add_parser(
        "ask", help="answer a question (or one question per line of stdin) in the terminal"
    )
    ask.add_argument("question", nargs="?", help="the question; omit to read stdin")
    ask.add_argument("--json", action="store_true", help="print one JSON object per answer")
    ask.add_argument("--knowledge", help="knowledge file or folder (default: KNOWLEDGE_PATH)")
    ask.set_defaults(handler=_ask)

    chat = commands.add_parser("chat", help="talk to the bot in the terminal, with follow-ups")
    chat.add_argument("--knowledge", help="knowledge file or folder (default: KNOWLEDGE_PATH)")
    chat.set_defaults(handler=_chat)

    check = commands.add_parser("check", help="validate a knowledge file or folder")
    check.add_argument("path", nargs="?", help="file or folder (default: KNOWLEDGE_PATH)")
    check.add_argument("--strict", action="store_true", help="treat warnings as errors")
    check.set_defaults(handler=_check)

    diff = commands.add_parser("diff", help="show what changed between two knowledge files")
    diff.add_argument("old")
    diff.add_argument("new")
    diff.set_defaults(handler=_diff)

    stats = commands.add_parser(
        "stats", help="what patients asked: counts, top entries, unanswered questions"
    )
    stats.add_argument("--days", type=int, default=7, help="the window in days (default 7)")
    stats.add_argument(
        "--unanswered", type=int, metavar="N", help="list the N latest unanswered questions"
    )
    stats.add_argument("--data", help="the question log (default: DATA_PATH)")
    stats.set_defaults(handler=_stats)

    init = commands.add_parser(
        "init-knowledge",
        help="copy the knowledge shipped with the bot into a folder the admins can edit",
    )
    init.add_argument("dir", help="the folder (created if missing; must hold no *.yaml yet)")
    init.set_defaults(handler=_init_knowledge)

    run = commands.add_parser("run", help="start the Telegram bot (configured by environment)")
    run.set_defaults(handler=_run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``python -m bot`` with ``argv``; return the exit status."""
    args = build_parser().parse_args(argv)
    level_name = os.environ.get("LOG_LEVEL", "INFO" if args.command == "run" else "WARNING")
    level = logging.getLevelName(level_name.strip().upper())
    if not isinstance(level, int):
        print(
            f"configuration error: LOG_LEVEL is {level_name!r}; use DEBUG, INFO, WARNING or ERROR",
            file=sys.stderr,
        )
        return 2
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # Libraries that would log the bot token (in Bot API URLs) or whole updates (a
    # user's message next to their id) at INFO or DEBUG stay at WARNING and INFO.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    logging.getLogger("telegram").setLevel(max(level, logging.INFO))
    try:
        status: int = args.handler(args)
    except BrokenPipeError:
        # The reader went away (`python -m bot ask ... | head`): stop quietly, as
        # the Python docs recommend, without a traceback on stderr.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    return status
