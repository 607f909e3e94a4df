"""A regular (non-editable) install carries the knowledge and answers from any folder.

The project is copied out of the checkout (so no ``knowledge/`` folder sits next to
the installed package) and installed with pip, offline: no dependencies, no build
isolation (setuptools comes from the test environment, the dev extras pin it). The
installed copy then runs from an unrelated folder.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 180


def _run(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=TIMEOUT, check=False
    )


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project installed with ``pip install --target``, as a wheel install lays it out."""
    pytest.importorskip("setuptools", minversion="77")
    work = tmp_path_factory.mktemp("install")
    source = work / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copyfile(ROOT / name, source / name)
    for folder in ("bot", "knowledge"):
        shutil.copytree(
            ROOT / folder, source / folder, ignore=shutil.ignore_patterns("__pycache__")
        )
    target = work / "site"
    result = _run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "--target",
            str(target),
            str(source),
        ],
        cwd=work,
        env=dict(os.environ),
    )
    assert result.returncode == 0, result.stderr
    return target


def _bot(
    installed: Path, *args: str, extra: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    elsewhere = installed.parent / "elsewhere"
    elsewhere.mkdir(exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k not in {"KNOWLEDGE_PATH", "PYTHONPATH"}}
    env["PYTHONPATH"] = str(installed)
    env.update(extra or {})
    return _run([sys.executable, "-m", "bot", *args], cwd=elsewhere, env=env)


def test_the_install_ships_the_knowledge_inside_the_package(installed: Path) -> None:
    bundled = installed / "bot" / "bundled_knowledge"
    assert sorted(p.name for p in bundled.iterdir()) == sorted(
        p.name for p in (ROOT / "knowledge").iterdir() if p.suffix in {".yaml", ".json", ".md"}
    )
    assert not (installed / "knowledge").exists()


def test_the_installed_bot_answers_from_another_folder(installed: Path) -> None:
    result = _bot(installed, "ask", "--json", "grapefruit cyclosporine?")

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["topics"] == ["cyclosporine.interactions"]


def test_the_installed_check_prints_the_bundled_path(installed: Path) -> None:
    result = _bot(installed, "check", "--strict")

    assert result.returncode == 0, result.stdout + result.stderr
    bundled = (installed / "bot" / "bundled_knowledge").resolve()
    assert result.stdout.startswith(f"{bundled}: OK: 5 drugs, "), result.stdout


def test_init_knowledge_from_the_install_gives_a_writable_copy(installed: Path) -> None:
    target = installed.parent / "writable-knowledge"

    copied = _bot(installed, "init-knowledge", str(target))
    answered = _bot(
        installed, "ask", "--json", "imuran side effects", extra={"KNOWLEDGE_PATH": str(target)}
    )

    assert copied.returncode == 0, copied.stderr
    assert (target / "immunosuppressants.yaml").read_bytes() == (
        ROOT / "knowledge" / "immunosuppressants.yaml"
    ).read_bytes()
    assert answered.returncode == 0, answered.stderr
    assert json.loads(answered.stdout)["topics"] == ["azathioprine.side-effects"]
