"""The knowledge store without Telegram: proposals, crash safety, read-only knowledge."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from bot.knowledge import KnowledgeError, load_knowledge
from bot.knowledge_store import KnowledgeStore, StoreError, atomic_write
from bot.live import LiveKnowledge, knowledge_version

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "knowledge" / "immunosuppressants.yaml"
NAME = "immunosuppressants.yaml"
OLD_PHRASES = "        phrases: [four months, 4 months]\n"
NEW_PHRASES = "        phrases: [four months, 4 months, wobbly legs]\n"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    knowledge = tmp_path / "knowledge"
    knowledge.mkdir()
    shutil.copyfile(SOURCE, knowledge / NAME)
    return knowledge


def new_content(folder: Path) -> bytes:
    return (folder / NAME).read_text(encoding="utf-8").replace(OLD_PHRASES, NEW_PHRASES).encode()


#: Run in a child process: apply a change and die (SIGKILL) at ``point``.
_CHILD = textwrap.dedent(
    """
    import os, signal, sys, tempfile
    from pathlib import Path
    from bot.knowledge_store import KnowledgeStore
    from bot.live import LiveKnowledge

    folder, point, content = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3]).read_bytes()
    live = LiveKnowledge(folder)
    store = KnowledgeStore(live)
    proposal = store.propose("upload", "immunosuppressants.yaml", content)

    def die():
        os.kill(os.getpid(), signal.SIGKILL)

    real_mkstemp, real_fdopen, real_replace = tempfile.mkstemp, os.fdopen, os.replace
    targets = set()

    def mkstemp(*args, **kwargs):
        fd, name = real_mkstemp(*args, **kwargs)
        if Path(name).name.startswith(".immunosuppressants.yaml."):
            targets.add(fd)
        return fd, name

    class HalfWriter:
        def __init__(self, file):
            self.file = file
        def __enter__(self):
            return self
        def __exit__(self, *exc):
            return self.file.__exit__(*exc)
        def write(self, data):
            self.file.write(data[: len(data) // 2])
            self.file.flush()
            die()

    def fdopen(fd, *args, **kwargs):
        file = real_fdopen(fd, *args, **kwargs)
        return HalfWriter(file) if point == "writing" and fd in targets else file

    def replace(src, dst):
        if point == "before-rename" and Path(dst).name == "immunosuppressants.yaml":
            die()
        real_replace(src, dst)

    tempfile.mkstemp, os.fdopen, os.replace = mkstemp, fdopen, replace
    if point == "before-swap":
        live.reload = die
    store.apply(proposal.id, "test admin")
    """
)


@pytest.mark.parametrize(
    ("point", "survives"),
    [("writing", "old"), ("before-rename", "old"), ("before-swap", "new")],
)
def test_a_process_killed_while_applying_leaves_the_old_or_the_new_file(
    folder: Path, tmp_path: Path, point: str, survives: str
) -> None:
    old = (folder / NAME).read_bytes()
    new = new_content(folder)
    (tmp_path / "new.yaml").write_bytes(new)

    child = subprocess.run(
        [sys.executable, "-c", _CHILD, str(folder), point, str(tmp_path / "new.yaml")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,  # bounds only a failing run: a cold load took 40 s on slow machines
        check=False,
    )

    assert child.returncode == -signal.SIGKILL, child.stderr
    assert (folder / NAME).read_bytes() == (old if survives == "old" else new)
    load_knowledge(folder)  # whole, never torn: it loads
    leftovers = sorted(p.name for p in folder.glob(".*.tmp"))
    if point == "writing":
        assert len(leftovers) == 1  # the half-written temporary file, never read
    # The next start clears what a crash left behind.
    KnowledgeStore(LiveKnowledge(folder))
    assert sorted(p.name for p in folder.glob(".*.tmp")) == []


def test_atomic_write_replaces_the_whole_file(tmp_path: Path) -> None:
    target = tmp_path / "k.yaml"
    target.write_bytes(b"old")
    atomic_write(target, b"new content")
    assert target.read_bytes() == b"new content"
    assert [p.name for p in tmp_path.iterdir()] == ["k.yaml"]


def test_a_proposal_against_files_changed_on_disk_is_refused(folder: Path) -> None:
    store = KnowledgeStore(LiveKnowledge(folder))
    (folder / NAME).write_bytes(new_content(folder))

    with pytest.raises(StoreError, match=r"changed on disk since they were loaded. Send /reload"):
        store.propose("upload", NAME, new_content(folder))


def test_an_apply_after_a_reload_is_refused(folder: Path) -> None:
    live = LiveKnowledge(folder)
    store = KnowledgeStore(live)
    proposal = store.propose("upload", NAME, new_content(folder))
    (folder / NAME).write_bytes((folder / NAME).read_bytes() + b"\n# edited by hand\n")
    live.reload()

    with pytest.raises(StoreError, match=r"^The knowledge changed after this preview was made"):
        store.apply(proposal.id, "admin")
    assert b"# edited by hand" in (folder / NAME).read_bytes()
    assert store.history() == []


def test_the_version_follows_the_files(folder: Path) -> None:
    version = knowledge_version(folder)
    assert LiveKnowledge(folder).current.version == version
    (folder / "more.yaml").write_text("topics: []\n", encoding="utf-8")
    assert knowledge_version(folder) != version


def test_problems_name_the_uploaded_file_not_the_staging_folder(folder: Path) -> None:
    store = KnowledgeStore(LiveKnowledge(folder))
    with pytest.raises(KnowledgeError) as caught:
        store.propose("upload", NAME, b"drugs: [\n")
    assert [p.split(":", 1)[0] for p in caught.value.problems] == [NAME]


def test_knowledge_inside_the_package_is_read_only(folder: Path) -> None:
    store = KnowledgeStore(LiveKnowledge(folder), protected=folder.parent)
    assert store.read_only_reason() is not None
    with pytest.raises(StoreError, match=r"Set KNOWLEDGE_PATH to a writable folder"):
        store.propose("upload", NAME, new_content(folder))


def test_a_single_knowledge_file_is_replaced_whatever_the_uploads_name(folder: Path) -> None:
    store = KnowledgeStore(LiveKnowledge(folder / NAME))
    assert store.target_name("anything.yaml") == NAME
    assert store.history_path == folder / ".history"
