"""Tests of bot.cli: ``python -m bot`` run as a process, and ``bot.cli.main`` in-process."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main
from bot.knowledge import DEFAULT_LANGUAGE_FILE, KnowledgeBase, load_knowledge
from tests.test_knowledge import REAL_FILE, VALID, edit, line_of, write_file

ROOT = Path(__file__).resolve().parent.parent

#: VALID with two problems: an http link and an entry citing an unknown reference.
BROKEN = edit(
    edit(VALID, "https://example.org/one", "www.example.org/one"),
    '        answer: "Alpha can make you tired [2]."\n        references: [2]\n',
    '        answer: "Alpha can make you tired [12]."\n        references: [12]\n',
)


def broken_problems(path: Path) -> list[str]:
    """The problems the loader must report for BROKEN written at ``path``."""
    link_line = line_of(BROKEN, "    link: www.example.org/one")
    answer_line = line_of(BROKEN, '        answer: "Alpha can make you tired [12]."')
    return [
        f"{path}:{link_line}: reference 1: link must start with https:// or http://",
        f"{path}:{answer_line}: topic 'side-effects' of 'alpha': unknown reference 12",
    ]


def run_bot(
    *args: str, stdin: str | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m bot ARGS`` from the project root, without KNOWLEDGE_PATH unless given."""
    child_env = {k: v for k, v in os.environ.items() if k != "KNOWLEDGE_PATH"}
    child_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=ROOT,
        input=stdin if stdin is not None else "",
        capture_output=True,
        text=True,
        env=child_env,
        timeout=300,  # bounds only a failing run: a cold load took 40 s on slow machines
        check=False,
    )


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return load_knowledge(REAL_FILE)


@pytest.fixture(autouse=True)
def no_knowledge_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """In-process runs use the default knowledge unless a test sets KNOWLEDGE_PATH."""
    monkeypatch.delenv("KNOWLEDGE_PATH", raising=False)


# --------------------------------------------------------------------------- check


def test_check_real_file_prints_one_summary_line(kb: KnowledgeBase) -> None:
    result = run_bot("check", str(REAL_FILE))

    assert result.returncode == 0, result.stderr
    assert result.stdout == f"{REAL_FILE}: OK: {kb.summary()}\n"
    assert "5 drugs" in result.stdout
    assert result.stderr == ""


def test_check_defaults_to_the_knowledge_folder(capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["check"])

    out = capsys.readouterr().out
    assert status == 0
    assert out.startswith(f"{ROOT / 'knowledge'}: OK: 5 drugs, ")
    assert out.count("\n") == 1


def test_check_broken_file_prints_every_problem_and_a_count(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_file(tmp_path, BROKEN)

    status = main(["check", str(path)])

    assert status == 1
    assert capsys.readouterr().out.splitlines() == [*broken_problems(path), "2 problems found"]


def test_check_with_one_problem_says_problem_in_the_singular(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = edit(VALID, "    title: About\n", "")
    path = write_file(tmp_path, text)

    status = main(["check", str(path)])

    assert status == 1
    assert capsys.readouterr().out.splitlines() == [
        f"{path}:{line_of(text, '  - id: about')}: general entry 'about': missing 'title'",
        "1 problem found",
    ]


def test_check_broken_file_as_a_process(tmp_path: Path) -> None:
    path = write_file(tmp_path, BROKEN)

    result = run_bot("check", str(path))

    assert result.returncode == 1
    assert result.stdout.splitlines() == [*broken_problems(path), "2 problems found"]


# --------------------------------------------------------------------------- ask


def test_ask_prints_the_cited_answer_and_the_caution(kb: KnowledgeBase) -> None:
    result = run_bot("ask", "grapefruit cyclosporine?")

    assert result.returncode == 0, result.stderr
    assert "grapefruit" in result.stdout.lower()
    assert "[5]" in result.stdout
    assert kb.caution.answer in result.stdout


def test_ask_json_prints_one_object(capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["ask", "--json", "grapefruit cyclosporine?"])

    lines = capsys.readouterr().out.splitlines()
    assert status == 0
    assert len(lines) == 1
    answer = json.loads(lines[0])
    assert set(answer) == {"text", "drugs", "topics", "urgent", "kind"}
    assert answer["urgent"] is False
    assert answer["kind"] == "answer"
    assert answer["drugs"] == ["cyclosporine"]
    assert answer["topics"] == ["cyclosporine.interactions"]
    assert "[5]" in answer["text"]


def test_ask_reads_one_question_per_stdin_line() -> None:
    questions = "imuran side effects\n\ngrapefruit cyclosporine?\ntacrolimus side effects\n"

    result = run_bot("ask", "--json", stdin=questions)

    assert result.returncode == 0, result.stderr
    answers = [json.loads(line) for line in result.stdout.splitlines()]
    assert [a["drugs"] for a in answers] == [["azathioprine"], ["cyclosporine"], []]
    assert answers[0]["topics"] == ["azathioprine.side-effects"]
    assert answers[2]["topics"] == []
    assert "tacrolimus is not covered" in answers[2]["text"]


def test_ask_with_broken_knowledge_path_fails_with_problems_on_stderr(tmp_path: Path) -> None:
    path = write_file(tmp_path, BROKEN)

    result = run_bot("ask", "grapefruit cyclosporine?", env={"KNOWLEDGE_PATH": str(path)})

    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [*broken_problems(path), "2 problems found"]


def test_ask_uses_knowledge_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("KNOWLEDGE_PATH", str(write_file(tmp_path, VALID)))

    status = main(["ask", "--json", "alpha side effects"])

    answer = json.loads(capsys.readouterr().out)
    assert status == 0
    assert answer["drugs"] == ["alpha"]
    assert "Alpha can make you tired [2]." in answer["text"]


# --------------------------------------------------------------------------- diff


def test_diff_prints_the_changed_entry(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old = write_file(tmp_path, VALID, "old.yaml")
    new = write_file(
        tmp_path,
        edit(VALID, "Alpha can make you tired [2].", "Alpha can make you very tired [2]."),
        "new.yaml",
    )

    status = main(["diff", str(old), str(new)])

    assert status == 0
    assert capsys.readouterr().out.splitlines() == [
        "text changed: alpha.side-effects",
        "0 added, 0 removed, 1 changed",
    ]


def test_diff_of_the_real_file_as_a_process(tmp_path: Path) -> None:
    text = REAL_FILE.read_text(encoding="utf-8")
    new = write_file(tmp_path, text.replace("perhaps citrus sodas", "possibly citrus sodas"))

    result = run_bot("diff", str(REAL_FILE), str(new))

    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "text changed: cyclosporine.interactions",
        "0 added, 0 removed, 1 changed",
    ]


def test_diff_of_two_language_files_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = DEFAULT_LANGUAGE_FILE.read_text(encoding="utf-8")
    old = write_file(tmp_path, text, "old.yaml")
    example = '      - "flatmate has covid. on mycophenolate"\n'
    new = write_file(
        tmp_path, edit(text, example, example + '      - "my flatmate has covid"\n'), "new.yaml"
    )

    status = main(["diff", str(old), str(new)])

    assert status == 0
    assert capsys.readouterr().out.splitlines() == [
        "phrases changed: cue.exposure (+example my flatmate has covid)",
        "0 added, 0 removed, 1 changed",
    ]


def test_diff_of_identical_files(capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["diff", str(REAL_FILE), str(REAL_FILE)])

    assert status == 0
    assert capsys.readouterr().out == "no changes\n"


def test_diff_with_a_broken_file_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_file(tmp_path, BROKEN)

    status = main(["diff", str(REAL_FILE), str(path)])

    assert status == 1
    assert capsys.readouterr().out.splitlines() == [*broken_problems(path), "2 problems found"]


# --------------------------------------------------------------------------- chat


def test_chat_answers_a_follow_up_from_memory(kb: KnowledgeBase) -> None:
    azathioprine = kb.drug("azathioprine")
    assert azathioprine is not None
    side_effects = azathioprine.entry("side-effects")
    assert side_effects is not None

    result = run_bot("chat", stdin="imuran\nand the side effects?\n")

    assert result.returncode == 0, result.stderr
    banner, first, second, rest = re.split(r"^> ", result.stdout, flags=re.MULTILINE)
    assert banner.startswith("Ask about an ITP immunosuppressant")
    assert first.startswith("Azathioprine\n")
    assert side_effects.answer not in first
    assert second.startswith("Azathioprine: Side effects\n")
    assert side_effects.answer in second
    assert rest.strip() == ""


@pytest.mark.parametrize(
    ("turns", "opens", "absent"),
    [
        # The chat's drug, never the drug whose entry holds the phrase ("skin cancer").
        (
            ["my wife takes mycophenolate", "could it cause cancer"],
            "Mycophenolate",
            "Sirolimus",
        ),
        # A child named earlier is still a child: the child line opens the follow-up.
        (
            ["my daughter takes mycophenolate", "could it cause cancer"],
            "If this is about a child",
            "Sirolimus",
        ),
        # The drug named after "which medicine?" answers the topic asked.
        (
            ["can I have a glass of wine with my ITP medicine", "it's ciclosporin"],
            "Cyclosporine: Alcohol",
            "Cyclosporine\n",
        ),
        # A crisis told earlier: "what should I do" gets the crisis reply again.
        (
            ["she's been self harming again, I found blood on her sleeves", "what should I do"],
            "I'm really sorry",
            "not covered",
        ),
        # A pair asked with "it": the chat's drug, and "I can't tell".
        (
            ["I'm on ciclosporin", "can I take omeprazole with it"],
            "I can't tell whether omeprazole",
            "Grapefruit",
        ),
        # A turn about nothing covered keeps the chat's drug for the next one.
        (
            ["I'm on sirolimus", "what's the weather like", "and do I need to avoid grapefruit"],
            "Sirolimus:",
            "Which medicine",
        ),
        # "Not covered" holds on the follow-up: no covered drug's facts.
        (
            ["what about tacrolimus?", "and the interactions?"],
            "I can't answer that: tacrolimus is not covered",
            "Grapefruit",
        ),
        # A topic the sources lack for the drug still keeps the drug for the next turn.
        (
            ["how long before cellcept works", "and the side effects?"],
            "Mycophenolate",
            "Azathioprine:",
        ),
        # A follow-up never picks a drug the chat never named.
        (["hello", "does it cause cancer"], "Which medicine", "Sirolimus:"),
        # A red flag in a follow-up opens the reply, whatever came before, and the chat's
        # drug follows it (never "which medicine?").
        (["I take imuran", "plt 9 today"], "Contact your haematology team today", "Which medicine"),
    ],
)
def test_chat_conversations_keep_the_right_drug(turns: list[str], opens: str, absent: str) -> None:
    result = run_bot("chat", stdin="".join(f"{turn}\n" for turn in turns))

    assert result.returncode == 0, result.stderr
    last = re.split(r"^> ", result.stdout, flags=re.MULTILINE)[len(turns)]
    assert last.startswith(opens), last[:200]
    assert absent not in last


def test_follow_up_without_memory_asks_which_medicine(capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["ask", "--json", "and the side effects?"])

    answer = json.loads(capsys.readouterr().out)
    assert status == 0
    assert answer["drugs"] == []
    assert answer["text"].startswith("Which medicine do you mean?")


def test_log_level_never_lets_libraries_log_the_token(monkeypatch: pytest.MonkeyPatch) -> None:
    import logging

    from bot.cli import main

    monkeypatch.setenv("LOG_LEVEL", "debug")
    assert main(["check", str(REAL_FILE)]) == 0
    assert logging.getLogger("httpx").level == logging.WARNING
    assert logging.getLogger("telegram").level == logging.INFO


def test_a_bad_log_level_is_a_configuration_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot.cli import main

    monkeypatch.setenv("LOG_LEVEL", "verbose")
    assert main(["check", str(REAL_FILE)]) == 2
    assert capsys.readouterr().err == (
        "configuration error: LOG_LEVEL is 'verbose'; use DEBUG, INFO, WARNING or ERROR\n"
    )


# -------------------------------------------------------------------- init-knowledge


def test_init_knowledge_copies_the_shipped_knowledge_into_a_new_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "editable" / "knowledge"

    status = main(["init-knowledge", str(target)])

    out = capsys.readouterr().out
    assert status == 0
    shipped = sorted(
        p.name for p in (ROOT / "knowledge").iterdir() if p.suffix in {".yaml", ".json", ".md"}
    )
    assert sorted(p.name for p in target.iterdir()) == shipped
    for name in shipped:
        assert (target / name).read_bytes() == (ROOT / "knowledge" / name).read_bytes()
    assert out.splitlines() == [
        f"copied {len(shipped)} files from {ROOT / 'knowledge'} to {target}",
        f"now set KNOWLEDGE_PATH={target.resolve()}",
    ]
    # The copy is a knowledge folder the bot answers from.
    assert main(["check", "--strict", str(target)]) == 0


def test_init_knowledge_never_overwrites_a_folder_holding_knowledge(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "ours.yaml").write_text("edited by an admin\n", encoding="utf-8")

    status = main(["init-knowledge", str(tmp_path)])

    assert status == 1
    assert capsys.readouterr().err == (
        f"{tmp_path} already holds knowledge (ours.yaml); nothing copied\n"
    )
    assert [p.name for p in tmp_path.iterdir()] == ["ours.yaml"]
    assert (tmp_path / "ours.yaml").read_text(encoding="utf-8") == "edited by an admin\n"


def test_init_knowledge_refuses_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    file = tmp_path / "notes.txt"
    file.write_text("x", encoding="utf-8")

    assert main(["init-knowledge", str(file)]) == 1
    assert capsys.readouterr().err == f"{file} is a file; give a folder\n"
